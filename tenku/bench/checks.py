"""The checks: a parsed video against its item's scene spec and ground-truth state.

Each check is a function `(ctx: Context) -> list[float]` (`context.Context`) returning one sample
per thing it can judge in the item (an object, a pair, the clip) and nothing where it does not
apply. Samples of "rate" checks are 1.0 (pass) or 0.0 (fail); samples of "error" checks are
errors in the unit the check names. `CHECKS` lists them in report order; `run_checks(ctx)` runs
them all. This module holds attributes, count and instances, relations, camera, consistency and
style; `physics_checks` holds motion, gravity and bounce, collisions and permanence.

In text-to-video mode (`ctx.start == 0`) the video must satisfy the spec's invariants: colours,
shapes, sizes, count, relations, the direction and speed word of each motion, gravity, bounces,
style, camera. Where the spec leaves a time free (when an object reaches a wall, a floor or an
occluder), the ground-truth state of the item supplies it. In conditioned-continuation mode
(`ctx.start == k`) only frames from k on are scored and uniform motion is compared with the
deterministic ground truth, frame for frame (the protocol of Kang et al. 2024: velocity error in
world units per second).

Scope notes, by design: objects are asked for where the ground truth shows them at a detectable
size (`Context.seen`, `Context.shown`); the background is scored only for styles that keep the
background's colours (the neon and pencil styles repaint every background alike); shapes and
sizes only for objects large enough to resolve in the ground truth (`parse.SHAPE_MIN_RADIUS`
blocks; `Context.resolvable`); see `physics_checks` for motion and gravity.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from tenku.bench.context import MIN_TRACK_FRAMES, SPECK_AREA, ZOOM_CAMERAS, Context, associate
from tenku.bench.items import Item
from tenku.bench.motion import nearest_name
from tenku.bench.parse import AREA_FACTOR, ParsedVideo, Track
from tenku.bench.physics_checks import (
    check_apexes,
    check_direction,
    check_floor,
    check_gravity,
    check_gravity_error,
    check_permanence,
    check_restitution,
    check_speed,
    check_velocity,
    collision_metric,
)
from tenku.world import ALL_SIZES

MIN_TRACK_AREA = 0.45  # tracks under this fraction of the smallest object's area are specks, not objects
RELATION_MARGIN = 0.3  # world units objects must be apart for a left/right/above/below relation
BACKGROUND_STYLES = ("flat", "watercolor", "documentary", "pixel")  # styles that keep backgrounds
CONSISTENT_AREA = 2.0  # a subject's visible area stays within this factor of its median
CONSISTENT_EDGE = 1.0  # or within this many pixels of its median shape's rim moved all around
# (the pixel grid alone moves a small object's area by more than a factor 2)


@dataclass(frozen=True, kw_only=True)
class Check:
    name: str
    kind: str  # "rate" (pass fraction) or "error" (mean error)
    unit: str  # of error checks
    what: str  # one line for the report
    fn: Callable[[Context], list[float]]


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


# ---- camera, style ----


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
        fn=collision_metric("velocity"),
    ),
    Check(
        name="collision_momentum",
        kind="error",
        unit="rel",
        what="momentum change across a collision",
        fn=collision_metric("momentum"),
    ),
    Check(
        name="collision_energy",
        kind="error",
        unit="rel",
        what="kinetic energy change across a collision",
        fn=collision_metric("energy"),
    ),
    Check(
        name="no_overlap",
        kind="rate",
        unit="",
        what="colliding objects do not interpenetrate",
        fn=collision_metric("overlap"),
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
