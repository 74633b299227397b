"""`tenku bench vae`: reconstruction PSNR of world clips through a VAE.

    tenku bench vae --vae tenku-tiny                       # the shipped model's VAE
    tenku bench vae --vae runs/recipe-tenku-tiny/vae --n 64 --size 64x64 --size 96x64

Renders `--n` benchmark items of a split (the same scenes `tenku bench world` scores, never the
training stream) at each size, encodes them with the VAE's posterior mean and decodes back, and
prints the PSNR (peak 255, over the uint8 frames as written) per style and overall: mean, min
and max per clip, with the wall time. `--vae` takes a VAE run directory (its EMA weights at
checkpoints/latest), an exported checkpoint directory or a shipped model name.
"""

from __future__ import annotations

import argparse


def _size(text: str) -> tuple[int, int]:
    try:
        w, h = (int(v) for v in text.lower().split("x"))
    except ValueError as e:
        raise argparse.ArgumentTypeError(f"size must be WIDTHxHEIGHT, e.g. 96x64; got {text!r}") from e
    return w, h


def add_parser(sub) -> None:
    from tenku.bench.items import SPLIT_CHOICES

    p = sub.add_parser("vae", help="VAE reconstruction PSNR of world clips, per style")
    p.add_argument("--vae", required=True, help="VAE run directory, checkpoint directory or model name")
    p.add_argument("--split", default="id", choices=SPLIT_CHOICES)
    p.add_argument("--n", type=int, default=48, help="clips per split and size")
    p.add_argument("--size", type=_size, action="append", help="WIDTHxHEIGHT, repeatable (default 64x64)")
    p.add_argument("--fps", type=float, default=8.0)
    p.add_argument("--seconds", type=float, default=2.0, help="clip length (frames: seconds * fps + 1)")
    p.add_argument("--seed", type=int, default=0, help="benchmark seed (which scenes)")
    p.add_argument("--threads", type=int, default=0, help="torch CPU threads (0: torch's default)")
    p.add_argument("--json", help="write the per-clip PSNRs and the summary here")
    p.set_defaults(func=run)


def psnr(a, b) -> float:
    """PSNR in dB of two uint8 arrays (peak 255); 99 for identical arrays."""
    import numpy as np

    mse = float(np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2))
    return 99.0 if mse == 0 else 10 * np.log10(255.0**2 / mse)


def _vae_source(text: str) -> str:
    from pathlib import Path

    from tenku.pipeline import available_models

    if text not in available_models() and not (Path(text) / "config.json").is_file():
        raise ValueError(
            f"--vae {text!r}: not a VAE run directory, a checkpoint directory (config.json) or a shipped "
            f"model ({', '.join(available_models()) or 'none shipped'})"
        )
    return text


def run(args) -> int:
    import json
    import time

    import numpy as np
    import torch

    from tenku.bench.items import make_items
    from tenku.pipeline import to_frames, to_tensor
    from tenku.train import load_vae

    if args.n < 1:
        raise ValueError(f"--n must be >= 1, got {args.n}")
    if args.threads:
        torch.set_num_threads(args.threads)
    start = time.perf_counter()
    _, vae = load_vae(_vae_source(args.vae), torch.device("cpu"))
    sizes = args.size or [(64, 64)]
    rows = []  # (size, style, psnr)
    for w, h in sizes:
        s = vae.cfg.spatial_compression
        if w % s or h % s:
            raise ValueError(f"--size {w}x{h}: width and height must be multiples of {s} for this VAE")
        items = make_items(
            args.split, args.n, seed=args.seed, width=w, height=h, fps=args.fps, seconds=args.seconds
        )
        for it in items:
            frames = it.frames[: 1 + (len(it.frames) - 1) // 4 * 4]  # the causal VAE takes 1 + 4k frames
            with torch.no_grad():
                out = to_frames(vae.decode(vae.encode(to_tensor(frames))))
            rows.append((f"{w}x{h}", it.spec.style, psnr(out, frames)))
    elapsed = time.perf_counter() - start

    def line(label: str, values: list[float]) -> str:
        v = np.asarray(values)
        return f"{label:<18} {len(v):>4} {v.mean():>7.2f} {v.min():>7.2f} {v.max():>7.2f}"

    print(f"VAE {args.vae}: PSNR (dB) of {args.split} world clips, {args.seconds:g} s at {args.fps:g} fps")
    print(f"{'clips':<18} {'n':>4} {'mean':>7} {'min':>7} {'max':>7}")
    for size in dict.fromkeys(r[0] for r in rows):
        print(line(size, [p for sz, _, p in rows if sz == size]))
    for style in sorted({r[1] for r in rows}):
        print(line(f"  {style}", [p for _, st, p in rows if st == style]))
    print(line("all", [p for *_, p in rows]))
    print(f"elapsed {elapsed:.1f} s")
    if args.json:
        from pathlib import Path

        from tenku.io import atomic_path

        summary = {"mean": float(np.mean([p for *_, p in rows])), "min": float(min(p for *_, p in rows))}
        data = {
            "vae": args.vae,
            "split": args.split,
            "n": args.n,
            "summary": summary,
            "clips": [{"size": sz, "style": st, "psnr": p} for sz, st, p in rows],
        }
        with atomic_path(Path(args.json)) as p:
            p.write_text(json.dumps(data, indent=1))
    return 0
