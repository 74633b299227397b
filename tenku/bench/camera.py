"""Camera motion from the background: pan and zoom of a video relative to its first frame.

`estimate_camera(frames, classes) -> Camera` reads (T, H, W, 3) uint8 frames and the parser's
class map (T, H, W) with no access to any ground truth.

The world's background has, besides the screen-fixed sky, two depth layers that a camera moves
differently: the far layer (hills, dunes, panels), moved PARALLAX times as much as the camera,
and the near layer at the objects' depth: the floor (its line and its seams, one per world unit)
and the occluders standing on it. A camera (offset ox, oy in world units, zoom z) carries a point
of a layer with parallax p from (u0, v0) in the first frame to

    u = W/2 + (u0 - W/2) S - p ox s0 S,    v = H/2 + (v0 - H/2) S + p oy s0 S,    S = 1 + p (z - 1)

(pixels, y down; s0 = W / WORLD_WIDTH pixels per world unit). Per frame the parser measures

1. the skyline: per column, the row of the far layer's top edge (the strongest vertical edge of
   the blurred background above the floor line, or above its last row seen once it is lost,
   with the clip's sign);
2. the floor line's row (the strongest row edge near its place, then near its last row);
3. the floor's seams: columns of the floor strip darker (or brighter) than their neighbours;
4. the occluders' left and right edges;

and fits one camera per frame to all of them by robust least squares, starting from the frame
before (cameras move smoothly). The skyline alone separates a vertical pan from a zoom only
weakly; the floor line and seams (parallax 1) and the skyline's horizontal stretch make the
difference. The per-frame fits are then smoothed to the world's camera model: offsets linear in
time and the zoom's logarithm linear in time, both zero at the first frame (Huber weights, so a
frame with a bad reading does not bend the line), each frame weighed by how precisely its own
readings pin each of the three (the diagonal of their information's inverse: a frame that sees
only the skyline tells a zoom from a vertical pan poorly, a frame with no reading at all, whose
fit is only the frame before's, not at all).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from tenku.bench.classify import BACKGROUND_CLASS, OCCLUDER_CLASS
from tenku.world import WORLD_WIDTH
from tenku.world.styles import margin_px
from tenku.world.vocab import FLOOR_VIEW_FRACTION, PARALLAX

FLOOR_SEARCH = 0.1  # the floor line is looked for within this fraction of the height of its place
FLOOR_STEP = 0.05  # and then within this fraction of its row in the frame before
FLOOR_MIN_COLUMNS = 0.15  # fraction of the columns that must show background on both sides of a row
FLOOR_CONTRAST = 2.5  # the floor line's edge must stand this many times above the rows around it
OCCLUDER_MIN_FRACTION = 0.01  # occluder-coloured regions smaller than this fraction are not occluders
SKY_BLUR = 1.0  # pixels (at 64 px wide) of blur before the skyline's edge is looked for
SKY_MIN_EDGE = 0.6  # luma per pixel: a weaker skyline edge is not read
SKY_LOWEST = 0.5  # a step this fraction of the column's strongest may be the skyline
SKY_FLAT = 0.75  # a row with a step in this fraction of the first frame's columns is the sky's
SKY_REL_EDGE = 0.3  # nor one weaker than this fraction of the first frame's median skyline edge
SKY_SNR = 8.0  # a skyline step this many noise deviations high is placed to SIGMA_SKY
SKY_MIN_SNR = 2.0  # a weaker one is not read
SKY_JOIN = 1.5  # pixels (at 64 rows) a skyline may step from one column to the next within a run
SKY_RUN = 4  # columns (at 64 px wide) of a run for its readings to count
SKY_BRIDGE = 3  # columns (at 64 px wide) of a gap in the first frame's skyline bridged
SKY_FLOOR_GAP = 4.0  # pixels (at 64 rows) above the floor line (and its blur) where no skyline is looked for
SEAM_SIGMA = 4.0  # a seam stands this many noise deviations from its neighbouring columns
SEAM_PERIOD = 1.0  # world units between the floor's seams
# Per-measurement spreads (pixels at 64 px wide; seams in world units) that weigh the residuals:
SIGMA_SKY = 0.35
SIGMA_FLOOR = 0.3
SIGMA_SEAM = 0.04
SIGMA_OCCLUDER = 0.5
ROBUST_SCALE = 2.5  # residuals (in spreads) are weighed 1 / (1 + (r / ROBUST_SCALE)^2) (Cauchy)
FIT_STEPS = 10  # Gauss-Newton steps per frame at most
PRIOR_STEP = (0.15, 0.15, 0.03)  # spread of one frame's change of ox, oy (world units) and log zoom


@dataclass(frozen=True, kw_only=True)
class Camera:
    offset: np.ndarray  # (T, 2) world units the view moved since the first frame (x right, y up)
    zoom: np.ndarray  # (T,) relative to the first frame
    floor_row: np.ndarray  # (T,) pixels (y down) of the floor line
    floor_seen: np.ndarray  # (T,) bool: the floor line was found in the frame (not out of view)
    floor_moved: np.ndarray  # (T,) row of the first frame's floor line moved by the camera, NaN
    # where the first frame shows no floor line


@dataclass(frozen=True, kw_only=True)
class _Features:
    sky: np.ndarray  # (T, W) skyline row (pixels, y down), NaN where not read
    sky_spread: np.ndarray  # (T, W) pixels
    sky_ref: np.ndarray  # (W,) the first frame's skyline with short gaps bridged (a step's columns)
    floor: np.ndarray  # (T,) floor line row
    floor_seen: np.ndarray  # (T,) bool
    seams: list[np.ndarray]  # per frame: column centres (pixels) of the floor's seams
    edges: list[tuple[np.ndarray, np.ndarray]]  # per frame: occluder (left, right) edges, pixels


def _smooth(luma: np.ndarray, bg: np.ndarray) -> np.ndarray:
    """Luma (T, H, W) after a 3x3 median (stars, film grain, paper) and a Gaussian blur of
    SKY_BLUR (at 64 px wide) within the background pixels `bg`."""
    from scipy import ndimage

    sig = SKY_BLUR * luma.shape[2] / 64
    okf = bg.astype(np.float64)
    med = ndimage.median_filter(luma, size=(1, 3, 3))
    blur = ndimage.gaussian_filter(med * okf, (0, sig, sig))
    return blur / np.maximum(ndimage.gaussian_filter(okf, (0, sig, sig)), 1e-6)


def _floor_row(sm: np.ndarray, bg: np.ndarray, nominal: float) -> tuple[np.ndarray, np.ndarray]:
    """Row (pixels, y down) of the floor line per frame in smoothed luma: the strongest row edge
    within FLOOR_SEARCH of `nominal` in the first frame, then of the previous frame's row; and
    whether it was seen (False once the line leaves the frame, or where its edge does not stand
    FLOOR_CONTRAST times above the other rows searched)."""
    import warnings

    t, h, w = sm.shape
    both = bg[:, 1:] & bg[:, :-1]
    g = np.where(both, np.abs(np.diff(sm, axis=1)), np.nan)  # (T, H-1, W)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # rows with no background pixel
        prof = np.nanmedian(g, axis=2)  # (T, H-1): edge between rows i and i + 1
    prof = np.where(both.sum(2) >= FLOOR_MIN_COLUMNS * w, prof, 0.0)
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
            around = np.delete(seg, [i - 2, i - 1, i, i + 1, i + 2]) if 1 < i < len(seg) - 2 else seg[:0]
            if len(around) and b < FLOOR_CONTRAST * (np.median(around) + 1e-3):
                seen[k] = False  # no edge stands out: the line is too faint to read here
        else:
            seen[k] = False  # the best edge is at the end of the search: the line is not in reach
        out[k] = centre = lo + i + off + 1.0
    return out, np.logical_and.accumulate(seen)  # once lost, the search follows any edge near


def _skyline(sm: np.ndarray, bg: np.ndarray, floor: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Row (T, W) of the far layer's top edge per column, NaN where no edge is read: the lowest
    vertical luma step of the clip's sign above the floor line, between background pixels, at
    least SKY_LOWEST of the column's strongest (the far layer is the last thing above the floor:
    steps higher up are the sky's own, such as a palette's bands), in smoothed luma; and the
    spread of each reading (T, W) pixels, SIGMA_SKY or more where the step stands less than
    SKY_SNR times above the frame's noise (a faint edge is placed less surely)."""
    from scipy import ndimage

    t, h, w = sm.shape
    d = np.diff(sm, axis=1)  # (T, H-1, W): step between rows i and i + 1, at y = i + 1
    near = ndimage.binary_erosion(bg, structure=np.ones((1, 5, 1), dtype=bool), border_value=1)
    valid = near[:, 1:] & near[:, :-1]
    y = np.arange(1, h)[None, :, None]  # (1, H-1, 1)
    limit = np.minimum(floor, h) - SKY_FLOOR_GAP * h / 64  # (T,) the row followed, seen or not
    valid &= y < limit[:, None, None]
    first = {sg: np.where(valid[0], sg * d[0], -np.inf).max(0) for sg in (1.0, -1.0)}  # (W,) each
    sign = max(first, key=lambda sg: np.median(first[sg]))  # far layer lighter or darker than sky
    s = np.where(valid, sign * d, -np.inf)  # (T, H-1, W)
    up = np.pad(s, ((0, 0), (1, 0), (0, 0)), constant_values=-np.inf)[:, :-1]
    down = np.pad(s, ((0, 0), (0, 1), (0, 0)), constant_values=-np.inf)[:, 1:]
    cand = (s >= up) & (s > down) & np.isfinite(up) & np.isfinite(down)  # peaks inside the search
    cand &= s >= SKY_MIN_EDGE
    # a step on one row across (nearly) the whole first frame is the screen-fixed sky's (a band of
    # a palette): the far layer's skyline always varies along the frame
    flat = cand[0].sum(1) >= SKY_FLAT * max(cand[0].any(0).sum(), 1)  # (H-1,)
    cand &= ~flat[None, :, None]
    top = np.where(cand, s, -np.inf).max(1, keepdims=True)  # (T, 1, W)
    cand &= s >= SKY_LOWEST * top
    i = (h - 2) - cand[:, ::-1].argmax(1)  # (T, W): the lowest candidate
    peak = np.where(cand.any(1), np.take_along_axis(s, i[:, None], 1)[:, 0], -np.inf)
    a = np.take_along_axis(s, np.clip(i - 1, 0, h - 2)[:, None], 1)[:, 0]
    c = np.take_along_axis(s, np.clip(i + 1, 0, h - 2)[:, None], 1)[:, 0]
    with np.errstate(invalid="ignore", divide="ignore"):  # -inf outside the search
        den = a - 2 * peak + c
        off = np.where(np.isfinite(a) & np.isfinite(c) & (den < 0), 0.5 * (a - c) / den, 0.0)
    ref = float(np.median(peak[0][np.isfinite(peak[0])])) if np.isfinite(peak[0]).any() else 0.0
    need = max(SKY_MIN_EDGE, SKY_REL_EDGE * ref)
    noise = np.array(
        [1.4826 * np.median(np.abs(d[k][valid[k]])) if valid[k].any() else 0.0 for k in range(t)]
    )
    snr = peak / np.maximum(noise[:, None], 1e-3)
    read = np.isfinite(peak) & (peak >= need) & (snr >= SKY_MIN_SNR)
    row = np.where(read, i + 1.0 + np.clip(off, -0.5, 0.5), np.nan)
    spread = SIGMA_SKY * h / 64 * np.maximum(1.0, SKY_SNR / np.maximum(snr, 1e-3))
    return _keep_runs(row, SKY_JOIN * h / 64, max(2, round(SKY_RUN * w / 64))), spread


def _bridge(row: np.ndarray, most: int) -> np.ndarray:
    """row (W,) with gaps of at most `most` columns between two readings filled by the nearer
    reading (where a skyline steps, the columns of the step are not read)."""
    out = row.copy()
    read = np.nonzero(~np.isnan(row))[0]
    for a, b in zip(read[:-1], read[1:], strict=True):
        if 1 < b - a <= most + 1:
            mid = (a + b) / 2
            for u in range(a + 1, b):
                out[u] = row[a] if u < mid else row[b]
    return out


def _keep_runs(row: np.ndarray, join: float, run: int) -> np.ndarray:
    """row (T, W) with NaN for readings outside runs of at least `run` neighbouring columns whose
    rows differ by at most `join` from one column to the next (a skyline is a connected line;
    texture and glows give scattered steps)."""
    out = row.copy()
    for k in range(len(row)):
        r = row[k]
        start = 0
        for u in range(1, len(r) + 1):
            if u == len(r) or not abs(r[u] - r[u - 1]) <= join:  # NaN ends a run too
                if u - start < run:
                    out[k, start:u] = np.nan
                start = u
    return out


def _seams(luma: np.ndarray, bg: np.ndarray, floor: np.ndarray) -> list[np.ndarray]:
    """Column centres (pixels) of the floor's seams per frame: columns of the floor strip (the
    whole rows below the floor line as followed, seen or faint) that stand SEAM_SIGMA noise
    deviations darker, or brighter (whichever the clip shows more), than the columns around."""
    t, h, w = luma.shape
    rows = np.arange(h)[None, :, None]
    strip = bg & (rows >= np.ceil(floor)[:, None, None])
    n = strip.sum(1)  # (T, W)
    prof = np.where(n >= 2, (luma * strip).sum(1) / np.maximum(n, 1), np.nan)  # (T, W)
    pad = np.pad(prof, ((0, 0), (3, 3)), constant_values=np.nan)
    win = np.lib.stride_tricks.sliding_window_view(pad, 7, axis=1)  # (T, W, 7)
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # columns with no floor pixel
        dev = prof - np.nanmedian(win, axis=2)
        noise = 1.4826 * np.nanmedian(np.abs(dev), axis=1, keepdims=True)  # (T, 1)
    thresh = np.maximum(SEAM_SIGMA * noise, 1.0)
    strong = {s: np.nan_to_num(s * dev) > thresh for s in (1.0, -1.0)}
    sign = 1.0 if strong[1.0].sum() > strong[-1.0].sum() else -1.0
    out = []
    for k in range(t):
        e = np.nan_to_num(sign * dev[k], nan=-np.inf)
        hit = strong[sign][k].copy()
        hit[1:] &= e[1:] >= e[:-1]
        hit[:-1] &= e[:-1] > e[1:]
        out.append(np.nonzero(hit)[0] + 0.5)
    return out


def _occluders(classes: np.ndarray) -> np.ndarray:
    """(T, H, W) bool: occluder-coloured regions of at least OCCLUDER_MIN_FRACTION of the frame
    (smaller ones are texture of that colour, such as a floor's seams in pencil)."""
    from scipy import ndimage

    t, h, w = classes.shape
    out = np.zeros(classes.shape, dtype=bool)
    for k in range(t):
        labels, n = ndimage.label(classes[k] == OCCLUDER_CLASS)
        if n:
            big = np.bincount(labels.reshape(-1), minlength=n + 1) >= OCCLUDER_MIN_FRACTION * h * w
            big[0] = False
            out[k] = big[labels]
    return out


def _occluder_edges(occ: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
    """(left, right) edge columns (pixels, the boundary between two columns) of occluders (T, H, W)
    per frame, where a run of occluder columns starts or ends inside the frame."""
    out = []
    for k in range(len(occ)):
        cols = occ[k].sum(0)  # (W,) occluder pixels per column
        on = cols >= 0.5 * cols.max() if cols.max() > 0 else np.zeros(len(cols), dtype=bool)
        step = np.diff(on.astype(int))  # (W-1,): +1 where a run starts at column i + 1
        out.append((np.nonzero(step > 0)[0] + 1.0, np.nonzero(step < 0)[0] + 1.0))
    return out


def _last_seen(floor: np.ndarray, seen: np.ndarray) -> np.ndarray:
    """floor (T,) rows where `seen`, and after the line is lost its last row seen (what the
    search follows once it is lost need not be the floor; where it was never seen, that)."""
    if not seen[0]:
        return floor
    last = int(np.nonzero(seen)[0][-1])
    return np.where(seen, floor, floor[last])


def _features(frames: np.ndarray, classes: np.ndarray, style: str) -> _Features:
    from scipy import ndimage

    t, h, w, _ = frames.shape
    luma = frames.astype(np.float64) @ np.array([0.3, 0.59, 0.11])
    occ = _occluders(classes)
    thing = (classes != BACKGROUND_CLASS) & ((classes != OCCLUDER_CLASS) | occ)
    eight = np.ones((1, 3, 3), dtype=bool)
    plain = ~ndimage.binary_dilation(thing, structure=eight)
    # soft rims and outlines around objects are not background, nor (for the faint skyline) glows
    rim = max(2, round(w / 32))
    bg = ~ndimage.binary_dilation(thing, structure=eight, iterations=rim)
    floor, seen = _floor_row(_smooth(luma, bg), bg, h * (1 - FLOOR_VIEW_FRACTION))
    if margin_px(style) > rim:
        bg = ~ndimage.binary_dilation(thing, structure=eight, iterations=margin_px(style))
    sky, sky_spread = _skyline(_smooth(luma, bg), bg, _last_seen(floor, seen))
    return _Features(
        sky=sky,
        sky_spread=sky_spread,
        sky_ref=_bridge(sky[0], max(1, round(SKY_BRIDGE * w / 64))),
        floor=floor,
        floor_seen=seen,
        seams=_seams(luma, plain, floor),
        edges=_occluder_edges(occ),
    )


@dataclass(frozen=True, kw_only=True)
class _Match:
    """Which measurements of a frame pair with which of the first frame's, fixed at a camera
    guess so that the residuals are smooth in the camera while it is fitted."""

    sky: np.ndarray  # (W,) bool: columns read in this frame whose place in the first frame was read
    seam: np.ndarray  # (S,) which seam period (relative to the first frame's phase) each seam is
    edge: tuple[np.ndarray, np.ndarray]  # per side: index of the first frame's edge matched to each


def _warp(theta: np.ndarray, p: float, s0: float) -> tuple[float, float, float]:
    """(scale, shift x, shift y) in pixels of a layer with parallax p under camera theta."""
    ox, oy, lz = theta
    scale = 1 + p * (math.exp(lz) - 1)
    return scale, -p * ox * s0 * scale, p * oy * s0 * scale


def _sky_back(theta: np.ndarray, f: _Features, w: int) -> np.ndarray:
    """(W,) where each column of a frame under camera theta was in the first frame (pixels)."""
    scale, sx, _ = _warp(theta, PARALLAX, w / WORLD_WIDTH)
    return w / 2 + (np.arange(w) + 0.5 - w / 2 - sx) / scale


def _seam_x(theta: np.ndarray, f: _Features, k: int, w: int) -> np.ndarray:
    """Seams of frame k in first-frame world x relative to the first frame's seam phase, in
    seam periods."""
    s0 = w / WORLD_WIDTH
    x0 = (f.seams[0] - w / 2) / s0 * (2 * np.pi / SEAM_PERIOD)
    phase = math.atan2(np.sin(x0).sum(), np.cos(x0).sum()) / (2 * np.pi)
    scale1, sx1, _ = _warp(theta, 1.0, s0)
    return (f.seams[k] - w / 2 - sx1) / (s0 * scale1) / SEAM_PERIOD - phase


def _edge_pred(theta: np.ndarray, f: _Features, side: int, w: int) -> np.ndarray:
    scale1, sx1, _ = _warp(theta, 1.0, w / WORLD_WIDTH)
    return w / 2 + (f.edges[0][side] - w / 2) * scale1 + sx1


def _match(theta: np.ndarray, f: _Features, k: int, w: int) -> _Match:
    u0 = _sky_back(theta, f, w)
    idx = np.floor(u0 - 0.5).astype(int)
    inside = (idx >= 0) & (idx + 1 < w)
    ref = ~np.isnan(f.sky_ref)
    sky = ~np.isnan(f.sky[k]) & inside
    sky[inside] &= ref[idx[inside]] & ref[idx[inside] + 1]
    seam = np.round(_seam_x(theta, f, k, w)) if len(f.seams[0]) else np.zeros(0)
    edge = []
    for side in (0, 1):
        e0, ek = f.edges[0][side], f.edges[k][side]
        if len(e0) and len(ek):
            edge.append(np.abs(ek[:, None] - _edge_pred(theta, f, side, w)[None]).argmin(1))
        else:
            edge.append(np.zeros(0, dtype=int))
    return _Match(sky=sky, seam=seam, edge=(edge[0], edge[1]))


def _residuals(theta: np.ndarray, f: _Features, k: int, w: int, h: int, m: _Match) -> np.ndarray:
    """Residuals (in spreads) of frame k's measurements under camera theta (ox, oy, log zoom)."""
    s0 = w / WORLD_WIDTH
    px = w / 64
    out = [np.zeros(0)]
    if m.sky.any():
        scale, _, sy = _warp(theta, PARALLAX, s0)
        read = ~np.isnan(f.sky_ref)
        cols = np.arange(w) + 0.5
        h0 = np.interp(_sky_back(theta, f, w)[m.sky], cols[read], f.sky_ref[read])
        pred = h / 2 + (h0 - h / 2) * scale + sy
        out.append((f.sky[k][m.sky] - pred) / f.sky_spread[k][m.sky])
    scale1, _, sy1 = _warp(theta, 1.0, s0)
    if f.floor_seen[0] and f.floor_seen[k]:
        pred = h / 2 + (f.floor[0] - h / 2) * scale1 + sy1
        out.append(np.array([(f.floor[k] - pred) / (SIGMA_FLOOR * px)]))
    if len(m.seam) and len(f.seams[k]):
        out.append((_seam_x(theta, f, k, w) - m.seam) * SEAM_PERIOD / SIGMA_SEAM)
    for side in (0, 1):
        if len(m.edge[side]):
            pred = _edge_pred(theta, f, side, w)[m.edge[side]]
            out.append((f.edges[k][side] - pred) / (SIGMA_OCCLUDER * px))
    return np.concatenate(out)


def _fit_frame(f: _Features, k: int, w: int, h: int, prior: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Camera (ox, oy, log zoom) of frame k: Gauss-Newton with Cauchy weights on the residuals
    and a Gaussian prior of spread PRIOR_STEP around `prior` (the frame before); measurements are
    matched afresh at every step, and a step moves at most twice the prior's spread. Also the
    precision (3,) with which the frame's readings alone give each (0 where they give none)."""
    step = np.asarray(PRIOR_STEP)
    theta = prior.copy()
    for _ in range(FIT_STEPS):
        m = _match(theta, f, k, w)
        r = _residuals(theta, f, k, w, h, m)
        jac = np.empty((len(r), 3))
        for j in range(3):
            e = np.zeros(3)
            e[j] = 1e-3 * step[j]
            jac[:, j] = (_residuals(theta + e, f, k, w, h, m) - _residuals(theta - e, f, k, w, h, m)) / (
                2 * e[j]
            )
        wts = 1.0 / (1.0 + (r / ROBUST_SCALE) ** 2)
        a = jac.T @ (wts[:, None] * jac) + np.diag(1.0 / step**2)
        b = jac.T @ (wts * r) + (theta - prior) / step**2
        delta = np.clip(-np.linalg.solve(a, b), -2 * step, 2 * step)
        theta = theta + delta
        if np.all(np.abs(delta) < 1e-3 * step):
            break
    info = jac.T @ (wts[:, None] * jac)  # what the readings alone tell of the camera
    prec = 1.0 / np.diag(np.linalg.inv(info + 1e-9 * np.eye(3)))  # marginal precision per parameter
    return theta, prec


def _robust_line(values: np.ndarray, prec: np.ndarray | None = None) -> np.ndarray:
    """values (T,) replaced by a line in time through 0 at the first frame, fitted with Huber
    weights (outlying frames do not bend it) and each frame weighed by its readings' precision
    `prec` (T,) (default equal; a frame with no reading has none)."""
    t_len = len(values)
    prec = np.ones(t_len) if prec is None else prec
    use = prec[1:] > 0
    if t_len < 3 or not use.any():
        return np.zeros(t_len)
    t = np.nonzero(use)[0][:, None] + 1.0  # (K, 1) frames used
    y = values[1:][use] - values[0]
    base = np.sqrt(prec[1:][use] / prec[1:][use].max())
    wts = base.copy()
    coef = np.zeros(1)
    for _ in range(6):
        coef, *_ = np.linalg.lstsq(t * wts[:, None], y * wts, rcond=None)
        res = np.abs(y - t @ coef) * base
        scale = max(1.4826 * float(np.median(res)), 1e-6)
        wts = base * np.sqrt(np.minimum(1.0, 1.5 * scale / np.maximum(res, 1e-12)))
    return np.arange(t_len) * coef[0]


def estimate_camera(frames: np.ndarray, classes: np.ndarray, style: str) -> Camera:
    """The camera of (T, H, W, 3) uint8 frames given the parser's class map and the clip's style
    (see the module doc)."""
    t, h, w, _ = frames.shape
    f = _features(frames, classes, style)
    theta = np.zeros((t, 3))  # ox, oy, log zoom per frame
    prec = np.ones((t, 3))  # their precision from the frame's readings
    for k in range(1, t):
        theta[k], prec[k] = _fit_frame(f, k, w, h, theta[k - 1])
    offset = np.stack([_robust_line(theta[:, 0], prec[:, 0]), _robust_line(theta[:, 1], prec[:, 1])], 1)
    zoom = np.exp(_robust_line(theta[:, 2], prec[:, 2]))
    moved = np.full(t, np.nan)
    if f.floor_seen[0]:
        moved = h / 2 + (f.floor[0] - h / 2) * zoom + offset[:, 1] * (w / WORLD_WIDTH) * zoom
    return Camera(offset=offset, zoom=zoom, floor_row=f.floor, floor_seen=f.floor_seen, floor_moved=moved)
