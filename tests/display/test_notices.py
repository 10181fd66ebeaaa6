"""One random-weights notice per page: the page's notice, and widgets that point to it instead of adding one."""

from __future__ import annotations

import pytest

from rerankkit.display import notices
from rerankkit.notebook import caution, load_or_tiny_random
from rerankkit.widgets import ExplainExplorer, ScoringPlayground


@pytest.fixture
def page(monkeypatch):
    """A fresh page whose displayed HTML is collected (no kernel needed)."""
    shown: list[str] = []
    import IPython.display

    monkeypatch.setattr(IPython.display, "display", lambda obj: shown.append(obj.data))
    notices.forget()
    yield shown
    notices.forget()


def test_widgets_below_the_pages_notice_add_no_second_banner(tiny, page):
    # Before: the notebook's notice and each widget's own banner: two (three in notebook 07) per page.
    assert 'class="rk-banner"' in ScoringPlayground(tiny).badge.value  # a page without a notice: the widget's
    caution(tiny)
    assert len(page) == 1 and page[0].count('class="rk-banner"') == 1
    for widget in (ScoringPlayground(tiny), ExplainExplorer(tiny)):
        assert 'class="rk-banner"' not in widget.badge.value
        assert "random weights, see the notice at the top of this page" in widget.badge.value


def test_app_pages_say_this_page_in_one_sentence_without_a_dump(page, capsys):
    rr = load_or_tiny_random("BAAI/bge-reranker-v2-m3", quiet=True)
    assert rr.info.model_id == "tiny-random" and capsys.readouterr().out == ""  # no "Could not load ... Remedies"
    caution(rr, scope="page")
    (banner,) = page
    assert "on this page" in banner and "this notebook" not in banner
    assert "rerankkit download BAAI/bge-reranker-v2-m3" in banner and "Remedies" not in banner
