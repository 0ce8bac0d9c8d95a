"""Script and width normalisation shared by ingest, retrieval, grounding and evaluation."""
from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_LATIN_WORD = re.compile(r"[A-Za-z]{2,}")


@lru_cache(maxsize=4)
def _converter(config: str):
    from opencc import OpenCC

    return OpenCC(config)


def to_simplified(text: str) -> str:
    return _converter("t2s").convert(text) if text else text


def to_traditional(text: str) -> str:
    return _converter("s2t").convert(text) if text else text


def has_cjk(text: str) -> bool:
    """The one test for Chinese characters (CJK unified ideographs, extension A, compatibility ideographs)."""
    return bool(_CJK.search(text))


def count_cjk(text: str) -> int:
    """How many characters of ``text`` `has_cjk` would find."""
    return len(_CJK.findall(text))


# Characters Traditional text writes as well (台灣, 了解, 群眾, 公里, 分布 in Taiwan usage) that OpenCC's s2t still
# converts by preference (臺, 瞭, 羣, 裏, 佈): measured on the DRCD articles, they are not evidence of Simplified text.
_SHARED_HAN = frozenset("台了群里布占托秘周峰核干征范才余恤郁欲")


@lru_cache(maxsize=1024)
def detect_lang(text: str) -> str:
    """'zh-Hant', 'zh-Hans' or 'en' (anything without CJK counts as English). Cached: a streamed answer asks it of
    the same evidence sentence for every piece it sends."""
    cjk = _CJK.findall(text)
    if not cjk or len(cjk) < len(_LATIN_WORD.findall(text)) / 2:
        return "en"
    han = "".join(cjk)
    simp = to_simplified(han)
    trad = to_traditional(han)
    changed_to_simp = sum(a != b for a, b in zip(han, simp))
    changed_to_trad = sum(a != b and a not in _SHARED_HAN for a, b in zip(han, trad))
    return "zh-Hant" if changed_to_simp > changed_to_trad else "zh-Hans"


def to_script(text: str, lang: str) -> str:
    if lang == "zh-Hant":
        return to_traditional(text)
    if lang == "zh-Hans":
        return to_simplified(text)
    return text


def fold_width(text: str) -> str:
    """Full-width ASCII and ideographic space to their half-width forms (NFKC, but keep CJK punctuation)."""
    out = []
    for ch in text:
        o = ord(ch)
        if 0xFF01 <= o <= 0xFF5E:
            out.append(chr(o - 0xFEE0))
        elif o == 0x3000:
            out.append(" ")
        else:
            out.append(ch)
    return "".join(out)


def normalize_for_match(text: str) -> str:
    """Simplified script, half width, NFC, lower case: the form used to compare claims with passages."""
    return unicodedata.normalize("NFC", to_simplified(fold_width(text))).lower()
