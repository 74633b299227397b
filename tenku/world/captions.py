"""Captions: a small grammar that describes a scene spec in many ways, short or detailed.

`captions(spec, seed=0, detailed=False, phrasing="train")` returns several paraphrases, cycling
through the sentence structures (`STRUCTURES`, object clauses x scene frames) with synonyms drawn
from `tenku.world.lexicon` for every word class; `caption(spec, seed=...)` returns one, chosen
by seed (the training caption). Short captions name each object's colour, shape, motion (with
direction and speed) and the style, sometimes size, background and camera. Detailed captions
add size, bounciness, start position, background, camera and occluders.

phrasing: "train" never uses `HELD_OUT_PHRASINGS`; "held_out" prefers them where a word class
has one; "any" draws from all. Every caption parses back (`parse_prompt`) to the spec's colours,
shapes and motions.
"""

from __future__ import annotations

import numpy as np

from tenku.world import lexicon as lx
from tenku.world.spec import ObjectSpec, SceneSpec
from tenku.world.splits import HELD_OUT_PHRASINGS
from tenku.world.vocab import GRAVITY_MOTIONS, MOTION_DIRECTIONS, MOTION_SPEEDS

PHRASINGS = ("train", "held_out", "any")
CLAUSES = ("verb", "is_gerund", "there_is", "can_be_seen", "we_see")  # how one object is described
FRAMES = ("style_after", "style_of", "in_this", "in_the_style")  # how the scene wraps the objects
STRUCTURES = tuple((c, f) for f in FRAMES for c in CLAUSES)
JOINERS = (" and ", ", while ", "; meanwhile, ", ". ")


class _Words:
    """Synonym choice under a phrasing policy, from one seeded generator."""

    def __init__(self, rng: np.random.Generator, phrasing: str):
        if phrasing not in PHRASINGS:
            raise ValueError(f"phrasing must be one of {list(PHRASINGS)}, got {phrasing!r}")
        self.rng, self.phrasing = rng, phrasing

    def pick(self, options) -> str:
        options = list(options)
        held = [o for o in options if set(o.split()) & HELD_OUT_PHRASINGS]
        if self.phrasing == "train":
            options = [o for o in options if o not in held] or options
        elif self.phrasing == "held_out" and held:
            options = held
        return options[int(self.rng.integers(len(options)))]

    def chance(self, p: float) -> bool:
        return bool(self.rng.random() < p)


def _article(word: str) -> str:
    return "an" if word[0] in "aeiou8" else "a"


def _position(obj: ObjectSpec) -> str:
    side = "left" if obj.x < 3.5 else "right" if obj.x > 6.5 else "center"
    height = "floor" if abs(obj.y - obj.resolved_radius()) < 1e-3 else "air"
    return side, height


def _noun_phrase(obj: ObjectSpec, w: _Words, detailed: bool) -> str:
    words = []
    if detailed or w.chance(0.4):
        words.append(w.pick(lx.SIZE_WORDS[obj.size]))
    if detailed and obj.motion in GRAVITY_MOTIONS:
        words.append(w.pick(lx.BOUNCE_WORDS[obj.bounciness]))
    words += [w.pick(lx.COLOR_WORDS[obj.color]), w.pick(lx.SHAPE_WORDS[obj.shape])]
    phrase = " ".join(words)
    phrase = f"{_article(phrase)} {phrase}"
    if detailed:
        side, height = _position(obj)
        phrase += f" {w.pick(lx.POSITION_WORDS[side])}"
        if height == "floor" and obj.motion not in ("rolling",):
            phrase += f" {w.pick(lx.POSITION_WORDS['floor'])}"
    return phrase


def _modifiers(obj: ObjectSpec, w: _Words) -> str:
    parts = []
    if obj.direction and obj.motion in MOTION_DIRECTIONS:
        parts.append(w.pick(lx.DIRECTION_WORDS[obj.direction]))
    if obj.speed and obj.motion in MOTION_SPEEDS:
        parts.append(w.pick(lx.SPEED_WORDS[obj.speed]))
    if len(parts) == 2 and w.chance(0.5):
        parts.reverse()
    return "".join(" " + p for p in parts)


def _clause(obj: ObjectSpec, w: _Words, detailed: bool, kind: str) -> str:
    np_ = _noun_phrase(obj, w, detailed)
    verb = w.pick(lx.MOTION_VERBS[obj.motion]) + _modifiers(obj, w)
    gerund = w.pick(lx.MOTION_GERUNDS[obj.motion]) + _modifiers(obj, w)
    if kind == "verb":
        return f"{np_} {verb}"
    if kind == "is_gerund":
        return f"{np_} is {gerund}"
    if kind == "there_is":
        return f"there is {np_} {gerund}"
    if kind == "can_be_seen":
        return f"{np_} can be seen {gerund}"
    return f"we see {np_} that {verb}"


def _scene_extras(spec: SceneSpec, w: _Words, detailed: bool) -> list[str]:
    """Sentences about background, camera and occluders."""
    out = []
    if detailed or w.chance(0.4):
        bg = w.pick(lx.BACKGROUND_WORDS[spec.background])
        out.append(
            w.pick([f"The scene is set in {_article(bg)} {bg}", f"It takes place in {_article(bg)} {bg}"])
        )
    if spec.camera != "still":
        out.append("The " + w.pick(lx.CAMERA_WORDS[spec.camera]))
    elif detailed:
        cam = w.pick(lx.CAMERA_WORDS["still"])
        out.append(f"Shot with {_article(cam)} {cam}")
    if detailed:
        for occ in spec.occluders:
            word = w.pick(lx.OCCLUDER_WORDS[occ.kind])
            out.append(f"{_article(word).capitalize()} {word} stands in the foreground")
    return out


def _compose(spec: SceneSpec, w: _Words, detailed: bool, structure: tuple[str, str]) -> str:
    kind, frame = structure
    clauses = [_clause(obj, w, detailed, kind) for obj in spec.objects]
    body = clauses[0]
    for c in clauses[1:]:
        joiner = w.pick(JOINERS)
        body = body + joiner + (c[0].upper() + c[1:] if joiner == ". " else c)
    style = w.pick(lx.STYLE_WORDS[spec.style])
    if frame == "style_after":
        text = f"{body[0].upper()}{body[1:]}. {style[0].upper()}{style[1:]}."
    elif frame == "style_of" and kind in ("is_gerund", "can_be_seen"):
        parts = [
            c.replace(" is ", " ", 1) if kind == "is_gerund" else c.replace(" can be seen ", " ", 1)
            for c in clauses
        ]
        text = f"{_article(style).capitalize()} {style} of " + " and ".join(parts) + "."
    elif frame == "in_this" or frame == "style_of":
        text = f"In this {style}, {body}."
    else:
        text = f"{body[0].upper()}{body[1:]}, in the style of {_article(style)} {style}."
    extras = _scene_extras(spec, w, detailed)
    return " ".join([text, *(e + "." for e in extras)])


def captions(
    spec: SceneSpec, *, seed: int = 0, detailed: bool = False, phrasing: str = "train", count: int = 8
) -> list[str]:
    """`count` paraphrases of `spec`, each with a different sentence structure (deterministic)."""
    rng = np.random.default_rng([int(seed), 31, int(detailed)])
    w = _Words(rng, phrasing)
    start = int(rng.integers(len(STRUCTURES)))
    stride = len(CLAUSES) + 1  # walk clauses and frames together, so consecutive ones differ in both
    out: list[str] = []
    for k in range(count):
        text = _compose(spec, w, detailed, STRUCTURES[(start + k * stride) % len(STRUCTURES)])
        if text not in out:
            out.append(text)
    return out


def caption(spec: SceneSpec, *, seed: int, detailed: bool = False, phrasing: str = "train") -> str:
    """One caption of `spec`, structure and synonyms chosen by `seed` (the training caption)."""
    rng = np.random.default_rng([int(seed), 37, int(detailed)])
    w = _Words(rng, phrasing)
    return _compose(spec, w, detailed, STRUCTURES[int(rng.integers(len(STRUCTURES)))])
