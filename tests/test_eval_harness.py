"""`articleqa eval` end to end on the shipped seed set with the real embedder, store and retriever (no LLM)."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from articleqa.settings import load_settings
from interfaces.cli import main
from eval.datasets import article_paths, load_questions, questions_path
from eval.index import ensure_index

SEED_Q = str(questions_path("seed"))
SEED_A = [str(p) for p in article_paths("seed")]


@pytest.fixture(scope="module", autouse=True)
def private_cache(tmp_path_factory):
    """Eval indexes go to a temporary cache; the converted models (and tiktoken files) are the user's model cache,
    linked rather than built again."""
    real = load_settings().cache_dir
    cache = tmp_path_factory.mktemp("cache")
    for name in ("models", "tiktoken"):
        (real / name).mkdir(parents=True, exist_ok=True)
        (cache / name).symlink_to(real / name, target_is_directory=True)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("ARTICLEQA_CACHE", str(cache))
        yield cache


def _eval(capsys, *args: str) -> tuple[int, str, str]:
    code = main(["eval", SEED_Q, "--articles", *SEED_A, "--no-progress", *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_eval_retrieval_end_to_end(tmp_path, capsys):
    code, out, err = _eval(capsys, "--mode", "retrieval", "--out", str(tmp_path / "a"))
    assert code == 0, err
    assert "| hit@1 |" in out
    data = json.loads((tmp_path / "a" / "report.json").read_text(encoding="utf-8"))
    assert data["mode"] == "retrieval" and data["n_questions"] == 6 and not data["partial"]
    # five answerable questions; the gold article (ingested from the .txt under its own id) is found by context
    assert data["metrics"]["hit@10"]["n"] == 5
    assert all(r["gold"]["index_article_id"] for r in data["rows"] if r["answerable"])
    assert data["metrics"]["hit@10"]["value"] >= 0.8  # measured 1.0 (hit@1 0.8)
    assert all(len(r["retrieved"]) == 10 for r in data["rows"])
    html = (tmp_path / "a" / "report.html").read_text(encoding="utf-8")
    assert "<script" not in html and "<svg" in html

    # a rerun reuses the cached index (nothing embedded) and, identical, passes its own baseline
    code, out, err = _eval(capsys, "--mode", "retrieval", "--out", str(tmp_path / "b"),
                           "--baseline", str(tmp_path / "a" / "report.json"), "--fail-under", "hit@10=0.8")
    assert code == 0, out + err
    assert "reusing the index" in err
    b = json.loads((tmp_path / "b" / "report.json").read_text(encoding="utf-8"))
    assert {k: v["value"] for k, v in b["metrics"].items() if "latency" not in k} == {
        k: v["value"] for k, v in data["metrics"].items() if "latency" not in k
    }

    # an impossible threshold fails the run
    code, _, _ = _eval(capsys, "--mode", "retrieval", "--out", str(tmp_path / "c"), "--fail-under", "hit@1=1.01")
    assert code == 1


def test_eval_extractive_with_unanswerables(tmp_path, capsys):
    other = str(questions_path("cmrc2018"))
    code, out, err = _eval(capsys, "--mode", "extractive", "--out", str(tmp_path),
                           "--unanswerable-from", other, "--n", "3", "--seed", "7")
    assert code == 0, err
    data = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))
    assert data["n_questions"] == 9
    assert sum(1 for r in data["rows"] if not r["answerable"]) == 4  # s06 plus the 3 mixed in
    assert data["metrics"]["refusal_rate"]["n"] == 4
    assert data["metrics"]["f1"]["n"] == 5 and data["metrics"]["f1"]["value"] is not None
    assert all(r["answer"] is not None for r in data["rows"]), [(r["id"], r["error"]) for r in data["rows"]]
    assert not any(r["error"] for r in data["rows"])


def test_evaluate_interrupted_returns_partial(tmp_path, private_cache):
    from eval import evaluate
    from qa.assistant import Assistant

    settings = load_settings()
    index_dir = ensure_index(SEED_A, settings)
    assert index_dir.is_relative_to(private_cache)
    questions = load_questions(SEED_Q)
    with Assistant.open(index_dir, settings) as assistant:
        calls = {"n": 0}
        real = assistant.retrieve

        def retrieve(q, k=None):
            calls["n"] += 1
            if calls["n"] == 3:
                raise KeyboardInterrupt  # what Ctrl-C does mid-run
            return real(q, k)

        assistant.retrieve = retrieve  # type: ignore[method-assign]
        report = evaluate(questions, assistant, mode="retrieval", progress=False, out_dir=tmp_path)
    assert report.partial and report.n_questions == 2 and report.n_planned == 6
    data = json.loads((Path(tmp_path) / "report.json").read_text(encoding="utf-8"))
    assert data["partial"] is True
    assert "Partial run" in (Path(tmp_path) / "report.html").read_text(encoding="utf-8")


def test_minimal_question_file_is_measured_not_zeroed(tmp_path, capsys):
    """A question file as a new user writes it: only `question` and `answers` (and `answerable` on one line)."""
    qfile = tmp_path / "mine.jsonl"
    lines = [
        {"question": "京東白條是什麼時候推出的?", "answers": ["2014年2月"]},
        {"question": "京東金融的CEO是誰?", "answers": ["陳生強"]},
        {"question": "京东金融的个人用户数量超过多少?", "answers": ["3.6亿"]},
        {"question": "京東金融2019年的營收是多少?", "answers": [], "answerable": False},
    ]
    qfile.write_text("\n".join(json.dumps(x, ensure_ascii=False) for x in lines) + "\n", encoding="utf-8")
    code = main(["eval", str(qfile), "--articles", *SEED_A, "--no-progress", "--mode", "extractive",
                 "--out", str(tmp_path / "r")])
    out, err = capsys.readouterr()
    assert code == 0, err
    data = json.loads((tmp_path / "r" / "report.json").read_text(encoding="utf-8"))
    m = data["metrics"]
    # each answer is in a retrieved passage and in the quoted sentence: measured by the fallback, and all hits
    assert (m["hit@1"]["value"], m["hit@1"]["n"]) == (1.0, 3)
    assert (m["citation_precision"]["value"], m["citation_recall"]["value"]) == (1.0, 1.0)
    assert (m["refusal_rate"]["value"], m["refusal_rate"]["n"]) == (1.0, 1)
    assert any("name no gold article or paragraph" in n for n in data["notes"])
    assert all(r["why"] for r in data["rows"])
    html = (tmp_path / "r" / "report.html").read_text(encoding="utf-8")
    assert "Every question" in html and "unanswerable, refused: right" in html


def test_a_metric_with_nothing_to_measure_says_so(tmp_path, capsys):
    qfile = tmp_path / "only-unanswerable.jsonl"
    qfile.write_text(json.dumps({"question": "京東金融2019年的營收是多少?", "answers": [], "answerable": False},
                                ensure_ascii=False) + "\n", encoding="utf-8")
    code = main(["eval", str(qfile), "--articles", *SEED_A, "--no-progress", "--mode", "extractive",
                 "--out", str(tmp_path / "r")])
    out, err = capsys.readouterr()
    assert code == 0, err
    data = json.loads((tmp_path / "r" / "report.json").read_text(encoding="utf-8"))
    assert data["metrics"]["f1"]["value"] is None and data["metrics"]["hit@1"]["value"] is None
    md = (tmp_path / "r" / "report.md").read_text(encoding="utf-8")
    assert "| f1 ↑ | not measured |" in md and "| f1 | not measured |" in out
