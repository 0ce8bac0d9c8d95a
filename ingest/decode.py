"""Bytes -> text for input files: BOMs, UTF-8, then the legacy Chinese encodings (GB18030/GBK, Big5).

GB18030 accepts almost any byte string (Big5 bytes included), so a legacy decoding is only trusted when the text
it yields *reads like Chinese*: most of its Han characters (after conversion to Simplified) are among the 3,755
common characters of GB2312 level 1, and it holds no stray kana/Greek/box-drawing symbols, which is what the wrong
codec produces. Bytes that no codec turns into plausible text raise :class:`DecodeProblem` (the caller wraps it
into an ``IngestError`` naming the file) instead of becoming mojibake.
"""
from __future__ import annotations

import codecs
import re
import unicodedata
from functools import lru_cache

from articleqa.text import to_simplified

# Order matters: UTF-32 LE's BOM starts with UTF-16 LE's.
_BOMS = [
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
]
LEGACY_ENCODINGS = ("gb18030", "cp950", "big5hkscs")
# A legacy decoding must score at least this (share of "plausible" non-ASCII characters).
MIN_PLAUSIBILITY = 0.75
_CONTROL_OK = set("\t\n\r\f\v\x1b")
MAX_CONTROL_RATIO = 0.02


class DecodeProblem(ValueError):
    """Why bytes could not be turned into text (one line, without the file name)."""


@lru_cache(maxsize=1)
def _common_han() -> frozenset[str]:
    """GB2312 level 1: the 3,755 most common Simplified characters (rows 0xB0-0xD7)."""
    chars = set()
    for lead in range(0xB0, 0xD8):
        for trail in range(0xA1, 0xFF):
            try:
                chars.add(bytes([lead, trail]).decode("gb2312"))
            except UnicodeDecodeError:
                pass
    return frozenset(chars)


def _is_han(ch: str) -> bool:
    o = ord(ch)
    return 0x3400 <= o <= 0x9FFF or 0xF900 <= o <= 0xFAFF or 0x20000 <= o <= 0x3FFFF


def _good_symbol(ch: str) -> bool:
    """Non-Han, non-ASCII characters that real Chinese text uses: CJK punctuation, full-width forms, quotes."""
    o = ord(ch)
    if 0x3000 <= o <= 0x303F or 0xFF00 <= o <= 0xFFEF or 0x2010 <= o <= 0x206F:
        return True
    return ch in "·×÷°±§¨¤€£¥…※○●◎◇◆□■△▲→←↑↓" or unicodedata.category(ch) == "Zs"


def plausibility(text: str) -> float:
    """Share of non-ASCII characters that look like correctly decoded Chinese (1.0 for pure ASCII)."""
    sample = text[:20000]
    non_ascii = [c for c in sample if ord(c) > 0x7F]
    if not non_ascii:
        return 1.0
    common = _common_han()
    han = "".join(c for c in non_ascii if _is_han(c))
    simp = to_simplified(han) if han else ""
    good = sum(1 for c in simp if c in common)
    good += sum(1 for c in non_ascii if not _is_han(c) and _good_symbol(c))
    return good / len(non_ascii)


def looks_binary(data: bytes) -> bool:
    return b"\x00" in data[:65536]


def control_ratio(text: str) -> float:
    sample = text[:10000]
    if not sample:
        return 0.0
    bad = sum(1 for c in sample if unicodedata.category(c) == "Cc" and c not in _CONTROL_OK)
    return bad / len(sample)


def decode_bytes(data: bytes) -> tuple[str, str]:
    """(text, encoding name). Raises DecodeProblem for binary or undecodable data."""
    encoding = ""
    text: str | None = None
    for bom, name in _BOMS:
        if data.startswith(bom):
            try:
                text = data.decode(name)
            except UnicodeDecodeError as e:
                raise DecodeProblem(f"invalid {name} text after its byte-order mark ({e.reason} at byte {e.start})")
            encoding = name
            break
    if text is None:
        if looks_binary(data):
            raise DecodeProblem("binary file (contains NUL bytes)")
        try:
            text, encoding = data.decode("utf-8"), "utf-8"
        except UnicodeDecodeError as utf8_error:
            text, encoding = _decode_legacy(data, utf8_error)
    if control_ratio(text) > MAX_CONTROL_RATIO:
        raise DecodeProblem("binary file (too many control characters)")
    return text, encoding


# A page with a few broken bytes (a truncated character) still decodes, with U+FFFD for each bad byte, when its
# bad characters are at most this many, or this share of the text.
MAX_BAD_CHARS = 8
MAX_BAD_SHARE = 0.001
_DECLARED = re.compile(rb"""charset\s*=\s*["']?([A-Za-z0-9_-]{2,20})""", re.I)
_FAMILY = {"gb2312": "gb18030", "gbk": "gb18030", "gb18030": "gb18030", "x-gbk": "gb18030", "cp936": "gb18030",
           "big5": "cp950", "big5-hkscs": "big5hkscs", "cp950": "cp950", "x-big5": "cp950", "utf-8": "utf-8",
           "utf8": "utf-8"}


def declared_encoding(data: bytes) -> str:
    """The codec a page's ``<meta charset>`` (or XML declaration) names, mapped to its superset; "" if none.
    Only a hint: real pages often declare the wrong one."""
    m = _DECLARED.search(data[:4096])
    return _FAMILY.get(m.group(1).decode("ascii").lower(), "") if m else ""


def _candidates(data: bytes, lenient: bool):
    names = ("utf-8",) + LEGACY_ENCODINGS if lenient else LEGACY_ENCODINGS
    for rank, name in enumerate(names):
        try:
            text = data.decode(name, errors="replace" if lenient else "strict")
        except UnicodeDecodeError:
            continue
        if lenient and text.count("\ufffd") > max(MAX_BAD_CHARS, MAX_BAD_SHARE * len(text)):
            continue
        yield rank, name, text


def _decode_legacy(data: bytes, utf8_error: UnicodeDecodeError) -> tuple[str, str]:
    """The most plausible legacy decoding (the declared charset wins near-ties); a few broken bytes are
    tolerated when no codec decodes the page cleanly."""
    hint = declared_encoding(data)
    best: tuple[float, int, str, str] | None = None
    for lenient in (False, True):
        for rank, name, text in _candidates(data, lenient):
            score = plausibility(text) + (0.02 if name == hint else 0.0)
            if best is None or (score, -rank) > (best[0], best[1]):
                best = (score, -rank, text, name + ("+replace" if lenient else ""))
        if best is not None and best[0] >= MIN_PLAUSIBILITY:
            break
    if best is None or best[0] < MIN_PLAUSIBILITY:
        sample = data[:65536]
        controls = sum(1 for b in sample if b < 0x20 and b not in b"\t\n\r\f\v\x1b")
        if controls > MAX_CONTROL_RATIO * len(sample):
            raise DecodeProblem("binary file (too many control bytes)")
        bad = data[utf8_error.start : utf8_error.start + 1].hex()
        raise DecodeProblem(
            f"cannot decode: not UTF-8 (invalid byte 0x{bad} at offset {utf8_error.start}), "
            "and not plausible as UTF-16, GB18030/GBK or Big5 text"
        )
    return best[2], best[3]
