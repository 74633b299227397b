"""Seeded random scene specs for every split.

`sample_spec(seed, split="train", ...)` is deterministic in (seed, split, knobs). Each split
draws from its own seed stream, so "train" and "id" never share a scene:

- "train": 1..max_objects objects; rejects anything `is_held_out` (held-out pairs, OOD sizes/speeds).
- "id": the same distribution as train from a disjoint seed stream (in-distribution test).
- "ood": like train, but every object takes an out-of-distribution size or speed.
- "combo": like train, but the scene holds at least one held-out (colour, shape) or (motion,
  style) pair.

`sample_object(rng, fixed=..., split=...)` fills the fields a caller did not fix (used by
`spec_from_prompt`); `place_objects` finds start positions that suit each motion.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from tenku.world.spec import ALL_SIZES, ALL_SPEEDS, MAX_OBJECTS, ObjectSpec, OccluderSpec, SceneSpec
from tenku.world.splits import (
    HELD_OUT_COLOR_SHAPE,
    HELD_OUT_MOTION_STYLE,
    OOD_SIZES,
    OOD_SPEEDS,
    SPLITS,
    is_held_out,
)
from tenku.world.vocab import (
    BACKGROUNDS,
    CAMERAS,
    COLORS,
    FLOOR_Y,
    MOTION_DIRECTIONS,
    MOTION_SPEEDS,
    MOTIONS,
    OCCLUDERS,
    SHAPES,
    SIZE_JITTER,
    SIZES,
    SPEED_JITTER,
    SPEEDS,
    STYLES,
    WORLD_WIDTH,
)

_STREAM = {name: i for i, name in enumerate(SPLITS)}  # one independent seed stream per split
OCCLUDER_PROB = 0.25
CAMERA_MOVE_PROB = 0.3
MAX_TRIES = 200


def _pick(rng: np.random.Generator, options) -> str:
    options = list(options)
    return options[int(rng.integers(len(options)))]


def sample_object(
    rng: np.random.Generator, *, fixed: Mapping[str, str] | None = None, ood: bool = False
) -> ObjectSpec:
    """An object with every field of `fixed` kept (shape, color, size, motion, direction, speed,
    bounciness) and the rest drawn; ood=True draws OOD sizes or speeds. Position is left at the
    default: `place_objects` sets it."""
    fixed = dict(fixed or {})
    shape = fixed.get("shape") or _pick(rng, SHAPES)
    color = fixed.get("color") or _pick(rng, COLORS)
    motion = fixed.get("motion") or _pick(rng, MOTIONS)
    dirs = MOTION_DIRECTIONS.get(motion, ())
    direction = fixed.get("direction") if dirs else None
    if dirs and direction not in dirs:
        if direction is not None:
            raise ValueError(f"motion {motion!r} allows directions {list(dirs)}, got {direction!r}")
        direction = _pick(rng, dirs)
    speed = None
    if motion in MOTION_SPEEDS:
        speed = fixed.get("speed") or _pick(rng, OOD_SPEEDS if ood and rng.random() < 0.7 else SPEEDS)
    size = fixed.get("size") or _pick(
        rng, OOD_SIZES if ood and (speed is None or rng.random() < 0.5) else SIZES
    )
    bounciness = fixed.get("bounciness") or (
        "bouncy" if motion == "bouncing" else _pick(rng, ("bouncy", "dead"))
    )
    radius = ALL_SIZES[size] * (1 + SIZE_JITTER * rng.uniform(-1, 1))
    speed_units = ALL_SPEEDS[speed] * (1 + SPEED_JITTER * rng.uniform(-1, 1)) if speed else None
    return ObjectSpec(
        shape=shape,
        color=color,
        size=size,
        motion=motion,
        direction=direction,
        speed=speed,
        bounciness=bounciness,
        radius=round(float(radius), 4),
        speed_units=None if speed_units is None else round(float(speed_units), 4),
        angle=round(float(rng.uniform(0, 0.6)), 4) if shape in ("box", "triangle", "star") else 0.0,
    )


def _start(rng: np.random.Generator, obj: ObjectSpec, seconds: float) -> tuple[float, float]:
    """A start position (world units) that keeps the object's motion mostly in view."""
    r = obj.resolved_radius()
    lo, hi = r + 0.1, WORLD_WIDTH - r - 0.1
    x = rng.uniform(lo, hi)
    side = {"left": 1, "up-left": 1, "right": -1, "up-right": -1}.get(obj.direction or "", 0)
    if obj.motion in ("moving", "rolling", "thrown", "bouncing") and side:
        x = rng.uniform(WORLD_WIDTH / 2, hi) if side > 0 else rng.uniform(lo, WORLD_WIDTH / 2)
    if obj.motion in ("rolling",):
        return x, FLOOR_Y + r
    if obj.motion in ("still", "spinning", "growing", "shrinking"):
        return x, FLOOR_Y + r if rng.random() < 0.6 else rng.uniform(r + 1.0, 4.0)
    if obj.motion in ("falling", "bouncing"):
        return x, rng.uniform(max(2.5, r + 1.0), 4.5)
    if obj.motion == "thrown":
        return x, rng.uniform(r + 0.1, r + 1.2)
    # moving: start so that the path crosses the middle of the view
    dx, dy = (0.0, 0.0)
    if obj.direction:
        from tenku.world.vocab import DIRECTIONS

        dx, dy = DIRECTIONS[obj.direction]
    travel = min(obj.resolved_speed() * seconds, 6.0) / 2
    x = float(np.clip(WORLD_WIDTH / 2 - dx * travel + rng.uniform(-2, 2), lo, hi))
    y = float(np.clip(2.6 - dy * travel + rng.uniform(-0.8, 0.8), r + 0.3, 5.0 - r))
    return x, y


def place_objects(
    rng: np.random.Generator, objects: list[ObjectSpec], seconds: float
) -> tuple[ObjectSpec, ...]:
    """Give each object a start position, avoiding overlaps at t = 0."""
    placed: list[ObjectSpec] = []
    for obj in objects:
        r = obj.resolved_radius()
        for _ in range(MAX_TRIES):
            x, y = _start(rng, obj, seconds)
            if all((x - p.x) ** 2 + (y - p.y) ** 2 > (r + p.resolved_radius() + 0.1) ** 2 for p in placed):
                break
        placed.append(obj.__class__(**{**obj.__dict__, "x": round(float(x), 4), "y": round(float(y), 4)}))
    return tuple(placed)


def _scene(
    rng: np.random.Generator,
    *,
    n_objects: int,
    ood: bool,
    allow_occluders: bool,
    allow_camera: bool,
    seconds: float,
    style: str | None,
    background: str | None,
) -> SceneSpec:
    objects = [sample_object(rng, ood=ood) for _ in range(n_objects)]
    occluders = ()
    if allow_occluders and rng.random() < OCCLUDER_PROB:
        kind = _pick(rng, OCCLUDERS)
        occluders = (OccluderSpec(kind=kind, x=round(float(rng.uniform(3.0, 7.0)), 4)),)
    camera = _pick(rng, CAMERAS[1:]) if allow_camera and rng.random() < CAMERA_MOVE_PROB else "still"
    return SceneSpec(
        objects=place_objects(rng, objects, seconds),
        occluders=occluders,
        background=background or _pick(rng, BACKGROUNDS),
        style=style or _pick(rng, STYLES),
        camera=camera,
        seconds=seconds,
    )


def _force_combo(rng: np.random.Generator, spec: SceneSpec) -> SceneSpec:
    """Put one held-out pair into a scene (a colour/shape pair or a motion/style pair)."""
    objects = list(spec.objects)
    k = int(rng.integers(len(objects)))
    if rng.random() < 0.5:
        color, shape = sorted(HELD_OUT_COLOR_SHAPE)[int(rng.integers(len(HELD_OUT_COLOR_SHAPE)))]
        objects[k] = objects[k].__class__(**{**objects[k].__dict__, "color": color, "shape": shape})
        return spec.replace(objects=tuple(objects))
    motion, style = sorted(HELD_OUT_MOTION_STYLE)[int(rng.integers(len(HELD_OUT_MOTION_STYLE)))]
    fixed = {"shape": objects[k].shape, "color": objects[k].color, "size": objects[k].size, "motion": motion}
    objects[k] = sample_object(rng, fixed=fixed)
    return spec.replace(objects=place_objects(rng, objects, spec.seconds), style=style)


def sample_spec(
    seed: int,
    *,
    split: str = "train",
    min_objects: int = 1,
    max_objects: int = MAX_OBJECTS,
    allow_occluders: bool = True,
    allow_camera: bool = True,
    seconds: float = 2.0,
    style: str | None = None,
    background: str | None = None,
) -> SceneSpec:
    """A random valid scene of `split` (see the module docstring), deterministic in its arguments.

    Curriculum knobs: object count range, occluders and camera moves on/off, fixed style or
    background (for "combo" a fixed style may be replaced by a held-out one)."""
    if split not in SPLITS:
        raise ValueError(f"split must be one of {list(SPLITS)}, got {split!r}")
    if not 1 <= min_objects <= max_objects <= MAX_OBJECTS:
        raise ValueError(
            f"need 1 <= min_objects <= max_objects <= {MAX_OBJECTS}, got {min_objects}, {max_objects}"
        )
    if style is not None and style not in STYLES:
        raise ValueError(f"style must be one of {list(STYLES)}, got {style!r}")
    if background is not None and background not in BACKGROUNDS:
        raise ValueError(f"background must be one of {list(BACKGROUNDS)}, got {background!r}")
    rng = np.random.default_rng([int(seed), 1000 + _STREAM[split]])
    for _ in range(MAX_TRIES):
        n = int(rng.integers(min_objects, max_objects + 1))
        spec = _scene(
            rng,
            n_objects=n,
            ood=split == "ood",
            allow_occluders=allow_occluders,
            allow_camera=allow_camera,
            seconds=seconds,
            style=style,
            background=background,
        )
        if split == "combo":
            spec = _force_combo(rng, spec)
            return spec.validate()
        if split == "ood" or not is_held_out(spec):
            return spec.validate()
    raise RuntimeError(f"no {split} scene found in {MAX_TRIES} tries for seed {seed}")
