"""Fine-tuning: data errors, the split and its check, mining with its false-negative filter, training, resume, the
saved folder in both libraries. Training runs on tiny-random at tiny sizes (it checks code paths, not quality)."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import numpy as np
import pytest

from rerankkit.evaluation import from_cases
from rerankkit.training import (
    LeakageError,
    QuerySplit,
    Recipe,
    TrainExample,
    TrainingDataError,
    check_no_leakage,
    held_out_part,
    leaked_queries,
    mine_hard_negatives,
    read_examples,
    split_queries,
    train_part,
    train_reranker,
    write_examples,
)

# -- data ---------------------------------------------------------------------------------------------------------


def _write(tmp_path: Path, *lines: str) -> Path:
    path = tmp_path / "train.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


GOOD = '{"query": "what is a panda?", "pos": ["The giant panda is a bear."], "neg": ["Pandas is a library."]}'


@pytest.mark.parametrize(("bad", "message"), [
    ('{"query": "q", "neg": ["n"]}', 'line 2: no "pos"'),
    ('{"query": "q", "pos": [], "neg": ["n"]}', 'line 2: "pos" is empty'),
    ('{"query": "  ", "pos": ["p"], "neg": ["n"]}', 'line 2: "query" must be a non-empty string'),
    ('{"pos": ["p"], "neg": ["n"]}', 'line 2: "query" must be a non-empty string'),
    ('{"query": "q", "pos": ["p"], "neg": ["n", "p"]}', "line 2: neg[1] is identical to a positive"),
    ('{"query": "q", "pos": "p", "neg": []}', 'line 2: "pos" must be a list of strings'),
    ('{"query": "q", "pos": ["p"], "neg": ["n"], "neg_scores": [1, 2]}', 'line 2: "neg_scores" must be 1 numbers'),
    ('{"query": "q", "pos": ["p"]', "line 2: not valid JSON"),
])
def test_a_bad_line_is_named_with_its_number(tmp_path: Path, bad: str, message: str) -> None:
    path = _write(tmp_path, GOOD, bad, GOOD)
    with pytest.raises(TrainingDataError, match="train.jsonl, " + message.replace("[", r"\[").replace("]", r"\]")):
        read_examples(path)


def test_examples_round_trip_with_teacher_scores(tmp_path: Path) -> None:
    ex = TrainExample("q", ("p",), ("n1", "n2"), pos_scores=(3.0,), neg_scores=(-1.0, 0.5), qid="q7")
    write_examples([ex], tmp_path / "t.jsonl")
    assert read_examples(tmp_path / "t.jsonl") == [ex]
    assert json.loads((tmp_path / "t.jsonl").read_text())["neg_scores"] == [-1.0, 0.5]


def test_a_query_without_negatives_cannot_train_grouped(tmp_path: Path) -> None:
    with pytest.raises(TrainingDataError, match=r"example 2 .*no negatives"):
        train_reranker([TrainExample("a", ("p",), ("n",)), TrainExample("b", ("p",))], "tiny-random", tmp_path,
                       recipe=Recipe(max_steps=1), show_progress=False)


# -- split --------------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def traps():
    return from_cases("keyword_traps")


def test_split_is_by_query_seeded_saved_and_complete(traps, tmp_path: Path) -> None:
    split = split_queries(traps, test_fraction=0.3, seed=1)
    assert not set(split.train) & set(split.test)
    assert sorted(split.train + split.test) == sorted(traps.queries)
    assert split == split_queries(traps, test_fraction=0.3, seed=1)
    assert split != split_queries(traps, test_fraction=0.3, seed=2)
    assert QuerySplit.load(split.save(tmp_path / "split.json")) == split


def test_the_train_part_holds_no_held_out_query_nor_its_answer(traps) -> None:
    split = split_queries(traps, test_fraction=0.3, seed=1)
    train, test = train_part(traps, split), held_out_part(traps, split)
    assert set(train.queries) == set(split.train) and set(test.queries) == set(split.test)
    held_answers = {d for q in split.test for d, g in traps.qrels[q].items() if g > 0}
    train_answers = {d for q in split.train for d, g in traps.qrels[q].items() if g > 0}
    assert not (held_answers - train_answers) & set(train.docs)
    assert set(test.docs) == set(traps.docs)


def test_leakage_is_found_by_id_and_by_text(traps) -> None:
    split = split_queries(traps, test_fraction=0.3, seed=1)
    held = split.test[0]
    by_text = "  " + traps.queries[held].upper() + " "
    assert leaked_queries([by_text], split, traps.queries) == [held]
    assert leaked_queries([TrainExample("other words", ("p",), qid=held)], split, traps.queries) == [held]
    assert leaked_queries([traps.queries[q] for q in split.train], split, traps.queries) == []
    with pytest.raises(LeakageError, match="1 held-out queries"):
        check_no_leakage([by_text], split, traps.queries)
    with pytest.raises(LeakageError, match="in both train and test"):
        QuerySplit("d", ("a", "b"), ("b",), 0, 0.5)


# -- mining -------------------------------------------------------------------------------------------------------


def test_mining_takes_the_window_and_never_a_judged_passage(traps) -> None:
    examples, report = mine_hard_negatives(traps, "bm25", rank_window=(2, 6), n_negatives=3, show_progress=False)
    assert len(examples) == report.n_queries == len(traps.queries)
    for ex in examples:
        relevant = {traps.docs[d] for d, g in traps.qrels[ex.qid].items() if g > 0}
        assert 0 < len(ex.neg) <= 3 and not set(ex.neg) & relevant
        assert set(ex.pos) == relevant
    assert report.n_dropped == 0 and report.margin is None


def test_the_false_negative_filter_drops_and_reports(traps) -> None:
    # A scorer that calls every passage mentioning the query's first word relevant: those are dropped.
    def scorer(query: str, texts):
        word = query.split()[0].casefold()
        return [1.0 if i == 0 else (1.0 if word in t.casefold() else 0.0) for i, t in enumerate(texts)]

    plain, _ = mine_hard_negatives(traps, "bm25", rank_window=(1, 10), n_negatives=9, show_progress=False)
    examples, report = mine_hard_negatives(traps, "bm25", rank_window=(1, 10), n_negatives=9, scorer=scorer,
                                           margin=0.5, show_progress=False)
    assert report.n_dropped > 0 and report.margin == 0.5
    assert report.n_negatives == sum(len(ex.neg) for ex in examples) < sum(len(ex.neg) for ex in plain)
    assert len(report.dropped) == min(10, report.n_dropped)
    for row in report.dropped.itertuples():
        assert row.query.split()[0].casefold() in row.candidate.casefold()
        assert row.candidate_score > row.positive_score - 0.5
    assert f"dropped {report.n_dropped}" in report.summary()


# -- training, resume, the saved folder -----------------------------------------------------------------------------

RECIPE = Recipe(group_size=3, batch_size=2, max_steps=4, save_steps=2, max_length=48, seed=3, learning_rate=1e-3)


@pytest.fixture(scope="module")
def examples(traps):
    found, _ = mine_hard_negatives(traps, "bm25", rank_window=(1, 8), n_negatives=4, show_progress=False)
    return found[:8]


@pytest.fixture(scope="module")
def trained(examples, tmp_path_factory):
    out = tmp_path_factory.mktemp("ft") / "straight"
    logs: list[dict] = []
    result = train_reranker(examples, "tiny-random", out, recipe=RECIPE, on_log=logs.append, show_progress=False)
    return out, result, logs


def _weights(folder: Path) -> dict[str, np.ndarray]:
    from safetensors.numpy import load_file

    return load_file(str(folder / "model.safetensors"))


@pytest.mark.slow
def test_training_logs_every_step_and_saves_a_model(trained) -> None:
    out, result, logs = trained
    assert result.complete and result.step == result.total_steps == 4
    assert [row["step"] for row in logs] == [1, 2, 3, 4] and all(np.isfinite(row["loss"]) for row in logs)
    assert (out / "model.safetensors").is_file() and not (out / "checkpoints").exists()
    marker = json.loads((out / "rerankkit.json").read_text())
    assert marker["random_weights"] is True and marker["stage"] == "fine-tuned"


@pytest.mark.slow
def test_interrupted_then_resumed_equals_an_uninterrupted_run(examples, trained, tmp_path: Path) -> None:
    stop = threading.Event()
    out = tmp_path / "resumed"

    def stop_at_two(row: dict) -> None:
        if row["step"] == 2:
            stop.set()

    first = train_reranker(examples, "tiny-random", out, recipe=RECIPE, stop=stop, on_log=stop_at_two,
                           show_progress=False)
    assert not first.complete and first.step == 2
    assert (out / "checkpoints" / "checkpoint-2").is_dir() and not (out / "model.safetensors").exists()
    second = train_reranker(examples, "tiny-random", out, recipe=RECIPE, show_progress=False)
    assert second.complete and second.resumed_from == 2 and [s for s, _ in second.losses] == [3, 4]
    straight, straight_result, _ = trained
    assert np.allclose([v for _, v in second.losses], [v for _, v in straight_result.losses[2:]], atol=1e-6)
    a, b = _weights(straight), _weights(out)
    assert a.keys() == b.keys()
    assert max(float(np.abs(a[k] - b[k]).max()) for k in a) < 1e-6


@pytest.mark.slow
def test_the_saved_folder_loads_in_rerankkit_and_flagembedding_alike(trained) -> None:
    from FlagEmbedding import FlagReranker

    import rerankkit

    out, _, _ = trained
    pairs = [("what is a panda?", "The giant panda is a bear."), ("what is a panda?", "Pandas is a library.")]
    ours = rerankkit.load(out).score(pairs)
    flag = FlagReranker(str(out), use_fp16=False, devices=["cpu"]).compute_score([list(p) for p in pairs])
    assert np.allclose(ours, flag, atol=1e-5)
    assert rerankkit.load(out).info.random_weights


@pytest.mark.slow
def test_binary_cross_entropy_trains_too(examples, tmp_path: Path) -> None:
    result = train_reranker(examples, "tiny-random", tmp_path / "bce", recipe=Recipe(
        loss="bce", group_size=3, batch_size=2, max_steps=1, max_length=48), show_progress=False)
    assert result.complete and len(result.losses) == 1 and np.isfinite(result.losses[0][1])


# -- the command line and rerankkit.finetune ------------------------------------------------------------------------


def test_the_command_needs_one_source_of_data(tmp_path: Path, capsys) -> None:
    from rerankkit.cli import main

    assert main(["finetune", "--output", str(tmp_path)]) == 1
    assert "--data" in capsys.readouterr().err
    assert main(["finetune", "--train", str(tmp_path / "none.jsonl"), "--model", "tiny-random",
                 "--output", str(tmp_path)]) == 1
    assert "no file" in capsys.readouterr().err


@pytest.mark.slow
def test_finetune_command_writes_model_card_split_and_mining(tmp_path: Path, capsys) -> None:
    import rerankkit
    from rerankkit.cli import main

    out = tmp_path / "ft"
    code = main(["finetune", "--data", "cases:keyword_traps", "--model", "tiny-random", "--output", str(out),
                 "--first-stage", "bm25", "--group-size", "3", "--batch-size", "4", "--max-steps", "2",
                 "--max-length", "48", "--top-n", "5", "--test-fraction", "0.3", "--no-progress"])
    assert code == 0
    printed = capsys.readouterr().out
    assert "After fine-tuning" in printed and "paired t-test" in printed
    split = QuerySplit.load(out / "split.json")
    check_no_leakage(read_examples(out / "train.jsonl"), split, from_cases("keyword_traps").queries)
    card = (out / "README.md").read_text()
    for part in ("## Data", "## Split", "## Recipe", "## Measured on the held-out queries", "Before fine-tuning",
                 "Random weights"):
        assert part in card
    assert "summary" in json.loads((out / "mining.json").read_text())
    assert rerankkit.finetune.__module__ == "rerankkit.training.pipeline"
    assert not (out / ".before").exists() and not (out / "checkpoints").exists()
