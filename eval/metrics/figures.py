"""eval's own figure extractor, independent of ``qa.grounding`` (which the product uses): a measurement of invented
figures must not share the code it measures.

A figure is a number in Arabic digits (thousands separators allowed, decimals, a trailing "+") or in Chinese
numerals (三十, 两千, 3.6亿), read as a value with its scale (万 10^4, 亿 10^8, thousand/million/billion). An answer
figure is supported when a source holds a figure of the same value, or the same digits with any scale (an English
"500" against 「500+個」 or 「500億」), compared after Simplified conversion and width folding. Citation markers
like [1] are not figures. Single Chinese numerals (一, 十) are left out: they are words more often than figures.
"""
from __future__ import annotations

import re
from typing import Iterable

from articleqa.text import fold_width, has_cjk, to_simplified

_MARKER = re.compile(r"[\[【]\s*\d+(?:\s*[,，、]\s*\d+)*\s*[\]】]")
_ARABIC = re.compile(r"(\d{1,3}(?:,\d{3})+|\d+)(\.\d+)?\s*(万亿|亿|万|千|thousand|million|billion|trillion)?",
                     re.IGNORECASE)
_CN = re.compile(r"[零〇一二两三四五六七八九十百千万亿]{2,}")
_DIGIT = {c: i for i, c in enumerate("零一二三四五六七八九")} | {"〇": 0, "两": 2}
_UNIT = {"十": 10, "百": 100, "千": 1000}
_SCALE = {"万": 1e4, "亿": 1e8, "万亿": 1e12, "千": 1e3, "thousand": 1e3, "million": 1e6, "billion": 1e9,
          "trillion": 1e12}


def _norm(text: str) -> str:
    t = text or ""
    t = to_simplified(t) if has_cjk(t) else t
    return _MARKER.sub(" ", fold_width(t))


def cn_value(s: str) -> float | None:
    """The value of a run of Chinese numerals (三十 -> 30, 两千五百 -> 2500, 三亿 -> 3e8), or None."""
    total, section, digit = 0.0, 0.0, None
    for ch in s:
        if ch in _DIGIT:
            digit = _DIGIT[ch] if digit is None else digit * 10 + _DIGIT[ch]
        elif ch in _UNIT:
            section += (1 if digit is None else digit) * _UNIT[ch]
            digit = None
        elif ch in ("万", "亿"):
            total = (total + section + (digit or 0)) * (1e4 if ch == "万" else 1e8)
            section, digit = 0.0, None
        else:
            return None
    return total + section + (digit or 0)


def extract(text: str) -> list[tuple[str, float, str]]:
    """(raw, value, bare digits) of every figure in ``text``, in order."""
    t = _norm(text)
    out: list[tuple[str, float, str]] = []
    for m in _ARABIC.finditer(t):
        digits = m.group(1).replace(",", "") + (m.group(2) or "")
        scale = _SCALE.get((m.group(3) or "").lower(), 1.0)
        out.append((m.group(0).strip(), float(digits) * scale, digits))
    for m in _CN.finditer(t):
        v = cn_value(m.group(0))
        if v is not None:
            out.append((m.group(0), v, f"{v:g}"))
    return out


def unsupported(answer: str, sources: Iterable[str]) -> list[str]:
    """The answer's figures that no source holds (by value, or by the same digits)."""
    values: set[float] = set()
    digits: set[str] = set()
    for s in sources:
        for _, v, d in extract(s):
            values.add(round(v, 6))
            digits.add(d)
    missing: list[str] = []
    for raw, v, d in extract(answer):
        if round(v, 6) not in values and d not in digits and raw not in missing:
            missing.append(raw)
    return missing
