"""Training examples for the span reader, read from SQuAD-format JSON (``../shared/train``).

Each example is ``{"id", "question", "context", "answer_text", "answer_start"}``; an unanswerable one has
``answer_text == ""`` and ``answer_start == -1``. Besides the files' own examples this makes the Chinese
unanswerables the sources lack (``shared/train/README.md``):

- *another paragraph*: a question paired with a paragraph of the same article that does not hold its answer
  (the shape of ``drcd-nearmiss``, where retrieval finds the article but not the answer's paragraph);
- *an altered question*: a number or a name of the question swapped for one its paragraph does not hold (the
  shape of SQuAD 2.0's adversarial questions), so the paragraph is on topic but no longer answers it.

and Traditional copies of part of the Simplified data (OpenCC s2t), since the first corpus is Traditional.
"""
from __future__ import annotations

import json
import random
import re
from dataclasses import dataclass, field
from pathlib import Path

# What one training run reads: file -> how many of its questions (None = all). Sized so that one epoch fits the
# 2-core budget (issue 23: about 90 minutes); the README of articleqa/reader says what each adds.
DEFAULT_MIX: dict[str, int | None] = {
    "drcd-train.json": None,
    "cmrc2018-train.json": None,
    "mlqa-context-zh-question-zh.json": None,
    "mlqa-context-zh-question-en.json": None,
    "mlqa-context-en-question-zh.json": None,
    "mlqa-context-en-question-en.json": None,
    "xquad-zh.json": None,
    "xquad-en.json": None,
    "squad1-train.json": 8000,
    "squad2-train.json": None,
}


@dataclass
class Mix:
    files: dict[str, int | None] = field(default_factory=lambda: dict(DEFAULT_MIX))
    other_paragraph_share: float = 0.25  # Chinese (and SQuAD 1.1) questions also paired with another paragraph
    altered_question_share: float = 0.15  # Chinese questions also asked with a swapped number or name
    altered_question_share_en: float = 0.0  # the same for English questions (SQuAD 2.0's entity and number swaps)
    traditional_share: float = 0.5  # Simplified examples also copied into Traditional script


def _articles(path: Path) -> list[dict]:
    with open(path, encoding="utf-8") as fh:
        data = json.load(fh)
    if not isinstance(data, dict) or not isinstance(data.get("data"), list):
        raise ValueError(f"{path}: not SQuAD-format JSON (no 'data' list)")
    return data["data"]


def _is_chinese(text: str) -> bool:
    return sum("\u4e00" <= c <= "\u9fff" for c in text) >= 2


def read_file(path: Path, limit: int | None, rng: random.Random) -> list[dict]:
    """The examples of one SQuAD-format file (at most ``limit`` questions, drawn at random), with ``article`` and
    ``paragraph`` indexes kept for pairing a question with another paragraph."""
    out = []
    for a_i, art in enumerate(_articles(path)):
        for p_i, para in enumerate(art.get("paragraphs", [])):
            ctx = para["context"]
            for qa in para.get("qas", []):
                ex = {"id": f"{path.stem}/{qa['id']}", "question": qa["question"].strip(), "context": ctx,
                      "article": f"{path.stem}/{a_i}", "paragraph": p_i, "answers": [], "answer_text": "",
                      "answer_start": -1}
                if not qa.get("is_impossible") and qa.get("answers"):
                    first = qa["answers"][0]
                    start = int(first["answer_start"])
                    if ctx[start:start + len(first["text"])] != first["text"]:
                        start = ctx.find(first["text"])
                    if start < 0 or not first["text"].strip():
                        continue  # an offset we cannot place: skip rather than teach a wrong span
                    ex.update(answer_text=first["text"], answer_start=start,
                              answers=sorted({a["text"] for a in qa["answers"]}))
                out.append(ex)
    if limit is not None and limit < len(out):
        out = rng.sample(out, limit)
    return out


def other_paragraph_examples(examples: list[dict], share: float, rng: random.Random) -> list[dict]:
    """Questions paired with another paragraph of their article that holds none of their answers."""
    by_article: dict[str, dict[int, str]] = {}
    for ex in examples:
        by_article.setdefault(ex["article"], {})[ex["paragraph"]] = ex["context"]
    out = []
    for ex in examples:
        if not ex["answers"] or rng.random() >= share:
            continue
        others = [c for p, c in by_article[ex["article"]].items()
                  if p != ex["paragraph"] and not any(a in c for a in ex["answers"])]
        if others:
            out.append({**ex, "id": ex["id"] + "/other", "context": rng.choice(others), "answer_text": "",
                        "answer_start": -1, "answers": []})
    return out


_NUMBER = re.compile(r"\d+(?:\.\d+)?|[零一二三四五六七八九十百千萬万億亿兩两]+")


def _swap_number(question: str, context: str, rng: random.Random) -> str | None:
    matches = [m for m in _NUMBER.finditer(question) if m.group() in context]
    if not matches:
        return None
    m = rng.choice(matches)
    old = m.group()
    if old.isdigit():
        for _ in range(8):
            value = int(old)
            new = str(value + rng.choice([-1, 1]) * rng.randint(1, max(3, value // 10 + 1)))
            if new != old and new not in context and not new.startswith("-"):
                return question[:m.start()] + new + question[m.end():]
        return None
    return None


def _swap_name(question: str, context: str, names: list[str], rng: random.Random) -> str | None:
    """Swap a name (person, place, organisation) the paragraph holds for one from another article."""
    import jieba.posseg as pseg

    own = [w.word for w in pseg.cut(question) if w.flag in ("nr", "ns", "nt", "nz") and len(w.word) >= 2
           and w.word in context]
    return _swap_own_name(question, context, own, names, rng)


def _swap_own_name(question: str, context: str, own: list[str], names: list[str], rng: random.Random) -> str | None:
    """One of the question's names its paragraph holds (``own``) replaced by one of ``names`` the paragraph lacks."""
    if not own or not names:
        return None
    old = rng.choice(own)
    for _ in range(8):
        new = rng.choice(names)
        if new != old and new not in context and len(new) >= 2:
            return question.replace(old, new, 1)
    return None


_EN_NAME = re.compile(r"\b[A-Z][^\W\d_]+(?: (?:of |the |de )?[A-Z][^\W\d_]+)*")


def _english_names(question: str) -> list[str]:
    """Capitalised words and runs of them, but not the question's first word (``What``, ``In``...)."""
    return [m.group() for m in _EN_NAME.finditer(question) if m.start() > 0]


def _swap_english_name(question: str, context: str, names: list[str], rng: random.Random) -> str | None:
    # English names are at least two letters (_EN_NAME), so the shared length check changes nothing here
    return _swap_own_name(question, context, [n for n in _english_names(question) if n in context], names, rng)


def altered_question_examples(examples: list[dict], share: float, rng: random.Random,
                              share_en: float = 0.0) -> list[dict]:
    """Questions with a number or a name swapped, so their own paragraph no longer answers them: Chinese ones at
    ``share``, English ones at ``share_en`` (names taken from other articles' questions)."""
    import jieba.posseg as pseg

    chinese = [ex for ex in examples if ex["answers"] and _is_chinese(ex["question"])]
    names = sorted({w.word for ex in rng.sample(chinese, min(600, len(chinese)))
                    for w in pseg.cut(ex["question"]) if w.flag in ("nr", "ns", "nt") and len(w.word) >= 2})
    english = [ex for ex in examples if ex["answers"] and not _is_chinese(ex["question"])] if share_en else []
    names_en = sorted({n for ex in rng.sample(english, min(2000, len(english))) for n in _english_names(ex["question"])})
    out = []
    for ex in chinese + english:
        in_chinese = _is_chinese(ex["question"])
        if rng.random() >= (share if in_chinese else share_en):
            continue
        swap_name = _swap_name if in_chinese else _swap_english_name
        swapped = _swap_number(ex["question"], ex["context"], rng) or swap_name(
            ex["question"], ex["context"], names if in_chinese else names_en, rng)
        if swapped and swapped != ex["question"]:
            out.append({**ex, "id": ex["id"] + "/altered", "question": swapped, "answer_text": "",
                        "answer_start": -1, "answers": []})
    return out


def traditional_copies(examples: list[dict], share: float, rng: random.Random) -> list[dict]:
    """Traditional-script copies of Simplified examples, the answer offset found again after conversion."""
    from opencc import OpenCC

    s2t = OpenCC("s2t")
    out = []
    for ex in examples:
        if not _is_chinese(ex["context"]) or rng.random() >= share:
            continue
        ctx = s2t.convert(ex["context"])
        if ctx == ex["context"]:
            continue  # already Traditional (DRCD)
        new = {**ex, "id": ex["id"] + "/hant", "question": s2t.convert(ex["question"]), "context": ctx}
        if ex["answer_text"]:
            ans = s2t.convert(ex["answer_text"])
            near = len(s2t.convert(ex["context"][:ex["answer_start"]]))
            starts = [m.start() for m in re.finditer(re.escape(ans), ctx)]
            if not starts:
                continue
            new.update(answer_text=ans, answer_start=min(starts, key=lambda s: abs(s - near)),
                       answers=[s2t.convert(a) for a in ex["answers"]])
        out.append(new)
    return out


def build_examples(train_dir: Path, mix: Mix | None = None, seed: int = 0) -> list[dict]:
    """Every training example of one run, shuffled with ``seed``."""
    mix = mix or Mix()
    rng = random.Random(seed)
    base: list[dict] = []
    for name, limit in mix.files.items():
        path = train_dir / name
        if not path.is_file():
            raise FileNotFoundError(f"{path}: training file not found (see shared/train/README.md)")
        base.extend(read_file(path, limit, rng))
    chinese = [ex for ex in base if _is_chinese(ex["context"])]
    squad = [ex for ex in base if ex["id"].startswith("squad1-train/")]
    made = (other_paragraph_examples(chinese + squad, mix.other_paragraph_share, rng)
            + altered_question_examples(base, mix.altered_question_share, rng, mix.altered_question_share_en))
    examples = base + made
    examples += traditional_copies(examples, mix.traditional_share, rng)
    rng.shuffle(examples)
    return examples


def summary(examples: list[dict]) -> dict[str, int]:
    """Counts by source file and kind, for the training log and the README."""
    counts: dict[str, int] = {}
    for ex in examples:
        src = ex["id"].split("/", 1)[0]
        kind = "answerable" if ex["answer_text"] else "unanswerable"
        for suffix in ("other", "altered", "hant"):
            if f"/{suffix}" in ex["id"]:
                kind += f"+{suffix}"
        counts[f"{src} {kind}"] = counts.get(f"{src} {kind}", 0) + 1
    return dict(sorted(counts.items()))
