"""Per-pixel colour and per-frame style classifiers, fitted on the world's own renders.

The parser has to read every style, so it learns what each style does to the world's palette
rather than hard-coding it:

- `PixelTables`: for each style a lookup table over RGB quantised to `BINS` levels per channel
  that maps a pixel to a class: 0 background, 1 occluder, 2 + k the k-th colour of `COLOR_NAMES`.
  Fitted by counting the classes of pixels of rendered scenes (ground-truth masks give the object
  classes; a render without occluders gives the occluder pixels); bins no training pixel reached
  take the class of the nearest bin that one did (a Euclidean distance transform in RGB space).
- `StyleModel`: a nearest-centroid classifier over cheap image statistics (palette size,
  saturation, luma, fine texture, scan lines, blockiness, vignette, temporal noise, sky and floor
  colours) that names the (style, background) of each frame. It is fitted on each render and on
  copies of it blurred by `STYLE_BLURS` pixels, so a soft frame (every generated or autoencoded
  one) is read by what survives softening — grade, paper, vignette, glow — not by grain and
  hatching alone (fitted on exact renders only, it read a 1-pixel blur of ground truth right in
  47 of 100 id clips, 81 with the blurred copies). Pixel art is fitted sharp only: its hard
  blocks two or three pixels wide and its fixed palette are what make it pixel art, a blur
  takes both, and blurred copies of it drew flat renders to it.
- `soft_masks`: an object's coverage per pixel from colour (each pixel's colour projected on the
  line from the nearby background's colour to the object's), which keeps the sub-pixel
  information of anti-aliased edges and includes outlines and soft edges a style draws: one
  that a shape's template is matched against, and one whose centroid is the object's position.
- extents: per style, how far (pixels) a soft mask reaches beyond the shape's own edge (a pencil
  outline lies across it, a glow or a watercolour's soft rim around it) and over how many
  pixels its rim fades, fitted as the offset and rim width of the shape's template that best
  match the soft masks of rendered objects.
- centroid noise: per style and object radius, the spread of the parser's track positions about
  the true path (the parser's own position noise, `fit_centroid_noise`, on renders of one
  moving object each parsed with the rest of the fit): it decides where uniform motion can be
  scored.
- tints and outlines: per style, the direction each colour tints the pixels of and around a
  rendered object away from its background (`tint`), and how much of an object's edge the style
  draws as a dark outline (`outlined`): where a style outlines its objects, an object a few
  pixels across may show little but its outline, and its tint tells its colour.
- radius scales: per style and parsed shape, the true radius over the radius the parser fits
  (`fit_radius_scales`, on renders of one object each parsed with the rest of the fit).
- rim colours: per style, which colours the rim of an object of each colour is read as (`rims`:
  red's glow on a dark sky read as pink in neon, orange's edge as yellow in pencil), from the
  components the pixel tables give beside the objects of two sets of fitting renders and on
  none of their own colour (`fit_rim_colours`): a component beside one object, of a colour that
  object's rims never took there, is an object of its own, however small and close
  (`segment.detections`).

`fit_classifiers(seed)` renders `FIT_SCENES` scenes per (style, background) at two sizes and fits
all of them (the rim colours on a second set too, the radius scales and centroid noise on
renders of their own); it is deterministic and takes a few minutes; `classifiers()` loads the
shipped fit (or fits once per process without it).
"""

from __future__ import annotations

import dataclasses
import functools
import json
import math
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from tenku.world import BACKGROUNDS, CAMERAS, COLORS, SHAPES, STYLES, WORLD_WIDTH, render, sample_spec
from tenku.world.shapes import shape_sdf
from tenku.world.styles import pixel_block

COLOR_NAMES = tuple(COLORS)  # class 2 + k is COLOR_NAMES[k]
BACKGROUND_CLASS, OCCLUDER_CLASS, FIRST_COLOR_CLASS = 0, 1, 2
BINS = 32  # quantisation levels per RGB channel of the pixel tables
FIT_SCENES = 24  # scenes per (style, background) and size used to fit
FIT_SIZES = ((64, 64), (128, 96))  # (width, height) of the fitting renders
FIT_FPS = 4.0
OBJECT_WEIGHT = 3.0  # votes of an object pixel relative to a background pixel
SOFT_REACH = 2  # pixels beyond a detection's mask its soft mask may reach (outlines, soft edges)
SOFT_LIGHTER = 10.0  # luma: a grey pixel this much lighter than object and background is neither
SOFT_DARKER = 30.0  # luma: a background pixel this much darker than both is the object's outline
SOFT_BACKGROUND = 3  # pixels from the mask beyond which a crop's pixels give its background colour
EXTENT_STEPS = np.arange(-1.0, 1.51, 0.1)  # offsets (pixels) tried when fitting a style's extent
SOFTNESS_STEPS = np.array([1.0, 1.5, 2.0, 2.5, 3.0])  # widths (pixels) of a template's rim tried
EXTENT_SAMPLES = 400  # objects per style used to fit its extent
NOISE_SCENES = 36  # renders per style and fitting size of one moving object that fit the centroid noise
NOISE_RADII = (3.0, 5.0)  # blocks: edges of the radius bins the centroid noise is fitted in
RADIUS_SCENES = 12  # renders per style and shape that fit the radius scales
RIM_SETS = 2  # sets of fitting renders (FIT_SCENES each) the rim colours are counted over: rims are rare
RIM_VOTES = 1  # a colour is a host colour's rim in a style where this many rims in them took it
RIM_FIT_REACH = 4  # pixels from an object a component may lie to be its rim (the widest style's reach)
RIM_OWN = 0.2  # a component with more of its pixels on an object of its own colour is that one's
STYLE_FEATURES = 16
STYLE_MODES = 3  # centroids per (style, background): its looks as the camera moves
STYLE_MIN_MODE = 8  # frames a centroid needs
SPREAD_FLOOR = 0.05  # per-class feature spread is at least this fraction of the overall spread
STYLE_BLURS = (0.7, 1.4)  # Gaussian blurs (pixels) of each fitting render the style model also sees
SHARP_ONLY_STYLES = ("pixel",)  # styles whose blurred copies are not fitted (see StyleModel above)
OUTLINE_MIN_AREA = (
    25  # pixels: objects this large (with a fill inside their edge) give a style's outline fraction
)
# Fitted with `tenku bench world --fit-parser` (fit_classifiers(0)); shipped with the package.
CLASSIFIERS_PATH = Path(__file__).parent / "classifiers.safetensors"


_LUMA = np.array([0.3, 0.59, 0.11], dtype=np.float32)


def _quantise(frames: np.ndarray) -> np.ndarray:
    """Bin index (...,) of uint8 RGB pixels (..., 3) in the BINS^3 table."""
    q = frames.astype(np.int32) * BINS // 256
    return (q[..., 0] * BINS + q[..., 1]) * BINS + q[..., 2]


@dataclass(frozen=True, kw_only=True)
class PixelTables:
    tables: dict[str, np.ndarray]  # style -> (BINS^3,) uint8 class per colour bin

    def classify(self, frames: np.ndarray, style: str) -> np.ndarray:
        """Class per pixel (T, H, W) uint8 of frames (T, H, W, 3) uint8, read as `style`."""
        if style not in self.tables:
            raise ValueError(f"style must be one of {sorted(self.tables)}, got {style!r}")
        return self.tables[style][_quantise(frames)]


def soft_reach(extent: float) -> int:
    """Pixels past a detection's region its soft mask reaches in a style of this extent: the
    anti-aliased rim (1), and as far as the style shades past an edge, SOFT_REACH at most."""
    return min(SOFT_REACH, 1 + round(max(extent, 0.0)))


def tint(pixels: np.ndarray, background: np.ndarray) -> np.ndarray:
    """Mean tint (3,) of pixels (K, 3) away from a background colour (3,): each pixel's chroma
    (its colour less its channel mean) less the background's scaled to the pixel's luma (a
    darker or lighter shade of the background, a grey outline, have none)."""
    x = np.asarray(pixels, dtype=np.float64)
    bg = np.asarray(background, dtype=np.float64)
    scale = (x @ _LUMA) / max(float(bg @ _LUMA), 1.0)  # (K,)
    chroma = x - x.mean(-1, keepdims=True)
    return (chroma - (bg - bg.mean())[None] * scale[:, None]).mean(0)


def soft_masks(
    crop: np.ndarray,
    crop_classes: np.ndarray,
    mask: np.ndarray,
    region: np.ndarray,
    reach: int = SOFT_REACH,
    plate: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """(shape, coverage) masks: object coverage (h, w) float32 in [0, 1] of a crop (h, w, 3) uint8
    of one frame around a detection whose pixels of its colour are `mask` (h, w) bool within its component `region`
    (mask with small gaps closed: a stripe, a hatching line; crop_classes: the crop's class map):
    each pixel's colour projected on the line from the background's colour (that of the nearest
    background pixel farther than SOFT_BACKGROUND from the region) to the object's (the median
    of the mask's inner pixels; `plate` (h, w, 3), where finite, gives the background behind each
    pixel instead), within `reach` pixels of the region and off other objects' pixels; 0 where
    lighter than both and greyer than the object (SOFT_LIGHTER: a star in a night sky; a glow
    keeps its hue), 1 where much darker than both (SOFT_DARKER: an outline, whatever the
    object's hue) and, in the shape mask, on the mask (the styles' extents are fitted so); the
    coverage mask keeps an edge pixel's projection where the tables read it as the object's
    colour (1 only inside the region's edge): forcing it to 1 biases the centroid by the shape's
    sub-pixel phase, which a moving object's track reads as a drift. Both are the mask itself
    where the crop shows no background."""
    from scipy import ndimage

    x = crop.astype(np.float32)
    inner = ndimage.binary_erosion(mask)
    obj = np.median(x[inner if inner.sum() >= 2 else mask], axis=0)
    bg_px = (crop_classes == BACKGROUND_CLASS) & ~ndimage.binary_dilation(region, iterations=SOFT_BACKGROUND)
    if bg_px.sum() < 3:
        return mask.astype(np.float32), mask.astype(np.float32)
    _, (iy, ix) = ndimage.distance_transform_edt(~bg_px, return_indices=True)
    bg = x[iy, ix]  # (h, w, 3): the nearest background pixel's colour (skies, hills, floors differ)
    if plate is not None:  # or, better, the background seen there in other frames
        bg = np.where(np.isfinite(plate), plate, bg)
    v = obj - bg
    vv = (v * v).sum(-1)
    alpha = np.where(vv >= 1.0, np.clip(((x - bg) * v).sum(-1) / np.maximum(vv, 1.0), 0.0, 1.0), 0.0)
    luma, chroma = x @ _LUMA, x.max(-1) - x.min(-1)
    star = (luma > np.maximum(obj @ _LUMA, bg @ _LUMA) + SOFT_LIGHTER) & (chroma < 0.5 * np.ptp(obj))
    line = (crop_classes == BACKGROUND_CLASS) & (luma < np.minimum(obj @ _LUMA, bg @ _LUMA) - SOFT_DARKER)
    alpha = np.where(star, 0.0, np.where(line, 1.0, alpha))
    keep = ndimage.binary_dilation(region, iterations=reach) & ~(
        (crop_classes >= FIRST_COLOR_CLASS) & ~region
    )
    shape = np.maximum(alpha, mask) * keep
    cover = np.maximum(alpha, mask & ndimage.binary_erosion(region | mask)) * keep
    return shape.astype(np.float32), cover.astype(np.float32)


def background_plate(frames: np.ndarray, classes: np.ndarray) -> np.ndarray:
    """The background behind each pixel (H, W, 3) float32 of a still camera's frames (T, H, W, 3)
    with their class maps (T, H, W), NaN where no frame shows it: the median over the frames
    that show background there farther than a soft mask reaches from anything else (a still
    object's outline is never read as its colour, so only such frames show what is behind)."""
    import warnings

    from scipy import ndimage

    things = classes != BACKGROUND_CLASS
    grow = np.ones((1, 3, 3), dtype=bool)
    clear = ~ndimage.binary_dilation(things, structure=grow, iterations=SOFT_REACH + 1)
    seen = np.where(clear[..., None], frames.astype(np.float32), np.nan)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # pixels no frame shows
        return np.nanmedian(seen, axis=0)


def coverage(shape: str, dx: np.ndarray, dy: np.ndarray, radius, angle, extent, softness=1.0) -> np.ndarray:
    """Template coverage in [0, 1] of a shape (radius pixels, angle radians) at pixel offsets
    (dx right, dy up) from its centre, reaching `extent` pixels beyond the shape's edge, with a
    linear rim `softness` pixels wide (a watercolour's edge is soft over a few pixels)."""
    return np.clip(0.5 + (extent - shape_sdf(shape, dx, dy, radius, angle)) / softness, 0.0, 1.0)


def style_features(frames: np.ndarray) -> np.ndarray:
    """Statistics (T, STYLE_FEATURES) per frame of (T, H, W, 3) uint8 frames; resolution free."""
    x = frames.astype(np.float32)
    t, h, w, _ = x.shape
    luma = x @ np.array([0.3, 0.59, 0.11], dtype=np.float32)  # (T, H, W)
    chroma = x.max(-1) - x.min(-1)
    codes = _quantise(frames).reshape(t, -1)
    uniq = np.array([len(np.unique(c)) for c in codes], dtype=np.float32) / np.sqrt(h * w)
    fine = np.abs(
        luma[:, 1:-1, 1:-1] * 4
        - luma[:, :-2, 1:-1]
        - luma[:, 2:, 1:-1]
        - luma[:, 1:-1, :-2]
        - luma[:, 1:-1, 2:]
    )
    fine = np.median(fine.reshape(t, -1), axis=1)
    rows = luma.mean(2)  # (T, H)
    third = rows[:, : h // 3 * 3].reshape(t, -1, 3)
    scan = (third[:, :, 1] / (0.5 * (third[:, :, 0] + third[:, :, 2]) + 1.0)).mean(1)
    change = np.abs(np.diff(x, axis=2)).sum(-1) > 0  # (T, H, W-1)
    eq_sky = 1.0 - change[:, : max(1, h // 4)].mean((1, 2))  # flat skies are constant along rows
    block = np.zeros(t, dtype=np.float32)  # edges only on a grid of step s: pixel art
    for s in range(2, 7):
        on_grid = change[:, :, s - 1 :: s].sum((1, 2)) / np.maximum(change.sum((1, 2)), 1)
        block = np.maximum(block, (on_grid - 1.0 / s) / (1.0 - 1.0 / s))
    corner = np.concatenate([luma[:, : h // 6, : w // 6], luma[:, : h // 6, -w // 6 :]], 2).mean((1, 2))
    top = luma[:, : h // 6, w // 3 : 2 * w // 3].mean((1, 2))
    temporal = np.zeros(t, dtype=np.float32)
    if t > 1:
        d = np.median(np.abs(np.diff(luma, axis=0)).reshape(t - 1, -1), axis=1)
        temporal[1:], temporal[0] = d, d[0]
    sky = x[:, : max(1, h // 8)].mean((1, 2)) / 255.0  # (T, 3)
    floor = x[:, h - max(1, h // 14) :, w // 4 : 3 * w // 4].mean((1, 2)) / 255.0  # (T, 3)
    feats = [
        np.log1p(uniq),
        chroma.mean((1, 2)) / 255.0,
        luma.mean((1, 2)) / 255.0,
        np.log1p(fine),
        scan,
        eq_sky,
        block,
        corner / (top + 1.0),
        np.log1p(temporal),
        (chroma < 6).mean((1, 2)),
        *sky.T,
        *floor.T,
    ]
    out = np.stack(feats, axis=1).astype(np.float32)  # (T, STYLE_FEATURES)
    assert out.shape[1] == STYLE_FEATURES
    return out


@dataclass(frozen=True, kw_only=True)
class StyleModel:
    labels: tuple[tuple[str, str], ...]  # (style, background) of each centroid (several each)
    mean: np.ndarray  # (C, STYLE_FEATURES) per-class feature means
    spread: np.ndarray  # (C, STYLE_FEATURES) per-class standard deviations (floored)

    def predict(self, frames: np.ndarray) -> list[tuple[str, str]]:
        """(style, background) of each frame of (T, H, W, 3) uint8 frames (diagonal Gaussians)."""
        z = (style_features(frames)[:, None, :] - self.mean[None]) / self.spread[None]  # (T, C, F)
        nll = (z**2).sum(-1) + 2 * np.log(self.spread).sum(-1)[None]  # (T, C)
        return [self.labels[i] for i in nll.argmin(1)]


@dataclass(frozen=True, kw_only=True)
class Classifiers:
    pixels: PixelTables
    style: StyleModel
    extents: dict[str, float]  # style -> pixels a soft mask reaches beyond the shape's edge
    softness: dict[str, float]  # style -> pixels over which a soft mask's rim fades
    centroid_noise: dict[str, tuple[float, ...]]  # style -> per NOISE_RADII bin, sd per axis of a
    # track's position about the true path, in blocks (`fit_centroid_noise`)
    tints: dict[str, np.ndarray]  # style -> (len(COLOR_NAMES), 3) unit tint direction per colour
    outlined: dict[str, float]  # style -> median fraction of an object's edge drawn as a dark outline
    radius_scale: dict[str, dict[str, float]]  # style -> parsed shape -> true radius / fitted radius
    rims: dict[str, np.ndarray]  # style -> (host colour, colour read) bool: the host's rims are read as it

    def position_noise(self, style: str, radius_blocks: float) -> float:
        """sd per axis (blocks) of the parser's position of an object of `style` that is
        `radius_blocks` blocks in radius."""
        return self.centroid_noise[style][int(np.searchsorted(NOISE_RADII, radius_blocks, side="right"))]


def _fit_scenes(seed: int):
    """Yield (style, background, render, class map (T, H, W)) of the fitting renders."""
    k = 0
    for style in STYLES:
        for background in BACKGROUNDS:
            for width, height in FIT_SIZES:
                for _ in range(FIT_SCENES):
                    k += 1
                    spec = sample_spec(seed * 100_000 + k, split="train", style=style, background=background)
                    spec = spec.replace(camera=CAMERAS[k % len(CAMERAS)])  # every camera's views
                    out = render(spec, width=width, height=height, fps=FIT_FPS, seconds=2.0, seed=k)
                    classes = np.zeros(out.frames.shape[:3], dtype=np.uint8)
                    if spec.occluders:
                        bare = render(
                            spec.replace(occluders=()),
                            width=width,
                            height=height,
                            fps=FIT_FPS,
                            seconds=2.0,
                            seed=k,
                        )
                        diff = np.abs(bare.frames.astype(np.int16) - out.frames.astype(np.int16)).sum(-1) > 12
                        classes[diff] = OCCLUDER_CLASS
                    for n, obj in enumerate(spec.objects):
                        classes[out.state.masks[:, n]] = FIRST_COLOR_CLASS + COLOR_NAMES.index(obj.color)
                    yield style, background, out, classes


def _soft_samples(out, table: np.ndarray) -> list[np.ndarray]:
    """Per object and frame of a render that is whole, in view, at least 3 pixels in radius and
    clear of others: the IoU (len(EXTENT_STEPS), len(SOFTNESS_STEPS)) of each offset's and rim
    width's template with its soft mask."""
    from scipy import ndimage

    st = out.state
    t_len, n_obj, h, w = st.masks.shape
    classes = table[_quantise(out.frames)]
    plate = background_plate(out.frames, classes) if out.spec.camera == "still" else None
    pad = SOFT_REACH + SOFT_BACKGROUND + 1
    res = []
    for t in range(0, t_len, 2):
        for n, obj in enumerate(out.spec.objects):
            x0, y0, x1, y1 = st.bbox_px[t, n]
            r = (x1 - x0) / 2
            if (
                st.visible_fraction[t, n] < 0.98
                or r < 3
                or x0 < pad
                or y0 < pad
                or x1 > w - pad
                or y1 > h - pad
            ):
                continue
            others = np.delete(st.masks[t], n, axis=0).any(0)
            ya, yb, xa, xb = int(y0) - pad, int(math.ceil(y1)) + pad, int(x0) - pad, int(math.ceil(x1)) + pad
            if others[ya:yb, xa:xb].any():
                continue
            cls = classes[t, ya:yb, xa:xb]
            mine = cls == FIRST_COLOR_CLASS + COLOR_NAMES.index(obj.color)
            mask = mine & ndimage.binary_dilation(st.masks[t, n, ya:yb, xa:xb], iterations=1)
            if mask.sum() < 4:
                continue
            region = ndimage.binary_closing(mask, structure=np.ones((3, 3), dtype=bool))
            behind = None if plate is None else plate[ya:yb, xa:xb]
            soft = soft_masks(out.frames[t, ya:yb, xa:xb], cls, mask, region | mask, SOFT_REACH, behind)[0]
            cx, cy = st.centroid_px[t, n]
            dx = (np.arange(xa, xb) + 0.5 - cx)[None, None, :]
            dy = -(np.arange(ya, yb) + 0.5 - cy)[None, :, None]
            e, k = EXTENT_STEPS[:, None, None, None], SOFTNESS_STEPS[None, :, None, None]
            cov = coverage(obj.shape, dx[None], dy[None], r, st.angle[t, n], e, k)  # (E, S, h, w)
            inter = np.minimum(cov, soft).sum((2, 3))
            union = np.maximum(cov, soft).sum((2, 3))
            res.append(inter / np.maximum(union, 1e-6))
    return res


def _ink_samples(out) -> list[tuple[str, np.ndarray, float | None]]:
    """Per object and frame of a render that is whole, in view and clear of others: its colour,
    the tint (3,) of its pixels and those a pixel around them against the background a few
    pixels out (`tint`), and, where it is large enough to have a fill, the fraction of its edge
    pixels much darker (SOFT_DARKER) than both its fill and that background (None otherwise)."""
    from scipy import ndimage

    st = out.state
    t_len, n_obj, h, w = st.masks.shape
    pad = 6
    res = []
    for t in range(0, t_len, 2):
        luma = out.frames[t].astype(np.float64) @ _LUMA
        for n, obj in enumerate(out.spec.objects):
            x0, y0, x1, y1 = st.bbox_px[t, n]
            if st.visible_fraction[t, n] < 0.98 or x0 < pad or y0 < pad or x1 > w - pad or y1 > h - pad:
                continue
            mask = st.masks[t, n]
            if not mask.any():
                continue
            near = ndimage.binary_dilation(mask, iterations=5)
            if np.delete(st.masks[t], n, axis=0).any(0)[near].any():
                continue
            ring = ndimage.binary_dilation(mask, iterations=4) & ~ndimage.binary_dilation(mask, iterations=2)
            bg = np.median(out.frames[t][ring].astype(np.float64), axis=0)
            grow = ndimage.binary_dilation(mask, iterations=1)
            frac = None
            inner = ndimage.binary_erosion(mask, iterations=2)
            if mask.sum() >= OUTLINE_MIN_AREA and inner.sum() >= 2:
                edge = mask & ~ndimage.binary_erosion(mask)
                dark = min(float(np.median(luma[inner])), float(bg @ _LUMA)) - SOFT_DARKER
                frac = float((luma[edge] < dark).mean())
            res.append((obj.color, tint(out.frames[t][grow], bg), frac))
    return res


def fit_rim_colours(pixels: PixelTables, seed: int = 0) -> dict[str, np.ndarray]:
    """Per style, (host colour, colour read) bool: RIM_VOTES components or more read as that
    colour beside objects of the host's colour alone (`_rim_votes`) over RIM_SETS sets of
    fitting renders (`_fit_scenes`), read with `pixels`."""
    n = len(COLOR_NAMES)
    votes = {s: np.zeros((n, n)) for s in STYLES}
    for k in range(RIM_SETS):
        for style, _, out, classes in _fit_scenes(seed + k):
            votes[style] += _rim_votes(pixels.classify(out.frames, style), classes)
    return {s: v >= RIM_VOTES for s, v in votes.items()}


def _rim_votes(pred: np.ndarray, truth: np.ndarray) -> np.ndarray:
    """Votes (C, C) of one render's class maps (T, H, W), read (`pred`) and true (`truth`): per
    host colour and colour read, the components read as that colour (`segment.components`, at
    least 2 pixels) that lie on no object of it (at most RIM_OWN of their pixels), within
    RIM_FIT_REACH of objects of the host's colour alone (a blend of two objects' rims names
    neither), half of them that near."""
    from scipy import ndimage

    from tenku.bench.segment import components

    n = len(COLOR_NAMES)
    votes = np.zeros((n, n))
    eight = np.ones((3, 3), dtype=bool)
    for p, g in zip(pred, truth, strict=True):
        near = {
            h: ndimage.binary_dilation(g == FIRST_COLOR_CLASS + h, structure=eight, iterations=RIM_FIT_REACH)
            for h in range(n)
            if (g == FIRST_COLOR_CLASS + h).any()
        }
        for c in range(n):
            labels, count = components(p, FIRST_COLOR_CLASS + c)
            for i in range(1, count + 1):
                comp = labels == i
                if comp.sum() < 2 or (g[comp] == FIRST_COLOR_CLASS + c).mean() > RIM_OWN:
                    continue
                hosts = [h for h, by in near.items() if h != c and by[comp].any()]
                if len(hosts) == 1 and near[hosts[0]][comp].mean() >= 0.5:
                    votes[hosts[0], c] += 1
    return votes


def blurred(frames: np.ndarray, sigma: float) -> np.ndarray:
    """(T, H, W, 3) uint8 frames, each blurred by a Gaussian of `sigma` pixels (edges held)."""
    from scipy.ndimage import gaussian_filter

    out = gaussian_filter(frames.astype(np.float32), (0, sigma, sigma, 0), mode="nearest")
    return np.clip(np.rint(out), 0, 255).astype(np.uint8)


def _table(votes: np.ndarray) -> np.ndarray:
    """Class per bin (BINS^3,) uint8 from votes (BINS^3, classes); empty bins take the nearest."""
    from scipy import ndimage

    filled = votes.sum(1) > 0
    best = votes.argmax(1).astype(np.uint8)
    grid = (~filled).reshape(BINS, BINS, BINS)
    _, idx = ndimage.distance_transform_edt(grid, return_indices=True)  # idx: (3, B, B, B)
    nearest = (idx[0] * BINS + idx[1]) * BINS + idx[2]
    return best[nearest.reshape(-1)]


def _modes(x: np.ndarray, scale: np.ndarray) -> list[np.ndarray]:
    """x (K, F) split into STYLE_MODES groups by k-means on x / scale (farthest-point start,
    deterministic): a style and background look different as a camera moves the floor out of
    view or a zoom fills the frame with the far layer, one centroid per look."""
    z = x / scale
    centres = [z.mean(0)]
    for _ in range(1, STYLE_MODES):
        d = np.min([((z - c) ** 2).sum(1) for c in centres], axis=0)
        centres.append(z[int(d.argmax())])
    c = np.stack(centres)
    for _ in range(20):
        owner = ((z[:, None] - c[None]) ** 2).sum(-1).argmin(1)
        c = np.stack([z[owner == j].mean(0) if (owner == j).any() else c[j] for j in range(len(c))])
    return [x[owner == j] for j in range(len(c)) if (owner == j).sum() >= STYLE_MIN_MODE]


def fit_classifiers(seed: int = 0) -> Classifiers:
    """Fit the pixel tables, the style model and the styles' extents on renders (deterministic
    in `seed`)."""
    n_classes = FIRST_COLOR_CLASS + len(COLOR_NAMES)
    votes = {s: np.zeros((BINS**3, n_classes), dtype=np.float64) for s in STYLES}
    feats: dict[tuple[str, str], list[np.ndarray]] = {}
    for style, background, out, classes in _fit_scenes(seed):
        codes = _quantise(out.frames).reshape(-1)
        cls = classes.reshape(-1)
        weight = np.where(cls >= FIRST_COLOR_CLASS, OBJECT_WEIGHT, 1.0)
        np.add.at(votes[style], (codes, cls), weight)
        blurs = () if style in SHARP_ONLY_STYLES else STYLE_BLURS
        feats.setdefault((style, background), []).extend(
            style_features(f) for f in (out.frames, *(blurred(out.frames, s) for s in blurs))
        )
    tables = {s: _table(v) for s, v in votes.items()}
    samples: dict[str, list[np.ndarray]] = {s: [] for s in STYLES}
    tint_sum = {s: np.zeros((len(COLOR_NAMES), 3)) for s in STYLES}
    edges: dict[str, list[float]] = {s: [] for s in STYLES}
    for style, _, out, _ in _fit_scenes(seed):
        if len(samples[style]) < EXTENT_SAMPLES:
            samples[style].extend(_soft_samples(out, tables[style]))
        for color, vec, frac in _ink_samples(out):
            tint_sum[style][COLOR_NAMES.index(color)] += vec
            if frac is not None:
                edges[style].append(frac)
    tints = {
        s: (v / np.maximum(np.linalg.norm(v, axis=1, keepdims=True), 1e-9)).astype(np.float32)
        for s, v in tint_sum.items()
    }
    outlined = {s: round(float(np.median(v)), 3) if v else 0.0 for s, v in edges.items()}
    extents, softness = {}, {}
    for style, v in samples.items():
        ious = np.mean(v, axis=0) if v else np.zeros((len(EXTENT_STEPS), 1))
        e, k = np.unravel_index(int(ious.argmax()), ious.shape)
        extents[style] = round(float(EXTENT_STEPS[e]), 2) if v else 0.0
        softness[style] = float(SOFTNESS_STEPS[k]) if v else 1.0
    allf = np.concatenate([np.concatenate(v) for v in feats.values()])
    floor = SPREAD_FLOOR * (allf.std(0) + 1e-6)
    labels, means, spreads = [], [], []
    for key, v in feats.items():
        for part in _modes(np.concatenate(v), allf.std(0) + 1e-6):
            labels.append(key)
            means.append(part.mean(0))
            spreads.append(np.maximum(part.std(0), floor))
    labels, mean, spread = tuple(labels), np.stack(means), np.stack(spreads)
    models = Classifiers(
        pixels=PixelTables(tables=tables),
        style=StyleModel(labels=labels, mean=mean.astype(np.float32), spread=spread.astype(np.float32)),
        extents=extents,
        softness=softness,
        centroid_noise={s: (1.0,) * (len(NOISE_RADII) + 1) for s in STYLES},
        tints=tints,
        outlined=outlined,
        radius_scale={s: dict.fromkeys(SHAPES, 1.0) for s in STYLES},
        rims=fit_rim_colours(PixelTables(tables=tables), seed),
    )
    models = dataclasses.replace(models, radius_scale=fit_radius_scales(models, seed))
    return dataclasses.replace(models, centroid_noise=fit_centroid_noise(models, seed))


def fit_radius_scales(models: Classifiers, seed: int = 0) -> dict[str, dict[str, float]]:
    """Per style and parsed shape, the median ratio of an object's true radius to the radius
    the parser (with `models`, unscaled) fits to it, over RADIUS_SCENES renders per style and
    shape of one object alone under a still camera (a style's soft rim or glow biases the fit
    by up to a tenth, a size class's half-width); 1 where no render resolved that shape."""
    from tenku.bench.parse import SHAPE_MIN_RADIUS, parse_video

    ratios: dict[tuple[str, str], list[float]] = {}
    k = 0
    for style in STYLES:
        for shape in SHAPES:
            for _ in range(RADIUS_SCENES):
                k += 1
                spec = sample_spec(seed * 100_000 + 90_000 + k, split="train", style=style)
                obj = spec.objects[0]
                motion = "still" if obj.motion in ("growing", "shrinking") else obj.motion
                obj = dataclasses.replace(obj, shape=shape, motion=motion)
                spec = spec.replace(objects=(obj,), occluders=(), camera="still")
                out = render(spec, width=64, height=64, fps=FIT_FPS, seconds=2.0, seed=k)
                px = out.state.radius_world[0, 0] * 64 / WORLD_WIDTH
                tracks = [
                    t for t in parse_video(out.frames, FIT_FPS, models=models).tracks if t.color == obj.color
                ]
                if not tracks or px < SHAPE_MIN_RADIUS * pixel_block(style, 64):
                    continue
                tr = max(tracks, key=lambda t: int(t.present.sum()))
                ratios.setdefault((style, tr.shape), []).append(float(px / tr.radius_px))
    return {
        s: {h: round(float(np.median(ratios[s, h])), 3) if (s, h) in ratios else 1.0 for h in SHAPES}
        for s in STYLES
    }


def fit_centroid_noise(models: Classifiers, seed: int = 0) -> dict[str, tuple[float, ...]]:
    """Per style and radius bin (NOISE_RADII, in blocks), the sd per axis (blocks, root mean
    square: a least-squares fit feels a lost frame's outlier in full) of the parser's track
    position (with `models`) about the true centre (`track_residuals`). A bin no render reached
    takes the nearest bin's that one did."""
    resid = track_residuals(models, seed)
    out = {}
    for style in STYLES:
        sd = [
            float(np.sqrt(np.mean(np.square(np.concatenate(resid[style, b])))))
            if (style, b) in resid
            else None
            for b in range(len(NOISE_RADII) + 1)
        ]
        have = [b for b, v in enumerate(sd) if v is not None]
        out[style] = tuple(
            round(sd[b] if sd[b] is not None else sd[min(have, key=lambda h: abs(h - b))], 3) if have else 1.0
            for b in range(len(sd))
        )
    return out


def track_residuals(models: Classifiers, seed: int = 0) -> dict[tuple[str, int], list[np.ndarray]]:
    """(style, radius bin) -> per track, its positions' offsets (blocks, x and y flattened) from
    the true centre less their mean (a shape's centroid need not be its centre, and a constant
    offset moves no velocity), over the frames where the object is whole and clear of the
    border, in NOISE_SCENES renders per style and fitting size of one moving object under a still
    camera, parsed with `models`."""
    from tenku.bench.parse import parse_video

    resid: dict[tuple[str, int], list[np.ndarray]] = {}
    k = 0
    for style in STYLES:
        for width, height in FIT_SIZES:
            block = pixel_block(style, width)
            done = 0
            while done < NOISE_SCENES:
                k += 1
                spec = sample_spec(seed * 100_000 + 70_000 + k, split="train", style=style)
                moving = [o for o in spec.objects if o.motion == "moving"]
                if not moving:
                    continue
                done += 1
                obj = moving[0]
                spec = spec.replace(objects=(obj,), occluders=(), camera="still")
                out = render(spec, width=width, height=height, fps=2 * FIT_FPS, seconds=2.0, seed=k)
                st = out.state
                x0, y0, x1, y1 = (st.bbox_px[:, 0, i] for i in range(4))
                inside = (x0 > 1) & (y0 > 1) & (x1 < width - 1) & (y1 < height - 1)
                whole = inside & (st.visible_fraction[:, 0] >= 0.98)
                parsed = parse_video(out.frames, 2 * FIT_FPS, models=models)
                tracks = [t for t in parsed.tracks if t.color == obj.color]
                if not tracks:
                    continue
                tr = max(tracks, key=lambda t: int(t.present.sum()))
                use = whole & tr.present & ~tr.merged
                if use.sum() < 4:
                    continue
                r = (tr.centroid[use] - st.centroid_px[use, 0]) / block
                radius = float(np.median(x1[use] - x0[use])) / 2 / block
                b = int(np.searchsorted(NOISE_RADII, radius, side="right"))
                resid.setdefault((style, b), []).append((r - r.mean(0)).ravel())
    return resid


def save_classifiers(models: Classifiers, path: str | os.PathLike) -> Path:
    """Write the classifiers as one safetensors file (atomically)."""
    from safetensors.numpy import save_file

    from tenku.io import atomic_path

    tensors = {f"table.{s}": t for s, t in models.pixels.tables.items()}
    tensors |= {"style.mean": models.style.mean, "style.spread": models.style.spread}
    tensors |= {f"extent.{s}": np.array([e], dtype=np.float32) for s, e in models.extents.items()}
    tensors |= {f"softness.{s}": np.array([e], dtype=np.float32) for s, e in models.softness.items()}
    tensors |= {
        f"centroid_noise.{s}": np.array(e, dtype=np.float32) for s, e in models.centroid_noise.items()
    }
    tensors |= {f"tint.{s}": np.asarray(v, dtype=np.float32) for s, v in models.tints.items()}
    tensors |= {f"outlined.{s}": np.array([e], dtype=np.float32) for s, e in models.outlined.items()}
    tensors |= {
        f"radius_scale.{s}": np.array([v[h] for h in SHAPES], dtype=np.float32)
        for s, v in models.radius_scale.items()
    }
    tensors |= {f"rims.{s}": np.asarray(v, dtype=np.uint8) for s, v in models.rims.items()}
    meta = {"labels": json.dumps(models.style.labels), "bins": str(BINS)}
    with atomic_path(path) as tmp:
        save_file({k: np.ascontiguousarray(v) for k, v in tensors.items()}, str(tmp), metadata=meta)
    return Path(path)


def load_classifiers(path: str | os.PathLike) -> Classifiers:
    """Read classifiers written by `save_classifiers`."""
    from safetensors import safe_open

    with safe_open(str(path), framework="numpy") as f:
        meta = f.metadata()
        if int(meta["bins"]) != BINS:
            raise ValueError(f"{path}: tables have {meta['bins']} bins per channel, this code reads {BINS}")
        tensors = {k: f.get_tensor(k) for k in f.keys()}
    tables = {k.split(".", 1)[1]: v for k, v in tensors.items() if k.startswith("table.")}
    extents = {k.split(".", 1)[1]: float(v[0]) for k, v in tensors.items() if k.startswith("extent.")}
    noise = {
        k.split(".", 1)[1]: tuple(map(float, v))
        for k, v in tensors.items()
        if k.startswith("centroid_noise.")
    }
    soft = {k.split(".", 1)[1]: float(v[0]) for k, v in tensors.items() if k.startswith("softness.")}
    tints = {k.split(".", 1)[1]: v for k, v in tensors.items() if k.startswith("tint.")}
    outlined = {k.split(".", 1)[1]: float(v[0]) for k, v in tensors.items() if k.startswith("outlined.")}
    scales = {
        k.split(".", 1)[1]: dict(zip(SHAPES, map(float, v), strict=True))
        for k, v in tensors.items()
        if k.startswith("radius_scale.")
    }
    rims = {k.split(".", 1)[1]: v.astype(bool) for k, v in tensors.items() if k.startswith("rims.")}
    whole = (
        set(tables)
        == set(extents)
        == set(soft)
        == set(noise)
        == set(tints)
        == set(outlined)
        == set(scales)
        == set(rims)
    )
    if not whole or any(len(v) != len(NOISE_RADII) + 1 for v in noise.values()):
        raise ValueError(
            f"{path}: written by an older fit (no style extents, noise per radius, tints, outlines, "
            "radius scales or rim colours); refit with --fit-parser"
        )
    labels = tuple(tuple(x) for x in json.loads(meta["labels"]))
    style = StyleModel(labels=labels, mean=tensors["style.mean"], spread=tensors["style.spread"])
    return Classifiers(
        pixels=PixelTables(tables=tables),
        style=style,
        extents=extents,
        softness=soft,
        centroid_noise=noise,
        tints=tints,
        outlined=outlined,
        radius_scale=scales,
        rims=rims,
    )


@functools.cache
def classifiers() -> Classifiers:
    """The shipped classifiers (`CLASSIFIERS_PATH`), or, if that file is missing, a fresh fit."""
    if CLASSIFIERS_PATH.exists():
        return load_classifiers(CLASSIFIERS_PATH)
    return fit_classifiers(0)
