"""The shipped question sets (see README.md here for sources and licences) and the JSONL loader."""
from __future__ import annotations

import json
from pathlib import Path

DATASETS_DIR = Path(__file__).resolve().parent


def hash_half(key: str) -> int:
    """0 or 1: a fixed half of a set (sha1 of a question or article id), the same on every machine and run, for
    tuning on one half and reporting on the other."""
    import hashlib

    return int(hashlib.sha1(key.encode("utf-8")).hexdigest(), 16) % 2


def names() -> list[str]:
    """Shipped datasets, each a folder with questions.jsonl."""
    return sorted(p.parent.name for p in DATASETS_DIR.glob("*/questions.jsonl"))


def questions_path(name: str) -> Path:
    return DATASETS_DIR / name / "questions.jsonl"


def article_paths(name: str) -> list[Path]:
    """What to ingest for a shipped dataset: articles.jsonl, or the seed's scraped text file(s)."""
    folder = DATASETS_DIR / name
    jsonl = folder / "articles.jsonl"
    if jsonl.exists():
        return [jsonl]
    return sorted(p for p in folder.iterdir() if p.suffix in {".txt", ".html", ".htm", ".md"} and p.name != "README.md")


def dataset_name(questions_file: str | Path) -> str:
    """A short name for a questions file: its folder, or the folder above a split folder (drcd/dev -> drcd)."""
    p = Path(questions_file).resolve()
    folder = p.parent
    if folder.name in {"dev", "test", "train", "validation"} and folder.parent.name:
        return folder.parent.name
    if p.stem != "questions":
        return p.stem
    return folder.name or "eval"


def load_questions(path: str | Path) -> list[dict]:
    """Questions from a JSONL file; a bad line raises ValueError naming the file, the line and the problem."""
    path = Path(path)
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        raise ValueError(f"{path}: no such questions file") from None
    except (OSError, UnicodeDecodeError) as e:
        raise ValueError(f"{path}: cannot read it as UTF-8 text ({e})") from None
    out = []
    for i, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            rec = json.loads(line)
        except ValueError as e:
            raise ValueError(f"{path}:{i}: not valid JSON ({e.args[0] if e.args else e})") from None
        if not isinstance(rec, dict) or not isinstance(rec.get("question"), str) or not rec["question"].strip():
            raise ValueError(f"{path}:{i}: a question line needs a non-empty string field 'question'")
        answers = rec.get("answers", [])
        if not isinstance(answers, list) or not all(isinstance(a, str) for a in answers):
            raise ValueError(f"{path}:{i}: 'answers' must be a list of strings")
        rec.setdefault("id", f"{path.stem}-{i}")
        out.append(rec)
    if not out:
        raise ValueError(f"{path}: no questions in it")
    return out
