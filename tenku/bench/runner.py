"""Score a generator on benchmark items: generate, (transform), parse, check.

`score(items, generator, mode=, cond=, transform=)` returns one dict per item mapping every check
name to its samples. mode "t2v" asks for each item's prompt; mode "continuation" also gives the
first `cond` ground-truth frames and scores only the frames after them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from tenku.bench.checks import run_checks
from tenku.bench.generators import Transform, VideoGenerator
from tenku.bench.items import Item
from tenku.bench.parse import parse_video

MODES = ("t2v", "continuation")


def default_cond_frames(total: int) -> int:
    """Frames given in continuation mode: a quarter of the clip, at least 3, leaving at least 4."""
    return max(3, min(total - 4, total // 4))


def _generate(item: Item, generator: VideoGenerator, mode: str, cond: int) -> np.ndarray:
    t, h, w, _ = item.frames.shape
    seconds = (t - 1) / item.fps
    given = item.frames[:cond] if mode == "continuation" else None
    frames = generator(
        item.prompt, seconds=seconds, fps=item.fps, width=w, height=h, seed=item.seed, cond_frames=given
    )
    frames = np.asarray(frames)
    if frames.dtype != np.uint8 or frames.shape != item.frames.shape:
        raise ValueError(
            f"generator {generator.name!r} returned {frames.dtype} {frames.shape} for {item.name}; "
            f"expected uint8 {item.frames.shape}"
        )
    return frames


def score(
    items: Sequence[Item],
    generator: VideoGenerator | None,
    *,
    mode: str = "t2v",
    cond: int | None = None,
    transform: Transform | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> list[dict[str, list[float]]]:
    """Check samples per item; generator None scores the ground truth itself (the floor)."""
    if mode not in MODES:
        raise ValueError(f"mode must be one of {list(MODES)}, got {mode!r}")
    out = []
    for k, item in enumerate(items):
        start = 0
        if mode == "continuation":
            start = default_cond_frames(len(item.frames)) if cond is None else cond
            if not 1 <= start < len(item.frames) - 1:
                raise ValueError(f"cond frames must be in 1..{len(item.frames) - 2}, got {start}")
        frames = item.frames if generator is None else _generate(item, generator, mode, start)
        if transform is not None:
            frames = transform(frames, item.fps)
        out.append(run_checks(item, parse_video(frames, item.fps), start=start))
        if progress is not None:
            progress(k + 1, len(items))
    return out
