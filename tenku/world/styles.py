"""Render styles: deterministic passes over the renderer's float frames (0..255, RGB).

Each style has three hooks, called by `tenku.world.render`:
- `style_palette(style, background)`: the background colours (sky, far layer, floor) it uses;
- `shade_object(style, sdf, mark, color, gx, gy)`: coverage and colour of one object's pixels;
- `finish(style, frames, seed, ...)`: a post pass over whole frames (texture, grain, palette).

| style | look | how colours stay recognisable |
| --- | --- | --- |
| flat | solid fills, analytic anti-aliasing | exact colours |
| watercolor | soft translucent edges, pigment pooling at rims, paper texture | hue kept, lightened 10 % |
| pencil | grey paper, hatching, dark outlines | a 65 % colour tint under the hatching |
| neon | dark scene, perspective-free floor grid, glowing outlines | dimmed fill, bright rim of the same hue |
| documentary | film grade, grain, vignette, handheld shake (in the camera path) | mild grade only |
| pixel | low-res blocks (about 48 across), hard edges, a fixed palette | object colours are in the palette |
"""

from __future__ import annotations

import numpy as np

from tenku.world.vocab import BACKGROUNDS, COLORS, OCCLUDER_COLORS

PIXEL_BLOCKS_ACROSS = 48  # pixel art: about this many blocks across the frame
SHAKE_AMPLITUDE = 0.035  # documentary handheld shake, world units
_MARGIN_PX = {"flat": 1, "watercolor": 3, "pencil": 2, "neon": 9, "documentary": 1, "pixel": 1}
_PAPER = np.array([242.0, 238.0, 228.0], dtype=np.float32)
_NEON = {
    "sky_top": (6, 2, 20),
    "sky_bottom": (34, 8, 52),
    "far": (22, 10, 44),
    "floor": (10, 6, 26),
}


def pixel_block(style: str, width: int) -> int:
    """Side of one rendered block in output pixels (1 except for pixel art)."""
    return max(2, round(width / PIXEL_BLOCKS_ACROSS)) if style == "pixel" else 1


def margin_px(style: str) -> int:
    """Extra pixels around an object's radius that its shading can touch (glow, soft edges)."""
    return _MARGIN_PX[style]


def _grey(rgb, lo: float = 175.0) -> tuple[float, float, float]:
    luma = 0.3 * rgb[0] + 0.59 * rgb[1] + 0.11 * rgb[2]
    g = lo + (245.0 - lo) * luma / 255.0
    return (g, g, g * 0.97)


def style_palette(style: str, background: str) -> dict[str, np.ndarray]:
    """Background colours after the style: keys sky_top, sky_bottom, far, floor (float32 RGB)."""
    colors = dict(BACKGROUNDS[background])
    if style == "neon":
        colors = dict(_NEON)
    elif style == "pencil":
        colors = {k: _grey(v) for k, v in colors.items()}
    return {k: np.asarray(v, dtype=np.float32) for k, v in colors.items()}


def occluder_color(style: str, kind: str) -> np.ndarray:
    rgb = OCCLUDER_COLORS[kind]
    if style == "neon":
        return np.asarray(rgb, dtype=np.float32) * 0.25
    if style == "pencil":
        return np.asarray(_grey(rgb, lo=120.0), dtype=np.float32)
    return np.asarray(rgb, dtype=np.float32)


def shade_object(
    style: str, sdf: np.ndarray, mark: np.ndarray | None, color: np.ndarray, gx: np.ndarray, gy: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Coverage (T, S, S) in [0, 1] and colour (T, S, S, 3) of one object's crop.

    sdf, mark: signed distances in rendered pixels (mark: to the rolling stripe, or None);
    gx, gy: absolute pixel coordinates of the crop (broadcastable), for screen-space textures.
    """
    color = np.asarray(color, dtype=np.float32)
    if style == "pixel":
        alpha = (sdf < 0).astype(np.float32)
    elif style == "watercolor":
        alpha = np.clip(0.5 - sdf / 2.5, 0.0, 1.0) * 0.93
    else:
        alpha = np.clip(0.5 - sdf, 0.0, 1.0)
    base = color * 1.0
    if style == "watercolor":
        base = color + (255.0 - color) * 0.1
    elif style == "pencil":
        base = _PAPER + (color - _PAPER) * 0.65
    elif style == "neon":
        base = color * 0.45
    rgb = np.broadcast_to(base, sdf.shape + (3,)).astype(np.float32)
    if mark is not None:
        mark_cov = (mark < 0).astype(np.float32) if style == "pixel" else np.clip(0.5 - mark, 0.0, 1.0)
        rgb = rgb * (1.0 - 0.45 * mark_cov[..., None])
    if style == "watercolor":  # pigment pools at the rim
        rgb = rgb * (1.0 - 0.22 * np.exp(-np.abs(sdf) / 2.0))[..., None]
    elif style == "pencil":
        hatch = np.mod(gx + gy, 4.0) < 1.0
        rgb = rgb * np.where(hatch, 0.82, 1.0)[..., None].astype(np.float32)
        line = np.clip(1.2 - np.abs(sdf), 0.0, 1.0)
        rgb = rgb + (np.float32(70.0) - rgb) * line[..., None]
        alpha = np.maximum(alpha, line)
    elif style == "neon":
        rim = np.clip(1.6 - np.abs(sdf), 0.0, 1.0)[..., None]
        bright = np.minimum(color * 1.15 + 70.0, 255.0)
        rgb = rgb + (bright - rgb) * rim
        glow = 0.55 * np.exp(-np.maximum(sdf, 0.0) / 2.5) * (sdf > 0)
        alpha = np.maximum(alpha, glow)
    return alpha, rgb


def _smooth_noise(rng: np.random.Generator, h: int, w: int, cell: int) -> np.ndarray:
    """Value noise in [0, 1] of shape (h, w): random values on a coarse grid, bilinear between."""
    gh, gw = h // cell + 2, w // cell + 2
    coarse = rng.random((gh, gw), dtype=np.float32)
    ys, xs = np.arange(h, dtype=np.float32) / cell, np.arange(w, dtype=np.float32) / cell
    y0, x0 = ys.astype(int), xs.astype(int)
    fy, fx = (ys - y0)[:, None], (xs - x0)[None, :]
    top = coarse[y0][:, x0] * (1 - fx) + coarse[y0][:, x0 + 1] * fx
    bottom = coarse[y0 + 1][:, x0] * (1 - fx) + coarse[y0 + 1][:, x0 + 1] * fx
    return top * (1 - fy) + bottom * fy


def _palette(background: str) -> np.ndarray:
    colors = [*COLORS.values(), *BACKGROUNDS[background].values(), *OCCLUDER_COLORS.values()]
    colors += [tuple(0.55 * c for c in rgb) for rgb in COLORS.values()]  # marks
    colors += [(20, 20, 24), (250, 250, 250)]
    return np.asarray(colors, dtype=np.float32)


def finish(style: str, frames: np.ndarray, *, seed: int, background: str) -> np.ndarray:
    """The style's post pass over float frames (T, h, w, 3) in 0..255; returns frames."""
    t, h, w, _ = frames.shape
    rng = np.random.default_rng([seed, 7])
    if style == "watercolor":
        paper = (
            0.93
            + 0.04 * _smooth_noise(rng, h, w, max(2, w // 12))
            + 0.03 * _smooth_noise(rng, h, w, max(2, w // 40))
        )
        paper *= 0.97 + 0.03 * rng.random((h, w), dtype=np.float32)
        frames *= paper[None, :, :, None]
    elif style == "pencil":
        frames *= (0.96 + 0.04 * rng.random((h, w), dtype=np.float32))[None, :, :, None]
    elif style == "neon":
        frames[:, 1::3] *= 0.88  # faint scanlines
    elif style == "documentary":
        luma = frames @ np.array([0.3, 0.59, 0.11], dtype=np.float32)
        frames += (luma[..., None] - frames) * 0.12  # slight desaturation
        frames *= np.array([1.04, 1.0, 0.92], dtype=np.float32)  # warm grade
        yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
        rr = ((yy + 0.5) / h - 0.5) ** 2 + ((xx + 0.5) / w - 0.5) ** 2
        frames *= (1.0 - 0.55 * rr)[None, :, :, None]
        frames += (rng.random((t, h, w, 1), dtype=np.float32) - 0.5) * 14.0
    elif style == "pixel":
        palette = _palette(background)  # (P, 3)
        flat = frames.reshape(-1, 3)
        d = (flat * flat).sum(1)[:, None] - 2.0 * flat @ palette.T + (palette * palette).sum(1)[None]
        frames = palette[np.argmin(d, axis=1)].reshape(frames.shape)
    return frames
