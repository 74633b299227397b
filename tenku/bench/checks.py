"""The checks: a parsed video against its item's scene spec and ground-truth state.

Each check is a function `(ctx: Context) -> list[float]` returning one sample per thing it can
judge in the item (an object, a pair, the clip) and nothing where it does not apply. Samples of
"rate" checks are 1.0 (pass) or 0.0 (fail); samples of "error" checks are errors in the unit the
check names. `CHECKS` lists them in report order; `run_checks(ctx)` runs them all.

In text-to-video mode (`ctx.start == 0`) the video must satisfy the spec's invariants: colours,
shapes, sizes, count, relations, the direction and speed word of each motion, gravity, bounces,
style, camera. Where the spec leaves a time free (when an object reaches a wall, a floor or an
occluder), the ground-truth state of the item supplies it. In conditioned-continuation mode
(`ctx.start == k`) only frames from k on are scored and uniform motion is compared with the
deterministic ground truth, frame for frame (the protocol of Kang et al. 2024: velocity error in
world units per second).

Scope notes, by design: uniform-motion velocity error is measured on still-camera scenes (as in
Kang et al.) over windows long enough for the parser's own position noise (`VELOCITY_RESOLVE`);
objects are asked for where the ground truth shows them at a detectable size (`Context.seen`,
`Context.shown`); gravity is fitted in screen coordinates, which a pan does not bend, and not under
zoom; the background is scored only for styles that keep the background's colours (the neon and
pencil styles repaint every background alike); shapes and sizes only for objects large enough
to resolve in the ground truth (`parse.SHAPE_MIN_RADIUS` blocks; `Context.resolvable`).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from tenku.bench.classify import classifiers
from tenku.bench.items import Item
from tenku.bench.motion import (
    fit_gravity,
    fit_state,
    fit_velocity,
    flying,
    gt_events,
    hidden_spans,
    nearest_direction,
    nearest_name,
    pair_collisions,
    segments,
)
from tenku.bench.parse import AREA_FACTOR, MIN_AREA_FRACTION, SHAPE_MIN_RADIUS, ParsedVideo, Track
from tenku.world import ALL_SIZES, ALL_SPEEDS, BOUNCINESS, DIRECTIONS, GRAVITY
from tenku.world.styles import pixel_block

MIN_TRACK_FRAMES = 0.15  # tracks shorter than this fraction of the clip are not counted as objects
MIN_TRACK_AREA = 0.45  # nor tracks under this fraction of the smallest object's area (outline specks)
VELOCITY_RESOLVE = 0.02  # world units / s: uniform motion is scored over steady windows where the
# parser's own position noise (`Classifiers.centroid_noise` of the style, fitted on renders) moves
# the fitted velocity by at most this (1 sd): the noise alone would otherwise hide the bar of 0.02
STEADY_VISIBLE = 0.98  # frames where an object is at least this visible give clean positions
MIN_DISPLACEMENT = 0.15  # world units: less than this over a window reads as "not moving"
GRAVITY_TOLERANCE = 0.2  # fitted g within 20 % of the world's
GRAVITY_RESOLVE = 0.1  # g is scored where pixel quantisation alone moves it by at most this (1 sd):
# the tolerance is then two standard deviations of the grid's own effect on the fit
PENETRATION_TOLERANCE = 0.12  # world units below the floor line allowed (plus 1.5 pixels)
APEX_TOLERANCE = 0.12  # world units an apex may rise (plus 1.5 pixels)
PERMANENCE_FRAMES = 2  # an object must reappear within this many frames of the ground truth
GHOST_MARGIN = 1  # frames at each end of a hidden span where a detection is not a ghost
RELATION_MARGIN = 0.3  # world units objects must be apart for a left/right/above/below relation
BACKGROUND_STYLES = ("flat", "watercolor", "documentary", "pixel")  # styles that keep backgrounds
CONSISTENT_AREA = 2.0  # a subject's visible area stays within this factor of its median
CONSISTENT_EDGE = 1.0  # or within this many pixels of its median shape's rim moved all around
# (the pixel grid alone moves a small object's area by more than a factor 2)
ZOOM_CAMERAS = ("zoom-in", "zoom-out")
# Areas as multiples of the parser's smallest detection (`parse.MIN_AREA_FRACTION`, 2 pixels at
# least) that an object shows in the ground truth:
SEEN_AREA = 1.5  # where a video must show it (smaller, shrunk or hidden to a speck, it is not asked)
SPECK_AREA = 3.0  # where its track may end (the parser loses a speck this small) and relations are judged


@dataclass(frozen=True, kw_only=True)
class Context:
    item: Item
    parsed: ParsedVideo
    match: tuple[int | None, ...]  # per spec object: index of its track in parsed.tracks
    start: int = 0  # first scored frame (k in conditioned continuation)

    def track(self, n: int) -> Track | None:
        k = self.match[n]
        return None if k is None else self.parsed.tracks[k]

    def shown(self, n: int, *, area: float = SEEN_AREA) -> np.ndarray:
        """(T,) frames where the ground truth shows object n (visible fraction above 0.1) at
        least `area` times the parser's smallest detection."""
        st = self.item.state
        p = self.parsed
        smallest = max(2.0, MIN_AREA_FRACTION * p.width * p.height)
        return (st.visible_fraction[:, n] > 0.1) & (st.masks[:, n].sum((1, 2)) >= area * smallest)

    def resolvable(self, n: int) -> bool:
        """The ground truth shows object n whole, somewhere, with a radius of SHAPE_MIN_RADIUS
        blocks: large enough that its shape and size must be told (the item decides, not the
        video: a video that draws it smaller is judged all the same)."""
        st = self.item.state
        block = pixel_block(self.item.spec.style, self.parsed.width)
        whole = self.shown(n) & (st.visible_fraction[:, n] >= STEADY_VISIBLE)
        radius = st.radius_world[:, n] * self.parsed.px_per_unit * st.camera_zoom  # (T,) pixels
        return bool(whole.any() and radius[whole].max() >= SHAPE_MIN_RADIUS * block)

    def seen(self, n: int) -> bool:
        """The ground truth shows object n in enough frames from `start` to count it."""
        need = max(2, math.ceil(MIN_TRACK_FRAMES * self.parsed.frames))
        return int(self.shown(n)[self.start :].sum()) >= need

    def world(self, track: Track, *, camera: bool = True) -> np.ndarray:
        """(T, 2) world positions of a track (NaN where absent)."""
        return self.parsed.to_world(track.centroid, camera=camera)

    def clean(self, n: int, track: Track, *, merged: bool = False) -> np.ndarray:
        """(T,) frames from `start` where object n is fully visible and its track clean (not at
        the frame's edge or, unless `merged`, split from a blob shared with a twin). An object
        the world shows whole beside an occluder is clean: what the occluder hides is in the
        visible fraction, and a video that hides more of it is placed off by what it hides."""
        ok = (self.item.state.visible_fraction[:, n] >= STEADY_VISIBLE) & track.present
        ok &= ~track.at_edge
        if not merged:
            ok &= ~track.merged
        ok[: self.start] = False
        return ok


@dataclass(frozen=True, kw_only=True)
class Check:
    name: str
    kind: str  # "rate" (pass fraction) or "error" (mean error)
    unit: str  # of error checks
    what: str  # one line for the report
    fn: Callable[[Context], list[float]]


def associate(item: Item, parsed: ParsedVideo) -> tuple[int | None, ...]:
    """Match spec objects to tracks: same colour, then closest to the ground-truth path."""
    from scipy.optimize import linear_sum_assignment

    objs = item.spec.objects
    tracks = parsed.tracks
    cost = np.full((len(objs), max(1, len(tracks))), 1e9)
    gt = item.state.centroid_px  # (T, N, 2)
    for n, obj in enumerate(objs):
        for k, tr in enumerate(tracks):
            if tr.color != obj.color:
                continue
            d = np.linalg.norm(tr.centroid - gt[:, n], axis=1)  # (T,)
            both = tr.present & (item.state.visible_fraction[:, n] > 0.2)
            dist = float(np.nanmean(d[both])) / parsed.width if both.any() else 1.0
            shape_penalty = 0.5 if tr.resolved and tr.shape != obj.shape else 0.0
            cost[n, k] = dist + shape_penalty - 0.3 * tr.present.mean()
    match: list[int | None] = [None] * len(objs)
    if tracks:
        rows, cols = linear_sum_assignment(cost)
        for n, k in zip(rows, cols, strict=True):
            if cost[n, k] < 1e9:
                match[n] = int(k)
    return tuple(match)


# ---- attributes, count, relations ----


def check_color(ctx: Context) -> list[float]:
    """Each object the ground truth shows (`Context.seen`) has a track of its colour."""
    return [float(k is not None) for n, k in enumerate(ctx.match) if ctx.seen(n)]


def check_shape(ctx: Context) -> list[float]:
    """The shape of each object the ground truth shows large enough to resolve (`resolvable`)."""
    out = []
    for n, obj in enumerate(ctx.item.spec.objects):
        if ctx.seen(n) and ctx.resolvable(n):
            tr = ctx.track(n)
            out.append(0.0 if tr is None else float(tr.shape == obj.shape))
    return out


def check_size(ctx: Context) -> list[float]:
    if ctx.item.spec.camera in ZOOM_CAMERAS:
        return []
    out = []
    for n, obj in enumerate(ctx.item.spec.objects):
        if obj.motion in ("growing", "shrinking") or not (ctx.seen(n) and ctx.resolvable(n)):
            continue
        tr = ctx.track(n)
        if tr is None:
            out.append(0.0)
        else:
            radius = tr.radius_px / ctx.parsed.px_per_unit
            out.append(float(nearest_name(radius, ALL_SIZES) == obj.size))
    return out


def _counted(ctx: Context) -> list[Track]:
    """Tracks long enough and large enough to be objects (not specks: a track's largest views
    (90th percentile area) under MIN_TRACK_AREA of the largest view the ground truth gives the
    object it shows smallest; where it shows none, of the area the item's smallest size takes)."""
    need = max(2, math.ceil(MIN_TRACK_FRAMES * ctx.parsed.frames))
    views = [
        float(ctx.item.state.masks[ctx.shown(n), n].sum((1, 2)).max())
        for n in range(len(ctx.item.spec.objects))
        if ctx.seen(n)
    ]
    size = min(ALL_SIZES[o.size] for o in ctx.item.spec.objects)
    smallest = min(views) if views else min(AREA_FACTOR.values()) * (size * ctx.parsed.px_per_unit) ** 2
    return [
        tr
        for tr in ctx.parsed.tracks
        if tr.present[ctx.start :].sum() >= need
        and np.percentile(tr.area[tr.present], 90) >= MIN_TRACK_AREA * smallest
    ]


def _objects(tracks: list[Track]) -> int:
    """How many objects the tracks show: a track that starts by an occluder at most a frame
    before another of its colour ended by one continues it (an object that went behind it and
    came out again, read as a new track)."""
    ends: list[Track] = []  # the last track of each object so far
    for tr in sorted(tracks, key=lambda o: o.first):
        after = [
            k
            for k, e in enumerate(ends)
            if e.color == tr.color
            and e.near_occluder[e.last]
            and tr.near_occluder[tr.first]
            and tr.first >= e.last - 1
        ]
        if after:
            ends[after[0]] = tr
        else:
            ends.append(tr)
    return len(ends)


def check_count(ctx: Context) -> list[float]:
    """As many objects as the ground truth shows: at least those it shows at a detectable size
    (`Context.seen`), at most those it shows at all (a speck may or may not be read)."""
    need = max(2, math.ceil(MIN_TRACK_FRAMES * ctx.parsed.frames))
    n_obj = len(ctx.item.spec.objects)
    seen = sum(ctx.seen(n) for n in range(n_obj))
    shown = int(((ctx.item.state.visible_fraction[ctx.start :] > 0.1).sum(0) >= need).sum())
    return [float(seen <= _objects(_counted(ctx)) <= max(seen, shown))]


def _explained(ctx: Context, tr: Track, t: int, step: int, others: list[Track]) -> bool:
    """A track may start (step -1) or end (step +1) at frame t at the frame's edge, by an
    occluder, by a twin, or where the ground truth (nearly) hides its object at t + step (under
    half visible, or under SPECK_AREA: `Context.shown`; shrunk to a speck, outside the view:
    the spec leaves such times to the world)."""
    if tr.at_edge[t] or tr.near_occluder[t]:
        return True
    k = next(i for i, o in enumerate(ctx.parsed.tracks) if o is tr)
    if k in ctx.match and 0 <= t + step < ctx.parsed.frames:
        n = ctx.match.index(k)
        if ctx.item.state.visible_fraction[t + step, n] < 0.5 or not ctx.shown(n, area=SPECK_AREA)[t + step]:
            return True
    radius = math.sqrt(max(tr.area[t], 1.0))
    for o in others:
        for u in (t - 1, t, t + 1):
            if 0 <= u < len(o.present) and o.present[u] and o.color == tr.color:
                if math.dist(o.centroid[u], tr.centroid[t]) < 3 * radius + 2:
                    return True
    return False


def check_instances(ctx: Context) -> list[float]:
    """Nothing appears, vanishes or duplicates: every counted track starts at the first scored
    frame and ends at the last one, unless an edge, an occluder or a merge explains it."""
    tracks = _counted(ctx)
    last = ctx.parsed.frames - 1
    ok = True
    for tr in tracks:
        others = [o for o in ctx.parsed.tracks if o is not tr]
        present = np.nonzero(tr.present[ctx.start :])[0] + ctx.start
        first, end = int(present[0]), int(present[-1])
        if first > ctx.start and not _explained(ctx, tr, first, -1, others):
            ok = False
        if end < last and not _explained(ctx, tr, end, 1, others):
            ok = False
    return [float(ok)]


def _relation(a: np.ndarray, b: np.ndarray, ra: float, rb: float) -> tuple[int, int]:
    """(horizontal, vertical) relation of a to b: -1 left/below, +1 right/above, 0 unclear."""
    gap = ra + rb + RELATION_MARGIN
    hx = int(np.sign(a[0] - b[0])) if abs(a[0] - b[0]) > gap else 0
    vy = int(np.sign(a[1] - b[1])) if abs(a[1] - b[1]) > gap else 0
    return hx, vy


def check_relations(ctx: Context) -> list[float]:
    """Left/right/above/below of each pair at the first and last scored frames the ground truth
    shows both (over half visible and at least SPECK_AREA)."""
    st = ctx.item.state
    out = []
    n_obj = len(ctx.item.spec.objects)
    for i in range(n_obj):
        for j in range(i + 1, n_obj):
            ti, tj = ctx.track(i), ctx.track(j)
            vis = (st.visible_fraction[:, i] > 0.5) & (st.visible_fraction[:, j] > 0.5)
            vis &= ctx.shown(i, area=SPECK_AREA) & ctx.shown(j, area=SPECK_AREA)
            vis[: ctx.start] = False
            frames = np.nonzero(vis)[0]
            if len(frames) == 0:
                continue
            for t in sorted({int(frames[0]), int(frames[-1])}):
                truth = _relation(
                    st.centroid_world[t, i],
                    st.centroid_world[t, j],
                    st.radius_world[t, i],
                    st.radius_world[t, j],
                )
                if truth == (0, 0):
                    continue
                if ti is None or tj is None or not (ti.present[t] and tj.present[t]):
                    out.append(0.0)
                    continue
                wi, wj = ctx.world(ti)[t], ctx.world(tj)[t]
                got = _relation(wi, wj, 0.0, 0.0)
                agree = all(g == w for g, w in zip(got, truth, strict=True) if w != 0)
                out.append(float(agree))
    return out


# ---- motion ----


def _window(ctx: Context, n: int, axes: tuple[int, ...]) -> np.ndarray:
    """Frames from `start` up to the first ground-truth velocity change on `axes` (bool (T,))."""
    ev = gt_events(ctx.item.state, n)  # (T-1, 2) bool: velocity changes between t and t+1
    t_len = ctx.parsed.frames
    end = t_len - 1
    for t in range(ctx.start, t_len - 1):
        if ev[t, list(axes)].any():
            end = t
            break
    win = np.zeros(t_len, dtype=bool)
    win[ctx.start : end + 1] = True
    return win


def _initial_velocity(ctx: Context, n: int, obj, *, camera: bool = True) -> np.ndarray | None:
    """Fitted velocity (2,) over the object's first clean window; None where the ground truth has
    under 3 clean frames there (not scored); NaN where the video's track does (a failure)."""
    gravity = obj.motion in ("thrown", "falling", "bouncing", "rolling")
    axes = (0,) if obj.motion in ("rolling", "bouncing") else (0, 1)
    win = _window(ctx, n, axes) & (ctx.item.state.visible_fraction[:, n] >= STEADY_VISIBLE)
    if win.sum() < 3:
        return None
    tr = ctx.track(n)
    if tr is None:
        return np.full(2, np.nan)
    use = win & ctx.clean(n, tr)
    if use.sum() < 3:  # a short window: frames split from a twin's blob are better than none
        use = win & ctx.clean(n, tr, merged=True)
    if use.sum() < 3:
        return np.full(2, np.nan)
    t = np.nonzero(use)[0]
    pos = ctx.world(tr, camera=camera)[t]
    return fit_velocity(
        t / ctx.parsed.fps, pos, gravity=GRAVITY if gravity else 0.0, t0=ctx.start / ctx.parsed.fps
    )


def check_direction(ctx: Context) -> list[float]:
    out = []
    for n, obj in enumerate(ctx.item.spec.objects):
        if obj.direction is None:
            continue
        v = _initial_velocity(ctx, n, obj)
        if v is None:
            continue
        if np.isnan(v).any():
            out.append(0.0)
            continue
        want = np.asarray(DIRECTIONS[obj.direction])
        if obj.motion in ("rolling", "bouncing"):
            out.append(float(abs(v[0]) * 0.5 > 0.1 and np.sign(v[0]) == np.sign(want[0])))
        else:
            out.append(float(np.linalg.norm(v) > 0.2 and nearest_direction(v) == obj.direction))
    return out


def check_speed(ctx: Context) -> list[float]:
    out = []
    for n, obj in enumerate(ctx.item.spec.objects):
        if obj.speed is None or obj.motion == "spinning":
            continue
        v = _initial_velocity(ctx, n, obj)
        if v is None:
            continue
        if np.isnan(v).any():
            out.append(0.0)
            continue
        speed = abs(v[0]) if obj.motion in ("rolling", "bouncing") else float(np.linalg.norm(v))
        out.append(float(nearest_name(speed, ALL_SPEEDS) == obj.speed))
    return out


def check_velocity(ctx: Context) -> list[float]:
    """Uniform motion: |fitted velocity - true velocity| (world units / s), still cameras, over
    steady windows long enough for the parser's noise (VELOCITY_RESOLVE; the item's style, size
    and window decide, not the video)."""
    if ctx.item.spec.camera != "still":
        return []
    out = []
    for n, obj in enumerate(ctx.item.spec.objects):
        if obj.motion != "moving" or ctx.track(n) is None:
            continue
        win = _window(ctx, n, (0, 1))
        steady = np.nonzero(win & (ctx.item.state.visible_fraction[:, n] >= STEADY_VISIBLE))[0]
        if len(steady) < 2:
            continue
        block = pixel_block(ctx.item.spec.style, ctx.parsed.width)
        noise = classifiers().centroid_noise[ctx.item.spec.style] * block / ctx.parsed.px_per_unit
        spread = math.sqrt(float(((steady - steady.mean()) ** 2).sum())) / ctx.parsed.fps  # seconds
        if noise / spread > VELOCITY_RESOLVE:
            continue
        v = _initial_velocity(ctx, n, obj, camera=False)
        if v is None or np.isnan(v).any():
            continue
        truth = ctx.item.state.velocity_world[np.nonzero(win)[0][0], n]
        out.append(float(np.linalg.norm(v - truth)))
    return out


def _gravity_fit(ctx: Context, n: int, *, resolved: bool = True):
    """The shared-g parabola fit of object n's airborne pieces (screen coordinates), or None
    where it does not apply; with `resolved`, also None where the frame's pixel grid alone
    (uniform quantisation of a block, sd block / sqrt(12)) would move g by more than
    GRAVITY_RESOLVE of g: too few or too short pieces to measure g at this resolution."""
    obj = ctx.item.spec.objects[n]
    tr = ctx.track(n)
    if (
        obj.motion not in ("falling", "thrown", "bouncing")
        or ctx.item.spec.camera in ZOOM_CAMERAS
        or tr is None
    ):
        return None
    pos = ctx.world(tr, camera=False)
    st = ctx.item.state
    segs = segments(
        pos[:, 1], ctx.clean(n, tr), gt_events(st, n)[:, 1], ctx.parsed.px_per_unit, flying(st, n)
    )
    fit = fit_gravity(segs, pos[:, 1], ctx.parsed.fps)
    if fit is None or not resolved:
        return fit
    block = pixel_block(ctx.parsed.style, ctx.parsed.width)
    noise = block / math.sqrt(12) / ctx.parsed.px_per_unit  # world units
    return fit if fit.noise_gain * noise <= GRAVITY_RESOLVE * GRAVITY else None


def check_gravity(ctx: Context) -> list[float]:
    out = []
    for n in range(len(ctx.item.spec.objects)):
        fit = _gravity_fit(ctx, n)
        if fit is not None:
            out.append(float(abs(fit.g / GRAVITY - 1) <= GRAVITY_TOLERANCE))
    return out


def check_gravity_error(ctx: Context) -> list[float]:
    out = []
    for n in range(len(ctx.item.spec.objects)):
        fit = _gravity_fit(ctx, n)
        if fit is not None:
            out.append(abs(fit.g / GRAVITY - 1))
    return out


def check_apexes(ctx: Context) -> list[float]:
    """Bounces lose height: each apex no higher than the one before (pixels tolerance). Apexes
    are fitted in screen coordinates and moved into the world by the parsed camera offset at
    their time (a pan lifts every later apex on screen)."""
    out = []
    tol = APEX_TOLERANCE + 1.5 / ctx.parsed.px_per_unit
    last = ctx.parsed.frames - 1
    for n in range(len(ctx.item.spec.objects)):
        fit = _gravity_fit(ctx, n, resolved=False)
        if fit is None or len(fit.apexes) < 2:
            continue
        oy = ctx.parsed.camera_offset[:, 1]
        heights = [
            y + float(np.interp(t * ctx.parsed.fps, np.arange(last + 1), oy))
            for y, t in zip(fit.apexes, fit.apex_times, strict=True)
        ]
        out.append(float(all(b <= a + tol for a, b in zip(heights, heights[1:], strict=False))))
    return out


def check_restitution(ctx: Context) -> list[float]:
    """|fitted restitution - the spec's|, from the vertical speeds just before and after a bounce."""
    out = []
    for n, obj in enumerate(ctx.item.spec.objects):
        fit = _gravity_fit(ctx, n)
        if fit is not None and fit.restitution is not None:
            out.append(abs(fit.restitution - BOUNCINESS[obj.bounciness]))
    return out


def check_floor(ctx: Context) -> list[float]:
    """No sinking: the lowest pixel of a falling or bouncing object never goes below the floor
    line, in the frames where the parser finds that line (a pan up or a zoom in carries it out
    of view)."""
    p = ctx.parsed
    tol = PENETRATION_TOLERANCE + 1.5 / p.px_per_unit
    out = []
    for n, obj in enumerate(ctx.item.spec.objects):
        tr = ctx.track(n)
        if obj.motion not in ("falling", "thrown", "bouncing", "rolling") or tr is None:
            continue
        ok = tr.present & p.floor_seen  # no floor line in view: nothing to sink into
        ok[: ctx.start] = False
        if not ok.any():
            continue
        below = (tr.bottom[ok] - p.floor_row[ok]) / (p.px_per_unit * p.camera_zoom[ok])
        out.append(float(below.max() <= tol))
    return out


# ---- collisions ----


def _collision_samples(ctx: Context) -> list[dict[str, float]]:
    out = []
    st = ctx.item.state
    for ev in pair_collisions(ctx.item.spec, st, start=ctx.start):
        i, j = ev.pair
        ti, tj = ctx.track(i), ctx.track(j)
        if ti is None or tj is None:
            out.append({"velocity": math.nan, "overlap": 0.0})
            continue
        fps = ctx.parsed.fps
        v, pe = {}, {}
        for side, (s_i, frames) in enumerate((("before", ev.before), ("after", ev.after))):
            for k, (n, tr) in enumerate(((i, ti), (j, tj))):
                ok = frames[ctx.clean(n, tr)[frames]]
                if len(ok) < 2:
                    break
                g = float(ev.gravity[side, k])
                pos, vel = fit_state(ok / fps, ctx.world(tr)[ok], gravity=g, t0=ev.time)
                v[s_i, n] = vel
                pe[s_i, n] = g * pos[1]  # potential energy per unit mass: the collision time
                # need not be known exactly, mechanical energy is conserved along free flight
        sample = {}
        if len(v) == 4:
            m = {n: st.radius_world[0, n] ** 2 for n in (i, j)}
            err = [np.linalg.norm(v["after", n] - ev.velocity_after[k]) for k, n in enumerate((i, j))]
            sample["velocity"] = float(np.mean(err))
            if ev.dynamic:
                p0 = sum(m[n] * v["before", n] for n in (i, j))
                p1 = sum(m[n] * v["after", n] for n in (i, j))
                k0 = sum(m[n] * v["before", n] @ v["before", n] / 2 for n in (i, j))
                e0 = k0 + sum(m[n] * pe["before", n] for n in (i, j))
                e1 = sum(m[n] * (v["after", n] @ v["after", n] / 2 + pe["after", n]) for n in (i, j))
                sample["momentum"] = float(np.linalg.norm(p1 - p0) / max(np.linalg.norm(p0), 1e-6))
                sample["energy"] = float(abs(e1 - e0) / max(k0, 1e-6))
        both = ti.present & tj.present
        both[: ctx.start] = False
        reach = (st.radius_world[:, i] + st.radius_world[:, j]) * ctx.parsed.px_per_unit
        dist = np.linalg.norm(ti.centroid - tj.centroid, axis=1)
        sample["overlap"] = float(not np.any(dist[both] < 0.6 * reach[both]))
        out.append(sample)
    return out


def _collision_metric(key: str) -> Callable[[Context], list[float]]:
    def fn(ctx: Context) -> list[float]:
        return [s[key] for s in _collision_samples(ctx) if key in s and not math.isnan(s[key])]

    fn.__name__ = f"check_collision_{key}"
    return fn


# ---- permanence, camera, style ----


def check_permanence(ctx: Context) -> list[float]:
    """An object hidden by an occluder reappears on time, in place, as itself; no ghosts meanwhile."""
    st = ctx.item.state
    out = []
    for n, obj in enumerate(ctx.item.spec.objects):
        for a, e, b in hidden_spans(ctx.item.spec, st, n, start=ctx.start):  # hidden a..e-1, back at b
            tr = ctx.track(n)
            if tr is None:
                out.append(0.0)
                continue
            twins = [
                o for k, o in enumerate(ctx.parsed.tracks) if o.color == obj.color and k not in ctx.match
            ]
            inside = range(a + GHOST_MARGIN, e - GHOST_MARGIN)
            ghost = any(o.present[t] for o in twins for t in inside)
            ghost |= any(tr.present[t] and not tr.near_occluder[t] for t in inside)
            back = [t for t in range(b, min(b + PERMANENCE_FRAMES + 1, ctx.parsed.frames)) if tr.present[t]]
            if ghost or not back:
                out.append(0.0)
                continue
            t1 = back[0]
            seen = np.nonzero(tr.present[:a] & ~tr.near_occluder[:a])[0]
            pos = ctx.world(tr)
            if len(seen):  # where it went in, moved on as the world moves it while hidden
                t0 = int(seen[-1])
                shift = st.centroid_world[t1, n, 0] - st.centroid_world[t0, n, 0]
                expect, travel = pos[t0, 0] + shift, abs(shift)
            else:
                expect, travel = st.centroid_world[t1, n, 0], 0.0
            tol = max(0.75, 0.3 * travel) + st.radius_world[t1, n]
            out.append(float(abs(pos[t1, 0] - expect) <= tol))
    return out


def camera_label(parsed: ParsedVideo) -> str:
    """ "still", "pan-*" or "zoom-*" from the parsed camera at the last frame."""
    z = math.log(parsed.camera_zoom[-1])
    dx, dy = parsed.camera_offset[-1]
    seconds = (parsed.frames - 1) / parsed.fps
    if abs(z) > 0.08 * seconds:
        return "zoom-in" if z > 0 else "zoom-out"
    if max(abs(dx), abs(dy)) < 0.25 * seconds:
        return "still"
    if abs(dx) >= abs(dy):
        return "pan-right" if dx > 0 else "pan-left"
    return "pan-up" if dy > 0 else "pan-down"


def check_camera(ctx: Context) -> list[float]:
    return [float(camera_label(ctx.parsed) == ctx.item.spec.camera)]


def check_consistency(ctx: Context) -> list[float]:
    """Background and subjects stay themselves: one background label across frames (styles that
    keep backgrounds) and every matched object's clean area within a factor CONSISTENT_AREA of its
    median, or within CONSISTENT_EDGE pixels of its rim (about a circle of the median's area)."""
    p = ctx.parsed
    ok = True
    if p.style in BACKGROUND_STYLES:
        ok = len(set(p.backgrounds[ctx.start :])) == 1
    if ctx.item.spec.camera not in ZOOM_CAMERAS:
        for n, obj in enumerate(ctx.item.spec.objects):
            tr = ctx.track(n)
            if tr is None or obj.motion in ("growing", "shrinking"):
                continue
            area = tr.area[ctx.clean(n, tr)]
            if len(area) < 3:
                continue
            med = float(np.median(area))
            slack = CONSISTENT_EDGE * 2 * math.sqrt(math.pi * med)  # pixels: its rim moved that far
            far = np.abs(area - med) > slack
            if np.any(far & ((area > CONSISTENT_AREA * med) | (area < med / CONSISTENT_AREA))):
                ok = False
    return [float(ok)]


def check_style(ctx: Context) -> list[float]:
    return [float(ctx.parsed.style == ctx.item.spec.style)]


def check_style_stable(ctx: Context) -> list[float]:
    return [float(len(set(ctx.parsed.styles[ctx.start :])) == 1)]


def check_background(ctx: Context) -> list[float]:
    if ctx.item.spec.style not in BACKGROUND_STYLES:
        return []
    return [float(ctx.parsed.background == ctx.item.spec.background)]


CHECKS: tuple[Check, ...] = (
    Check(name="color", kind="rate", unit="", what="each object's colour is present", fn=check_color),
    Check(name="shape", kind="rate", unit="", what="shape of each resolvable object", fn=check_shape),
    Check(name="size", kind="rate", unit="", what="size word of each resolvable object", fn=check_size),
    Check(name="count", kind="rate", unit="", what="exact number of objects", fn=check_count),
    Check(
        name="instances",
        kind="rate",
        unit="",
        what="nothing appears, vanishes or duplicates",
        fn=check_instances,
    ),
    Check(
        name="relations",
        kind="rate",
        unit="",
        what="left/right/above/below, first and last frame",
        fn=check_relations,
    ),
    Check(
        name="direction",
        kind="rate",
        unit="",
        what="motion direction, camera compensated",
        fn=check_direction,
    ),
    Check(name="speed", kind="rate", unit="", what="speed word, camera compensated", fn=check_speed),
    Check(
        name="velocity_error",
        kind="error",
        unit="units/s",
        what="uniform motion |v - v_true|",
        fn=check_velocity,
    ),
    Check(name="gravity", kind="rate", unit="", what="fitted g within 20 % of 9.81", fn=check_gravity),
    Check(name="gravity_error", kind="error", unit="rel", what="|g_fit / g - 1|", fn=check_gravity_error),
    Check(name="apexes", kind="rate", unit="", what="bounce apexes do not rise", fn=check_apexes),
    Check(name="restitution_error", kind="error", unit="", what="|e_fit - e|", fn=check_restitution),
    Check(name="floor", kind="rate", unit="", what="no sinking into the floor", fn=check_floor),
    Check(
        name="collision_velocity",
        kind="error",
        unit="units/s",
        what="post-collision velocity error",
        fn=_collision_metric("velocity"),
    ),
    Check(
        name="collision_momentum",
        kind="error",
        unit="rel",
        what="momentum change across a collision",
        fn=_collision_metric("momentum"),
    ),
    Check(
        name="collision_energy",
        kind="error",
        unit="rel",
        what="kinetic energy change across a collision",
        fn=_collision_metric("energy"),
    ),
    Check(
        name="no_overlap",
        kind="rate",
        unit="",
        what="colliding objects do not interpenetrate",
        fn=_collision_metric("overlap"),
    ),
    Check(
        name="permanence",
        kind="rate",
        unit="",
        what="occluded object back on time, in place, no ghosts",
        fn=check_permanence,
    ),
    Check(name="camera", kind="rate", unit="", what="camera still/pan/zoom and direction", fn=check_camera),
    Check(
        name="consistency",
        kind="rate",
        unit="",
        what="background and subjects stay consistent",
        fn=check_consistency,
    ),
    Check(name="style", kind="rate", unit="", what="requested style", fn=check_style),
    Check(name="style_stable", kind="rate", unit="", what="no style switch mid-clip", fn=check_style_stable),
    Check(name="background", kind="rate", unit="", what="requested background", fn=check_background),
)
CHECK_NAMES = tuple(c.name for c in CHECKS)


def run_checks(item: Item, parsed: ParsedVideo, *, start: int = 0) -> dict[str, list[float]]:
    """Every check's samples for one parsed video of `item`."""
    ctx = Context(item=item, parsed=parsed, match=associate(item, parsed), start=start)
    return {c.name: c.fn(ctx) for c in CHECKS}
