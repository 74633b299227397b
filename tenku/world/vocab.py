"""The world's vocabulary: every name a scene spec may use, with its physical meaning.

Coordinates: x points right and y points UP, in world units. The visible frame is always
`WORLD_WIDTH` = 10 units wide (and 10*H/W units high); the floor is the line y = `FLOOR_Y` = 0,
shown 10 % above the bottom of the frame by a still camera; invisible walls stand at x = 0 and
x = 10, and a ceiling at y = `CEILING_Y` stops objects that ignore gravity. Time is in seconds.

Names used for out-of-distribution sizes and speeds live in `tenku.world.splits`.
"""

from __future__ import annotations

import math

WORLD_WIDTH = 10.0  # world units across the frame (at zoom 1)
FLOOR_Y = 0.0  # world y of the floor line
CEILING_Y = 8.0  # world y of the ceiling (only objects without gravity meet it)
FLOOR_VIEW_FRACTION = 0.1  # the floor line sits this fraction of the frame height above the bottom
GRAVITY = 9.81  # world units / s^2, pointing down (-y); the frame is "10 metres" wide
SUBSTEP = 1.0 / 480.0  # s; the fixed physics integration step, independent of the render fps

SHAPES = ("ball", "box", "triangle", "star", "ring")

# Saturated, well separated hues so a colour segmenter can tell objects apart (and from the
# muted backgrounds and grey/brown occluders).
COLORS: dict[str, tuple[int, int, int]] = {
    "red": (220, 38, 38),
    "orange": (245, 130, 20),
    "yellow": (240, 210, 30),
    "green": (40, 170, 60),
    "blue": (40, 90, 225),
    "purple": (135, 60, 200),
    "pink": (240, 100, 175),
    "cyan": (25, 200, 215),
}

# Radius (world units) of the circumscribed circle; the sampler jitters it by SIZE_JITTER.
SIZES: dict[str, float] = {"small": 0.35, "medium": 0.6, "large": 0.85}
SIZE_JITTER = 0.1  # relative: radius in [r * (1 - j), r * (1 + j)]

# Unit vectors, y up.
_D = math.sqrt(0.5)
DIRECTIONS: dict[str, tuple[float, float]] = {
    "left": (-1.0, 0.0),
    "right": (1.0, 0.0),
    "up": (0.0, 1.0),
    "down": (0.0, -1.0),
    "up-left": (-_D, _D),
    "up-right": (_D, _D),
    "down-left": (-_D, -_D),
    "down-right": (_D, -_D),
}

# World units / s; the sampler jitters by SPEED_JITTER. Spinning turns at speed / radius rad/s.
SPEEDS: dict[str, float] = {"slow": 1.5, "medium": 3.0, "fast": 5.0}
SPEED_JITTER = 0.15

MOTIONS = (
    "still",
    "moving",
    "falling",
    "thrown",
    "bouncing",
    "rolling",
    "spinning",
    "growing",
    "shrinking",
)

# Which motions take a direction (and which directions) and a speed.
MOTION_DIRECTIONS: dict[str, tuple[str, ...]] = {
    "moving": tuple(DIRECTIONS),
    "thrown": ("left", "right", "up", "up-left", "up-right"),
    "bouncing": ("left", "right"),
    "rolling": ("left", "right"),
}
MOTION_SPEEDS = ("moving", "thrown", "bouncing", "rolling", "spinning")
GRAVITY_MOTIONS = ("falling", "thrown", "bouncing", "rolling")  # the others ignore gravity
GROWTH_RATE = 0.35  # growing: r(t) = r0 * (1 + rate * t); shrinking: r0 * max(0.25, 1 - rate * t)

# Coefficient of restitution against the floor. Object-object and wall collisions are elastic.
BOUNCINESS: dict[str, float] = {"bouncy": 0.85, "dead": 0.25}

STYLES = ("flat", "watercolor", "pencil", "neon", "documentary", "pixel")


# Backgrounds: a screen-fixed sky gradient, a far decoration layer (moves with parallax) and
# the floor (at the objects' depth). Colours are muted so they never read as an object colour.
BACKGROUNDS: dict[str, dict[str, tuple[int, int, int]]] = {
    "studio": {
        "sky_top": (222, 220, 214),
        "sky_bottom": (200, 198, 192),
        "far": (186, 184, 178),
        "floor": (160, 156, 150),
    },
    "meadow": {
        "sky_top": (178, 206, 232),
        "sky_bottom": (214, 228, 238),
        "far": (140, 168, 140),
        "floor": (112, 138, 92),
    },
    "desert": {
        "sky_top": (236, 222, 196),
        "sky_bottom": (244, 232, 210),
        "far": (214, 190, 150),
        "floor": (196, 170, 126),
    },
    "night": {
        "sky_top": (12, 14, 32),
        "sky_bottom": (34, 38, 66),
        "far": (46, 48, 74),
        "floor": (58, 58, 68),
    },
}
PARALLAX = 0.4  # the far layer moves this fraction of the camera motion (objects move 1.0)

CAMERAS = ("still", "pan-left", "pan-right", "pan-up", "pan-down", "zoom-in", "zoom-out")
CAMERA_PAN_SPEED = 0.8  # world units / s of camera travel
CAMERA_ZOOM_RATE = 0.2  # zoom(t) = exp(+-rate * t)

OCCLUDERS = ("wall", "pillar")
# Default geometry (world units) and colour of occluders; they stand on the floor.
OCCLUDER_SIZE: dict[str, tuple[float, float]] = {"wall": (2.6, 3.0), "pillar": (1.3, 40.0)}  # (width, height)
OCCLUDER_COLORS: dict[str, tuple[int, int, int]] = {"wall": (132, 104, 84), "pillar": (110, 108, 104)}
