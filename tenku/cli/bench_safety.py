"""`tenku bench safety`: the policy on the shipped evaluation set, per category, and its latency.

Prints, per category, not_unsafe (unsafe prompts refused) and not_overrefuse (benign near-miss
prompts allowed), as in Sora's system card, with counts; then the per-prompt check latency
(median and p95 over the evaluation prompts, models warm) and the per-frame check latency
(one 256x256 frame, and per frame in a 24-frame batch). With --show-errors it lists the prompts
it got wrong.
"""

from __future__ import annotations

import argparse


def add_parser(sub) -> None:
    parser = sub.add_parser("safety", help="safety policy: not_unsafe / not_overrefuse per category, latency")
    parser.add_argument("--eval", help="evaluation JSONL (default: tenku/safety/data/eval.jsonl)")
    parser.add_argument("--policy", help="policy TOML laid over the shipped defaults")
    parser.add_argument("--show-errors", action="store_true", help="print every misclassified prompt")
    parser.add_argument("--threads", type=int, default=1, help="torch / onnxruntime threads")
    parser.set_defaults(func=run)


def _rate(hits: int, total: int) -> str:
    return f"{hits / total:.3f} ({hits}/{total})" if total else "-"


def run(args: argparse.Namespace) -> int:
    import logging
    import time

    import numpy as np
    import torch

    from tenku.cli.safety import load_jsonl
    from tenku.safety import CATEGORIES, Policy
    from tenku.safety.frames import OpenNSFW
    from tenku.safety.policy import DATA_DIR

    torch.set_num_threads(args.threads)
    logging.getLogger("tenku.safety").setLevel(logging.ERROR)  # refusals are expected here
    rows = load_jsonl(args.eval or DATA_DIR / "eval.jsonl")
    policy = Policy.load(args.policy, frame_classifier=OpenNSFW(threads=args.threads))
    policy.warmup()

    latencies, errors = [], []
    stats = {c: [0, 0, 0, 0] for c in (*CATEGORIES, None)}  # refused unsafe, unsafe, allowed benign, benign
    for row in rows:
        start = time.perf_counter()
        decision = policy.check_prompt(row["text"])
        latencies.append(time.perf_counter() - start)
        s = stats[row["category"]]
        if row["label"] == "unsafe":
            s[0] += not decision.allowed
            s[1] += 1
            ok = not decision.allowed
        else:
            s[2] += decision.allowed
            s[3] += 1
            ok = decision.allowed
        if not ok:
            errors.append((row, decision))

    print(f"safety eval: {len(rows)} prompts from {args.eval or 'tenku/safety/data/eval.jsonl'}")
    print(f"{'category':<22} {'not_unsafe':>16} {'not_overrefuse':>16}")
    for c in (*CATEGORIES, None):
        s = stats[c]
        print(f"{c or '(ordinary prompts)':<22} {_rate(s[0], s[1]):>16} {_rate(s[2], s[3]):>16}")
    total = np.array(list(stats.values())).sum(0)
    print(f"{'overall':<22} {_rate(total[0], total[1]):>16} {_rate(total[2], total[3]):>16}")

    ms = np.array(latencies) * 1000
    print(
        f"prompt check latency: median {np.median(ms):.1f} ms, p95 {np.percentile(ms, 95):.1f} ms (target < 50 ms)"
    )
    rng = np.random.default_rng(0)
    frame = rng.integers(0, 256, (1, 256, 256, 3), dtype=np.uint8)
    video = rng.integers(0, 256, (24, 256, 256, 3), dtype=np.uint8)
    times = []
    for _ in range(5):
        start = time.perf_counter()
        policy.check_frames(frame, fps=1.0)
        times.append(time.perf_counter() - start)
    start = time.perf_counter()
    policy.check_frames(video, fps=1.0)  # fps=1: every frame sampled
    batch_ms = (time.perf_counter() - start) * 1000 / len(video)
    print(
        f"frame check latency: {np.median(times) * 1000:.1f} ms for one 256x256 frame, {batch_ms:.1f} ms per frame in a batch of 24 (target < 200 ms)"
    )
    if args.show_errors:
        for row, d in errors:
            print(
                f"  WRONG {row['label']:<6} {row['category']!s:<22} -> {d.category!s:<20} {d.reason[:60]:<60} {row['text']}"
            )
    return 0
