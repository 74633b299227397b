"""Rigid-body physics of a scene, in world units and seconds, at a fixed substep.

`simulate(spec, times)` integrates every object with the fixed step `SUBSTEP` (independent of
any render fps) and samples the state at the requested times by linear interpolation between
substeps, so a scene rendered at 8 fps and at 24 fps shows the same motion at shared times.

- Free flight under gravity is integrated exactly (x += v dt - g dt^2 / 2), so a dropped ball
  traces an exact parabola with g = GRAVITY.
- Objects with gravity ("falling", "thrown", "bouncing", "rolling") bounce off the floor with
  restitution BOUNCINESS[bounciness] and come to rest when the rebound is tiny.
- "moving" objects ignore gravity and bounce elastically off floor, ceiling and walls.
- "still", "spinning", "growing", "shrinking" objects are kinematic: fixed in place (resting ones
  stay on the floor while their radius changes), infinitely heavy in collisions.
- Object-object collisions treat every shape as its circumscribed circle, with mass proportional
  to radius^2; they are perfectly elastic (momentum and kinetic energy conserved). Walls at
  x = 0 and x = WORLD_WIDTH are elastic.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from tenku.world.spec import ObjectSpec, SceneSpec
from tenku.world.vocab import (
    BOUNCINESS,
    CEILING_Y,
    DIRECTIONS,
    FLOOR_Y,
    GRAVITY,
    GRAVITY_MOTIONS,
    GROWTH_RATE,
    SUBSTEP,
    WORLD_WIDTH,
)

KINEMATIC_MOTIONS = ("still", "spinning", "growing", "shrinking")
REST_SPEED = 0.3  # units/s: a floor rebound slower than this comes to rest


@dataclass(frozen=True, kw_only=True)
class Trajectory:
    time: np.ndarray  # (T,) seconds
    position: np.ndarray  # (T, N, 2) world units, centre of each object
    velocity: np.ndarray  # (T, N, 2) world units / s
    radius: np.ndarray  # (T, N) world units (circumscribed circle)
    angle: np.ndarray  # (T, N) radians, counter-clockwise


def radius_at(obj: ObjectSpec, t: np.ndarray | float) -> np.ndarray:
    """Radius over time: constant, or growing/shrinking linearly at GROWTH_RATE per second."""
    r0 = obj.resolved_radius()
    t = np.asarray(t, dtype=np.float64)
    if obj.motion == "growing":
        return r0 * (1.0 + GROWTH_RATE * t)
    if obj.motion == "shrinking":
        return r0 * np.maximum(0.25, 1.0 - GROWTH_RATE * t)
    return np.full_like(t, r0)


def initial_velocity(obj: ObjectSpec) -> tuple[float, float]:
    speed = obj.resolved_speed() or 0.0
    dx, dy = DIRECTIONS.get(obj.direction, (0.0, 0.0)) if obj.direction else (0.0, 0.0)
    if obj.motion in ("moving", "thrown"):
        return dx * speed, dy * speed
    if obj.motion in ("bouncing", "rolling"):
        return dx * speed, 0.0
    return 0.0, 0.0


def _spin_rate(obj: ObjectSpec) -> float:
    """Angular velocity (rad/s) of kinematic spinners: clockwise, rim speed = the named speed."""
    if obj.motion != "spinning":
        return 0.0
    return -(obj.resolved_speed() or 0.0) / obj.resolved_radius()


def _collide(i: int, j: int, s: list[list[float]], r: list[float], kin: list[bool]) -> None:
    """Elastic collision of circles i and j (state rows [x, y, vx, vy, angle]) if they overlap."""
    dx, dy = s[j][0] - s[i][0], s[j][1] - s[i][1]
    dist2 = dx * dx + dy * dy
    reach = r[i] + r[j]
    if dist2 >= reach * reach or dist2 == 0.0 or (kin[i] and kin[j]):
        return
    dist = math.sqrt(dist2)
    nx, ny = dx / dist, dy / dist
    overlap = reach - dist
    vn = (s[j][2] - s[i][2]) * nx + (s[j][3] - s[i][3]) * ny  # < 0: approaching
    if kin[i] or kin[j]:  # reflect the dynamic one off the immovable one
        k, ux, uy = (j, nx, ny) if kin[i] else (i, -nx, -ny)  # u: from the kinematic one to k
        s[k][0] += overlap * ux
        s[k][1] += overlap * uy
        vk = s[k][2] * ux + s[k][3] * uy
        if vk < 0:
            s[k][2] -= 2.0 * vk * ux
            s[k][3] -= 2.0 * vk * uy
        return
    mi, mj = r[i] * r[i], r[j] * r[j]
    share_i = mj / (mi + mj)
    s[i][0] -= overlap * share_i * nx
    s[i][1] -= overlap * share_i * ny
    s[j][0] += overlap * (1 - share_i) * nx
    s[j][1] += overlap * (1 - share_i) * ny
    if vn < 0:
        ci, cj = 2.0 * mj / (mi + mj) * vn, 2.0 * mi / (mi + mj) * vn
        s[i][2] += ci * nx
        s[i][3] += ci * ny
        s[j][2] -= cj * nx
        s[j][3] -= cj * ny


def _step_dynamic(row: list[float], r: float, gravity: bool, restitution: float, dt: float) -> None:
    x, y, vx, vy, _ = row
    resting = gravity and abs(y - FLOOR_Y - r) < 1e-9 and abs(vy) < 1e-12
    if gravity and not resting:
        y += vy * dt - 0.5 * GRAVITY * dt * dt
        vy -= GRAVITY * dt
    elif not gravity:
        y += vy * dt
    x += vx * dt
    if x - r < 0.0:
        x, vx = 2.0 * r - x, abs(vx)
    elif x + r > WORLD_WIDTH:
        x, vx = 2.0 * (WORLD_WIDTH - r) - x, -abs(vx)
    if y - r < FLOOR_Y:
        if gravity:
            y = FLOOR_Y + r + (FLOOR_Y + r - y) * restitution
            vy = abs(vy) * restitution
            if vy < REST_SPEED:
                y, vy = FLOOR_Y + r, 0.0
        else:
            y, vy = 2.0 * (FLOOR_Y + r) - y, abs(vy)
    elif not gravity and y + r > CEILING_Y:
        y, vy = 2.0 * (CEILING_Y - r) - y, -abs(vy)
    row[0], row[1], row[2], row[3] = x, y, vx, vy


def simulate(spec: SceneSpec, times: np.ndarray) -> Trajectory:
    """Integrate `spec` at the fixed SUBSTEP and sample the state at `times` (seconds, >= 0)."""
    times = np.asarray(times, dtype=np.float64)
    if times.ndim != 1 or times.size == 0 or times.min() < 0:
        raise ValueError(
            f"times must be a non-empty 1-D array of non-negative seconds, got shape {times.shape}"
        )
    objs = spec.objects
    n = len(objs)
    n_steps = int(math.ceil(float(times.max()) / SUBSTEP - 1e-9)) + 1
    kin = [o.motion in KINEMATIC_MOTIONS for o in objs]
    grav = [o.motion in GRAVITY_MOTIONS for o in objs]
    rest = [BOUNCINESS[o.bounciness] for o in objs]
    r0 = [o.resolved_radius() for o in objs]
    on_floor = [abs(o.y - FLOOR_Y - r0[i]) < 1e-6 for i, o in enumerate(objs)]
    spin = [_spin_rate(o) for o in objs]
    state = [[o.x, o.y, *initial_velocity(o), o.angle] for o in objs]
    for i, o in enumerate(objs):
        if o.motion == "rolling":  # rolling happens on the floor
            state[i][1] = FLOOR_Y + r0[i]
    step_t = np.arange(n_steps + 1) * SUBSTEP
    radii = np.stack([radius_at(o, step_t) for o in objs], axis=1)  # (S+1, N)
    record = np.empty((n_steps + 1, n, 5))  # (S+1, N, [x, y, vx, vy, angle])
    record[0] = state
    for k in range(1, n_steps + 1):
        r = radii[k].tolist()
        for i in range(n):
            row = state[i]
            if kin[i]:
                if on_floor[i]:
                    row[1] = FLOOR_Y + r[i]
                row[4] += spin[i] * SUBSTEP
                continue
            _step_dynamic(row, r[i], grav[i], rest[i], SUBSTEP)
            if objs[i].motion == "rolling":
                row[4] -= row[2] / r[i] * SUBSTEP
        for i in range(n):
            for j in range(i + 1, n):
                _collide(i, j, state, r, kin)
        record[k] = state
    f = times / SUBSTEP
    k0 = np.clip(np.floor(f + 1e-9).astype(int), 0, n_steps - 1)
    a = np.clip(f - k0, 0.0, 1.0)[:, None, None]
    sampled = record[k0] * (1 - a) + record[k0 + 1] * a  # (T, N, 5)
    return Trajectory(
        time=times,
        position=sampled[..., 0:2],
        velocity=sampled[..., 2:4],
        radius=np.stack([radius_at(o, times) for o in objs], axis=1),
        angle=sampled[..., 4],
    )
