"""Optional visible mark: a small semi-transparent "tenku · AI" label that drifts around the frame.

The label moves slowly along the frame's edges (one lap every `lap_seconds`) so cropping a
fixed corner does not remove it from every frame. It is drawn before the invisible watermark.
"""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw, ImageFont

LABEL = "tenku · AI"


def _label_image(height: int) -> Image.Image:
    """RGBA label whose text is about 1/14 of the frame height (at least 8 px)."""
    size = max(8, height // 14)
    try:
        font = ImageFont.load_default(size=size)
    except TypeError:  # Pillow without FreeType: fixed bitmap font
        font = ImageFont.load_default()
    box = ImageDraw.Draw(Image.new("L", (1, 1))).textbbox((0, 0), LABEL, font=font)
    pad = max(1, size // 4)
    image = Image.new("RGBA", (box[2] - box[0] + 2 * pad, box[3] - box[1] + 2 * pad), (0, 0, 0, 90))
    ImageDraw.Draw(image).text((pad - box[0], pad - box[1]), LABEL, font=font, fill=(255, 255, 255, 200))
    return image


def _position(t: float, free_w: int, free_h: int) -> tuple[int, int]:
    """Point at fraction t (0..1) of a lap around the rectangle [0, free_w] x [0, free_h]."""
    perimeter = 2 * (free_w + free_h) or 1
    d = (t % 1.0) * perimeter
    if d < free_w:
        return int(d), free_h
    d -= free_w
    if d < free_h:
        return free_w, int(free_h - d)
    d -= free_h
    if d < free_w:
        return int(free_w - d), 0
    return 0, int(d - free_w)


def add_visible_mark(frames: np.ndarray, fps: float, *, lap_seconds: float = 20.0) -> np.ndarray:
    """Return a copy of (T, H, W, 3) uint8 frames with the moving label composited on."""
    frames = np.asarray(frames)
    if frames.dtype != np.uint8 or frames.ndim != 4 or frames.shape[-1] != 3:
        raise ValueError(f"frames must be uint8 (T, H, W, 3), got {frames.dtype} {frames.shape}")
    if not fps > 0 or not lap_seconds > 0:
        raise ValueError(f"fps and lap_seconds must be positive, got {fps} and {lap_seconds}")
    _, h, w, _ = frames.shape
    label = _label_image(h)
    if label.width > w or label.height > h:
        label = label.resize((min(w, label.width), min(h, label.height)))
    margin = max(1, h // 32)
    free_w = max(0, w - label.width - 2 * margin)
    free_h = max(0, h - label.height - 2 * margin)
    out = np.empty_like(frames)
    for i, frame in enumerate(frames):
        x, y = _position(i / fps / lap_seconds, free_w, free_h)
        image = Image.fromarray(frame).convert("RGBA")
        image.alpha_composite(label, (x + margin, y + margin))
        out[i] = np.asarray(image.convert("RGB"))
    return out
