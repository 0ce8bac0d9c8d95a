"""Embed passages in token-sized, length-sorted batches, with progress; `EmbedStage` overlaps it with reading.

Sorting by length before batching means each batch pads to similar lengths; cutting batches by tokens (at most
``models.embed_batch_tokens`` padded tokens on the CPU, ``models.gpu_batch_size`` passages on a GPU) keeps every
batch about the same work, where a fixed count gives 32 long passages the same slot as 32 short ones. The vectors
are put back in the caller's order. Progress goes to a tqdm bar on a terminal, or to ``progress(event)``
(`articleqa.progress`) when the caller passes one.
"""
from __future__ import annotations

import queue
import sys
import threading
import time
from typing import Any, Sequence

import numpy as np

from articleqa.progress import Progress, notify


def embedding_dim(model) -> int:
    """The model's output dimension (sentence-transformers renamed the method in v5)."""
    fn = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
    return int(fn())


def token_batches(lengths: Sequence[int], max_tokens: int, max_count: int) -> list[list[int]]:
    """Indices grouped longest first into batches of at most ``max_count`` texts and ``max_tokens`` padded tokens
    (a single text longer than the budget still gets its own batch)."""
    order = sorted(range(len(lengths)), key=lambda i: -lengths[i])
    batches: list[list[int]] = []
    for i in order:
        cur = batches[-1] if batches else None
        # the batch's width is its first (longest) text's length
        if cur is not None and len(cur) < max_count and lengths[cur[0]] * (len(cur) + 1) <= max_tokens:
            cur.append(i)
        else:
            batches.append([i])
    return batches


def embed_texts(model, texts: Sequence[str], batch_size: int, progress: Progress | None = None,
                desc: str = "embed", max_tokens: int | None = None, show_bar: bool | None = None) -> np.ndarray:
    """float32 [len(texts), dim] L2-normalised passage vectors, in the order of ``texts``."""
    from articleqa.models.embedder import embed_passages, token_counts

    texts = list(texts)
    n = len(texts)
    out = np.zeros((n, embedding_dim(model)), dtype=np.float32)
    if n == 0:
        return out
    batch_size = max(1, int(batch_size))
    lengths = token_counts(model, texts) if max_tokens else [len(t) for t in texts]
    batches = token_batches(lengths, int(max_tokens or 1 << 62), batch_size)
    bar = None
    if show_bar if show_bar is not None else (progress is None and sys.stderr.isatty()):
        from tqdm import tqdm

        bar = tqdm(total=n, desc=desc, unit="chunk", dynamic_ncols=True, file=sys.stderr)
    t0, done = time.monotonic(), 0
    try:
        for idx in batches:
            out[idx] = embed_passages(model, [texts[i] for i in idx], batch_size=len(idx))
            done += len(idx)
            if bar is not None:
                bar.update(len(idx))
            rate = done / max(time.monotonic() - t0, 1e-9)
            notify(progress, desc, done, n, unit="chunk",
                   message=f"{desc}: {done}/{n} chunks, {rate:.1f} chunks/s, about {(n - done) / rate:.0f}s left")
    finally:
        if bar is not None:
            bar.close()
    return out


class EmbedStage:
    """Embeds items while another thread is still producing them.

    The producer calls ``put(item)`` (any object with a ``texts`` list; the stage sets ``item.vectors``) and then
    ``close()``. ``run(load_model)`` drains the queue in the calling thread, loading the model on the first item
    (so a run with nothing new never loads it), and embeds a window of texts at a time, length-sorted and cut into
    token-sized batches. ONNX Runtime and torch release the GIL while they compute, so the producer's reading,
    cleaning and chunking go on in parallel."""

    def __init__(self, batch_size: int, max_tokens: int | None, progress: Progress | None, window: int = 256):
        self.batch_size, self.max_tokens, self.progress, self.window = batch_size, max_tokens, progress, window
        self._q: queue.Queue = queue.Queue()
        self.model: Any = None
        self.seconds = 0.0  # embedding only (model loading excluded)
        self.done = 0
        self.seen = 0
        self._bar = None
        if progress is None and sys.stderr.isatty():  # a terminal: one bar whose total grows as files are read
            from tqdm import tqdm

            self._bar = tqdm(total=0, desc="embedding", unit="chunk", dynamic_ncols=True, file=sys.stderr)

    def finish(self) -> None:
        if self._bar is not None:
            self._bar.close()

    def put(self, item) -> None:
        self._q.put(item)

    def close(self) -> None:
        self._q.put(None)

    def run(self, load_model, stop: threading.Event | None = None) -> None:
        pending: list = []
        closed = False
        while not closed or pending:
            if not closed:
                item = self._q.get()  # blocks until the producer sends something
                while True:
                    if item is None:
                        closed = True
                        break
                    pending.append(item)
                    self.seen += len(item.texts)
                    try:
                        item = self._q.get_nowait()
                    except queue.Empty:
                        break
            if stop is not None and stop.is_set():
                return
            if pending and (closed or sum(len(p.texts) for p in pending) >= self.window):
                if self.model is None:
                    self.model = load_model()
                self._embed(pending)
                pending = []

    def _embed(self, items: list) -> None:
        texts = [t for it in items for t in it.texts]
        t0, base = time.monotonic(), self.done

        def each_batch(event) -> None:  # per batch: "embed" events counting over the whole run
            done = base + event.done
            rate = done / max(self.seconds + time.monotonic() - t0, 1e-9)
            if self._bar is not None:
                self._bar.total = self.seen
                self._bar.update(done - self._bar.n)
            notify(self.progress, "embed", done, self.seen, unit="chunk",
                   message=f"embedding: {done}/{self.seen} chunks, {rate:.1f} chunks/s")

        vectors = embed_texts(self.model, texts, self.batch_size, progress=each_batch, max_tokens=self.max_tokens,
                              show_bar=False)
        self.seconds += time.monotonic() - t0
        self.done += len(texts)
        offset = 0
        for it in items:
            it.vectors = vectors[offset : offset + len(it.texts)]
            offset += len(it.texts)
