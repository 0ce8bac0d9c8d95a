"""Find a page's article container by what its text looks like, not by what its classes are called.

Every block of the page (``<p>``, ``<div>``, ``<td>``...) becomes a paragraph: the text it holds directly and
through inline children. A paragraph is *body-like* when it reads like prose: long enough, sentence punctuation
(Chinese or Western), little of it inside links. Each element is then scored bottom-up:

    score = body chars (weighted by position: earlier text weighs a little more)
            + a bonus per body paragraph
            - link_penalty * (link chars and short, unpunctuated text)

and multiplied by a weak factor from its class/id words (``article``, ``content`` up; ``sidebar``, ``comment``
down). The best-scoring element is the container: its ancestors hold the same body plus more furniture, its
descendants hold less of the body. A dense body therefore wins over a boilerplate-sounding class name
(``TRS_Editor``, ``l-sidebar-fixed``), and a lone ``<p>`` body wins over the promos around it.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from articleqa.settings import CleanSettings
from ingest import junk

BLOCK_TAGS = frozenset({
    "p", "div", "td", "th", "li", "ul", "ol", "dl", "dd", "dt", "table", "tbody", "thead", "tr", "section", "article",
    "main", "header", "footer", "aside", "nav", "blockquote", "pre", "h1", "h2", "h3", "h4", "h5", "h6", "figure",
    "figcaption", "center", "form", "fieldset", "address", "body", "html", "details", "summary", "caption", "hr",
})
_PUNCT = re.compile(r"[。！？；，、：,.!?;:]")
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_SPACE = re.compile(r"\s+")
_WORD_SPLIT = re.compile(r"[\s_\-]+|(?<=[a-z])(?=[A-Z])")
_GOOD_WORDS = frozenset({"article", "content", "body", "text", "story", "post", "entry", "main", "detail", "news",
                         "zw", "artibody", "articlebody", "contents", "paragraph", "txt", "con"})
_BAD_WORDS = frozenset({"sidebar", "side", "aside", "nav", "menu", "footer", "foot", "header", "comment", "comments",
                        "discussion", "reply", "replies",
                        "related", "recommend", "share", "social", "ad", "ads", "advert", "banner", "promo", "hot",
                        "rank", "popular", "widget", "breadcrumb", "crumbs", "tags", "copyright", "rail", "more"})


@dataclass
class Paragraph:
    el: object
    chars: int  # non-space characters
    link_chars: int
    punct: int
    index: int = 0
    furniture: bool = False  # the line rules of ingest.junk call it furniture (copyright, hotline, caption...)
    body_like: bool = False  # reads like prose (long enough, punctuated, few links) and is not furniture


@dataclass
class Scores:
    body: float = 0.0
    junk: float = 0.0
    paragraphs: int = 0

    def add(self, other: "Scores") -> None:
        self.body += other.body
        self.junk += other.junk
        self.paragraphs += other.paragraphs


@dataclass
class Candidate:
    el: object
    score: float
    body: float
    paragraphs: int
    scores: dict = field(default_factory=dict)  # element -> Scores, for the caller's density checks


def _is_block(el) -> bool:
    return isinstance(el.tag, str) and el.tag.lower() in BLOCK_TAGS


# an <a> holding more characters than this is an unclosed tag swallowing the page, not a teaser link
MAX_LINK_BLOCK_CHARS = 400


def inside_link(el) -> bool:
    """Whether an element sits inside a teaser-sized <a> (pages wrap whole teaser blocks in one link)."""
    el = el.getparent()
    while el is not None:
        if el.tag == "a":
            return len(_SPACE.sub("", el.text_content())) <= MAX_LINK_BLOCK_CHARS
        el = el.getparent()
    return False


def _own_text(block) -> tuple[str, int]:
    """Text a block holds directly or through inline children (nested blocks excluded), and how much of it is
    inside links."""
    parts: list[str] = []
    link = 0
    stack: list[tuple[object, bool, bool]] = [(block, inside_link(block), True)]  # (element, in a link, is the block)
    while stack:
        el, in_link, is_root = stack.pop()
        if isinstance(el, str):  # a tail pushed below
            parts.append(el)
            if in_link:
                link += len(_SPACE.sub("", el))
            continue
        tag = el.tag.lower() if isinstance(el.tag, str) else ""
        here_link = in_link or tag == "a"
        if el.text and isinstance(el.tag, str):
            parts.append(el.text)
            if here_link:
                link += len(_SPACE.sub("", el.text))
        for child in reversed(list(el)):
            if child.tail:
                stack.append((child.tail, here_link, False))
            if not _is_block(child) and isinstance(child.tag, str):
                stack.append((child, here_link, False))
    return "".join(parts), link


def paragraphs(root, cfg: CleanSettings) -> list[Paragraph]:
    out = []
    for el in root.iter():
        if not _is_block(el):
            continue
        text, link = _own_text(el)
        n = len(_SPACE.sub("", text))
        if n:
            para = Paragraph(el, n, min(link, n), len(_PUNCT.findall(text)), len(out))
            prose = n >= cfg.min_body_chars and para.link_chars <= cfg.max_link_share * n and para.punct >= 1
            para.furniture = prose and junk.junk_kind(_SPACE.sub(" ", text).strip()) is not None
            para.body_like = prose and not para.furniture
            out.append(para)
    return out


def class_factor(el, cfg: CleanSettings | None = None) -> float:
    """Weak evidence from class/id words: a small nudge, never a verdict. ``cfg`` None = the default settings."""
    names = " ".join(filter(None, [el.get("class"), el.get("id")]))
    if not names:
        return 1.0
    words = {w.lower().rstrip("0123456789") for w in _WORD_SPLIT.split(names) if w}
    weight = (cfg if cfg is not None else CleanSettings()).class_weight
    f = 1.0
    if words & _GOOD_WORDS:
        f += weight
    if words & _BAD_WORDS:
        f -= weight
    return f


def score_tree(root, cfg: CleanSettings) -> dict:
    """Scores of every element (keyed by the element), summed bottom-up over the paragraphs it contains."""
    paras = paragraphs(root, cfg)
    total = sum(p.chars for p in paras) or 1
    own: dict = {}
    seen = 0
    for p in paras:
        s = own.setdefault(p.el, Scores())
        pos_w = 1.0 - cfg.position_weight * (seen / total)
        seen += p.chars
        if p.body_like:
            s.body += (p.chars - p.link_chars) * pos_w
            s.junk += p.link_chars
            s.paragraphs += 1
        else:
            s.junk += p.chars
    acc: dict = {}  # element -> Scores (elements as keys keep lxml's proxies alive)
    elements = [e for e in root.iter() if isinstance(e.tag, str)]
    for el in reversed(elements):  # children come after their parent in document order
        s = acc.setdefault(el, Scores())
        if el in own:
            s.add(own[el])
        parent = el.getparent()
        if parent is not None and el is not root:
            acc.setdefault(parent, Scores()).add(s)
    return acc


def best_container(root, title=None, cfg: CleanSettings | None = None) -> Candidate | None:
    """The element whose text looks most like an article body (None when the page has no body-like text).
    Elements holding the article's title (when known) get a small bonus: a long comment thread next to a short
    article holds more prose, but not the title. ``cfg`` None = the default settings."""
    cfg = cfg if cfg is not None else CleanSettings()
    acc = score_tree(root, cfg)
    holds_title = set()
    while title is not None:
        holds_title.add(title)
        title = title.getparent()
    best: Candidate | None = None
    for el in root.iter():
        if not isinstance(el.tag, str):
            continue
        s = acc.get(el)
        if s is None or s.body <= 0:
            continue
        value = (s.body + cfg.paragraph_bonus * s.paragraphs - cfg.link_penalty * s.junk) * class_factor(el, cfg)
        if el in holds_title and value > 0:
            value *= 1 + cfg.title_weight
        if best is None or value >= best.score:  # ties: the innermost element (ancestors come first)
            best = Candidate(el, value, s.body, s.paragraphs)
    if best is not None:
        best.scores = acc
    return best
