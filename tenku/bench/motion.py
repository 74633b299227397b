"""Motion fits for the checks: velocities, shared-g parabolas, events in the ground truth.

- `fit_state` / `fit_velocity(times, pos, gravity, t0)`: least-squares position and velocity at
  time t0 of points (K, 2), the vertical corrected by +gravity * (t - t0)^2 / 2 first (0 for
  motion without gravity).
- `free_gravity`: whether the ground truth lets an object fly (g) or not (0) over some frames.
- `segments` / `fit_gravity`: a track's vertical positions split into free-flight pieces (at the
  ground truth's velocity changes and at the track's own lowest points), one parabola per piece
  with a shared curvature: g = -2c, the apexes observed inside their pieces, and the restitution
  at a bounce between two pieces (speed after / speed before where the two parabolas meet).
- `gt_events`, `flying`, `object_contacts`, `pair_collisions`, `hidden_spans`: when the ground
  truth changes velocity, when it flies, when it touches another object, when two objects collide
  (cleanly enough to measure), when an occluder hides an object.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from tenku.world import DIRECTIONS, SceneSpec, WorldState
from tenku.world.physics import KINEMATIC_MOTIONS

EVENT_DV = 0.1  # world units / s: a velocity change beyond free flight larger than this is an event
EVENT_DX = 0.2  # world units: a move this far off its velocity (and growth) between two frames is an event
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


def fit_state(
    times: np.ndarray, pos: np.ndarray, *, gravity: float, t0: float
) -> tuple[np.ndarray, np.ndarray]:
    """Position (2,) and velocity (2,) at t0 from positions (K, 2) at times (K,) (K >= 2) of free
    motion with downward acceleration `gravity`."""
    dt = np.asarray(times, dtype=np.float64) - t0
    y = pos[:, 1] + 0.5 * gravity * dt**2
    a = np.stack([np.ones_like(dt), dt], 1)  # (K, 2)
    coef, *_ = np.linalg.lstsq(a, np.stack([pos[:, 0], y], 1), rcond=None)
    return coef[0], coef[1]


def fit_velocity(times: np.ndarray, pos: np.ndarray, *, gravity: float, t0: float) -> np.ndarray:
    """Velocity (2,) at t0 from positions (K, 2) at times (K,) (K >= 2)."""
    return fit_state(times, pos, gravity=gravity, t0=t0)[1]


def gt_events(state: WorldState, n: int) -> np.ndarray:
    """(T-1, 2) bool: object n's velocity changes between frames t and t+1 beyond free flight,
    or it moves other than its velocity says (the world pushing apart objects placed
    overlapping moves them without a change of velocity)."""
    v = state.velocity_world[:, n]  # (T, 2)
    dv = np.diff(v, axis=0)  # (T-1, 2)
    dt = 1.0 / state.fps
    free_fall = np.abs(dv[:, 1] + state.gravity * dt) < EVENT_DV
    ev = np.abs(dv) > EVENT_DV
    ev[:, 1] &= ~free_fall
    step = np.diff(state.centroid_world[:, n], axis=0) - (v[:-1] + v[1:]) / 2 * dt  # exact in free flight
    grow = np.abs(np.diff(state.radius_world[:, n]))[:, None]  # a growing object's centre rises off the floor
    return ev | (np.abs(step) > EVENT_DX + grow)


def segments(
    y: np.ndarray, clean: np.ndarray, events: np.ndarray, px_per_unit: float, flying: np.ndarray | None = None
) -> list[np.ndarray]:
    """Free-flight pieces (frame index arrays) of a vertical track y (T,), see the module doc;
    with `flying` (T,) bool, only pieces the ground truth has mostly in free flight (an object
    resting on the floor between events moves only with the camera: no curvature to fit)."""
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
    keep = [p for p in pieces if len(p) >= MIN_SEGMENT and np.ptp(y[p]) >= min_range]
    if flying is not None:
        keep = [p for p in keep if flying[p].mean() > 0.5]
    return keep


def object_contacts(state: WorldState, n: int) -> np.ndarray:
    """(T-1,) bool: object n's velocity changes between frames t and t+1 while another object is
    within reach (touching, or about to within the frame). Unlike a bounce off the floor, which
    turns only the vertical motion, a bounce off another object (even one at rest, if round or
    slanted) can turn horizontal motion upward, and a moving one can push: height may be gained."""
    events = gt_events(state, n).any(1)
    dt = 1.0 / state.fps
    out = np.zeros_like(events)
    for t in np.flatnonzero(events):
        for m in range(state.centroid_world.shape[1]):
            if m == n:
                continue
            reach = state.radius_world[t, n] + state.radius_world[t, m]
            speed = np.linalg.norm(state.velocity_world[t, n]) + np.linalg.norm(state.velocity_world[t, m])
            gap = np.linalg.norm(state.centroid_world[t, n] - state.centroid_world[t, m])
            out[t] |= bool(gap <= reach + speed * dt + 0.05)
    return out


def flying(state: WorldState, n: int) -> np.ndarray:
    """(T,) bool: object n is in free flight at frame t in the ground truth (its vertical velocity
    changes by -g dt on a side of t), not resting, rolling or carried without gravity."""
    vy = state.velocity_world[:, n, 1]
    free = np.abs(np.diff(vy) + state.gravity / state.fps) < EVENT_DV  # (T-1,)
    out = np.zeros(len(vy), dtype=bool)
    out[:-1] |= free
    out[1:] |= free
    return out


@dataclass(frozen=True, kw_only=True)
class GravityFit:
    g: float  # fitted downward acceleration, world units / s^2
    apexes: tuple[float, ...]  # heights of the apexes observed inside their pieces, in time order
    apex_times: tuple[float, ...]  # seconds, one per apex
    restitution: float | None  # speed after / before at the first bounce between two pieces
    noise_gain: float  # standard deviation of g per unit of independent position noise


def fit_gravity(
    pieces: list[np.ndarray], y: np.ndarray, fps: float, contacts: np.ndarray | None = None
) -> GravityFit | None:
    """One parabola per piece with a shared curvature; None without enough points. With
    `contacts` (T-1,) bool (`object_contacts`), the restitution is measured only at a bounce
    where no other object touched."""
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
    cov = np.linalg.pinv(a.T @ a)  # (P, P) parameter covariance per unit noise variance
    noise_gain = 2.0 * math.sqrt(max(float(cov[-1, -1]), 0.0))
    apexes, apex_times = [], []
    for k, p in enumerate(pieces):
        if c < 0:
            tv = -coef[2 * k + 1] / (2 * c)
            if p[0] / fps - 0.5 / fps <= tv <= p[-1] / fps + 0.5 / fps:
                apexes.append(float(coef[2 * k] + coef[2 * k + 1] * tv + c * tv**2))
                apex_times.append(float(tv))
    restitution = None
    for k in range(len(pieces) - 1):
        if pieces[k + 1][0] - pieces[k][-1] > 3 or abs(coef[2 * k + 1] - coef[2 * k + 3]) < 1e-9:
            continue
        if contacts is not None and contacts[pieces[k][-1] : pieces[k + 1][0]].any():
            continue
        tc = (coef[2 * k + 2] - coef[2 * k]) / (coef[2 * k + 1] - coef[2 * k + 3])
        v0 = coef[2 * k + 1] + 2 * c * tc
        v1 = coef[2 * k + 3] + 2 * c * tc
        if v0 < 0 < v1:
            restitution = float(-v1 / v0)
            break
    return GravityFit(
        g=float(-2 * c),
        apexes=tuple(apexes),
        apex_times=tuple(apex_times),
        restitution=restitution,
        noise_gain=noise_gain,
    )


@dataclass(frozen=True, kw_only=True)
class Collision:
    pair: tuple[int, int]
    time: float  # seconds, between the frames before and after
    before: np.ndarray  # frame indices of free motion before
    after: np.ndarray  # frame indices of free motion after
    gravity: np.ndarray  # (2, 2) vertical acceleration [before/after, object] of free motion
    velocity_after: np.ndarray  # (2, 2) true velocities of the pair just after, at `time`
    dynamic: bool  # both objects move (momentum and energy are conserved)


def free_gravity(state: WorldState, n: int, frames: np.ndarray) -> float:
    """The vertical acceleration (g or 0) of object n over consecutive free-motion frames: g while
    it flies, 0 while it rests or rolls on the floor or ignores gravity (as the ground truth does)."""
    vy = state.velocity_world[frames, n, 1]
    if len(vy) < 2:
        return 0.0
    slope = float(np.mean(np.diff(vy))) * state.fps
    return state.gravity if abs(slope + state.gravity) < abs(slope) else 0.0


def _is_pair_impulse(state: WorldState, i: int, j: int, t: int, kin: list[bool]) -> bool:
    """The velocity change of i and j between frames t and t+1 is their collision alone: along
    the line of centres and, for two moving objects, with the pair's momentum conserved (a floor
    bounce or a wall in the same interval breaks both)."""
    dt = 1.0 / state.fps
    n = state.centroid_world[t + 1, j] - state.centroid_world[t + 1, i]
    n = n / max(float(np.linalg.norm(n)), 1e-9)
    dv = {}
    for k in (i, j):
        d = state.velocity_world[t + 1, k] - state.velocity_world[t, k]
        # a flying object also gains -g dt between samples: that is not the collision
        t_len = len(state.velocity_world)
        pre = free_gravity(state, k, np.array([t - 1, t])) if t >= 1 else 0.0
        post = free_gravity(state, k, np.array([t + 1, t + 2])) if t + 2 < t_len else 0.0
        if pre or post:
            d = d + np.array([0.0, state.gravity * dt])
        dv[k] = d
    for k, is_kin in zip((i, j), kin, strict=True):
        mag = float(np.linalg.norm(dv[k]))
        if not is_kin and mag > EVENT_DV and abs(float(dv[k][0] * n[1] - dv[k][1] * n[0])) > 0.25 * mag:
            return False
    if not any(kin):
        m_i, m_j = state.radius_world[t, i] ** 2, state.radius_world[t, j] ** 2
        net = np.linalg.norm(m_i * dv[i] + m_j * dv[j])
        if net > 0.1 * max(m_i * np.linalg.norm(dv[i]), m_j * np.linalg.norm(dv[j]), 1e-9):
            return False
    return True


def pair_collisions(spec: SceneSpec, state: WorldState, *, start: int = 0) -> list[Collision]:
    """Object-object collisions in the ground truth with >= 2 frames of free motion each side
    (events that are not this pair's impulse alone, such as a floor bounce at the same moment,
    are left out)."""
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
                if gap > reach + speed * dt + 0.05 or not _is_pair_impulse(state, i, j, t, kin):
                    continue
                either = events[i] | events[j]
                before = [u for u in range(t, start - 1, -1) if u == t or not either[u]]
                after = [u for u in range(t + 1, t_len) if not either[u - 1] or u == t + 1]
                before = _run(before)
                after = _run(after)
                if len(before) < 2 or len(after) < 2:
                    continue
                tc = (t + 0.5) * dt
                before_a, after_a = np.array(sorted(before)), np.array(after)
                grav = np.array([[free_gravity(state, n, fr) for n in (i, j)] for fr in (before_a, after_a)])
                v_after = [
                    fit_velocity(after_a * dt, state.centroid_world[after_a, n], gravity=grav[1, k], t0=tc)
                    for k, n in enumerate((i, j))
                ]
                out.append(
                    Collision(
                        pair=(i, j),
                        time=tc,
                        before=before_a,
                        after=after_a,
                        gravity=grav,
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
