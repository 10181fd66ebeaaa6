"""The timing dashboard and the timing plots: clicked without a browser."""

from __future__ import annotations

import matplotlib.figure
import pandas as pd
import pytest

from rerankkit.display import plots
from rerankkit.widgets import TimingDashboard


@pytest.fixture()
def dashboard():
    dash = TimingDashboard("tiny-random", batch_sizes=(2, 4), lengths=(16,), repeats=2, n_batches=1)
    dash.devices.value = ("cpu", "cuda")
    dash.dtypes.value = ("fp32",)
    return dash


@pytest.mark.slow
def test_run_fills_table_plots_and_progress(dashboard):
    dashboard.run_button.click()
    assert dashboard.error is None
    table = dashboard.table
    assert len(table) == 2 * 2  # two devices x two batch sizes
    assert (table[table.device == "cpu"].status == "ok").all()
    assert "<table" in dashboard.output.value and "pairs_per_s" in dashboard.output.value
    assert set(dashboard.figures) == {"throughput", "latency", "cold start"}
    assert all(isinstance(f, matplotlib.figure.Figure) for f in dashboard.figures.values())
    assert len(dashboard.plots.outputs) == 3
    assert dashboard.progress.value == dashboard.progress.max == 4
    assert "cells ran" in dashboard.status.value
    assert not dashboard.run_button.disabled  # the busy guard gave the controls back


@pytest.mark.parametrize("field, value, message", [
    ("batch_sizes", "4, x", "batch sizes"),
    ("lengths", "", "lengths is empty"),
])
def test_bad_input_shows_a_readable_error(dashboard, field, value, message):
    getattr(dashboard, field).value = value
    dashboard.run_button.click()
    assert dashboard.table is None and dashboard.error is not None
    assert "rk-error" in dashboard.output.value and message in dashboard.output.value
    assert "Traceback" not in dashboard.output.value


def test_no_dtype_chosen_is_an_error_in_the_widget(dashboard):
    dashboard.dtypes.value = ()
    dashboard.run_button.click()
    assert "choose at least one dtype" in dashboard.output.value


def test_plots_refuse_a_table_where_nothing_ran():
    table = pd.DataFrame({"device": ["cuda"], "dtype": ["fp16"], "status": ["unavailable"], "pairs_per_s": [None]})
    with pytest.raises(ValueError, match="unavailable"):
        plots.plot_throughput(table)
    with pytest.raises(ValueError, match="benchmark"):
        plots.plot_latency(pd.DataFrame({"x": [1]}))


@pytest.mark.slow
def test_unavailable_rows_collapse_with_their_reason_and_the_caveat_is_about_timing(dashboard):
    dashboard.run_button.click()
    page = dashboard.output.value
    assert page.count("</tr>") == 1 + 2 + 1  # header, two cpu rows, one collapsed cuda row
    assert "2, 4" in page  # the cuda row lists its batch sizes together
    cuda_note = dashboard.table[dashboard.table.device == "cuda"].note.iloc[0]
    assert cuda_note and cuda_note in page  # the reason sits next to its status
    assert "Timing caveat" in page and "not how fast the real model is" in page
    assert "scores mean nothing" not in page
    assert "tokens_per_s" not in page  # fewer default columns; .table keeps them all
    assert "tokens_per_s" in dashboard.table.columns


@pytest.mark.parametrize(("typed", "used", "said"), [("500", "50", "above the largest allowed, 50"),
                                                     ("0", "1", "below the smallest allowed, 1"), ("3", "3", "")])
def test_repeats_changes_are_said_in_the_widget(dashboard, typed, used, said):
    dashboard.repeats.value = typed
    assert dashboard.repeats.value == used
    assert (said in dashboard.notice_text) and (bool(said) == bool(dashboard.notice_text))


def test_repeats_that_are_not_a_number_stop_the_run(dashboard):
    dashboard.repeats.value = "lots"
    assert "'lots' is not a whole number" in dashboard.notice_text
    dashboard.run_button.click()
    assert dashboard.table is None and "&#x27;lots&#x27; is not a whole number" in dashboard.output.value
