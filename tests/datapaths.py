"""Where the tests find their data: inside this repository only (``eval/datasets/``, ``tests/data/``).

A missing file is an error naming it, never a skip: a fresh clone has everything the tests read."""
from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DATASETS = REPO / "eval" / "datasets"
TEST_DATA = REPO / "tests" / "data"
SEED_DIR = DATASETS / "seed"


def data_file(path: Path) -> Path:
    """``path`` itself, after checking that it is there."""
    if not path.is_file():
        raise FileNotFoundError(f"{path}: test data missing from the repository")
    return path


def dataset_file(name: str, file: str = "articles.jsonl") -> Path:
    """A shipped dataset's file: ``eval/datasets/<name>/<file>``."""
    return data_file(DATASETS / name / file)


SEED_PAGE = data_file(SEED_DIR / "jdfinance-2018.txt")
SEED_QUESTIONS = data_file(SEED_DIR / "questions.jsonl")
