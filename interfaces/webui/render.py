"""Safe HTML for answers, sources and articles.

Nothing that comes from an article or an answer is ever passed through as markup: every piece of text is escaped
here (``html.escape`` for HTML panels; the chat bubble, which Gradio renders as Markdown, also gets Markdown's
special characters turned into character references), and the only tags in the output are the ones written below.
"""
from __future__ import annotations

import html
import re
from typing import Any, Iterable

from articleqa.types import Answer, Article, Citation, Passage
from qa.language import LANG_NAMES

# Characters that Markdown (or Gradio's LaTeX pass) would interpret, as numeric character references.
_MD_SPECIAL = "\\`*_{}[]()#+-.!|~$:"
_MD_TABLE = {ord(c): f"&#{ord(c)};" for c in _MD_SPECIAL}
_MD_TABLE.update({ord("&"): "&amp;", ord("<"): "&lt;", ord(">"): "&gt;", ord('"'): "&quot;", ord("'"): "&#39;"})

_MARKER = re.compile(r"\[(\d{1,3}(?:\s*[,，、]\s*\d{1,3})*)\]")

CONTEXT_CHARS = 160  # characters of the passage shown on each side of a quote in the sources panel


def esc(text: Any) -> str:
    """HTML-escape for HTML panels."""
    return html.escape("" if text is None else str(text), quote=True)


def esc_md(text: Any) -> str:
    """Escape for a Markdown-rendered bubble: HTML specials and Markdown syntax both become character references."""
    return ("" if text is None else str(text)).translate(_MD_TABLE)


_MD_LIGHT_TABLE = {ord(c): f"&#{ord(c)};" for c in "\\`*_{}[]()#|~$!"}
_MD_LIGHT_TABLE.update({ord("&"): "&amp;", ord("<"): "&lt;", ord(">"): "&gt;", ord('"'): "&quot;", ord("'"): "&#39;"})


def esc_md_light(text: Any) -> str:
    """Escape for one line of a Markdown status message: no markup, links, images or emphasis; file names such as
    ``notes.txt`` stay readable in the raw text (the caller controls what starts the line)."""
    return " ".join(("" if text is None else str(text)).split()).translate(_MD_LIGHT_TABLE)


def _paragraphs_md(escaped: str) -> str:
    """Keep the answer's paragraph breaks; single newlines become <br>."""
    paras = [p.strip() for p in re.split(r"\n\s*\n", escaped) if p.strip()]
    return "\n\n".join(p.replace("\n", "<br>") for p in paras)


def _markers(text: str, known: set[int]) -> str:
    """Escape ``text`` and turn [n] markers of known citations into superscript badges."""
    out: list[str] = []
    pos = 0
    for m in _MARKER.finditer(text):
        nums = [int(x) for x in re.split(r"\s*[,，、]\s*", m.group(1))]
        if not all(n in known for n in nums):
            continue
        out.append(esc_md(text[pos:m.start()]))
        out.append("".join(f'<sup class="aq-cite">[{n}]</sup>' for n in nums))
        pos = m.end()
    out.append(esc_md(text[pos:]))
    return "".join(out)


def streaming_message(partial: str) -> str:
    """A bubble for text that is still streaming (markers are styled once the answer is complete)."""
    return _paragraphs_md(esc_md(partial)) + ' <span class="aq-cursor">▍</span>'


def answer_message(answer: Answer) -> str:
    """The chat bubble for a finished answer: text with [n] badges, a refusal banner, grounding notes."""
    known = {c.n for c in answer.citations}
    parts: list[str] = []
    if answer.refused:
        parts.append('<span class="aq-refused">Not answered: the articles do not say.</span>')
    body = _paragraphs_md(_markers(answer.text or "", known))
    if body:
        parts.append(body)
    for note in answer.notes:
        parts.append(f'<span class="aq-note">⚠ {esc_md(note)}</span>')
    meta = [f"{len(answer.citations)} source{'s' if len(answer.citations) != 1 else ''}", f"mode: {answer.mode}"]
    total = (answer.timings or {}).get("total")
    if total:
        meta.append(f"{total:.1f} s")
    parts.append('<span class="aq-meta">' + esc_md(" · ".join(meta)) + "</span>")
    return "\n\n".join(parts)


def _passage_for(c: Citation, passages: Iterable[Passage]) -> Passage | None:
    for p in passages:
        if p.chunk.id == c.chunk_id:
            return p
    return None


def _highlight(text: str, start: int, end: int, context: int | None = CONTEXT_CHARS) -> str:
    """``text`` escaped with [start, end) wrapped in <mark>; with ``context``, only that much on each side."""
    start = max(0, min(start, len(text)))
    end = max(start, min(end, len(text)))
    pre, hl, post = text[:start], text[start:end], text[end:]
    if context is not None:
        if len(pre) > context:
            pre = "…" + pre[-context:]
        if len(post) > context:
            post = post[:context] + "…"
    return f'{esc(pre)}<mark class="aq-hl">{esc(hl)}</mark>{esc(post)}'


def quote_span_in_chunk(c: Citation, p: Passage) -> tuple[int, int] | None:
    """Where the citation's quote lies inside the passage's chunk text, or None."""
    text = p.chunk.text
    s, e = c.start - p.chunk.start, c.end - p.chunk.start
    if 0 <= s < e <= len(text) and (not c.quote or text[s:e].strip() == c.quote.strip()):
        return s, e
    if c.quote:
        i = text.find(c.quote.strip())
        if i >= 0:
            return i, i + len(c.quote.strip())
    return None




def lang_badge(lang: str) -> str:
    """The evidence language of a source card ("in English"), so a cross-lingual answer shows where it read."""
    name = LANG_NAMES.get(lang or "")
    return f' <span class="aq-lang" data-lang="{esc(lang)}">in {name}</span>' if name else ""


UNDATED = "undated"


def date_badge(iso: str) -> str:
    """The publication date of a source card's article (ISO at its precision), or "undated"."""
    if iso:
        return f' <span class="aq-date">· {esc(iso)}</span>'
    return f' <span class="aq-date aq-undated">· {UNDATED}</span>'


def citation_card(c: Citation, passages: Iterable[Passage]) -> str:
    p = _passage_for(c, passages)
    if p is not None and (span := quote_span_in_chunk(c, p)) is not None:
        body = _highlight(p.chunk.text, *span)
    else:
        body = f'<mark class="aq-hl">{esc(c.quote)}</mark>'
    source = f' <span class="aq-src">· {esc(c.source)}</span>' if c.source else ""
    source += date_badge(c.date)
    return (
        f'<div class="aq-card" data-choice="c{int(c.n)}">'
        f'<div class="aq-card-head"><span class="aq-n">[{int(c.n)}]</span> '
        f'<span class="aq-title">{esc(c.title)}</span>{source}{lang_badge(p.lang if p is not None and p.lang else c.lang)}</div>'
        f'<div class="aq-quote">{body}</div></div>'
    )


def passage_card(i: int, p: Passage) -> str:
    text = p.chunk.text
    if len(text) > 2 * CONTEXT_CHARS:
        text = text[: 2 * CONTEXT_CHARS] + "…"
    source = f' <span class="aq-src">· {esc(p.source)}</span>' if p.source else ""
    source += date_badge(p.date)
    return (
        f'<div class="aq-card aq-related" data-choice="p{int(i)}">'
        f'<div class="aq-card-head"><span class="aq-n">{i}.</span> <span class="aq-title">{esc(p.title)}</span>'
        f'{source}{lang_badge(p.lang)} <span class="aq-score">score {p.score:.2f}</span></div>'
        f'<div class="aq-quote">{esc(text)}</div></div>'
    )


EMPTY_SOURCES = '<div class="aq-sources aq-empty">Sources for the latest answer appear here.</div>'


def sources_panel(answer: Answer | None) -> str:
    """Every cited passage with its supporting span highlighted; for a refusal, the closest passages as related."""
    if answer is None:
        return EMPTY_SOURCES
    parts = ['<div class="aq-sources">']
    if answer.citations:
        parts.append(f'<div class="aq-h">Sources ({len(answer.citations)})</div>')
        parts.extend(citation_card(c, answer.passages) for c in sorted(answer.citations, key=lambda c: c.n))
    elif answer.passages:
        label = "not cited: the answer was refused" if answer.refused else "not cited"
        parts.append(f'<div class="aq-h">Related passages ({esc(label)})</div>')
        parts.extend(passage_card(i, p) for i, p in enumerate(answer.passages, 1))
    else:
        parts.append('<div class="aq-empty">No passages were retrieved.</div>')
    parts.append("</div>")
    return "".join(parts)


def source_choices(answer: Answer | None) -> list[tuple[str, str]]:
    """(label, value) pairs for the "open a source" selector: citations, or related passages for a refusal."""
    if answer is None:
        return []
    if answer.citations:
        return [(f"[{c.n}] {c.title} ({c.date or UNDATED})", f"c{c.n}")
                for c in sorted(answer.citations, key=lambda c: c.n)]
    return [(f"{i}. {p.title} ({p.date or UNDATED})", f"p{i}") for i, p in enumerate(answer.passages, 1)]


def resolve_choice(answer: Answer, value: str) -> tuple[str, int, int] | None:
    """(article_id, start, end) for a value from `source_choices`."""
    if not value:
        return None
    kind, num = value[0], value[1:]
    if not num.isdigit():
        return None
    n = int(num)
    if kind == "c":
        for c in answer.citations:
            if c.n == n:
                return c.article_id, c.start, c.end
    elif kind == "p" and 1 <= n <= len(answer.passages):
        ch = answer.passages[n - 1].chunk
        return ch.article_id, ch.start, ch.end
    return None


def article_view(article: Article | None, start: int = 0, end: int = 0) -> str:
    """The whole cleaned article, the cited span marked with id ``aq-target`` (the page scrolls to it)."""
    if article is None:
        return '<div class="aq-article aq-empty">Choose a source to read the whole article.</div>'
    meta = " · ".join(esc(x) for x in (article.source, article.date or UNDATED, article.author) if x)
    link = ""
    if article.url and re.match(r"^https?://", article.url, re.I):
        link = f' · <a href="{esc(article.url)}" target="_blank" rel="noopener noreferrer nofollow">original</a>'
    text = article.text
    if 0 <= start < end <= len(text):
        body = (f'{esc(text[:start])}<mark class="aq-hl" id="aq-target">{esc(text[start:end])}</mark>'
                f'{esc(text[end:])}')
    else:
        body = esc(text)
    return (
        f'<div class="aq-article"><div class="aq-article-title">{esc(article.title)}</div>'
        f'<div class="aq-article-meta">{meta}{link}</div>'
        f'<div class="aq-article-body">{body}</div></div>'
    )


def answer_json(answer: Answer) -> dict[str, Any]:
    """What the `ask` API endpoint returns."""
    return {
        "question": answer.question,
        "answer": answer.text,
        "refused": answer.refused,
        "mode": answer.mode,
        "as_of": answer.as_of or None,
        "notes": list(answer.notes),
        "citations": [c.to_dict() for c in answer.citations],
        "passages": [
            {"title": p.title, "source": p.source, "article_id": p.chunk.article_id, "chunk_id": p.chunk.id,
             "text": p.chunk.text, "start": p.chunk.start, "end": p.chunk.end, "score": p.score,
             "date": p.date}
            for p in answer.passages
        ],
        "timings": dict(answer.timings),
    }
