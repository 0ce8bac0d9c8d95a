"""Whether a question depends on the conversation: only such a follow-up is rewritten into a standalone question.

A question depends on the conversation when it points back (a pronoun or demonstrative that stands for something
said before: 他, 它, 這家公司, he, it, that company) or is an ellipsis (「那營收呢?」, "And the revenue?", "What about
2016?"). A self-contained question, in any language, is left as it is.
"""
from __future__ import annotations

import re

from articleqa.text import normalize_for_match

# After Simplified conversion and lower-casing. 这篇文章/本文 refer to the article, not to the conversation.
_ZH_POINTER = re.compile(r"(?<![其])[他她它](?:们)?|其(?!他|中|实|余|次)|该(?!文)|此(?!文|外|前|后|时)|"
                         r"(?:这|那)(?:个|位|家|些|项|种|款|名|间|所)(?!文章)")
_ZH_ELLIPSIS = re.compile(r"^(?:那|那么|还有|另外|以及)?.{0,8}呢[?？]?$|^(?:那|那么|还有)")
_EN_POINTER = re.compile(r"\b(?:he|she|it|its|they|them|their|his|her|him|these|those|there)\b|"
                         r"\b(?:this|that) (?!article|story|piece|report)\w+")
_EN_ELLIPSIS = re.compile(r"^(?:and|what about|how about|and what about|what else)\b")


def depends_on_history(question: str) -> bool:
    q = normalize_for_match(question).strip()
    q = re.sub(r"这篇文章|本文|该文|这篇报道", "", q)
    if _ZH_POINTER.search(q) or _ZH_ELLIPSIS.search(q):
        return True
    return bool(_EN_POINTER.search(q) or _EN_ELLIPSIS.search(q))
