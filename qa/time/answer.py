"""Time on the final answer: dates on citations and passages, the date an answer holds for, yes/no questions
answered 是/否 (yes/no) before the cited sentence, and dated passages that disagree shown side by side."""
from __future__ import annotations

import re

from articleqa.text import to_simplified
from articleqa.types import Answer
from qa.time.messages import msg

_WH_ZH = re.compile(r"什么|甚么|谁|哪|多少|几|何时|何地|为何|如何|怎么|怎样|为什么|多久|多大|多高|多长")
_YESNO_ZH = re.compile(r"(吗|么)[？?]?\s*$|是否|是不是|有没有|能否|可否|会不会|是还是不是")
_YESNO_EN = re.compile(r"^(is|are|was|were|did|does|do|has|have|had|can|could|will|would|should)\b", re.I)
_NEG_ZH = re.compile(r"没有|未能|尚未|并未|不再|并非|不是|否认")


def is_yes_no(question: str, lang: str) -> bool:
    if lang == "en":
        q = question.strip()
        return bool(_YESNO_EN.match(q)) and " or " not in q.lower()
    s = to_simplified(question)
    return bool(_YESNO_ZH.search(s)) and not _WH_ZH.search(s) and "还是" not in s.replace("是还是不是", "")


def _fill_dates(ans: Answer, s) -> None:
    by_chunk = {p.chunk.id: p.date for p in list(s.passages) + list(ans.passages) if p.date}
    for c in ans.citations:
        if not c.date:
            c.date = by_chunk.get(c.chunk_id, "")


def _says_yes_no(text: str, lang: str) -> bool:
    head = text.strip()[:4].lower()
    return head.startswith(("是", "否", "不是", "没有", "沒有", "yes", "no")) if head else False


def _judgement(ans: Answer, s) -> None:
    """A yes/no question answered from a cited sentence: 是的/不是 (yes/no) first, then what it cites; 不是 when
    the cited sentence negates what the question asks about and the question itself does not."""
    if ans.refused or not ans.citations or _says_yes_no(ans.text, s.lang) or not is_yes_no(s.question, s.lang):
        return
    quote = to_simplified(ans.citations[0].quote)
    negated = s.lang != "en" and bool(_NEG_ZH.search(quote)) and not _NEG_ZH.search(to_simplified(s.question))
    yn = msg("no" if negated else "yes", s.lang)
    sep = "。" if s.lang != "en" else ". "
    ans.text = f"{yn}{sep}{ans.text}"
    ans.short_answer = yn


def _holds_for(ans: Answer, s) -> None:
    """A question about a time: the answer says the date of the article it cites."""
    qt = s.time
    if ans.refused or qt is None or not (qt.exprs or qt.latest) or not ans.citations:
        return
    when = next((c.date for c in ans.citations if c.date), "")
    if not when:
        return
    line = msg("as_of_prefix", s.lang, when=when).rstrip("，: ")
    ans.text = f"{ans.text}\n（{line}）" if s.lang != "en" else f"{ans.text}\n({line})"


def _disagreements(ans: Answer, s, n: int) -> None:
    """When the passages given to the reader come from different dates and the answer's figure is not in all of
    them, say so with each passage's date."""
    if ans.refused or not ans.short_answer:
        return
    given = [p for p in s.passages[:n] if p.date]
    if len({p.date for p in given}) < 2:
        return
    have = [p for p in given if ans.short_answer in p.chunk.text]
    lack = [p for p in given if ans.short_answer not in p.chunk.text and re.search(r"\d", p.chunk.text)]
    if not have or not lack:
        return
    items = "；".join(f"{p.date}: {p.chunk.text[:60]}…" for p in (have[0], lack[0]))
    ans.notes.append(msg("note_disagree", s.lang, items=items))


def finish_time(ctx, s, ans: Answer) -> Answer:
    """Dates on the answer's citations and passages; with time-aware answering on, the yes/no form, the date
    the answer holds for and disagreeing dated passages."""
    _fill_dates(ans, s)
    if not ctx.settings.time.enabled or s.time is None:
        return ans
    ans.as_of = s.time.as_of.isoformat()
    _judgement(ans, s)
    _holds_for(ans, s)
    _disagreements(ans, s, ctx.settings.answer.context_passages)
    return ans
