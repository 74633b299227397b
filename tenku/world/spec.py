"""Scene specs: frozen, keyword-only dataclasses with JSON round trip and validation.

A `SceneSpec` holds everything the simulator needs: objects (shape, colour, size, motion and its
parameters, start position), occluders, background, style, camera and duration. Numbers are in
world units (see `tenku.world.vocab`): x right, y up, the floor at y = 0, the frame 10 units wide.

`spec.to_json()` / `SceneSpec.from_json(text)` round trip exactly; `spec.validate()` raises
ValueError naming the bad field and the allowed values (from_json validates too).
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from typing import Any

from tenku.world.splits import OOD_SIZES, OOD_SPEEDS
from tenku.world.vocab import (
    BACKGROUNDS,
    BOUNCINESS,
    CAMERAS,
    COLORS,
    MOTION_DIRECTIONS,
    MOTION_SPEEDS,
    MOTIONS,
    OCCLUDER_SIZE,
    OCCLUDERS,
    SHAPES,
    SIZES,
    SPEEDS,
    STYLES,
)

ALL_SIZES: dict[str, float] = {**SIZES, **OOD_SIZES}  # training sizes plus out-of-distribution ones
ALL_SPEEDS: dict[str, float] = {**SPEEDS, **OOD_SPEEDS}
MAX_OBJECTS = 4


def _choice(where: str, value: Any, allowed) -> None:
    if value not in allowed:
        raise ValueError(f"{where} must be one of {sorted(allowed)}, got {value!r}")


def _number(where: str, value: Any, lo: float, hi: float) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not lo <= value <= hi:
        raise ValueError(f"{where} must be a number in [{lo}, {hi}], got {value!r}")


@dataclass(frozen=True, kw_only=True)
class ObjectSpec:
    shape: str  # one of SHAPES
    color: str  # one of COLORS
    size: str = "medium"  # one of SIZES (or OOD_SIZES)
    motion: str = "still"  # one of MOTIONS
    direction: str | None = None  # one of MOTION_DIRECTIONS[motion]; None for undirected motions
    speed: str | None = None  # one of SPEEDS (or OOD_SPEEDS) for motions in MOTION_SPEEDS
    bounciness: str = "bouncy"  # one of BOUNCINESS: restitution against the floor
    x: float = 5.0  # start centre, world units
    y: float = 1.0  # start centre, world units (y up; resting on the floor means y == radius)
    radius: float | None = None  # world units; None: the named size's radius
    speed_units: float | None = None  # world units / s; None: the named speed's value
    angle: float = 0.0  # start rotation, radians counter-clockwise

    def resolved_radius(self) -> float:
        return float(self.radius) if self.radius is not None else ALL_SIZES[self.size]

    def resolved_speed(self) -> float | None:
        if self.speed_units is not None:
            return float(self.speed_units)
        return ALL_SPEEDS[self.speed] if self.speed is not None else None

    def validate(self, where: str = "object") -> None:
        _choice(f"{where}.shape", self.shape, SHAPES)
        _choice(f"{where}.color", self.color, COLORS)
        _choice(f"{where}.size", self.size, ALL_SIZES)
        _choice(f"{where}.motion", self.motion, MOTIONS)
        _choice(f"{where}.bounciness", self.bounciness, BOUNCINESS)
        allowed_dirs = MOTION_DIRECTIONS.get(self.motion, ())
        if allowed_dirs:
            _choice(f"{where}.direction (for motion {self.motion})", self.direction, allowed_dirs)
        elif self.direction is not None:
            raise ValueError(
                f"{where}.direction must be None for motion {self.motion!r}, got {self.direction!r}"
            )
        if self.motion in MOTION_SPEEDS:
            _choice(f"{where}.speed (for motion {self.motion})", self.speed, ALL_SPEEDS)
        elif self.speed is not None:
            raise ValueError(f"{where}.speed must be None for motion {self.motion!r}, got {self.speed!r}")
        _number(f"{where}.x", self.x, -20.0, 30.0)
        _number(f"{where}.y", self.y, -5.0, 30.0)
        _number(f"{where}.angle", self.angle, -1e3, 1e3)
        if self.radius is not None:
            _number(f"{where}.radius", self.radius, 0.05, 3.0)
        if self.speed_units is not None:
            _number(f"{where}.speed_units", self.speed_units, 0.0, 30.0)


@dataclass(frozen=True, kw_only=True)
class OccluderSpec:
    kind: str  # one of OCCLUDERS: "wall" (wide, low) or "pillar" (narrow, full height)
    x: float = 5.0  # centre, world units
    width: float | None = None  # world units; None: OCCLUDER_SIZE[kind][0]
    height: float | None = None  # world units above the floor; None: OCCLUDER_SIZE[kind][1]

    def resolved_size(self) -> tuple[float, float]:
        w, h = OCCLUDER_SIZE[self.kind]
        return (self.width if self.width is not None else w, self.height if self.height is not None else h)

    def validate(self, where: str = "occluder") -> None:
        _choice(f"{where}.kind", self.kind, OCCLUDERS)
        _number(f"{where}.x", self.x, -20.0, 30.0)
        if self.width is not None:
            _number(f"{where}.width", self.width, 0.05, 20.0)
        if self.height is not None:
            _number(f"{where}.height", self.height, 0.05, 100.0)


@dataclass(frozen=True, kw_only=True)
class SceneSpec:
    objects: tuple[ObjectSpec, ...]  # 1..MAX_OBJECTS; later objects are drawn in front
    occluders: tuple[OccluderSpec, ...] = ()  # drawn in front of every object
    background: str = "studio"  # one of BACKGROUNDS
    style: str = "flat"  # one of STYLES
    camera: str = "still"  # one of CAMERAS
    seconds: float = 2.0  # default clip duration (render(..., seconds=) overrides)

    def validate(self) -> SceneSpec:
        if not isinstance(self.objects, tuple) or not 1 <= len(self.objects) <= MAX_OBJECTS:
            raise ValueError(f"objects must be a tuple of 1..{MAX_OBJECTS} ObjectSpec, got {self.objects!r}")
        for i, obj in enumerate(self.objects):
            if not isinstance(obj, ObjectSpec):
                raise ValueError(f"objects[{i}] must be an ObjectSpec, got {type(obj).__name__}")
            obj.validate(f"objects[{i}]")
        for i, occ in enumerate(self.occluders):
            if not isinstance(occ, OccluderSpec):
                raise ValueError(f"occluders[{i}] must be an OccluderSpec, got {type(occ).__name__}")
            occ.validate(f"occluders[{i}]")
        _choice("background", self.background, BACKGROUNDS)
        _choice("style", self.style, STYLES)
        _choice("camera", self.camera, CAMERAS)
        _number("seconds", self.seconds, 0.01, 3600.0)
        return self

    def replace(self, **changes: Any) -> SceneSpec:
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), sort_keys=True)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SceneSpec:
        if not isinstance(data, dict):
            raise ValueError(f"a scene spec must be a JSON object, got {type(data).__name__}")
        data = dict(data)
        _check_keys("scene", data, cls)
        objects = data.pop("objects", None)
        if not isinstance(objects, list | tuple):
            raise ValueError(f"objects must be a list, got {objects!r}")
        occluders = data.pop("occluders", [])
        for i, item in enumerate(list(objects) + list(occluders)):
            if not isinstance(item, dict):
                raise ValueError(f"objects/occluders item {i} must be a JSON object, got {item!r}")
        for i, o in enumerate(objects):
            _check_keys(f"objects[{i}]", o, ObjectSpec)
        for i, o in enumerate(occluders):
            _check_keys(f"occluders[{i}]", o, OccluderSpec)
        spec = cls(
            objects=tuple(ObjectSpec(**o) for o in objects),
            occluders=tuple(OccluderSpec(**o) for o in occluders),
            **data,
        )
        return spec.validate()

    @classmethod
    def from_json(cls, text: str) -> SceneSpec:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as e:
            raise ValueError(f"scene spec is not valid JSON: {e}") from e
        return cls.from_dict(data)


def _check_keys(where: str, data: dict, cls: type) -> None:
    names = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(data) - names)
    if unknown:
        raise ValueError(f"{where}: unknown field(s) {unknown}; allowed: {sorted(names)}")
    missing = sorted(
        f.name
        for f in dataclasses.fields(cls)
        if f.default is dataclasses.MISSING
        and f.default_factory is dataclasses.MISSING
        and f.name not in data
    )
    if missing:
        raise ValueError(f"{where}: missing field(s) {missing}")
