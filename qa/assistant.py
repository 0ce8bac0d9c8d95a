"""`Assistant`: the one object the CLI, the web app and the Python API talk to.

    a = Assistant.open("index")
    ans = a.ask("京東金融的CEO是誰?")                 # Answer: text, citations, refused, notes, passages, timings
    for ev in a.stream("他是什麼時候加入的?", history=[(q, ans.text)]):
        ...                                              # {"type": "token", "text": ...} events, then the Answer

Safe to call from several threads: retrieval is thread-safe and every call into the local model holds
``generator_lock()``.
"""
from __future__ import annotations

import os
import queue
import threading
from contextlib import contextmanager
from typing import Any, Iterator, Sequence

from articleqa.settings import Settings, load_settings
from articleqa.types import Answer, Article, Passage
from qa.chain import AnswerSteps, Cancelled, ChainContext, build_chain

History = Sequence[tuple[str, str]]


class Assistant:
    def __init__(self, store, embedder, retriever, settings: Settings) -> None:
        self.store = store
        self.embedder = embedder
        self.retriever = retriever
        self.settings = settings
        self._llm: Any = None
        self._llm_loaded = False
        self._llm_init_lock = threading.Lock()
        self._write_lock = threading.Lock()
        from articleqa.models.generator import generator_lock

        self._llm_lock = generator_lock(settings)  # none for an OpenAI-compatible endpoint
        kind = "openai" if settings.models.generator == "openai" else "llm"
        self._ctx = ChainContext(
            retrieve=self._search,
            settings=settings,
            get_llm=self._get_llm,
            llm_lock=self._llm_lock,
            llm_kind=kind,
            embedder=embedder,
            get_article=self._article_or_none,
            chunks_of=self._chunks_of,
        )
        self._steps = AnswerSteps(self._ctx)  # what ask() and stream() run
        self._chain: Any = None
        self.prefix_state = ""  # how the prompt prefix was warmed: "loaded", "saved", "evaluated", "off"

    # -- construction -------------------------------------------------------------------------------------------
    @classmethod
    def open(cls, index_dir: str | os.PathLike[str] | None = None, settings: Settings | None = None,
             create: bool = False, collections: Sequence[str] | None = None) -> "Assistant":
        """Open the index at ``index_dir`` (default ``settings.index_dir``; or the PostgreSQL store of
        ``settings.store.url``), searching ``collections`` (default ``settings.store.search_collections``, empty =
        all); the chat model loads on first use."""
        from articleqa.models.embedder import load_embedder
        from articleqa.store import open_store
        from qa.retrieval import HybridRetriever

        settings = settings or load_settings()
        if index_dir is not None:
            settings = settings.with_overrides({"index_dir": str(index_dir)})
        if collections:
            settings = settings.with_overrides({"store.search_collections": list(collections)})
        store = open_store(settings.index_dir, settings, create=create)
        embedder = load_embedder(settings)
        return cls(store, embedder, HybridRetriever(store, embedder, settings), settings)

    def close(self) -> None:
        self.store.close()

    def __enter__(self) -> "Assistant":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- pieces -------------------------------------------------------------------------------------------------
    def _get_llm(self):
        if not self._llm_loaded:
            with self._llm_init_lock:
                if not self._llm_loaded:
                    from articleqa.models.generator import load_chat_model

                    self._llm = load_chat_model(self.settings, streaming=True)
                    if self._llm is not None and self.settings.models.generator != "openai":
                        self._warm_prompt_prefix(self._llm)
                    self._llm_loaded = True
        return self._llm

    def _warm_prompt_prefix(self, llm) -> None:
        """Evaluate the fixed prompt head (system message and worked examples) once at load, or load its saved state:
        llama.cpp keeps it in its KV cache and reuses it, so even the first question pays only for its evidence and
        itself."""
        from qa.prompts import short_prefix
        from qa.reader import _roles, closing_quote_ids

        client = getattr(llm, "client", None)
        if client is None or not hasattr(client, "create_chat_completion"):
            return
        from articleqa.models.generator import warm_prefix_state

        a = self.settings.answer
        msgs = _roles(short_prefix(a.few_shot, a.model_reads_simplified) + [("human", "《")])
        try:
            with self._llm_lock:
                # loaded from the model cache when an earlier process saved it (same model, prefix and context)
                self.prefix_state = warm_prefix_state(
                    self.settings, client, msgs,
                    lambda: client.create_chat_completion(messages=msgs, max_tokens=1, temperature=0.0))
            closing_quote_ids(client)  # the refusal probe's token scan, 0.5 s the first question need not wait for
        except Exception:  # noqa: BLE001 - a failed warm-up only costs the first answer some speed
            pass

    def _article_or_none(self, article_id: str) -> Article | None:
        try:
            return self.store.get_article(article_id)
        except Exception:  # noqa: BLE001 - a metadata lookup never fails a question
            return None

    def _chunks_of(self, article_id: str) -> list:
        try:
            return list(self.store.chunks_of(article_id))
        except Exception:  # noqa: BLE001
            return []

    def _search(self, query: str, k: int, filters=None) -> list[Passage]:
        return self.retriever.search(query, k, filters)

    @property
    def chain(self):
        """The answer chain as a LangChain runnable (built on first use; the same steps `ask` runs)."""
        if self._chain is None:
            self._chain = build_chain(self._ctx)
        return self._chain

    @property
    def llm(self):
        """The chat model (loaded on first use), or None when the generator is 'none'."""
        return self._get_llm()

    # -- questions ----------------------------------------------------------------------------------------------
    def retrieve(self, question: str, k: int | None = None, filters=None) -> list[Passage]:
        """Passages for ``question``; ``filters`` (articleqa.store.SearchFilter) replaces the default scope."""
        return self.retriever.search(question, k or self.settings.retrieval.top_k, filters)

    def ask(self, question: str, history: History = (), mode: str | None = None, k: int | None = None,
            filters=None, as_of=None) -> Answer:
        """Answer ``question`` (given earlier (user, assistant) turns) in ``mode`` ('llm' | 'extractive'), from the
        articles that pass ``filters`` (a SearchFilter; None = the collections the assistant was opened with), as
        asked on ``as_of`` (a date or ``YYYY-MM-DD``; None = today, said in the notes when the question needs it)."""
        return self._steps.invoke({"question": question, "history": list(history), "mode": mode, "k": k,
                                   "filters": filters, "as_of": as_of})

    def stream(self, question: str, history: History = (), mode: str | None = None,
               k: int | None = None, filters=None, as_of=None) -> Iterator[dict | Answer]:
        """Yield ``{"type": "token", "text": ...}`` events while the answer is generated, then the final `Answer`
        (whose text replaces the streamed one: checks may drop sentences or fall back to quoting)."""
        q: queue.Queue = queue.Queue()
        cancel = threading.Event()
        done = object()

        def work() -> None:
            try:
                ans = self._steps.invoke({
                    "question": question, "history": list(history), "mode": mode, "k": k, "filters": filters,
                    "as_of": as_of, "on_token": lambda t: q.put({"type": "token", "text": t}), "cancel": cancel,
                })
                q.put(ans)
            except Cancelled:
                pass
            except BaseException as e:  # noqa: BLE001 - re-raised in the consumer's thread
                q.put(e)
            finally:
                q.put(done)

        worker = threading.Thread(target=work, name="articleqa-answer", daemon=True)
        worker.start()
        try:
            while True:
                item = q.get()
                if item is done:
                    break
                if isinstance(item, BaseException):
                    raise item
                yield item
        finally:
            cancel.set()

    # -- articles -----------------------------------------------------------------------------------------------
    def article(self, article_id: str) -> Article | None:
        return self.store.get_article(article_id)

    def list_articles(self) -> list[dict[str, Any]]:
        return self.store.list_articles()

    def delete_article(self, article_id: str) -> None:
        with self._write_lock:
            self.store.delete(article_id)
            self.store.commit()
        self.refresh()

    def list_collections(self) -> list[dict[str, Any]]:
        """One dict per collection: name, n_articles, n_chunks."""
        return self.store.list_collections()

    def delete_collection(self, name: str) -> list[str]:
        """Delete every article of collection ``name``; returns their ids."""
        with self._write_lock:
            gone = self.store.delete_collection(name)
            self.store.commit()
        self.refresh()
        return gone

    @contextmanager
    def writing(self) -> Iterator[None]:
        """Hold this assistant's write lock while the caller writes to its index through another handle (the
        interface layer runs ``ingest.ingest_paths`` inside it), then refresh: qa never imports ingest."""
        try:
            with self._write_lock:
                yield
        finally:
            self.refresh()

    def refresh(self) -> None:
        """Rebuild retrieval's caches now if the index changed (a write through another handle or process),
        instead of on the next question."""
        self.retriever.refresh()
