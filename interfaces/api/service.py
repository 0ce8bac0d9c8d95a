"""What the endpoints share: the collections (one `Assistant` each), the local model's queue, keys and ingest jobs."""
from __future__ import annotations

import contextlib
import threading
from pathlib import Path
from typing import Any, Iterator

from articleqa.settings import Settings
from articleqa.types import Answer, Passage
from interfaces.api.errors import ApiError
from interfaces.api.jobs import JobQueue
from interfaces.api.keys import KeyStore, keys_path, needs_key

DEFAULT_COLLECTION = "articleqa"
MODES = ("llm", "extractive")


class ApiService:
    def __init__(self, settings: Settings, assistant=None) -> None:
        from articleqa.models.generator import model_queue
        from articleqa.timeparsers import preload_in_background

        preload_in_background(settings)
        self.settings = settings
        self._assistants: dict[str, Any] = {DEFAULT_COLLECTION: assistant} if assistant is not None else {}
        self._owned: set[str] = set()
        self._open_lock = threading.Lock()
        self.keys = KeyStore(keys_path(settings))
        self.require_key = needs_key(settings.server.host)
        self.jobs = JobQueue(settings.server.max_pending_jobs)
        self.queue = model_queue()
        self.queue.configure(settings.server.queue_limit, settings.server.queue_timeout_s)

    # -- collections --------------------------------------------------------------------------------------------
    def collections(self) -> dict[str, Path]:
        out = {DEFAULT_COLLECTION: Path(self.settings.index_dir)}
        out.update({name: Path(path).expanduser() for name, path in self.settings.server.collections.items()})
        return out

    def assistant(self, collection: str | None):
        """The `Assistant` of a collection (opened on first use); 404 for an unknown name."""
        name = collection or DEFAULT_COLLECTION
        found = self._assistants.get(name)
        if found is not None:
            return found
        folders = self.collections()
        if name not in folders:
            raise ApiError(404, f"collection {name!r} does not exist (known: {', '.join(sorted(folders))})")
        from qa import Assistant

        with self._open_lock:
            if name not in self._assistants:
                self._assistants[name] = Assistant.open(folders[name], self.settings, create=True)
                self._owned.add(name)
        return self._assistants[name]

    def resolve_model(self, model: str | None) -> tuple[str, str | None]:
        """``model`` is a collection name, optionally with ``:llm`` or ``:extractive``: (collection, mode)."""
        name, _, mode = (model or DEFAULT_COLLECTION).partition(":")
        if mode and mode not in MODES:
            raise ApiError(404, f"model {model!r}: the mode after ':' must be one of {', '.join(MODES)}")
        if name not in self.collections():
            raise ApiError(404, f"model {model!r} does not exist; GET /v1/models lists them")
        return name, mode or None

    def model_ids(self) -> list[str]:
        ids = []
        for name in self.collections():
            ids += [name, f"{name}:extractive"]
            if self.settings.models.generator != "none":
                ids.append(f"{name}:llm")
        return ids

    # -- answering ----------------------------------------------------------------------------------------------
    def uses_local_model(self, mode: str | None) -> bool:
        generator = self.settings.models.generator
        return (mode or self.settings.answer.mode) == "llm" and generator not in ("openai", "none")

    def ticket(self, mode: str | None) -> contextlib.ExitStack:
        """A place in the local model's queue for an llm answer (503 when it is full); released on close."""
        from articleqa.models.generator import ModelBusy

        stack = contextlib.ExitStack()
        if self.uses_local_model(mode):
            try:
                stack.enter_context(self.queue.ticket())
            except ModelBusy as e:
                raise ApiError(503, str(e), {"Retry-After": "5"}) from e
        return stack

    def ask(self, collection: str | None, question: str, history: list[tuple[str, str]], mode: str | None,
            k: int | None, as_of: str | None = None) -> Answer:
        assistant = self.assistant(collection)
        day = checked_as_of(as_of)
        with self.ticket(mode):
            return _busy_to_503(lambda: assistant.ask(question, history=history, mode=mode, k=k, as_of=day))

    def stream(self, collection: str | None, question: str, history: list[tuple[str, str]], mode: str | None,
               k: int | None, ticket: contextlib.ExitStack, as_of: str | None = None) -> Iterator[dict | Answer]:
        """Token events, then the Answer; ``ticket`` (from `ticket`) is released when the stream ends."""
        assistant = self.assistant(collection)
        with ticket:
            yield from assistant.stream(question, history=history, mode=mode, k=k, as_of=as_of)

    def search(self, collection: str | None, query: str, k: int | None, filters=None) -> list[Passage]:
        """Passages for ``query``; ``filters`` (the request's `SearchFilters`) replaces the default scope."""
        assistant = self.assistant(collection)
        return assistant.retrieve(query, k or self.settings.retrieval.top_k, search_filter(filters))

    def close(self) -> None:
        self.jobs.close()
        for name in self._owned:
            self._assistants[name].close()


def search_filter(filters):
    """The store's `SearchFilter` for a request's `SearchFilters` (None when none is given or every field is
    empty: the default scope); a bad date is a 400."""
    if filters is None:
        return None
    from articleqa.store.filters import SearchFilter

    try:
        made = SearchFilter.make(**filters.model_dump())
    except ValueError as e:
        raise ApiError(400, f"filters.{e}") from e
    return None if made.is_empty() else made


def checked_as_of(value: str | None):
    """The ``as_of`` day of a request; a value that is not a date is a 400 naming it."""
    from articleqa.timeexpr import parse_as_of

    try:
        return parse_as_of(value)
    except ValueError as e:
        raise ApiError(400, str(e)) from e


def _busy_to_503(call):
    from articleqa.models.generator import ModelBusy

    try:
        return call()
    except ModelBusy as e:
        raise ApiError(503, str(e), {"Retry-After": "5"}) from e
