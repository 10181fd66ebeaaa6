"""The RAG budget explorer, clicked: the context it shows is the pipeline's, coloured by answer-bearing chunks."""

from __future__ import annotations

import pytest

from rerankkit.rag.evaluate import sweep
from rerankkit.rag.pipeline import RagPipeline
from rerankkit.widgets.rag_explorer import RagExplorer

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("serial")]


def test_show_renders_the_pipelines_context_and_the_settings_figures(rag_store, rag_corpus, tiny):
    pipe = RagPipeline(rag_store, tiny)
    questions = rag_corpus.questions[:4]
    frame = sweep(pipe, questions, depths=[10, 20], budgets=[512, 1024], tokenizer=tiny.tokenizer,
                  show_progress=False)
    app = RagExplorer(pipe, questions, sweep=frame, tokenizer=tiny.tokenizer)
    app.stage.value, app.k.value, app.budget.value = "bm25", 10, 512
    app.show_button.click()
    q = questions[0]
    expected = pipe.context(q.text, stage="bm25", k=10, budget=512, tokenizer=tiny.tokenizer)
    assert app.last_error is None and app.context.chunk_ids == expected.chunk_ids
    answer = sum(c.split("#")[0] in q.answer_docs for c in expected.chunk_ids)
    assert app.context_view.value.count("class='rk-answer'") == answer
    assert app.context_view.value.count("class='rk-other'") == len(expected.chunks) - answer
    assert "<table" in app.figures.value and "Random weights" in app.children[0].value
    app.rerank.value = False
    app.top_n.value = 3
    app.show_button.click()
    assert app.context.chunk_ids == pipe.context(q.text, stage="bm25", k=10, budget=512, rerank=False, top_n=3,
                                                 tokenizer=tiny.tokenizer).chunk_ids
    app.k.value = 50  # not in the sweep: the context still shows, the figures say what is missing
    app.show_button.click()
    assert app.last_error is not None and "no row for" in app.last_error
