"""Question translation for cross-lingual retrieval: the local generator turns a question into the corpus's other
language ("How many risk-control models has JD Finance built?" -> "京东金融建立了多少个风控模型?"), so that both
the dense and the keyword search can look for it on that side.

The model runs in its own small llama.cpp context (``n_ctx`` 512), not the answer model's: the answer context keeps
the fixed prompt head in its KV cache, and a translation prompt through it would evict that head and cost the next
answer its prefix reuse. The weights are memory-mapped from the same GGUF file, so the second context adds only its
KV cache. One short, constrained prompt (greedy, one line, at most ``retrieval.translate_max_tokens`` tokens).

Translations are cached in memory and on disk (``<cache>/translations/queries-<model>.jsonl``, one JSON object a
line, keyed by prompt version, target language and question), so a question asked again costs nothing.
"""
from __future__ import annotations

import hashlib
import json
import re
import threading
from pathlib import Path

from articleqa.settings import Settings

# Bump when the prompt changes: cached translations of an older prompt are then not reused.
PROMPT_VERSION = 4

_TARGET_NAMES = {"zh": "Simplified Chinese", "en": "English"}

# One prompt for both directions: its head (system message and worked examples) is the same for every call, so
# llama.cpp reuses it from the KV cache and a translation evaluates only the last line and its reply. The worked
# examples keep the small model translating, not answering (or echoing), and on one line.
_SYSTEM = ("You are a translator. Translate the question into the language asked for. Do not answer it. Keep "
           "numbers and dates exactly; write names the usual way in that language, or as given when unsure. Reply "
           "with the translated question only.")
_EXAMPLES = [("zh", "How many stores did Walmart open in China in 2015?", "沃尔玛2015年在中国开了多少家店？"),
             ("en", "長城的總長度是多少公里？", "What is the total length of the Great Wall in kilometres?")]


def _ask(text: str, target: str) -> str:
    return f"Translate into {_TARGET_NAMES[target]}: {text}"


def _clean(text: str) -> str:
    """The first line of the reply without quotes, labels or a trailing explanation."""
    line = next((x for x in (text or "").strip().splitlines() if x.strip()), "").strip()
    line = re.sub(r"^(?:translation|translated question|译文|翻译)\s*[:：]\s*", "", line, flags=re.IGNORECASE)
    return line.strip().strip('"“”「」').strip()


def _messages(text: str, target: str) -> list[dict]:
    msgs = [{"role": "system", "content": _SYSTEM}]
    for t, q, a in _EXAMPLES:
        msgs += [{"role": "user", "content": _ask(q, t)}, {"role": "assistant", "content": a}]
    return msgs + [{"role": "user", "content": _ask(text, target)}]


def in_target(text: str, target: str) -> bool:
    """Whether ``text`` is in the ``target`` group's language (a small model sometimes echoes the question)."""
    from articleqa.text import detect_lang

    return bool(text) and (detect_lang(text).startswith("zh")) == (target == "zh")


class QueryTranslator:
    """``translate(question, target)`` -> the question in ``target`` ("zh" or "en"), or "" when the generator is
    unavailable or fails (retrieval then goes on without the translation). Thread-safe."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._lock = threading.Lock()
        self._llama = None
        self._failed = False
        self._memory: dict[str, str] = {}
        self._disk: Path | None = None
        self._loaded_disk = False

    # -- cache --------------------------------------------------------------------------------------------------
    def _key(self, text: str, target: str) -> str:
        return hashlib.sha256(f"{PROMPT_VERSION}\0{target}\0{text.strip()}".encode()).hexdigest()[:24]

    def _cache_file(self) -> Path | None:
        if not self.settings.retrieval.translate_cache:
            return None
        model = Path(str(self.settings.models.generator)).name.replace("/", "_") or "model"
        return self.settings.cache_dir / "translations" / f"queries-{model}.jsonl"

    def _load_disk(self) -> None:
        if self._loaded_disk:
            return
        self._loaded_disk = True
        self._disk = self._cache_file()
        if self._disk is None or not self._disk.exists():
            return
        for line in self._disk.read_text(encoding="utf-8", errors="replace").splitlines():
            try:
                row = json.loads(line)
                self._memory[str(row["key"])] = str(row["text"])
            except (ValueError, KeyError, TypeError):
                continue  # a torn line from an interrupted write: skip it

    def _save(self, key: str, source: str, target: str, text: str) -> None:
        if self._disk is None:
            return
        try:
            self._disk.parent.mkdir(parents=True, exist_ok=True)
            with self._disk.open("a", encoding="utf-8") as fh:
                fh.write(json.dumps({"key": key, "target": target, "source": source, "text": text},
                                    ensure_ascii=False) + "\n")
        except OSError:
            pass  # an unwritable cache only costs the next process the translation again

    def remember(self, text: str, target: str, translation: str) -> None:
        """Store a translation as if the model had given it (a reviewed one, or a glossary entry)."""
        key = self._key(text, target)
        with self._lock:
            self._load_disk()
            self._memory[key] = translation.strip()
            self._save(key, text.strip(), target, translation.strip())

    def cached(self, text: str, target: str) -> str | None:
        with self._lock:
            self._load_disk()
            return self._memory.get(self._key(text, target))

    # -- model --------------------------------------------------------------------------------------------------
    def _model(self):
        """Our own llama.cpp context over the generator's GGUF (None: no local generator)."""
        if self._llama is not None or self._failed:
            return self._llama
        try:
            from articleqa.models.generator import (
                _generator_kind,
                _llama_build_has_amx,
                _without_extra_buffers,
                prepare_generator,
            )

            if _generator_kind(self.settings) in ("none", "openai"):
                self._failed = True
                return None
            path = prepare_generator(self.settings)
            if path is None:
                self._failed = True
                return None
            import llama_cpp

            m = self.settings.models
            no_repack = m.weight_repack == "off" or _llama_build_has_amx()
            with _without_extra_buffers(no_repack):
                self._llama = llama_cpp.Llama(model_path=str(path), n_ctx=512, n_batch=256, n_threads=m.n_threads,
                                              verbose=False)
        except Exception:  # noqa: BLE001 - no translation is a slower answer, never a failed one
            self._failed = True
        return self._llama

    def translate(self, text: str, target: str) -> str:
        """``text`` in ``target`` ("zh" or "en"); "" when it cannot be translated."""
        text = (text or "").strip()
        if not text or target not in _TARGET_NAMES:
            return ""
        key = self._key(text, target)
        with self._lock:
            self._load_disk()
            hit = self._memory.get(key)
            if hit is not None:
                return hit
            llama = self._model()
            if llama is None:
                return ""
            try:
                out = llama.create_chat_completion(
                    messages=_messages(text, target),
                    max_tokens=self.settings.retrieval.translate_max_tokens, temperature=0.0, stop=["\n"])
                result = _clean(out["choices"][0]["message"]["content"])
            except Exception:  # noqa: BLE001
                return ""
            if not in_target(result, target):
                result = ""  # an echo or a reply in the wrong language: no translation (greedy: same next time)
            self._memory[key] = result
            self._save(key, text, target, result)
            return result


_shared: dict[tuple, QueryTranslator] = {}
_shared_lock = threading.Lock()


def shared_translator(settings: Settings) -> QueryTranslator:
    """One translator per generator and cache folder in the process (the llama.cpp context loads once)."""
    key = (settings.models.generator, str(settings.cache_dir), settings.retrieval.translate_cache,
           settings.retrieval.translate_max_tokens)
    with _shared_lock:
        t = _shared.get(key)
        if t is None:
            t = _shared[key] = QueryTranslator(settings)
        return t
