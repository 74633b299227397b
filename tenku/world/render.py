"""The renderer: a scene spec -> anti-aliased uint8 frames plus per-frame ground truth.

`render(spec, width=, height=, fps=, seconds=None, seed=0) -> Render`. The frame is always
WORLD_WIDTH = 10 world units wide and 10*H/W units high, for any size or aspect ratio; a still
camera shows x in [0, 10] with the floor (y = 0) 10 % above the bottom edge. Pixel (row i,
column j) covers [j, j+1) x [i, i+1): pixel centres sit at +0.5. Deterministic for (spec, seed):
the seed drives only style textures, grain and handheld shake; physics depends on spec alone.

Layers, back to front: screen-fixed sky gradient; a far decoration layer that moves with
parallax PARALLAX under pan and zoom; the floor and the objects (layer 1.0, later objects in
front); occluders in front of everything. Each object is drawn as a signed distance field on
its own crop (vectorised over all frames), so cost grows with object area, not frame area.

Ground truth (`Render.state`, a `WorldState`) per frame t and object n: centroid in pixels and
world units, velocity, radius (circumscribed circle), angle, bbox of the circumscribed circle
(x0, y0, x1, y1 pixels, unclipped), instance masks of visible pixels (coverage >= 1/2, not
hidden by a nearer object or an occluder), visible_fraction (visible mask pixels / pixels of the
whole shape, counting parts outside the frame as hidden), camera offset (world units, shake
included) and zoom.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, fields
from pathlib import Path

import numpy as np

from tenku.world import styles
from tenku.world.physics import Trajectory, simulate
from tenku.world.shapes import MARKED_SHAPES, mark_sdf, shape_sdf
from tenku.world.spec import SceneSpec
from tenku.world.vocab import (
    CAMERA_PAN_SPEED,
    CAMERA_ZOOM_RATE,
    COLORS,
    DIRECTIONS,
    FLOOR_VIEW_FRACTION,
    FLOOR_Y,
    GRAVITY,
    PARALLAX,
    WORLD_WIDTH,
)


@dataclass(frozen=True, kw_only=True)
class WorldState:
    """Per-frame ground truth of a render. T frames, N objects, H x W pixels."""

    time: np.ndarray  # (T,) seconds
    centroid_px: np.ndarray  # (T, N, 2) (x, y) pixels, y down; the object's centre
    centroid_world: np.ndarray  # (T, N, 2) (x, y) world units, y up
    velocity_world: np.ndarray  # (T, N, 2) world units / s
    radius_world: np.ndarray  # (T, N) circumscribed radius, world units
    angle: np.ndarray  # (T, N) rotation, radians counter-clockwise
    bbox_px: np.ndarray  # (T, N, 4) x0, y0, x1, y1 of the circumscribed circle, unclipped
    visible_fraction: np.ndarray  # (T, N) in [0, 1]
    masks: np.ndarray  # (T, N, H, W) bool, visible pixels of each object
    camera_offset: np.ndarray  # (T, 2) world units the view centre moved (pan and shake)
    camera_zoom: np.ndarray  # (T,) zoom factor (1: 10 units across)
    gravity: float  # world units / s^2 (downwards)
    floor_y: float  # world y of the floor
    fps: float
    world_width: float  # world units across the frame at zoom 1 (always 10)

    def to_npz(self, path: str | os.PathLike, *, masks: bool = True) -> Path:
        """Save atomically as compressed npz; masks are bit-packed along W (`unpack_masks`)."""
        from tenku.io import atomic_path

        arrays = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name == "masks":
                if masks:
                    arrays["masks_packed"] = np.packbits(value, axis=-1)
                    arrays["masks_shape"] = np.asarray(value.shape)
                continue
            arrays[f.name] = np.asarray(value)
        with atomic_path(path) as tmp:
            with open(tmp, "wb") as fh:
                np.savez_compressed(fh, **arrays)
        return Path(path)


def unpack_masks(npz) -> np.ndarray:
    """Masks (T, N, H, W) bool from an npz written by `WorldState.to_npz`."""
    shape = tuple(int(v) for v in npz["masks_shape"])
    return np.unpackbits(npz["masks_packed"], axis=-1, count=shape[-1]).astype(bool).reshape(shape)


@dataclass(frozen=True, kw_only=True)
class Render:
    frames: np.ndarray  # (T, H, W, 3) uint8 RGB
    state: WorldState
    spec: SceneSpec
    fps: float


@dataclass(frozen=True, kw_only=True)
class _View:
    """Per-frame camera in grid coordinates (pixels of the rendered grid, block = step)."""

    cx: np.ndarray  # (T,) world x at the frame centre
    cy: np.ndarray  # (T,) world y at the frame centre
    scale: np.ndarray  # (T,) output pixels per world unit
    width: int  # output pixels
    height: int
    step: int  # output pixels per rendered pixel (pixel art renders coarse blocks)

    def grid_x(self) -> np.ndarray:  # (T, gw) world x of each rendered column centre
        gw = math.ceil(self.width / self.step)
        u = (np.arange(gw) + 0.5) * self.step
        return self.cx[:, None] + (u[None] - self.width / 2) / self.scale[:, None]

    def grid_y(self) -> np.ndarray:  # (T, gh) world y of each rendered row centre
        gh = math.ceil(self.height / self.step)
        v = (np.arange(gh) + 0.5) * self.step
        return self.cy[:, None] - (v[None] - self.height / 2) / self.scale[:, None]


def camera_path(spec: SceneSpec, times: np.ndarray, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Camera offset (T, 2) world units and zoom (T,) for the spec's camera (and shake)."""
    offset = np.zeros((len(times), 2))
    zoom = np.ones(len(times))
    if spec.camera.startswith("pan-"):
        offset = np.outer(times, DIRECTIONS[spec.camera[4:]]) * CAMERA_PAN_SPEED
    elif spec.camera == "zoom-in":
        zoom = np.exp(CAMERA_ZOOM_RATE * times)
    elif spec.camera == "zoom-out":
        zoom = np.exp(-CAMERA_ZOOM_RATE * times)
    if spec.style == "documentary":  # handheld shake: a few slow sinusoids with seeded phases
        rng = np.random.default_rng([seed, 11])
        freq = rng.uniform(0.6, 2.2, size=(3, 2))
        phase = rng.uniform(0, 2 * np.pi, size=(3, 2))
        wave = np.sin(2 * np.pi * freq[None] * times[:, None, None] + phase[None]).sum(1)  # (T, 2)
        offset = offset + wave * (styles.SHAKE_AMPLITUDE / 2)
    return offset, zoom


def _background(spec: SceneSpec, view: _View, offset: np.ndarray, zoom: np.ndarray) -> np.ndarray:
    """Sky, far layer with parallax, floor: float32 frames (T, gh, gw, 3)."""
    pal = styles.style_palette(spec.style, spec.background)
    xs, ys = view.grid_x(), view.grid_y()  # (T, gw), (T, gh)
    t, gh, gw = len(xs), ys.shape[1], xs.shape[1]
    frac = (np.arange(gh, dtype=np.float32) + 0.5) / gh
    sky = pal["sky_top"] + (pal["sky_bottom"] - pal["sky_top"]) * frac[:, None]  # (gh, 3)
    # far layer: the same view, but moving PARALLAX times as much under pan and zoom
    far_scale = view.scale / zoom * (1 + PARALLAX * (zoom - 1))
    fcx, fcy = view.cx - (1 - PARALLAX) * offset[:, 0], view.cy - (1 - PARALLAX) * offset[:, 1]
    u = (np.arange(gw) + 0.5) * view.step
    v = (np.arange(gh) + 0.5) * view.step
    fx = fcx[:, None] + (u[None] - view.width / 2) / far_scale[:, None]  # (T, gw)
    fy = fcy[:, None] - (v[None] - view.height / 2) / far_scale[:, None]  # (T, gh)
    top = _far_profile(spec.background, fx)  # (T, gw)
    px_per_unit = (far_scale / view.step)[:, None, None]
    far_a = np.clip((top[:, None, :] - fy[:, :, None]) * px_per_unit + 0.5, 0, 1).astype(np.float32)
    frames = np.empty((t, gh, gw, 3), dtype=np.float32)
    frames[:] = sky[None, :, None, :]
    frames += far_a[..., None] * (pal["far"] - frames)
    if spec.background == "night" and spec.style != "pencil":  # stars fixed in the far layer
        cell = (
            np.floor(fx * 3).astype(np.int64)[:, None, :] * 7919
            + np.floor(fy * 3).astype(np.int64)[:, :, None]
        )
        star = ((cell * 2654435761) % 97 == 0) & (far_a < 0.5)
        frames[star] = (230.0, 230.0, 200.0)
    floor_a = np.clip((FLOOR_Y - ys) * (view.scale / view.step)[:, None] + 0.5, 0, 1).astype(np.float32)
    tiles = (np.mod(xs, 1.0) < 0.06).astype(np.float32)  # (T, gw) floor seams every world unit
    floor_rgb = pal["floor"] * (1 - 0.1 * tiles)[..., None]  # (T, gw, 3)
    if spec.style == "neon":
        floor_rgb = floor_rgb + tiles[..., None] * np.float32([70, 30, 90])
    frames += floor_a[:, :, None, None] * (floor_rgb[:, None] - frames)
    return frames


def _far_profile(background: str, x: np.ndarray) -> np.ndarray:
    """World height of the far layer's skyline at far-layer x."""
    if background == "studio":  # back-wall panels
        return 2.6 + 0.5 * (np.mod(np.floor(x / 2.0), 2.0))
    if background == "meadow":  # hills
        return 1.6 + 0.6 * np.sin(0.7 * x + 1.0) + 0.3 * np.sin(1.9 * x + 0.3)
    if background == "desert":  # dunes
        return 1.1 + 0.8 * np.abs(np.sin(0.45 * x + 0.5)) ** 1.5
    return 1.8 + 1.4 * np.abs(np.mod(0.35 * x, 2.0) - 1.0)  # night: mountains


def _paste(dst: np.ndarray, src: np.ndarray, ox: int, oy: int) -> tuple[slice, slice, slice, slice] | None:
    """Slices (dst rows, dst cols, src rows, src cols) of src placed at (ox, oy), clipped."""
    h, w = dst.shape[:2]
    sh, sw = src.shape[:2]
    x0, y0, x1, y1 = max(ox, 0), max(oy, 0), min(ox + sw, w), min(oy + sh, h)
    if x0 >= x1 or y0 >= y1:
        return None
    return slice(y0, y1), slice(x0, x1), slice(y0 - oy, y1 - oy), slice(x0 - ox, x1 - ox)


def _draw_objects(spec, traj: Trajectory, view: _View, frames: np.ndarray, raw: np.ndarray) -> np.ndarray:
    """Composite every object into frames (in place); fill raw (T, N, gh, gw) shape masks.

    Returns the pixel count of each whole shape (T, N), parts outside the frame included.
    """
    t = len(traj.time)
    step = view.step
    scale = view.scale / step  # (T,) rendered pixels per world unit
    gpx = (traj.position[..., 0] - view.cx[:, None]) * view.scale[:, None] + view.width / 2  # (T, N)
    gpy = (view.cy[:, None] - traj.position[..., 1]) * view.scale[:, None] + view.height / 2
    gpx, gpy = gpx / step - 0.5, gpy / step - 0.5  # centre in grid index units
    area = np.zeros((t, len(spec.objects)))
    margin = math.ceil(styles.margin_px(spec.style) / step) + 1
    for n, obj in enumerate(spec.objects):
        half = int(math.ceil(float((traj.radius[:, n] * scale).max()))) + margin
        ox = np.round(gpx[:, n]).astype(int) - half  # (T,) crop origin
        oy = np.round(gpy[:, n]).astype(int) - half
        idx = np.arange(2 * half + 1)
        gx = (ox[:, None] + idx[None]).astype(np.float64)[:, None, :]  # (T, 1, S)
        gy = (oy[:, None] + idx[None]).astype(np.float64)[:, :, None]  # (T, S, 1)
        s = scale[:, None, None]
        dx = (gx - gpx[:, n, None, None]) / s  # (T, 1, S) world offsets from the centre
        dy = -(gy - gpy[:, n, None, None]) / s  # (T, S, 1)
        r = traj.radius[:, n, None, None]
        ang = traj.angle[:, n, None, None]
        sdf = shape_sdf(obj.shape, dx, dy, r, ang) * s  # (T, S, S) rendered pixels
        mark = mark_sdf(dx, dy, r, ang) * s if obj.shape in MARKED_SHAPES else None
        alpha, rgb = styles.shade_object(spec.style, sdf, mark, np.asarray(COLORS[obj.color]), gx, gy)
        inside = sdf < 0
        area[:, n] = inside.sum((1, 2))
        alpha = alpha[..., None].astype(np.float32)
        for k in range(t):
            sl = _paste(frames[k], inside[k], int(ox[k]), int(oy[k]))
            if sl is None:
                continue
            fy, fx, cy, cx = sl
            region = frames[k, fy, fx]
            region += alpha[k, cy, cx] * (rgb[k, cy, cx] - region)
            raw[k, n, fy, fx] = inside[k, cy, cx]
    return area


def _draw_occluders(spec: SceneSpec, view: _View, frames: np.ndarray) -> np.ndarray:
    """Composite occluders in front (in place); returns their union mask (T, gh, gw)."""
    xs, ys = view.grid_x(), view.grid_y()
    s = (view.scale / view.step)[:, None]
    union = np.zeros(frames.shape[:3], dtype=bool)
    for occ in spec.occluders:
        w, h = occ.resolved_size()
        cov_x = np.clip(np.minimum(xs - (occ.x - w / 2), (occ.x + w / 2) - xs) * s + 0.5, 0, 1)
        cov_y = np.clip(np.minimum(ys - FLOOR_Y, (FLOOR_Y + h) - ys) * s + 0.5, 0, 1)
        if view.step > 1:
            cov_x, cov_y = np.round(cov_x), np.round(cov_y)
        alpha = (cov_y[:, :, None] * cov_x[:, None, :]).astype(np.float32)  # (T, gh, gw)
        color = styles.occluder_color(spec.style, occ.kind)
        band = (np.mod(ys, 0.5) < 0.04)[:, :, None, None]  # brick / stone courses
        shade = np.where(band, color * 0.85, color).astype(np.float32)
        frames += alpha[..., None] * (shade - frames)
        union |= alpha >= 0.5
    return union


def render(
    spec: SceneSpec, *, width: int, height: int, fps: float, seconds: float | None = None, seed: int = 0
) -> Render:
    """Render `spec` to frames (T, H, W, 3) uint8 and ground truth; T = round(seconds * fps)."""
    spec.validate()
    if not (isinstance(width, int) and isinstance(height, int) and width >= 1 and height >= 1):
        raise ValueError(f"width and height must be positive integers, got {width}x{height}")
    if not fps > 0:
        raise ValueError(f"fps must be positive, got {fps}")
    seconds = spec.seconds if seconds is None else seconds
    if not seconds > 0:
        raise ValueError(f"seconds must be positive, got {seconds}")
    n_frames = max(1, round(seconds * fps))
    times = np.arange(n_frames) / fps
    traj = simulate(spec, times)
    offset, zoom = camera_path(spec, times, seed)
    step = styles.pixel_block(spec.style, width)
    view_h = WORLD_WIDTH * height / width
    view = _View(
        cx=WORLD_WIDTH / 2 + offset[:, 0],
        cy=FLOOR_Y + view_h * (0.5 - FLOOR_VIEW_FRACTION) + offset[:, 1],
        scale=(width / WORLD_WIDTH) * zoom,
        width=width,
        height=height,
        step=step,
    )
    frames = _background(spec, view, offset, zoom)
    n = len(spec.objects)
    raw = np.zeros((n_frames, n, frames.shape[1], frames.shape[2]), dtype=bool)
    area = _draw_objects(spec, traj, view, frames, raw)
    hidden = _draw_occluders(spec, view, frames)
    frames = styles.finish(spec.style, frames, seed=seed, background=spec.background)
    masks = raw
    for i in range(n - 1, -1, -1):  # front to back: what nearer things cover is not visible
        vis = raw[:, i] & ~hidden
        hidden = hidden | raw[:, i]
        masks[:, i] = vis
    visible = masks.sum((2, 3)) / np.maximum(area, 1)
    if step > 1:
        frames = frames.repeat(step, axis=1).repeat(step, axis=2)[:, :height, :width]
        masks = masks.repeat(step, axis=2).repeat(step, axis=3)[:, :, :height, :width]
    out = np.clip(frames + 0.5, 0, 255).astype(np.uint8)
    cpx = np.stack(
        [
            (traj.position[..., 0] - view.cx[:, None]) * view.scale[:, None] + width / 2,
            (view.cy[:, None] - traj.position[..., 1]) * view.scale[:, None] + height / 2,
        ],
        axis=-1,
    )
    rpx = traj.radius * view.scale[:, None]
    state = WorldState(
        time=times,
        centroid_px=cpx,
        centroid_world=traj.position,
        velocity_world=traj.velocity,
        radius_world=traj.radius,
        angle=traj.angle,
        bbox_px=np.stack(
            [cpx[..., 0] - rpx, cpx[..., 1] - rpx, cpx[..., 0] + rpx, cpx[..., 1] + rpx], axis=-1
        ),
        visible_fraction=np.clip(visible, 0.0, 1.0),
        masks=masks,
        camera_offset=offset,
        camera_zoom=zoom,
        gravity=GRAVITY,
        floor_y=FLOOR_Y,
        fps=float(fps),
        world_width=WORLD_WIDTH,
    )
    return Render(frames=out, state=state, spec=spec, fps=float(fps))
