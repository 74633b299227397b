"""Why the world benchmark's direction check fails: lost tracks, still objects or wrong headings.

    .venv/bin/python scripts/motion_failures.py [--generator tenku/models/tenku-tiny] [--n 100]
        [--transform vae:tenku/models/tenku-tiny] [--threads 2]

Text-to-video on the id split (seed 0, 64x64, 17 frames at 8 fps), from a generator (a model
directory or `ground-truth`, the default), optionally through a `tenku bench world --transform`.
Every object whose prompt names a direction is one of: `lost` (no usable track where the ground
truth shows it), `still` (tracked but slower than the check's threshold), `wrong` (moving, the
wrong way) or `right`, split by its motion word. For the wrong ones of free `moving` objects the
angle between the asked and the fitted heading is listed: spread evenly over 0-180 degrees when
the heading is random, near 180 when the model swaps a direction for its opposite.
"""

from __future__ import annotations

import argparse
import math
from collections import Counter

import numpy as np

OUTCOMES = ("lost", "still", "wrong", "right")


def outcome(ctx, obj, v) -> tuple[str, float | None]:
    """The direction check's verdict on one object, and the heading error in degrees where it
    moves freely and the wrong way."""
    from tenku.bench.motion import nearest_direction
    from tenku.bench.physics_checks import _moving
    from tenku.world.vocab import DIRECTIONS

    if v is None:
        return "lost", None
    if not _moving(v, obj):
        return "still", None
    if obj.motion in ("rolling", "bouncing"):
        return ("right" if np.sign(v[0]) == np.sign(DIRECTIONS[obj.direction][0]) else "wrong"), None
    if nearest_direction(v) == obj.direction:
        return "right", None
    want = np.asarray(DIRECTIONS[obj.direction], dtype=np.float64)
    cos = float(v @ want) / (np.linalg.norm(v) * np.linalg.norm(want) + 1e-9)
    return "wrong", math.degrees(math.acos(max(-1.0, min(1.0, cos))))


def main() -> None:
    import torch

    from tenku.bench.checks import run_checks
    from tenku.bench.context import Context, associate
    from tenku.bench.generators import GROUND_TRUTH, load_generator, load_transform
    from tenku.bench.items import make_items
    from tenku.bench.parse import parse_video
    from tenku.bench.physics_checks import _motion_words
    from tenku.bench.runner import _generate

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--generator", default=GROUND_TRUTH, help="a model directory or ground-truth")
    p.add_argument("--transform", help="h264[:CRF], blur:SIGMA or vae:PATH, applied after generating")
    p.add_argument("--n", type=int, default=100, help="items of the id split")
    p.add_argument("--threads", type=int, default=2, help="torch threads")
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    items = make_items("id", args.n, seed=0)
    generator = load_generator(args.generator, items)
    transform = load_transform(args.transform)
    counts: Counter[tuple[str, str]] = Counter()
    angles: list[float] = []
    rate: list[float] = []
    for item in items:
        frames = _generate(item, generator, "t2v", 0)
        if transform is not None:
            frames = transform(frames, item.fps)
        parsed = parse_video(frames, item.fps)
        rate += run_checks(item, parsed)["direction"]
        ctx = Context(item=item, parsed=parsed, match=associate(item, parsed))
        for obj, v, _ in _motion_words(ctx, "direction"):
            verdict, angle = outcome(ctx, obj, v)
            counts[(obj.motion, verdict)] += 1
            if angle is not None:
                angles.append(angle)
    total = sum(counts.values())
    right = sum(c for (_, verdict), c in counts.items() if verdict == "right")
    print(f"{args.generator}{' via ' + args.transform if args.transform else ''}: direction "
          f"{right / max(total, 1):.2f} ({right} of {total}; the check's own rate "
          f"{np.mean(rate) if rate else float('nan'):.2f} over {len(rate)})")  # fmt: skip
    for motion in sorted({m for m, _ in counts}):
        row = {o: counts[(motion, o)] for o in OUTCOMES}
        print(f"  {motion:9s} " + ", ".join(f"{o} {row[o]}" for o in OUTCOMES))
    if angles:
        hist, _ = np.histogram(angles, bins=[0, 45, 90, 135, 180.01])
        print("  wrong heading of free movers, degrees off: "
              + ", ".join(f"{a}-{b} {c}" for a, b, c in zip((0, 45, 90, 135), (45, 90, 135, 180), hist, strict=True)))  # fmt: skip


if __name__ == "__main__":
    main()
