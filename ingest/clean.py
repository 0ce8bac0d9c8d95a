"""Turn a scraped page (HTML, a text dump with stray tags, or Markdown) into an article: metadata + body paragraphs.

One line-oriented core does the work for every input kind:

1. the input becomes lines (HTML: the text of the article container found by :mod:`ingest.clean_html`, weighed
   against trafilatura's main text; text: stray markup stripped; Markdown: syntax stripped, ``#`` headings kept
   as headings);
2. each line is classified as metadata (byline, source, issue note, date: parsed, then removed), page furniture
   (see :mod:`ingest.junk`) or text;
3. the page's header (everything above the title: banners, menus, breadcrumbs), footer (after a final
   separator, when only furniture follows it) and comment board (after its heading, past the middle) are dropped;
4. the text lines become paragraphs; short unpunctuated lines followed by a longer paragraph are section
   headings, kept in the body as their own paragraphs and listed in ``headings``.

``CleanResult.dropped`` records what was removed and why, so ``articleqa clean FILE`` can show it.
Markup never survives: scripts, styles and every tag are removed, and entity-escaped tags are stripped again
after unescaping, so the body never contains an executable tag. Nothing a user feeds in raises: control
characters go first, and the HTML cleaner falls back to trafilatura, then to plain text.
"""
from __future__ import annotations

import html as htmllib
import re
from dataclasses import asdict, dataclass, field
from typing import Literal

from articleqa.settings import CleanSettings
from ingest import junk

Kind = Literal["html", "text", "markdown"]

MAX_TITLE_CHARS_CJK = 60
MAX_TITLE_CHARS = 160
MAX_HEADING_CHARS_CJK = 40
MAX_HEADING_WORDS = 14


@dataclass
class CleanResult:
    title: str = ""
    author: str = ""
    date: str = ""  # a date, or an issue such as "2018年第5期"
    source: str = ""
    url: str = ""
    headings: list[str] = field(default_factory=list)
    paragraphs: list[str] = field(default_factory=list)
    dropped: list[tuple[str, str]] = field(default_factory=list)  # (why, text)
    extractor: str = ""  # text | markdown | dom | dom+trafilatura | trafilatura | ... (fallback)

    @property
    def body(self) -> str:
        return "\n\n".join(self.paragraphs)

    def heading_offsets(self) -> list[tuple[int, str]]:
        """(character offset in ``body``, heading) for each heading paragraph, in order."""
        out, pos, heads = [], 0, set(self.headings)
        for p in self.paragraphs:
            if p in heads:
                out.append((pos, p))
            pos += len(p) + 2
        return out

    def to_dict(self) -> dict:
        d = asdict(self)
        d["body"] = self.body
        d["dropped"] = [{"why": w, "text": t} for w, t in self.dropped]
        return d


# C0/C1 control characters (tab and line breaks kept), lone surrogates and non-characters: no page means them,
# and lxml refuses them in element text.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")


def _clean_text(raw: str, cfg: CleanSettings) -> CleanResult:
    text, removed = strip_markup(raw) if _has_markup(raw) else (raw, [])
    res = _clean_lines(_to_lines(text), cfg)
    res.dropped[:0] = removed
    res.extractor = "text"
    return res


def _sanitize(res: CleanResult) -> CleanResult:
    """Last guard: no tag survives in any field, even one a page wrote as escaped text (``&lt;script&gt;``)."""
    def clean(s: str) -> str:
        return _norm(strip_markup(s)[0]) if "<" in s or "&" in s else s

    paras, heads = [], []
    for p in res.paragraphs:
        c = clean(p)
        if c:
            paras.append(c)
            if p in res.headings:
                heads.append(c)
        else:
            res.dropped.append(("markup", p))
    res.paragraphs, res.headings = paras, heads
    for name in ("title", "author", "date", "source"):
        setattr(res, name, clean(getattr(res, name)))
    return res


# --- markup ---------------------------------------------------------------------------------------------------

_TAG = re.compile(r"</?[A-Za-z][A-Za-z0-9:-]*(?:\s[^<>]*)?/?>|<![A-Za-z][^<>]*>|<\?[^<>]*\?>")
_COMMENT = re.compile(r"<!--.*?(?:-->|$)", re.S)
_RAW_BLOCK = re.compile(
    r"<(script|style|noscript|template|iframe|object|embed|svg|math|textarea|select|head)\b[^>]*>.*?(?:</\1\s*>|$)",
    re.S | re.I,
)
_LOOSE_OPEN = re.compile(r"<(script|style|iframe|object|embed)\b[^>]*>", re.I)
_MARKUP_HINT = re.compile(r"</?[A-Za-z][A-Za-z0-9]*(?:\s[^<>]*)?/?>|&(?:#\d+|#x[0-9a-f]+|[a-z]{2,8});", re.I)
_BLOCK_TAG = re.compile(
    r"</?(p|div|br|li|ul|ol|h[1-6]|tr|table|section|article|header|footer|blockquote|pre|dd|dt|hr)\b[^>]*>", re.I
)


def _has_markup(text: str) -> bool:
    return bool(_MARKUP_HINT.search(text))


def strip_markup(text: str) -> tuple[str, list[tuple[str, str]]]:
    """Remove tags, scripts, styles and comments from text that holds HTML fragments; unescape entities.

    Entity-escaped markup (``&lt;script&gt;``) is stripped again after unescaping, so no tag survives.
    """
    removed: list[tuple[str, str]] = []
    for _ in range(3):
        before = text
        text = _COMMENT.sub("", text)
        for m in _RAW_BLOCK.finditer(text):
            removed.append(("markup", m.group(0)[:80]))
        text = _RAW_BLOCK.sub("", text)
        text = _LOOSE_OPEN.sub("", text)
        text = _BLOCK_TAG.sub("\n", text)
        text = _TAG.sub("", text)
        text = htmllib.unescape(text)
        if text == before:
            break
    # anything that still looks like a tag opener after unescaping loses its bracket
    text = re.sub(r"<(?=[A-Za-z/!?])", "‹", text)
    return text, removed


# --- lines ----------------------------------------------------------------------------------------------------

@dataclass
class _Line:
    text: str
    block: int
    role: str = ""  # "title" | "heading" | "" (from markup) ; "meta" | junk kind | "text" after classifying
    meta: junk.Meta | None = None
    bullet: bool = False  # the line started with a list bullet: an item of its own, never a continuation


_BULLET = re.compile(r"^[•●▪◦‣]\s*")
_SPACES = re.compile(r"[ \t\u00a0\u2000-\u200b\u3000\ufeff]+")
_ZERO_WIDTH = re.compile(r"[\u200b-\u200f\u2060\ufeff]")
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_QUOTE_START = "“「『\"‘'《〈"
_NO_TITLE_END = "。．.;；,，、:："
_CONT_END = set(junk.SENTENCE_END) | set("”」』\"'）)")


def _to_lines(text: str, roles: dict[int, str] | None = None) -> list[_Line]:
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _ZERO_WIDTH.sub("", text)
    lines, block, prev_blank = [], 0, True
    for i, raw in enumerate(text.split("\n")):
        s0 = raw.replace("\u00a0", " ").strip()
        s = _BULLET.sub("", s0).strip()
        if not s:
            if not prev_blank:
                block += 1
            prev_blank = True
            continue
        prev_blank = False
        lines.append(_Line(s, block, (roles or {}).get(i, ""), bullet=len(s) < len(s0)))
    return lines


def _norm(s: str) -> str:
    return _SPACES.sub(" ", s).strip()


def _is_cjk(s: str) -> bool:
    return len(_CJK.findall(s)) * 3 >= len(s.replace(" ", ""))


def _title_like(s: str) -> bool:
    s = s.strip()
    if len(s) < 2 or s[0] in _QUOTE_START or s[-1] in _NO_TITLE_END:
        return False
    return len(s) <= (MAX_TITLE_CHARS_CJK if _is_cjk(s) else MAX_TITLE_CHARS)


def _heading_like(s: str) -> bool:
    s = s.strip()
    if len(s) < 2 or s[-1] in _CONT_END or s[-1] in "，,、:：" or s[0] in _QUOTE_START:
        return False
    if _is_cjk(s):
        return len(s) <= MAX_HEADING_CHARS_CJK
    return len(s.split()) <= MAX_HEADING_WORDS and not s.endswith(",")


def _classify(lines: list[_Line]) -> None:
    for ln in lines:
        if ln.role in ("title", "links"):
            continue
        if ln.role == "heading":  # a heading in the markup can still be furniture ("Comments (3)", a caption)
            ln.role = junk.junk_kind(ln.text) or "heading"
            continue
        meta = junk.parse_meta_line(ln.text)
        if meta is not None:
            ln.role, ln.meta = "meta", meta
            continue
        kind = junk.junk_kind(ln.text)
        ln.role = kind or "text"


def _find_title(lines: list[_Line], title_hint: str) -> int | None:
    if any(ln.role == "title" for ln in lines):
        return next(i for i, ln in enumerate(lines) if ln.role == "title")
    if title_hint:
        want = _norm(title_hint)
        for i, ln in enumerate(lines[:60]):
            if _norm(ln.text) == want:
                return i
    top = lines[:40]
    crumbs = [i for i, ln in enumerate(top) if ln.role == "breadcrumb"]
    if crumbs:
        for i in range(crumbs[0] + 1, len(top)):
            ln = top[i]
            if ln.role in ("text", "heading") and _title_like(ln.text):
                return i
            if ln.role in ("text", "heading"):
                break
    metas = [i for i, ln in enumerate(top) if ln.role == "meta" and set(ln.meta.kinds) & {"byline", "source_line", "issue_note"}]
    if metas:
        for i in range(metas[0] - 1, -1, -1):
            ln = top[i]
            if ln.role in ("text", "heading") and _title_like(ln.text):
                return i
            if ln.role not in ("text", "heading", "meta", "separator"):
                break
        # byline first, title after it: the first text line after the metadata block
        j = metas[0]
        while j < len(top) and top[j].role in ("meta", "separator", "label"):
            j += 1
        if j + 1 < len(lines) and top[j].role in ("text", "heading") and _title_like(top[j].text):
            if len(lines[j + 1].text) > len(top[j].text):
                return j
    # a plain file: the first line is its title when it is short and text follows
    first = next((i for i, ln in enumerate(top) if ln.role in ("text", "heading")), None)
    if first is not None and _title_like(lines[first].text) and lines[first].role != "heading":
        rest = [ln for ln in lines[first + 1 :] if ln.role == "text"]
        if rest and max(len(ln.text) for ln in rest) > len(lines[first].text):
            return first
    return None


def _clean_lines(
    lines: list[_Line], cfg: CleanSettings, title_hint: str = "", drop_header: bool = True,
    meta: junk.Meta | None = None, find_title: bool = True,
) -> CleanResult:
    res = CleanResult()
    meta = meta or junk.Meta()
    _classify(lines)
    keep = [True] * len(lines)

    def drop(i: int, why: str) -> None:
        if keep[i]:
            keep[i] = False
            res.dropped.append((why, lines[i].text))

    ti = _find_title(lines, title_hint) if find_title else None
    if ti is not None:
        res.title = _norm(lines[ti].text)
        drop(ti, "title")
        if drop_header:
            for i in range(ti):
                if lines[i].role == "meta":
                    meta.merge(lines[i].meta)
                drop(i, "header" if lines[i].role in ("text", "heading") else lines[i].role)
    elif title_hint:
        res.title = _norm(title_hint)

    # footer: after the last separator, when what follows is (nearly) all furniture
    seps = [i for i, ln in enumerate(lines) if ln.role == "separator" and keep[i]]
    if seps:
        s = seps[-1]
        before = sum(len(ln.text) for ln, k in zip(lines[:s], keep) if k and ln.role == "text")
        after = sum(len(ln.text) for ln in lines[s + 1 :] if ln.role == "text")
        if after <= 300 and after <= 0.15 * max(before, 1):
            for i in range(s, len(lines)):
                if lines[i].role == "meta":
                    meta.merge(lines[i].meta)
                drop(i, "footer" if lines[i].role == "text" else lines[i].role)

    _drop_comment_board(lines, keep, drop, cfg.comment_board_after)
    for i, ln in enumerate(lines):
        if not keep[i]:
            continue
        if ln.role == "meta":
            meta.merge(ln.meta)
            drop(i, "+".join(ln.meta.kinds))
        elif ln.role not in ("text", "heading"):
            drop(i, ln.role)

    # trailing crumbs: very short unpunctuated lines at the very end (counters, widget labels)
    for i in range(len(lines) - 1, -1, -1):
        if not keep[i]:
            continue
        t = lines[i].text
        if len(t) <= 8 and t[-1] not in _CONT_END and lines[i].role != "heading":
            drop(i, "trailing")
            continue
        break

    paragraphs, headings = _paragraphs([ln for ln, k in zip(lines, keep) if k])
    res.paragraphs, res.headings = paragraphs, headings
    res.author, res.source, res.date = meta.author, meta.source, meta.date
    return res


def _drop_comment_board(lines: list[_Line], keep: list[bool], drop, after: float) -> None:
    """A comment board's heading ("热门评论", "Comments (12)") past ``after`` (a share) of the text: it and
    everything after it go (table layouts put each comment in its own box, out of reach of the markup rules)."""
    sizes = [len(ln.text) if k and ln.role in ("text", "heading") else 0 for ln, k in zip(lines, keep)]
    total, seen = sum(sizes) or 1, 0
    for i, ln in enumerate(lines):
        if keep[i] and seen >= after * total and junk.is_comment_label(ln.text):
            for j in range(i, len(lines)):
                drop(j, "comment board")
            return
        seen += sizes[i]


def _join(a: str, b: str) -> str:
    if a and b and a[-1].isascii() and a[-1].isalnum() and b[0].isascii():
        return a + " " + b
    if a and b and (a[-1] in ",;:" or b[0].isascii() and a[-1].isascii()):
        return a + " " + b
    return a + b


def _paragraphs(lines: list[_Line]) -> tuple[list[str], list[str]]:
    """Group lines into paragraphs (hard-wrapped lines of one block are joined) and mark headings."""
    paras: list[tuple[str, str]] = []  # (text, role)
    cur, cur_block = "", None
    for ln in lines:
        t = _norm(ln.text)
        cont = (
            cur
            and ln.block == cur_block
            and ln.role == "text"
            and not ln.bullet
            and len(cur) >= 30
            and cur[-1] not in _CONT_END
        )
        if cont:
            cur = _join(cur, t)
            continue
        if cur:
            paras.append((cur, "text"))
        if ln.role == "heading":
            paras.append((t, "heading"))
            cur, cur_block = "", None
        else:
            cur, cur_block = t, ln.block
    if cur:
        paras.append((cur, "text"))

    out, heads = [], []
    for i, (t, role) in enumerate(paras):
        if role != "heading" and i + 1 < len(paras):
            nxt = paras[i + 1][0]
            # a short unpunctuated line before a longer paragraph (the first one only if clearly shorter)
            shorter = len(nxt) > (2 if i == 0 else 1) * len(t)
            if _heading_like(t) and shorter and paras[i + 1][1] != "heading" and (i > 0 or len(paras) > 2):
                role = "heading"
        out.append(t)
        if role == "heading":
            heads.append(t)
    return out, heads


# --- Markdown -------------------------------------------------------------------------------------------------

_FRONT = re.compile(r"\A---\s*\n(.*?)\n(?:---|\.\.\.)\s*\n", re.S)
_ATX = re.compile(r"^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$")
_SETEXT = re.compile(r"^\s{0,3}(=+|-+)\s*$")
_FENCE = re.compile(r"^\s{0,3}(```|~~~)")
_LINKDEF = re.compile(r"^\s{0,3}\[[^\]]+\]:\s*\S+.*$")
_HR = re.compile(r"^\s{0,3}([-*_])(\s*\1){2,}\s*$")


def _md_inline(s: str) -> str:
    s = re.sub(r"!\[([^\]]*)\]\([^)]*\)", "", s)
    s = re.sub(r"!\[([^\]]*)\]\[[^\]]*\]", "", s)
    s = re.sub(r"\[([^\]]+)\]\([^)]*\)", r"\1", s)
    s = re.sub(r"\[([^\]]+)\]\[[^\]]*\]", r"\1", s)
    s = re.sub(r"<(https?://[^>]+)>", r"\1", s)
    s = re.sub(r"`([^`]+)`", r"\1", s)
    s = re.sub(r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1", r"\2", s)
    s = re.sub(r"(?<![\w*])\*(?=\S)(.+?)(?<=\S)\*(?!\w)", r"\1", s)
    s = re.sub(r"(?<![\w_])_(?=\S)(.+?)(?<=\S)_(?![\w])", r"\1", s)
    s = re.sub(r"~~(.+?)~~", r"\1", s)
    return s


def _clean_markdown(raw: str, cfg: CleanSettings) -> CleanResult:
    text = raw.replace("\r\n", "\n").replace("\r", "\n").lstrip("\ufeff")
    fm: dict[str, str] = {}
    m = _FRONT.match(text)
    if m:
        for line in m.group(1).splitlines():
            if ":" in line:
                k, v = line.split(":", 1)
                fm[k.strip().lower()] = v.strip().strip("\"'")
        text = text[m.end():]
    if _has_markup(text):
        text, removed = strip_markup(text)
    else:
        removed = []
    out: list[str] = []
    roles: dict[int, str] = {}
    title = fm.get("title", "")
    in_fence = False
    src = text.split("\n")
    for i, line in enumerate(src):
        if _FENCE.match(line):
            in_fence = not in_fence
            out.append("")
            continue
        if in_fence:
            out.append(line)
            continue
        h = _ATX.match(line)
        if h:
            out.append(_md_inline(h.group(2)))
            level = len(h.group(1))
            if level == 1 and not title:
                title = out[-1].strip()
                roles[len(out) - 1] = "title"
            else:
                roles[len(out) - 1] = "heading"
            out.append("")
            continue
        if _SETEXT.match(line) and out and out[-1].strip() and i > 0 and src[i - 1].strip():
            if line.strip().startswith("=") and not title:
                title = out[-1].strip()
                roles[len(out) - 1] = "title"
            else:
                roles[len(out) - 1] = "heading"
            out.append("")
            continue
        if _HR.match(line):
            out.append("----------")
            continue
        if _LINKDEF.match(line):
            continue
        line = re.sub(r"^\s{0,3}>\s?", "", line)
        line = re.sub(r"^\s*([-*+]|\d+[.)])\s+", "", line)
        out.append(_md_inline(line))
    lines = _to_lines("\n".join(out), roles)
    meta = junk.Meta(author=fm.get("author", ""), source=fm.get("source", ""), date=str(fm.get("date", "")))
    res = _clean_lines(lines, cfg, title_hint=title if not any(ln.role == "title" for ln in lines) else "",
                       drop_header=not fm and "title" not in roles.values(), meta=meta)
    if not res.title:
        res.title = title
    res.url = fm.get("url", "")
    res.dropped[:0] = removed
    res.extractor = "markdown"
    return res
