"""Benchmark items: seeded scene specs of a split, each with its prompt and its ground truth.

`make_items(split, n, seed=0, width=, height=, fps=, seconds=)` draws `n` specs from the world's
split ("id", "ood", "combo"; "all" draws n from each), renders each with the world's renderer
and captions it with the world's detailed caption grammar. Deterministic in its arguments.

Clips hold `frame_count(seconds, fps)` = round(seconds * fps) + 1 frames (both ends of the
interval, as the causal video models generate them: 2 s at 8 fps is 17 frames).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tenku.world import SceneSpec, WorldState, render, sample_spec

BENCH_SPLITS = ("id", "ood", "combo")
SPLIT_CHOICES = (*BENCH_SPLITS, "all")
_SEED_STRIDE = 1_000_003  # items of different benchmark seeds never share a scene seed


@dataclass(frozen=True, kw_only=True)
class Item:
    split: str  # one of BENCH_SPLITS
    index: int  # position within its split
    seed: int  # scene seed (sample_spec) and render seed
    spec: SceneSpec
    prompt: str  # the detailed caption of spec
    frames: np.ndarray  # (T, H, W, 3) uint8, the ground-truth render
    state: WorldState  # per-frame ground truth
    fps: float

    @property
    def name(self) -> str:
        return f"{self.split}-{self.index:04d}"


def frame_count(seconds: float, fps: float) -> int:
    if not (seconds > 0 and fps > 0):
        raise ValueError(f"seconds and fps must be positive, got seconds={seconds}, fps={fps}")
    return int(round(seconds * fps)) + 1


def prompt_for(spec: SceneSpec, seed: int) -> str:
    from tenku.world.captions import caption

    return caption(spec, seed=seed, detailed=True)


def make_item(
    split: str, index: int, *, seed: int, width: int, height: int, fps: float, seconds: float
) -> Item:
    scene_seed = seed * _SEED_STRIDE + index
    spec = sample_spec(scene_seed, split=split, seconds=seconds)
    n = frame_count(seconds, fps)
    out = render(spec, width=width, height=height, fps=fps, seconds=n / fps, seed=scene_seed)
    return Item(
        split=split,
        index=index,
        seed=scene_seed,
        spec=spec,
        prompt=prompt_for(spec, scene_seed),
        frames=out.frames,
        state=out.state,
        fps=float(fps),
    )


def make_items(
    split: str,
    n: int,
    *,
    seed: int = 0,
    width: int = 64,
    height: int = 64,
    fps: float = 8.0,
    seconds: float = 2.0,
) -> list[Item]:
    """`n` items of `split` (n of each split for "all"), in a fixed order."""
    if split not in SPLIT_CHOICES:
        raise ValueError(f"split must be one of {list(SPLIT_CHOICES)}, got {split!r}")
    if not (isinstance(n, int) and n >= 1):
        raise ValueError(f"n must be a positive integer, got {n!r}")
    splits = BENCH_SPLITS if split == "all" else (split,)
    kw = dict(seed=seed, width=width, height=height, fps=fps, seconds=seconds)
    return [make_item(s, i, **kw) for s in splits for i in range(n)]
