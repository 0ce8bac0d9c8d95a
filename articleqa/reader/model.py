"""The span reader at run time: the shipped weights as an ONNX Runtime graph, and span decoding.

On first use the int8 deltas (``artifact``) are applied to the bundled e5 base and written as an ONNX graph in
the model cache (``<cache>/models/reader-<sha12>``), the same way the embedder's graph is built
(``articleqa.models.onnx_graph``); later starts load it. No torch, no network.

``read(question, passages)`` scores every window of every passage and returns, per passage, the best spans and the
"no answer" score, both as logit sums (start + end), so ``span score - null score`` is the reader's margin for
answering from that passage.
"""
from __future__ import annotations

import json
import os
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from articleqa.models.files import ModelError, atomic_dir
from articleqa.reader import artifact
from articleqa.reader.features import WindowSpec, windows

ONNX_FILE = "reader.onnx"
DATA_FILE = "reader.onnx.data"
GRAPH_VERSION = 1  # bump when the graph built from the same weights changes


@dataclass(frozen=True)
class Span:
    passage: int  # index into the passages given to read()
    start: int  # character offsets in that passage
    end: int
    text: str
    score: float  # start logit + end logit


@dataclass(frozen=True)
class PassageReading:
    passage: int
    null_score: float  # the lowest "no answer" score over the passage's windows
    spans: tuple[Span, ...]  # best first

    @property
    def margin(self) -> float:
        """Best span score minus the no-answer score: above 0 the reader prefers answering from this passage."""
        return (self.spans[0].score - self.null_score) if self.spans else float("-inf")


def graph_dir(cache_dir: Path, weights_sha: str) -> Path:
    return cache_dir / "models" / f"reader-{weights_sha[:12]}-g{GRAPH_VERSION}"


def prepare_graph(cache_dir: Path, base: Path, weights: Path = artifact.WEIGHTS_FILE) -> Path:
    """The reader's ONNX graph, built from the shipped weights on first use (idempotent; ``onnx`` is imported
    only to build it)."""
    sha = artifact.check(weights, artifact.READER_SHA256 if weights == artifact.WEIGHTS_FILE else "")
    out = graph_dir(cache_dir, sha)
    if (out / ONNX_FILE).is_file() and (out / "manifest.json").is_file():
        return out / ONNX_FILE
    import onnx

    from articleqa.models.onnx_graph import build_model

    config = json.loads((base / "config.json").read_text(encoding="utf-8"))
    model = build_model(artifact.trained_weights(base, weights, expected=""), config, "int8", head="span")
    out.parent.mkdir(parents=True, exist_ok=True)
    with atomic_dir(out) as tmp:
        onnx.save_model(model, str(tmp / ONNX_FILE), save_as_external_data=True, all_tensors_to_one_file=True,
                        location=DATA_FILE, size_threshold=1024)
        (tmp / "manifest.json").write_text(json.dumps({"weights_sha256": sha, "graph": GRAPH_VERSION}))
        os.chmod(tmp, 0o755)
    return out / ONNX_FILE


class SpanReaderModel:
    """The reader graph and its tokenizer; thread-safe (ONNX Runtime sessions are)."""

    def __init__(self, onnx_path: Path, base: Path, threads: int, spec: WindowSpec = WindowSpec()) -> None:
        import onnxruntime as ort
        from tokenizers import Tokenizer

        self.spec = spec
        self.tokenizer = Tokenizer.from_file(str(base / "tokenizer.json"))
        self.tokenizer.no_padding()
        self.tokenizer.no_truncation()
        self.pad_id = int(json.loads((base / "config.json").read_text()).get("pad_token_id") or 1)
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = max(1, int(threads))
        opts.inter_op_num_threads = 1
        opts.log_severity_level = 3
        opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
        try:
            self.session = ort.InferenceSession(str(onnx_path), sess_options=opts, providers=["CPUExecutionProvider"])
        except Exception as e:  # noqa: BLE001 - a broken cache file: say which
            raise ModelError(f"{onnx_path}: cannot load the reader graph ({e}); delete the folder to rebuild it")

    def logits(self, ids: list[list[int]]) -> tuple[np.ndarray, np.ndarray]:
        width = max(len(x) for x in ids)
        arr = np.full((len(ids), width), self.pad_id, dtype=np.int64)
        mask = np.zeros_like(arr)
        for i, row in enumerate(ids):
            arr[i, : len(row)] = row
            mask[i, : len(row)] = 1
        start, end = self.session.run(["start_logits", "end_logits"], {"input_ids": arr, "attention_mask": mask})
        return start, end

    def read(self, question: str | list[str], passages: list[str], max_answer_tokens: int = 30, top_spans: int = 3,
             batch_size: int = 16) -> list[PassageReading]:
        """Per passage (same order), its best spans and its no-answer score (see the module docstring).
        ``question`` may be one per passage (a passage found through the question's translation reads that)."""
        if not passages:
            return []
        questions = [question] * len(passages) if isinstance(question, str) else list(question)
        wins = windows(self.tokenizer, questions, passages, self.spec)
        null = [float("inf")] * len(passages)
        found: list[list[Span]] = [[] for _ in passages]
        for lo in range(0, len(wins), batch_size):
            batch = wins[lo: lo + batch_size]
            start, end = self.logits([w.ids for w in batch])
            for row, w in enumerate(batch):
                s, e = start[row, : len(w.ids)], end[row, : len(w.ids)]
                null[w.pair] = min(null[w.pair], float(s[0] + e[0]))
                found[w.pair].extend(_best_spans(s, e, w.offsets, w.pair, passages[w.pair], max_answer_tokens,
                                                 top_spans))
        out = []
        for i in range(len(passages)):
            spans = _dedupe(sorted(found[i], key=lambda sp: -sp.score))[:top_spans]
            out.append(PassageReading(i, null[i], tuple(spans)))
        return out


def _best_spans(start: np.ndarray, end: np.ndarray, offsets, pair: int, passage: str, max_tokens: int,
                top: int) -> list[Span]:
    inside = np.array([o is not None for o in offsets])
    if not inside.any():
        return []
    s = np.where(inside, start, -np.inf)
    e = np.where(inside, end, -np.inf)
    k = min(20, int(inside.sum()))
    starts = np.argsort(-s)[:k]
    ends = np.argsort(-e)[:k]
    spans = []
    for i in starts:
        for j in ends:
            if j < i or j - i + 1 > max_tokens:
                continue
            c0, c1 = offsets[i][0], offsets[j][1]
            text = passage[c0:c1].strip()
            if text:
                spans.append(Span(pair, c0 + (len(passage[c0:c1]) - len(passage[c0:c1].lstrip())), c1, text,
                                  float(s[i] + e[j])))
    spans.sort(key=lambda sp: -sp.score)
    return spans[: top * 3]


def _dedupe(spans: list[Span]) -> list[Span]:
    seen, out = set(), []
    for sp in spans:
        if (sp.start, sp.end) not in seen:
            seen.add((sp.start, sp.end))
            out.append(sp)
    return out


_lock = threading.Lock()
_models: dict[str, SpanReaderModel] = {}


def load_reader_model(cache_dir: Path, base: Path, threads: int, weights: Path = artifact.WEIGHTS_FILE
                      ) -> SpanReaderModel:
    """The reader for these weights, built on first use and loaded once per process."""
    key = f"{cache_dir}|{weights}|{threads}"
    with _lock:  # the weights are hashed once per process, not once per reader
        if key not in _models:
            _models[key] = SpanReaderModel(prepare_graph(cache_dir, base, weights), base, threads)
        return _models[key]
