"""Embed passages in length-sorted batches, with progress.

Sorting by length before batching means each batch pads to similar lengths (less wasted compute than batching
in document order); the vectors are put back in the caller's order afterwards. Progress goes to a tqdm bar
(chunks/s and ETA) on a terminal, or to ``progress(done, total, message)`` when the caller passes one (the web
app does; the bar is then off).
"""
from __future__ import annotations

import sys
import time
from typing import Callable, Sequence

import numpy as np

Progress = Callable[[int, int, str], None]


def embedding_dim(model) -> int:
    """The model's output dimension (sentence-transformers renamed the method in v5)."""
    fn = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
    return int(fn())


def embed_texts(model, texts: Sequence[str], batch_size: int, progress: Progress | None = None,
                desc: str = "embedding") -> np.ndarray:
    """float32 [len(texts), dim] L2-normalised passage vectors, in the order of ``texts``."""
    from articleqa.models.embedder import embed_passages

    texts = list(texts)
    n = len(texts)
    dim = embedding_dim(model)
    out = np.zeros((n, dim), dtype=np.float32)
    if n == 0:
        return out
    batch_size = max(1, int(batch_size))
    order = sorted(range(n), key=lambda i: len(texts[i]), reverse=True)  # longest first: the ETA errs high
    bar = None
    if progress is None and sys.stderr.isatty():
        from tqdm import tqdm

        bar = tqdm(total=n, desc=desc, unit="chunk", dynamic_ncols=True, file=sys.stderr)
    t0 = time.monotonic()
    try:
        for lo in range(0, n, batch_size):
            idx = order[lo : lo + batch_size]
            out[idx] = embed_passages(model, [texts[i] for i in idx], batch_size=batch_size)
            done = min(lo + batch_size, n)
            if bar is not None:
                bar.update(len(idx))
            if progress is not None:
                rate = done / max(time.monotonic() - t0, 1e-9)
                eta = (n - done) / rate if rate > 0 else 0.0
                progress(done, n, f"{desc}: {done}/{n} chunks, {rate:.1f} chunks/s, about {eta:.0f}s left")
    finally:
        if bar is not None:
            bar.close()
    return out
