"""Held-out definitions, all in one place: what training never sees and the benchmark tests.

- `HELD_OUT_COLOR_SHAPE`: (colour, shape) pairs never sampled for training ("combo" split).
- `HELD_OUT_MOTION_STYLE`: (motion, style) pairs never sampled for training ("combo" split).
- `HELD_OUT_PHRASINGS`: words that training captions never use; the parser understands them.
- `OOD_SIZES`, `OOD_SPEEDS`: named sizes and speeds outside the training ranges ("ood" split);
  `TRAIN_RADIUS_RANGE`, `TRAIN_SPEED_RANGE` are the ranges the training sampler covers.
- `is_held_out(spec)`: True when a spec holds anything above; the training sampler rejects those.

Splits: "train" (never held out), "id" (same distribution as train, a disjoint seed stream),
"ood" (sizes/speeds outside training ranges), "combo" (held-out pairs).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tenku.world.vocab import SIZE_JITTER, SIZES, SPEED_JITTER, SPEEDS

if TYPE_CHECKING:
    from tenku.world.spec import SceneSpec

SPLITS = ("train", "id", "ood", "combo")

HELD_OUT_COLOR_SHAPE: frozenset[tuple[str, str]] = frozenset(
    {("red", "star"), ("blue", "triangle"), ("green", "ring"), ("purple", "box")}
)
HELD_OUT_MOTION_STYLE: frozenset[tuple[str, str]] = frozenset(
    {("bouncing", "pencil"), ("rolling", "neon"), ("spinning", "watercolor"), ("falling", "pixel")}
)
# Synonyms kept out of training captions (see captions(..., phrasing="held_out")).
HELD_OUT_PHRASINGS: frozenset[str] = frozenset({"crimson", "orb", "twirls", "twirling", "swiftly", "hoop"})

# Out-of-distribution named sizes (radius, world units) and speeds (world units / s).
OOD_SIZES: dict[str, float] = {"tiny": 0.17, "huge": 1.4}
OOD_SPEEDS: dict[str, float] = {"very-slow": 0.5, "very-fast": 8.5}

TRAIN_RADIUS_RANGE = (min(SIZES.values()) * (1 - SIZE_JITTER), max(SIZES.values()) * (1 + SIZE_JITTER))
TRAIN_SPEED_RANGE = (min(SPEEDS.values()) * (1 - SPEED_JITTER), max(SPEEDS.values()) * (1 + SPEED_JITTER))
_EPS = 1e-9


def held_out_reasons(spec: SceneSpec) -> list[str]:
    """Every reason `spec` is held out of training (empty when it is a training spec)."""
    reasons = []
    lo_r, hi_r = TRAIN_RADIUS_RANGE
    lo_v, hi_v = TRAIN_SPEED_RANGE
    for i, obj in enumerate(spec.objects):
        if (obj.color, obj.shape) in HELD_OUT_COLOR_SHAPE:
            reasons.append(f"objects[{i}]: held-out colour/shape pair {obj.color} {obj.shape}")
        if (obj.motion, spec.style) in HELD_OUT_MOTION_STYLE:
            reasons.append(f"objects[{i}]: held-out motion/style pair {obj.motion} in {spec.style}")
        r = obj.resolved_radius()
        if obj.size in OOD_SIZES or not lo_r - _EPS <= r <= hi_r + _EPS:
            reasons.append(f"objects[{i}]: size {obj.size} (radius {r:.3f}) outside training range")
        v = obj.resolved_speed()
        if obj.speed in OOD_SPEEDS or (v is not None and not lo_v - _EPS <= v <= hi_v + _EPS):
            reasons.append(f"objects[{i}]: speed {obj.speed} ({v}) outside training range")
    return reasons


def is_held_out(spec: SceneSpec) -> bool:
    """True when `spec` holds a held-out pair or an out-of-distribution size or speed."""
    return bool(held_out_reasons(spec))
