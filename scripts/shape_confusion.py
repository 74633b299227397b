"""What the world benchmark's shape check reads each true shape as, through a transform.

    .venv/bin/python scripts/shape_confusion.py [--transform vae:tenku/models/tenku-tiny] [--n 100]

Ground truth of the id split (seed 0, 64x64, 17 frames at 8 fps), optionally through a
`tenku bench world --transform` (h264[:CRF], blur:SIGMA or vae:PATH); for every object the shape
check asks about, its true shape against the parsed track's shape (or LOST), and the mean PSNR
of the transformed frames. Tells a soft round trip (shapes read as balls) from lost objects.
"""

from __future__ import annotations

import argparse
from collections import Counter

import numpy as np


def main() -> None:
    from tenku.bench.context import Context, associate
    from tenku.bench.generators import load_transform
    from tenku.bench.items import make_items
    from tenku.bench.parse import parse_video

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--transform", help="h264[:CRF], blur:SIGMA or vae:PATH; none: ground truth itself")
    p.add_argument("--n", type=int, default=100, help="items of the id split")
    args = p.parse_args()
    transform = load_transform(args.transform)
    reads: Counter[tuple[str, str]] = Counter()
    psnr = []
    for item in make_items("id", args.n, seed=0):
        frames = item.frames if transform is None else transform(item.frames, item.fps)
        mse = np.mean((frames.astype(np.float64) - item.frames) ** 2)
        psnr.append(10 * np.log10(255**2 / max(mse, 1e-10)))
        parsed = parse_video(frames, item.fps)
        ctx = Context(item=item, parsed=parsed, match=associate(item, parsed))
        for n, obj in enumerate(item.spec.objects):
            if ctx.seen(n) and ctx.resolvable(n):
                track = ctx.track(n)
                reads[(obj.shape, "LOST" if track is None else track.shape)] += 1
    right = sum(c for (truth, got), c in reads.items() if truth == got)
    print(f"{args.transform or 'ground truth'}: shape {right / sum(reads.values()):.2f} "
          f"({right} of {sum(reads.values())}), PSNR {np.mean(psnr):.2f} dB over {len(psnr)} clips")  # fmt: skip
    for truth in sorted({t for t, _ in reads}):
        row = sorted(((got, c) for (t, got), c in reads.items() if t == truth), key=lambda gc: -gc[1])
        print(f"  {truth:9s} read as " + ", ".join(f"{got} {c}" for got, c in row))


if __name__ == "__main__":
    main()
