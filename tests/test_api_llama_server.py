"""The 'openai' generator backend against a real OpenAI-compatible server: llama-cpp-python's own server
(`llama_cpp.server`) serving the bundled GGUF on a free local port, the path users take with vLLM or Ollama.
Through our API too, while the local model's lock is held by someone else: an OpenAI-compatible generator does
not wait for it."""
from __future__ import annotations

import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from articleqa.models.generator import ensure_gguf, model_queue
from interfaces.api.testing import api_in_thread, wait_ready
from interfaces.ports import free_port
from tests.test_api import SEED_TITLE, sample_settings

QUESTIONS = {"京東金融的CEO是誰?": "陳生強", "京東金融在哪一年實現單季盈利?": "2017", "京東白條是什麼時候推出的?": "2014"}


@pytest.fixture(scope="module")
def llama_server(tmp_path_factory):
    from articleqa.settings import load_settings

    settings = load_settings()
    gguf = ensure_gguf(settings)
    port = free_port()
    log = tmp_path_factory.mktemp("llama-server") / "server.log"
    cmd = [sys.executable, "-m", "interfaces.api.llama_server", "--model", str(gguf), "--model_alias", "qwen-local",
           "--host", "127.0.0.1", "--port", str(port), "--n_ctx", "4096", "--n_batch", "512",
           "--n_threads", str(settings.models.n_threads)]
    with open(log, "wb") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT)
        try:
            wait_ready(f"http://127.0.0.1:{port}/v1/models", timeout=300, proc=proc)
            yield f"http://127.0.0.1:{port}/v1"
        finally:
            proc.terminate()
            proc.wait(timeout=60)


@pytest.mark.slow
def test_openai_generator_against_llama_cpp_server(llama_server, tmp_path_factory):
    models = httpx.get(llama_server + "/models").json()
    assert [m["id"] for m in models["data"]] == ["qwen-local"]
    settings = sample_settings(tmp_path_factory, "api-openai-gen", **{
        "answer.mode": "llm", "models.generator": "openai", "models.openai_base_url": llama_server,
        "models.openai_model": "qwen-local",
        "reader.llm_defer_margin": 100.0})  # the generator writes every answer: it is what this tests
    with api_in_thread(settings) as (base, app):
        import openai

        client = openai.OpenAI(base_url=base + "/v1", api_key="x", max_retries=0, timeout=600)

        def ask(question: str):
            r = client.chat.completions.create(model="articleqa", messages=[{"role": "user", "content": question}])
            return r.model_extra["articleqa"], r.choices[0].message.content

        with model_queue():  # the local model is busy the whole time: an openai generator must not wait for it
            with ThreadPoolExecutor(max_workers=3) as pool:
                results = list(pool.map(ask, QUESTIONS))
        assert app.state.service.uses_local_model("llm") is False
    for (question, answer), (extra, content) in zip(QUESTIONS.items(), results):
        print(f"{extra['mode']}: {question} -> {extra['text'][:60]!r}")
        # "extractive": the model said "not found" and the answer quotes the passage instead (documented)
        assert extra["mode"] in ("openai", "extractive") and not extra["refused"], extra
        assert extra["citations"] and all(c["title"] == SEED_TITLE for c in extra["citations"]), extra
        assert not any("error" in n.lower() for n in extra["notes"]), extra["notes"]
        assert answer in extra["text"] and all(f"[{c['n']}]" in content for c in extra["citations"])
    generated = [extra for extra, _ in results if extra["mode"] == "openai"]
    # Measured 2026-11-28: through llama_cpp.server the 1.5B model said "not found" to two of these three questions
    # (quoted instead), while the in-process model answers all three; the same sampling defaults on both sides.
    assert len(generated) >= 1, [extra["notes"] for extra, _ in results]  # the server did generate an answer
    assert all(extra["timings"].get("generate", 0) > 0 for extra in generated)
