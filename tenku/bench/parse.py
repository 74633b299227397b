"""The frame parser: what objects a video shows, where, and how its camera moves.

`parse_video(frames, fps) -> ParsedVideo` reads (T, H, W, 3) uint8 frames with no access to any
ground truth:

1. style and background per frame (`StyleModel`), the clip's style by majority;
2. a class per pixel from the style's colour table (`PixelTables`: background, occluder, or one
   of the world's eight colours), then per frame the objects it shows (`segment.detections`:
   components per colour without the rims of others, pieces on two sides of an occluder
   joined, small objects that show only their outline in styles that outline them, each with
   a soft mask whose centroid is its sub-pixel position);
3. camera (`camera.estimate_camera`): per frame the far layer's skyline, the floor line, the
   floor's seams and the occluders' edges, each moved by the camera with its own parallax, fitted
   with one pan and zoom. (Object areas cannot give zoom: the world has growing and shrinking
   objects.) A still camera's clip gives a background plate for the soft masks;
4. tracks: detections linked frame to frame per colour by Hungarian matching on each track's
   prediction (constant velocity or gravity, resting on the floor line), the cost a negative
   log-likelihood that loosens with the frames a track was unseen, so an object that comes out
   from behind an occluder keeps its identity; same-colour twins are told by the area of their
   last whole sighting, a blob two of them run into is split between them (or, where it is
   left whole while one of them goes missing, marked as theirs together), a blob a twin
   comes out of in the next frame is split between the two, the tracks of one object's
   pieces around an occluder, once they join, are one track (`_absorb_pieces`), and a blob
   read as a larger one's rim continues a track it lies on (a tiny object pressed against a
   larger one), never starting one;
5. shape and size per track by fitting the world's shape templates (signed distance fields,
   reaching as far past the edge as the style draws) to the soft masks of its largest clean
   views over radius and rotation; the best mean soft IoU names the shape, and the radius is
   scaled by the style's fitted bias on that template (`classify.fit_radius_scales`).

Pixel coordinates are (x, y) with y down and pixel centres at +0.5, as in `WorldState`.
`ParsedVideo.to_world(xy, t)` converts them to world units (y up) with the parsed camera.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np

from tenku.bench.camera import estimate_camera
from tenku.bench.classify import OCCLUDER_CLASS, Classifiers, background_plate, classifiers, coverage
from tenku.bench.segment import JOIN_COVER, Detection, detections, occluder_gap, occluder_pixels, union
from tenku.world import GRAVITY, SHAPES, WORLD_WIDTH
from tenku.world.shapes import BOX_HALF, RING_INNER, STAR_INNER
from tenku.world.styles import pixel_block
from tenku.world.vocab import FLOOR_VIEW_FRACTION

MIN_AREA_FRACTION = 1.0 / 4096  # detections smaller than this fraction of the frame are noise
OUTLINED = 0.5  # a style outlines its objects where this much of their edge is drawn dark (`outlined`)
SHAPE_MIN_RADIUS = 3.2  # a shape is told (not guessed) where its radius spans this many blocks
ATTACHED_TRACK = 0.5  # a track attached in at least this fraction of its frames is a rim, not an object
MATCH_GATE = 0.25  # a detection may join a track within this fraction of the frame width (+ radius)
PLATE_STILL = 0.1  # world units (and a tenth of it in log zoom) a still camera may move over the clip
LINK_SIGMA = 1.5  # pixels: spread of a track's predicted position per frame since it was last seen
SIZE_COST = 4.0  # pixels of matching cost per e-fold between a whole detection's area and a track's
SPLIT_GAP = 2  # tracks seen within this many frames may claim a share of a merged blob
SHARED_AREA = 1.6  # a blob this many times a track's whole area, by a twin gone missing, is theirs together
SHARED_SIGHTINGS = 3  # frames a track must have been seen in to be a twin that may share a blob
BACK_RATIO = 1.25  # a blob this many times a track's next area or more may hold a twin that comes out of it
BACK_SHARE = 0.5  # ... if it is larger than that area by this share of the twin's next area
SPLIT_EXTRA = 0.3  # a blob is split when it exceeds the largest claimant by this much of the smallest
FRINGE_GATE = 2.0  # pixels: a rim-like blob this near (or its size) continues a track seen the frame before
FRINGE_SIGHTINGS = 3  # ... if it was seen in this many frames (not a rim's own short track)
ABSORB_OVERLAP = 0.5  # fraction of a piece's last pixels a blob of its colour next frame must take in
CUT_RATIO = 0.5  # a piece beside an occluder under this deep across it as long beside it is cut by it
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
class Track:
    color: str
    present: np.ndarray  # (T,) bool
    centroid: np.ndarray  # (T, 2) pixels, NaN where absent
    area: np.ndarray  # (T,) pixels, 0 where absent
    bottom: np.ndarray  # (T,) pixels, NaN where absent
    at_edge: np.ndarray  # (T,) bool
    near_occluder: np.ndarray  # (T,) bool
    merged: np.ndarray  # (T,) bool: split from a blob shared with a same-colour track, or a rim-like blob
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


@dataclass(frozen=True, kw_only=True)
class _Prediction:
    xy: tuple[float, float]  # predicted centroid, pixels
    gap: int  # frames since the track was last seen
    size: float  # sqrt of its last area, pixels
    whole_area: float | None  # area of its last whole sighting (clear of edges, occluders, twins)
    sightings: int  # frames it was seen in so far
    last: Detection  # its last sighting


def _link(
    per_frame: list[list[Detection]],
    width: int,
    fps: float,
    floor: np.ndarray,
    walls: np.ndarray,
    occ: list[np.ndarray],
) -> list[list[Detection | None]]:
    """Tracks as lists (one entry per frame, None where absent) by per-colour Hungarian matching
    on each track's predicted position (never below the floor line: `floor` (T,) rows, NaN where
    unknown; bounced off the world's side walls: `walls` (T, 2) columns), the cost of a match
    its negative log-likelihood under a spread that grows with the frames since the track was
    seen (a track seen just before wins over one back from hiding); a blob that two same-colour
    tracks run into is split between them first (`_split_merged`, with `occ` per frame:
    `segment.occluder_pixels`), so identities survive a crossing."""
    from scipy.optimize import linear_sum_assignment

    g_px = GRAVITY * width / WORLD_WIDTH / fps**2  # pixels / frame^2, y down
    t_len = len(per_frame)
    tracks: list[list[Detection | None]] = []
    for t, dets in enumerate(per_frame):
        for color in sorted({d.color for d in dets}):
            live = [k for k, tr in enumerate(tracks) if tr[_first(tr)].color == color]
            preds = [_predict(tracks[k], t, g_px, floor[t], walls[t]) for k in live]
            cand = _split_merged([d for d in dets if d.color == color and not d.fringe], preds, occ[t])
            cost = np.full((len(live), len(cand)), 1e9)
            for a, pr in enumerate(preds):
                gate = MATCH_GATE * width * min(pr.gap, 3) + pr.size
                for b, d in enumerate(cand):
                    dist = math.dist(pr.xy, d.centroid)
                    if dist <= gate:
                        off = dist + 0.5 * abs(math.sqrt(d.area) - pr.size) + _size_cost(d, pr)
                        sigma = LINK_SIGMA * (1 + pr.gap)  # a prediction over a longer gap is looser
                        cost[a, b] = 0.5 * (off / sigma) ** 2 + 2 * math.log(sigma)
            used: dict[int, int] = {}  # candidate -> row of the track it joined
            if live:
                rows, cols = linear_sum_assignment(cost)
                for a, b in zip(rows, cols, strict=True):
                    if cost[a, b] < 1e9:
                        used[b] = a
            for b, a in used.items():
                missing = [
                    pr
                    for r, pr in enumerate(preds)
                    if r not in used.values() and pr.gap <= SPLIT_GAP and pr.sightings >= SHARED_SIGHTINGS
                ]
                tracks[live[a]][t] = _shared(cand[b], preds[a], missing)
            for b, d in enumerate(cand):
                if b not in used:
                    tr: list[Detection | None] = [None] * t_len
                    tr[t] = d
                    tracks.append(tr)
            rims = [d for d in dets if d.color == color and d.fringe]
            for a, pr in enumerate(preds):
                if rims and a not in used.values() and pr.gap == 1 and pr.sightings >= FRINGE_SIGHTINGS:
                    near = min(rims, key=lambda d: math.dist(pr.xy, d.centroid))
                    if math.dist(pr.xy, near.centroid) <= max(FRINGE_GATE, pr.size):
                        # a tiny object pressed against a larger one: where it is, roughly
                        tracks[live[a]][t] = replace(near, merged=True)
                        rims.remove(near)
    return _split_backward(tracks)


def _absorb_pieces(
    tracks: list[list[Detection | None]], occ: list[np.ndarray]
) -> list[list[Detection | None]]:
    """Tracks with each one that only ever showed a piece by an occluder, seen in some frame on
    the other side of an occluder from a track of its colour, one of the two cut by it
    (`_across`; `occ`: per frame, `segment.occluder_pixels`), and ending in that track's blob
    (its next detection takes in ABSORB_OVERLAP of the piece's last pixels, within a pixel),
    merged into that track, detections joined where both have one: pieces of one object seen
    around an occluder too flat to join in one frame (`segment.detections`), joined once it
    grew or moved clear of it."""
    merged = True
    while merged:
        merged = False
        for a, tr in enumerate(tracks):
            seen = [t for t, d in enumerate(tr) if d is not None]
            end = seen[-1]
            if end + 1 >= len(tr) or not all(tr[t].near_occluder for t in seen):
                continue
            piece = tr[end]
            for b, other in enumerate(tracks):
                blob = other[end + 1]
                if b == a or blob is None or blob.color != piece.color:
                    continue
                if not any(_across(tr[t], other[t], occ[t]) for t in seen if other[t] is not None):
                    continue
                if not _covers(blob, piece):
                    continue
                for t in seen:
                    other[t] = tr[t] if other[t] is None else union(other[t], tr[t])
                del tracks[a]
                merged = True
                break
            if merged:
                break
    return tracks


def _piece_of(p: _Prediction, q: _Prediction, occ: np.ndarray) -> bool:
    """p's track and q's show pieces of one object around an occluder: their last sightings lie
    on two sides of it (`occ`), one cut by it (`_across`), or q's, later, took in p's (`_covers`)."""
    return q is not p and (_across(p.last, q.last, occ) or (q.gap < p.gap and _covers(q.last, p.last)))


def _covers(blob: Detection, piece: Detection) -> bool:
    """The blob's pixels, grown by one, take in ABSORB_OVERLAP of the piece's."""
    from scipy import ndimage

    grown = ndimage.binary_dilation(np.pad(blob.mask, 1))
    ys, xs = np.nonzero(piece.mask)
    ys, xs = ys + piece.bbox[1] - blob.bbox[1] + 1, xs + piece.bbox[0] - blob.bbox[0] + 1
    inside = (ys >= 0) & (ys < grown.shape[0]) & (xs >= 0) & (xs < grown.shape[1])
    return bool(grown[ys[inside], xs[inside]].sum() >= ABSORB_OVERLAP * len(ys))


def _across(da: Detection, db: Detection, occ: np.ndarray) -> bool:
    """da and db lie on two sides of an occluder (the pixels between them mostly its) and one of
    them is cut by it: under CUT_RATIO as deep (across the occluder) as it is long (beside it)."""
    for a, b in ((da, db), (db, da)):
        gap = occluder_gap(a, b, occ)
        if gap is None or not gap.size or gap.mean() < JOIN_COVER:
            continue
        side = a.bbox[2] <= b.bbox[0]  # left and right, else above and below
        for d in (a, b):
            w, h = d.bbox[2] - d.bbox[0], d.bbox[3] - d.bbox[1]
            if (w < CUT_RATIO * h) if side else (h < CUT_RATIO * w):
                return True
    return False


def _split_backward(tracks: list[list[Detection | None]]) -> list[list[Detection | None]]:
    """Tracks with each blob that a same-colour twin comes out of in the next frame split
    between the two (as `_split_merged` splits a blob two tracks run into), from the last frame
    back: a whole detection of a track BACK_RATIO times its area in the next frame or more, and
    larger than that by BACK_SHARE of the next areas of the tracks of its colour that are absent
    there and appear next frame within reach of it (twins that touch in the first frames, before
    either has a track of its own)."""
    t_len = len(tracks[0]) if tracks else 0
    for t in range(t_len - 2, -1, -1):
        for a, tr in enumerate(tracks):
            d, nxt = tr[t], tr[t + 1]
            if d is None or nxt is None or not _whole(d) or d.area < BACK_RATIO * nxt.area:
                continue
            x0, y0, _, _ = d.bbox
            ys, xs = np.nonzero(d.mask)
            out = [
                b
                for b, o in enumerate(tracks)
                if b != a
                and o[t] is None
                and o[t + 1] is not None
                and o[t + 1].color == d.color
                and np.hypot(xs + x0 + 0.5 - o[t + 1].centroid[0], ys + y0 + 0.5 - o[t + 1].centroid[1]).min()
                <= max(1.0, 0.5 * math.sqrt(o[t + 1].area))
            ]
            if not out or d.area < nxt.area + BACK_SHARE * sum(tracks[b][t + 1].area for b in out):
                continue
            owners = [a, *out]
            preds = [
                _Prediction(
                    xy=tracks[k][t + 1].centroid,
                    gap=1,
                    size=math.sqrt(tracks[k][t + 1].area),
                    whole_area=None,
                    sightings=1,
                    last=tracks[k][t + 1],
                )
                for k in owners
            ]
            pieces = _kmeans_split(d, preds)
            if len(pieces) == len(owners):
                for k, piece in zip(owners, pieces, strict=True):
                    tracks[k][t] = piece
    return tracks


def _shared(d: Detection, pr: _Prediction, missing: list[_Prediction]) -> Detection:
    """d marked `merged` where it is a blob the track shares with a twin left unsplit: whole,
    SHARED_AREA times the track's last whole area or more, while a recently seen track of its
    colour (seen SHARED_SIGHTINGS times: a twin, not a fragment) found nothing this frame and
    predicts itself within reach of d (its position is then
    neither track's)."""
    if not _whole(d) or pr.whole_area is None or d.area < SHARED_AREA * pr.whole_area:
        return d
    x0, y0, _, _ = d.bbox
    ys, xs = np.nonzero(d.mask)
    for o in missing:
        if np.hypot(xs + x0 + 0.5 - o.xy[0], ys + y0 + 0.5 - o.xy[1]).min() <= max(1.0, o.size):
            return replace(d, merged=True)
    return d


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


def _predict(
    track: list[Detection | None], t: int, g_px: float, floor: float, walls: np.ndarray
) -> _Prediction:
    """Where a track should be at frame t: constant velocity from its last two unsplit sightings,
    plus gravity (g_px pixels / frame^2 down) when gravity predicted its last sighting better,
    resting on the floor line (row `floor`, unless NaN) rather than below it, and bounced back
    off the side walls (columns `walls`) as the world bounces it (a fast object hidden after a
    bounce comes back from the other way)."""
    seen = [(i, d) for i, d in enumerate(track[:t]) if d is not None]
    i_last, d_last = seen[-1]
    gap, size = t - i_last, math.sqrt(d_last.area)
    whole_area = next((d.area for _, d in reversed(seen) if _whole(d)), None)
    whole = [(i, np.asarray(d.centroid)) for i, d in seen if not d.merged]
    if not whole or i_last - whole[-1][0] > 4:
        whole = [(i, np.asarray(d.centroid)) for i, d in seen]
    i1, p1 = whole[-1]
    if len(whole) < 2:
        return _Prediction(
            xy=tuple(p1), gap=gap, size=size, whole_area=whole_area, sightings=len(seen), last=d_last
        )
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
    radius = math.sqrt((whole_area or d_last.area) / math.pi)
    if not math.isnan(floor):
        xy[1] = min(xy[1], max(floor - radius, p1[1]))
    lo, hi = walls[0] + radius, walls[1] - radius
    if lo < p1[0] < hi:
        for _ in range(2):  # an elastic bounce off either wall
            if xy[0] > hi:
                xy[0] = 2 * hi - xy[0]
            elif xy[0] < lo:
                xy[0] = 2 * lo - xy[0]
    return _Prediction(
        xy=(float(xy[0]), float(xy[1])),
        gap=gap,
        size=size,
        whole_area=whole_area,
        sightings=len(seen),
        last=d_last,
    )


def _split_merged(cand: list[Detection], preds: list[_Prediction], occ: np.ndarray) -> list[Detection]:
    """Split each detection that two or more recently seen tracks predict themselves into (and
    that is larger than the biggest of them alone) between those tracks: pixels go to the
    nearest predicted centre in units of each track's size, centres refined a few times. A
    track that another detection fits better (distance plus `_size_cost`) claims no blob, nor
    does one never seen whole that is a piece of the same object as another claimant
    (`_piece_of`, with `occ` this frame's `segment.occluder_pixels`)."""
    recent = [p for p in preds if p.gap <= SPLIT_GAP]
    recent = [p for p in recent if p.whole_area is not None or not any(_piece_of(p, q, occ) for q in recent)]
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


def parse_video(frames: np.ndarray, fps: float, *, models: Classifiers | None = None) -> ParsedVideo:
    """Parse (T, H, W, 3) uint8 frames shown at `fps` (see the module docstring) with the
    shipped classifiers, or `models` (with their radius scales)."""
    frames = np.asarray(frames)
    if frames.dtype != np.uint8 or frames.ndim != 4 or frames.shape[-1] != 3:
        raise ValueError(f"frames must be uint8 (T, H, W, 3), got {frames.dtype} {frames.shape}")
    t_len, h, w, _ = frames.shape
    models = models or classifiers()
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
    tints = models.tints[style] if models.outlined[style] >= OUTLINED else None
    per_frame = [
        detections(
            frames[k],
            classes[k],
            min_area=min_area,
            extent=extent,
            plate=plate,
            tints=tints,
            rims=models.rims[style],
            fringes=True,
        )
        for k in range(t_len)
    ]
    block = pixel_block(style, w)
    tracks = []
    scale = w / WORLD_WIDTH * camera.zoom  # pixels per world unit, (T,)
    ox = camera.offset[:, 0]
    walls = w / 2 + np.stack([-WORLD_WIDTH / 2 - ox, WORLD_WIDTH / 2 - ox], 1) * scale[:, None]
    occ = [occluder_pixels(c) for c in classes]
    for tr in _absorb_pieces(_link(per_frame, w, fps, camera.floor_moved, walls, occ), occ):
        dets = [d for d in tr if d is not None]
        if np.mean([d.attached for d in dets]) >= ATTACHED_TRACK:
            continue  # a rim or an outline of another colour's object
        shape, scores, radius, resolved = _track_shape(dets, block, extent, models.softness[style])
        radius *= models.radius_scale[style][shape]  # the style's bias on that template, fitted
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
