"""`tenku bench world`: the world benchmark (prompt adherence, physics, object permanence).

    tenku bench world --generator ground-truth --split id --n 100
    tenku bench world --generator tenku-tiny --split all --n 100 --json world.json
    tenku bench world --generator ckpt/ --mode continuation --transform vae:ckpt/
    tenku bench world --drift --n 10        # long-video drift: 60 s clips, checks per 4-s window
    tenku bench world --fit-parser          # refit the parser's classifiers on renders

Prints one line per check with its mean, bootstrap 95 % interval and sample count, for the
generator, the floor (the parser on ground truth) and, with --transform, the ceiling (ground
truth through the transform: `h264[:CRF]`, `blur:SIGMA` or `vae:CHECKPOINT`), then the elapsed
time. Sizes default to the model's own (64x64 at 8 fps for 2 s, 17 frames, for ground truth).

With --drift (text-to-video only) each clip is --seconds long (default 60) and every check runs
per window of --chunk-seconds (default 4); one table per row gives each window's mean and the
drift (last window minus first).
"""

from __future__ import annotations

import argparse


def add_parser(sub) -> None:
    from tenku.bench.items import SPLIT_CHOICES

    p = sub.add_parser("world", help="world benchmark: adherence, physics, permanence vs ground truth")
    p.add_argument(
        "--generator", default="ground-truth", help="ground-truth, or a model name or checkpoint path"
    )
    p.add_argument("--split", default="id", choices=SPLIT_CHOICES)
    p.add_argument("--n", type=int, default=100, help="items per split")
    p.add_argument("--mode", default="t2v", choices=("t2v", "continuation"))
    p.add_argument(
        "--cond",
        type=int,
        help="continuation: frames given (default: about a quarter of the clip as 1 + 4j frames, at least 5)",
    )
    p.add_argument("--transform", help="ceiling row: h264[:CRF], blur:SIGMA (pixels) or vae:CHECKPOINT")
    p.add_argument("--seed", type=int, default=0, help="benchmark seed (which scenes)")
    p.add_argument("--width", type=int)
    p.add_argument("--height", type=int)
    p.add_argument("--fps", type=float)
    p.add_argument("--seconds", type=float)
    p.add_argument("--json", help="write every score, the settings and per-item samples here")
    p.add_argument("--threads", type=int, default=1, help="torch threads for model generators")
    p.add_argument("--steps", type=int, help="model generators: sampler steps (default: the checkpoint's)")
    p.add_argument(
        "--guidance", type=float, help="model generators: guidance scale (default: the checkpoint's)"
    )
    p.add_argument(
        "--shift",
        type=float,
        help="model generators: the schedule's timestep shift, > 0 (default: the checkpoint's)",
    )
    p.add_argument(
        "--solver", choices=("euler", "heun"), help="model generators: ODE solver (default: the checkpoint's)"
    )
    p.add_argument("--show-failures", action="store_true", help="list, per check, the items each row fails")
    p.add_argument(
        "--drift", action="store_true", help="long clips scored per window: per-window scores and drift"
    )
    p.add_argument("--chunk-seconds", type=float, default=4.0, help="--drift: window length in seconds")
    p.add_argument("--fit-parser", action="store_true", help="refit the parser's classifiers and write them")
    p.set_defaults(func=run)


def _sizes(args: argparse.Namespace, generator) -> tuple[int, int, float, float]:
    from tenku.bench.generators import PipelineGenerator

    w, h, fps, seconds = 64, 64, 8.0, 2.0
    if isinstance(generator, PipelineGenerator):
        w, h, fps, seconds = generator.defaults()
    if args.drift:
        seconds = 60.0
    return (
        args.width or w,
        args.height or h,
        args.fps or fps,
        args.seconds or seconds,
    )


def _run_drift(args: argparse.Namespace, items, generator, transform, start: float) -> int:
    import time

    from tenku.bench.report import drift, drift_json, format_drift, to_json
    from tenku.bench.runner import score_chunks

    results = {}
    if generator is not None:
        results[generator.name] = drift(score_chunks(items, generator, chunk_seconds=args.chunk_seconds))
    results["floor"] = drift(score_chunks(items, None, chunk_seconds=args.chunk_seconds))
    if transform is not None:
        per = score_chunks(items, None, chunk_seconds=args.chunk_seconds, transform=transform)
        results[f"ceiling ({transform.name})"] = drift(per)
    elapsed = time.perf_counter() - start
    t, h, w, _ = items[0].frames.shape
    print(
        f"world benchmark drift: generator {args.generator}, split {args.split}, n {len(items)}, "
        f"{w}x{h} @ {items[0].fps:g} fps, {t} frames, windows of {args.chunk_seconds:g} s"
    )
    for name, res in results.items():
        print(f"{name}:")
        print(format_drift(res, args.chunk_seconds))
    print(f"elapsed {elapsed:.1f} s ({elapsed / len(items):.2f} s per item)")
    if args.json:
        settings = {
            "generator": args.generator,
            "split": args.split,
            "n": len(items),
            "drift": True,
            "chunk_seconds": args.chunk_seconds,
            "width": w,
            "height": h,
            "fps": items[0].fps,
            "frames": t,
            "seed": args.seed,
            "elapsed_s": round(elapsed, 2),
        }
        data = {name: drift_json(res) for name, res in results.items()}
        print(f"wrote {to_json(args.json, settings=settings, rows={}, items=[], drift=data)}")
    return 0


def run(args: argparse.Namespace) -> int:
    import time

    import torch

    from tenku.bench import classify
    from tenku.bench.generators import GROUND_TRUTH, load_generator, load_transform
    from tenku.bench.items import make_items
    from tenku.bench.report import format_failures, format_table, summarize, to_json
    from tenku.bench.runner import score

    if args.fit_parser:
        start = time.perf_counter()
        path = classify.save_classifiers(classify.fit_classifiers(0), classify.CLASSIFIERS_PATH)
        print(f"wrote {path} in {time.perf_counter() - start:.1f} s")
        return 0
    if args.n < 1:
        raise ValueError(f"--n must be at least 1, got {args.n}")
    torch.set_num_threads(args.threads)
    start = time.perf_counter()
    transform = load_transform(args.transform)
    if args.steps is not None and args.steps < 1:
        raise ValueError(f"--steps must be at least 1, got {args.steps}")
    if args.guidance is not None and args.guidance < 0:
        raise ValueError(f"--guidance must be at least 0, got {args.guidance}")
    if args.shift is not None and args.shift <= 0:
        raise ValueError(f"--shift must be greater than 0, got {args.shift}")
    sampler = dict(steps=args.steps, guidance=args.guidance, shift=args.shift, solver=args.solver)
    generator = None
    if args.generator != GROUND_TRUTH:
        generator = load_generator(args.generator, [], **sampler)
    elif any(v is not None for v in sampler.values()):
        raise ValueError(
            "--steps, --guidance, --shift and --solver set a model's sampler; ground-truth has none"
        )
    width, height, fps, seconds = _sizes(args, generator)
    items = make_items(
        args.split, args.n, seed=args.seed, width=width, height=height, fps=fps, seconds=seconds
    )
    if args.drift:
        if args.mode != "t2v":
            raise ValueError(
                "--drift scores text-to-video clips; it cannot be combined with --mode continuation"
            )
        return _run_drift(args, items, generator, transform, start)
    kw = dict(mode=args.mode, cond=args.cond)
    rows, per_item = {}, {}
    if generator is not None:
        per_item[generator.name] = score(items, generator, **kw)
    per_item["floor"] = score(items, None, **kw)
    if transform is not None:
        per_item[f"ceiling ({transform.name})"] = score(items, None, transform=transform, **kw)
    rows = {name: summarize(res, seed=args.seed) for name, res in per_item.items()}
    elapsed = time.perf_counter() - start
    print(
        f"world benchmark: generator {args.generator}, split {args.split}, n {len(items)}, mode {args.mode}, "
        f"{width}x{height} @ {fps:g} fps, {len(items[0].frames)} frames"
    )
    print(format_table(rows))
    if args.show_failures:
        for name, res in per_item.items():
            print(format_failures(name, items, res))
    print(f"elapsed {elapsed:.1f} s ({elapsed / len(items):.2f} s per item)")
    if args.json:
        settings = {
            "generator": args.generator,
            "split": args.split,
            "n": len(items),
            "mode": args.mode,
            "cond": args.cond,
            "transform": args.transform,
            "steps": args.steps,
            "guidance": args.guidance,
            "shift": args.shift,
            "solver": args.solver,
            "seed": args.seed,
            "width": width,
            "height": height,
            "fps": fps,
            "seconds": seconds,
            "frames": len(items[0].frames),
            "elapsed_s": round(elapsed, 2),
        }
        records = [
            {
                "item": it.name,
                "seed": it.seed,
                "prompt": it.prompt,
                "spec": it.spec.to_dict(),
                **{k: v[i] for k, v in per_item.items()},
            }
            for i, it in enumerate(items)
        ]
        print(f"wrote {to_json(args.json, settings=settings, rows=rows, items=records)}")
    return 0
