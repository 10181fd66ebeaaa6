"""The command line: check, score and download."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys

import pytest

from rerankkit.cli import main
from rerankkit.examples import CHECK_EXAMPLES


def test_check_on_tiny_random(capsys, tiny):
    assert main(["check", "--model", "tiny-random", "--device", "cpu"]) == 0
    out = capsys.readouterr().out
    assert "device: cpu" in out and "dtype: fp32" in out and "load time:" in out
    assert "random weights" in out
    assert out.count("Top-1 result:") == 2
    assert "What is the capital of France?" in out and "中国的首都是哪里?" in out
    assert "Scores (raw logits, input order)" in out and "Scores (sigmoid, input order)" in out
    # The Top-1 line names the passage that really scored best.
    for query, passages in CHECK_EXAMPLES:
        best = tiny.rerank(query, passages)[0].text
        assert f"Top-1 result: {best}" in out


def test_score_arguments(capsys):
    assert main(["score", "--model", "tiny-random", "what is panda?", "hi", "The giant panda is a bear."]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[0].startswith("NOTE: random weights")
    assert len(lines) == 4 and lines[-1].endswith("The giant panda is a bear.")


def test_score_json_lines_on_stdin(capsys, monkeypatch, tiny):
    pairs = [{"query": "q1", "passage": "alpha"}, {"query": "q2", "passage": "beta"}]
    monkeypatch.setattr(sys, "stdin", io.StringIO("\n".join(json.dumps(p) for p in pairs) + "\n\n"))
    assert main(["score", "--model", "tiny-random", "--json"]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [r["passage"] for r in rows] == ["alpha", "beta"]
    assert rows[0]["logit"] == pytest.approx(tiny.score("q1", "alpha"), abs=1e-5)
    assert 0 < rows[1]["score"] < 1 and rows[1]["random_weights"] is True


def test_score_bad_stdin_is_a_clear_error(capsys, monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.StringIO('{"query": "q"}\n'))
    assert main(["score", "--model", "tiny-random"]) == 1
    assert "stdin line 1 must be a JSON object with keys 'query' and 'passage'" in capsys.readouterr().err


def test_score_query_without_passages(capsys):
    assert main(["score", "--model", "tiny-random", "lonely query"]) == 1
    assert "needs at least one passage" in capsys.readouterr().err


def test_check_with_impossible_max_length_exits_nonzero(capsys):
    assert main(["check", "--model", "tiny-random", "--max-length", "100000"]) == 1
    assert "exceeds the limit" in capsys.readouterr().err


def test_download_offline_names_the_remedy(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    assert main(["download", "--model", "BAAI/bge-reranker-v2-m3", "--cache-dir", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert "not in the Hugging Face cache" in err and "HF_HUB_OFFLINE" in err


@pytest.mark.slow
def test_console_script_entry_point():
    env = {**os.environ, "RERANKKIT_MODEL": "tiny-random"}
    out = subprocess.run([sys.executable, "-m", "rerankkit.cli", "score", "q", "p", "--json"],
                         capture_output=True, text=True, env=env, timeout=300)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["passage"] == "p"


def test_models_lists_the_catalogue(capsys):
    from rerankkit.models import KNOWN_MODELS

    assert main(["models"]) == 0
    out = capsys.readouterr().out
    header = out.splitlines()[0]
    for column in ("hub id", "kind", "params", "max tokens", "licence", "remote code", "commercial", "tiny-random"):
        assert column in header
    table = out.split("\n\n")[0].splitlines()[2:]  # the table ends at the first blank line
    rows = {line.split()[0]: line for line in table}
    assert set(rows) == set(KNOWN_MODELS)
    jina = rows["jinaai/jina-reranker-v2-base-multilingual"].split()
    assert "CC-BY-NC-4.0" in jina and jina[-3:] == ["yes", "no", "no"]  # remote code, not commercial, no tiny build
    assert rows["cross-encoder/ms-marco-MiniLM-L6-v2"].split()[-3:] == ["no", "yes", "yes"]
    assert "readout:" in out and "libraries:" in out and "languages:" in out


def test_models_json(capsys):
    from rerankkit.models import KNOWN_MODELS

    assert main(["models", "--json"]) == 0
    rows = {row["hub_id"]: row for row in json.loads(capsys.readouterr().out)}
    assert set(rows) == set(KNOWN_MODELS)
    base = rows["BAAI/bge-reranker-base"]
    assert base["licence"] == "MIT" and base["max_tokens"] == 512 and base["tiny_random_offline"] is True
    gte = rows["Alibaba-NLP/gte-multilingual-reranker-base"]
    assert gte["remote_code"] is True and gte["tiny_random_offline"] is False and gte["flag_class"] == "FlagReranker"
    assert isinstance(gte["libraries"], list)
    # FlagEmbedding 1.4.2's layer-wise MiniCPM class does not build under transformers 5: listed as not buildable.
    assert rows["BAAI/bge-reranker-v2-minicpm-layerwise"]["tiny_random_offline"] is False
    assert rows["Qwen/Qwen3-Reranker-0.6B"]["tiny_random_offline"] is True


def test_download_builds_tiny_random_of_a_hub_id(capsys):
    assert main(["download", "--model", "tiny-random:cross-encoder/ms-marco-MiniLM-L6-v2"]) == 0
    out = capsys.readouterr().out
    assert "is built locally" in out and "ms-marco-MiniLM-L6-v2" in out


def test_tiny_random_of_a_remote_code_model_is_a_clear_cli_error(capsys):
    assert main(["score", "--model", "tiny-random:Alibaba-NLP/gte-multilingual-reranker-base", "q", "p"]) == 1
    assert "trust_remote_code=True" in capsys.readouterr().err
