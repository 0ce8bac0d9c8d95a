"""Train the span reader: ``python -m articleqa.reader.train --data ../shared/train`` (or ``make reader``).

multilingual-e5-small (the bundled encoder, converted by ``articleqa models --prepare``) gets a start/end head and
learns to point at the answer span, or at ``<s>`` for "no answer". Hugging Face ``Trainer`` runs the loop: seeded,
a progress bar, a checkpoint every ``--save-steps`` that a rerun resumes from, and the GPU when torch sees one.
The word embeddings stay frozen (they are most of the model's size and shared with the embedder), so the
artifact is only the trained layers, written by ``articleqa.reader.artifact`` as int8 deltas over the base.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
from pathlib import Path

from articleqa.reader import artifact
from articleqa.reader.data import Mix, build_examples, summary
from articleqa.reader.features import WindowSpec, span_labels, windows

DEFAULT_OUT = Path("build/reader")


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m articleqa.reader.train", description=__doc__.split("\n\n")[0])
    p.add_argument("--data", type=Path, default=Path("../shared/train"), help="folder of SQuAD-format training files")
    p.add_argument("--out", type=Path, default=DEFAULT_OUT, help="checkpoints and the final model (default: %(default)s)")
    p.add_argument("--seed", type=int, default=13)
    p.add_argument("--epochs", type=float, default=1.0)
    p.add_argument("--null-share", type=float, default=0.2,
                   help="share of answerable examples' windows without the answer kept as 'no answer' windows")
    p.add_argument("--max-windows", type=int, default=32000,
                   help="train on at most this many windows (the 2-core budget; default: %(default)s)")
    p.add_argument("--batch-size", type=int, default=16)
    p.add_argument("--lr", type=float, default=1e-4)
    p.add_argument("--max-length", type=int, default=160, help="tokens per training window")
    p.add_argument("--freeze-layers", type=int, default=3, help="also freeze this many bottom encoder layers")
    p.add_argument("--save-steps", type=int, default=100)
    p.add_argument("--threads", type=int, default=0, help="CPU threads (0 = all cores)")
    p.add_argument("--bf16", choices=["auto", "on", "off"], default="auto",
                   help="bfloat16 mixed precision: auto = on where the GPU or the CPU (AVX-512 BF16, AMX) computes it "
                        "natively; on the project's 2-core VM it makes a step 1.35x faster (default: %(default)s)")
    p.add_argument("--only", type=str, default="",
                   help="comma-separated training file names to read instead of the default mix (all their questions)")
    p.add_argument("--take", action="append", default=[], metavar="FILE=N",
                   help="read N questions of this training file instead of the mix's number (repeatable)")
    p.add_argument("--altered-en", type=float, default=0.0,
                   help="share of English questions also asked with a swapped number or name, as unanswerables")
    p.add_argument("--init", type=Path, default=None,
                   help="start from this trained reader (a `final` folder of an earlier run) instead of the bare "
                        "encoder: a second pass over new data")
    p.add_argument("--ship", action="store_true", help="write the artifact into articleqa/reader/weights/")
    return p


def _windows(tokenizer, examples: list[dict], spec: WindowSpec, max_windows: int, seed: int,
             null_share: float) -> list[dict]:
    """The training windows, shuffled, at most ``max_windows``: every window holding an answer, one window of each
    unanswerable example, and ``null_share`` of the other windows of answerable examples (a passage part without
    the answer: "no answer" from an on-topic text, as retrieval will give the reader)."""
    rng = random.Random(seed)
    rows, seen_unanswerable = [], set()
    for w in windows(tokenizer.backend_tokenizer, [e["question"] for e in examples],
                     [e["context"] for e in examples], spec):
        ex = examples[w.pair]
        start, end = span_labels(w, ex["answer_start"], ex["answer_text"])
        if start == 0:
            if not ex["answer_text"]:
                if w.pair in seen_unanswerable:
                    continue
                seen_unanswerable.add(w.pair)
            elif rng.random() >= null_share:
                continue
        rows.append({"input_ids": w.ids, "attention_mask": [1] * len(w.ids), "start_positions": start,
                     "end_positions": end})
    rng.shuffle(rows)
    return rows[:max_windows]


def _use_bf16(torch, choice: str) -> bool:
    if choice != "auto":
        return choice == "on"
    if torch.cuda.is_available():
        return torch.cuda.is_bf16_supported()
    return torch.cpu._is_avx512_bf16_supported() or torch.cpu._is_amx_tile_supported()


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return train(args)
    except (FileNotFoundError, ValueError) as e:
        print(f"articleqa.reader.train: {e}", file=sys.stderr)
        return 2


def _mix(args: argparse.Namespace) -> Mix:
    mix = Mix(files={name: None for name in args.only.split(",")}) if args.only else Mix()
    for item in args.take:
        name, sep, n = item.partition("=")
        if not sep or not n.isdigit():
            raise ValueError(f"--take {item}: expected FILE=N, for example squad1-train.json=16000")
        mix.files[name] = int(n)
    mix.altered_question_share_en = args.altered_en
    return mix


def train(args: argparse.Namespace) -> int:
    mix = _mix(args)
    for name in mix.files:  # before the minutes of imports and data preparation
        if not (args.data / name).is_file():
            raise FileNotFoundError(f"{args.data / name}: training file not found (see shared/train/README.md)")
    if args.init and not (args.init / "config.json").is_file():
        raise FileNotFoundError(f"{args.init}: no trained reader there (expected config.json of a `final` folder)")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import torch
    from transformers import (AutoModelForQuestionAnswering, AutoTokenizer, DataCollatorWithPadding, Trainer,
                              TrainingArguments, set_seed)

    from articleqa.models.embedder import prepare_embedder
    from articleqa.settings import load_settings

    if args.threads:
        torch.set_num_threads(args.threads)
    set_seed(args.seed)
    base = prepare_embedder(load_settings())
    tokenizer = AutoTokenizer.from_pretrained(base)
    examples = build_examples(args.data, mix, seed=args.seed)
    counts = summary(examples)
    print(json.dumps(counts, ensure_ascii=False, indent=1), flush=True)
    spec = WindowSpec(max_length=args.max_length, stride=min(64, args.max_length // 3))
    ds = _windows(tokenizer, examples, spec, args.max_windows, args.seed, args.null_share)
    n_null = sum(1 for row in ds if row["start_positions"] == 0)
    print(f"{len(examples)} examples -> {len(ds)} windows ({n_null} without the answer)", flush=True)

    model = AutoModelForQuestionAnswering.from_pretrained(args.init or base)
    artifact.freeze_for_training(model, args.freeze_layers)
    args.out.mkdir(parents=True, exist_ok=True)
    targs = TrainingArguments(
        output_dir=str(args.out / "checkpoints"),
        per_device_train_batch_size=args.batch_size,
        learning_rate=args.lr,
        num_train_epochs=args.epochs,
        warmup_steps=0.06,
        lr_scheduler_type="linear",
        weight_decay=0.01,
        logging_steps=20,
        save_steps=args.save_steps,
        save_total_limit=2,
        seed=args.seed,
        data_seed=args.seed,
        report_to=[],
        bf16=_use_bf16(torch, args.bf16),
        use_cpu=not torch.cuda.is_available(),
        dataloader_num_workers=0,
        train_sampling_strategy="group_by_length",  # windows of like length batched together: less padding, same examples
        disable_tqdm=False,
    )
    trainer = Trainer(model=model, args=targs, train_dataset=ds,
                      data_collator=DataCollatorWithPadding(tokenizer, pad_to_multiple_of=8))
    resume = any((args.out / "checkpoints").glob("checkpoint-*"))
    t0 = time.time()
    trainer.train(resume_from_checkpoint=True if resume else None)
    took = time.time() - t0
    model = trainer.model.to("cpu").float()
    model.save_pretrained(args.out / "final")
    tokenizer.save_pretrained(args.out / "final")
    meta = {"seed": args.seed, "examples": counts, "windows": len(ds), "max_length": args.max_length,
            "epochs": args.epochs, "lr": args.lr, "batch_size": args.batch_size, "freeze_layers": args.freeze_layers,
            "train_seconds": round(took), "device": "cuda" if torch.cuda.is_available() else "cpu",
            "bf16": targs.bf16, "resumed": resume, "init": str(args.init) if args.init else None,
            "take": args.take, "altered_en": args.altered_en}
    (args.out / "final" / "training.json").write_text(json.dumps(meta, ensure_ascii=False, indent=1))
    print(f"trained in {took / 60:.1f} min -> {args.out / 'final'}", flush=True)
    if args.ship:
        path = artifact.write(model.state_dict(), base, meta)
        print(f"shipped {path} ({path.stat().st_size / 1e6:.1f} MB)", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
