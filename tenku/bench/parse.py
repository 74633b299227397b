"""The frame parser: what objects a video shows, where, and how its camera moves.

`parse_video(frames, fps) -> ParsedVideo` reads (T, H, W, 3) uint8 frames with no access to any
ground truth:

1. style and background per frame (`StyleModel`), the clip's style by majority;
2. a class per pixel from the style's colour table (`PixelTables`: background, occluder, or one
   of the world's eight colours), then connected components per colour -> `Detection`s: thin
   rims hugging a larger component of another colour are dropped, pieces of one object on the
   two sides of an occluder joined, and each gets a soft mask (`classify.soft_mask`: coverage
   from colour against the background behind it) whose centroid is its sub-pixel position;
3. camera (`camera.estimate_camera`): per frame the far layer's skyline, the floor line, the
   floor's seams and the occluders' edges, each moved by the camera with its own parallax, fitted
   with one pan and zoom. (Object areas cannot give zoom: the world has growing and shrinking
   objects.) A still camera's clip gives a background plate for the soft masks;
4. tracks: detections linked frame to frame per colour by Hungarian matching on each track's
   prediction (constant velocity or gravity, resting on the floor line), the cost a negative
   log-likelihood that loosens with the frames a track was unseen, so an object that comes out
   from behind an occluder keeps its identity; same-colour twins are told by the area of their
   last whole sighting, and a blob two of them run into is split between them;
5. shape and size per track by fitting the world's shape templates (signed distance fields,
   reaching as far past the edge as the style draws) to the soft masks of its largest clean
   views over radius and rotation; the best mean soft IoU names the shape.

Pixel coordinates are (x, y) with y down and pixel centres at +0.5, as in `WorldState`.
`ParsedVideo.to_world(xy, t)` converts them to world units (y up) with the parsed camera.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np

from tenku.bench.camera import OCCLUDER_MIN_FRACTION, estimate_camera
from tenku.bench.classify import (
    COLOR_NAMES,
    FIRST_COLOR_CLASS,
    OCCLUDER_CLASS,
    SOFT_BACKGROUND,
    SOFT_REACH,
    background_plate,
    classifiers,
    coverage,
    soft_mask,
    soft_reach,
)
from tenku.world import GRAVITY, SHAPES, WORLD_WIDTH
from tenku.world.shapes import BOX_HALF, RING_INNER, STAR_INNER
from tenku.world.styles import pixel_block
from tenku.world.vocab import FLOOR_VIEW_FRACTION

MIN_AREA_FRACTION = 1.0 / 4096  # detections smaller than this fraction of the frame are noise
SHAPE_MIN_RADIUS = 3.2  # a shape is told (not guessed) where its radius spans this many blocks
FRINGE_RATIO = 0.34  # a component this small next to another colour's is its rim, not an object
ATTACH_GAP = 2  # pixels between a component and a larger one of another colour that count as attached
RIM_NEAR = 0.75  # a component with this fraction of its pixels by a larger one may be its rim
RIM_THICK = 1.5  # pixels: and if no pixel of it lies farther from its edge than this (a rim is thin)
ATTACHED_TRACK = 0.5  # a track attached in at least this fraction of its frames is a rim, not an object
MATCH_GATE = 0.25  # a detection may join a track within this fraction of the frame width (+ radius)
PLATE_STILL = 0.1  # world units (and a tenth of it in log zoom) a still camera may move over the clip
JOIN_COVER = 0.5  # fraction of the pixels between two pieces that must be an occluder's to join them
JOIN_ASPECT = 0.5  # two pieces joined across an occluder differ in height and width by at most this
LINK_SIGMA = 1.5  # pixels: spread of a track's predicted position per frame since it was last seen
SIZE_COST = 4.0  # pixels of matching cost per e-fold between a whole detection's area and a track's
SPLIT_GAP = 2  # tracks seen within this many frames may claim a share of a merged blob
SPLIT_EXTRA = 0.3  # a blob is split when it exceeds the largest claimant by this much of the smallest
_ANGLES = 10  # rotations tried per symmetry period when fitting a template
FIT_RADII = 0.85 * 1.08 ** np.arange(6)  # radii tried, relative to the area's (then refined)
# Area of each shape as a multiple of its circumscribed radius squared.
AREA_FACTOR = {
    "ball": math.pi,
    "ring": math.pi * (1 - RING_INNER**2),
    "box": (2 * BOX_HALF) ** 2,
    "triangle": 3 * math.sqrt(3) / 4,
    "star": 5 * STAR_INNER * math.sin(math.pi / 5),
}
_PERIOD = {"ball": 0.0, "ring": 0.0, "box": math.pi / 2, "triangle": 2 * math.pi / 3, "star": 2 * math.pi / 5}


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
    merged: bool = False  # a piece of a blob split between same-colour tracks (position approximate)
    soft: np.ndarray | None = None  # coverage per pixel of a crop around the mask (`soft_mask`)
    soft_origin: tuple[int, int] = (0, 0)  # (x, y) pixels of the crop's top-left corner


@dataclass(frozen=True, kw_only=True)
class Track:
    color: str
    present: np.ndarray  # (T,) bool
    centroid: np.ndarray  # (T, 2) pixels, NaN where absent
    area: np.ndarray  # (T,) pixels, 0 where absent
    bottom: np.ndarray  # (T,) pixels, NaN where absent
    at_edge: np.ndarray  # (T,) bool
    near_occluder: np.ndarray  # (T,) bool
    merged: np.ndarray  # (T,) bool: split from a blob shared with a same-colour track
    shape: str  # best template (a guess where not `resolved`)
    shape_scores: dict[str, float]  # mean soft IoU per shape over its largest clean views
    radius_px: float  # fitted circumscribed radius over its largest clean views, pixels
    resolved: bool  # the radius spans SHAPE_MIN_RADIUS blocks: the shape is told, not guessed

    @property
    def first(self) -> int:
        return int(np.argmax(self.present))

    @property
    def last(self) -> int:
        return int(len(self.present) - 1 - np.argmax(self.present[::-1]))


@dataclass(frozen=True, kw_only=True)
class ParsedVideo:
    width: int
    height: int
    fps: float
    styles: tuple[str, ...]  # per frame
    backgrounds: tuple[str, ...]  # per frame
    style: str  # the clip's style (majority)
    background: str
    tracks: tuple[Track, ...]
    camera_offset: np.ndarray  # (T, 2) world units the view moved (x right, y up)
    camera_zoom: np.ndarray  # (T,)
    floor_row: np.ndarray  # (T,) pixels (y down) of the floor line
    floor_seen: np.ndarray  # (T,) bool: the floor line was found in the frame (not out of view)
    occluder_fraction: np.ndarray  # (T,) fraction of pixels read as occluder

    @property
    def frames(self) -> int:
        return len(self.styles)

    @property
    def px_per_unit(self) -> float:
        return self.width / WORLD_WIDTH

    def to_world(self, xy: np.ndarray, t: np.ndarray | None = None, *, camera: bool = True) -> np.ndarray:
        """World (x, y) of pixel points xy (..., T, 2) at frames t (default: all frames in order)."""
        xy = np.asarray(xy, dtype=np.float64)
        t = np.arange(xy.shape[-2]) if t is None else np.asarray(t)
        view_h = WORLD_WIDTH * self.height / self.width
        ox, oy, z = 0.0, 0.0, 1.0
        if camera:
            ox, oy, z = self.camera_offset[t, 0], self.camera_offset[t, 1], self.camera_zoom[t]
        s = self.px_per_unit * z
        cx = WORLD_WIDTH / 2 + ox
        cy = view_h * (0.5 - FLOOR_VIEW_FRACTION) + oy
        return np.stack([cx + (xy[..., 0] - self.width / 2) / s, cy - (xy[..., 1] - self.height / 2) / s], -1)


def _detections(
    frame: np.ndarray, classes: np.ndarray, min_area: float, extent: float, plate: np.ndarray | None
) -> list[Detection]:
    """Connected components of each colour class in one frame's class map (H, W), with their
    soft masks from the frame (H, W, 3) and the clip's background plate (or None); rims within
    ATTACH_GAP plus the style's `extent` (pixels its objects' shading reaches past their edge)
    of a larger component are dropped."""
    from scipy import ndimage

    h, w = classes.shape
    occ_labels, n_occ = ndimage.label(classes == OCCLUDER_CLASS)
    big = np.bincount(occ_labels.reshape(-1), minlength=n_occ + 1) >= OCCLUDER_MIN_FRACTION * h * w
    big[0] = False
    occ = ndimage.binary_dilation(big[occ_labels], iterations=2)
    eight = np.ones((3, 3), dtype=bool)
    out = []
    for k, name in enumerate(COLOR_NAMES):
        mask = ndimage.binary_closing(classes == FIRST_COLOR_CLASS + k, structure=eight)
        labels, n = ndimage.label(mask, structure=eight)
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
    return [_with_soft(d, frame, classes, soft, plate) for d in _drop_fringes(out, h, w, reach)]


def _join_across_occluders(dets: list[Detection], occ: np.ndarray) -> list[Detection]:
    """Join same-colour components on the two sides of an occluder (pixels `occ` (H, W), grown
    by its rim) where the pixels between them, on the rows both span, are mostly (JOIN_COVER)
    the occluder's and the two together are about as tall as wide (JOIN_ASPECT): one object
    seen on both sides of a pillar or a wall in front of it."""
    out = list(dets)
    joined = True
    while joined:
        joined = False
        for a in range(len(out)):
            for b in range(len(out)):
                da, db = out[a], out[b]
                if a == b or da.color != db.color or not (da.near_occluder and db.near_occluder):
                    continue
                if da.bbox[2] > db.bbox[0]:  # da must lie left of db
                    continue
                y0, y1 = max(da.bbox[1], db.bbox[1]), min(da.bbox[3], db.bbox[3])
                gap = occ[y0:y1, da.bbox[2] : db.bbox[0]]
                if y1 <= y0 or gap.size == 0 or gap.mean() < JOIN_COVER:
                    continue
                span = db.bbox[2] - da.bbox[0]
                tall = max(da.bbox[3], db.bbox[3]) - min(da.bbox[1], db.bbox[1])
                if abs(tall - span) > JOIN_ASPECT * span:
                    continue  # not one object's outline: two things on the two sides
                out[a] = _union(da, db)
                del out[b]
                joined = True
                break
            if joined:
                break
    return out


def _union(a: Detection, b: Detection) -> Detection:
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
    joins a component's pieces, which also fills a small ring's hole), and the soft mask's
    centroid (sub-pixel: anti-aliased edges weigh by their coverage)."""
    h, w = classes.shape
    pad = SOFT_REACH + SOFT_BACKGROUND + 1
    x0, y0, x1, y1 = d.bbox
    xa, ya, xb, yb = max(0, x0 - pad), max(0, y0 - pad), min(w, x1 + pad), min(h, y1 + pad)
    region = np.zeros((yb - ya, xb - xa), dtype=bool)
    region[y0 - ya : y1 - ya, x0 - xa : x1 - xa] = d.mask
    cls = classes[ya:yb, xa:xb]
    mask = region & (cls == FIRST_COLOR_CLASS + COLOR_NAMES.index(d.color))  # its own pixels, holes open
    behind = None if plate is None else plate[ya:yb, xa:xb]
    soft = soft_mask(frame[ya:yb, xa:xb], cls, mask, region, reach, behind)
    total = float(soft.sum())
    cx = xa + float((soft.sum(0) * (np.arange(xb - xa) + 0.5)).sum()) / total
    cy = ya + float((soft.sum(1) * (np.arange(yb - ya) + 0.5)).sum()) / total
    return replace(d, soft=soft, soft_origin=(xa, ya), centroid=(cx, cy))


def _drop_fringes(dets: list[Detection], h: int, w: int, reach: int) -> list[Detection]:
    """Drop components that hug a much larger one of another colour (RIM_NEAR of their pixels
    within `reach` pixels of it): the blended rim of an object read as a neighbouring hue (e.g. red
    on a sand floor read as orange). Mark the rest that hug a larger one of another colour
    (`attached`): a track attached in most of its frames is a rim or an outline, not an object
    (`parse_video`). Rims are thin (RIM_THICK); an object that only touches a larger one, or
    lies by it with a core of its own, is neither."""
    from scipy import ndimage

    ids = np.full((h, w), -1)
    for k, d in enumerate(dets):
        x0, y0, x1, y1 = d.bbox
        ids[y0:y1, x0:x1][d.mask] = k
    keep = []
    eight = np.ones((3, 3), dtype=bool)
    g = reach
    for k, d in enumerate(dets):
        x0, y0, x1, y1 = d.bbox
        xa, ya, xb, yb = max(0, x0 - 2 * g), max(0, y0 - 2 * g), min(w, x1 + 2 * g), min(h, y1 + 2 * g)
        local = ids[ya:yb, xa:xb]
        mine = local == k
        near = ndimage.binary_dilation(mine, structure=eight, iterations=g)
        hug = []  # larger components of another colour that most of d's pixels lie by
        thin = ndimage.distance_transform_edt(np.pad(d.mask, 1)).max() <= RIM_THICK
        for j in {int(j) for j in np.unique(local[near]) if j >= 0 and j != k} if thin else ():
            if dets[j].color == d.color or dets[j].area <= d.area:
                continue
            by = ndimage.binary_dilation(local == j, structure=eight, iterations=g)
            if (mine & by).sum() >= RIM_NEAR * mine.sum():
                hug.append(j)
        if any(dets[j].area >= d.area / FRINGE_RATIO for j in hug):
            continue
        keep.append(replace(d, attached=bool(hug)))
    return keep


@dataclass(frozen=True, kw_only=True)
class _Prediction:
    xy: tuple[float, float]  # predicted centroid, pixels
    gap: int  # frames since the track was last seen
    size: float  # sqrt of its last area, pixels
    whole_area: float | None  # area of its last whole sighting (clear of edges, occluders, twins)


def _link(
    per_frame: list[list[Detection]], width: int, fps: float, floor: np.ndarray
) -> list[list[Detection | None]]:
    """Tracks as lists (one entry per frame, None where absent) by per-colour Hungarian matching
    on each track's predicted position (never below the floor line: `floor` (T,) rows, NaN where
    unknown), the cost of a match its negative log-likelihood under a spread that grows with the
    frames since the track was seen (a track seen just before wins over one back from hiding); a
    blob that two same-colour tracks run into is split between them
    first (`_split_merged`), so identities survive a crossing."""
    from scipy.optimize import linear_sum_assignment

    g_px = GRAVITY * width / WORLD_WIDTH / fps**2  # pixels / frame^2, y down
    t_len = len(per_frame)
    tracks: list[list[Detection | None]] = []
    for t, dets in enumerate(per_frame):
        for color in sorted({d.color for d in dets}):
            live = [k for k, tr in enumerate(tracks) if tr[_first(tr)].color == color]
            preds = [_predict(tracks[k], t, g_px, floor[t]) for k in live]
            cand = _split_merged([d for d in dets if d.color == color], preds)
            cost = np.full((len(live), len(cand)), 1e9)
            for a, pr in enumerate(preds):
                gate = MATCH_GATE * width * min(pr.gap, 3) + pr.size
                for b, d in enumerate(cand):
                    dist = math.dist(pr.xy, d.centroid)
                    if dist <= gate:
                        off = dist + 0.5 * abs(math.sqrt(d.area) - pr.size) + _size_cost(d, pr)
                        sigma = LINK_SIGMA * (1 + pr.gap)  # a prediction over a longer gap is looser
                        cost[a, b] = 0.5 * (off / sigma) ** 2 + 2 * math.log(sigma)
            used = set()
            if live:
                rows, cols = linear_sum_assignment(cost)
                for a, b in zip(rows, cols, strict=True):
                    if cost[a, b] < 1e9:
                        tracks[live[a]][t] = cand[b]
                        used.add(b)
            for b, d in enumerate(cand):
                if b not in used:
                    tr: list[Detection | None] = [None] * t_len
                    tr[t] = d
                    tracks.append(tr)
    return tracks


def _whole(d: Detection) -> bool:
    """Nothing hides part of the detection: it keeps its object's whole area."""
    return not (d.at_edge or d.near_occluder or d.merged)


def _size_cost(d: Detection, pr: _Prediction) -> float:
    """Pixels of matching cost for a whole detection whose area differs from the track's last
    whole sighting: SIZE_COST per e-fold (same-colour twins seen whole are told by their size;
    a partly hidden view or a fragment may be any smaller, so this only weighs between tracks)."""
    if not _whole(d) or pr.whole_area is None:
        return 0.0
    return SIZE_COST * abs(math.log(d.area / pr.whole_area))


def _first(track: list[Detection | None]) -> int:
    return next(i for i, d in enumerate(track) if d is not None)


def _predict(track: list[Detection | None], t: int, g_px: float, floor: float) -> _Prediction:
    """Where a track should be at frame t: constant velocity from its last two unsplit sightings,
    plus gravity (g_px pixels / frame^2 down) when gravity predicted its last sighting better,
    resting on the floor line (row `floor`, unless NaN) rather than below it."""
    seen = [(i, d) for i, d in enumerate(track[:t]) if d is not None]
    i_last, d_last = seen[-1]
    gap, size = t - i_last, math.sqrt(d_last.area)
    whole_area = next((d.area for _, d in reversed(seen) if _whole(d)), None)
    whole = [(i, np.asarray(d.centroid)) for i, d in seen if not d.merged]
    if not whole or i_last - whole[-1][0] > 4:
        whole = [(i, np.asarray(d.centroid)) for i, d in seen]
    i1, p1 = whole[-1]
    if len(whole) < 2:
        return _Prediction(xy=tuple(p1), gap=gap, size=size, whole_area=whole_area)
    i0, p0 = whole[-2]
    acc = np.zeros(2)
    if len(whole) >= 3:  # which model predicted p1 from the two sightings before it
        im, pm = whole[-3]
        v = (p0 - pm) / (i0 - im)
        fall = np.array([0.0, g_px])
        d1 = i1 - i0
        miss_cv = np.linalg.norm(p0 + v * d1 - p1)
        miss_g = np.linalg.norm(p0 + (v + fall * (i0 - im) / 2) * d1 + fall * d1**2 / 2 - p1)
        if miss_g < miss_cv:
            acc = fall
    v1 = (p1 - p0) / (i1 - i0) + acc * (i1 - i0) / 2
    dt = t - i1
    xy = p1 + v1 * dt + acc * dt**2 / 2
    if not math.isnan(floor):
        xy[1] = min(xy[1], max(floor - math.sqrt((whole_area or d_last.area) / math.pi), p1[1]))
    return _Prediction(xy=(float(xy[0]), float(xy[1])), gap=gap, size=size, whole_area=whole_area)


def _split_merged(cand: list[Detection], preds: list[_Prediction]) -> list[Detection]:
    """Split each detection that two or more recently seen tracks predict themselves into (and
    that is larger than the biggest of them alone) between those tracks: pixels go to the
    nearest predicted centre in units of each track's size, centres refined a few times. A
    track that another detection fits better (distance plus `_size_cost`) claims no blob."""
    recent = [p for p in preds if p.gap <= SPLIT_GAP]
    if len(recent) < 2 or not cand:
        return cand
    claims: dict[int, list[_Prediction]] = {}
    for pr in recent:
        best, best_d = None, math.inf
        for b, d in enumerate(cand):
            x0, y0, x1, y1 = d.bbox
            ys, xs = np.nonzero(d.mask)
            reach = np.hypot(xs + x0 + 0.5 - pr.xy[0], ys + y0 + 0.5 - pr.xy[1]).min()
            if reach <= max(1.0, 0.5 * pr.size) and math.dist(pr.xy, d.centroid) < best_d:
                best, best_d = b, math.dist(pr.xy, d.centroid)
        if best is None:
            continue
        fit = [math.dist(pr.xy, d.centroid) + _size_cost(d, pr) for d in cand]
        if min(fit) < fit[best]:
            continue  # another detection fits the track better: it is there, not in this blob
        claims.setdefault(best, []).append(pr)
    out = []
    for b, d in enumerate(cand):
        prs = claims.get(b, [])
        areas = sorted(p.size**2 for p in prs)
        if len(prs) < 2 or d.area < areas[-1] + SPLIT_EXTRA * areas[0]:
            out.append(d)
            continue
        out.extend(_kmeans_split(d, prs))
    return out


def _kmeans_split(d: Detection, preds: list[_Prediction]) -> list[Detection]:
    """Pieces of one detection's mask around the predicted centres (size-weighted k-means)."""
    x0, y0, _, _ = d.bbox
    ys, xs = np.nonzero(d.mask)
    pts = np.stack([xs + x0 + 0.5, ys + y0 + 0.5], 1)  # (P, 2) pixel centres
    centres = np.array([p.xy for p in preds])  # (K, 2)
    sizes = np.array([p.size for p in preds])
    for _ in range(5):
        dist = np.linalg.norm(pts[:, None] - centres[None], axis=2) / sizes[None]  # (P, K)
        owner = dist.argmin(1)
        if len(set(owner.tolist())) < len(preds):
            return [d]
        centres = np.stack([pts[owner == k].mean(0) for k in range(len(preds))])
    out = []
    for k in range(len(preds)):
        sel = owner == k
        px, py = xs[sel] + x0, ys[sel] + y0
        bx0, by0, bx1, by1 = int(px.min()), int(py.min()), int(px.max()) + 1, int(py.max()) + 1
        mask = np.zeros((by1 - by0, bx1 - bx0), dtype=bool)
        mask[py - by0, px - bx0] = True
        out.append(
            replace(
                d,
                centroid=(float(centres[k, 0]), float(centres[k, 1])),
                area=float(sel.sum()),
                bbox=(bx0, by0, bx1, by1),
                bottom=float(by1),
                mask=mask,
                merged=True,
            )
        )
    return out


def _fit_shape(det: Detection, extent: float, softness: float) -> dict[str, tuple[float, float]]:
    """Best soft IoU and radius (pixels) of each shape template, reaching `extent` pixels beyond
    its edge with a rim `softness` pixels wide as the style draws it, on one detection's soft mask (its mask where it has none),
    about the soft mask's centroid, over radius (refined between the radii tried) and rotation."""
    cover = np.pad(det.mask, 2).astype(np.float32) if det.soft is None else det.soft
    h, w = cover.shape
    total = float(cover.sum())
    cx = float((cover.sum(0) * (np.arange(w) + 0.5)).sum()) / total
    cy = float((cover.sum(1) * (np.arange(h) + 0.5)).sum()) / total
    dx = (np.arange(w) + 0.5 - cx)[None, None, :]  # (1, 1, W)
    dy = -(np.arange(h) + 0.5 - cy)[None, :, None]  # (1, H, 1)
    out = {}
    for shape in SHAPES:
        r0 = max(1.0, math.sqrt(total / AREA_FACTOR[shape]) - extent)
        radii = r0 * FIT_RADII
        period = _PERIOD[shape]
        angles = np.arange(_ANGLES) * period / _ANGLES if period else np.zeros(1)
        rr, aa = np.meshgrid(radii, angles, indexing="ij")
        rr, aa = rr.reshape(-1, 1, 1), aa.reshape(-1, 1, 1)  # (K, 1, 1)
        cov = coverage(shape, dx, dy, rr, aa, extent, softness)  # (K, H, W)
        inter = np.minimum(cov, cover).sum((1, 2))
        union = np.maximum(cov, cover).sum((1, 2))
        iou = (inter / np.maximum(union, 1e-6)).reshape(len(radii), len(angles))
        i, j = np.unravel_index(int(iou.argmax()), iou.shape)
        radius = float(radii[i])
        if 0 < i < len(radii) - 1:  # the parabola's vertex through the best radius and its neighbours
            a, b, c = iou[i - 1, j], iou[i, j], iou[i + 1, j]
            den = a - 2 * b + c
            if den < 0:
                radius *= float(FIT_RADII[1] / FIT_RADII[0]) ** (0.5 * (a - c) / den)
        out[shape] = (float(iou[i, j]), radius)
    return out


def _track_shape(
    dets: list[Detection], block: int, extent: float, softness: float
) -> tuple[str, dict[str, float], float, bool]:
    """Best shape, mean IoU per shape, radius (pixels) and whether that radius spans
    SHAPE_MIN_RADIUS blocks (below it the shape is a guess), from the track's largest clean
    detections (a shrinking object is told by its first frames, a growing one by its last)."""
    clean = [d for d in dets if not d.at_edge and not d.near_occluder and not d.merged]
    if not clean:
        clean = dets
    largest = max(d.area for d in clean)
    keep = [d for d in clean if d.area >= 0.6 * largest]
    step = max(1, len(keep) // 6)
    fits = [_fit_shape(d, extent, softness) for d in keep[::step]]
    scores = {s: float(np.mean([f[s][0] for f in fits])) for s in SHAPES}
    best = max(scores, key=scores.get)
    radius = float(np.median([f[best][1] for f in fits]))
    return best, scores, radius, radius / block >= SHAPE_MIN_RADIUS


def _plate(frames: np.ndarray, classes: np.ndarray, camera) -> np.ndarray | None:
    """`background_plate` of a still camera's clip; None where the camera moves by PLATE_STILL
    or more (world units; a tenth of it in log zoom)."""
    if np.abs(camera.offset).max() >= PLATE_STILL or np.abs(np.log(camera.zoom)).max() >= PLATE_STILL / 10:
        return None
    return background_plate(frames, classes)


def parse_video(frames: np.ndarray, fps: float) -> ParsedVideo:
    """Parse (T, H, W, 3) uint8 frames shown at `fps` (see the module docstring)."""
    frames = np.asarray(frames)
    if frames.dtype != np.uint8 or frames.ndim != 4 or frames.shape[-1] != 3:
        raise ValueError(f"frames must be uint8 (T, H, W, 3), got {frames.dtype} {frames.shape}")
    t_len, h, w, _ = frames.shape
    models = classifiers()
    labels = models.style.predict(frames)
    styles = tuple(s for s, _ in labels)
    style = max(set(styles), key=styles.count)
    backgrounds = tuple(b for s, b in labels if s == style) or tuple(b for _, b in labels)
    background = max(set(backgrounds), key=backgrounds.count)
    classes = np.empty((t_len, h, w), dtype=np.uint8)  # each frame read with its own style's table
    for name in set(styles):
        sel = np.array([s == name for s in styles])
        classes[sel] = models.pixels.classify(frames[sel], name)
    camera = estimate_camera(frames, classes, style)
    plate = _plate(frames, classes, camera)
    min_area = max(2.0, MIN_AREA_FRACTION * h * w)
    extent = models.extents[style]
    per_frame = [_detections(frames[k], classes[k], min_area, extent, plate) for k in range(t_len)]
    block = pixel_block(style, w)
    tracks = []
    for tr in _link(per_frame, w, fps, camera.floor_moved):
        dets = [d for d in tr if d is not None]
        if np.mean([d.attached for d in dets]) >= ATTACHED_TRACK:
            continue  # a rim or an outline of another colour's object
        shape, scores, radius, resolved = _track_shape(dets, block, extent, models.softness[style])
        nan2 = np.full(2, np.nan)
        tracks.append(
            Track(
                color=dets[0].color,
                present=np.array([d is not None for d in tr]),
                centroid=np.array([d.centroid if d else nan2 for d in tr], dtype=np.float64),
                area=np.array([d.area if d else 0.0 for d in tr]),
                bottom=np.array([d.bottom if d else np.nan for d in tr]),
                at_edge=np.array([bool(d and d.at_edge) for d in tr]),
                near_occluder=np.array([bool(d and d.near_occluder) for d in tr]),
                merged=np.array([bool(d and d.merged) for d in tr]),
                shape=shape,
                shape_scores=scores,
                radius_px=radius,
                resolved=resolved,
            )
        )
    return ParsedVideo(
        width=w,
        height=h,
        fps=float(fps),
        styles=styles,
        backgrounds=tuple(b for _, b in labels),
        style=style,
        background=background,
        tracks=tuple(tracks),
        camera_offset=camera.offset,
        camera_zoom=camera.zoom,
        floor_row=camera.floor_row,
        floor_seen=camera.floor_seen,
        occluder_fraction=(classes == OCCLUDER_CLASS).mean((1, 2)),
    )
