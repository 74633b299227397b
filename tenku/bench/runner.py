"""Score a generator on benchmark items: generate, (transform), parse, check.

`score(items, generator, mode=, cond=, transform=)` returns one dict per item mapping every check
name to its samples. mode "t2v" asks for each item's prompt; mode "continuation" also gives the
first `cond` ground-truth frames and scores only the frames after them.

`score_chunks(items, generator, chunk_seconds=4)` is the long-video drift protocol: each long
clip is generated (or rendered) whole, then cut into windows of `chunk_seconds` (consecutive
windows share their boundary frame) and every check runs on every window as on a clip of its
own, against the same window of the ground-truth state. It returns, per item, one dict of
samples per window; `report.drift` turns them into per-window scores and last minus first.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import fields, replace

import numpy as np

from tenku.bench.checks import run_checks
from tenku.bench.generators import Transform, VideoGenerator
from tenku.bench.items import Item, frame_count
from tenku.bench.parse import parse_video

MODES = ("t2v", "continuation")


def default_cond_frames(total: int) -> int:
    """Frames given in continuation mode: about a quarter of the clip, as 1 + 4j frames (whole
    latent windows of a 4x causal VAE, which a model holds as given: of 4 frames it could hold
    only the first), at least 5 (two positions a velocity can be read from), leaving at least 4."""
    return max(5, min(total - 4, 1 + 4 * math.ceil((total / 4 - 1) / 4)))


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


def chunk_bounds(total: int, chunk: int) -> list[tuple[int, int]]:
    """(start, stop) frame ranges of consecutive windows of `chunk` frames sharing their boundary
    frame; a tail shorter than half a window is left out."""
    if chunk < 4:
        raise ValueError(f"a window needs at least 4 frames, got {chunk}")
    out = []
    a = 0
    while a + chunk <= total or (not out and a < total):
        out.append((a, min(total, a + chunk)))
        a += chunk - 1
    if out and total - a >= chunk // 2 and a < total - 1:
        out.append((a, total))
    return out


_OBJECT_FIELDS = (  # WorldState arrays indexed (T, N, ...)
    "centroid_px",
    "centroid_world",
    "velocity_world",
    "radius_world",
    "angle",
    "bbox_px",
    "visible_fraction",
    "masks",
)
_STOPPED = 0.3  # world units / s: slower than this at a window's start has no motion words


def slice_item(item: Item, start: int, stop: int) -> Item | None:
    """The item as a clip of its own over frames start..stop-1: frames and per-frame state cut,
    objects the window never shows (visible > 0.1 in under 2 frames) left out (None when none
    is left), and, for windows after the first, each object's direction and speed words restated
    from the ground truth at the window's first frame (bounces and walls change them; the spec
    names only the opening motion)."""
    st = item.state
    t_len = len(item.frames)
    cut = {
        f.name: getattr(st, f.name)[start:stop]
        for f in fields(st)
        if isinstance(getattr(st, f.name), np.ndarray) and getattr(st, f.name).shape[:1] == (t_len,)
    }
    keep = np.nonzero((cut["visible_fraction"] > 0.1).sum(0) >= 2)[0]
    if len(keep) == 0:
        return None
    for name in _OBJECT_FIELDS:
        cut[name] = cut[name][:, keep]
    objects = tuple(item.spec.objects[k] for k in keep)
    if start > 0:
        objects = tuple(
            _restated(o, cut["velocity_world"][0, j]) if o.direction is not None else o
            for j, o in enumerate(objects)
        )
    return replace(
        item,
        spec=replace(item.spec, objects=objects),
        frames=item.frames[start:stop],
        state=replace(st, **cut),
    )


def _restated(obj, v: np.ndarray):
    """obj with the direction and speed words of velocity v (2,) world units / s."""
    from tenku.bench.motion import nearest_direction, nearest_name
    from tenku.world import ALL_SPEEDS

    horizontal = obj.motion in ("rolling", "bouncing")
    speed = abs(float(v[0])) if horizontal else float(np.linalg.norm(v))
    if speed < _STOPPED:
        return replace(obj, direction=None, speed=None)
    direction = ("right" if v[0] > 0 else "left") if horizontal else nearest_direction(v)
    return replace(obj, direction=direction, speed=nearest_name(speed, ALL_SPEEDS))


def score_chunks(
    items: Sequence[Item],
    generator: VideoGenerator | None,
    *,
    chunk_seconds: float = 4.0,
    transform: Transform | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> list[list[dict[str, list[float]]]]:
    """Check samples per item and per window of `chunk_seconds` (text-to-video mode)."""
    out = []
    for k, item in enumerate(items):
        frames = item.frames if generator is None else _generate(item, generator, "t2v", 0)
        if transform is not None:
            frames = transform(frames, item.fps)
        whole = replace(item, frames=frames)
        per_chunk = []
        for a, b in chunk_bounds(len(frames), frame_count(chunk_seconds, item.fps)):
            part = slice_item(whole, a, b)
            per_chunk.append({} if part is None else run_checks(part, parse_video(part.frames, item.fps)))
        out.append(per_chunk)
        if progress is not None:
            progress(k + 1, len(items))
    return out
