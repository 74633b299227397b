"""Per-frame segmentation: one frame's class map -> the `Detection`s of objects it shows.

`detections(frame, classes, min_area=, extent=, plate=, tints=[, rims=, fringes=])` reads one
(H, W, 3) uint8 frame and its class map (`classify.PixelTables`), with no access to any ground truth:

1. connected components of each colour class (small gaps closed), at least `min_area` pixels;
2. pieces of one object on two sides of an occluder joined (`_join_across_occluders`);
3. rims dropped (`_drop_fringes`): a thin component by a much larger one of another colour whose
   blend with the background its hue can be, and whose rims the style reads as its colour (the
   fitted `Classifiers.rims`; by larger ones of two colours, their blend may be either's), is
   that one's rim, and a thin one by an occluder whose colour is the occluder's blended with
   the background is the occluder's edge; a component with a hue of its own is kept, however
   close (with `fringes=True` the rims of objects come back too, marked `fringe`: a tiny object
   pressed against a larger one can look like its rim, and the tracker lets such a one only
   continue a track);
4. in styles that outline their objects (`Classifiers.outlined`), objects a few pixels across
   that show little but their dark outline, found as small dark blobs clear of everything else
   and named by their tint (`_ink_detections`);
5. each detection's soft masks (`classify.soft_masks`): the shape's, and the coverage its
   sub-pixel centroid weighs.

Pixel coordinates are (x, y) with y down and pixel centres at +0.5, as in `WorldState`.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, replace

import numpy as np

from tenku.bench.camera import OCCLUDER_MIN_FRACTION
from tenku.bench.classify import (
    BACKGROUND_CLASS,
    COLOR_NAMES,
    FIRST_COLOR_CLASS,
    OCCLUDER_CLASS,
    SOFT_BACKGROUND,
    SOFT_DARKER,
    SOFT_REACH,
    soft_masks,
    soft_reach,
    tint,
)

FRINGE_RATIO = 0.34  # a component this small next to another colour's is its rim, not an object
ATTACH_GAP = 2  # pixels between a component and a larger one of another colour that count as attached
RIM_NEAR = 0.75  # a component with this fraction of its pixels by a larger one may be its rim
RIM_THICK = 1.5  # pixels: and if no pixel of it lies farther from its edge than this (a rim is thin)
RIM_HUE = 0.08  # chromaticity a rim may lie off the hull of its hosts', the background's and grey
BLEND_RGB = 16.0  # RGB units an occluder's edge may lie off the line from its colour to the background's
CHROMA_DAMP = 10.0  # added to each channel before chromaticities are taken (dark pixels are noisy)
JOIN_COVER = 0.5  # fraction of the pixels between two pieces that must be an occluder's to join them
JOIN_ASPECT = 0.5  # two pieces joined across an occluder differ in height and width by at most this
INK_WINDOW = 11  # pixels: a dark blob narrower than this stands out of the background around it
INK_SIDE = 9  # pixels: an outline blob is at most this tall and wide (larger objects show their fill)
INK_GAP = 2  # pixels: a dark blob this near a detection is that one's outline
INK_TINT = 2.0  # RGB units: a blob's tint must be this strong to name its colour
INK_COS = 0.9  # and this close (cosine) to its colour's fitted tint direction


@dataclass(frozen=True, kw_only=True)
class Detection:
    color: str  # one of COLOR_NAMES
    centroid: tuple[float, float]  # (x, y) pixels, y down (of the soft mask where there is one)
    area: float  # pixels
    bbox: tuple[int, int, int, int]  # x0, y0, x1, y1 (exclusive) pixels
    bottom: float  # y (pixels, y down) of the lowest mask pixel's bottom edge
    mask: np.ndarray  # (y1 - y0, x1 - x0) bool
    at_edge: bool  # touches the frame border
    near_occluder: bool  # within a few pixels of occluder pixels
    attached: bool = False  # within ATTACH_GAP pixels of a larger component of another colour
    merged: bool = False  # a piece of a blob split between same-colour tracks, or a fringe continuing a
    # track (position approximate)
    ink: bool = False  # found by its outline and tint (`_ink_detections`), few pixels of its colour
    fringe: bool = False  # read as a larger one's rim (`_drop_fringes`): it may only continue a track
    soft: np.ndarray | None = None  # shape mask of a crop around the mask (`soft_masks`)
    soft_origin: tuple[int, int] = (0, 0)  # (x, y) pixels of the crop's top-left corner


def detections(
    frame: np.ndarray,
    classes: np.ndarray,
    *,
    min_area: float,
    extent: float,
    plate: np.ndarray | None,
    tints: np.ndarray | None,
    rims: np.ndarray | None = None,
    fringes: bool = False,
) -> list[Detection]:
    """The objects one frame (H, W, 3) shows, from its class map (H, W) (see the module doc):
    rims within ATTACH_GAP plus the style's `extent` (pixels its objects' shading reaches past
    their edge) of a larger component are dropped (or, with `fringes`, returned last, marked
    `fringe`); with `tints` (the style's tint direction per colour, for styles that outline
    their objects) outline blobs are added; with `rims` (the style's (host colour, colour read)
    table of what its objects' rims are read as) a component by larger ones of one colour is a
    rim only where that colour's rims take its own; soft masks see the clip's background plate
    where there is one (else None)."""
    from scipy import ndimage

    h, w = classes.shape
    solid = occluder_pixels(classes, grow=0)
    occ = ndimage.binary_dilation(solid, iterations=2)
    out = []
    for k, name in enumerate(COLOR_NAMES):
        labels, n = components(classes, FIRST_COLOR_CLASS + k)
        if n == 0:
            continue
        for i, sl in enumerate(ndimage.find_objects(labels)):
            mask = labels[sl] == i + 1
            area = float(mask.sum())
            if area < min_area:
                continue
            ys, xs = np.nonzero(mask)
            y0, x0 = sl[0].start, sl[1].start
            y1, x1 = sl[0].stop, sl[1].stop
            out.append(
                Detection(
                    color=name,
                    centroid=(float(xs.mean() + x0 + 0.5), float(ys.mean() + y0 + 0.5)),
                    area=area,
                    bbox=(x0, y0, x1, y1),
                    bottom=float(y1),
                    mask=mask,
                    at_edge=x0 == 0 or y0 == 0 or x1 == w or y1 == h,
                    near_occluder=bool(occ[sl].any()),
                )
            )
    out = _join_across_occluders(out, occ)
    reach = ATTACH_GAP + math.ceil(max(extent, 0.0))
    soft = soft_reach(extent)
    out, dropped = _drop_fringes(out, frame, classes, solid, reach, rims)
    if tints is not None:
        out = _ink_detections(frame, classes, out, occ, min_area, tints, extent)
    if fringes:
        out += [replace(d, attached=True, fringe=True) for d in dropped]
    return [_with_soft(d, frame, classes, soft, plate) for d in out]


def components(classes: np.ndarray, cls: int) -> tuple[np.ndarray, int]:
    """(labels (H, W), count) of the 8-connected components of class `cls` in a class map, small
    gaps closed (over an edge-padded map: scipy's closing erodes what touches the frame's border)."""
    from scipy import ndimage

    eight = np.ones((3, 3), dtype=bool)
    mask = ndimage.binary_closing(np.pad(classes == cls, 1, mode="edge"), structure=eight)[1:-1, 1:-1]
    return ndimage.label(mask, structure=eight)


def occluder_pixels(classes: np.ndarray, grow: int = 2) -> np.ndarray:
    """(H, W) bool: the pixels of a frame's occluders (components of OCCLUDER_MIN_FRACTION of
    the frame or more, in its class map (H, W)), grown by `grow` pixels for their rims."""
    from scipy import ndimage

    h, w = classes.shape
    occ_labels, n_occ = ndimage.label(classes == OCCLUDER_CLASS)
    big = np.bincount(occ_labels.reshape(-1), minlength=n_occ + 1) >= OCCLUDER_MIN_FRACTION * h * w
    big[0] = False
    occ = big[occ_labels]
    return ndimage.binary_dilation(occ, iterations=grow) if grow else occ  # (0 would grow until no change)


def _join_across_occluders(dets: list[Detection], occ: np.ndarray) -> list[Detection]:
    """Join same-colour components on two sides of an occluder (pixels `occ` (H, W), grown by
    its rim) — left and right, or above and below — where the pixels between them, on the rows
    (or columns) both span, are mostly (JOIN_COVER) the occluder's and the two together are
    about as tall as wide (JOIN_ASPECT): one object seen around a pillar, a wall or a box in
    front of it."""
    out = list(dets)
    joined = True
    while joined:
        joined = False
        for a in range(len(out)):
            for b in range(len(out)):
                da, db = out[a], out[b]
                if a == b or da.color != db.color or not (da.near_occluder and db.near_occluder):
                    continue
                gap = occluder_gap(da, db, occ)
                if gap is None or gap.size == 0 or gap.mean() < JOIN_COVER:
                    continue
                span = max(da.bbox[2], db.bbox[2]) - min(da.bbox[0], db.bbox[0])
                tall = max(da.bbox[3], db.bbox[3]) - min(da.bbox[1], db.bbox[1])
                across = span if da.bbox[2] <= db.bbox[0] else tall  # the joining direction's extent
                if abs(tall - span) > JOIN_ASPECT * across:
                    continue  # not one object's outline: two things on the two sides
                out[a] = union(da, db)
                del out[b]
                joined = True
                break
            if joined:
                break
    return out


def occluder_gap(da: Detection, db: Detection, occ: np.ndarray) -> np.ndarray | None:
    """The pixels of `occ` between da and db where da lies left of db (on the rows both span)
    or above it (on the columns both span); None where neither holds."""
    if da.bbox[2] <= db.bbox[0]:
        y0, y1 = max(da.bbox[1], db.bbox[1]), min(da.bbox[3], db.bbox[3])
        return occ[y0:y1, da.bbox[2] : db.bbox[0]] if y1 > y0 else None
    if da.bbox[3] <= db.bbox[1]:
        x0, x1 = max(da.bbox[0], db.bbox[0]), min(da.bbox[2], db.bbox[2])
        return occ[da.bbox[3] : db.bbox[1], x0:x1] if x1 > x0 else None
    return None


def union(a: Detection, b: Detection) -> Detection:
    """One detection of the pixels of two of the same colour."""
    x0, y0 = min(a.bbox[0], b.bbox[0]), min(a.bbox[1], b.bbox[1])
    x1, y1 = max(a.bbox[2], b.bbox[2]), max(a.bbox[3], b.bbox[3])
    mask = np.zeros((y1 - y0, x1 - x0), dtype=bool)
    for d in (a, b):
        mask[d.bbox[1] - y0 : d.bbox[3] - y0, d.bbox[0] - x0 : d.bbox[2] - x0] |= d.mask
    ys, xs = np.nonzero(mask)
    return replace(
        a,
        centroid=(float(xs.mean() + x0 + 0.5), float(ys.mean() + y0 + 0.5)),
        area=float(mask.sum()),
        bbox=(x0, y0, x1, y1),
        bottom=float(y1),
        mask=mask,
        at_edge=a.at_edge or b.at_edge,
    )


def _with_soft(
    d: Detection, frame: np.ndarray, classes: np.ndarray, reach: int, plate: np.ndarray | None
) -> Detection:
    """d with its soft mask over its bounding box padded by the soft mask's reach and the ring
    that gives the background's colour, from the pixels of its colour (before the closing that
    joins a component's pieces, which also fills a small ring's hole), and the centroid of its
    coverage (sub-pixel: anti-aliased edges weigh by their coverage, `soft_masks`)."""
    h, w = classes.shape
    pad = SOFT_REACH + SOFT_BACKGROUND + 1
    x0, y0, x1, y1 = d.bbox
    xa, ya, xb, yb = max(0, x0 - pad), max(0, y0 - pad), min(w, x1 + pad), min(h, y1 + pad)
    region = np.zeros((yb - ya, xb - xa), dtype=bool)
    region[y0 - ya : y1 - ya, x0 - xa : x1 - xa] = d.mask
    cls = classes[ya:yb, xa:xb]
    mask = region  # an outline blob has no pixels of its colour to speak of
    if not d.ink:
        mask = region & (cls == FIRST_COLOR_CLASS + COLOR_NAMES.index(d.color))  # its own pixels, holes open
    behind = None if plate is None else plate[ya:yb, xa:xb]
    soft, cover = soft_masks(frame[ya:yb, xa:xb], cls, mask, region, reach, behind)
    total = float(cover.sum())
    cx = xa + float((cover.sum(0) * (np.arange(xb - xa) + 0.5)).sum()) / total
    cy = ya + float((cover.sum(1) * (np.arange(yb - ya) + 0.5)).sum()) / total
    return replace(d, soft=soft, soft_origin=(xa, ya), centroid=(cx, cy))


def _drop_fringes(
    dets: list[Detection],
    frame: np.ndarray,
    classes: np.ndarray,
    occluder: np.ndarray,
    reach: int,
    rims: np.ndarray | None = None,
) -> tuple[list[Detection], list[Detection]]:
    """(kept, dropped): drop components that are a rim of something else: thin (no pixel of their
    own colour farther than RIM_THICK from their edge) with RIM_NEAR of their pixels within
    `reach` pixels of a much larger component of another colour whose rim their colour can be
    (`_rim_colour`: the blended rim of an object read as a neighbouring hue, e.g. red on a sand
    floor read as orange; with `rims`, the style's (host colour, colour read) table, and larger
    components of one colour only by it, a colour that colour's rims are read as), or of an
    occluder (`occluder` (H, W): its regions) whose blend with the background they are
    (`_blend_colour`). Mark the rest that hug a larger one of another colour
    (`attached`): a track attached in most of its frames is a rim or an outline, not an object
    (`parse_video`). An object that only touches a larger one, lies by it with a core of its
    own, or has a hue neither of them gives, is no rim. `dropped` are those dropped as an
    object's rim (not an occluder's edge)."""
    from scipy import ndimage

    h, w = classes.shape
    ids = np.full((h, w), -1)
    for k, d in enumerate(dets):
        x0, y0, x1, y1 = d.bbox
        ids[y0:y1, x0:x1][d.mask] = k
    keep, dropped = [], []
    eight = np.ones((3, 3), dtype=bool)
    g = reach
    for k, d in enumerate(dets):
        x0, y0, x1, y1 = d.bbox
        xa, ya, xb, yb = max(0, x0 - 2 * g), max(0, y0 - 2 * g), min(w, x1 + 2 * g), min(h, y1 + 2 * g)
        local = ids[ya:yb, xa:xb]
        mine = np.zeros(local.shape, dtype=bool)  # its pixels, also where a larger one's cover them
        mine[y0 - ya : y1 - ya, x0 - xa : x1 - xa] = d.mask
        own = mine & (classes[ya:yb, xa:xb] == _class_of(d.color))  # its colour's pixels
        near = ndimage.binary_dilation(mine, structure=eight, iterations=g)
        thin = ndimage.distance_transform_edt(np.pad(own, 1)).max() <= RIM_THICK
        crop, cls = frame[ya:yb, xa:xb], classes[ya:yb, xa:xb]
        larger = sorted(
            {int(j) for j in np.unique(local[near]) if j >= 0 and j != k and dets[j].color != d.color}
            - {j for j, o in enumerate(dets) if o.area <= d.area}
        )  # larger components of another colour near d: what it may be a rim of
        if rims is not None and len({dets[j].color for j in larger}) == 1:  # two colours' blend: either's
            host = COLOR_NAMES.index(dets[larger[0]].color)
            larger = larger if rims[host, COLOR_NAMES.index(d.color)] else []
        hosts = [(local == j) & (cls == _class_of(dets[j].color)) for j in larger]
        hug = []  # those that most of d's pixels lie by
        if thin and larger and _rim_colour(crop, cls, own, hosts):
            for j in larger:
                by = ndimage.binary_dilation(local == j, structure=eight, iterations=g)
                if (mine & by).sum() >= RIM_NEAR * mine.sum():
                    hug.append(j)
        if any(dets[j].area >= d.area / FRINGE_RATIO for j in hug):
            dropped.append(d)
            continue
        occ = occluder[ya:yb, xa:xb]
        if thin and not hug and occ.any():
            by = ndimage.binary_dilation(occ, structure=eight, iterations=g)
            if (mine & by).sum() >= RIM_NEAR * mine.sum() and _blend_colour(crop, cls, own, occ):
                continue
        keep.append(replace(d, attached=bool(hug)))
    return keep, dropped


def _class_of(color: str) -> int:
    return FIRST_COLOR_CLASS + COLOR_NAMES.index(color)


def _chromaticity(rgb: np.ndarray) -> np.ndarray:
    """(..., 2) red and green shares of (..., 3) colours (damped for dark ones): darkening,
    brightening towards white and greying keep a colour on the line to grey."""
    x = np.asarray(rgb, dtype=np.float64) + CHROMA_DAMP
    return (x / x.sum(-1, keepdims=True))[..., :2]


def _local_background(crop: np.ndarray, cls: np.ndarray) -> np.ndarray | None:
    """Median colour (3,) of a crop's background pixels clear (by a pixel) of anything else,
    None where it shows none."""
    from scipy import ndimage

    bg = (cls == BACKGROUND_CLASS) & ~ndimage.binary_dilation(cls != BACKGROUND_CLASS)
    return np.median(crop[bg], axis=0) if bg.sum() >= 3 else None


def _rim_colour(crop: np.ndarray, cls: np.ndarray, own: np.ndarray, hosts: list[np.ndarray]) -> bool:
    """Whether pixels `own` of a crop (h, w, 3) can be a rim of the components beside them
    (`hosts`: each one's pixels of its colour): their mean chromaticity lies within RIM_HUE of
    the hull of the hosts' colours, the background's and grey (a rim blends them, and styles
    darken, lighten or outline it); one well off it has a hue of its own."""
    bg = _local_background(crop, cls)
    if bg is None or not own.any():
        return True  # nothing to tell it by
    pts = _chromaticity(
        np.stack([bg, np.full(3, 128.0)] + [np.median(crop[m], axis=0) for m in hosts if m.any()])
    )
    p = _chromaticity(crop[own].mean(0))
    dist = min(_triangle_distance(p, pts[list(c)]) for c in itertools.combinations(range(len(pts)), 3))
    return dist <= RIM_HUE


def _blend_colour(crop: np.ndarray, cls: np.ndarray, own: np.ndarray, occ: np.ndarray) -> bool:
    """Whether pixels `own` of a crop are an occluder's edge blended with the background: their
    mean colour within BLEND_RGB of the line between the occluder's colour and the background's."""
    bg = _local_background(crop, cls)
    inside = occ & (cls == OCCLUDER_CLASS)
    if bg is None or not own.any() or not inside.any():
        return False
    a = np.median(crop[inside], axis=0)
    v = bg - a
    x = crop[own].mean(0) - a
    t = float(np.clip(x @ v / max(float(v @ v), 1e-6), 0.0, 1.0))
    return float(np.linalg.norm(x - t * v)) <= BLEND_RGB


def _triangle_distance(p: np.ndarray, tri: np.ndarray) -> float:
    """Distance from a 2-D point p (2,) to the triangle tri (3, 2) (0 inside)."""
    a, b, c = tri
    m = np.stack([b - a, c - a], 1)
    if abs(np.linalg.det(m)) > 1e-12:
        u, v = np.linalg.solve(m, p - a)
        if u >= 0 and v >= 0 and u + v <= 1:
            return 0.0
    out = math.inf
    for s, e in ((a, b), (b, c), (c, a)):
        d = e - s
        t = float(np.clip((p - s) @ d / max(float(d @ d), 1e-12), 0.0, 1.0))
        out = min(out, float(np.linalg.norm(p - s - t * d)))
    return out


def _ink_detections(
    frame: np.ndarray,
    classes: np.ndarray,
    dets: list[Detection],
    occ: np.ndarray,
    min_area: float,
    tints: np.ndarray,
    extent: float,
) -> list[Detection]:
    """`dets` with the objects that show little but their outline: blobs (small gaps closed) of
    pixels that are no colour class's and SOFT_DARKER darker than the background around them (a
    grey closing over INK_WINDOW pixels), at least `min_area` pixels and at most INK_SIDE across,
    clear of occluders (`occ`, grown by their rim), each named by the tint (`classify.tint`) of
    its pixels and those a pixel around against the background a few pixels out, where that tint
    is INK_TINT strong and within INK_COS of one colour's direction (`tints` (colours, 3), fitted
    per style). A blob within INK_GAP of a detection is that one's outline, unless the
    detections there are all pieces of it (inside it, no larger) of colours its tint is not: a
    few pixels inside a small outline read as a neighbouring hue. The blob replaces those. Its
    area is the object's inside the outline: that of a disc `extent` pixels (how far the style
    draws past an object's edge) narrower than the blob's."""
    from scipy import ndimage

    h, w = classes.shape
    eight = np.ones((3, 3), dtype=bool)
    x = frame.astype(np.float64)
    luma = x @ np.array([0.3, 0.59, 0.11])
    lifted = ndimage.grey_closing(luma, size=(INK_WINDOW, INK_WINDOW))
    ids = np.full((h, w), -1)
    for j, d in enumerate(dets):
        x0, y0, x1, y1 = d.bbox
        ids[y0:y1, x0:x1][d.mask] = j
    taken = ids >= 0
    dark = (luma < lifted - SOFT_DARKER) & (classes < FIRST_COLOR_CLASS) & ~occ
    dark = ndimage.binary_closing(dark, structure=eight) & ~occ & (classes < FIRST_COLOR_CLASS)
    labels, _ = ndimage.label(dark, structure=eight)
    replaced: set[int] = set()
    found = []
    for i, sl in enumerate(ndimage.find_objects(labels)):
        if sl[0].stop - sl[0].start > INK_SIDE or sl[1].stop - sl[1].start > INK_SIDE:
            continue
        blob = labels == i + 1
        if blob.sum() < min_area:
            continue
        close = {int(j) for j in np.unique(ids[ndimage.binary_dilation(blob, eight, iterations=INK_GAP)])}
        close.discard(-1)
        grown = ndimage.binary_dilation(blob, structure=eight)
        pieces = all(
            dets[j].area <= blob.sum() and not (ids == j)[~grown].any() for j in close
        )  # every detection near is inside the blob
        if not pieces:
            continue
        grow = grown & (classes != OCCLUDER_CLASS) & ~taken
        ring = ndimage.binary_dilation(blob, iterations=4) & ~ndimage.binary_dilation(blob, iterations=2)
        ring &= (classes == BACKGROUND_CLASS) & ~dark & ~taken
        if ring.sum() < 3 or not grow.any():
            continue  # no background around it, or no pixels of its own to take a tint from
        vec = tint(x[grow], np.median(x[ring], axis=0))
        strength = float(np.linalg.norm(vec))
        cos = tints @ vec / max(strength, 1e-9)
        k = int(cos.argmax())
        if strength < INK_TINT or cos[k] < INK_COS or any(dets[j].color == COLOR_NAMES[k] for j in close):
            continue  # no colour to tell, or the pixels of its colour are already a detection
        replaced |= close
        whole = blob | np.isin(ids, list(close))
        ys, xs = np.nonzero(whole)
        y0, y1, x0, x1 = int(ys.min()), int(ys.max()) + 1, int(xs.min()), int(xs.max()) + 1
        found.append(
            Detection(
                color=COLOR_NAMES[k],
                centroid=(float(xs.mean() + 0.5), float(ys.mean() + 0.5)),
                area=math.pi * max(math.sqrt(whole.sum() / math.pi) - extent, 0.5) ** 2,
                bbox=(x0, y0, x1, y1),
                bottom=float(y1),
                mask=whole[y0:y1, x0:x1],
                at_edge=x0 == 0 or y0 == 0 or x1 == w or y1 == h,
                near_occluder=False,
                ink=True,
            )
        )
    return [d for j, d in enumerate(dets) if j not in replaced] + found
