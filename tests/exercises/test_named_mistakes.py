"""Every exercise check rejects the mistakes it names, on the inputs its notebook really gives it (tiny-random).

A check that computes the right answer can still pass a wrong method when that method happens to give the same
number on the notebook's data (comparing raw logits with 0.5 when no sigmoid score reaches 0.5; splitting on
spaces when no term is shared). So each test rebuilds the notebook's own inputs, computes each named wrong answer
the way a learner would, asserts that it differs from the right one, and that the check rejects it with its reason.
"""

from __future__ import annotations

import ast
from pathlib import Path

import nbformat
import numpy as np
import pytest

import rerankkit
from rerankkit.exercises import get, nb01, nb02, nb04, nb05, nb06, nb07, nb10
from rerankkit.retrieval import tokenize

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"


def notebook_values(name: str, *names: str, **given) -> dict:
    """Run the notebook's own import statements and assignments of ``names`` (in cell order), nothing else."""
    namespace = dict(given)
    for cell in nbformat.read(NOTEBOOKS / name, as_version=4).cells:
        if cell.cell_type != "code":
            continue
        for node in ast.parse(cell.source).body:
            targets = [n.id for t in getattr(node, "targets", []) for n in ast.walk(t) if isinstance(n, ast.Name)]
            is_import = isinstance(node, (ast.Import, ast.ImportFrom)) and "widgets" not in ast.unparse(node)
            if is_import or (targets and set(targets) <= set(names)):
                exec(compile(ast.Module(body=[node], type_ignores=[]), name, "exec"), namespace)  # noqa: S102
    missing = [n for n in names if n not in namespace]
    assert not missing, f"{name} no longer defines {missing}"
    return {n: namespace[n] for n in names}


def rejected(verdict, *words):
    assert verdict.correct is False, str(verdict)
    for word in words:
        assert word in str(verdict), str(verdict)


@pytest.fixture(scope="module")
def rr():
    return rerankkit.load("tiny-random")


@pytest.mark.slow
def test_01_2_rejects_raw_logits_against_the_sigmoid_cut_on_the_notebook_data(rr):
    v = notebook_values("01_single_scoring.ipynb", "query", "facts", "logits", "cut_score", rr=rr)
    logits, cut = np.asarray(v["logits"]), v["cut_score"]
    assert np.allclose(logits, rr.score(v["query"], v["facts"]))
    right = [i for i, x in enumerate(logits) if rerankkit.sigmoid(x) >= cut]
    assert 0 < len(right) < len(logits), "the cut should leave passes and fails"
    assert bool(nb01.passing.check(right, logits=logits, threshold=cut))
    raw = [i for i, x in enumerate(logits) if x >= cut]  # the mistake a learner met: logits compared with the cut
    assert raw != right
    rejected(nb01.passing.check(raw, logits=logits, threshold=cut), "raw logits")
    rejected(nb01.passing.check([i + 1 for i in right], logits=logits, threshold=cut), "counted from 1")


@pytest.mark.slow
def test_01_3_every_named_mistake_can_fire_on_the_notebook_pair(rr):
    v = notebook_values("01_single_scoring.ipynb", "query", "passage")
    query, passage = v["query"], v["passage"]
    tok = rr.tokenizer
    right = int(rr.encode([(query, passage)]).n_tokens[0])
    q = len(tok(query, add_special_tokens=False)["input_ids"])
    p = len(tok(passage, add_special_tokens=False)["input_ids"])
    one = tok.num_special_tokens_to_add(pair=False)
    check = nb01.count_tokens.check
    assert bool(check(right, rr=rr, query=query, passage=passage))
    wrong = {len(query.split()) + len(passage.split()): "counts words", q + p: "special tokens",
             q + one: "query alone", p + one: "passage alone"}
    assert right not in wrong and len(wrong) == 4, wrong
    for answer, reason in wrong.items():
        rejected(check(answer, rr=rr, query=query, passage=passage), reason)


@pytest.mark.slow
def test_02_2_a_query_over_three_quarters_of_max_length_is_cut_too(rr):
    v = notebook_values("02_batching.ipynb", "query", "sentences", "rng", "passages", rr=rr)
    query, passage = v["query"], max(v["passages"], key=len)
    enc = rr.encode([(query, passage)], max_length=32)
    right = int(enc.n_cut[0])
    full = right + int(enc.n_tokens[0])
    assert bool(nb02.tokens_cut.check(right, rr=rr, query=query, passage=passage, max_length=32))
    rejected(nb02.tokens_cut.check(full, rr=rr, query=query, passage=passage, max_length=32), "whole pair")
    rejected(nb02.tokens_cut.check(32, rr=rr, query=query, passage=passage, max_length=32), "kept")
    # The solution's old formula, full length - max_length, is wrong when the query passes 3/4 of max_length.
    long_query = " ".join(v["sentences"])
    enc = rr.encode([(long_query, "Paris.")], max_length=32)
    right, kept = int(enc.n_cut[0]), int(enc.n_tokens[0])
    assert kept < 32
    full = right + kept
    assert bool(nb02.tokens_cut.check(right, rr=rr, query=long_query, passage="Paris.", max_length=32))
    rejected(nb02.tokens_cut.check(full - 32, rr=rr, query=long_query, passage="Paris.", max_length=32),
             "3/4 of max_length")


def test_10_1_rejects_splitting_on_spaces_and_nothing_shared_on_the_notebook_pair():
    v = notebook_values("10_cross_lingual.ipynb", "zh_query", "en_passage",
                        xl=rerankkit.cases.load("cross_lingual"))
    query, passage = v["zh_query"], v["en_passage"]
    right = len(set(tokenize(query)) & set(tokenize(passage)))
    by_spaces = len(set(query.casefold().split()) & set(passage.casefold().split()))
    assert right > 0 and by_spaces != right
    assert bool(nb10.shared_terms.check(right, query=query, passage=passage))
    rejected(nb10.shared_terms.check(by_spaces, query=query, passage=passage), "spaces")
    rejected(nb10.shared_terms.check(0, query=query, passage=passage), "written alike")


def test_10_1_the_notebook_imports_tokenize_before_the_exercise():
    code = [c.source for c in nbformat.read(NOTEBOOKS / "10_cross_lingual.ipynb", as_version=4).cells
            if c.cell_type == "code"]
    uses = next(i for i, src in enumerate(code) if "shared_terms.check" in src)
    assert any("import" in src and "tokenize" in src for src in code[:uses + 1])


def test_10_2_does_not_call_the_pooled_auc_a_ranking_question():
    ex = get("10.2")
    text = " ".join([ex.task.text, ex.solution().why, str(ex.check(1.0, matching=[2.0, 1.0], other=[0.0]))])
    assert "ranking question" not in text.replace("ranking question alone", "")
    assert "per query" in ex.task.text and "calibration" in ex.task.text
    rejected(ex.check(2 / 3, matching=[2.0, 1.0, -1.0], other=[0.0, 1.5]), "fixed cut")


@pytest.mark.slow
def test_06_2_takes_the_passage_occurrence_of_a_word_in_both_sides(rr):
    v = notebook_values("06_explaining_scores.ipynb", "QUERY", "PASSAGE")
    occ = rerankkit.explain(rr, v["QUERY"], v["PASSAGE"], method="occlusion")
    in_passage = next(w for w in occ.words if w.side == "passage" and w.text == "capital")
    in_query = next(w for w in occ.words if w.side == "query" and w.text == "capital")
    right = occ.score - in_passage.score_without
    query_side = occ.score - in_query.score_without
    assert abs(right - query_side) > 1e-3
    for word in (in_passage, "capital"):  # the word itself, or its text (the passage's occurrence)
        assert bool(nb06.occlusion_drop.check(right, explanation=occ, word=word))
        rejected(nb06.occlusion_drop.check(query_side, explanation=occ, word=word), "query")


def test_05_2_says_when_the_repeats_do_not_support_the_speed_up():
    # Figures of the kind a learner met on a busy machine: int8 repeats from 40 to 3,100 pairs/s.
    verdict = nb05.speedup.check(76.63, fast=3065.0, slow=40.0, fast_range=(40.0, 3100.0), slow_range=(38.0, 60.0))
    assert verdict.correct and "not a figure to trust" in str(verdict) and "0.667x" in str(verdict)
    calm = nb05.speedup.check(1.8, fast=90.0, slow=50.0, fast_range=(88.0, 92.0), slow_range=(49.0, 51.0))
    assert calm.correct and "the repeats agree" in str(calm)
    assert "fast_range" in str(nb05.speedup.check(1.8, fast=90.0, slow=50.0))


def test_hints_survive_run_all():
    ex = get("01.1")
    ex.reset_hints()
    for _ in range(3):  # Run All, then the learner re-runs the cell: nothing is used up
        shown = ex.show_hints()
    html = shown._repr_html_()
    assert html.count("<details") == len(ex.hints) and "open" not in html.split("<details")[1].split(">")[0]
    assert str(ex.hint()).startswith(f"Hint 1 of {len(ex.hints)}")
    ex.reset_hints()


@pytest.mark.parametrize("path", sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb")), ids=lambda p: p.name)
def test_notebook_hint_cells_use_the_folded_hints(path):
    text = path.read_text()
    assert ".hint()" not in text, f"{path.name}: a hint() cell moves on to the next hint on every Run All"


@pytest.mark.slow
def test_07_2_has_passing_pairs_and_rejects_recall_and_accuracy_on_the_notebook_run(rr):
    from rerankkit.evaluation import evaluate, load_fixture

    data = load_fixture()
    report = evaluate(data, rr, top_n=20, show_progress=False)  # as notebook 07 runs it
    pairs = [(q, d, s) for q, docs in report.reranked.items() if q in data.qrels for d, s in docs.items()]
    scores = rerankkit.sigmoid(np.array([s for _, _, s in pairs]))
    labels = np.array([int(data.qrels[q].get(d, 0) > 0) for q, d, _ in pairs])
    cut = float(np.median(scores))  # the notebook's cut: half the pairs pass whatever the weights
    passing = scores >= cut
    right = float((passing & (labels == 1)).sum() / passing.sum())
    check = nb07.precision.check
    assert bool(check(right, scores=scores, labels=labels, threshold=cut))
    recall = float((passing & (labels == 1)).sum() / labels.sum())
    accuracy = float(np.mean(passing == (labels == 1)))
    for wrong, reason in [(recall, "recall"), (accuracy, "accuracy")]:
        assert abs(wrong - right) > 5e-3
        rejected(check(wrong, scores=scores, labels=labels, threshold=cut), reason)


def test_04_and_05_name_their_mistakes_on_the_notebook_numbers():
    def dcg(gains):
        return sum(g / np.log2(i + 2) for i, g in enumerate(gains))

    top = [nb04.GRADES[d] for d in nb04.RANKING[:3]]
    ideal = sorted(nb04.GRADES.values(), reverse=True)[:3]
    rejected(nb04.ndcg.check(dcg([2 ** g - 1 for g in top]) / dcg([2 ** g - 1 for g in ideal])), "exponential")
    rejected(nb04.ndcg.check(dcg([g > 0 for g in top]) / dcg([g > 0 for g in ideal])), "grades")
    for wrong, reason in [(50 * 100 * 40.0, "multiplies"), (50 / 40.0, "one pair per query"),
                          (50 * 100 / 40.0 / 60, "minutes")]:
        rejected(nb05.workload_seconds.check(wrong, pairs_per_s=40.0, queries=50, top_n=100), reason)
