"""Prompt parser, spec completion and prompt expansion.

- `parse_prompt(text) -> ParsedPrompt`: reads a prompt into a partial scene: objects with the
  colour, shape, size, motion, direction, speed, bounciness and position that the text states,
  plus style, background, camera and occluders; `unknown_words` lists what it did not understand.
  It matches the longest known phrase at each word (every phrasing in `tenku.world.lexicon`),
  then groups: an article or number opens a noun phrase; attributes and any motion words inside
  it belong to the object its shape noun names; motion, direction and speed words after a noun
  belong to the latest object. A count ("two red balls", or a plural) repeats the object.
- `spec_from_prompt(text, seed=0) -> SceneSpec`: a complete spec that keeps everything stated
  and draws the rest from the training distribution (seeded, deterministic).
- `expand_prompt(text, seed=0) -> str`: the detailed training-style caption of that spec.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, fields
from typing import Any

import numpy as np

from tenku.world import lexicon as lx
from tenku.world.captions import caption
from tenku.world.sampler import place_objects, sample_object
from tenku.world.spec import MAX_OBJECTS, OccluderSpec, SceneSpec
from tenku.world.splits import is_held_out
from tenku.world.vocab import BACKGROUNDS, MOTION_DIRECTIONS, MOTION_SPEEDS, STYLES

_OBJECT_CLASSES = ("color", "shape", "size", "bounciness", "motion", "direction", "speed", "position")
_TRIES = 50


@dataclass(frozen=True, kw_only=True)
class ParsedObject:
    shape: str | None = None
    color: str | None = None
    size: str | None = None
    motion: str | None = None
    direction: str | None = None
    speed: str | None = None
    bounciness: str | None = None
    position: str | None = None  # one of lexicon.POSITION_WORDS: left, right, center, floor, air

    def stated(self) -> dict[str, str]:
        return {f.name: getattr(self, f.name) for f in fields(self) if getattr(self, f.name) is not None}


@dataclass(frozen=True, kw_only=True)
class ParsedPrompt:
    objects: tuple[ParsedObject, ...]
    style: str | None = None
    background: str | None = None
    camera: str | None = None
    occluders: tuple[str, ...] = ()
    unknown_words: list[str]

    @property
    def spec_fields(self) -> dict[str, Any]:
        """The stated fields only: {"objects": [{field: value}], "style": ..., ...}."""
        out: dict[str, Any] = {"objects": [o.stated() for o in self.objects]}
        for name in ("style", "background", "camera"):
            if getattr(self, name) is not None:
                out[name] = getattr(self, name)
        if self.occluders:
            out["occluders"] = list(self.occluders)
        return out


def _phrase_table() -> dict[tuple[str, ...], tuple[str, str]]:
    table: dict[tuple[str, ...], tuple[str, str]] = {}

    def add(cls: str, words: dict[str, tuple[str, ...]]) -> None:
        for value, phrases in words.items():
            for phrase in phrases:
                table.setdefault(tuple(phrase.split()), (cls, value))

    add("color", lx.COLOR_WORDS)
    add("shape", lx.SHAPE_WORDS)
    add("plural", lx.SHAPE_PLURALS)
    add("size", lx.SIZE_WORDS)
    add("bounciness", lx.BOUNCE_WORDS)
    add("motion", lx.MOTION_VERBS)
    add("motion", lx.MOTION_GERUNDS)
    add("direction", lx.DIRECTION_WORDS)
    add("speed", lx.SPEED_WORDS)
    add("style", lx.STYLE_WORDS)
    add("background", lx.BACKGROUND_WORDS)
    add("camera", lx.CAMERA_WORDS)
    add("occluder", lx.OCCLUDER_WORDS)
    add("position", lx.POSITION_WORDS)
    for cls, words in lx.PARSE_ONLY.items():
        add(cls, words)
    return table


_TABLE = _phrase_table()
_LONGEST = max(len(k) for k in _TABLE)
_TOKEN = re.compile(r"[a-z0-9][a-z0-9'\-]*|[.;!?]")


def _match(tokens: list[str]) -> list[tuple[str, str, str]]:
    """Longest-phrase matching: a list of (class, value, source words)."""
    out, i = [], 0
    while i < len(tokens):
        for n in range(min(_LONGEST, len(tokens) - i), 0, -1):
            hit = _TABLE.get(tuple(tokens[i : i + n]))
            if hit:
                out.append((*hit, " ".join(tokens[i : i + n])))
                i += n
                break
        else:
            tok = tokens[i]
            if tok in ".;!?":
                out.append(("stop", tok, tok))
            elif tok in lx.NUMBER_WORDS:
                out.append(("count", str(lx.NUMBER_WORDS[tok]), tok))
            elif tok in lx.ARTICLES:
                out.append(("article", tok, tok))
            elif tok in lx.FILLER:
                pass
            else:
                out.append(("unknown", tok, tok))
            i += 1
    return out


def parse_prompt(text: str) -> ParsedPrompt:
    """Read a prompt into a partial scene (see the module docstring)."""
    if not isinstance(text, str):
        raise TypeError(f"prompt must be a string, got {type(text).__name__}")
    items = _match(_TOKEN.findall(text.lower()))
    objects: list[dict[str, str]] = []
    counts: list[int] = []
    pending: dict[str, str] = {}  # fields stated before the next shape noun
    in_np = False  # an article or number opened a noun phrase that no shape noun has closed yet
    scene: dict[str, str] = {}
    occluders: list[str] = []
    unknown: list[str] = []
    for cls, value, source in items:
        if cls == "stop":
            in_np = False
        elif cls in ("article", "count"):
            in_np = True
            if cls == "count":
                pending["count"] = value
        elif cls in ("shape", "plural"):
            obj = {k: v for k, v in pending.items() if k != "count"}
            obj["shape"] = value
            n = int(pending.get("count", 2 if cls == "plural" else 1))
            objects.append(obj)
            counts.append(n)
            pending, in_np = {}, False
        elif cls in ("color", "size", "bounciness"):
            pending[cls] = value
        elif cls in ("motion", "direction", "speed", "position"):
            if objects and not in_np and cls not in objects[-1]:
                objects[-1][cls] = value
            elif not objects or in_np:
                pending.setdefault(cls, value)
        elif cls in ("style", "background", "camera"):
            scene.setdefault(cls, value)
        elif cls == "occluder":
            occluders.append(value)
        else:
            unknown.append(source)
    if objects and pending and not in_np:  # "the ball is red": attributes after the last noun
        for k, v in pending.items():
            if k != "count":
                objects[-1].setdefault(k, v)
    parsed = [ParsedObject(**o) for o, n in zip(objects, counts, strict=True) for _ in range(n)]
    return ParsedPrompt(objects=tuple(parsed), occluders=tuple(occluders), unknown_words=unknown, **scene)


def _fixed_fields(obj: ParsedObject) -> dict[str, str]:
    """Stated fields made consistent: a direction or speed alone implies "moving"; a direction
    or speed that the motion does not take ("falls down") is dropped."""
    fixed = obj.stated()
    fixed.pop("position", None)
    motion = fixed.get("motion")
    if motion is None and ("direction" in fixed or "speed" in fixed):
        motion = fixed["motion"] = "moving"
    if motion is not None:
        if motion not in MOTION_DIRECTIONS:
            fixed.pop("direction", None)
        elif fixed.get("direction") not in (None, *MOTION_DIRECTIONS[motion]):
            raise ValueError(
                f"motion {motion!r} takes directions {list(MOTION_DIRECTIONS[motion])}, got {fixed['direction']!r}"
            )
        if motion not in MOTION_SPEEDS:
            fixed.pop("speed", None)
    return fixed


def spec_from_prompt(text: str, *, seed: int = 0, seconds: float = 2.0) -> SceneSpec:
    """A complete, valid spec that keeps everything `text` states; the rest is sampled."""
    parsed = parse_prompt(text)
    if len(parsed.objects) > MAX_OBJECTS:
        raise ValueError(
            f"a scene holds at most {MAX_OBJECTS} objects; the prompt names {len(parsed.objects)}"
        )
    fixed = [_fixed_fields(o) for o in parsed.objects]
    rng = np.random.default_rng([int(seed), 4242])
    spec = None
    for _ in range(_TRIES):
        objs = fixed or [{} for _ in range(int(rng.integers(1, 3)))]
        objects = [sample_object(rng, fixed=f) for f in objs]
        occ = tuple(
            OccluderSpec(kind=k, x=round(float(rng.uniform(3.0, 7.0)), 4)) for k in parsed.occluders[:2]
        )
        spec = SceneSpec(
            objects=place_objects(rng, objects, seconds),
            occluders=occ,
            background=parsed.background or list(BACKGROUNDS)[int(rng.integers(len(BACKGROUNDS)))],
            style=parsed.style or STYLES[int(rng.integers(len(STYLES)))],
            camera=parsed.camera or "still",
            seconds=seconds,
        ).validate()
        if not is_held_out(spec):
            break
    return spec


def expand_prompt(text: str, *, seed: int = 0) -> str:
    """A short prompt -> the detailed caption (training distribution) of `spec_from_prompt`."""
    return caption(spec_from_prompt(text, seed=seed), seed=seed, detailed=True)
