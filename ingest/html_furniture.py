"""Furniture inside the article container: elements named like furniture (weak evidence: kept when they hold
the bulk of the body), boxes headed "Related news" or "Comments", teaser lists, link-heavy blocks and inline
link clusters. Every function appends what it drops to ``removed`` as (why, text)."""
from __future__ import annotations

import re

from articleqa.settings import CleanSettings
from ingest import junk
from ingest.clean import _norm
from ingest.page_candidates import Scores, inside_link, paragraphs

_BLOCKS = {
    "p", "div", "br", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "td", "th", "table", "section",
    "article", "header", "footer", "blockquote", "pre", "dd", "dt", "dl", "hr", "main", "aside", "nav", "figure",
    "figcaption", "address", "center", "form", "fieldset", "legend", "details", "summary", "caption",
}
_BOILER_CLASS = re.compile(
    r"(^|[\s_-])(nav|navbar|navigation|menu|menus|crumbs?|breadcrumbs?|share|sharing|social|mood|moods|reactions?|"
    r"emoji|comments?|comment-list|related|sidebar|side|aside|footer|foot|header|masthead|ads?|advert\w*|adsbygoogle|"
    r"banner|statement|disclaimer|copyright|logo|search|recommend\w*|hot|popular|tags?|toolbar|popup|modal|"
    r"cookies?|newsletter|subscribe|promo|sponsor\w*|widget|pagination|pager|(pic|img|image|photo)[-_]?"
    r"(note|caption|desc|credit)|caption|editor|byline-share|print|qrcode|rank|ranking|more)\d*($|[\s_-])",
    re.I,
)
_BOARD_WORDS = {"comment", "comments", "comment-list"}
_NUMERIC = re.compile(junk.DATE_RE.pattern + r"|[\d\s:/.,()（）\-]+")
_NOSPACE = re.compile(r"\s+")


def _attached(el, root) -> bool:
    """Whether ``el`` is still inside ``root`` (an earlier step may have dropped an ancestor)."""
    while el is not None:
        if el is root:
            return True
        el = el.getparent()
    return False


def _drop_named_furniture(root, scores: dict, removed: list[tuple[str, str]], cfg: CleanSettings, title=None) -> None:
    """Class/id words are weak evidence: a furniture-named element inside the container goes unless it holds
    the title or the bulk of the body."""
    body_total = scores.get(root, Scores()).body or 0.0
    first = next((p.el for p in paragraphs(root, cfg) if p.body_like), None)  # the article's first prose
    for el in list(root.iter()):
        if not isinstance(el.tag, str) or el is root or not _attached(el, root):
            continue
        names = " ".join(filter(None, [el.get("class"), el.get("id")]))
        m = _BOILER_CLASS.search(names) if names else None
        if not m:
            continue
        held = scores.get(el, Scores()).body
        if title is not None and _attached(title, el):
            continue
        bulk = body_total and held >= cfg.named_keep_share * body_total
        # a comment board is one however much prose it holds, unless it wraps the article's first prose too
        board = m.group(2).lower() in _BOARD_WORDS and not (first is not None and _attached(first, el))
        if bulk and not board:
            continue
        if text := _norm(el.text_content()):
            removed.append((f"container .{m.group(2)}", text))
        el.drop_tree()


def _drop_sections(root, removed: list[tuple[str, str]]) -> None:
    """Blocks headed "Related stories", "熱門推薦", "Comments"...: the box they head, or the lists after them."""
    total = _long_text(root)
    for h in list(root.iter("h2", "h3", "h4", "h5", "h6", "strong", "b", "dt", "div", "p")):
        if h is root or not _attached(h, root) or len(_norm(h.text_content())) > 30:
            continue
        board = junk.is_comment_label(h.text_content())
        if not board and not junk.is_section_label(h.text_content()):
            continue
        label = _norm(h.text_content())
        box = h.getparent()
        # a box headed like a comment board is one, however much prose its comments hold
        board = board and _heads(h, box)
        if box is not root and box.find(".//h1") is None and (board or _long_text(box) < 0.5 * max(total, 1)):
            removed.append(("section: " + label, _norm(box.text_content())))
            box.drop_tree()
            continue
        nxt = h.getnext()
        while nxt is not None and nxt.tag in ("ul", "ol", "dl", "table"):
            after = nxt.getnext()
            removed.append(("section: " + label, _norm(nxt.text_content())))
            nxt.drop_tree()
            nxt = after
        removed.append(("section label", label))
        h.drop_tree()


def _heads(h, box) -> bool:
    """Whether ``h`` is the first text of ``box`` (its heading), not a label somewhere inside it."""
    if (box.text or "").strip():
        return False
    for sib in h.itersiblings(preceding=True):
        if (sib.tail or "").strip() or (isinstance(sib.tag, str) and _norm(sib.text_content())):
            return False
    return True


def _drop_teaser_lists(root, removed: list[tuple[str, str]], cfg: CleanSettings, title=None) -> None:
    """Runs of sibling records with one shape (same tag and class) that each open with a line that is all link
    (a headline) followed by a summary: lists of other stories, however much prose their summaries hold."""
    for parent in list(root.iter()):
        if not isinstance(parent.tag, str) or not _attached(parent, root):
            continue
        groups: dict[tuple, list] = {}
        for child in parent:
            if isinstance(child.tag, str):
                groups.setdefault((child.tag, child.get("class") or ""), []).append(child)
        for members in groups.values():
            teasers = [c for c in members if _opens_with_link_line(c)]
            if len(teasers) < cfg.teaser_min_records or len(teasers) < 0.8 * len(members):
                continue
            for c in teasers:
                if title is None or not _attached(title, c):
                    removed.append(("teaser list", _norm(c.text_content())))
                    c.drop_tree()


def _opens_with_link_line(el) -> bool:
    """Whether the first text inside ``el`` is a link that fills its whole line (block) and text follows it."""
    for sub in el.iter():
        if not isinstance(sub.tag, str) or not (sub.text or "").strip():
            continue
        a = sub if sub.tag == "a" else None
        a = a if a is not None else next((x for x in sub.iterancestors("a")), None)
        if a is None or not _attached(a, el):
            return False
        line = a
        while line is not el and line.getparent() is not None and line.tag not in _BLOCKS:
            line = line.getparent()
        head = _norm(a.text_content())
        return len(head) >= 4 and _norm(line.text_content()) == head and len(_norm(el.text_content())) > len(head)
    return False


def _drop_link_blocks(root, removed: list[tuple[str, str]]) -> None:
    """Link-heavy blocks (menus, lists of related stories); dates and counts next to links do not count.
    Also inline clusters of links with no text of their own (hover cards inside a paragraph)."""
    for el in reversed(list(root.iter("span"))):  # innermost first: the card, not the name it hangs on
        if not _attached(el, root):
            continue
        anchors = list(el.iter("a"))
        text = _NOSPACE.sub("", el.text_content())
        if len(anchors) >= 2 and text and sum(len(_NOSPACE.sub("", a.text_content())) for a in anchors) >= len(text):
            removed.append(("inline links", _norm(el.text_content())))
            el.drop_tree()
    for el in list(root.iter("ul", "ol", "dl", "table", "div", "p", "li")):
        if el is root or not _attached(el, root):
            continue
        text = _norm(el.text_content())
        if not text:
            continue
        linked = len(text) if inside_link(el) else sum(len(_norm(a.text_content())) for a in el.iter("a"))
        plain = len(_NUMERIC.sub("", text)) or 1
        if linked / plain >= 0.6 and text.rstrip(_CLOSERS)[-1:] not in junk.SENTENCE_END:
            removed.append(("links", text))
            el.drop_tree()


_CLOSERS = "\"'”’」』）)]》"  # a sentence may end inside quotes or brackets: `... said “yes.”`


def _long_text(el) -> int:
    """Characters in the element's paragraph-length text blocks (what an article body is made of)."""
    return sum(len(t) for p in el.iter("p", "td", "li", "blockquote", "pre") if len(t := _norm(p.text_content())) >= 40)
