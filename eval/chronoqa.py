"""ChronoQA (time-aware questions over dated news): the answer scorer and a run of the time-aware and the time-blind
pipeline side by side, each question asked at its ``question_date`` (``as_of``).

Scorer (:func:`answer_right`):

* a judgement gold (是 / 是的 / 对 / 有 / yes ... or 不是 / 否 / 没有 / 沒有 / no ...) is right when the answer opens
  with the same judgement; a quote that opens with neither is not a yes;
* any other gold is right when the answer contains it or its short answer scores char-F1 >= 0.5 against it (CMRC
  2018's F1, both sides Simplified, Chinese numerals as digits: 五日 = 5日), so a right paraphrase is not a miss.

Results by ``temporal_type`` (absolute, relative, aggregate) and ``answer_type``; hit@1 / hit@5 of the gold
snippets among the passages the answer was given.
"""
from __future__ import annotations

import json
import random
import re
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

from articleqa.text import to_simplified
from articleqa.timeexpr import zh_int
from eval.datasets import hash_half
from eval.metrics.answer_match import cmrc_f1, remove_punctuation

YES = ("是的", "是", "对", "對", "有", "会", "會", "可以", "能", "yes", "true", "correct")
NO = ("不是", "否", "没有", "沒有", "不对", "不會", "不会", "不可以", "不能", "不", "no", "false", "not")
F1_RIGHT = 0.5
_NUM_RUN = re.compile(r"[零〇一二两三四五六七八九十百]+")


def _digits(s: str) -> str:
    return _NUM_RUN.sub(lambda m: str(n) if (n := zh_int(m.group(0))) is not None else m.group(0), s)


def normalize(s: str) -> str:
    return _digits(remove_punctuation(to_simplified(s or "")).lower().replace(" ", ""))


def judgement_of(text: str) -> str | None:
    """"yes" / "no" when ``text`` opens with a judgement (是的 / 不是 / Yes / No ...), else None."""
    t = to_simplified(text or "").strip().lower()
    t = re.sub(r"^[\s「『\"'“]+", "", t)
    for w in NO:
        if t.startswith(w) and not (w == "不" and not re.match(r"不[是会能对可]", t)):
            if w in ("no", "not") and re.match(r"no[a-z]|not[a-z]", t):
                continue
            return "no"
    for w in YES:
        if t.startswith(w):
            if w in ("yes", "true") and re.match(r"yes[a-z]|true[a-z]", t):
                continue
            if w in ("有", "会", "能", "可以") and len(re.split(r"[。，,.!！]", t)[0]) > len(w):
                continue  # 有关..., 会议... : not a judgement
            return "yes"
    return None


def gold_judgement(golds: Sequence[str]) -> str | None:
    """The judgement the gold answers make, when each is a bare judgement word (是的, 不是, 否 ...)."""
    js = {judgement_of(g) if normalize(g) in {normalize(w) for w in YES + NO} else None for g in golds}
    return js.pop() if len(js) == 1 and None not in js else None


def answer_right(answer_text: str, short: str, golds: Sequence[str]) -> bool:
    golds = [g for g in golds if g and g.strip()]
    if not golds:
        return False
    gj = gold_judgement(golds)
    if gj is not None:
        return judgement_of(answer_text) == gj
    text, short = normalize(answer_text), _digits(to_simplified(short or answer_text))
    for g in golds:
        ng = normalize(g)
        if ng and (ng in text or cmrc_f1(short, _digits(to_simplified(g))) >= F1_RIGHT):
            return True
    return False


@dataclass
class Row:
    id: str
    temporal_type: str
    answer_type: str
    results: dict[str, dict[str, Any]] = field(default_factory=dict)  # pipeline -> {right, hit1, hit5, ...}


SPLITS = ("all", "tune", "report")
_LOOKED_AT = (120, 0)  # the round-eight sample (size, seed) the time rules were written on: always tuning data


def split_questions(rows: list[dict], split: str = "all") -> list[dict]:
    """ChronoQA dev cut in two: ``report`` is the half of the questions (by a hash of the id) left out of the
    round-eight sample the time rules were written on; ``tune`` is everything else; ``all`` is every question."""
    if split == "all":
        return rows
    looked = {r["id"] for r in random.Random(_LOOKED_AT[1]).sample(rows, _LOOKED_AT[0])}
    report = [r for r in rows if r["id"] not in looked and hash_half(r["id"]) == 1]
    return report if split == "report" else [r for r in rows if r not in report]


def sample_questions(path: Path, n: int | None, seed: int = 0, split: str = "all") -> list[dict]:
    rows = [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines() if x.strip()]
    rows = split_questions(rows, split)
    if n is not None and n < len(rows):
        rows = random.Random(seed).sample(rows, n)
    return rows


def ask_one(assistant, q: dict, mode: str, use_as_of: bool = True) -> dict[str, Any]:
    gold_ids = set(q.get("article_ids") or [q.get("article_id")])
    t = time.perf_counter()
    try:
        ans = assistant.ask(q["question"], mode=mode, as_of=q.get("question_date") if use_as_of else None)
    except Exception as e:  # noqa: BLE001 - one failing question scores as a miss
        return {"right": False, "hit1": False, "hit5": False, "error": f"{type(e).__name__}: {e}"[:200],
                "secs": time.perf_counter() - t}
    ids = [p.chunk.article_id for p in ans.passages]
    cited = {c.article_id for c in ans.citations}
    return {
        "right": answer_right(ans.text, ans.short_answer, q.get("answers") or []),
        "hit1": bool(ids[:1]) and ids[0] in gold_ids,
        "hit5": bool(gold_ids & set(ids[:5])),
        "cited_gold": bool(gold_ids & cited),
        "refused": ans.refused,
        "answered_by": ans.answered_by,
        "reader_margin": ans.reader_margin,
        "cited_chunk": ans.citations[0].chunk_id if ans.citations else None,
        "answer": ans.text[:300],
        "secs": time.perf_counter() - t,
    }


def summarize(rows: list[Row], pipelines: Sequence[str]) -> dict[str, Any]:
    """Share right (and hit@1/hit@5) per pipeline: overall, by temporal_type, by answer_type."""
    out: dict[str, Any] = {}
    groups: dict[str, list[Row]] = defaultdict(list)
    for r in rows:
        groups["all"].append(r)
        groups[f"temporal_type={r.temporal_type}"].append(r)
        groups[f"answer_type={r.answer_type}"].append(r)
    for name, rs in sorted(groups.items(), key=lambda kv: (kv[0] != "all", kv[0])):
        out[name] = {"n": len(rs)}
        for p in pipelines:
            got = [r.results[p] for r in rs if p in r.results]
            if got:
                out[name][p] = {k: round(sum(bool(g.get(k)) for g in got) / len(got), 3)
                                for k in ("right", "hit1", "hit5", "cited_gold", "refused")}
    return out


def table(summary: dict[str, Any], pipelines: Sequence[str]) -> str:
    head = "| group | n | " + " | ".join(f"{p} right | {p} hit@1" for p in pipelines) + " |"
    lines = [head, "|" + "---|" * (2 + 2 * len(pipelines))]
    for name, s in summary.items():
        cells = []
        for p in pipelines:
            v = s.get(p, {})
            cells += [f"{v.get('right', 0):.3f}", f"{v.get('hit1', 0):.3f}"]
        lines.append(f"| {name} | {s['n']} | " + " | ".join(cells) + " |")
    return "\n".join(lines)
