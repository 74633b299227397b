"""The frame parser: what objects a video shows, where, and how its camera moves.

`parse_video(frames, fps) -> ParsedVideo` reads (T, H, W, 3) uint8 frames with no access to any
ground truth:

1. style and background per frame (`StyleModel`), the clip's style by majority;
2. a class per pixel from the style's colour table (`PixelTables`: background, occluder, or one
   of the world's eight colours), then connected components per colour -> `Detection`s;
3. tracks: detections linked frame to frame per colour by Hungarian matching on the distance to
   each track's constant-velocity prediction, with gaps allowed so an object that comes out from
   behind an occluder keeps its identity;
4. shape and size per track by fitting the world's shape templates (signed distance fields) to
   each clean detection's mask over radius and rotation; the best mean soft IoU names the shape;
5. camera: the far layer's skyline profile registered to the first frame's (shift and scale,
   divided by the parallax factor) gives pan and zoom; while the floor line is in view its row
   (it moves with the objects, 1 / PARALLAX times as far as the far layer) gives vertical pan
   under that zoom. (Object areas cannot give zoom: the world has growing and shrinking objects.)

Pixel coordinates are (x, y) with y down and pixel centres at +0.5, as in `WorldState`.
`ParsedVideo.to_world(xy, t)` converts them to world units (y up) with the parsed camera.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np

from tenku.bench.classify import BACKGROUND_CLASS, COLOR_NAMES, FIRST_COLOR_CLASS, OCCLUDER_CLASS, classifiers
from tenku.world import GRAVITY, SHAPES, WORLD_WIDTH
from tenku.world.shapes import BOX_HALF, RING_INNER, STAR_INNER, shape_sdf
from tenku.world.styles import pixel_block
from tenku.world.vocab import FLOOR_VIEW_FRACTION, PARALLAX

MIN_AREA_FRACTION = 1.0 / 4096  # detections smaller than this fraction of the frame are noise
SHAPE_MIN_RADIUS = 3.2  # shapes are classified only when the radius spans this many blocks
OCCLUDER_MIN_FRACTION = 0.01  # occluder-coloured regions smaller than this fraction are not occluders
FLOOR_SEARCH = 0.1  # the floor line is looked for within this fraction of the height of its place
FLOOR_STEP = 0.05  # and then within this fraction of its row in the frame before
FRINGE_RATIO = 0.34  # a component this small next to another colour's is its rim, not an object
ATTACH_GAP = 2  # pixels between a component and a larger one of another colour that count as attached
ATTACHED_TRACK = 0.5  # a track attached in at least this fraction of its frames is a rim, not an object
REGISTER_REACH = 0.6  # pixels (at REGISTER_WIDTH) the far layer may move from one frame to the next
REGISTER_LOG_REACH = 0.015  # and log-scale it may change
REGISTER_WIDTH = 64  # wider frames are block-averaged to about this width for the camera
REGISTER_BLUR = 1.0  # pixels (at REGISTER_WIDTH) of blur before registering
REGISTER_TEXTURE = 1.8  # luma spread below which the far layer is blank (no camera reading)
FLOOR_MIN_SEEN = 4  # frames with the floor line in view needed to read the camera from it
FLOOR_STILL = 1.5  # pixels (at 64 rows, per second at 8 fps) the floor line may drift on a still camera
MATCH_GATE = 0.25  # a detection may join a track within this fraction of the frame width (+ radius)
SPLIT_GAP = 2  # tracks seen within this many frames may claim a share of a merged blob
SPLIT_EXTRA = 0.3  # a blob is split when it exceeds the largest claimant by this much of the smallest
_ANGLES = 10  # rotations tried per symmetry period when fitting a template
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
    centroid: tuple[float, float]  # (x, y) pixels, y down
    area: float  # pixels
    bbox: tuple[int, int, int, int]  # x0, y0, x1, y1 (exclusive) pixels
    bottom: float  # y (pixels, y down) of the lowest mask pixel's bottom edge
    mask: np.ndarray  # (y1 - y0, x1 - x0) bool
    at_edge: bool  # touches the frame border
    near_occluder: bool  # within a few pixels of occluder pixels
    attached: bool = False  # within ATTACH_GAP pixels of a larger component of another colour
    merged: bool = False  # a piece of a blob split between same-colour tracks (position approximate)


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
    shape: str | None  # best template, None when too small to tell
    shape_scores: dict[str, float]  # mean soft IoU per shape over clean frames
    radius_px: float  # fitted circumscribed radius at the first clean frame, pixels

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


def _detections(classes: np.ndarray, min_area: float) -> list[Detection]:
    """Connected components of each colour class in one frame's class map (H, W)."""
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
    return _drop_fringes(out, h, w)


def _drop_fringes(dets: list[Detection], h: int, w: int) -> list[Detection]:
    """Drop small components that touch a much larger one of another colour: the blended rim
    of an object read as a neighbouring hue (e.g. red on a sand floor read as orange). Mark the
    rest that lie within ATTACH_GAP pixels of a larger one of another colour (`attached`): a
    track attached in most of its frames is a rim or an outline, not an object (`_drop_attached`)."""
    from scipy import ndimage

    ids = np.full((h, w), -1)
    for k, d in enumerate(dets):
        x0, y0, x1, y1 = d.bbox
        ids[y0:y1, x0:x1][d.mask] = k
    keep = []
    eight = np.ones((3, 3), dtype=bool)
    for k, d in enumerate(dets):
        x0, y0, x1, y1 = d.bbox
        g = ATTACH_GAP
        xa, ya, xb, yb = max(0, x0 - g), max(0, y0 - g), min(w, x1 + g), min(h, y1 + g)
        local = ids[ya:yb, xa:xb]
        grown = ndimage.binary_dilation(local == k, structure=eight)
        touching = {int(j) for j in np.unique(local[grown]) if j >= 0 and j != k}
        if any(dets[j].color != d.color and dets[j].area >= d.area / FRINGE_RATIO for j in touching):
            continue
        near = ndimage.binary_dilation(local == k, structure=eight, iterations=g)
        close = {int(j) for j in np.unique(local[near]) if j >= 0 and j != k}
        attached = any(dets[j].color != d.color and dets[j].area > d.area for j in close)
        keep.append(replace(d, attached=attached))
    return keep


@dataclass(frozen=True, kw_only=True)
class _Prediction:
    xy: tuple[float, float]  # predicted centroid, pixels
    gap: int  # frames since the track was last seen
    size: float  # sqrt of its last area, pixels


def _link(per_frame: list[list[Detection]], width: int, fps: float) -> list[list[Detection | None]]:
    """Tracks as lists (one entry per frame, None where absent) by per-colour Hungarian matching
    on each track's predicted position; a blob that two same-colour tracks run into is split
    between them first (`_split_merged`), so identities survive a crossing."""
    from scipy.optimize import linear_sum_assignment

    g_px = GRAVITY * width / WORLD_WIDTH / fps**2  # pixels / frame^2, y down
    t_len = len(per_frame)
    tracks: list[list[Detection | None]] = []
    for t, dets in enumerate(per_frame):
        for color in sorted({d.color for d in dets}):
            live = [k for k, tr in enumerate(tracks) if tr[_first(tr)].color == color]
            preds = [_predict(tracks[k], t, g_px) for k in live]
            cand = _split_merged([d for d in dets if d.color == color], preds)
            cost = np.full((len(live), len(cand)), 1e9)
            for a, pr in enumerate(preds):
                gate = MATCH_GATE * width * min(pr.gap, 3) + pr.size
                for b, d in enumerate(cand):
                    dist = math.dist(pr.xy, d.centroid)
                    if dist <= gate:
                        cost[a, b] = dist + 0.5 * abs(math.sqrt(d.area) - pr.size)
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


def _first(track: list[Detection | None]) -> int:
    return next(i for i, d in enumerate(track) if d is not None)


def _predict(track: list[Detection | None], t: int, g_px: float) -> _Prediction:
    """Where a track should be at frame t: constant velocity from its last two unsplit sightings,
    plus gravity (g_px pixels / frame^2 down) when gravity predicted its last sighting better."""
    seen = [(i, d) for i, d in enumerate(track[:t]) if d is not None]
    i_last, d_last = seen[-1]
    gap, size = t - i_last, math.sqrt(d_last.area)
    whole = [(i, np.asarray(d.centroid)) for i, d in seen if not d.merged]
    if not whole or i_last - whole[-1][0] > 4:
        whole = [(i, np.asarray(d.centroid)) for i, d in seen]
    i1, p1 = whole[-1]
    if len(whole) < 2:
        return _Prediction(xy=tuple(p1), gap=gap, size=size)
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
    return _Prediction(xy=(float(xy[0]), float(xy[1])), gap=gap, size=size)


def _split_merged(cand: list[Detection], preds: list[_Prediction]) -> list[Detection]:
    """Split each detection that two or more recently seen tracks predict themselves into (and
    that is larger than the biggest of them alone) between those tracks: pixels go to the
    nearest predicted centre in units of each track's size, centres refined a few times."""
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
        if best is not None:
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


def _fit_shape(det: Detection) -> dict[str, tuple[float, float]]:
    """Best soft IoU and radius (pixels) of each shape template on one detection's mask."""
    pad = 2
    mask = np.pad(det.mask, pad).astype(np.float32)
    h, w = mask.shape
    cx = det.centroid[0] - det.bbox[0] + pad
    cy = det.centroid[1] - det.bbox[1] + pad
    dx = (np.arange(w) + 0.5 - cx)[None, None, :]  # (1, 1, W)
    dy = -(np.arange(h) + 0.5 - cy)[None, :, None]  # (1, H, 1)
    out = {}
    for shape in SHAPES:
        r0 = math.sqrt(det.area / AREA_FACTOR[shape])
        radii = r0 * np.array([0.9, 1.0, 1.1, 1.2])
        period = _PERIOD[shape]
        angles = np.arange(_ANGLES) * period / _ANGLES if period else np.zeros(1)
        rr, aa = np.meshgrid(radii, angles, indexing="ij")
        rr, aa = rr.reshape(-1, 1, 1), aa.reshape(-1, 1, 1)  # (K, 1, 1)
        cov = np.clip(0.5 - shape_sdf(shape, dx, dy, rr, aa), 0.0, 1.0)  # (K, H, W)
        inter = np.minimum(cov, mask).sum((1, 2))
        union = np.maximum(cov, mask).sum((1, 2))
        iou = inter / np.maximum(union, 1e-6)
        best = int(iou.argmax())
        out[shape] = (float(iou[best]), float(rr.reshape(-1)[best]))
    return out


def _track_shape(dets: list[Detection], block: int) -> tuple[str | None, dict[str, float], float]:
    """Shape (None if too small), mean IoU per shape, and radius (pixels) from clean detections."""
    clean = [d for d in dets if not d.at_edge and not d.near_occluder and not d.merged]
    if not clean:
        clean = dets
    areas = np.array([d.area for d in clean])
    keep = [d for d in clean if d.area >= 0.6 * np.median(areas)]  # drop merged-away fragments
    step = max(1, len(keep) // 6)
    fits = [_fit_shape(d) for d in keep[::step]]
    scores = {s: float(np.mean([f[s][0] for f in fits])) for s in SHAPES}
    best = max(scores, key=scores.get)
    radius = float(np.median([f[best][1] for f in fits]))
    resolvable = radius / block >= SHAPE_MIN_RADIUS
    return (best if resolvable else None), scores, radius


def _interp_matrices(n: int, scale: float, shifts: np.ndarray) -> np.ndarray:
    """(K, n, n) linear interpolation matrices: out = M[k] @ src warps a length-n signal by
    `scale` and shifts[k] about its centre, out[i] = src at (i + 0.5 - c - shift) / scale + c."""
    c = n / 2
    src = (np.arange(n)[None] + 0.5 - c - shifts[:, None]) / scale + c - 0.5  # (K, n)
    i0 = np.floor(src).astype(int)
    f = src - i0
    m = np.zeros((len(shifts), n, n + 2))  # two guard columns catch samples outside
    k, i = np.meshgrid(np.arange(len(shifts)), np.arange(n), indexing="ij")
    m[k, i, np.clip(i0 + 1, 0, n + 1)] += 1 - f
    m[k, i, np.clip(i0 + 2, 0, n + 1)] += f
    return m[:, :, 1:-1]


def _register_far(
    ref: np.ndarray, ref_mask: np.ndarray, cur: np.ndarray, cur_mask: np.ndarray, near: tuple
) -> tuple[float, float, float]:
    """(shift x px, shift y px, scale) of the far layer with cur(v, u) ~ ref warped about the
    frame centre, by grid search on masked SSD (less the mean difference) within REGISTER_REACH
    pixels and REGISTER_LOG_REACH log-scale of `near` (the previous frame's warp: cameras move
    smoothly)."""
    h, w = ref.shape
    sx0, sy0, s0 = near
    best = (math.inf, sx0, sy0, s0)
    steps = np.linspace(-REGISTER_REACH, REGISTER_REACH, 7)
    refm = ref * ref_mask
    need = max(16.0, 0.25 * float(cur_mask.sum()))
    for ls in (-REGISTER_LOG_REACH, 0.0, REGISTER_LOG_REACH):
        sc = s0 * math.exp(ls)
        wy = _interp_matrices(h, sc, sy0 + steps)[:, None]  # (A, 1, H, H)
        wxt = _interp_matrices(w, sc, sx0 + steps).transpose(0, 2, 1)[None]  # (1, B, W, W)
        num = (wy @ refm) @ wxt  # (A, B, H, W)
        den = (wy @ ref_mask) @ wxt
        ok = (den > 0.9) & cur_mask
        n = ok.sum((2, 3))
        diff = np.where(ok, num / np.maximum(den, 1e-6) - cur, 0.0)
        mean_diff = diff.sum((2, 3)) / np.maximum(n, 1)
        err = (diff**2).sum((2, 3)) / np.maximum(n, 1) - mean_diff**2  # (A, B)
        err = np.where(n >= need, err, np.inf)
        a, b = np.unravel_index(np.argmin(err), err.shape)
        if err[a, b] < best[0]:
            best = (float(err[a, b]), sx0 + float(steps[b]), sy0 + float(steps[a]), sc)
    return best[1], best[2], best[3]


def _far_layer(luma: np.ndarray, bg: np.ndarray, rows: int) -> tuple[np.ndarray, np.ndarray]:
    """Background luma above `rows` less each row's median (the screen-fixed sky gradient), and
    where it is background and informative: (T, rows, W) each."""
    import warnings

    masked = np.where(bg, luma, np.nan)[:, :rows]
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # rows with no background pixel
        row_median = np.nanmedian(masked, axis=2, keepdims=True)
    far = np.nan_to_num(luma[:, :rows] - row_median)
    return far, bg[:, :rows]


def _floor_row(luma: np.ndarray, bg: np.ndarray, nominal: float) -> tuple[np.ndarray, np.ndarray]:
    """Row (pixels, y down) of the floor line per frame: the strongest vertical edge within
    FLOOR_SEARCH of `nominal` in the first frame, then of the previous frame's row; and whether
    it was seen (False once the line leaves the frame or no edge stands out)."""
    t, h, w = luma.shape
    g = np.abs(np.diff(luma, axis=1)) * (bg[:, 1:] & bg[:, :-1])  # (T, H-1, W)
    prof = np.median(g, axis=2) + 1e-3 * g.mean(2)  # (T, H-1): edge between rows i and i + 1
    out = np.empty(t)
    seen = np.ones(t, dtype=bool)
    centre = nominal
    for k in range(t):
        reach = FLOOR_SEARCH * h if k == 0 else FLOOR_STEP * h
        lo, hi = max(1, int(centre - 1 - reach)), min(h - 2, int(centre - 1 + reach) + 1)
        if lo >= hi:
            out[k], seen[k] = centre, False
            continue
        seg = prof[k, lo:hi]
        i = int(seg.argmax())
        off = 0.0
        if 0 < i < len(seg) - 1:
            a, b, c = seg[i - 1], seg[i], seg[i + 1]
            den = a - 2 * b + c
            off = 0.5 * (a - c) / den if den < 0 else 0.0
        else:
            seen[k] = False  # the best edge is at the end of the search: the line is not in reach
        out[k] = centre = lo + i + off + 1.0
    return out, seen


def _robust_trend(values: np.ndarray, ok: np.ndarray) -> np.ndarray:
    """values (T,) smoothed to a line in time through values[0] (0 for offsets, 0 for log zoom:
    the world's cameras pan at a constant speed and zoom at a constant log rate), fitted with
    Huber reweighting on the frames marked ok; outlying frames (a moving object over the
    skyline, a lost floor line) do not bend it."""
    t_len = len(values)
    if t_len < 3 or ok[1:].sum() < 2:
        return values
    t = np.arange(t_len, dtype=np.float64) / max(t_len - 1, 1)
    a = t[ok, None]  # (K, 1)
    y = (values - values[0])[ok]
    wts = np.ones(len(y))
    coef = np.zeros(1)
    for _ in range(6):
        coef, *_ = np.linalg.lstsq(a * wts[:, None], y * wts, rcond=None)
        res = np.abs(y - a @ coef)
        scale = max(1.4826 * float(np.median(res)), 1e-3)
        wts = np.sqrt(np.minimum(1.0, 1.5 * scale / np.maximum(res, 1e-12)))
    return values[0] + t * coef[0]


def _line_fit(values: np.ndarray, ok: np.ndarray) -> np.ndarray:
    """values (T,) replaced by a line in time (intercept free) fitted with Huber reweighting on
    the frames marked ok (the floor row's first reading is as noisy as the rest)."""
    t = np.arange(len(values), dtype=np.float64)
    a = np.stack([np.ones_like(t), t], 1)[ok]  # (K, 2)
    y = values[ok]
    wts = np.ones(len(y))
    coef = np.zeros(2)
    for _ in range(6):
        coef, *_ = np.linalg.lstsq(a * wts[:, None], y * wts, rcond=None)
        res = np.abs(y - a @ coef)
        scale = max(1.4826 * float(np.median(res)), 1e-3)
        wts = np.sqrt(np.minimum(1.0, 1.5 * scale / np.maximum(res, 1e-12)))
    return coef[0] + coef[1] * t


def _floor_camera(
    floor: np.ndarray,
    seen: np.ndarray,
    warp: np.ndarray,
    far0: np.ndarray,
    oy: np.ndarray,
    zoom: np.ndarray,
    w: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Vertical pan (T,) and zoom (T,) from the floor line's row while it is in view. The world's
    cameras make one motion at a time (still, a pan or a zoom, plus shake), and every vertical
    pan or zoom moves the floor line (it lies below the frame centre): a line that stays put
    means neither; a line that moves is a vertical pan (row change = pan * px per unit) or a zoom
    (distance from the centre times zoom), whichever better predicts the far layer's measured
    displacement at its skyline rows (its shift and scale alone are nearly confounded there)."""
    h = len(far0) / (1 - FLOOR_VIEW_FRACTION)  # frame height in far-layer rows
    f = max(1, w // REGISTER_WIDTH)
    s0 = w / WORLD_WIDTH
    trend = _line_fit(floor, seen)
    moved = trend[-1] - trend[0]
    if abs(moved) < FLOOR_STILL * len(floor) / 8 * h * f / 64:
        return np.zeros_like(oy), np.ones_like(zoom)
    edge = np.abs(np.diff(far0, axis=0)).sum(1)  # (rows - 1,) skyline strength per row
    r_sky = float((np.arange(len(edge)) + 1.0) @ edge / max(edge.sum(), 1e-9)) if edge.sum() > 0 else 0.7 * h
    c = h / 2
    measured = warp[-1, 1] + (r_sky - c) * (warp[-1, 2] - 1)  # far-layer rows moved at the skyline
    pan_t = (trend - trend[0]) / s0  # world units, pan hypothesis
    ratio = np.maximum((trend - h * f / 2) / max(trend[0] - h * f / 2, 1e-6), 0.2)
    log_z = np.log(ratio)  # zoom hypothesis
    px = s0 / f
    pred_pan = PARALLAX * px * pan_t[-1]
    pred_zoom = (r_sky - c) * PARALLAX * (math.exp(log_z[-1]) - 1)
    if abs(measured - pred_pan) <= abs(measured - pred_zoom):
        return pan_t, np.ones_like(zoom)
    return np.zeros_like(oy), np.exp(log_z)


def _camera(frames: np.ndarray, classes: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Camera offset (T, 2) world units and zoom (T,) relative to the first frame; floor row (T,)
    and whether the floor line was seen (T,)."""
    from scipy import ndimage

    t, h, w, _ = frames.shape
    luma = frames.astype(np.float64) @ np.array([0.3, 0.59, 0.11])
    halo = max(2, round(w / 32))  # glows, soft rims and outlines around objects are not background
    near = ndimage.binary_dilation(
        classes != BACKGROUND_CLASS, structure=np.ones((1, 3, 3), dtype=bool), iterations=halo
    )
    bg = (classes == BACKGROUND_CLASS) & ~near
    nominal = h * (1 - FLOOR_VIEW_FRACTION)
    floor, seen = _floor_row(luma, classes == BACKGROUND_CLASS, nominal)
    seen = np.logical_and.accumulate(seen)  # once lost, the search follows whatever edge is near
    rows = np.arange(h)[None, :, None]
    bg &= rows < floor[:, None, None] - max(
        1.5, h / 48
    )  # the floor moves with the objects, not the far layer
    far, far_ok = _far_layer(luma, bg, int(math.ceil(nominal)))
    f = max(1, w // REGISTER_WIDTH)
    if f > 1:  # block means over whole background blocks
        tt, rr, cc = far.shape[0], far.shape[1] // f, far.shape[2] // f
        far = far[:, : rr * f, : cc * f].reshape(tt, rr, f, cc, f).mean((2, 4))
        far_ok = far_ok[:, : rr * f, : cc * f].reshape(tt, rr, f, cc, f).all((2, 4))
    px = w / WORLD_WIDTH / f
    # blur within the background: screen-fixed fine texture (hatching, grain) must not pin the warp
    okf = far_ok.astype(np.float64)
    sig = (0, REGISTER_BLUR, REGISTER_BLUR)
    far = ndimage.gaussian_filter(far * okf, sig) / np.maximum(ndimage.gaussian_filter(okf, sig), 1e-6)
    warp = np.zeros((t, 3))
    warp[:, 2] = 1.0
    textured = float(far[0][far_ok[0]].std()) > REGISTER_TEXTURE if far_ok[0].any() else False
    for k in range(1, t):
        if textured:
            warp[k] = _register_far(
                far[0], far_ok[0].astype(np.float64), far[k], far_ok[k], tuple(warp[k - 1])
            )
    every = np.ones(t, dtype=bool)
    scale = np.exp(_robust_trend(np.log(warp[:, 2]), every))
    zoom = np.maximum(0.2, 1 + (scale - 1) / PARALLAX)
    offset = np.zeros((t, 2))
    offset[:, 0] = -_robust_trend(warp[:, 0], every) / (PARALLAX * px * scale)
    offset[:, 1] = _robust_trend(warp[:, 1], every) / (PARALLAX * px * scale)
    if seen.sum() >= FLOOR_MIN_SEEN:
        offset[:, 1], zoom = _floor_camera(floor, seen, warp, far[0], offset[:, 1], zoom, w)
        offset[:, 0] = -_robust_trend(warp[:, 0], every) / (PARALLAX * px * (1 + PARALLAX * (zoom - 1)))
    return offset, zoom, floor, seen


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
    min_area = max(2.0, MIN_AREA_FRACTION * h * w)
    per_frame = [_detections(classes[k], min_area) for k in range(t_len)]
    block = pixel_block(style, w)
    tracks = []
    for tr in _link(per_frame, w, fps):
        dets = [d for d in tr if d is not None]
        if np.mean([d.attached for d in dets]) >= ATTACHED_TRACK:
            continue  # a rim or an outline of another colour's object
        shape, scores, radius = _track_shape(dets, block)
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
            )
        )
    offset, zoom, floor, floor_seen = _camera(frames, classes)
    return ParsedVideo(
        width=w,
        height=h,
        fps=float(fps),
        styles=styles,
        backgrounds=tuple(b for _, b in labels),
        style=style,
        background=background,
        tracks=tuple(tracks),
        camera_offset=offset,
        camera_zoom=zoom,
        floor_row=floor,
        floor_seen=floor_seen,
        occluder_fraction=(classes == OCCLUDER_CLASS).mean((1, 2)),
    )
