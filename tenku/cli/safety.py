"""`tenku safety check|train`: run the safety policy on prompts; retrain its semantic classifier.

    tenku safety check "a red ball bounces"            # prints the decision
    tenku safety check --json "..."                    # one JSON object per prompt
    tenku safety check --file prompts.txt [--json]     # one decision per line, models loaded once
    tenku safety train [--out PATH]                    # fit the head on tenku/safety/data/train.jsonl

Exit codes: 0 all allowed; 3 at least one prompt refused (REFUSAL_EXIT_CODE); 4 safety models
could not load (UNAVAILABLE_EXIT_CODE); 2 bad arguments.
"""

from __future__ import annotations

import argparse
import json


def add_parser(sub) -> None:
    parser = sub.add_parser("safety", help="check prompts against the safety policy; retrain its classifier")
    safety_sub = parser.add_subparsers(dest="safety", required=True, metavar="ACTION")

    check = safety_sub.add_parser("check", help="check prompts; exit 3 if any is refused")
    check.add_argument("prompt", nargs="?", help="the prompt to check")
    check.add_argument("--file", help="a text file of prompts, one per line (blank lines skipped)")
    check.add_argument("--json", action="store_true", help="print one JSON object per prompt")
    check.add_argument("--policy", help="policy TOML file laid over the shipped defaults")
    check.set_defaults(func=run_check)

    train = safety_sub.add_parser("train", help="train the semantic prompt classifier from the shipped set")
    train.add_argument("--data", help="training JSONL (default: the shipped tenku/safety/data/train.jsonl)")
    train.add_argument("--out", help="where to write the head (default: the shipped classifier file)")
    train.add_argument("--steps", type=int, default=400, help="full-batch optimisation steps")
    train.add_argument("--seed", type=int, default=0)
    train.set_defaults(func=run_train)


def _prompts(args: argparse.Namespace) -> list[str]:
    from tenku.cli import CommandError

    if (args.prompt is None) == (args.file is None):
        raise CommandError("give exactly one of PROMPT or --file", 2)
    if args.file is None:
        return [args.prompt]
    with open(args.file, encoding="utf-8") as f:
        return [line.rstrip("\n") for line in f if line.strip()]


def run_check(args: argparse.Namespace) -> int:
    from tenku.cli import CommandError
    from tenku.safety import REFUSAL_EXIT_CODE, UNAVAILABLE_EXIT_CODE, Policy, SafetyUnavailable

    prompts = _prompts(args)
    try:
        policy = Policy.load(args.policy)
        decisions = [policy.check_prompt(p) for p in prompts]
    except SafetyUnavailable as e:
        raise CommandError(f"safety unavailable, refusing to continue: {e}", UNAVAILABLE_EXIT_CODE) from e
    for prompt, d in zip(prompts, decisions, strict=True):
        if args.json:
            print(json.dumps({"prompt": prompt, **d.to_dict()}))
        elif d.allowed:
            print(f"allowed  {d.score:.2f}  {prompt}")
        else:
            print(f"REFUSED  {d.category}  ({d.reason})  {prompt}")
    return REFUSAL_EXIT_CODE if any(not d.allowed for d in decisions) else 0


def load_jsonl(path) -> list[dict]:
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def run_train(args: argparse.Namespace) -> int:
    import time

    import numpy as np
    import torch

    from tenku.safety import CATEGORIES
    from tenku.safety.classifier import TextEmbedder, train_classifier
    from tenku.safety.normalize import canonical
    from tenku.safety.policy import DATA_DIR, DEFAULT_CLASSIFIER

    torch.set_num_threads(1)
    rows = load_jsonl(args.data or DATA_DIR / "train.jsonl")
    labels = np.zeros((len(rows), len(CATEGORIES)), dtype=np.float32)  # (N, C)
    for i, row in enumerate(rows):
        if row["label"] == "unsafe":
            labels[i, CATEGORIES.index(row["category"])] = 1.0
    start = time.perf_counter()
    embedder = TextEmbedder()
    texts = [canonical(r["text"]) for r in rows]
    embeddings = np.concatenate([embedder(texts[i : i + 64]) for i in range(0, len(texts), 64)])  # (N, D)
    head = train_classifier(embeddings, labels, CATEGORIES, steps=args.steps, seed=args.seed)
    out = args.out or DEFAULT_CLASSIFIER
    head.save(out)
    probs = head.probabilities(embeddings)
    train_acc = float(((probs >= 0.5) == (labels > 0.5)).all(axis=1).mean())
    print(
        f"trained on {len(rows)} prompts in {time.perf_counter() - start:.1f}s; train exact-match {train_acc:.3f}"
    )
    print(f"wrote {out}")
    return 0
