"""HTML pages -> :class:`ingest.clean.CleanResult`.

1. The page is parsed (control characters, XML declarations and stray raw-text tags removed first); scripts,
   styles, navigation and forms without text are removed.
2. The article container is the element whose text looks most like a body (:mod:`ingest.page_candidates`);
   everything outside it is dropped. Inside it (:mod:`ingest.html_furniture`), elements whose class/id sounds
   like furniture are dropped only when they hold little of the body (class names are weak evidence), then
   boxes headed "Related news" or "Comments", teaser lists and link-heavy blocks.
3. The container's text becomes lines for the line cleaner of :mod:`ingest.clean` (metadata, junk lines).
4. trafilatura's main text is a second candidate: paragraphs it rejects are dropped when both mostly agree, and
   its text is used when ours is empty, or holds far less prose and mostly disagrees with it.

:func:`clean_html` never raises: when our extractor fails it falls back to trafilatura, then to plain text, and
says so in ``extractor`` and ``dropped``.
"""
from __future__ import annotations

import re

from articleqa.settings import CleanSettings
from ingest import junk
from ingest.clean import _CONTROL, CleanResult, _clean_lines, _Line, _norm, _to_lines, strip_markup
from ingest.html_furniture import (
    _BLOCKS, _attached, _drop_link_blocks, _drop_named_furniture, _drop_sections, _drop_teaser_lists,
)
from ingest.page_candidates import best_container

_STRAY = re.compile(r"</?(xmp|noframes|noembed|plaintext|listing)\b[^>]*>", re.I)
_XML_DECL = re.compile(r"<\?xml[^>]*>|^\ufeff", re.I)
_DROP_TAGS = [
    "script", "style", "noscript", "template", "iframe", "object", "embed", "svg", "math", "canvas", "form",
    "button", "input", "select", "textarea", "nav", "aside", "footer", "head", "figcaption", "audio", "video",
]
_HTML_WS = re.compile(r"[ \t\n\r\f]+")
_PAGE_META = {
    "author", "article:author", "og:title", "og:site_name", "og:url", "article:published_time", "pubdate", "date",
    "publishdate", "dc.date", "dc.creator", "dc.publisher",
}
_INLINE = {"span", "a", "time", "em", "i", "b", "strong", "small", "font", "cite", "abbr", "label"}
_NOSPACE = re.compile(r"\s+")


def clean_html(html: str, cfg: CleanSettings | None = None) -> CleanResult:
    """Clean one HTML page; never raises (falls back to trafilatura, then to plain text). ``cfg`` None = the
    default settings."""
    cfg = cfg if cfg is not None else CleanSettings()
    try:
        res = _clean_ours(html, cfg)
        return res if res.paragraphs else _plain_if_prose(html, res, cfg)
    except Exception as e:  # noqa: BLE001 - any failure of ours falls back, with the reason kept
        why = _reason(e)
    try:
        res = _clean_trafilatura_only(html, cfg)
        if res.paragraphs:
            res.extractor = "trafilatura (fallback)"
            res.dropped.insert(0, ("fallback: dom extractor failed", why))
            return res
        why2 = "trafilatura found no text"
    except Exception as e:  # noqa: BLE001
        why2 = _reason(e)
    res = clean_plain(html, cfg)
    res.dropped[:0] = [("fallback: dom extractor failed", why), ("fallback: trafilatura failed", why2)]
    return res


def _plain_if_prose(html: str, res: CleanResult, cfg: CleanSettings) -> CleanResult:
    """Neither extractor found an article: the page's plain text when it holds prose (lxml silently drops text
    nested deeper than it parses), else the empty result."""
    plain = clean_plain(html, cfg)
    if _body_chars(plain.paragraphs) < cfg.plain_fallback_chars:
        return res
    plain.dropped.insert(0, ("fallback: no article in the parsed markup", "plain text used"))
    return plain


def _reason(e: BaseException) -> str:
    return f"{type(e).__name__}: {e}"[:200]


def clean_plain(html: str, cfg: CleanSettings | None = None) -> CleanResult:
    """Last resort: the page's text with every tag stripped, split into lines. ``cfg`` None = the defaults."""
    cfg = cfg if cfg is not None else CleanSettings()
    text = ""
    try:
        text = strip_markup(_prepare(html))[0]
        res = _clean_lines(_to_lines(text), cfg, drop_header=False, find_title=False)
    except Exception as e:  # noqa: BLE001
        paras = [_norm(p) for p in re.split(r"\n\s*\n", text or re.sub(r"<[^>]*>", " ", html)) if _norm(p)]
        res = CleanResult(paragraphs=[p.replace("<", "‹") for p in paras])
        res.dropped.append(("fallback: line cleaner failed", _reason(e)))
    res.extractor = "plain (fallback)"
    return res


def _prepare(html: str) -> str:
    return _STRAY.sub("", _XML_DECL.sub("", html))


# --- parsing ----------------------------------------------------------------------------------------------------

def _parse(html: str, cfg: CleanSettings):
    """(document, page metadata), scripts, styles, navigation and text-less forms removed. An empty page or one
    of only comments is an empty document."""
    import lxml.etree
    import lxml.html

    html = _prepare(html)
    if not html.strip():
        html = "<html><body></body></html>"  # lxml refuses an empty document; an empty page is just empty
    try:
        doc = lxml.html.document_fromstring(html)
    except ValueError:  # an encoding declaration lxml still sees (mangled): parse the UTF-8 bytes instead
        doc = _parse_bytes(html)
    except lxml.etree.ParserError:  # only comments or declarations: no document
        doc = lxml.html.document_fromstring("<html><body></body></html>")
    _scrub_controls(doc)
    page: dict[str, str] = {}
    for m in doc.iter("meta"):
        key = (m.get("name") or m.get("property") or "").lower()
        val = (m.get("content") or "").strip()
        if val and key in _PAGE_META:
            page.setdefault(key, val)
    t = doc.find(".//title")
    if t is not None and t.text_content().strip():
        page["title"] = _norm(t.text_content())
    for link in doc.iter("link"):
        if (link.get("rel") or "").lower() == "canonical" and link.get("href"):
            page["url"] = link.get("href")
    for el in list(doc.iter(*_DROP_TAGS)):
        if el.getparent() is None or (el.tag == "form" and len(el.text_content()) > cfg.form_keep_chars):
            continue
        el.drop_tree()
    return doc, page


def _parse_bytes(html: str):
    import lxml.etree
    import lxml.html

    try:
        return lxml.html.document_fromstring(html.encode("utf-8", "replace"),
                                             parser=lxml.html.HTMLParser(encoding="utf-8"))
    except lxml.etree.ParserError:
        return lxml.html.document_fromstring("<html><body></body></html>")


def _scrub_controls(doc) -> None:
    """Entities such as ``&#1;`` put control characters back after parsing; lxml refuses them whenever text is
    re-assigned (``drop_tree`` does), so they go now."""
    for el in doc.iter():
        if el.text and _CONTROL.search(el.text):
            el.text = _CONTROL.sub(" ", el.text)
        if el.tail and _CONTROL.search(el.tail):
            el.tail = _CONTROL.sub(" ", el.tail)


def _title_of(doc, root, page: dict[str, str]):
    """(title element, whether it is inside the container): the longest h1-h3 that the page's own title
    (og:title or <title>) contains, else the first h1 in the container, else the first h1 of the page."""
    want = _norm(page.get("og:title") or page.get("title") or "")
    short = _split_title(want)
    best = None
    for e in doc.iter("h1", "h2", "h3"):
        t = _norm(e.text_content())
        if len(t) >= 4 and t in want and len(t) >= 0.5 * len(short):
            if best is None or len(t) > len(_norm(best.text_content())):
                best = e
    if best is None:
        inside = [e for e in root.iter("h1") if e.text_content().strip()]
        h1s = inside or [e for e in doc.iter("h1") if e.text_content().strip()]
        best = h1s[0] if h1s else None
    return best, best is not None and _attached(best, root)


# --- the container and the furniture inside it ------------------------------------------------------------------

def _article_root(doc, page: dict[str, str], removed: list[tuple[str, str]], cfg: CleanSettings):
    """The best-scoring container and the scores of every element."""
    body = doc.find("body")
    body = body if body is not None else doc
    cand = best_container(doc, _title_of(doc, body, page)[0], cfg)
    if cand is None:
        return body, {}
    root = cand.el
    if root is not body and root is not doc:
        total = _norm(body.text_content())
        kept = _norm(root.text_content())
        if len(total) > len(kept):
            removed.append(("outside article container", f"<{root.tag} class={root.get('class') or ''}> kept; "
                                                         f"{len(total) - len(kept)} chars around it dropped"))
    return root, cand.scores


def _is_info_bar(el) -> bool:
    """A short block made only of inline pieces (`<span>記者 X</span> <span>2017-07-15</span> <a>评论</a>`):
    its pieces are separate fields, so each goes on its own line for the byline/date parser."""
    kids = [c for c in el if isinstance(c.tag, str)]
    if len(kids) < 2 or any(c.tag not in _INLINE for c in kids) or (el.text or "").strip():
        return False
    if any((c.tail or "").strip() for c in kids):
        return False
    return len(el.text_content()) <= 200


# --- lines --------------------------------------------------------------------------------------------------

def _root_lines(root, h1_text: str) -> list[_Line]:
    """The container's visible text as lines, headings and the title marked, lone link lines marked."""
    heads = {_norm(e.text_content()) for e in root.iter("h2", "h3", "h4", "h5", "h6") if e.text_content().strip()}
    anchors = {_norm(a.text_content()) for a in root.iter("a")}
    _layout_text(root)
    lines = _to_lines(root.text_content())
    titled = False
    for ln in lines:
        t = _norm(ln.text)
        if h1_text and t == h1_text and not titled:
            ln.role, titled = "title", True
        elif t in heads:
            ln.role = "heading"
        elif t in anchors and len(t) >= 4 and t[-1] not in junk.SENTENCE_END:
            ln.role = "links"
    return lines


def _title_near_top(lines: list[_Line], top_share: float) -> bool:
    total = sum(len(ln.text) for ln in lines) or 1
    before = 0
    for ln in lines:
        if ln.role == "title":
            return before <= top_share * total
        before += len(ln.text)
    return False


def _layout_text(root) -> None:
    """HTML white space collapses to one space (except in <pre>); blocks and <br> become line breaks."""
    pre = {e for p in root.iter("pre", "textarea") for e in p.iter()}
    for el in root.iter():  # entities (&#1;) can put control characters back, which lxml refuses on assignment
        if el not in pre:
            if el.text:
                el.text = _HTML_WS.sub(" ", _CONTROL.sub(" ", el.text))
            if el.tail and (el.getparent() is None or el.getparent() not in pre):
                el.tail = _HTML_WS.sub(" ", _CONTROL.sub(" ", el.tail))
        else:
            el.text = _CONTROL.sub(" ", el.text) if el.text else el.text
            el.tail = _CONTROL.sub(" ", el.tail) if el.tail else el.tail
    for el in root.iter():
        if not isinstance(el.tag, str):
            continue
        if el.tag == "br":
            el.tail = "\n" + _CONTROL.sub(" ", el.tail or "")
        elif el.tag in _BLOCKS:
            el.text = "\n\n" + (el.text or "")
            el.tail = "\n\n" + (el.tail or "")
            if _is_info_bar(el):
                for child in el:
                    child.tail = "\n" + (child.tail or "")


# --- the two candidates -------------------------------------------------------------------------------------

def _clean_ours(html: str, cfg: CleanSettings) -> CleanResult:
    removed: list[tuple[str, str]] = []
    doc, page = _parse(html, cfg)
    root, scores = _article_root(doc, page, removed, cfg)
    title_el, title_inside = _title_of(doc, root, page)
    h1 = _norm(title_el.text_content()) if title_el is not None else ""
    _drop_named_furniture(root, scores, removed, cfg, title_el)
    _drop_sections(root, removed)
    _drop_teaser_lists(root, removed, cfg, title_el)
    _drop_link_blocks(root, removed)
    lines = _root_lines(root, h1 if title_inside else "")
    title_inside = title_inside and _title_near_top(lines, cfg.title_top_share)
    if not title_inside:
        for ln in lines:
            ln.role = "" if ln.role == "title" else ln.role
    res = _clean_lines(lines, cfg, title_hint=h1 if title_inside else "", drop_header=title_inside,
                       find_title=title_inside)
    res.dropped[:0] = removed
    res.extractor = "dom"
    if title_el is not None and not title_inside:
        _meta_between(doc, title_el, root).merge_into(res)
    try:
        traf_text, tmeta = _trafilatura_text(html)
    except Exception as e:  # noqa: BLE001 - trafilatura can fail on odd markup; the DOM walk still answers
        traf_text, tmeta = "", {}
        res.dropped.append(("trafilatura failed", _reason(e)))
    res = _weigh_trafilatura(res, traf_text, h1 or tmeta.get("title", ""), cfg)
    _fill_meta(res, page, tmeta, h1)
    return res


class _MetaFound(junk.Meta):
    def merge_into(self, res: CleanResult) -> None:
        res.author, res.date, res.source = res.author or self.author, res.date or self.date, res.source or self.source


def _meta_between(doc, title_el, root) -> _MetaFound:
    """Byline, date and source lines between a title outside the container and the container itself."""
    found, started, seen = _MetaFound(), False, 0
    for el in doc.iter():
        if el is root or seen > 80:
            break
        if el is title_el:
            started = True
            continue
        if not started or not isinstance(el.tag, str) or _attached(el, title_el):
            continue
        seen += 1
        text = _norm(el.text_content())
        if 0 < len(text) <= 120 and (meta := junk.parse_meta_line(text)) is not None:
            found.merge(meta)
    return found


def _trafilatura_text(html: str) -> tuple[str, dict[str, str]]:
    """trafilatura's main-content text (its own boilerplate judgement) and its metadata."""
    import trafilatura

    doc = trafilatura.bare_extraction(
        _prepare(html), include_comments=False, include_tables=True, include_images=False, include_links=False,
        include_formatting=False, with_metadata=True, deduplicate=False, favor_recall=True,
    )
    if doc is None:
        return "", {}
    d = doc.as_dict() if hasattr(doc, "as_dict") else dict(doc)
    meta = {k: str(d.get(k) or "") for k in ("title", "author", "date", "sitename", "url")}
    return str(d.get("text") or ""), meta


def _clean_trafilatura_only(html: str, cfg: CleanSettings) -> CleanResult:
    text, meta = _trafilatura_text(html)
    res = _traf_result(text, meta.get("title", ""), cfg)
    res.title = res.title or _norm(meta.get("title", ""))
    return res


def _traf_result(text: str, title: str, cfg: CleanSettings) -> CleanResult:
    res = _clean_lines(_to_lines(text.replace("\n", "\n\n")), cfg, title_hint=title, drop_header=False)
    res.extractor = "trafilatura"
    return res


def _agrees(paragraph: str, blob: str, lines: frozenset[str] = frozenset()) -> bool:
    p = _NOSPACE.sub("", paragraph)
    if p in lines or p in blob:  # the set answers most paragraphs without a scan of the whole text
        return True
    return len(p) > 40 and p[:20] in blob and p[-20:] in blob


def _weigh_trafilatura(res: CleanResult, traf_text: str, title: str, cfg: CleanSettings) -> CleanResult:
    """Drop what trafilatura also rejects when the two mostly agree. Use trafilatura's text instead when ours
    holds far less prose *and* mostly disagrees with it (we picked the wrong container); when ours is a part of
    its text, what we left out we dropped on purpose (a comment board, related stories)."""
    blob = _NOSPACE.sub("", traf_text)
    if not blob:
        return res
    total = sum(len(p) for p in res.paragraphs)
    lines = frozenset(_NOSPACE.sub("", ln) for ln in traf_text.splitlines())
    agree = [p for p in res.paragraphs if _agrees(p, blob, lines)]
    kept = sum(len(p) for p in agree)
    if kept and kept >= 0.85 * total:
        for p in res.paragraphs:
            if p not in agree:
                res.dropped.append(("trafilatura: boilerplate", p))
        res.paragraphs = agree
        res.headings = [h for h in res.headings if h in agree]
        res.extractor = "dom+trafilatura"
        return res
    traf = _traf_result(traf_text, res.title or title, cfg)
    if not res.paragraphs:
        traf.dropped[:0] = res.dropped
        traf.title = traf.title or res.title or title
        return traf
    if kept < 0.5 * total:
        if _body_chars(res.paragraphs) < cfg.trafilatura_wins_ratio * _body_chars(traf.paragraphs):
            traf.dropped[:0] = res.dropped + [("dom candidate: less prose than trafilatura's", p)
                                              for p in res.paragraphs]
            traf.title = traf.title or res.title or title
            traf.author, traf.date, traf.source = res.author, res.date, res.source
            return traf
    return res


_SENTENCE_PUNCT = re.compile(r"[。！？；，,.!?;]")


def _body_chars(paras: list[str]) -> int:
    """Characters in paragraphs that read like prose (long enough, sentence punctuation, not a list item)."""
    return sum(len(p) for p in paras if len(p) >= 12 and _SENTENCE_PUNCT.search(p) and not p.startswith("- "))


def _fill_meta(res: CleanResult, page: dict[str, str], tmeta: dict[str, str], h1: str) -> None:
    title = res.title or h1 or page.get("og:title", "") or tmeta.get("title", "") or _split_title(page.get("title", ""))
    res.title = _norm(title)
    if res.paragraphs and _norm(res.paragraphs[0]) == res.title:
        res.dropped.append(("title", res.paragraphs.pop(0)))
        if res.headings and res.headings[0] == res.title:
            res.headings.pop(0)
    res.url = res.url or page.get("url", "") or page.get("og:url", "") or tmeta.get("url", "")
    res.author = res.author or page.get("author", "") or page.get("article:author", "") or page.get("dc.creator", "") \
        or tmeta.get("author", "")
    res.source = res.source or page.get("og:site_name", "") or _site_from_title(page.get("title", ""), res.title) \
        or page.get("dc.publisher", "") or tmeta.get("sitename", "")
    # trafilatura's date is left out: it guesses from any date on the page ("© 2024", a related link's date);
    # ingest.pubdate reads the markup (htmldate, markup only) and the page's time stamp instead.
    res.date = res.date or page.get("article:published_time", "") or page.get("pubdate", "") or page.get("date", "")


def _site_from_title(page_title: str, title: str) -> str:
    """'北亚_環球經貿網 經貿論壇' with title '北亚' -> '環球經貿網 經貿論壇'."""
    page_title = _norm(page_title)
    if title and page_title.startswith(title):
        rest = page_title[len(title):].strip()
        m = re.match(r"^(?:_|\||-|–|—|::)\s*(.+)$", rest)
        if m:
            return m.group(1).strip()
    return ""


def _split_title(t: str) -> str:
    """'北亚_環球經貿網 經貿論壇' -> '北亚' (page titles append the site name after _ | - –)."""
    parts = re.split(r"\s*(?:_|\|| - | – | — )\s*", t.strip())
    return parts[0] if parts else ""
