"""Question answering over the store: hybrid retrieval, the cited answer chain, grounding, refusal; `Assistant`."""
from __future__ import annotations

__all__ = ["Assistant"]


def __getattr__(name: str):
    if name == "Assistant":
        from qa.assistant import Assistant

        return Assistant
    raise AttributeError(name)
