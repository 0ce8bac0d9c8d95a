"""Follow-up rewriting through the web chat's ask API: a question that depends on the conversation is rewritten; a
self-contained one, even after a turn in another language, is asked as it is (real server, real models)."""
from __future__ import annotations

import os

import pytest

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from interfaces.webui.testing import sample_server  # noqa: E402

REWRITE_MARKS = ("追問已改寫為", "追问已改写为", "Follow-up rewritten as")


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    from gradio_client import Client

    with sample_server(tmp_path_factory, "followup") as (url, _demo):
        yield Client(url, verbose=False)


def ask(client, question, mode, history=None):
    return client.predict(question, mode, 0, history, api_name="/ask")


def rewritten(res) -> bool:
    return any(note.startswith(REWRITE_MARKS) for note in res["notes"])


@pytest.mark.slow
def test_self_contained_question_after_another_language_is_not_rewritten(client):
    first = ask(client, "How many risk-control models has JD Finance built?", "llm")
    res = ask(client, "京東白條是什麼時候推出的?", "llm", [[first["question"], first["answer"]]])
    assert not rewritten(res), res["notes"]
    assert res["refused"] is False
    assert "2014年2月" in res["answer"]


def test_dependent_follow_up_is_rewritten_and_a_new_question_is_not(client):
    first = ask(client, "京東金融的CEO是誰?", "extractive")
    follow = ask(client, "他介紹了什麼?", "extractive", [[first["question"], first["answer"]]])
    assert rewritten(follow), follow["notes"]
    fresh = ask(client, "京東白條是什麼時候推出的?", "extractive", [[first["question"], first["answer"]]])
    assert not rewritten(fresh), fresh["notes"]
    assert "2014年2月" in fresh["answer"]
