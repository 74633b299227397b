"""Per-pixel colour and per-frame style classifiers, fitted on the world's own renders.

The parser has to read every style, so it learns what each style does to the world's palette
rather than hard-coding it:

- `PixelTables`: for each style a lookup table over RGB quantised to `BINS` levels per channel
  that maps a pixel to a class: 0 background, 1 occluder, 2 + k the k-th colour of `COLOR_NAMES`.
  Fitted by counting the classes of pixels of rendered scenes (ground-truth masks give the object
  classes; a render without occluders gives the occluder pixels); bins no training pixel reached
  take the class of the nearest bin that one did (a Euclidean distance transform in RGB space).
- `StyleModel`: a nearest-centroid classifier over cheap image statistics (palette size,
  saturation, luma, fine texture, scan lines, blockiness, vignette, temporal noise, sky and floor
  colours) that names the (style, background) of each frame.

`fit_classifiers(seed)` renders `FIT_SCENES` scenes per (style, background) at two sizes and fits
both; it is deterministic and takes a few seconds, and `classifiers()` fits once per process.
"""

from __future__ import annotations

import functools
import json
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from tenku.world import BACKGROUNDS, COLORS, STYLES, render, sample_spec

COLOR_NAMES = tuple(COLORS)  # class 2 + k is COLOR_NAMES[k]
BACKGROUND_CLASS, OCCLUDER_CLASS, FIRST_COLOR_CLASS = 0, 1, 2
BINS = 32  # quantisation levels per RGB channel of the pixel tables
FIT_SCENES = 3  # scenes per (style, background) and size used to fit
FIT_SIZES = ((64, 64), (128, 96))  # (width, height) of the fitting renders
FIT_FPS = 4.0
OBJECT_WEIGHT = 3.0  # votes of an object pixel relative to a background pixel
STYLE_FEATURES = 16
SPREAD_FLOOR = 0.05  # per-class feature spread is at least this fraction of the overall spread
# Fitted with `tenku bench world --fit-parser` (fit_classifiers(0)); shipped with the package.
CLASSIFIERS_PATH = Path(__file__).parent / "classifiers.safetensors"


def _quantise(frames: np.ndarray) -> np.ndarray:
    """Bin index (...,) of uint8 RGB pixels (..., 3) in the BINS^3 table."""
    q = frames.astype(np.int32) * BINS // 256
    return (q[..., 0] * BINS + q[..., 1]) * BINS + q[..., 2]


@dataclass(frozen=True, kw_only=True)
class PixelTables:
    tables: dict[str, np.ndarray]  # style -> (BINS^3,) uint8 class per colour bin

    def classify(self, frames: np.ndarray, style: str) -> np.ndarray:
        """Class per pixel (T, H, W) uint8 of frames (T, H, W, 3) uint8, read as `style`."""
        if style not in self.tables:
            raise ValueError(f"style must be one of {sorted(self.tables)}, got {style!r}")
        return self.tables[style][_quantise(frames)]


def style_features(frames: np.ndarray) -> np.ndarray:
    """Statistics (T, STYLE_FEATURES) per frame of (T, H, W, 3) uint8 frames; resolution free."""
    x = frames.astype(np.float32)
    t, h, w, _ = x.shape
    luma = x @ np.array([0.3, 0.59, 0.11], dtype=np.float32)  # (T, H, W)
    chroma = x.max(-1) - x.min(-1)
    codes = _quantise(frames).reshape(t, -1)
    uniq = np.array([len(np.unique(c)) for c in codes], dtype=np.float32) / np.sqrt(h * w)
    fine = np.abs(
        luma[:, 1:-1, 1:-1] * 4
        - luma[:, :-2, 1:-1]
        - luma[:, 2:, 1:-1]
        - luma[:, 1:-1, :-2]
        - luma[:, 1:-1, 2:]
    )
    fine = np.median(fine.reshape(t, -1), axis=1)
    rows = luma.mean(2)  # (T, H)
    third = rows[:, : h // 3 * 3].reshape(t, -1, 3)
    scan = (third[:, :, 1] / (0.5 * (third[:, :, 0] + third[:, :, 2]) + 1.0)).mean(1)
    change = np.abs(np.diff(x, axis=2)).sum(-1) > 0  # (T, H, W-1)
    eq_sky = 1.0 - change[:, : max(1, h // 4)].mean((1, 2))  # flat skies are constant along rows
    block = np.zeros(t, dtype=np.float32)  # edges only on a grid of step s: pixel art
    for s in range(2, 7):
        on_grid = change[:, :, s - 1 :: s].sum((1, 2)) / np.maximum(change.sum((1, 2)), 1)
        block = np.maximum(block, (on_grid - 1.0 / s) / (1.0 - 1.0 / s))
    corner = np.concatenate([luma[:, : h // 6, : w // 6], luma[:, : h // 6, -w // 6 :]], 2).mean((1, 2))
    top = luma[:, : h // 6, w // 3 : 2 * w // 3].mean((1, 2))
    temporal = np.zeros(t, dtype=np.float32)
    if t > 1:
        d = np.median(np.abs(np.diff(luma, axis=0)).reshape(t - 1, -1), axis=1)
        temporal[1:], temporal[0] = d, d[0]
    sky = x[:, : max(1, h // 8)].mean((1, 2)) / 255.0  # (T, 3)
    floor = x[:, h - max(1, h // 14) :, w // 4 : 3 * w // 4].mean((1, 2)) / 255.0  # (T, 3)
    feats = [
        np.log1p(uniq),
        chroma.mean((1, 2)) / 255.0,
        luma.mean((1, 2)) / 255.0,
        np.log1p(fine),
        scan,
        eq_sky,
        block,
        corner / (top + 1.0),
        np.log1p(temporal),
        (chroma < 6).mean((1, 2)),
        *sky.T,
        *floor.T,
    ]
    out = np.stack(feats, axis=1).astype(np.float32)  # (T, STYLE_FEATURES)
    assert out.shape[1] == STYLE_FEATURES
    return out


@dataclass(frozen=True, kw_only=True)
class StyleModel:
    labels: tuple[tuple[str, str], ...]  # (style, background) of each centroid
    mean: np.ndarray  # (C, STYLE_FEATURES) per-class feature means
    spread: np.ndarray  # (C, STYLE_FEATURES) per-class standard deviations (floored)

    def predict(self, frames: np.ndarray) -> list[tuple[str, str]]:
        """(style, background) of each frame of (T, H, W, 3) uint8 frames (diagonal Gaussians)."""
        z = (style_features(frames)[:, None, :] - self.mean[None]) / self.spread[None]  # (T, C, F)
        nll = (z**2).sum(-1) + 2 * np.log(self.spread).sum(-1)[None]  # (T, C)
        return [self.labels[i] for i in nll.argmin(1)]


@dataclass(frozen=True, kw_only=True)
class Classifiers:
    pixels: PixelTables
    style: StyleModel


def _fit_scenes(seed: int):
    """Yield (style, background, frames, class map (T, H, W)) of the fitting renders."""
    k = 0
    for style in STYLES:
        for background in BACKGROUNDS:
            for width, height in FIT_SIZES:
                for _ in range(FIT_SCENES):
                    k += 1
                    spec = sample_spec(seed * 100_000 + k, split="train", style=style, background=background)
                    out = render(spec, width=width, height=height, fps=FIT_FPS, seconds=2.0, seed=k)
                    classes = np.zeros(out.frames.shape[:3], dtype=np.uint8)
                    if spec.occluders:
                        bare = render(
                            spec.replace(occluders=()),
                            width=width,
                            height=height,
                            fps=FIT_FPS,
                            seconds=2.0,
                            seed=k,
                        )
                        diff = np.abs(bare.frames.astype(np.int16) - out.frames.astype(np.int16)).sum(-1) > 12
                        classes[diff] = OCCLUDER_CLASS
                    for n, obj in enumerate(spec.objects):
                        classes[out.state.masks[:, n]] = FIRST_COLOR_CLASS + COLOR_NAMES.index(obj.color)
                    yield style, background, out.frames, classes


def _table(votes: np.ndarray) -> np.ndarray:
    """Class per bin (BINS^3,) uint8 from votes (BINS^3, classes); empty bins take the nearest."""
    from scipy import ndimage

    filled = votes.sum(1) > 0
    best = votes.argmax(1).astype(np.uint8)
    grid = (~filled).reshape(BINS, BINS, BINS)
    _, idx = ndimage.distance_transform_edt(grid, return_indices=True)  # idx: (3, B, B, B)
    nearest = (idx[0] * BINS + idx[1]) * BINS + idx[2]
    return best[nearest.reshape(-1)]


def fit_classifiers(seed: int = 0) -> Classifiers:
    """Fit the pixel tables and the style model on renders (deterministic in `seed`)."""
    n_classes = FIRST_COLOR_CLASS + len(COLOR_NAMES)
    votes = {s: np.zeros((BINS**3, n_classes), dtype=np.float64) for s in STYLES}
    feats: dict[tuple[str, str], list[np.ndarray]] = {}
    for style, background, frames, classes in _fit_scenes(seed):
        codes = _quantise(frames).reshape(-1)
        cls = classes.reshape(-1)
        weight = np.where(cls >= FIRST_COLOR_CLASS, OBJECT_WEIGHT, 1.0)
        np.add.at(votes[style], (codes, cls), weight)
        feats.setdefault((style, background), []).append(style_features(frames))
    tables = {s: _table(v) for s, v in votes.items()}
    labels = tuple(feats)
    allf = np.concatenate([np.concatenate(v) for v in feats.values()])
    floor = SPREAD_FLOOR * (allf.std(0) + 1e-6)
    mean = np.stack([np.concatenate(feats[k]).mean(0) for k in labels])
    spread = np.stack([np.maximum(np.concatenate(feats[k]).std(0), floor) for k in labels])
    return Classifiers(
        pixels=PixelTables(tables=tables),
        style=StyleModel(labels=labels, mean=mean.astype(np.float32), spread=spread.astype(np.float32)),
    )


def save_classifiers(models: Classifiers, path: str | os.PathLike) -> Path:
    """Write the classifiers as one safetensors file (atomically)."""
    from safetensors.numpy import save_file

    from tenku.io import atomic_path

    tensors = {f"table.{s}": t for s, t in models.pixels.tables.items()}
    tensors |= {"style.mean": models.style.mean, "style.spread": models.style.spread}
    meta = {"labels": json.dumps(models.style.labels), "bins": str(BINS)}
    with atomic_path(path) as tmp:
        save_file({k: np.ascontiguousarray(v) for k, v in tensors.items()}, str(tmp), metadata=meta)
    return Path(path)


def load_classifiers(path: str | os.PathLike) -> Classifiers:
    """Read classifiers written by `save_classifiers`."""
    from safetensors import safe_open

    with safe_open(str(path), framework="numpy") as f:
        meta = f.metadata()
        if int(meta["bins"]) != BINS:
            raise ValueError(f"{path}: tables have {meta['bins']} bins per channel, this code reads {BINS}")
        tensors = {k: f.get_tensor(k) for k in f.keys()}
    tables = {k.split(".", 1)[1]: v for k, v in tensors.items() if k.startswith("table.")}
    labels = tuple(tuple(x) for x in json.loads(meta["labels"]))
    style = StyleModel(labels=labels, mean=tensors["style.mean"], spread=tensors["style.spread"])
    return Classifiers(pixels=PixelTables(tables=tables), style=style)


@functools.cache
def classifiers() -> Classifiers:
    """The shipped classifiers (`CLASSIFIERS_PATH`), or, if that file is missing, a fresh fit."""
    if CLASSIFIERS_PATH.exists():
        return load_classifiers(CLASSIFIERS_PATH)
    return fit_classifiers(0)
