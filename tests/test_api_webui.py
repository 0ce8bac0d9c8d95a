"""The web chat's handlers as plain methods (no browser), and `articleqa serve`'s single app: the Gradio chat
mounted on the API app, both answering in one process."""
from __future__ import annotations

import httpx
import pytest

from interfaces.api.testing import api_in_thread
from tests.test_api import SEED_Q, SEED_TITLE, sample_settings


@pytest.fixture(scope="module")
def ui(tmp_path_factory):
    from interfaces.webui.ui import ChatUI

    settings = sample_settings(tmp_path_factory, "api-webui")
    chat_ui = ChatUI(settings, seed_samples=False)
    yield chat_ui
    chat_ui.app.base.close()


def test_respond_streams_then_cites(ui):
    outputs = list(ui.respond(SEED_Q, [], "extractive", 5))
    assert len(outputs) >= 2
    messages, turns, textbox, sources, _choices, _article, inflight = outputs[-1]
    assert textbox == "" and inflight == "" and len(turns) == 1
    answer = turns[0]["answer"]
    assert answer.citations and "2017" in answer.text
    assert 'class="aq-cite"' in messages[-1]["content"] and "Sources (" in sources
    view = ui.open_source(f"c{answer.citations[0].n}", turns)
    assert 'id="aq-target"' in view and SEED_TITLE in view
    assert ui.rate(1, "good", turns) == ("Thanks: feedback saved (👍).", "")
    assert ui.pop_last(turns) == ([], SEED_Q)
    _msgs, stopped, _, _ = ui.stopped(turns, "a question in flight")
    assert stopped[-1]["answer"] is None and "Stopped" in stopped[-1]["error_html"]


def test_empty_message_changes_nothing(ui):
    (out,) = list(ui.respond("   ", [], "extractive", 5))
    assert out[1] == []


def test_ingest_and_delete_handlers(ui, tmp_path):
    art = tmp_path / "harbour.md"
    art.write_text("# Port Quillan harbour\n\nPort Quillan harbour was dredged in 1874 by Tomas Brevik.\n",
                   encoding="utf-8")
    bad = tmp_path / "x.pdf"
    bad.write_bytes(b"%PDF")
    status, rows, _choices, cleared = ui.ingest_files([str(art), str(bad)])
    assert "1 added" in status and "x.pdf: not a supported type" in status and cleared is None
    row = next(r for r in rows if r[0] == "Port Quillan harbour")
    status, rows, _ = ui.delete_article(row[-1])
    assert status.startswith("Deleted Port Quillan harbour") and all(r[-1] != row[-1] for r in rows)
    assert ui.ask_api("Where did the black death originate?", "extractive")["citations"]


def test_one_process_serves_chat_and_api(tmp_path_factory):
    from gradio_client import Client

    from interfaces.webui.server import build_server

    settings = sample_settings(tmp_path_factory, "api-mounted")
    app = build_server(settings)
    with api_in_thread(settings, app=app) as (base, _):
        page = httpx.get(base + "/")
        assert page.status_code == 200 and "gradio" in page.text.lower()
        res = Client(base + "/", verbose=False).predict(SEED_Q, "extractive", 0, None, api_name="/ask")
        api = httpx.post(base + "/api/ask", json={"question": SEED_Q}, timeout=120).json()
        assert res["answer"] == api["text"] and res["citations"] == api["citations"]
        assert app.state.service.assistant(None) is app.state.demo.articleqa.base  # one index, one Assistant
        assert httpx.get(base + "/api/nothing").json()["error"]["code"] == 404  # not swallowed by Gradio
    app.state.demo.articleqa.base.close()
