"""The evaluation explorer, clicked without a browser; the library functions behind it."""

from __future__ import annotations

import datetime
import time

import pytest

from rerankkit.evaluation import evaluate, load_fixture
from rerankkit.evaluation.datasets import FIXTURE_DIR
from rerankkit.evaluation.explore import data_from_uploads, plot_query_deltas, precision_threshold, side_by_side
from rerankkit.widgets.evaluation_explorer import UPLOADED, EvaluationExplorer


def _upload_value(paths):
    return tuple({"name": p.name, "type": "", "size": p.stat().st_size, "content": memoryview(p.read_bytes()),
                  "last_modified": datetime.datetime.now(datetime.timezone.utc)} for p in paths)


def test_run_on_uploaded_files(tiny, tmp_path):
    app = EvaluationExplorer(tiny, source=UPLOADED, top_n=5, scores_dir=tmp_path)
    app.upload.value = _upload_value(sorted(FIXTURE_DIR.iterdir()))
    app.run_button.click()
    app.wait(120)
    assert app.last_error is None
    assert app.report.complete and app.report.top_n == 5
    assert "Reranked" in app.table.value
    # The widget's one random-weights notice sits in its header, not under every table.
    assert "rk-banner" in app.badge.value and "rk-banner" not in app.table.value
    assert f"Queries whose nDCG@10 dropped: {len(app.report.worse)}" in app.worse.value
    assert "2 queries have no judged document" in app.status.value
    assert app.progress.value == app.progress.max == app.report.scoring.n_pairs


def test_missing_upload_is_shown_not_raised(tiny, tmp_path):
    app = EvaluationExplorer(tiny, source=UPLOADED, scores_dir=tmp_path)
    app.run_button.click()
    app.wait(30)
    assert "no files uploaded" in app.last_error and "Could not run" in app.error.value
    assert not app.run_button.disabled


def test_stop_keeps_what_was_scored_and_run_continues(tiny, tmp_path):
    app = EvaluationExplorer(tiny, source="fixture", top_n=20, scores_dir=tmp_path)
    app.run_button.click()
    deadline = time.monotonic() + 120
    while app.progress.value < 600 and time.monotonic() < deadline:
        time.sleep(0.005)
    app.stop_button.click()
    app.wait(120)
    first = app.report
    assert first is not None and not first.complete, app.last_error
    kept = first.scoring.n_scored
    assert 0 < kept < first.scoring.n_pairs and "Stopped" in app.status.value
    app.run_button.click()
    app.wait(120)
    assert app.report.complete and app.report.scoring.n_resumed == kept


def test_uploads_need_recognisable_names():
    with pytest.raises(ValueError, match="cannot tell what 'notes.tsv' holds"):
        data_from_uploads({"notes.tsv": b"x\ty\n"})
    with pytest.raises(ValueError, match="missing qrels"):
        data_from_uploads({"queries.tsv": b"q1\ta\n", "corpus.tsv": b"d1\tb\n"})


def test_side_by_side_threshold_and_plot(tiny):
    data = load_fixture()
    report = evaluate(data, tiny, top_n=10, show_progress=False)
    qid = report.worse.qid[0]
    side = side_by_side(report, data, qid, k=3)
    assert side.base_docid.tolist() == list(report.base[qid])[:3]
    assert side.reranked_docid.tolist() == list(report.reranked[qid])[:3]
    found = precision_threshold(report, data, target=0.5)
    sweep = found["sweep"]
    if found["threshold"] is not None:
        passing = sweep[sweep.threshold >= found["threshold"]]
        assert found["precision"] >= 0.5 and passing.iloc[0].threshold == found["threshold"]
        assert (sweep[sweep.threshold < found["threshold"]].precision.fillna(0) < 0.5).all()
    fig = plot_query_deltas(report)
    assert "random weights" in fig.axes[0].get_title()
    assert len(fig.axes[0].patches) == report.per_query.qid.nunique()


def test_top_n_out_of_range_is_said_and_a_word_is_refused(tiny, tmp_path):
    app = EvaluationExplorer(tiny, source="fixture", top_n=3, scores_dir=tmp_path)
    app.top_n.value = "5000"
    app.run_button.click()
    app.wait(120)
    assert "Top N 5000 is above the largest allowed, 1000: using 1000." == app.notice_text
    assert app.top_n.value == "1000" and app.report is not None and app.report.top_n == 1000
    app.top_n.value = "many"
    app.run_button.click()
    assert "'many' is not a whole number" in app.last_error and "Could not run" in app.error.value
    assert not app.run_button.disabled


def test_stop_is_a_neutral_state_and_an_error_clears_the_last_table(tiny, tmp_path):
    # Before: Stop before any query finished showed a red "Could not run", and every error left the previous
    # data set's table in place under it.
    from rerankkit.widgets.evaluation_explorer import UPLOADED

    app = EvaluationExplorer(tiny, source="fixture", top_n=20, scores_dir=tmp_path)
    app.run_button.click()
    app.wait(300)
    assert app.state == "done" and app.table.value
    app.source.value = UPLOADED  # nothing uploaded: an error
    app.run_button.click()
    app.wait(60)
    assert app.state == "error" and "Could not run" in app.error.value
    assert app.table.value == "" and app.worse.value == "" and app.report is None

    stopping = EvaluationExplorer(tiny, source="fixture", top_n=20, scores_dir=tmp_path / "fresh")
    original = stopping._progress

    def press_stop_at_once(done: int, total: int) -> None:
        stopping._stop.set()
        original(done, total)

    stopping._progress = press_stop_at_once  # type: ignore[method-assign]
    stopping.run_button.click()
    stopping.wait(300)
    assert stopping.state == "stopped" and stopping.error.value == "" and stopping.last_error is None
    assert "Stopped" in stopping.status.value
