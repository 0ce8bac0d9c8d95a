"""Figures converted between Chinese and English by code, exactly: 500億 = 50 billion, 3.5萬 = 35,000,
1,200萬 = 12 million, and back (50 billion = 500亿, 35,000 = 3.5万, 12 million = 1200万).

An answer in another language than its evidence (an English question answered from a Chinese article) states its
figures in the question's language; the model never does that arithmetic, this module does. A Chinese numeral
run and the scale words are read with `qa.grounding`'s own tables (`_cn_to_number`, `_ZH_SCALE`, `_EN_SCALE`), and
`qa.grounding` judges the result against the evidence by value. The figure pattern itself is this module's: unlike
grounding's it keeps each figure's place in the text as written (Traditional 萬/億, 500多) and its "+", which the
replacement needs. cn2an (PyPI) was checked first: it reads 500亿 and 3.5万 but
raises on 1,200万, 三点六亿, 1.2万亿 and 500+, and its sentence mode skips 500亿元; the grounding parser reads all of
them, so no new dependency.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from articleqa.text import normalize_for_match
from qa.grounding import _EN_SCALE, _ZH_SCALE, _cn_to_number

# One figure as written in either language: Arabic digits (with thousands commas), an optional "+", an optional
# scale, an optional percent / multiple; or a run of Chinese numerals holding a 十/百/千/万/亿.
_FIGURE = re.compile(
    r"(?<![A-Za-z0-9_.])(?P<num>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)(?P<plus>\s*\+|多)?"
    r"(?:\s*(?P<zh>万亿|萬億|亿|億|万|萬)|\s+(?P<en>thousand|million|billion|trillion)\b)?(?P<plus2>\+|多)?"
    r"(?:\s*(?P<pct>%|％|percent\b|per cent\b)|\s*(?P<times>倍|times\b|-fold\b))?"
    r"|(?P<cn>[零〇一二两兩三四五六七八九十百千万萬亿億]+(?:[点點][零〇一二三四五六七八九]+[万萬亿億]*)?)(?P<cnpct>%|％|倍)?",
    re.IGNORECASE,
)
_MORE_THAN = re.compile(r"(?:over|more than|above|超过|超過|逾|多于|多於)\s*$", re.IGNORECASE)


@dataclass(frozen=True)
class Figure:
    start: int
    end: int
    raw: str
    value: float
    kind: str = "num"  # num | pct | times
    plus: bool = False  # "500+", "500多": more than the value


def _kind(pct: str | None, times: str | None) -> str:
    return "pct" if pct else "times" if times else "num"


def _one(m: re.Match) -> Figure | None:
    if m.group("cn"):
        cn = m.group("cn")
        if len(cn) < 2 or not any(c in "十百千万萬亿億点點" for c in cn):
            return None  # a lone 十 / 万 is a word more often than a figure; 二〇一八 is a year, not converted
        v = _cn_to_number(normalize_for_match(cn))
        tail = m.group("cnpct") or ""
        kind = "pct" if tail in ("%", "％") else "times" if tail == "倍" else "num"
        return None if v is None else Figure(m.start(), m.end(), m.group(0), v, kind)
    num = float(m.group("num").replace(",", ""))
    zh = normalize_for_match(m.group("zh") or "")
    scale = _ZH_SCALE.get(zh) or _EN_SCALE.get((m.group("en") or "").lower(), 1.0)
    plus = bool((m.group("plus") or "").strip() or m.group("plus2"))
    return Figure(m.start(), m.end(), m.group(0).strip(), num * scale, _kind(m.group("pct"), m.group("times")), plus)


def find_figures(text: str) -> list[Figure]:
    """The figures in ``text`` in reading order (dates' years are figures too: they convert to themselves)."""
    out = []
    for m in _FIGURE.finditer(text or ""):
        f = _one(m)
        if f is not None:
            out.append(f)
    return out


def _fmt(x: float) -> str:
    """A number without float noise: 3.5, 12, 0.25 (at most 4 decimals)."""
    s = f"{round(x, 4):.4f}".rstrip("0").rstrip(".")
    return s or "0"


def english_figure(f: Figure) -> str:
    """50 billion, 35,000, 12 million, 500+, 24%, 3 times."""
    v = f.value
    if f.kind == "pct":
        return f"{_fmt(v)}%"
    for name, scale in (("trillion", 1e12), ("billion", 1e9), ("million", 1e6)):
        if abs(v) >= scale:
            text = f"{_fmt(v / scale)} {name}"
            break
    else:
        text = f"{int(v):,}" if v == int(v) and abs(v) >= 10000 else _fmt(v)
    text += "+" if f.plus else ""
    return f"{text} times" if f.kind == "times" else text


def chinese_figure(f: Figure, traditional: bool = False) -> str:
    """500亿, 3.5万, 1200万, 500+, 24%, 3倍 (億 / 萬 for a Traditional Chinese reader)."""
    v = f.value
    if f.kind == "pct":
        return f"{_fmt(v)}%"
    wan, yi = ("萬", "億") if traditional else ("万", "亿")
    for name, scale in ((wan + yi, 1e12), (yi, 1e8), (wan, 1e4)):
        if abs(v) >= scale:
            text = f"{_fmt(v / scale)}{name}"
            break
    else:
        text = _fmt(v)
    text += "+" if f.plus else ""
    return f"{text}倍" if f.kind == "times" else text


def figure_in(f: Figure, lang: str) -> str:
    """``f`` written for a reader of ``lang`` (zh-Hant, zh-Hans, en)."""
    return chinese_figure(f, lang == "zh-Hant") if lang.startswith("zh") else english_figure(f)


def figures_in_language(text: str, lang: str) -> str:
    """The figures of ``text`` written for ``lang``, joined by ", " ("" when it holds none): the part of a
    passage's span that code can put into the question's language exactly (500+個風控模型 -> 500+)."""
    return ", ".join(figure_in(f, lang) for f in find_figures(text))


def restate_figures(answer: str, original: str, lang: str) -> str:
    """``answer`` (the model's words in ``lang``) with each figure replaced by the code's conversion of the
    original span's figure at the same place: the model chooses the words, code the figures. Unchanged when the
    two do not hold the same number of figures (the grounding check then judges the model's own)."""
    got, src = find_figures(answer), find_figures(original)
    if not got or len(got) != len(src):
        return answer
    out, at = [], 0
    for g, o in zip(got, src):
        if o.plus and _MORE_THAN.search(answer[max(0, g.start - 12):g.start]):
            o = Figure(o.start, o.end, o.raw, o.value, o.kind)  # "over 500", not "over 500+"
        written = figure_in(o, lang)
        out += [answer[at:g.start], written]
        at = g.end
    return "".join(out) + answer[at:]
