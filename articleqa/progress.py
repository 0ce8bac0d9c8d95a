"""One progress-callback shape for every long step (model preparation, ingest): ``progress(event)``.

``event`` is a `ProgressEvent`: ``stage`` names the step ("read", "embed", "write", "done", or a model's label
while it is prepared), ``done`` / ``total`` count ``unit``s ("file", "chunk", "step", "B"), ``message`` is a line
for people. Callers draw a bar per stage or print the message; producers call `notify`, which never lets a
broken callback sink the work.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Callable, Optional

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ProgressEvent:
    stage: str
    done: int
    total: int
    unit: str = "step"
    message: str = ""

    @property
    def text(self) -> str:
        """The message, or ``stage done/total unit`` when there is none."""
        return self.message or f"{self.stage}: {self.done}/{self.total} {self.unit}"


Progress = Callable[[ProgressEvent], None]


def notify(progress: Optional[Progress], stage: str, done: int, total: int, unit: str = "step",
           message: str = "") -> None:
    """Send one event to ``progress`` (if any); an exception in the callback is logged, not raised."""
    if progress is None:
        return
    try:
        progress(ProgressEvent(stage, int(done), int(total), unit, message))
    except Exception:  # a broken progress callback must not lose an ingest or a model build
        log.exception("progress callback failed")


__all__ = ["Progress", "ProgressEvent", "notify"]
