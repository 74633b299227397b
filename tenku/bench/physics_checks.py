"""The checks of how objects move and persist: motion binding, uniform motion, gravity and
bounce, collisions, object permanence (each `(ctx: Context) -> list[float]`, see `checks`).

Scope notes, by design: uniform-motion velocity error is measured on still-camera scenes (as in
Kang et al.) over windows long enough for the parser's own position noise (`VELOCITY_RESOLVE`);
gravity is fitted in screen coordinates, which a pan does not bend, and not under zoom, where
the frame's pixel grid resolves g (`GRAVITY_RESOLVE`).
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from tenku.bench.classify import classifiers
from tenku.bench.context import SPECK_AREA, STEADY_VISIBLE, ZOOM_CAMERAS, Context
from tenku.bench.motion import (
    fit_gravity,
    fit_state,
    fit_velocity,
    flying,
    gt_events,
    hidden_spans,
    nearest_direction,
    nearest_name,
    object_contacts,
    pair_collisions,
    segments,
)
from tenku.world import ALL_SPEEDS, BOUNCINESS, DIRECTIONS, GRAVITY
from tenku.world.styles import pixel_block

VELOCITY_RESOLVE = 0.02  # world units / s: uniform motion is scored over steady windows where the
# parser's own position noise (`Classifiers.position_noise` of the style and the object's radius,
# fitted on renders) moves the fitted velocity by at most this (1 sd): the noise alone would
# otherwise hide the bar of 0.02
OUTLIER_SIGMA = 4.0  # uniform motion: a frame this many noise deviations off the fit is a lost frame
OUTLIER_KEEP = 4  # ... dropped (one at most) only where more frames than this remain
GRAVITY_TOLERANCE = 0.2  # fitted g within 20 % of the world's
GRAVITY_RESOLVE = 0.1  # g is scored where pixel quantisation alone moves it by at most this (1 sd):
# the tolerance is then two standard deviations of the grid's own effect on the fit
PENETRATION_TOLERANCE = 0.12  # world units below the floor line allowed (plus 1.5 pixels)
APEX_TOLERANCE = 0.12  # world units an apex may rise (plus 1.5 pixels)
CONTINUATION_ANGLE = 45.0  # degrees a continued heading may turn from the truth's (one word's width)
CONTINUATION_SPEED = 0.25  # relative error a continued speed may have
PERMANENCE_FRAMES = 2  # an object must reappear within this many frames of the ground truth
GHOST_MARGIN = 1  # frames at each end of a hidden span where a detection is not a ghost


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


def _initial_velocity(
    ctx: Context, n: int, obj, *, camera: bool = True, outlier: float | None = None
) -> np.ndarray | None:
    """Fitted velocity (2,) over the object's first clean window; None where the ground truth has
    under 3 clean frames there, showing the object above a speck (not scored: the parser loses
    specks); NaN where the video's track does (a failure). With `outlier` (world units), the one
    frame farthest off the fit is dropped and the fit redone where it lies farther than that on
    an axis and more than OUTLIER_KEEP frames remain."""
    gravity = obj.motion in ("thrown", "falling", "bouncing", "rolling")
    if ctx.start:  # in continuation it may have landed by then
        gravity &= bool(flying(ctx.item.state, n)[ctx.start])
    axes = (0,) if obj.motion in ("rolling", "bouncing") else (0, 1)
    win = _window(ctx, n, axes) & (ctx.item.state.visible_fraction[:, n] >= STEADY_VISIBLE)
    win &= ctx.shown(n, area=SPECK_AREA)
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
    g, t0 = (GRAVITY if gravity else 0.0), ctx.start / ctx.parsed.fps
    p0, v = fit_state(t / ctx.parsed.fps, pos, gravity=g, t0=t0)
    if outlier is not None and len(t) > OUTLIER_KEEP:
        dt = (t / ctx.parsed.fps - t0)[:, None]
        off = np.abs(pos - (p0 + v * dt - np.array([0.0, 0.5 * g]) * dt**2)).max(1)
        if off.max() > outlier:
            keep = np.arange(len(t)) != int(off.argmax())
            v = fit_velocity(t[keep] / ctx.parsed.fps, pos[keep], gravity=g, t0=t0)
    return v


def _motion_words(ctx: Context, word: str):
    """(object, initial velocity, true velocity at `start`) of each object whose spec names `word`
    ("direction" or "speed") and that was tracked; the velocity is None when the track has no
    usable start (a failure)."""
    for n, obj in enumerate(ctx.item.spec.objects):
        if getattr(obj, word) is None or (word == "speed" and obj.motion == "spinning"):
            continue
        v = _initial_velocity(ctx, n, obj)
        if v is not None:
            yield obj, None if np.isnan(v).any() else v, ctx.item.state.velocity_world[ctx.start, n]


def _moving(v: np.ndarray, obj) -> bool:
    """A velocity fast enough to have a direction (the horizontal part alone for objects on or
    bouncing along the floor)."""
    return abs(v[0]) * 0.5 > 0.1 if obj.motion in ("rolling", "bouncing") else np.linalg.norm(v) > 0.2


def _speed(v: np.ndarray, obj) -> float:
    return abs(v[0]) if obj.motion in ("rolling", "bouncing") else float(np.linalg.norm(v))


def check_direction(ctx: Context) -> list[float]:
    """The prompt's direction word; in continuation, the way the ground truth moves where the
    given frames end (a bounce before them may have turned it), within CONTINUATION_ANGLE."""
    out = []
    for obj, v, truth in _motion_words(ctx, "direction"):
        if ctx.start and not _moving(truth, obj):
            continue  # stopped by the end of the given frames: no direction to keep
        if v is None:
            out.append(0.0)
        elif obj.motion in ("rolling", "bouncing"):
            want = truth[0] if ctx.start else DIRECTIONS[obj.direction][0]
            out.append(float(_moving(v, obj) and np.sign(v[0]) == np.sign(want)))
        elif ctx.start:  # a thrown object's heading turns as it flies: an angle, not a word
            cos = float(v @ truth) / (np.linalg.norm(v) * np.linalg.norm(truth) + 1e-9)
            out.append(float(_moving(v, obj) and cos >= math.cos(math.radians(CONTINUATION_ANGLE))))
        else:
            out.append(float(_moving(v, obj) and nearest_direction(v) == obj.direction))
    return out


def check_speed(ctx: Context) -> list[float]:
    """The prompt's speed word; in continuation, the ground truth's speed where the given frames
    end (rolling slows it, a throw changes it), within CONTINUATION_SPEED or the same word."""
    out = []
    for obj, v, truth in _motion_words(ctx, "speed"):
        if ctx.start and not _moving(truth, obj):
            continue  # stopped by the end of the given frames, or at the top of a throw
        if v is None:
            out.append(0.0)
            continue
        speed = _speed(v, obj)
        if ctx.start:  # the speed it has there, which may lie between two words
            want = _speed(truth, obj)
            ok = abs(speed - want) <= CONTINUATION_SPEED * want
            out.append(float(ok or nearest_name(speed, ALL_SPEEDS) == nearest_name(want, ALL_SPEEDS)))
        else:
            out.append(float(nearest_name(speed, ALL_SPEEDS) == obj.speed))
    return out


def check_velocity(ctx: Context) -> list[float]:
    """Uniform motion: |fitted velocity - true velocity| (world units / s), still cameras (not
    the documentary style's handheld shake either), over steady windows long enough for the
    parser's noise (VELOCITY_RESOLVE; the item's style, size and window decide, not the video)."""
    st = ctx.item.state
    if ctx.item.spec.camera != "still" or np.abs(st.camera_offset).max() > 0 or np.ptp(st.camera_zoom) > 0:
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
        radius = float(np.median(np.ptp(st.bbox_px[steady, n][:, [0, 2]], axis=1))) / 2 / block
        noise = classifiers().position_noise(ctx.item.spec.style, radius) * block / ctx.parsed.px_per_unit
        spread = math.sqrt(float(((steady - steady.mean()) ** 2).sum())) / ctx.parsed.fps  # seconds
        if noise / spread > VELOCITY_RESOLVE:
            continue
        v = _initial_velocity(ctx, n, obj, camera=False, outlier=OUTLIER_SIGMA * noise)
        if v is None or np.isnan(v).any():
            continue
        truth = ctx.item.state.velocity_world[np.nonzero(win)[0][0], n]
        out.append(float(np.linalg.norm(v - truth)))
    return out


def _gravity_pieces(ctx: Context, n: int, y: np.ndarray, clean: np.ndarray):
    """The shared-g parabola fit of the free-flight pieces of screen heights y (T,) (world
    units) over frames `clean`; None where it has too few points."""
    st = ctx.item.state
    contacts = object_contacts(st, n)  # a knock from another object bends the flight too
    segs = segments(y, clean, gt_events(st, n)[:, 1] | contacts, ctx.parsed.px_per_unit, flying(st, n))
    return fit_gravity(segs, y, ctx.parsed.fps, contacts)


def _resolves(ctx: Context, fit) -> bool:
    """The frame's pixel grid alone (uniform quantisation of a block, sd block / sqrt(12)) moves
    this fit's g by at most GRAVITY_RESOLVE of g."""
    block = pixel_block(ctx.item.spec.style, ctx.parsed.width)
    noise = block / math.sqrt(12) / ctx.parsed.px_per_unit  # world units
    return fit.noise_gain * noise <= GRAVITY_RESOLVE * GRAVITY


def _gravity_asked(ctx: Context, n: int) -> bool:
    """Object n falls, is thrown or bounces, under no zoom, and the ground truth's own positions
    over its fully visible frames give pieces that resolve g (`_resolves`): the item decides,
    not the video (a video that loses the object, or shows too little of its flight, fails)."""
    obj = ctx.item.spec.objects[n]
    if obj.motion not in ("falling", "thrown", "bouncing") or ctx.item.spec.camera in ZOOM_CAMERAS:
        return False
    st = ctx.item.state
    y = ctx.parsed.to_world(st.centroid_px[:, n], camera=False)[:, 1]
    clean = ctx.shown(n) & (st.visible_fraction[:, n] >= STEADY_VISIBLE)
    clean[: ctx.start] = False
    fit = _gravity_pieces(ctx, n, y, clean)
    return fit is not None and _resolves(ctx, fit)


def _gravity_fit(ctx: Context, n: int, *, resolved: bool = True):
    """The shared-g parabola fit of the video's track of object n (screen coordinates), or None
    where it does not apply or the track gives none; with `resolved`, also None where the
    frame's pixel grid alone would move g by more than GRAVITY_RESOLVE of g (`_resolves`)."""
    obj = ctx.item.spec.objects[n]
    tr = ctx.track(n)
    if (
        obj.motion not in ("falling", "thrown", "bouncing")
        or ctx.item.spec.camera in ZOOM_CAMERAS
        or tr is None
    ):
        return None
    y = ctx.world(tr, camera=False)[:, 1]
    fit = _gravity_pieces(ctx, n, y, ctx.clean(n, tr))
    if fit is None:  # too little flight: frames split from a twin's blob are better than none
        fit = _gravity_pieces(ctx, n, y, ctx.clean(n, tr, merged=True))
    if fit is None or not resolved:
        return fit
    return fit if _resolves(ctx, fit) else None


def check_gravity(ctx: Context) -> list[float]:
    """Where the ground truth resolves g (`_gravity_asked`): the video's track gives a fit whose
    g is within GRAVITY_TOLERANCE of the world's (no track, or too little flight to fit, fails;
    a fit over fewer clean frames than the ground truth's is noisier, and is judged all the
    same: requiring it to resolve g too failed the parser's own floor where it lost a frame)."""
    out = []
    for n in range(len(ctx.item.spec.objects)):
        if _gravity_asked(ctx, n):
            fit = _gravity_fit(ctx, n, resolved=False)
            out.append(float(fit is not None and abs(fit.g / GRAVITY - 1) <= GRAVITY_TOLERANCE))
    return out


def check_gravity_error(ctx: Context) -> list[float]:
    """|fitted g / world g - 1| where the ground truth resolves g and so does the video's fit."""
    out = []
    for n in range(len(ctx.item.spec.objects)):
        fit = _gravity_fit(ctx, n) if _gravity_asked(ctx, n) else None
        if fit is not None:
            out.append(abs(fit.g / GRAVITY - 1))
    return out


def check_apexes(ctx: Context) -> list[float]:
    """Bounces lose height: each apex no higher than the one before (pixels tolerance), unless
    it touched another object in between (`object_contacts`: height may be gained there).
    Apexes are fitted in screen coordinates and moved into the world by the parsed camera offset
    at their time (a pan lifts every later apex on screen)."""
    out = []
    tol = APEX_TOLERANCE + 1.5 / ctx.parsed.px_per_unit
    fps = ctx.parsed.fps
    last = ctx.parsed.frames - 1
    for n in range(len(ctx.item.spec.objects)):
        fit = _gravity_fit(ctx, n, resolved=False)
        if fit is None or len(fit.apexes) < 2:
            continue
        oy = ctx.parsed.camera_offset[:, 1]
        heights = [
            y + float(np.interp(t * fps, np.arange(last + 1), oy))
            for y, t in zip(fit.apexes, fit.apex_times, strict=True)
        ]
        touched = object_contacts(ctx.item.state, n)
        pairs = [
            (a, b)
            for a, b, ta, tb in zip(heights, heights[1:], fit.apex_times, fit.apex_times[1:], strict=False)
            if not touched[max(int(math.floor(ta * fps)), 0) : int(math.ceil(tb * fps))].any()
        ]
        if pairs:
            out.append(float(all(b <= a + tol for a, b in pairs)))
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
    """Per collision of two objects the ground truth shows (`Context.shown`, in some frame before
    it and some frame after: not one hidden under the other or by an occluder, or a speck)."""
    out = []
    st = ctx.item.state
    for ev in pair_collisions(ctx.item.spec, st, start=ctx.start):
        i, j = ev.pair
        hit = min(max(1, math.ceil(ev.time * ctx.parsed.fps)), ctx.parsed.frames - 1)
        shown = [ctx.shown(n) for n in (i, j)]
        if not all(s[:hit].any() and s[hit:].any() for s in shown):
            continue
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


def collision_metric(key: str) -> Callable[[Context], list[float]]:
    def fn(ctx: Context) -> list[float]:
        return [s[key] for s in _collision_samples(ctx) if key in s and not math.isnan(s[key])]

    fn.__name__ = f"check_collision_{key}"
    return fn


# ---- permanence ----


def check_permanence(ctx: Context) -> list[float]:
    """An object hidden by an occluder reappears on time, in place, as itself; no ghosts meanwhile.
    Not asked of an object the ground truth brings back only as a speck (under SPECK_AREA in
    every frame it has to be back by: a tiny object that shrank while hidden)."""
    st = ctx.item.state
    out = []
    for n, obj in enumerate(ctx.item.spec.objects):
        clear = ctx.shown(n, area=SPECK_AREA)
        for a, e, b in hidden_spans(ctx.item.spec, st, n, start=ctx.start):  # hidden a..e-1, back at b
            if not clear[b : b + PERMANENCE_FRAMES + 1].any():
                continue
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
