"""Signed distance fields of the world's shapes, evaluated on numpy pixel grids.

`shape_sdf(shape, dx, dy, r, angle)` returns the signed distance (world units, negative inside)
from points at offsets (dx, dy) of the object's centre, for an object of circumscribed radius r
rotated by `angle` radians counter-clockwise. Every argument broadcasts. Distances are exact (or
exact near the boundary), so coverage = clip(0.5 - distance_in_pixels, 0, 1) anti-aliases.
`mark_sdf` is the distance to the stripe painted across balls and rings so rolling shows.
"""

from __future__ import annotations

import numpy as np

BOX_HALF = 0.72  # half side of a box, as a fraction of its radius
RING_INNER = 0.55  # inner radius of a ring, as a fraction of its radius
STAR_INNER = 0.45  # inner vertex radius of a star, as a fraction of its radius
MARK_HALF_WIDTH = 0.14  # half width of the stripe on balls and rings, fraction of radius
MARKED_SHAPES = ("ball", "ring")


def _rotate(dx: np.ndarray, dy: np.ndarray, angle) -> tuple[np.ndarray, np.ndarray]:
    c, s = np.cos(angle), np.sin(angle)
    return c * dx + s * dy, -s * dx + c * dy  # rotate the points by -angle: local coordinates


def _star(lx: np.ndarray, ly: np.ndarray, outer, inner, n: int) -> np.ndarray:
    """Regular star (or polygon when inner = outer * cos(pi/n)) with a tip pointing up (+y)."""
    sector = np.pi / n
    theta = np.arctan2(lx, ly)  # angle from +y
    b = np.abs(np.mod(theta + sector, 2 * sector) - sector)  # folded into [0, sector]
    rho = np.hypot(lx, ly)
    px, py = rho * np.cos(b), rho * np.sin(b)  # the tip lies on +px
    ex, ey = inner * np.cos(sector) - outer, inner * np.sin(sector)  # edge from tip A to inner vertex B
    wx, wy = px - outer, py
    h = np.clip((wx * ex + wy * ey) / (ex * ex + ey * ey), 0.0, 1.0)
    d = np.hypot(wx - ex * h, wy - ey * h)
    inside = ex * wy - ey * wx > 0
    return np.where(inside, -d, d)


def shape_sdf(shape: str, dx: np.ndarray, dy: np.ndarray, r, angle) -> np.ndarray:
    """Signed distance in world units (negative inside); see the module docstring."""
    if shape == "ball":
        return np.hypot(dx, dy) - r
    if shape == "ring":
        mid, half = r * (1 + RING_INNER) / 2, r * (1 - RING_INNER) / 2
        return np.abs(np.hypot(dx, dy) - mid) - half
    lx, ly = _rotate(dx, dy, angle)
    if shape == "box":
        a = r * BOX_HALF
        qx, qy = np.abs(lx) - a, np.abs(ly) - a
        outside = np.hypot(np.maximum(qx, 0.0), np.maximum(qy, 0.0))
        return outside + np.minimum(np.maximum(qx, qy), 0.0)
    if shape == "triangle":
        return _star(lx, ly, r, r * np.cos(np.pi / 3), 3)
    if shape == "star":
        return _star(lx, ly, r, r * STAR_INNER, 5)
    raise ValueError(f"unknown shape {shape!r}")


def mark_sdf(dx: np.ndarray, dy: np.ndarray, r, angle) -> np.ndarray:
    """Signed distance (world units) to the stripe through the centre along the local x axis."""
    _, ly = _rotate(dx, dy, angle)
    return np.abs(ly) - r * MARK_HALF_WIDTH
