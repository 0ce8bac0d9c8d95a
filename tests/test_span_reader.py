"""The trained span reader: the shipped weights, the windows it reads, its answers and refusals on the seed article
(real weights, real ONNX Runtime graph, a real index), and the training command itself on a tiny data set."""
from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from articleqa.models.files import sha256_file
from articleqa.reader import artifact
from articleqa.reader.features import WindowSpec, span_labels, windows
from articleqa.settings import load_settings
from tests.datapaths import REPO, SEED_DIR


@pytest.fixture(scope="module")
def base():
    from articleqa.models.embedder import prepare_embedder

    return prepare_embedder(load_settings())


@pytest.fixture(scope="module")
def tokenizer(base):
    from tokenizers import Tokenizer

    return Tokenizer.from_file(str(base / "tokenizer.json"))


def test_shipped_weights_are_pinned_and_small():
    path = artifact.WEIGHTS_FILE
    assert path.is_file()
    assert path.stat().st_size <= 25 * 1024 * 1024
    assert artifact.READER_SHA256 and sha256_file(path) == artifact.READER_SHA256
    meta = artifact.training_meta(path)
    assert meta["seed"] is not None and meta["windows"] > 1000, meta


def test_changed_weights_file_is_a_clear_error(tmp_path, base):
    bad = tmp_path / "reader.safetensors"
    bad.write_bytes(artifact.WEIGHTS_FILE.read_bytes()[:1000])
    with pytest.raises(Exception, match="sha256"):
        artifact.trained_weights(base, bad, expected=artifact.READER_SHA256)


def test_deltas_round_trip(tmp_path, base):
    import torch

    ref = artifact._base_weights(base)
    name = "encoder.layer.5.attention.self.query.weight"
    rng = np.random.default_rng(0)
    changed = ref[name] + rng.normal(0, 0.01, ref[name].shape).astype(np.float32)
    state = {"bert." + name: torch.from_numpy(changed), "qa_outputs.weight": torch.ones(2, 384),
             "qa_outputs.bias": torch.zeros(2), "bert.embeddings.word_embeddings.weight": torch.zeros(3, 3)}
    path = artifact.write(state, base, {"test": 1}, tmp_path / "w.safetensors")
    back = artifact.trained_weights(base, path, expected="")
    err = np.abs(back[name] - changed).max()
    assert err < 0.01 * 4 / 127, err  # int8 error of the delta, not of the weight
    assert np.array_equal(back["embeddings.word_embeddings.weight"], ref["embeddings.word_embeddings.weight"])
    assert artifact.training_meta(path) == {"test": 1}


def test_windows_cover_a_long_passage_and_label_the_answer(tokenizer):
    passage = "。".join(f"第{i}句話說的是一件不同的事情" for i in range(60)) + "。京東金融的CEO是陳生強。"
    spec = WindowSpec(max_length=64, stride=16)
    wins = windows(tokenizer, ["京東金融的CEO是誰?"], [passage], spec)
    assert len(wins) > 3 and all(len(w.ids) <= 64 for w in wins)
    start = passage.index("陳生強")
    labelled = [(w, span_labels(w, start, "陳生強")) for w in wins]
    hits = [(w, lab) for w, lab in labelled if lab != (0, 0)]
    assert hits, "the last window holds the answer"
    w, (s, e) = hits[-1]
    assert passage[w.offsets[s][0]:w.offsets[e][1]].strip() == "陳生強"
    assert labelled[0][1] == (0, 0)  # the first window does not hold it: "no answer"
    assert span_labels(wins[0], -1, "") == (0, 0)


@pytest.fixture(scope="module")
def seed_assistant(tmp_path_factory):
    from ingest import ingest_paths
    from qa import Assistant

    index = tmp_path_factory.mktemp("reader-seed")
    settings = load_settings().with_overrides({"index_dir": str(index), "answer.mode": "extractive"})
    ingest_paths([SEED_DIR / "jdfinance-2018.txt"], index_dir=index, settings=settings)
    a = Assistant.open(index, settings)
    yield a
    a.close()


@pytest.mark.parametrize("question, gold", [
    ("京東白條是什麼時候推出的?", "2014年2月"),
    ("京东金融的个人用户数量超过多少?", "3.6"),
    ("京東金融的CEO是誰?", "陳生強"),
])
def test_extractive_answer_is_a_short_cited_span(seed_assistant, question, gold):
    ans = seed_assistant.ask(question, mode="extractive")
    assert not ans.refused, (ans.text, ans.notes)
    assert gold in ans.short_answer and len(ans.short_answer) <= 3 * len(gold) + 4, ans.short_answer
    (c,) = ans.citations
    art = seed_assistant.article(c.article_id)
    assert c.quote == art.text[c.start:c.end]
    assert ans.short_answer.replace("亿", "億") in c.quote or gold in c.quote
    assert ans.text.startswith(ans.short_answer) and "[1]" in ans.text or f"[{c.n}]" in ans.text
    assert "read" in ans.timings


@pytest.mark.parametrize("mode", ["extractive", "llm"])
def test_on_topic_question_whose_fact_is_absent_is_refused(seed_assistant, mode):
    # the seed article gives no revenue figure for 京東金融 (issue 23), in both modes
    ans = seed_assistant.ask("京東金融2017年的營業收入是多少?", mode=mode)
    assert ans.refused, (ans.text, ans.notes)
    assert ans.citations == []


def test_reader_margin_decides_refusal(seed_assistant):
    from qa.readers.span import SpanReader

    reader = SpanReader(seed_assistant.settings)
    passages = seed_assistant.retrieve("京東白條是什麼時候推出的?", k=3)
    good = reader.read("京東白條是什麼時候推出的?", passages)
    off = reader.read("What is the boiling point of liquid nitrogen?", passages)
    assert good.answer_margin > seed_assistant.settings.reader.min_margin > off.answer_margin


def test_training_command_runs_and_resumes(tmp_path):
    data = tmp_path / "train"
    data.mkdir()
    ctx = "京東金融成立於2013年。它的總部在北京。京東白條在2014年2月推出。"
    qas = [{"id": f"q{i}", "question": q, "answers": [{"text": a, "answer_start": ctx.index(a)}]}
           for i, (q, a) in enumerate([("京東金融成立於哪一年?", "2013年"), ("總部在哪裡?", "北京"),
                                       ("京東白條何時推出?", "2014年2月")] * 6)]
    (data / "tiny.json").write_text(json.dumps({"data": [{"title": "t", "paragraphs": [
        {"context": ctx, "qas": qas}]}]}, ensure_ascii=False), encoding="utf-8")
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "articleqa.reader.train", "--data", str(data), "--only", "tiny.json",
           "--out", str(out), "--max-windows", "16", "--batch-size", "8", "--save-steps", "1", "--threads", "1"]
    first = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=600)
    assert first.returncode == 0, first.stderr[-2000:]
    meta = json.loads((out / "final" / "training.json").read_text())
    assert meta["windows"] == 16 and meta["resumed"] is False
    second = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=600)
    assert second.returncode == 0, second.stderr[-2000:]
    assert json.loads((out / "final" / "training.json").read_text())["resumed"] is True
    # a second pass starts from the first run's model, not from the bare encoder
    again = cmd[:cmd.index("--out")] + ["--out", str(tmp_path / "again"), "--init", str(out / "final")] + \
        cmd[cmd.index("--out") + 2:]
    third = subprocess.run(again, cwd=REPO, capture_output=True, text=True, timeout=600)
    assert third.returncode == 0, third.stderr[-2000:]
    meta = json.loads((tmp_path / "again" / "final" / "training.json").read_text())
    assert meta["init"] == str(out / "final") and meta["resumed"] is False


@pytest.mark.parametrize("extra, message", [(["--take", "squad1-train.json"], "expected FILE=N"),
                                            (["--init", "no/such/run"], "no trained reader there")])
def test_bad_training_option_is_one_clear_line(tmp_path, extra, message):
    data = tmp_path / "train"
    data.mkdir()
    (data / "tiny.json").write_text('{"data": []}', encoding="utf-8")
    cmd = [sys.executable, "-m", "articleqa.reader.train", "--data", str(data), "--only", "tiny.json",
           "--out", str(tmp_path / "o"), *extra]
    run = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=600)
    assert run.returncode == 2, run.stderr[-2000:]
    assert message in run.stderr and "Traceback" not in run.stderr


def test_english_questions_are_altered_into_unanswerables_only_when_asked():
    import random

    from articleqa.reader.data import altered_question_examples

    ctx = "The Rhine flows through Switzerland and reaches the North Sea after 1,230 kilometres. In 1815 it became a border."
    examples = [{"id": f"en/{i}", "question": q, "context": ctx, "answers": [a], "answer_text": a,
                 "answer_start": ctx.index(a), "article": "en/0", "paragraph": 0}
                for i, (q, a) in enumerate([("Which sea does the Rhine reach?", "North Sea"),
                                            ("What did the river become in 1815?", "a border"),
                                            ("Where does the Danube flow?", "Switzerland")])]
    assert altered_question_examples(examples, 1.0, random.Random(0)) == []  # English off by default
    made = altered_question_examples(examples, 1.0, random.Random(0), share_en=1.0)
    assert made and all(ex["answer_text"] == "" and ex["answer_start"] == -1 for ex in made)
    for ex in made:
        original = next(e for e in examples if ex["id"] == e["id"] + "/altered")["question"]
        assert ex["question"] != original
        # the swapped-in name or year is one the paragraph does not hold
        changed = {w.strip("?") for w in ex["question"].split()} - {w.strip("?") for w in original.split()}
        assert changed and not any(w in ctx for w in changed)


def test_missing_training_file_is_one_clear_line(tmp_path):
    cmd = [sys.executable, "-m", "articleqa.reader.train", "--data", str(tmp_path), "--out", str(tmp_path / "o")]
    run = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=300)
    assert run.returncode == 2
    assert "training file not found" in run.stderr and "Traceback" not in run.stderr


@pytest.mark.parametrize("question", ["這篇文章是哪一期的?", "When was this article published?"])
def test_article_date_is_answered_as_its_byline_writes_it(seed_assistant, question):
    # a question about the article itself is answered from its fields (qa/metadata.py), before the reader
    ans = seed_assistant.ask(question, mode="extractive")
    assert ans.short_answer == "2018年第5期", (ans.text, ans.notes)
    (c,) = ans.citations
    assert "日期:2018年第5期" in c.quote and c.quote == seed_assistant.article(c.article_id).text[c.start:c.end]
