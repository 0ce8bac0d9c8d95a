"""`articleqa serve` in a subprocess, driven by real clients: the official `openai` package (streaming and not),
LangChain's `ChatOpenAI`, and `articleqa ask --server`; and API keys when bound to 0.0.0.0 (401 without a key,
200 with one from `articleqa keys add`, 401 again once revoked). Extractive mode: fast, and the same API path."""
from __future__ import annotations

import re

import json
import os
import subprocess
import sys

import httpx
import pytest

from articleqa.settings import load_settings
from interfaces.api.testing import serve_subprocess
from interfaces.ports import free_port
from interfaces.webui.testing import build_sample_index, copy_index

SEED_Q = "京東金融在哪一年實現單季盈利?"
SEED_TITLE = "京東金融實現單季盈利 千億級科技公司如何煉成?"
EXTRACTIVE = {"ARTICLEQA_ANSWER__MODE": "extractive"}


def sample_index(tmp_path_factory, name: str):
    shared = build_sample_index(tmp_path_factory.getbasetemp() / "aq-sample-index", load_settings())
    return copy_index(shared, tmp_path_factory.mktemp(name) / "index")


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    index = sample_index(tmp_path_factory, "api-clients")
    port = free_port()
    log = tmp_path_factory.mktemp("logs") / "serve.log"
    with serve_subprocess(index, port, env=EXTRACTIVE, log=log):
        yield f"http://127.0.0.1:{port}"


def check_cited(extra: dict, content: str, title: str) -> None:
    assert not extra["refused"] and extra["citations"], extra
    assert any(c["title"] == title for c in extra["citations"]), extra["citations"]
    for c in extra["citations"]:
        assert f"[{c['n']}]" in extra["text"]
        assert f"[{c['n']}] {c['title']}: “{' '.join(c['quote'].split())}”" in content


def test_openai_client_answers_with_citations(served):
    import openai

    client = openai.OpenAI(base_url=served + "/v1", api_key="x")
    assert "articleqa" in [m.id for m in client.models.list()]
    r = client.chat.completions.create(model="articleqa", messages=[{"role": "user", "content": SEED_Q}])
    content = r.choices[0].message.content
    assert "2017" in content and r.choices[0].finish_reason == "stop"
    check_cited(r.model_extra["articleqa"], content, SEED_TITLE)


def test_openai_client_streams(served):
    import openai

    client = openai.OpenAI(base_url=served + "/v1", api_key="x")
    stream = client.chat.completions.create(model="articleqa", stream=True,
                                            messages=[{"role": "user", "content": "色林错的湖水面积是多少平方公里?"}])
    chunks = list(stream)
    content = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert len(chunks) >= 3 and "2391" in content
    check_cited(chunks[-1].model_extra["articleqa"], content, "色林错")


def test_openai_client_errors(served):
    import openai

    client = openai.OpenAI(base_url=served + "/v1", api_key="x", max_retries=0)
    with pytest.raises(openai.NotFoundError, match="does not exist"):
        client.chat.completions.create(model="no-such-collection", messages=[{"role": "user", "content": "x"}])
    with pytest.raises(openai.BadRequestError, match="role 'user'"):
        client.chat.completions.create(model="articleqa", messages=[{"role": "assistant", "content": "x"}])


def test_langchain_chat_openai(served):
    from langchain_core.messages import AIMessage, HumanMessage
    from langchain_openai import ChatOpenAI

    llm = ChatOpenAI(base_url=served + "/v1", api_key="x", model="articleqa", max_retries=0)
    reply = llm.invoke("Where did the black death originate?")
    assert "Central Asia" in reply.content and "\n\nSources:\n[1] Black Death: “" in reply.content
    follow = llm.invoke([HumanMessage(SEED_Q), AIMessage(llm.invoke(SEED_Q).content), HumanMessage("它的CEO是誰?")])
    assert SEED_TITLE in follow.content
    streamed = "".join(chunk.content for chunk in llm.stream("萬里長城在哪一年獲選為世界新七大奇蹟?"))
    assert "2007" in streamed and re.search(r"\[\d\]", streamed), streamed


def test_ask_cli_against_the_server(served):
    env = {k: v for k, v in os.environ.items() if k != "ARTICLEQA_API_KEY"}
    out = subprocess.run([sys.executable, "-m", "interfaces.cli", "ask", SEED_Q, "--server", served, "--json"],
                         capture_output=True, text=True, env=env, timeout=300)
    assert out.returncode == 0, out.stderr
    ans = json.loads(out.stdout)
    assert ans["question"] == SEED_Q and "2017" in ans["text"] and ans["citations"]
    text = subprocess.run([sys.executable, "-m", "interfaces.cli", "ask", SEED_Q, "--server", served],
                          capture_output=True, text=True, env=env, timeout=300)
    assert text.returncode == 0 and "來源:" in text.stdout and f"[1] {SEED_TITLE}" in text.stdout, text.stdout
    down = subprocess.run([sys.executable, "-m", "interfaces.cli", "ask", "x", "--server",
                           f"http://127.0.0.1:{free_port()}"], capture_output=True, text=True, env=env, timeout=300)
    assert down.returncode == 2 and "cannot reach the server" in down.stderr and "Traceback" not in down.stderr


def keys_cli(keys_file, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "interfaces.cli", "keys", *args, "--keys-file", str(keys_file)],
                          capture_output=True, text=True, timeout=120)


def test_keys_required_beyond_loopback(tmp_path_factory, tmp_path):
    import openai

    index = sample_index(tmp_path_factory, "api-keys")
    keys_file = tmp_path / "keys.json"
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {**EXTRACTIVE, "ARTICLEQA_SERVER__KEYS_FILE": str(keys_file)}
    with serve_subprocess(index, port, host="0.0.0.0", env=env, log=tmp_path / "serve.log"):
        body = {"model": "articleqa", "messages": [{"role": "user", "content": SEED_Q}]}
        r = httpx.post(base + "/v1/chat/completions", json=body)
        assert r.status_code == 401 and "articleqa keys add" in r.json()["error"]["message"]
        assert httpx.post(base + "/api/ask", json={"question": SEED_Q}).status_code == 401
        bad = httpx.get(base + "/v1/models", headers={"Authorization": "Bearer aq-wrong"})
        assert bad.status_code == 401 and "invalid" in bad.json()["error"]["message"]
        assert httpx.get(base + "/api/health").status_code == 200  # liveness needs no key

        added = keys_cli(keys_file, "add", "--name", "test-app")
        assert added.returncode == 0, added.stderr
        key = added.stdout.strip()
        assert key.startswith("aq-") and key not in keys_file.read_text()  # stored hashed
        listed = keys_cli(keys_file, "list")
        assert "test-app" in listed.stdout and key[:8] in listed.stdout and key not in listed.stdout

        client = openai.OpenAI(base_url=base + "/v1", api_key=key, max_retries=0)
        r = client.chat.completions.create(**body)
        assert r.model_extra["articleqa"]["citations"]
        ok = httpx.post(base + "/api/ask", json={"question": SEED_Q}, headers={"Authorization": f"Bearer {key}"})
        assert ok.status_code == 200

        assert keys_cli(keys_file, "revoke", "test-app").returncode == 0
        with pytest.raises(openai.AuthenticationError):
            client.chat.completions.create(**body)
    assert keys_cli(keys_file, "revoke", "test-app").returncode == 1
