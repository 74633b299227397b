"""Motion fits for the checks: velocities, shared-g parabolas, events in the ground truth.

- `fit_velocity(times, pos, gravity, t0)`: least-squares velocity at time t0 of points (K, 2),
  the vertical corrected by +gravity * (t - t0)^2 / 2 first (0 for motion without gravity).
- `segments` / `fit_gravity`: a track's vertical positions split into free-flight pieces (at the
  ground truth's velocity changes and at the track's own lowest points), one parabola per piece
  with a shared curvature: g = -2c, the apexes observed inside their pieces, and the restitution
  at a bounce between two pieces (speed after / speed before where the two parabolas meet).
- `gt_events`, `pair_collisions`, `hidden_spans`: when the ground truth changes velocity, when
  two objects collide, when an occluder hides an object.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from tenku.world import DIRECTIONS, GRAVITY, SceneSpec, WorldState
from tenku.world.physics import KINEMATIC_MOTIONS
from tenku.world.vocab import GRAVITY_MOTIONS

EVENT_DV = 0.1  # world units / s: a velocity change beyond free flight larger than this is an event
MIN_SEGMENT = 3  # frames in a free-flight piece used for the gravity fit
HIDDEN = 0.05  # visible fraction below which an object counts as hidden
BACK = 0.3  # visible fraction from which a hidden object counts as back


def nearest_name(value: float, table: dict[str, float]) -> str:
    """The name whose value is nearest in ratio (log distance) to `value`."""
    value = max(value, 1e-6)
    return min(table, key=lambda k: abs(math.log(value / table[k])))


def nearest_direction(v: np.ndarray) -> str:
    u = np.asarray(v, dtype=np.float64) / max(float(np.linalg.norm(v)), 1e-9)
    return max(DIRECTIONS, key=lambda k: float(np.dot(u, DIRECTIONS[k])))


def fit_velocity(times: np.ndarray, pos: np.ndarray, *, gravity: float, t0: float) -> np.ndarray:
    """Velocity (2,) at t0 from positions (K, 2) at times (K,) (K >= 2)."""
    dt = np.asarray(times, dtype=np.float64) - t0
    y = pos[:, 1] + 0.5 * gravity * dt**2
    a = np.stack([np.ones_like(dt), dt], 1)  # (K, 2)
    coef, *_ = np.linalg.lstsq(a, np.stack([pos[:, 0], y], 1), rcond=None)
    return coef[1]


def gt_events(state: WorldState, n: int) -> np.ndarray:
    """(T-1, 2) bool: object n's velocity changes between frames t and t+1 beyond free flight."""
    v = state.velocity_world[:, n]  # (T, 2)
    dv = np.diff(v, axis=0)  # (T-1, 2)
    dt = 1.0 / state.fps
    free_fall = np.abs(dv[:, 1] + state.gravity * dt) < EVENT_DV
    ev = np.abs(dv) > EVENT_DV
    ev[:, 1] &= ~free_fall
    return ev


def segments(y: np.ndarray, clean: np.ndarray, events: np.ndarray, px_per_unit: float) -> list[np.ndarray]:
    """Free-flight pieces (frame index arrays) of a vertical track y (T,), see the module doc."""
    t_len = len(y)
    cut = np.zeros(t_len, dtype=bool)  # cut[t]: a new piece starts at t
    cut[1:] |= events
    cut[1:] |= ~clean[:-1]
    drop = ~clean.copy()
    for t in range(1, t_len - 1):  # the track's own lowest points (bounces): drop and cut
        if clean[t - 1] and clean[t] and clean[t + 1] and y[t] < y[t - 1] and y[t] <= y[t + 1]:
            drop[t] = True
            cut[t] = cut[t + 1] = True
    pieces, cur = [], []
    for t in range(t_len):
        if cut[t] and cur:
            pieces.append(np.array(cur))
            cur = []
        if not drop[t]:
            cur.append(t)
    if cur:
        pieces.append(np.array(cur))
    min_range = 1.5 / px_per_unit
    return [p for p in pieces if len(p) >= MIN_SEGMENT and np.ptp(y[p]) >= min_range]


@dataclass(frozen=True, kw_only=True)
class GravityFit:
    g: float  # fitted downward acceleration, world units / s^2
    apexes: tuple[float, ...]  # heights of the apexes observed inside their pieces, in time order
    restitution: float | None  # speed after / before at the first bounce between two pieces


def fit_gravity(pieces: list[np.ndarray], y: np.ndarray, fps: float) -> GravityFit | None:
    """One parabola per piece with a shared curvature; None without enough points."""
    if not pieces or sum(len(p) for p in pieces) < 4:
        return None
    rows = sum(len(p) for p in pieces)
    a = np.zeros((rows, 2 * len(pieces) + 1))
    b = np.zeros(rows)
    r = 0
    for k, p in enumerate(pieces):
        t = p / fps
        a[r : r + len(p), 2 * k] = 1.0
        a[r : r + len(p), 2 * k + 1] = t
        a[r : r + len(p), -1] = t**2
        b[r : r + len(p)] = y[p]
        r += len(p)
    coef, *_ = np.linalg.lstsq(a, b, rcond=None)
    c = coef[-1]
    apexes = []
    for k, p in enumerate(pieces):
        if c < 0:
            tv = -coef[2 * k + 1] / (2 * c)
            if p[0] / fps - 0.5 / fps <= tv <= p[-1] / fps + 0.5 / fps:
                apexes.append(float(coef[2 * k] + coef[2 * k + 1] * tv + c * tv**2))
    restitution = None
    for k in range(len(pieces) - 1):
        if pieces[k + 1][0] - pieces[k][-1] > 3 or abs(coef[2 * k + 1] - coef[2 * k + 3]) < 1e-9:
            continue
        tc = (coef[2 * k + 2] - coef[2 * k]) / (coef[2 * k + 1] - coef[2 * k + 3])
        v0 = coef[2 * k + 1] + 2 * c * tc
        v1 = coef[2 * k + 3] + 2 * c * tc
        if v0 < 0 < v1:
            restitution = float(-v1 / v0)
            break
    return GravityFit(g=float(-2 * c), apexes=tuple(apexes), restitution=restitution)


@dataclass(frozen=True, kw_only=True)
class Collision:
    pair: tuple[int, int]
    time: float  # seconds, between the frames before and after
    before: np.ndarray  # frame indices of free motion before
    after: np.ndarray  # frame indices of free motion after
    velocity_after: np.ndarray  # (2, 2) true velocities of the pair just after, at `time`
    dynamic: bool  # both objects move (momentum and energy are conserved)


def pair_collisions(spec: SceneSpec, state: WorldState, *, start: int = 0) -> list[Collision]:
    """Object-object collisions in the ground truth with >= 2 frames of free motion each side."""
    t_len, n_obj = state.velocity_world.shape[:2]
    events = [gt_events(state, n).any(1) for n in range(n_obj)]  # (T-1,) each
    dt = 1.0 / state.fps
    out = []
    for i in range(n_obj):
        for j in range(i + 1, n_obj):
            kin = [spec.objects[k].motion in KINEMATIC_MOTIONS for k in (i, j)]
            if all(kin):
                continue
            for t in range(start, t_len - 1):
                if not any(events[k][t] for k, is_kin in zip((i, j), kin, strict=True) if not is_kin):
                    continue
                reach = state.radius_world[t, i] + state.radius_world[t, j]
                speed = np.linalg.norm(state.velocity_world[t, i]) + np.linalg.norm(
                    state.velocity_world[t, j]
                )
                gap = np.linalg.norm(state.centroid_world[t, i] - state.centroid_world[t, j])
                if gap > reach + speed * dt + 0.05:
                    continue
                either = events[i] | events[j]
                before = [u for u in range(t, start - 1, -1) if u == t or not either[u]]
                after = [u for u in range(t + 1, t_len) if not either[u - 1] or u == t + 1]
                before = _run(before)
                after = _run(after)
                if len(before) < 2 or len(after) < 2:
                    continue
                tc = (t + 0.5) * dt
                v_after = []
                for n in (i, j):
                    v = state.velocity_world[t + 1, n].copy()
                    if spec.objects[n].motion in GRAVITY_MOTIONS:
                        v[1] += GRAVITY * dt * 0.5
                    v_after.append(v)
                out.append(
                    Collision(
                        pair=(i, j),
                        time=tc,
                        before=np.array(sorted(before)),
                        after=np.array(after),
                        velocity_after=np.stack(v_after),
                        dynamic=not any(kin),
                    )
                )
    return out


def _run(frames: list[int]) -> list[int]:
    """The leading run of consecutive frames (ascending or descending) of a list."""
    out = frames[:1]
    for u in frames[1:]:
        if abs(u - out[-1]) != 1:
            break
        out.append(u)
    return out


def hidden_spans(spec: SceneSpec, state: WorldState, n: int, *, start: int = 0) -> list[tuple[int, int, int]]:
    """(first hidden, last hidden + 1, back) frames of each time an occluder hides object n
    completely after it was seen, and it comes back (visible >= BACK) at frame `back`."""
    if not spec.occluders:
        return []
    vis = state.visible_fraction[:, n]
    t_len = len(vis)
    h, w = state.masks.shape[-2:]
    cx, cy = state.centroid_px[:, n, 0], state.centroid_px[:, n, 1]
    in_view = (cx > 0) & (cx < w) & (cy > 0) & (cy < h)
    hidden = (vis < HIDDEN) & in_view
    out = []
    t = start + 1
    while t < t_len:
        if hidden[t] and vis[:t].max(initial=0.0) > 0.5 and vis[t - 1] >= HIDDEN:
            e = t
            while e + 1 < t_len and hidden[e + 1]:
                e += 1
            back = next((u for u in range(e + 1, t_len) if vis[u] >= BACK), None)
            if back is not None:
                out.append((t, e + 1, back))
            t = e + 1
        t += 1
    return out
