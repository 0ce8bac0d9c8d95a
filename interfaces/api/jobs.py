"""Ingest jobs: an upload is saved to a private folder and ingested in the background, one job at a time; clients
poll ``GET /api/jobs/{id}`` for progress and the report."""
from __future__ import annotations

import secrets
import shutil
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from articleqa.progress import ProgressEvent


@dataclass
class Job:
    id: str
    collection: str
    files: list[str]  # the uploaded file names
    state: str = "queued"  # queued | running | done | failed
    done: int = 0
    total: int = 0
    message: str = ""
    report: dict[str, Any] | None = None
    error: str = ""
    created: float = field(default_factory=time.time)
    finished: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "collection": self.collection, "files": list(self.files), "state": self.state,
                "progress": {"done": self.done, "total": self.total, "message": self.message},
                "report": self.report, "error": self.error, "created": self.created, "finished": self.finished}


class JobQueue:
    """Runs ``ingest(paths, progress)`` callables one at a time; keeps the last ``keep`` jobs for polling."""

    def __init__(self, max_pending: int, keep: int = 200) -> None:
        self.max_pending = max_pending
        self.keep = keep
        self._jobs: dict[str, Job] = {}
        self._lock = threading.Lock()
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="articleqa-ingest")

    def pending(self) -> int:
        with self._lock:
            return sum(1 for j in self._jobs.values() if j.state in ("queued", "running"))

    def get(self, job_id: str) -> Job | None:
        with self._lock:
            return self._jobs.get(job_id)

    def submit(self, collection: str, folder: Path, names: list[str],
               ingest: Callable[[list[Path], Callable], Any]) -> Job | None:
        """Queue a job over the files in ``folder`` (deleted afterwards); None when ``max_pending`` are waiting."""
        with self._lock:
            if sum(1 for j in self._jobs.values() if j.state in ("queued", "running")) >= self.max_pending:
                return None
            job = Job(id=secrets.token_hex(6), collection=collection, files=names)
            self._jobs[job.id] = job
            self._trim()
        self._pool.submit(self._run, job, folder, ingest)
        return job

    def _trim(self) -> None:
        finished = [j for j in self._jobs.values() if j.state in ("done", "failed")]
        for j in sorted(finished, key=lambda j: j.created)[: max(0, len(self._jobs) - self.keep)]:
            del self._jobs[j.id]

    def _run(self, job: Job, folder: Path, ingest) -> None:
        job.state = "running"

        def progress(event: ProgressEvent) -> None:
            job.done, job.total, job.message = event.done, event.total, event.text

        try:
            report = ingest(sorted(folder.iterdir()), progress)
            job.report = report.to_dict()
            job.state = "done"
        except Exception as e:  # noqa: BLE001 - reported to the poller
            job.error = f"{type(e).__name__}: {e}"
            job.state = "failed"
        finally:
            job.finished = time.time()
            shutil.rmtree(folder, ignore_errors=True)

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)


def upload_folder() -> Path:
    return Path(tempfile.mkdtemp(prefix="articleqa-upload-"))
