"""Every subcommand and option that `articleqa --help` documents, run once against each store backend (FAISS +
SQLite, and the embedded PostgreSQL), in this process (`interfaces.cli.main`), with the sample articles.

The cases are generated from the parser itself: each command's options are read from argparse, and each one is
added to that command's smallest working invocation (`BASE`) with a value for its kind (`VALUES`; a flag is just
given, a choice is tried with every value). A new option without a value fails `test_every_option_has_a_case`.
Each run must exit with the command's documented status and never raise (a traceback fails the case).

Bad input, generated the same way: every int and choice option with a value it refuses, every file argument with a
missing file, and every command with a misspelt settings key. Each must give one ``error:`` line that names the
option, the file or the key, exit 2 (ingest's documented 1 for a file it could not read), and no traceback."""
from __future__ import annotations

import argparse
import io
import itertools
import json
import os
import signal
import subprocess
import sys
import traceback
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from eval.datasets import questions_path
from interfaces.cli import build_parser, main
from tests.contract_helpers import BACKENDS, sample_store_settings

SEED_Q = str(questions_path("seed"))
CMRC_Q = str(questions_path("cmrc2018"))
QUESTION = "京東金融在哪一年實現單季盈利?"

# The smallest working invocation of each command ({name} is filled from the backend's Context).
BASE: dict[str, list[str]] = {
    "models": [],
    "ingest": ["{article}", "--index", "{scratch_index}"],
    "clean": ["{html}"],
    "ask": [QUESTION],
    "chat": [],
    "serve": ["--host", "127.0.0.1", "--port", "{port}", "--index", "{index}"],
    "keys add": ["--name", "matrix", "--keys-file", "{keys}"],
    "keys list": ["--keys-file", "{keys}"],
    "keys revoke": ["matrix", "--keys-file", "{keys}"],
    "eval": ["{eval_q}", "--articles", "{eval_a}", "--mode", "retrieval", "--no-progress", "--out", "{out}"],
    "feedback export": ["--out", "{out}/feedback.jsonl"],
    "db start": ["--data", "{pgdata}"],
    "db stop": ["--data", "{pgdata}"],
    "db init": [],
    "db migrate": [],
    "db collections": [],
    "export": ["{export_to}", "--replace"],
    "import": ["{import_from}", "--replace"],
    "config": [],
}
# A value per option (by dest; "command dest" wins). Flags and choices need none.
VALUES: dict[str, str] = {
    "index_dir": "{index}", "ingest index_dir": "{scratch_index}", "collection": "matrix",
    "collections": "default", "workers": "1", "top_k": "3", "server": "{server}", "api_key": "no-key-needed",
    "sources": "中國經濟周刊", "date_from": "2018-01-01", "date_to": "2018-12-31", "article_ids": "{seed_id}",
    "host": "127.0.0.1", "port": "{port}", "name": "matrix-2", "keys_file": "{keys}", "articles": "{eval_a}",
    "limit": "3", "sample": "4", "seed": "1", "out": "{out}", "baseline": "{baseline}", "fail_under": "hit@10=0.5",
    "unanswerable_from": CMRC_Q, "n": "2", "data": "{pgdata}", "url": "{url}", "delete": "matrix",
    "feedback out": "{out}/feedback.jsonl", "as_of": "2018-03-01",
}
# Cases whose base cannot take the option as is: the whole argv.
OVERRIDE: dict[str, list[str]] = {
    "eval index_dir": [SEED_Q, "--index", "{index}", "--mode", "retrieval", "--no-progress", "--out", "{out}"],
    "eval collections": [SEED_Q, "--collection", "default", "--mode", "retrieval", "--no-progress", "--out",
                         "{out}"],
    "db collections index_dir": ["--index", "{index}"],
}
# Documented exit statuses other than 0, by command (and backend where it matters).
EXPECT: dict[str, int] = {
    "feedback export": 1,  # "no feedback file (nothing has been rated yet)": the sample index has none
    "faiss db init": 2, "faiss db migrate": 2,  # "no database: set store.url or give --url" (--url is "" here)
}
# Run before each case of a command: what its base needs again (a revoked key is gone).
PRE: dict[str, list[str]] = {"keys revoke": ["keys", "add", "--name", "matrix", "--keys-file", "{keys}"]}
FILE_ARGS = {"ingest": "paths", "clean": "file", "eval": "questions", "import": "src"}
NOT_IN_PROCESS = {"serve", "db start", "db stop"}  # a server: run as a process / only on the postgres pass


@dataclass
class Context:
    backend: str
    values: dict[str, str]
    env: dict[str, str]
    failures: list[str] = field(default_factory=list)
    runs: int = 0
    counter: itertools.count = field(default_factory=itertools.count)

    def fill(self, argv: list[str]) -> list[str]:
        out_dir = str(Path(self.values["tmp"]) / f"out{next(self.counter)}")
        return [a.replace("{out}", out_dir).format(**self.values) if "{" in a else a for a in argv]


def commands(parser: argparse.ArgumentParser | None = None, prefix: str = ""):
    """(command path, its parser) for every runnable (sub)command."""
    parser = parser or build_parser()
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                path = f"{prefix} {name}".strip()
                if any(isinstance(a, argparse._SubParsersAction) for a in sub._actions):
                    yield from commands(sub, path)
                else:
                    yield path, sub


def options(sub: argparse.ArgumentParser):
    return [a for a in sub._actions if a.option_strings and not isinstance(a, argparse._HelpAction)]


def option_cases(command: str, sub: argparse.ArgumentParser):
    """(label, argv after the command) for each documented option of one command."""
    base = BASE[command]
    for a in options(sub):
        flag = a.option_strings[-1]
        key = f"{command} {a.dest}"
        if key in OVERRIDE:
            yield key, OVERRIDE[key]
        elif isinstance(a, (argparse._StoreTrueAction, argparse._StoreFalseAction)):
            yield key, [*base, flag]
        elif a.choices:
            for choice in a.choices:
                argv = [x for i, x in enumerate(base) if flag not in (x, base[i - 1] if i else None)]
                yield f"{key}={choice}", [*argv, flag, str(choice)]
        else:
            value = VALUES.get(key, VALUES.get(f"{command.split()[0]} {a.dest}", VALUES.get(a.dest)))
            argv = [x for i, x in enumerate(base) if flag not in (x, base[i - 1] if i else None)]
            yield key, [*argv, flag, value]


def run_cli(ctx: Context, argv: list[str], stdin: str = "") -> tuple[object, str, str, str | None]:
    """(exit status, stdout, stderr, the traceback's last line if main raised) of one in-process run."""
    ctx.runs += 1
    out, err = io.StringIO(), io.StringIO()
    old = sys.stdin, sys.stdout, sys.stderr
    saved_env = dict(os.environ)
    os.environ.update(ctx.env)
    sys.stdin, sys.stdout, sys.stderr = io.StringIO(stdin), out, err
    raised = None
    try:
        code = main(argv)
    except SystemExit as e:
        code = e.code
    except BaseException:  # noqa: BLE001 - exactly what the contract forbids; recorded as the failure
        code, raised = None, traceback.format_exc().strip().splitlines()[-1]
    finally:
        sys.stdin, sys.stdout, sys.stderr = old
        os.environ.clear()
        os.environ.update(saved_env)
    return code, out.getvalue(), err.getvalue(), raised


def check(ctx: Context, label: str, argv: list[str], expect: int, names: str | None = None,
          stdin: str = "") -> str:
    code, out, err, raised = run_cli(ctx, argv, stdin)
    where = f"{ctx.backend}: articleqa {' '.join(argv)} [{label}]"
    if raised:
        ctx.failures.append(f"{where}: raised {raised}")
    elif code != expect:
        ctx.failures.append(f"{where}: exit {code}, expected {expect}: {err.strip()[-400:]}")
    elif expect != 0 and names is not None:
        lines = [x for x in err.splitlines() if "error:" in x]
        if len(lines) != 1 or names not in lines[0] or "Traceback" in err:
            ctx.failures.append(f"{where}: expected one error line naming {names!r}: {err.strip()[-400:]}")
    return out


@pytest.fixture(scope="module", params=BACKENDS)
def ctx(request, tmp_path_factory):
    from articleqa.store import pg_server as server
    from interfaces.api.testing import api_in_thread
    from interfaces.ports import free_port

    backend = request.param
    pg = request.getfixturevalue("pg_server") if backend == "postgres" else None
    settings = sample_store_settings(backend, tmp_path_factory, pg)
    tmp = tmp_path_factory.mktemp(f"cli-{backend}")
    (tmp / "article.md").write_text("# The Quillmere ferry\n\nThe Quillmere ferry crosses the Vantreck sound twice "
                                    "a day. It was built in 1931 by Odalys Marrow.\n", encoding="utf-8")
    (tmp / "page.html").write_text("<html><head><title>Quill</title></head><body><article><h1>Quill river</h1>"
                                   "<p>The Quill river floods every spring in Quillmere, and the town has built "
                                   "three levees since 1911.</p></article></body></html>", encoding="utf-8")
    # eval's own small set: articles that are not in the sample store (eval --articles never moves an article
    # out of the collection it is in)
    arts = [{"id": "ferry", "title": "The Quillmere ferry", "text": "The Quillmere ferry crosses the Vantreck "
             "sound twice a day. It was built in 1931 by Odalys Marrow."},
            {"id": "lantern", "title": "The lantern festival", "text": "The Zorblax lantern festival is held every "
             "year in Quillmere. It was founded in 1911 by the glassblower Odalys Vantreck."}]
    qs = [{"id": "q1", "question": "Who built the Quillmere ferry?", "answers": ["Odalys Marrow"],
           "article_id": "ferry"},
          {"id": "q2", "question": "When was the lantern festival founded?", "answers": ["1911"],
           "article_id": "lantern"},
          {"id": "q3", "question": "How often does the ferry cross the sound?", "answers": ["twice a day"],
           "article_id": "ferry"}]
    for name, rows in (("eval-articles.jsonl", arts), ("eval-questions.jsonl", qs)):
        (tmp / name).write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    url = settings.store.url
    values = {"eval_a": str(tmp / "eval-articles.jsonl"), "eval_q": str(tmp / "eval-questions.jsonl"),"tmp": str(tmp), "article": str(tmp / "article.md"), "html": str(tmp / "page.html"),
              "index": str(settings.index_dir), "scratch_index": str(tmp / "scratch-ix"), "keys": str(tmp / "keys"),
              "port": str(free_port()), "pgdata": str(tmp / "pgdata"), "url": url, "seed_id": "",
              "baseline": str(tmp / "baseline" / "report.json")}
    env = {"ARTICLEQA_STORE__URL": url, "ARTICLEQA_INDEX_DIR": str(settings.index_dir),
           "ARTICLEQA_MODELS__GENERATOR": "none", "ARTICLEQA_ANSWER__MODE": "extractive"}
    if backend == "faiss":
        values["export_to"] = server.create_database(request.getfixturevalue("pg_server"), f"cliexp{os.getpid()}")
        values["import_from"] = str(tmp / "nothing-to-import")  # made below: an empty local index
    else:
        values["export_to"] = str(tmp / "exported")
        values["import_from"] = values["index"]  # the local copy the database was filled from
        values["scratch_url"] = server.create_database(pg, f"cliscratch{os.getpid()}")
    with api_in_thread(settings) as (base, app):
        values["server"] = base
        values["seed_id"] = next(a["id"] for a in app.state.service.assistant(None).list_articles()
                                 if "京東金融" in a["title"])
        yield Context(backend, values, env)


def _ingest_env(ctx: Context, command: str) -> dict[str, str]:
    """ingest writes: on PostgreSQL into a scratch database (locally --index is a scratch folder)."""
    if command == "ingest" and ctx.backend == "postgres":
        return {"ARTICLEQA_STORE__URL": ctx.values["scratch_url"]}
    return {}


def test_every_option_has_a_case():
    for command, sub in commands():
        assert command in BASE, f"`articleqa {command}` has no BASE invocation in this test"
        for label, argv in option_cases(command, sub):
            assert None not in argv, f"{label}: no value in VALUES for this option"


def test_every_documented_option_runs(ctx):
    if ctx.backend == "faiss":  # an empty local index to import from (a database cannot import into itself)
        check(ctx, "setup", ["ingest", ctx.values["article"], "--index", ctx.values["import_from"]], 0)
    # the baseline report that eval --baseline compares with
    check(ctx, "setup", ["eval", *ctx.fill(BASE["eval"][:-1]), ctx.values["baseline"].rsplit("/", 1)[0]], 0)
    for command, sub in commands():
        if command in NOT_IN_PROCESS:
            continue
        words = command.split()
        expect = EXPECT.get(f"{ctx.backend} {command}", EXPECT.get(command, 0))
        cases = [("base", BASE[command]), *option_cases(command, sub)]
        for label, argv in cases:
            ctx_env, ctx.env = ctx.env, dict(ctx.env, **_ingest_env(ctx, command))
            try:
                if command in PRE:
                    check(ctx, f"before {label}", ctx.fill(PRE[command]), 0)
                check(ctx, label, [*words, *ctx.fill(argv)], expect, stdin=f"{QUESTION}\n")
            finally:
                ctx.env = ctx_env
    print(f"\n{ctx.backend}: {ctx.runs} CLI runs")
    assert not ctx.failures, "\n".join(ctx.failures)


def test_serve_and_db_server_commands(ctx, tmp_path):
    """`serve` with every option, as a process answering /api/health, stopped by SIGTERM; on the postgres pass
    also `db start` / `db stop` on a new data folder."""
    argv = [sys.executable, "-m", "interfaces.cli", "serve", *ctx.fill(BASE["serve"]), "--collection", "default"]
    env = {**os.environ, **ctx.env}
    proc = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        from interfaces.api.testing import wait_ready

        wait_ready(f"http://127.0.0.1:{ctx.values['port']}/api/health", timeout=600, proc=proc)
        assert httpx.get(f"http://127.0.0.1:{ctx.values['port']}/api/health").json()["status"] == "ok"
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            _, err = proc.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            _, err = proc.communicate()
    assert b"Traceback" not in err, err.decode(errors="replace")[-2000:]
    if ctx.backend == "postgres":
        data = str(tmp_path / "pgdata")
        out = check(ctx, "db start", ["db", "start", "--data", data], 0)
        assert out.strip().startswith("postgresql://")
        check(ctx, "db stop", ["db", "stop", "--data", data], 0)
        assert not ctx.failures, ctx.failures


def test_bad_input_is_one_line_and_exit_2(ctx):
    """Generated bad values: options refusing a value, missing files, a misspelt settings key."""
    for command, sub in commands():
        words = command.split()
        base = ctx.fill(BASE[command])
        for a in options(sub):
            flag = a.option_strings[-1]
            if a.type is int or a.choices:
                argv = [x for i, x in enumerate(base) if flag not in (x, base[i - 1] if i else None)]
                check(ctx, f"bad {a.dest}", [*words, *argv, flag, "not-a-value"], 2, names=flag)
        if command in FILE_ARGS:
            missing = str(Path(ctx.values["tmp"]) / "missing-file.txt")
            argv = [missing if x in (ctx.values["article"], ctx.values["html"], ctx.values["eval_q"],
                                     ctx.values["import_from"]) else x for x in base]
            check(ctx, "missing file", [*words, *argv], 1 if command == "ingest" else 2, names="missing-file")
        if command not in NOT_IN_PROCESS:
            ctx.env = dict(ctx.env, ARTICLEQA_RETRIEVAL__TOPK="3")
            try:
                check(ctx, "bad settings key", [*words, *base], 2, names="retrieval.topk")
            finally:
                ctx.env.pop("ARTICLEQA_RETRIEVAL__TOPK")
    for bad in (["--articles", str(Path(ctx.values["tmp"]) / "missing-articles.jsonl")],
                ["--baseline", str(Path(ctx.values["tmp"]) / "missing-report.json")]):
        check(ctx, "missing eval file", ["eval", SEED_Q, *bad, "--no-progress", "--mode", "retrieval"], 2,
              names="missing-")
    check(ctx, "bad date", ["ask", QUESTION, "--date-from", "yesterday"], 2, names="date_from")
    check(ctx, "bad as-of", ["ask", QUESTION, "--as-of", "someday"], 2, names="as_of")
    print(f"\n{ctx.backend} bad input: {ctx.runs} CLI runs in all")
    assert not ctx.failures, "\n".join(ctx.failures)
