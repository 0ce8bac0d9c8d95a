"""The Gradio Blocks of the web chat: Chat tab (streaming answers, sources, article viewer, feedback) and Library tab.

Everything goes through `qa.Assistant`. Every string shown in the page is built by `interfaces.webui.render`, which
escapes all text from articles and answers.
"""
from __future__ import annotations

import logging
import os
import time
import traceback
from pathlib import Path
from types import SimpleNamespace
from typing import Any

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

from articleqa.settings import DEFAULT_GENERATOR, Settings  # noqa: E402
from articleqa.store.filters import DEFAULT_COLLECTION, SearchFilter  # noqa: E402
from articleqa.types import Answer  # noqa: E402
from ingest.formats import SUPPORTED_EXTENSIONS as UPLOAD_SUFFIXES  # noqa: E402 - the loaders' own list
from interfaces.library import ingest_into  # noqa: E402
from interfaces.webui import render  # noqa: E402
from interfaces.webui.dates import TODAY_JS, ChatDates  # noqa: E402
from interfaces.webui.feedback import FeedbackStore, feedback_path  # noqa: E402

log = logging.getLogger(__name__)

EXAMPLES = [
    "京東金融在哪一年實現單季盈利?",
    "萬里長城在哪一年獲選為世界新七大奇蹟?",
    "色林错的湖水面积是多少平方公里?",
    "京东金融的个人用户数量超过多少?",
    "Where did the black death originate?",
    "How many risk-control models has JD Finance built?",
]

MODE_LABELS = {
    "llm": "Local LLM",
    "extractive": "Extractive (quotes, fastest)",
    "openai": "OpenAI-compatible endpoint",
}

# The chat, the `ask` API, ingest and delete share one Gradio queue of `server.concurrency` workers; the local LLM
# has its own queue (articleqa.models.generator.ModelQueue) and index writes hold the assistant's write lock.
QUEUE_ID = "articleqa"


class WebApp:
    """Session-independent state behind the UI: the assistants, the feedback store and the handlers."""

    def __init__(self, settings: Settings, assistant=None):
        from articleqa.timeparsers import preload_in_background
        from qa import Assistant

        self.settings = settings
        self.base = assistant or Assistant.open(settings.index_dir, settings, create=True)
        preload_in_background(settings)
        self._variants: dict[str, Any] = {}
        self.feedback = FeedbackStore(feedback_path(settings.index_dir))

    # -- answering ----------------------------------------------------------------------------------------------
    def mode_choices(self) -> list[tuple[str, str]]:
        modes = ["extractive"]
        if self.settings.models.generator not in ("none", ""):
            modes.insert(0, "llm")
        modes.append("openai")
        labels = dict(MODE_LABELS)
        labels["openai"] = f"OpenAI-compatible endpoint ({self.settings.models.openai_base_url})"
        if self.settings.models.generator == "openai":
            labels["llm"] = labels["openai"]
            modes.remove("openai")
        return [(labels[m], m) for m in modes]

    def default_mode(self) -> str:
        values = [v for _, v in self.mode_choices()]
        mode = self.settings.answer.mode
        return mode if mode in values else values[0]

    def assistant_for(self, mode: str):
        """(assistant, chain mode) for a UI mode; the variants share the store, embedder and retriever."""
        from qa.assistant import Assistant

        if mode == "extractive":
            return self.base, "extractive"
        want = "openai" if mode == "openai" else (
            "openai" if self.settings.models.generator == "openai" else "local")
        base_kind = "openai" if self.settings.models.generator == "openai" else "local"
        if want == base_kind:
            return self.base, "llm"
        if want not in self._variants:
            generator = "openai" if want == "openai" else (
                DEFAULT_GENERATOR if self.settings.models.generator in ("openai", "none", "") else
                self.settings.models.generator)
            s = self.settings.with_overrides({"models.generator": generator})
            self._variants[want] = Assistant(self.base.store, self.base.embedder, self.base.retriever, s)
        return self._variants[want], "llm"

    def run_settings(self, mode: str, top_k: int, collections: list[str] | None = None,
                     dates: ChatDates | None = None) -> dict[str, Any]:
        m = self.settings.models
        out = {"mode": mode, "top_k": int(top_k), "generator": "openai" if mode == "openai" else m.generator,
               "embedder": m.embedder, "index_dir": str(self.settings.index_dir),
               "collections": list(collections) if collections is not None else None}
        if dates is not None:
            out.update(as_of=dates.as_of.isoformat() if dates.as_of else None, date_from=dates.date_from,
                       date_to=dates.date_to)
        return out

    def filters_for(self, collections: list[str] | str | None, date_from: str = "",
                    date_to: str = "") -> SearchFilter | None:
        """The search filter for the chat's collection selection and publication-date range (the store's own
        filter, as /api/search uses): None keeps the assistant's scope (``store.search_collections``); an empty
        selection searches every collection. A bad date raises ValueError naming ``date_from`` / ``date_to``."""
        if collections is None and not (date_from or date_to):
            return None
        if collections is None:
            collections = list(self.settings.store.search_collections)
        return SearchFilter.make(collections=collections, date_from=date_from or None, date_to=date_to or None)

    @staticmethod
    def history(turns: list[dict]) -> list[tuple[str, str]]:
        return [(t["question"], t["answer"].text) for t in turns if t.get("answer") is not None]

    def ask(self, question: str, turns: list[dict] | None = None, mode: str | None = None,
            top_k: int | None = None, collections: list[str] | None = None, as_of: str = "") -> Answer:
        """One answer; ``as_of``: the day the question is asked at (YYYY-MM-DD; empty: today). A bad date raises
        ValueError naming ``As of``."""
        assistant, chain_mode = self.assistant_for(mode or self.default_mode())
        dates = ChatDates.read(as_of)
        return assistant.ask(question, history=self.history(turns or []), mode=chain_mode,
                             k=int(top_k) if top_k else None, filters=self.filters_for(collections),
                             as_of=dates.as_of)

    def stream(self, question: str, turns: list[dict], mode: str, top_k: int,
               collections: list[str] | None = None, dates: ChatDates | None = None):
        """Token events, then the Answer; ``dates``: the chat's as-of day and publication-date range."""
        assistant, chain_mode = self.assistant_for(mode)
        dates = dates or ChatDates()
        return assistant.stream(question, history=self.history(turns), mode=chain_mode, k=int(top_k),
                                filters=self.filters_for(collections, dates.date_from, dates.date_to),
                                as_of=dates.as_of)

    # -- library ------------------------------------------------------------------------------------------------
    def library_rows(self) -> list[list[Any]]:
        rows = []
        for a in self.base.list_articles():
            when = a.get("ingested_at")
            if isinstance(when, (int, float)):
                when = time.strftime("%Y-%m-%d %H:%M", time.localtime(when))
            source = a.get("source") or ""
            rows.append([a.get("title") or a.get("id"), a.get("collection") or DEFAULT_COLLECTION,
                         source if len(source) <= 60 else source[:57] + "…",
                         a.get("lang", ""), a.get("n_chunks", 0), when or "", a.get("id")])
        return rows

    def collection_names(self) -> list[str]:
        return [c["name"] for c in self.base.list_collections()]

    def collection_choices(self) -> list[tuple[str, str]]:
        """(label, name) pairs: the name with its article count."""
        return [(f"{c['name']} ({c['n_articles']} article{'s' if c['n_articles'] != 1 else ''})", c["name"])
                for c in self.base.list_collections()]

    def article_choices(self) -> list[tuple[str, str]]:
        return [(f"{a.get('title') or a['id']} ({a['id']})", a["id"]) for a in self.base.list_articles()]

    def check_upload(self, path: str) -> str | None:
        """Why an uploaded file is refused, or None."""
        name = Path(path).name
        if Path(path).suffix.lower() not in UPLOAD_SUFFIXES:
            return f"{name}: not a supported type (use {' '.join(UPLOAD_SUFFIXES)})"
        limit = self.settings.server.upload_max_mb
        size = os.path.getsize(path)
        if size > limit * 1024 * 1024:
            return f"{name}: {size / 1024 / 1024:.1f} MB is over the {limit:g} MB upload limit"
        return None


def _messages(turns: list[dict], pending: str | None = None, partial: str | None = None) -> list[dict]:
    msgs: list[dict] = []
    for t in turns:
        msgs.append({"role": "user", "content": render.esc_md(t["question"])})
        if t.get("answer") is not None:
            msgs.append({"role": "assistant", "content": render.answer_message(t["answer"])})
        else:
            msgs.append({"role": "assistant", "content": t.get("error_html", "")})
    if pending is not None:
        msgs.append({"role": "user", "content": render.esc_md(pending)})
        msgs.append({"role": "assistant", "content": render.streaming_message(partial or "")})
    return msgs


def _last_answer(turns: list[dict]) -> dict | None:
    for t in reversed(turns):
        if t.get("answer") is not None:
            return t
    return None


CSS = """
.gradio-container { max-width: 1400px !important; }
#aq-header h1 { margin-bottom: 0; }
#aq-header p { margin-top: 4px; color: var(--body-text-color-subdued); }
.aq-cite { color: var(--color-accent); font-weight: 600; font-size: 0.78em; margin-left: 1px; }
.aq-refused { display: inline-block; background: #fff4e5; color: #8a4b00; border: 1px solid #f5c27a;
  border-radius: 6px; padding: 2px 8px; font-weight: 600; }
.aq-note { display: inline-block; background: #fdecec; color: #8a1c1c; border-radius: 6px; padding: 2px 8px;
  font-size: 0.9em; }
.aq-meta { color: var(--body-text-color-subdued); font-size: 0.8em; }
.aq-cursor { color: var(--color-accent); }
.aq-sources { display: flex; flex-direction: column; gap: 10px; }
.aq-h { font-weight: 600; font-size: 1.05em; }
.aq-empty { color: var(--body-text-color-subdued); font-style: italic; padding: 8px 0; }
.aq-card { border: 1px solid var(--border-color-primary); border-radius: 8px; padding: 10px 12px;
  background: var(--background-fill-secondary); cursor: pointer; }
.aq-card:hover { border-color: var(--color-accent); }
.aq-card-head { margin-bottom: 6px; }
.aq-n { color: var(--color-accent); font-weight: 700; }
.aq-title { font-weight: 600; }
.aq-src, .aq-date, .aq-score { color: var(--body-text-color-subdued); font-size: 0.8em; }
.aq-quote { line-height: 1.6; font-size: 0.95em; white-space: pre-wrap; }
mark.aq-hl { background: #ffe58a; color: inherit; padding: 1px 2px; border-radius: 3px; }
.aq-article { border: 1px solid var(--border-color-primary); border-radius: 8px; padding: 10px 12px; }
.aq-article-title { font-weight: 700; font-size: 1.1em; }
.aq-article-meta { color: var(--body-text-color-subdued); font-size: 0.8em; margin-bottom: 8px; }
.aq-article-body { white-space: pre-wrap; line-height: 1.7; max-height: 420px; overflow-y: auto;
  position: relative; padding-right: 6px; }
#aq-feedback-status p { margin: 0; }
"""

# After a new article is shown, scroll its box so the highlighted passage sits near the top third.
SCROLL_JS = """
() => {
  const go = (tries) => {
    const m = document.getElementById('aq-target');
    if (!m) { if (tries > 0) setTimeout(() => go(tries - 1), 100); return; }
    const box = m.closest('.aq-article-body');
    if (box) { box.scrollTop = Math.max(0, m.offsetTop - box.clientHeight / 3); }
    m.scrollIntoView({block: 'nearest'});
  };
  setTimeout(() => go(20), 50);
}
"""

# Clicking a source card opens it (selects the matching choice of the "Open a source" radio).
CARD_CLICK_JS = """
element.addEventListener('click', (e) => {
  const card = e.target.closest('[data-choice]');
  if (!card) return;
  const input = document.querySelector('#aq-open input[value="' + card.dataset.choice + '"]');
  if (input) input.click();
});
"""


class ChatUI:
    """The web chat: its handlers are plain methods (call them in a test, no browser needed) and `build` lays
    them out as a `gr.Blocks`."""

    def __init__(self, settings: Settings | None = None, assistant=None, seed_samples: bool = True):
        from articleqa.settings import load_settings
        from interfaces.webui.samples import seed_if_empty

        self.settings = settings or load_settings()
        self.app = WebApp(self.settings, assistant)
        if seed_samples:
            seed_if_empty(self.app.base)

    # -- chat ---------------------------------------------------------------------------------------------------
    def respond(self, message: str, turns: list[dict], mode: str, top_k: float,
                collections: list[str] | None = None, as_of: str = "", date_from: str = "", date_to: str = ""):
        """Stream an answer: yields (chatbot, turns, textbox, sources, open-choice, article, in-flight question).
        ``collections``: the collections to search (empty: all; None: the configured scope); ``as_of``: the day
        the question is asked at (YYYY-MM-DD; empty: today); ``date_from`` / ``date_to``: the publication dates to
        search (either may be empty). A bad date is answered with one line naming the input."""
        import gradio as gr

        message = (message or "").strip()
        if not message:
            yield gr.skip(), turns, gr.skip(), gr.skip(), gr.skip(), gr.skip(), gr.skip()
            return
        try:
            dates = ChatDates.read(as_of, date_from, date_to)
        except ValueError as e:
            turns = turns + [{"question": message, "answer": None,
                              "error_html": f'<span class="aq-note">⚠ {render.esc_md(e)}</span>'}]
            yield _messages(turns), turns, "", render.EMPTY_SOURCES, gr.update(choices=[], value=None), gr.skip(), ""
            return
        yield (_messages(turns, message), turns, "", '<div class="aq-empty">Searching the articles…</div>',
               gr.update(choices=[], value=None), render.article_view(None), message)
        text = ""
        answer: Answer | None = None
        try:
            for ev in self.app.stream(message, turns, mode, int(top_k), collections, dates):
                if isinstance(ev, Answer):
                    answer = ev
                elif isinstance(ev, dict) and ev.get("type") == "token":
                    text += ev.get("text", "")
                    yield _messages(turns, message, text), turns, "", gr.skip(), gr.skip(), gr.skip(), gr.skip()
        except Exception as e:  # noqa: BLE001 - shown to the user, logged in full
            log.error("answering %r failed:\n%s", message, traceback.format_exc())
            err = f'<span class="aq-note">⚠ {render.esc_md(f"Could not answer: {type(e).__name__}: {e}")}</span>'
            turns = turns + [{"question": message, "answer": None, "error_html": err}]
            yield (_messages(turns), turns, "", render.EMPTY_SOURCES, gr.update(choices=[], value=None), gr.skip(),
                   "")
            return
        if answer is None:  # stopped before the end
            return
        turns = turns + [{"question": message, "answer": answer,
                          "settings": self.app.run_settings(mode, top_k, collections, dates)}]
        yield (_messages(turns), turns, "", render.sources_panel(answer),
               gr.update(choices=render.source_choices(answer), value=None), render.article_view(None), "")

    @staticmethod
    def pop_last(turns: list[dict]):
        if not turns:
            return turns, ""
        return turns[:-1], turns[-1]["question"]

    @staticmethod
    def clear():
        import gradio as gr

        return ([], [], "", render.EMPTY_SOURCES, gr.update(choices=[], value=None), render.article_view(None), "",
                "")

    @staticmethod
    def stopped(turns: list[dict], inflight: str):
        """Stop: the unfinished question stays in the conversation, marked as stopped (Retry asks it again)."""
        if inflight:
            turns = turns + [{"question": inflight, "answer": None,
                              "error_html": '<span class="aq-note">■ Stopped.</span>'}]
        return _messages(turns), turns, "", render.EMPTY_SOURCES

    def open_source(self, value: str, turns: list[dict]) -> str:
        t = _last_answer(turns)
        if not value or t is None:
            return render.article_view(None)
        where = render.resolve_choice(t["answer"], value)
        if where is None:
            return render.article_view(None)
        article_id, start, end = where
        return render.article_view(self.app.base.article(article_id), start, end)

    def rate(self, rating: int, comment: str, turns: list[dict]) -> tuple[str, str]:
        t = _last_answer(turns)
        if t is None:
            return "Ask a question first; feedback applies to the latest answer.", comment
        self.app.feedback.add(rating, t["question"], t["answer"].to_dict(), comment, t.get("settings"))
        return ("Thanks: feedback saved (👍)." if rating > 0 else "Thanks: feedback saved (👎)."), ""

    def ask_api(self, question: str, mode: str = "", top_k: int = 0, history: list[list[str]] | None = None,
                as_of: str = "") -> dict:
        """Answer a question about the indexed articles. Returns the answer text with [n] markers, its citations
        (article, title, quote, span), whether it was refused, grounding notes and the retrieved passages.
        ``mode``: "llm", "extractive" or "openai" (empty: the configured default); ``top_k``: 0 for the default;
        ``history``: earlier [question, answer] pairs for follow-up questions; ``as_of``: the day the question is
        asked at, YYYY-MM-DD (empty: today), against which 去年, last month... are read."""
        turns = []
        for pair in history or []:
            if len(pair) >= 2:
                turns.append({"question": str(pair[0]), "answer": Answer(question=str(pair[0]), text=str(pair[1]))})
        try:
            answer = self.app.ask(question, turns, mode or None, top_k or None, as_of=as_of or "")
        except ValueError as e:  # a bad as_of: one line, naming the field
            import gradio as gr

            raise gr.Error(str(e)) from None
        return render.answer_json(answer)

    # -- library ------------------------------------------------------------------------------------------------
    def refresh_library(self):
        import gradio as gr

        return self.app.library_rows(), gr.update(choices=self.app.article_choices(), value=None)

    def ingest_files(self, files, progress=None, collection: str = ""):
        """Ingest uploaded files into ``collection`` (empty: ``store.collection``): (status markdown, library table,
        delete choices, cleared upload)."""
        paths = [f if isinstance(f, str) else getattr(f, "name", str(f)) for f in (files or [])]
        if not paths:
            return "Choose one or more files first.", *self.refresh_library(), None
        checks = [(p, self.app.check_upload(p)) for p in paths]
        problems = [why for _, why in checks if why]
        ok_paths = [p for p, why in checks if not why]
        head = ""
        if ok_paths:
            if progress is not None:
                progress((0, len(ok_paths)), desc="starting")

            def cb(event) -> None:
                if progress is not None:
                    progress((event.done, event.total or None), desc=event.text)

            report = ingest_into(self.app.base, ok_paths, progress=cb, collection=(collection or "").strip())
            for path, msg in report.failed:
                name = Path(path).name
                msg = msg.replace(str(Path(path).parent) + os.sep, "")
                problems.append(msg if name in msg else f"{name}: {msg}")
            head = f"**Ingested:** {render.esc_md_light(report.summary())}"
        parts = [head] if head else []
        if problems:
            parts.append("**Problems:**\n\n" + "\n".join(f"- ✗ {render.esc_md_light(x)}" for x in problems))
        return "\n\n".join(parts), *self.refresh_library(), None

    def refresh_collections(self, selected: list[str] | None = None):
        """(delete-collection dropdown, chat collections multi-select) with the store's collections; the chat
        keeps the selected names that still exist."""
        import gradio as gr

        names = self.app.collection_names()
        choices = self.app.collection_choices()
        kept = [n for n in (selected or []) if n in names]
        return gr.update(choices=choices, value=None), gr.update(choices=choices, value=kept)

    def delete_collection(self, name: str, selected: list[str] | None = None):
        """Delete a collection and its articles: (status, table, article choices, delete-collection dropdown,
        chat collections)."""
        if not name:
            return "Choose a collection to delete.", *self.refresh_library(), *self.refresh_collections(selected)
        if name not in self.app.collection_names():
            return (f"No collection named {render.esc_md_light(name)}.", *self.refresh_library(),
                    *self.refresh_collections(selected))
        gone = self.app.base.delete_collection(name)
        status = (f"Deleted collection {render.esc_md_light(name)} "
                  f"({len(gone)} article{'s' if len(gone) != 1 else ''}).")
        return status, *self.refresh_library(), *self.refresh_collections(selected)

    def delete_article(self, article_id: str):
        if not article_id:
            return "Choose an article to delete.", *self.refresh_library()
        title = next((a.get("title") for a in self.app.base.list_articles() if a["id"] == article_id), article_id)
        self.app.base.delete_article(article_id)
        return f"Deleted {render.esc_md_light(title)}.", *self.refresh_library()

    def load_samples(self, progress=None):
        from interfaces.webui.samples import sample_paths

        paths = sample_paths()
        if not paths:
            return "No sample files found.", *self.refresh_library()
        cb = (lambda e: progress((e.done, e.total or None), desc=e.text)) if progress is not None else None
        report = ingest_into(self.app.base, paths, progress=cb)
        return f"**Samples:** {render.esc_md_light(report.summary())}", *self.refresh_library()

    # -- layout -------------------------------------------------------------------------------------------------
    def build(self):
        """The `gr.Blocks` (``demo.articleqa`` is the `WebApp`, ``demo.articleqa_ui`` this object)."""
        import gradio as gr

        with gr.Blocks(title="articleqa", analytics_enabled=False) as demo:
            with gr.Column(elem_id="aq-header"):
                gr.Markdown(
                    "# articleqa\nAsk questions about your articles, in Chinese or English. Every answer cites its "
                    "sources; click a source to read it in context. Add your own articles in the Library tab."
                )
            with gr.Tab("Chat", id="chat"):
                chat = self._chat_tab()
            with gr.Tab("Library", id="library"):
                lib = self._library_tab()
            self._wire_chat(chat)
            self._wire_library(lib, chat.collections)
            demo.load(self.refresh_library, None, [lib.table, lib.to_delete], api_visibility="private", queue=False)
            demo.load(self.refresh_collections, [chat.collections], [lib.coll_delete, chat.collections],
                      api_visibility="private", queue=False)
            demo.load(None, [chat.as_of], [chat.as_of], js=TODAY_JS, api_visibility="private", queue=False)
            gr.api(self.ask_api, api_name="ask", concurrency_id=QUEUE_ID)
        demo.articleqa = self.app  # for tests and the launcher
        demo.articleqa_ui = self
        return demo

    def _chat_tab(self) -> SimpleNamespace:
        import gradio as gr

        c = SimpleNamespace(turns=gr.State([]), pending=gr.State(""), inflight=gr.State(""))
        with gr.Row(equal_height=False):
            with gr.Column(scale=3, min_width=420):
                c.chatbot = gr.Chatbot(
                    elem_id="aq-chat", height=520, show_label=False, latex_delimiters=[], sanitize_html=True,
                    render_markdown=True, feedback_options=None, buttons=["copy"], layout="bubble",
                    placeholder="Ask about the indexed articles: try an example below.",
                )
                with gr.Row():
                    c.msg = gr.Textbox(placeholder="Ask a question… (Enter to send)", show_label=False, scale=5,
                                       elem_id="aq-input", autofocus=True, max_lines=4)
                    c.send = gr.Button("Send", variant="primary", scale=1, min_width=80, elem_id="aq-send")
                with gr.Row():
                    c.stop = gr.Button("■ Stop", size="sm", elem_id="aq-stop")
                    c.retry = gr.Button("↻ Retry", size="sm", elem_id="aq-retry")
                    c.clear = gr.Button("✕ Clear", size="sm", elem_id="aq-clear")
                self._date_row(c)
                gr.Examples(examples=[[e] for e in EXAMPLES], inputs=[c.msg], label="Examples",
                            examples_per_page=len(EXAMPLES))
                with gr.Accordion("Answer settings", open=False):
                    with gr.Row():
                        c.mode = gr.Radio(choices=self.app.mode_choices(), value=self.app.default_mode(),
                                          label="Answer mode", elem_id="aq-mode", scale=3)
                        c.top_k = gr.Slider(1, 20, value=self.settings.retrieval.top_k, step=1,
                                            label="Passages to retrieve (top-k)", elem_id="aq-topk", scale=2)
                        c.collections = gr.Dropdown(
                            choices=self.app.collection_choices(), value=list(self.settings.store.search_collections),
                            multiselect=True, allow_custom_value=True, label="Collections (none: all)",
                            elem_id="aq-collections", scale=2)
                with gr.Accordion("Was the latest answer helpful?", open=False):
                    with gr.Row():
                        c.comment = gr.Textbox(placeholder="Optional comment", show_label=False, scale=4,
                                               elem_id="aq-comment")
                        c.up = gr.Button("👍", scale=0, min_width=60, elem_id="aq-up")
                        c.down = gr.Button("👎", scale=0, min_width=60, elem_id="aq-down")
                    c.feedback_status = gr.Markdown("", elem_id="aq-feedback-status")
            with gr.Column(scale=2, min_width=360):
                c.sources = gr.HTML(render.EMPTY_SOURCES, elem_id="aq-sources", js_on_load=CARD_CLICK_JS,
                                    max_height=520)
                c.open_choice = gr.Radio(choices=[], label="Open a source", elem_id="aq-open")
                c.article = gr.HTML(render.article_view(None), elem_id="aq-article")
        return c

    @staticmethod
    def _date_row(c: SimpleNamespace) -> None:
        """As of (去年, last month are read against it; the browser's today, set on page load by `TODAY_JS`) and
        the publication-date range."""
        import gradio as gr

        with gr.Row(elem_id="aq-dates"):
            c.as_of = gr.Textbox(value="", label="As of (去年, last month… are read against it)",
                                 placeholder="YYYY-MM-DD", max_lines=1, elem_id="aq-as-of", scale=2)
            c.date_from = gr.Textbox(value="", label="Published from", placeholder="YYYY-MM-DD (optional)",
                                     max_lines=1, elem_id="aq-date-from", scale=1)
            c.date_to = gr.Textbox(value="", label="Published to", placeholder="YYYY-MM-DD (optional)",
                                   max_lines=1, elem_id="aq-date-to", scale=1)

    def _library_tab(self) -> SimpleNamespace:
        import gradio as gr

        lib = SimpleNamespace()
        lib.table = gr.Dataframe(
            value=self.app.library_rows(),
            headers=["Title", "Collection", "Source", "Language", "Chunks", "Ingested", "ID"],
            datatype=["str", "str", "str", "str", "number", "str", "str"], interactive=False, wrap=True,
            elem_id="aq-library",
        )
        lib.refresh = gr.Button("Refresh", size="sm")
        with gr.Row():
            with gr.Column(scale=3):
                lib.upload = gr.File(
                    label=f"Add articles ({' '.join(UPLOAD_SUFFIXES)}; up to {self.settings.server.upload_max_mb:g} "
                          "MB each)",
                    file_count="multiple", file_types=list(UPLOAD_SUFFIXES), elem_id="aq-upload",
                )
                lib.collection = gr.Textbox(value="", label="Into collection",
                                            placeholder=f"empty: {self.settings.store.collection}",
                                            elem_id="aq-ingest-collection", max_lines=1)
                lib.ingest = gr.Button("Ingest files", variant="primary", elem_id="aq-ingest")
                lib.samples = gr.Button("Add the bundled sample articles", size="sm")
            with gr.Column(scale=2):
                lib.to_delete = gr.Dropdown(choices=self.app.article_choices(), label="Article",
                                            elem_id="aq-delete-choice")
                lib.delete = gr.Button("Delete article", variant="stop", elem_id="aq-delete")
                lib.coll_delete = gr.Dropdown(choices=self.app.collection_choices(), value=None, label="Collection",
                                              elem_id="aq-delete-collection-choice")  # none chosen until picked
                lib.delete_coll = gr.Button("Delete collection (and its articles)", variant="stop",
                                            elem_id="aq-delete-collection")
        lib.status = gr.Markdown("", elem_id="aq-library-status")
        return lib

    def _wire_chat(self, c: SimpleNamespace) -> None:
        inputs = [c.msg, c.turns, c.mode, c.top_k, c.collections, c.as_of, c.date_from, c.date_to]
        outputs = [c.chatbot, c.turns, c.msg, c.sources, c.open_choice, c.article, c.inflight]
        common = {"concurrency_id": QUEUE_ID, "show_progress": "minimal"}
        ev_submit = c.msg.submit(self.respond, inputs, outputs, api_name="chat", **common)
        ev_send = c.send.click(self.respond, inputs, outputs, api_visibility="private", **common)
        ev_retry = c.retry.click(self.pop_last, [c.turns], [c.turns, c.pending], api_visibility="private",
                                 queue=False).then(self.respond, [c.pending, *inputs[1:]], outputs,
                                                   api_visibility="private", **common)
        chat_events = [ev_submit, ev_send, ev_retry]
        c.stop.click(self.stopped, [c.turns, c.inflight], [c.chatbot, c.turns, c.inflight, c.sources],
                     cancels=chat_events, api_visibility="private", queue=False)
        c.clear.click(self.clear, None, [c.chatbot, c.turns, c.msg, c.sources, c.open_choice, c.article,
                                         c.feedback_status, c.inflight],
                      cancels=chat_events, api_visibility="private", queue=False)
        c.open_choice.input(self.open_source, [c.open_choice, c.turns], [c.article], api_visibility="private").then(
            None, None, None, js=SCROLL_JS, api_visibility="private")
        c.up.click(lambda m, t: self.rate(1, m, t), [c.comment, c.turns], [c.feedback_status, c.comment],
                   api_visibility="private")
        c.down.click(lambda m, t: self.rate(-1, m, t), [c.comment, c.turns], [c.feedback_status, c.comment],
                     api_visibility="private")

    def _wire_library(self, lib: SimpleNamespace, chat_collections) -> None:
        import gradio as gr

        def ingest_files(files, collection="", progress=gr.Progress()):  # Gradio injects progress by this default
            return self.ingest_files(files, progress, collection)

        def load_samples(progress=gr.Progress()):
            return self.load_samples(progress)

        colls = [lib.coll_delete, chat_collections]
        events = [
            lib.refresh.click(self.refresh_library, None, [lib.table, lib.to_delete], api_visibility="private"),
            lib.ingest.click(ingest_files, [lib.upload, lib.collection],
                             [lib.status, lib.table, lib.to_delete, lib.upload], api_name="ingest",
                             concurrency_id=QUEUE_ID),
            lib.delete.click(self.delete_article, [lib.to_delete], [lib.status, lib.table, lib.to_delete],
                             api_name="delete", concurrency_id=QUEUE_ID),
            lib.samples.click(load_samples, None, [lib.status, lib.table, lib.to_delete], api_visibility="private",
                              concurrency_id=QUEUE_ID),
        ]
        for ev in events:  # any of them may add or empty a collection
            ev.then(self.refresh_collections, [chat_collections], colls, api_visibility="private", queue=False)
        lib.delete_coll.click(self.delete_collection, [lib.coll_delete, chat_collections],
                              [lib.status, lib.table, lib.to_delete, *colls], api_visibility="private",
                              concurrency_id=QUEUE_ID)


def build_app(settings: Settings | None = None, assistant=None, seed_samples: bool = True):
    """The web chat as a `gr.Blocks` (serve it with `interfaces.webui.server.serve` or `launch_app`)."""
    return ChatUI(settings, assistant, seed_samples).build()
