"""The fine-tuning monitor, clicked in plain pytest: Train, Stop at a step, Resume to the same end."""

from __future__ import annotations

import pytest

from rerankkit.evaluation import from_cases
from rerankkit.training import Recipe, mine_hard_negatives
from rerankkit.widgets.finetune_monitor import FinetuneMonitor


@pytest.mark.slow
def test_train_stop_and_resume_by_clicking(tmp_path) -> None:
    examples, _ = mine_hard_negatives(from_cases("keyword_traps"), "bm25", rank_window=(1, 6), n_negatives=3,
                                      show_progress=False)
    recipe = Recipe(group_size=2, batch_size=2, max_steps=3, save_steps=10, max_length=32)
    monitor = FinetuneMonitor(examples[:6], "tiny-random", tmp_path / "out", recipe=recipe, stop_at=1)
    monitor.train_button.click()
    monitor.wait(300)
    assert monitor.last_error is None, monitor.last_error
    assert not monitor.result.complete and monitor.result.step == 1
    assert monitor.train_button.description == "Resume" and "Stopped at step 1" in monitor.status.value
    assert "<polyline" in monitor.curve.value
    monitor.train_button.click()
    monitor.wait(300)
    assert monitor.result.complete and monitor.result.resumed_from == 1
    assert [s for s, _ in monitor.losses] == [1, 2, 3] and "step 3" in monitor.curve.value
    assert (tmp_path / "out" / "model.safetensors").is_file()


def test_bad_data_shows_an_error_not_a_traceback(tmp_path) -> None:
    bad = tmp_path / "train.jsonl"
    bad.write_text('{"query": "q", "neg": ["n"]}\n')
    monitor = FinetuneMonitor(bad, "tiny-random", tmp_path / "out", recipe=Recipe(max_steps=1))
    monitor.train_button.click()
    monitor.wait(60)
    assert 'line 1: no "pos"' in monitor.last_error and monitor.train_button.disabled is False
