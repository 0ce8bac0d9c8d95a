"""`articleqa chat`: a conversation in the terminal. Follow-ups ("他是什麼時候加入的?") are rewritten with the
history; tokens stream as they are generated. Commands: /quit, /reset, /mode llm|extractive."""
from __future__ import annotations

import argparse
import sys

from interfaces.cli.options import add_collection_options, add_index_option, check_store, settings_from_args


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("chat", help="ask questions in a terminal conversation (streaming, with history)")
    p.add_argument("--mode", choices=["llm", "extractive"], default=None, help="default: settings.answer.mode")
    p.add_argument("--top-k", dest="top_k", type=int, default=None, help="passages to retrieve")
    add_index_option(p)
    add_collection_options(p)
    p.set_defaults(func=run)


def _read(prompt: str) -> str | None:
    try:
        return input(prompt)
    except EOFError:
        return None


def run(args: argparse.Namespace) -> int:
    from interfaces.cli.ask_cmd import format_answer
    from articleqa.types import Answer
    from qa.assistant import Assistant

    settings = settings_from_args(args, top_k="retrieval.top_k")
    if problem := check_store(settings):
        print(problem, file=sys.stderr)
        return 2
    mode = args.mode
    history: list[tuple[str, str]] = []
    tty = sys.stdin.isatty()
    with Assistant.open(settings.index_dir, settings) as assistant:
        if tty:
            print("articleqa chat: ask about your articles (/reset clears the history, /quit ends)")
        while True:
            line = _read("> " if tty else "")
            if line is None:
                break
            q = line.strip()
            if not q:
                continue
            if q in ("/quit", "/exit", "/q"):
                break
            if q == "/reset":
                history.clear()
                print("(history cleared)")
                continue
            if q.startswith("/mode"):
                parts = q.split()
                if len(parts) == 2 and parts[1] in ("llm", "extractive"):
                    mode = parts[1]
                    print(f"(mode: {mode})")
                else:
                    print("usage: /mode llm|extractive")
                continue
            streamed = ""
            answer: Answer | None = None
            for ev in assistant.stream(q, history=history, mode=mode, k=args.top_k):
                if isinstance(ev, Answer):
                    answer = ev
                elif ev.get("type") == "token":
                    sys.stdout.write(ev["text"])
                    sys.stdout.flush()
                    streamed += ev["text"]
            if answer is None:
                continue
            same = streamed.strip() == answer.text.strip()
            if streamed:
                print()
            if streamed and not same:
                # the checked answer replaces what was streamed (sentences may be dropped or quoted instead)
                print("---")
            print(format_answer(answer, show_text=not same).strip("\n"))
            print()
            history.append((q, answer.text))
    return 0
