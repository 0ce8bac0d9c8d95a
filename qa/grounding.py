"""Grounding check: every figure and quoted name in an answer must appear in the passages it cites.

A small local model invents figures when the passages lack them; this is what stops them. Claims are numbers,
dates, percentages, multiples, amounts (Arabic or Chinese numerals, with 万/亿 or thousand/million/billion) and
names in quotation marks (「」 『』 “” "" 《》). They are compared after Simplified conversion and width folding, by
value: 500亿 is 50 billion (not 500 billion), 3.6亿 is 360 million, 24倍 is 24 times, 500+ is 500. A bare number
in the answer ("500") is also supported by the same digits with a unit in the passage ("500+个", "500亿").
Citation markers [n] are not figures.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from articleqa.text import has_cjk, normalize_for_match
from articleqa.types import Passage
from qa.citations import strip_markers

_CN_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_CN_SMALL = {"十": 10, "百": 100, "千": 1000}
_CN_BIG = {"万": 10**4, "亿": 10**8}
_CN_NUMERAL = "零〇一二两三四五六七八九十百千万亿"

_EN_SCALE = {"thousand": 1e3, "k": 1e3, "million": 1e6, "mn": 1e6, "m": 1e6, "billion": 1e9, "bn": 1e9,
             "b": 1e9, "trillion": 1e12, "tn": 1e12}
_ZH_SCALE = {"万亿": 1e12, "亿": 1e8, "万": 1e4, "千": 1e3, "百": 1e2, "兆": 1e12}

_MONTHS = {m: i + 1 for i, m in enumerate(
    "january february march april may june july august september october november december".split())}
_MONTHS.update({k[:3]: v for k, v in list(_MONTHS.items())})
_MONTHS["sept"] = 9

# Arabic number, optional "+", optional scale/percent/multiple.
_ARABIC = re.compile(
    r"(?<![A-Za-z0-9_.])(?P<num>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)(?P<plus>\s*\+)?"
    r"(?:\s*(?P<zh>万亿|亿|万|千|百|兆)|\s*(?P<en>thousand|million|billion|trillion|bn|mn|tn|k|m|b)\b)?"
    r"(?P<plus2>\s*\+)?"
    r"(?:\s*(?P<pct>%|percent\b|per cent\b)|\s*(?P<times>倍|times\b|fold\b|-fold\b|x\b))?",
    re.IGNORECASE,
)
_PCT_ZH = re.compile(r"百分之(?P<num>\d+(?:\.\d+)?|[零〇一二两三四五六七八九十百千]+)")
_CN_RUN = re.compile(r"[零〇一二两三四五六七八九十百千万亿]+(?:点[零〇一二三四五六七八九]+)?")
_CN_TAIL = re.compile(r"\s*(?:(?P<pct>%)|(?P<times>倍))?")

_ZH_DATE = re.compile(
    r"(?:(?P<y>\d{4})\s*年\s*)?(?P<m>\d{1,2})\s*月(?:\s*(?P<d>\d{1,2})\s*[日号])?|(?P<y2>\d{4})\s*年"
)
_EN_DATE = re.compile(
    r"\b(?:(?P<d1>\d{1,2})\s+)?(?P<mon>january|february|march|april|may|june|july|august|september|october|"
    r"november|december|jan|feb|mar|apr|jun|jul|aug|sept|sep|oct|nov|dec)\.?"
    r"(?:\s+(?P<d2>\d{1,2})(?:st|nd|rd|th)?,?)?(?:\s+(?P<y>\d{4}))?\b",
    re.IGNORECASE,
)
_QUOTES = re.compile(r"「([^「」]{1,40})」|『([^『』]{1,40})』|“([^“”]{1,40})”|\"([^\"]{1,40})\"|《([^《》]{1,40})》|‘([^‘’]{1,40})’")
_LIST_ITEM = re.compile(r"(?m)^\s*(?:\d{1,2}(?:[.)]\s+|[、)）])|[-*•]\s+)")
_LITERAL_DROP = re.compile(r"[\s,，]")

MAX_QUOTE_CHARS = 30  # longer quoted spans are paraphrase-prone sentences, not names


@dataclass(frozen=True)
class Claim:
    kind: str  # num | pct | times | date | quote
    raw: str
    value: object = None  # float, or (year, month, day) with None for a missing part, or the quoted text
    scaled: bool = False  # the number carried a scale (万/亿/million...): compare by value only


def _cn_to_number(s: str) -> float | None:
    """Chinese numerals to a number: 五百 -> 500, 三点六亿 -> 3.6e8, 千亿 -> 1e11, 二〇一四 -> 2014."""
    if not s:
        return None
    if "点" in s:
        head, _, tail = s.partition("点")
        unit = 1
        while tail and tail[-1] in _CN_BIG:
            unit *= _CN_BIG[tail[-1]]
            tail = tail[:-1]
        h = _cn_to_number(head) if head else 0
        if h is None or not tail or any(c not in _CN_DIGITS for c in tail):
            return None
        frac = float("0." + "".join(str(_CN_DIGITS[c]) for c in tail))
        return (h + frac) * unit
    if all(c in _CN_DIGITS for c in s):  # digit by digit: 二〇一四
        return float("".join(str(_CN_DIGITS[c]) for c in s)) if len(s) > 1 else float(_CN_DIGITS[s])
    total, section, digit = 0.0, 0.0, None
    for c in s:
        if c in _CN_DIGITS:
            digit = _CN_DIGITS[c]
        elif c in _CN_SMALL:
            section += (1 if digit is None else digit) * _CN_SMALL[c]
            digit = None
        elif c in _CN_BIG:
            section += digit or 0
            if section == 0:
                section = 1
            if c == "亿":
                total = (total + section) * _CN_BIG[c]
            else:
                total += section * _CN_BIG[c]
            section, digit = 0.0, None
        else:
            return None
    return total + section + (digit or 0)


def _dates(t: str) -> list[tuple[int, int, int, Claim]]:
    out = []
    for m in _ZH_DATE.finditer(t):
        y = m.group("y") or m.group("y2")
        mo = m.group("m")
        d = m.group("d")
        val = (int(y) if y else None, int(mo) if mo else None, int(d) if d else None)
        if val[1] is not None and not 1 <= val[1] <= 12:
            continue
        out.append((m.start(), m.end(), 0, Claim("date", m.group(0), val)))
    for m in _EN_DATE.finditer(t):
        mon = m.group("mon").lower().rstrip(".")
        if mon == "may" and not (m.group("y") or m.group("d1") or m.group("d2")):
            continue  # the verb
        d = m.group("d1") or m.group("d2")
        y = m.group("y")
        if not (d or y):
            continue
        val = (int(y) if y else None, _MONTHS[mon], int(d) if d else None)
        out.append((m.start(), m.end(), 0, Claim("date", m.group(0), val)))
    return out


def _numbers(t: str, taken: list[tuple[int, int]]) -> list[Claim]:
    def free(s: int, e: int) -> bool:
        return all(e <= a or s >= b for a, b in taken)

    claims: list[Claim] = []
    for m in _PCT_ZH.finditer(t):
        num = m.group("num")
        v = float(num) if num[0].isdigit() else _cn_to_number(num)
        if v is not None and free(m.start(), m.end()):
            claims.append(Claim("pct", m.group(0), v))
            taken.append((m.start(), m.end()))
    for m in _ARABIC.finditer(t):
        if not free(m.start(), m.end()):
            continue
        # a unit letter glued to a word ("5g", "3m" in "3mm") is not a scale: re-read without it
        num = float(m.group("num").replace(",", ""))
        scale, scaled = 1.0, False
        if m.group("zh"):
            scale, scaled = _ZH_SCALE[m.group("zh")], True
        elif m.group("en"):
            scale, scaled = _EN_SCALE[m.group("en").lower()], True
        kind = "pct" if m.group("pct") else "times" if m.group("times") else "num"
        claims.append(Claim(kind, m.group(0).strip(), num * scale, scaled))
        taken.append((m.start(), m.end()))
    for m in _CN_RUN.finditer(t):
        s = m.group(0)
        if not free(m.start(), m.end()):
            continue
        meaningful = any(c in "十百千万亿" for c in s) and len(s) >= 2 or len(s) >= 3
        if not meaningful:
            continue
        if s in ("万一", "千万", "百万", "一一", "万万"):  # idioms more often than figures
            continue
        v = _cn_to_number(s)
        if v is None:
            continue
        tail = _CN_TAIL.match(t, m.end())
        kind = "pct" if tail and tail.group("pct") else "times" if tail and tail.group("times") else "num"
        claims.append(Claim(kind, s, v, scaled=any(c in "万亿" for c in s)))
        taken.append((m.start(), m.end()))
    return claims


def extract_claims(text: str) -> list[Claim]:
    """The figures and quoted names in ``text`` (citation markers removed first)."""
    raw = _LIST_ITEM.sub("", strip_markers(text))
    claims: list[Claim] = []
    for m in _QUOTES.finditer(raw):
        q = next(g for g in m.groups() if g is not None).strip()
        if q and len(q) <= MAX_QUOTE_CHARS:
            claims.append(Claim("quote", q, q))
    t = normalize_for_match(raw)
    dates = _dates(t)
    taken = [(s, e) for s, e, _, _ in dates]
    claims.extend(c for _, _, _, c in dates)
    claims.extend(_numbers(t, taken))
    return claims


@dataclass
class Evidence:
    """What the passages offer: their normalised text and every quantity and date in them."""

    literal: str
    values: list[tuple[float, str]]  # (value, kind); also the bare mantissa of scaled numbers as "num"
    mantissas: set[float]
    dates: list[tuple[int | None, int | None, int | None]]
    cjk: bool

    @classmethod
    def of(cls, texts: list[str]) -> "Evidence":
        joined = "\n".join(texts)
        t = normalize_for_match(joined)
        values: list[tuple[float, str]] = []
        mantissas: set[float] = set()
        dates = [c.value for _, _, _, c in _dates(t)]
        for c in _numbers(t, []):  # dates' parts count as plain numbers too: no masking here
            values.append((float(c.value), c.kind))
            m = re.match(r"\d[\d,]*(?:\.\d+)?", c.raw)
            if m:
                mantissas.add(float(m.group(0).replace(",", "")))
        for y, mo, d in dates:
            for part in (y, mo, d):
                if part is not None:
                    values.append((float(part), "num"))
        return cls(_LITERAL_DROP.sub("", t), values, mantissas, dates, has_cjk(joined))


def _close(a: float, b: float) -> bool:
    return abs(a - b) <= 1e-9 * max(1.0, abs(a), abs(b))


def supported(claim: Claim, ev: Evidence) -> bool:
    if claim.kind == "quote":
        q = _LITERAL_DROP.sub("", normalize_for_match(str(claim.value)))
        if has_cjk(q) != ev.cjk:
            return True  # a translated name (English answer about a Chinese article): not checkable literally
        return q in ev.literal
    if claim.kind == "date":
        y, mo, d = claim.value  # type: ignore[misc]
        for py, pm, pd in ev.dates:
            if (y is None or y == py) and (mo is None or mo == pm) and (d is None or d == pd):
                return True
        # a year alone, or a month+year the passage writes differently: fall back to the parts as numbers
        parts = [p for p in (y, mo, d) if p is not None]
        return len(parts) == 1 and any(_close(parts[0], v) for v, _ in ev.values)
    v = float(claim.value)  # type: ignore[arg-type]
    lit = _LITERAL_DROP.sub("", normalize_for_match(claim.raw)).rstrip("+")
    if lit and not claim.scaled and claim.kind != "pct" and re.search(rf"(?<![\d.]){re.escape(lit)}(?![\d.])", ev.literal):
        return True
    for pv, pk in ev.values:
        if _close(v, pv) and ((claim.kind == "pct") == (pk == "pct") or claim.kind == "num"):
            return True
    if not claim.scaled and claim.kind != "pct":
        return any(_close(v, m) for m in ev.mantissas)
    return False


def unsupported_claims(answer_text: str, passages: list[Passage], kinds: tuple[str, ...] | None = None) -> list[str]:
    """The claims in ``answer_text`` (figures, dates, quoted names; only ``kinds`` when given: num, pct, times,
    date, quote) found in none of ``passages``."""
    ev = Evidence.of([p.chunk.text for p in passages] + [p.title for p in passages])
    out: list[str] = []
    for c in extract_claims(answer_text):
        if kinds is not None and c.kind not in kinds:
            continue
        if not supported(c, ev) and c.raw not in out:
            out.append(c.raw)
    return out


__all__ = [
    "Claim",
    "Evidence",
    "extract_claims",
    "supported",
    "unsupported_claims",
]
