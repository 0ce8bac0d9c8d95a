"""kill -9 an ingest at several moments: the previous index must open, be consistent and hold exactly the previous
articles (or, once the SQLite commit is through, exactly the new set).

The ingest runs as a real subprocess (`articleqa ingest` through ``interfaces.cli.main``). Moments are found from its
stderr: the CLI prints progress lines when stderr is not a terminal, and the store's documented test hook
``ARTICLEQA_DEBUG_COMMIT_PAUSE=<stage>:<seconds>`` announces and holds a pause just before / just after the
SQLite commit.
"""
from __future__ import annotations

import json
import os
import queue
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from articleqa.settings import Settings
from articleqa.store import open_store
from ingest import ingest_paths
from tests.datapaths import dataset_file

DRCD = dataset_file("drcd")
CLI = "import sys; from interfaces.cli import main; sys.exit(main())"


def drcd_rows(start: int, n: int, paragraphs: int) -> list[dict]:
    rows = [json.loads(line) for line in DRCD.read_text(encoding="utf-8").splitlines()[start : start + n]]
    for r in rows:
        r["text"] = "\n\n".join(r["text"].split("\n\n")[:paragraphs])
    return rows


def write_split(folder: Path, rows: list[dict]) -> set[str]:
    """One file per article (the larger set is DRCD dev articles split into files)."""
    folder.mkdir(parents=True, exist_ok=True)
    for r in rows:
        (folder / f"{r['id']}.jsonl").write_text(json.dumps(r, ensure_ascii=False) + "\n", encoding="utf-8")
    return {r["id"] for r in rows}


@pytest.fixture(scope="module")
def settings() -> Settings:
    return Settings()


@pytest.fixture(scope="module")
def prev(tmp_path_factory, settings):
    """The previous index (two short articles), built once and kept pristine."""
    root = tmp_path_factory.mktemp("kill")
    prev_ids = write_split(root / "prev-docs", drcd_rows(0, 2, paragraphs=1))
    report = ingest_paths([root / "prev-docs"], root / "pristine-index", settings)
    assert report.ok and report.added == 2
    return root, prev_ids


def restore(root: Path) -> Path:
    index = root / "index"
    shutil.rmtree(index, ignore_errors=True)
    shutil.copytree(root / "pristine-index", index)
    return index


class Ingest:
    """`articleqa ingest` in a subprocess, its stderr lines collected by a thread."""

    def __init__(self, paths: list[Path], index: Path, env_extra: dict[str, str]):
        env = dict(os.environ, HF_HUB_OFFLINE="1", ARTICLEQA_MODELS__EMBED_BATCH_SIZE="4", **env_extra)
        self.proc = subprocess.Popen(
            [sys.executable, "-c", CLI, "ingest", *map(str, paths), "--index", str(index)],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, text=True, cwd=Path(__file__).parents[1],
        )
        self.lines: queue.Queue[str | None] = queue.Queue()
        self.seen: list[str] = []
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self) -> None:
        for line in self.proc.stderr:
            self.lines.put(line.rstrip("\n"))
        self.lines.put(None)

    def wait_for(self, predicate, timeout: float = 300) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=1)
            except queue.Empty:
                continue
            if line is None:
                break
            self.seen.append(line)
            if predicate(line):
                return line
        self.kill()
        pytest.fail(f"ingest ended or timed out before the moment; stderr: {self.seen[-20:]}")

    def kill(self) -> None:
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=30)


def assert_sound(index: Path, settings: Settings, expected_ids: set[str]) -> None:
    with open_store(index, settings) as st:
        assert st.check() == []
        assert {r["id"] for r in st.list_articles()} == expected_ids
        meta = st.meta
        assert meta["n_chunks"] == sum(r["n_chunks"] for r in st.list_articles()) > 0
        for chunk in list(st.iter_chunks())[:: max(1, meta["n_chunks"] // 5)]:
            hit = st.search(st.get_vectors([chunk.id])[0], 1)
            assert hit and hit[0][0] == chunk.id  # every sampled chunk finds itself: vectors and ids line up
        st.begin()  # the killed writer's lock is gone
        st.rollback()


def embedding_mid_run(line: str) -> bool:
    if not line.startswith("embedding:"):
        return False
    done, total = line.split(":", 1)[1].split("chunks", 1)[0].strip().split("/")
    return int(done) < int(total)


def test_kill_while_embedding(prev, settings):
    root, prev_ids = prev
    index = restore(root)
    write_split(root / "big", drcd_rows(2, 8, paragraphs=3))
    run = Ingest([root / "big"], index, {})
    line = run.wait_for(embedding_mid_run)
    run.kill()
    assert run.proc.returncode == -signal.SIGKILL, line
    assert_sound(index, settings, prev_ids)


@pytest.mark.parametrize("stage", ["before-commit", "after-commit"])
def test_kill_around_the_commit(prev, settings, stage):
    root, prev_ids = prev
    index = restore(root)
    new_ids = write_split(root / f"small-{stage}", drcd_rows(10, 2, paragraphs=1))
    run = Ingest([root / f"small-{stage}"], index, {"ARTICLEQA_DEBUG_COMMIT_PAUSE": f"{stage}:300"})
    run.wait_for(lambda ln: ln == f"articleqa-debug: paused at {stage}")
    run.kill()
    assert run.proc.returncode == -signal.SIGKILL
    if stage == "before-commit":
        # Everything was written inside the transaction, then the process died: none of it is visible.
        assert_sound(index, settings, prev_ids)
    else:
        # SQLite committed; the FAISS cache of the new version was never written: it is rebuilt on open.
        import sqlite3

        con = sqlite3.connect(index / "store.sqlite")
        version = json.loads(con.execute("SELECT value FROM meta WHERE key='version'").fetchone()[0])
        con.close()
        assert not list(index.glob(f"vectors-*-{version}.faiss"))
        assert_sound(index, settings, prev_ids | new_ids)
        report = ingest_paths([root / f"small-{stage}"], index, settings)  # the manifest made it too
        assert report.chunks == 0 and report.unchanged == 2 and report.added == 0
