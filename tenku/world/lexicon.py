"""The words of the world: synonyms for every word class, shared by captions and the parser.

Each table maps a vocabulary name to its phrasings; the first phrasing is the plain one.
Captions choose among them (leaving out `HELD_OUT_PHRASINGS` for training); the parser knows
every phrasing here plus the extra parse-only forms (`PARSE_ONLY`). No phrasing of one class
contains a word that another class owns on its own, so a longest-match parser reads them back.
"""

from __future__ import annotations

COLOR_WORDS: dict[str, tuple[str, ...]] = {
    "red": ("red", "crimson", "scarlet"),
    "orange": ("orange", "tangerine", "amber"),
    "yellow": ("yellow", "golden", "lemon-yellow"),
    "green": ("green", "emerald", "grass-green"),
    "blue": ("blue", "cobalt", "azure"),
    "purple": ("purple", "violet", "plum"),
    "pink": ("pink", "rose", "hot-pink"),
    "cyan": ("cyan", "turquoise", "aqua"),
}
SHAPE_WORDS: dict[str, tuple[str, ...]] = {
    "ball": ("ball", "sphere", "orb"),
    "box": ("box", "cube", "block", "crate"),
    "triangle": ("triangle", "pyramid", "wedge"),
    "star": ("star", "five-pointed star", "star shape"),
    "ring": ("ring", "hoop", "donut"),
}
SHAPE_PLURALS: dict[str, tuple[str, ...]] = {
    "ball": ("balls", "spheres", "orbs"),
    "box": ("boxes", "cubes", "blocks", "crates"),
    "triangle": ("triangles", "pyramids", "wedges"),
    "star": ("stars", "star shapes"),
    "ring": ("rings", "hoops", "donuts"),
}
SIZE_WORDS: dict[str, tuple[str, ...]] = {
    "small": ("small", "little", "petite"),
    "medium": ("medium", "medium-sized", "mid-sized"),
    "large": ("large", "big", "giant"),
    "tiny": ("tiny", "minuscule"),
    "huge": ("huge", "enormous"),
}
BOUNCE_WORDS: dict[str, tuple[str, ...]] = {
    "bouncy": ("bouncy", "springy", "rubbery"),
    "dead": ("heavy", "non-bouncy", "leaden"),
}
# Third-person verbs and gerunds for each motion.
MOTION_VERBS: dict[str, tuple[str, ...]] = {
    "still": ("sits still", "rests", "stays put", "stands still"),
    "moving": ("moves", "glides", "slides", "drifts", "travels"),
    "falling": ("falls", "drops", "plummets"),
    "thrown": ("is thrown", "is tossed", "is launched", "is hurled"),
    "bouncing": ("bounces", "hops", "bounces along"),
    "rolling": ("rolls", "trundles"),
    "spinning": ("spins", "rotates", "twirls"),
    "growing": ("grows", "expands", "swells", "gets bigger"),
    "shrinking": ("shrinks", "contracts", "gets smaller", "dwindles"),
}
MOTION_GERUNDS: dict[str, tuple[str, ...]] = {
    "still": ("sitting still", "resting", "standing still", "staying put"),
    "moving": ("moving", "gliding", "sliding", "drifting", "travelling"),
    "falling": ("falling", "dropping", "plummeting"),
    "thrown": ("being thrown", "being tossed", "being launched", "being hurled"),
    "bouncing": ("bouncing", "hopping", "bouncing along"),
    "rolling": ("rolling", "trundling"),
    "spinning": ("spinning", "rotating", "twirling"),
    "growing": ("growing", "expanding", "swelling", "getting bigger"),
    "shrinking": ("shrinking", "contracting", "getting smaller", "dwindling"),
}
DIRECTION_WORDS: dict[str, tuple[str, ...]] = {
    "left": ("to the left", "left", "leftward"),
    "right": ("to the right", "right", "rightward"),
    "up": ("up", "upward", "straight up"),
    "down": ("down", "downward", "straight down"),
    "up-left": ("up and to the left", "up-left", "diagonally up-left", "toward the upper left"),
    "up-right": ("up and to the right", "up-right", "diagonally up-right", "toward the upper right"),
    "down-left": ("down and to the left", "down-left", "diagonally down-left", "toward the lower left"),
    "down-right": ("down and to the right", "down-right", "diagonally down-right", "toward the lower right"),
}
SPEED_WORDS: dict[str, tuple[str, ...]] = {
    "slow": ("slowly", "gently", "at a slow pace", "leisurely"),
    "medium": ("steadily", "at a steady pace", "at a moderate speed", "at medium speed"),
    "fast": ("quickly", "rapidly", "swiftly", "at high speed"),
    "very-slow": ("very slowly", "extremely slowly", "at a crawl"),
    "very-fast": ("very quickly", "extremely fast", "at breakneck speed"),
}
STYLE_WORDS: dict[str, tuple[str, ...]] = {
    "flat": ("flat vector animation", "flat-shaded animation", "minimalist flat illustration"),
    "watercolor": ("watercolor painting", "watercolour animation", "soft watercolor illustration"),
    "pencil": ("pencil sketch", "graphite drawing", "hand-drawn pencil animation"),
    "neon": ("neon 1980s sci-fi scene", "retro synthwave animation", "glowing neon clip"),
    "documentary": ("documentary film", "handheld documentary footage", "grainy film footage"),
    "pixel": ("pixel art animation", "8-bit pixel scene", "retro pixel art clip"),
}
BACKGROUND_WORDS: dict[str, tuple[str, ...]] = {
    "studio": ("plain studio", "empty studio", "studio backdrop"),
    "meadow": ("grassy meadow", "open field", "meadow with hills"),
    "desert": ("sandy desert", "desert with dunes", "dry desert"),
    "night": ("starry night", "dark night landscape", "night-time landscape"),
}
CAMERA_WORDS: dict[str, tuple[str, ...]] = {
    "still": ("static camera", "fixed camera", "locked-off camera"),
    "pan-left": ("camera pans left", "camera pans to the left", "camera tracks left"),
    "pan-right": ("camera pans right", "camera pans to the right", "camera tracks right"),
    "pan-up": ("camera pans up", "camera tilts up", "camera tilts upward"),
    "pan-down": ("camera pans down", "camera tilts down", "camera tilts downward"),
    "zoom-in": ("camera zooms in", "camera pushes in", "camera slowly zooms in"),
    "zoom-out": ("camera zooms out", "camera pulls back", "camera slowly zooms out"),
}
OCCLUDER_WORDS: dict[str, tuple[str, ...]] = {
    "pillar": ("pillar", "column", "post"),
    "wall": ("wall", "low wall", "barrier"),
}
POSITION_WORDS: dict[str, tuple[str, ...]] = {
    "left": ("on the left", "on the left side", "near the left edge"),
    "right": ("on the right", "on the right side", "near the right edge"),
    "center": ("in the middle", "in the center", "in the centre"),
    "floor": ("on the floor", "on the ground"),
    "air": ("in the air", "in mid-air", "up high"),
}

# Forms the parser understands that captions never produce.
PARSE_ONLY: dict[str, dict[str, tuple[str, ...]]] = {
    "speed": {
        "slow": ("slow",),
        "fast": ("fast", "quick", "speedy"),
        "very-fast": ("very fast",),
        "very-slow": ("very slow",),
    },
    "motion": {
        "still": ("still", "motionless", "stationary", "sitting", "resting", "at rest"),
        "moving": ("move", "moving", "flies", "flying", "floats", "floating"),
        "falling": ("fall", "falling", "dropped", "drop"),
        "thrown": ("thrown", "tossed", "throw", "launched", "hurled", "arcs", "arcing"),
        "bouncing": ("bounce", "bouncing"),
        "rolling": ("roll", "rolling"),
        "spinning": ("spin", "spinning", "rotate", "rotating"),
        "growing": ("grow", "growing", "expand"),
        "shrinking": ("shrink", "shrinking"),
    },
    "style": {
        "flat": ("flat", "flat style", "vector", "minimalist"),
        "watercolor": ("watercolor", "watercolour", "painted"),
        "pencil": ("pencil", "sketch", "graphite", "hand-drawn"),
        "neon": ("neon", "synthwave", "sci-fi", "1980s", "80s", "retro-futuristic"),
        "documentary": ("documentary", "handheld", "film grain", "grainy"),
        "pixel": ("pixel art", "pixel", "pixelated", "8-bit"),
    },
    "background": {
        "studio": ("studio", "backdrop"),
        "meadow": ("meadow", "field", "grass", "grassy", "hills"),
        "desert": ("desert", "dunes", "sand", "sandy"),
        "night": ("night", "starry", "night-time", "nighttime"),
    },
    "camera": {
        "still": ("static shot", "still camera", "locked-off shot"),
        "pan-left": ("pans left", "pan left", "panning left", "pans to the left", "panning to the left"),
        "pan-right": (
            "pans right",
            "pan right",
            "panning right",
            "pans to the right",
            "panning to the right",
        ),
        "pan-up": ("pans up", "pan up", "panning up", "tilts up", "tilting up"),
        "pan-down": ("pans down", "pan down", "panning down", "tilts down", "tilting down"),
        "zoom-in": ("zooms in", "zoom in", "zooming in", "pushes in", "push in"),
        "zoom-out": ("zooms out", "zoom out", "zooming out", "pulls back", "pull back"),
    },
    "color": {"purple": ("magenta",), "cyan": ("teal",), "pink": ("rose-pink",)},
    "shape": {"box": ("square", "squares"), "ball": ("circle", "circles"), "ring": ("donut-shaped",)},
}

NUMBER_WORDS: dict[str, int] = {
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "1": 1,
    "2": 2,
    "3": 3,
    "4": 4,
    "pair": 2,
}
ARTICLES = ("a", "an", "the", "another", "some")
# Words that carry no scene information; the parser neither uses nor reports them.
FILLER = frozenset(
    """a an the and or while as of in on at with to that which it its there this these is are be
    we see watch video clip scene shot camera style styled rendered animation illustration footage
    film meanwhile then also stands standing foreground front stone from across through frame
    behind passes passing by can seen shows showing show where one each other both into onto
    over under around along has have sits here made looks like drawn painted done keeps stays
    slowly-moving object objects shape shapes thing things frame, background set against inside
    lit under sky below above per second seconds short long colored coloured takes
    place landscape""".split()
)
