"""Chunking: sentence boundaries (zh, en), quotes, exact spans, token budget, long sentences, headings, overlap."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from articleqa.models.tokenizer import get_encoding
from articleqa.settings import Settings
from articleqa.types import Article
from ingest.chunk import chunk_article, embedding_text, paragraph_spans, sentence_spans
from tests.datapaths import dataset_file

DRCD = dataset_file("drcd")
SQUAD = dataset_file("squad1")


@pytest.fixture(scope="module")
def settings() -> Settings:
    return Settings()


@pytest.fixture(scope="module")
def enc(settings):
    return get_encoding(settings)


def with_chunking(settings: Settings, size: int, overlap: int) -> Settings:
    return settings.with_overrides({"chunking.size": size, "chunking.overlap": overlap})


def sents(text: str) -> list[str]:
    return [text[s.start : s.end] for s in sentence_spans(text)]


def art(text: str, title: str = "標題", aid: str = "a1") -> Article:
    return Article(id=aid, title=title, text=text)


def load_jsonl(path: Path, n: int | None = None) -> list[Article]:
    out = []
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            d = json.loads(line)
            out.append(Article(id=d["id"], title=d["title"], text=d["text"], lang=d.get("lang", "")))
            if n and len(out) >= n:
                break
    return out


# ---------------------------------------------------------------------------------------------- sentences
def test_chinese_sentences_and_closing_quotes():
    text = "今天天氣很好。我們去公園吧！你要來嗎？他說：「好的。」然後走了；最後……結束了"
    assert sents(text) == ["今天天氣很好。", "我們去公園吧！", "你要來嗎？", "他說：「好的。」", "然後走了；", "最後……", "結束了"]


def test_curly_quotes_stay_with_their_sentence():
    text = "“我們的定位非常明確,不與任何企業對立。”記者周琦報道。『真的嗎？』他問。"
    assert sents(text) == ["“我們的定位非常明確,不與任何企業對立。”", "記者周琦報道。", "『真的嗎？』", "他問。"]


def test_half_width_terminators_in_chinese_as_in_the_seed():
    text = "京東金融實現單季盈利 千億級科技公司如何煉成?我們不是競爭者!它扮演孵化器的角色;繼續發展"
    assert sents(text) == ["京東金融實現單季盈利 千億級科技公司如何煉成?", "我們不是競爭者!", "它扮演孵化器的角色;", "繼續發展"]


def test_decimals_and_dates_do_not_split_chinese():
    text = "增長了3.6倍，達到1.2億元。次年再增長。"
    assert sents(text) == ["增長了3.6倍，達到1.2億元。", "次年再增長。"]


def test_english_sentences_abbreviations_and_decimals():
    text = (
        "Mr. Smith went to Washington. He arrived at 3.6 p.m. at the U.S. Capitol with Dr. Jones. "
        "It was late! Was it? \"Yes,\" she said. J. K. Rowling wrote it. The rate rose 2.5 percent."
    )
    assert sents(text) == [
        "Mr. Smith went to Washington.",
        "He arrived at 3.6 p.m. at the U.S. Capitol with Dr. Jones.",
        "It was late!",
        "Was it?",
        "\"Yes,\" she said.",
        "J. K. Rowling wrote it.",
        "The rate rose 2.5 percent.",
    ]


def test_english_semicolon_is_not_a_sentence_end():
    assert sents("It rained; we stayed in. Then it stopped.") == ["It rained; we stayed in.", "Then it stopped."]


def test_paragraph_spans_strip_and_cover():
    text = "  第一段。\n\n\n第二段。\n   \n第三段  "
    spans = paragraph_spans(text)
    assert [text[s.start : s.end] for s in spans] == ["第一段。", "第二段。", "第三段"]


# ------------------------------------------------------------------------------------------------- chunks
@pytest.mark.parametrize("path", [DRCD, SQUAD])
def test_spans_exact_budget_respected_and_ordered(settings, enc, path):
    for a in load_jsonl(path, n=12):
        chunks = chunk_article(a, settings, enc)
        assert chunks
        assert [c.ordinal for c in chunks] == list(range(len(chunks)))
        for c in chunks:
            assert a.text[c.start : c.end] == c.text
            assert c.id == f"{a.id}:{c.ordinal}" and c.article_id == a.id
            assert c.n_tokens == len(enc.encode(c.text)) <= settings.chunking.size
            assert c.text == c.text.strip()
        # Every paragraph's text is covered by some chunk.
        covered = set()
        for c in chunks:
            covered.update(range(c.start, c.end))
        for p in paragraph_spans(a.text):
            assert p.start in covered and p.end - 1 in covered


def test_drcd_chunks_end_at_sentence_ends(settings, enc):
    ends = total = 0
    for a in load_jsonl(DRCD):
        for c in chunk_article(a, settings, enc):
            total += 1
            ends += c.text[-1] in "。！？；…”’」』）)!?;." or c.end == len(a.text.rstrip())
    assert total > 100
    assert ends / total >= 0.97, f"only {ends}/{total} chunks end at a sentence end"


def test_small_paragraphs_pack_but_a_chunk_never_straddles_a_paragraph(settings, enc):
    s = with_chunking(settings, 40, 1)
    p1, p2 = "短的一段。", "也很短。"
    big = "".join(f"這是第{i}個比較長的句子，用來填滿預算。" for i in range(8))
    text = f"{p1}\n\n{p2}\n\n{big}\n\n{p1}"
    chunks = chunk_article(art(text), s, enc)
    assert chunks[0].text == f"{p1}\n\n{p2}"  # two small paragraphs packed together
    for c in chunks:
        # A chunk may hold several whole paragraphs but never part of one plus part of another.
        parts = c.text.split("\n\n")
        if len(parts) > 1:
            for part in parts:
                assert part in (p1, p2, big)
    assert any(c.start == text.index(big) for c in chunks)  # the long paragraph starts a fresh chunk


def test_overlap_carries_the_last_sentence(settings, enc):
    sentences = [f"第{i}句話講的是一件不同的事情。" for i in range(12)]
    text = "".join(sentences)
    chunks = chunk_article(art(text), with_chunking(settings, 60, 1), enc)
    assert len(chunks) >= 3
    for prev, nxt in zip(chunks, chunks[1:]):
        last = sents(prev.text)[-1]
        assert nxt.text.startswith(last)
        assert nxt.start < prev.end  # spans overlap by exactly that sentence
        assert text[nxt.start : prev.end] == last
    no_overlap = chunk_article(art(text), with_chunking(settings, 60, 0), enc)
    for prev, nxt in zip(no_overlap, no_overlap[1:]):
        assert nxt.start >= prev.end
    # Together the non-overlapping chunks hold every sentence exactly once.
    assert "".join(c.text for c in no_overlap) == text


def test_over_long_sentence_is_cut_and_only_it(settings, enc):
    s = with_chunking(settings, 64, 1)
    long_sentence = "，".join(f"第{i}個子句描述一個很長的情況" for i in range(40)) + "。"
    text = f"開頭一句。{long_sentence}結尾一句。"
    chunks = chunk_article(art(text), s, enc)
    assert all(c.n_tokens <= 64 for c in chunks)
    joined_spans = sorted((c.start, c.end) for c in chunks)
    ls, le = text.index(long_sentence), text.index(long_sentence) + len(long_sentence)
    # Pieces of the long sentence are cut at clause commas, never inside a clause.
    for c in chunks:
        if ls < c.end <= le and c.end != le:
            assert text[c.end - 1] == "，"
    # The short sentences are never cut.
    for c in chunks:
        for short in ("開頭一句。", "結尾一句。"):
            i = text.index(short)
            assert not (c.start > i and c.start < i + len(short))
            assert not (c.end > i and c.end < i + len(short))
    assert joined_spans[0][0] == 0 and max(e for _, e in joined_spans) == len(text)


def test_over_long_clause_without_punctuation_is_cut_by_tokens(settings, enc):
    s = with_chunking(settings, 32, 0)
    blob = "甲乙丙丁戊己庚辛壬癸" * 30  # no punctuation, no spaces
    chunks = chunk_article(art(blob), s, enc)
    assert len(chunks) > 2
    assert all(0 < c.n_tokens <= 32 for c in chunks)
    assert "".join(c.text for c in chunks) == blob


def test_headings_start_chunks_and_are_recorded(settings, enc):
    s = with_chunking(settings, 200, 1)
    text = "導言一句。導言二句。\n\n服務20萬中小微企業,估值超千億\n\n第一節的內容。很短。\n\n科技公司\n\n第二節內容。"
    chunks = chunk_article(art(text), s, enc, headings={"服務20萬中小微企業,估值超千億", "科技公司"})
    assert [(c.heading, c.text) for c in chunks] == [
        ("", "導言一句。導言二句。"),
        ("服務20萬中小微企業,估值超千億", "第一節的內容。很短。"),
        ("科技公司", "第二節內容。"),
    ]
    e = embedding_text(art(text), chunks[1])
    assert e == "標題\n服務20萬中小微企業,估值超千億\n第一節的內容。很短。"
    assert embedding_text(art(text), chunks[0]) == "標題\n導言一句。導言二句。"


def test_title_is_not_in_chunk_text(settings, enc):
    text = "京東金融實現單季盈利\n\n1月11日，劉強東發出一封內部信。"
    chunks = chunk_article(art(text, title="京東金融實現單季盈利"), settings, enc)
    assert [c.text for c in chunks] == ["1月11日，劉強東發出一封內部信。"]


def test_english_budget_and_sentences(settings, enc):
    s = with_chunking(settings, 50, 1)
    a = load_jsonl(SQUAD, n=1)[0]
    for c in chunk_article(a, s, enc):
        assert c.n_tokens <= 50
        assert a.text[c.start : c.end] == c.text


def test_special_token_text_does_not_crash(settings, enc):
    chunks = chunk_article(art("模型輸出 <|endoftext|> 之後。再一句。"), settings, enc)
    assert chunks and "<|endoftext|>" in chunks[0].text
