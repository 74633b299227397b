"""tenku's built-in world simulator: scene specs, physics, renderer, styles, captions, parser.

Conventions: the frame is 10 world units wide (10*H/W high), x right, y UP, the floor at y = 0
(10 % above the bottom of a still camera's frame), walls at x = 0 and x = 10, time in seconds,
gravity GRAVITY = 9.81 units/s^2 downwards, physics at a fixed SUBSTEP of 1/480 s.

Vocabulary (tenku.world.vocab): SHAPES, COLORS (name -> RGB), SIZES (name -> radius), DIRECTIONS
(name -> unit vector), SPEEDS (name -> units/s), MOTIONS, MOTION_DIRECTIONS, MOTION_SPEEDS,
BOUNCINESS (name -> restitution), STYLES, BACKGROUNDS, CAMERAS, OCCLUDERS, GRAVITY, WORLD_WIDTH.

Specs (tenku.world.spec), frozen kw_only dataclasses:
    ObjectSpec(shape, color, size="medium", motion="still", direction=None, speed=None,
               bounciness="bouncy", x=5.0, y=1.0, radius=None, speed_units=None, angle=0.0)
    OccluderSpec(kind, x=5.0, width=None, height=None)
    SceneSpec(objects, occluders=(), background="studio", style="flat", camera="still", seconds=2.0)
    spec.validate() -> spec  (ValueError naming the field and the allowed values)
    spec.to_json() -> str;  SceneSpec.from_json(text) -> SceneSpec;  to_dict / from_dict

Splits (tenku.world.splits): SPLITS, HELD_OUT_COLOR_SHAPE, HELD_OUT_MOTION_STYLE,
HELD_OUT_PHRASINGS, OOD_SIZES, OOD_SPEEDS, TRAIN_RADIUS_RANGE, TRAIN_SPEED_RANGE,
is_held_out(spec) -> bool, held_out_reasons(spec) -> list[str].

Sampling (tenku.world.sampler):
    sample_spec(seed, *, split="train", min_objects=1, max_objects=4, allow_occluders=True,
                allow_camera=True, seconds=2.0, style=None, background=None) -> SceneSpec

Physics (tenku.world.physics): simulate(spec, times) -> Trajectory(time, position, velocity,
radius, angle).

Rendering (tenku.world.render):
    render(spec, *, width, height, fps, seconds=None, seed=0) -> Render(frames, state, spec, fps)
    Render.frames: (T, H, W, 3) uint8; Render.state: WorldState with centroid_px (T,N,2),
    centroid_world (T,N,2), velocity_world (T,N,2), radius_world (T,N), angle (T,N),
    bbox_px (T,N,4), visible_fraction (T,N), masks (T,N,H,W) bool, camera_offset (T,2),
    camera_zoom (T,), gravity, floor_y, fps, world_width; state.to_npz(path, masks=True),
    unpack_masks(npz).

Captions (tenku.world.captions):
    captions(spec, *, seed=0, detailed=False, phrasing="train", count=8) -> list[str]
    caption(spec, *, seed, detailed=False, phrasing="train") -> str
    phrasing: "train" (no HELD_OUT_PHRASINGS), "held_out" (prefer them), "any".

Prompts (tenku.world.parse):
    parse_prompt(text) -> ParsedPrompt(objects: tuple[ParsedObject], style, background, camera,
                                       occluders, unknown_words: list[str]); .spec_fields -> dict
    ParsedObject(shape, color, size, motion, direction, speed, bounciness, position), all optional
    spec_from_prompt(text, *, seed=0, seconds=2.0) -> SceneSpec  (stated fields kept, rest sampled)
    expand_prompt(text, *, seed=0) -> str  (the detailed caption of spec_from_prompt)
"""

from tenku.world.captions import caption, captions
from tenku.world.parse import ParsedObject, ParsedPrompt, expand_prompt, parse_prompt, spec_from_prompt
from tenku.world.physics import Trajectory, simulate
from tenku.world.render import Render, WorldState, render, unpack_masks
from tenku.world.sampler import sample_spec
from tenku.world.spec import ALL_SIZES, ALL_SPEEDS, MAX_OBJECTS, ObjectSpec, OccluderSpec, SceneSpec
from tenku.world.splits import (
    HELD_OUT_COLOR_SHAPE,
    HELD_OUT_MOTION_STYLE,
    HELD_OUT_PHRASINGS,
    OOD_SIZES,
    OOD_SPEEDS,
    SPLITS,
    TRAIN_RADIUS_RANGE,
    TRAIN_SPEED_RANGE,
    held_out_reasons,
    is_held_out,
)
from tenku.world.vocab import (
    BACKGROUNDS,
    BOUNCINESS,
    CAMERAS,
    COLORS,
    DIRECTIONS,
    FLOOR_Y,
    GRAVITY,
    MOTION_DIRECTIONS,
    MOTION_SPEEDS,
    MOTIONS,
    OCCLUDERS,
    SHAPES,
    SIZES,
    SPEEDS,
    STYLES,
    SUBSTEP,
    WORLD_WIDTH,
)

__all__ = [
    "ALL_SIZES",
    "ALL_SPEEDS",
    "BACKGROUNDS",
    "BOUNCINESS",
    "CAMERAS",
    "COLORS",
    "DIRECTIONS",
    "FLOOR_Y",
    "GRAVITY",
    "HELD_OUT_COLOR_SHAPE",
    "HELD_OUT_MOTION_STYLE",
    "HELD_OUT_PHRASINGS",
    "MAX_OBJECTS",
    "MOTIONS",
    "MOTION_DIRECTIONS",
    "MOTION_SPEEDS",
    "OCCLUDERS",
    "OOD_SIZES",
    "OOD_SPEEDS",
    "ObjectSpec",
    "OccluderSpec",
    "Render",
    "SHAPES",
    "SIZES",
    "SPEEDS",
    "SPLITS",
    "STYLES",
    "SUBSTEP",
    "SceneSpec",
    "TRAIN_RADIUS_RANGE",
    "TRAIN_SPEED_RANGE",
    "Trajectory",
    "WORLD_WIDTH",
    "WorldState",
    "ParsedObject",
    "ParsedPrompt",
    "caption",
    "captions",
    "expand_prompt",
    "parse_prompt",
    "spec_from_prompt",
    "held_out_reasons",
    "is_held_out",
    "render",
    "sample_spec",
    "simulate",
    "unpack_masks",
]
