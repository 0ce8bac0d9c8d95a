"""Questions about the article itself (author, reporter, source, date, title), answered from the article's fields
and cited to the paragraph that holds them (the byline, usually)."""
from __future__ import annotations

import re
from typing import Callable

from articleqa.text import normalize_for_match
from articleqa.types import Answer, Article, Chunk, Citation, Passage
from qa.citations import make_citation, split_sentences
from qa.language import message, to_answer_script

# Compared after Simplified conversion and lower-casing.
_FIELDS: list[tuple[str, re.Pattern]] = [
    ("author", re.compile(r"作者|记者|撰稿|撰写|执笔|谁写|写的|写了这篇|报道者|\bwho wrote\b|\bauthor\b|\breporter\b|"
                          r"\bwritten by\b|\bwho reported\b")),
    ("source", re.compile(r"来源|出处|哪家媒体|哪个媒体|哪份|什么媒体|刊物|刊登在|发表在|刊发在|\bwhich (?:publication|"
                          r"newspaper|magazine|outlet)\b|\bsource\b|\bpublished (?:in|by)\b")),
    ("date", re.compile(r"什么时候发表|何时发表|哪天发表|发表(?:的)?(?:日期|时间)|发布(?:日期|时间)|刊发(?:日期|时间)|"
                        r"哪一期|\bwhen was (?:this|the) (?:article|story|piece|report)\b|\bpublication date\b")),
    ("title", re.compile(r"标题|题目|题为|\btitle\b|\bheadline\b")),
]
_ARTICLE_REF = re.compile(r"这篇|本文|该文|此文|文章|报道|\b(?:this|the) (?:article|story|piece|report)\b")
_FILLER = re.compile(r"这篇|本文|该文|此文|文章|报道|的|是|谁|什么|哪|个|家|份|吗|呢|[?？!。.,，\s]|\b(?:who|what|is|was|"
                     r"the|this|of|article|story|piece|report|which|in|when|by)\b")
_LABELS = {"author": ("作者", "作者", "author"), "source": ("來源", "来源", "source"),
           "date": ("日期", "日期", "date"), "title": ("標題", "标题", "title")}


def metadata_field(question: str) -> str | None:
    """The field a question about the article itself asks for, or None: the question names the field and either
    refers to the article ("這篇文章", "this article") or says nothing else ("作者是誰?")."""
    q = normalize_for_match(question)
    for name, pat in _FIELDS:
        m = pat.search(q)
        if m is None:
            continue
        rest = _FILLER.sub("", pat.sub("", q))
        if _ARTICLE_REF.search(q) or not rest:
            return name
    return None


def _locate(value: str, article: Article, chunks: list[Chunk]) -> tuple[Chunk, int, int] | None:
    """The chunk and the span (in its text) of the sentence that holds ``value``, first occurrence."""
    for ch in sorted(chunks, key=lambda c: c.ordinal):
        i = ch.text.find(value)
        if i < 0:
            continue
        for s in split_sentences(ch.text):
            if s.start <= i < s.end:
                return ch, s.start, s.end
        return ch, i, i + len(value)
    return None


_BYLINE_DATE = re.compile(r"(?:^|\|\s*)(?:日期|Date)\s*[:：]\s*([^|\n]+?)\s*(?:\||$)", re.M)


def _written_date(text: str) -> str:
    """The date in the article's byline paragraph (``日期:2018年第5期``, see ingest.loaders.byline_paragraph)."""
    m = _BYLINE_DATE.search(text.split("\n\n", 1)[0])
    return m.group(1) if m else ""


def metadata_answer(question: str, lang: str, passages: list[Passage], mode: str,
                    get_article: Callable[[str], Article | None],
                    chunks_of: Callable[[str], list[Chunk]]) -> Answer | None:
    """The field's value from the best passage's article, cited to where it appears; None when the question is
    not about the article, the field is empty, or its value is nowhere in the article's text."""
    name = metadata_field(question)
    if name is None or not passages:
        return None
    article = get_article(passages[0].chunk.article_id)
    if article is None:
        return None
    value = (getattr(article, name, "") or "").strip()
    if name == "date":  # the date as the page wrote it (2018年第5期), where its byline holds one; else the ISO date
        value = _written_date(article.text) or value
    found = _locate(value, article, chunks_of(article.id)) if value else None
    if found is None:
        return None
    chunk, start, end = found
    passage = Passage(chunk=chunk, title=article.title, source=article.source)
    cite: Citation = make_citation(1, passage, start, end)
    span = to_answer_script(value, lang, cite.quote if value in cite.quote else None)
    label = _LABELS[name][{"zh-Hant": 0, "zh-Hans": 1}.get(lang, 2)]
    quote = to_answer_script(cite.quote, lang) if lang.startswith("zh") else cite.quote
    text = f"{span}[1]\n「{quote}」" if lang.startswith("zh") else f"{span} [1]\n\u201c{quote}\u201d"
    return Answer(question=question, text=text, citations=[cite], refused=False, mode=mode,
                  notes=[message("note_metadata", lang, field=label)], passages=[passage, *passages],
                  lang=lang, short_answer=span)
