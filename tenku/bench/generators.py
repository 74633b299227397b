"""What the benchmark scores: video generators and video transforms.

A `VideoGenerator` maps (prompt, seconds, fps, width, height, seed, optional first frames) to
uint8 frames (T, H, W, 3), T = `frame_count(seconds, fps)`. With `cond_frames` (k given frames)
it returns the whole clip, the k given frames first (conditioned continuation).

- `GroundTruth(items)`: the world's own render of each item (looked up by prompt and seed).
- `PipelineGenerator(name_or_path, steps=, guidance=, shift=, solver=)`: a tenku checkpoint
  through `tenku.pipeline.Generator`, loaded on first use, with its own sampler settings unless
  given; `extend` carries the conditioning frames.
- `load_generator(name, items, **sampler)`: "ground-truth" or anything else as a checkpoint name
  or path.

A `Transform` maps (frames, fps) -> frames; the ceiling row passes ground truth through one:
`h264[:CRF]` (encode to MP4 and decode back) or `vae:PATH` (a checkpoint's VAE, or a VAE
safetensors file beside its config.json, encode then decode). `load_transform(text)` parses them.
"""

from __future__ import annotations

import dataclasses
import math
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

import numpy as np

from tenku.bench.items import Item, frame_count

GROUND_TRUTH = "ground-truth"


class VideoGenerator(Protocol):
    name: str

    def __call__(
        self,
        prompt: str,
        *,
        seconds: float,
        fps: float,
        width: int,
        height: int,
        seed: int,
        cond_frames: np.ndarray | None = None,
    ) -> np.ndarray: ...


class Transform(Protocol):
    name: str

    def __call__(self, frames: np.ndarray, fps: float) -> np.ndarray: ...


class GroundTruth:
    """The renderer as a generator: returns each item's ground-truth frames."""

    name = GROUND_TRUTH

    def __init__(self, items: Sequence[Item]):
        self._by_key = {(it.prompt, it.seed): it for it in items}

    def __call__(self, prompt, *, seconds, fps, width, height, seed, cond_frames=None) -> np.ndarray:
        item = self._by_key.get((prompt, seed))
        if item is None:
            raise ValueError(f"ground-truth knows only the benchmark's items; no item has seed {seed}")
        t, h, w, _ = item.frames.shape
        if (w, h, t) != (width, height, frame_count(seconds, fps)) or fps != item.fps:
            raise ValueError(f"ground-truth items are {w}x{h}, {t} frames at {item.fps} fps")
        return item.frames


class PipelineGenerator:
    """A tenku checkpoint (name or path), loaded on the first call."""

    def __init__(
        self,
        name_or_path: str,
        *,
        steps: int | None = None,
        guidance: float | None = None,
        shift: float | None = None,
        solver: str | None = None,
    ):
        self.name = str(name_or_path)
        self.sampler = {"steps": steps, "guidance": guidance}  # None: the checkpoint's own
        # The schedule's shift and the solver live in the checkpoint's config, not in a request.
        self.schedule = {k: v for k, v in (("shift", shift), ("solver", solver)) if v is not None}
        self._gen = None

    def load(self):
        if self._gen is None:
            from tenku.pipeline import Generator

            gen = Generator.load(self.name)
            if self.schedule:
                sample = dataclasses.replace(gen.config.sample, **self.schedule)
                gen.config = dataclasses.replace(gen.config, sample=sample)
            self._gen = gen
        return self._gen

    def defaults(self) -> tuple[int, int, float, float]:
        """The checkpoint's default (width, height, fps, seconds)."""
        gen = self.load()
        inf = gen.inference
        return inf.width, inf.height, float(gen.config.fps), float(inf.seconds)

    def __call__(self, prompt, *, seconds, fps, width, height, seed, cond_frames=None) -> np.ndarray:
        from tenku.pipeline import GenerationRequest

        gen = self.load()
        total = frame_count(seconds, fps)
        if cond_frames is None:
            req = GenerationRequest(
                prompt=prompt, seconds=seconds, fps=fps, width=width, height=height, seed=seed, **self.sampler
            )
            frames = gen.generate(req).frames
        else:
            # An extend returns the given clip, exactly, then the new frames: at least enough of
            # them (a whole number of latent frames) to reach `total`, the surplus cut below.
            k = len(cond_frames)
            new = gen.temporal * math.ceil((total - k) / gen.temporal)
            req = GenerationRequest(
                prompt=prompt,
                seconds=new / fps,
                fps=fps,
                width=width,
                height=height,
                seed=seed,
                extend=np.asarray(cond_frames),
                **self.sampler,
            )
            frames = gen.generate(req).frames
            if len(frames) < total or not np.array_equal(frames[:k], cond_frames):
                raise ValueError(
                    f"{self.name}: an extend of {k} given frames by {new} returned {len(frames)} frames "
                    "that do not begin with the given ones"
                )
        return _fit_length(np.asarray(frames, dtype=np.uint8), total)


def _fit_length(frames: np.ndarray, total: int) -> np.ndarray:
    """Trim to `total` frames, or repeat the last frame when a generator returned fewer."""
    if len(frames) >= total:
        return frames[:total]
    return np.concatenate([frames, np.repeat(frames[-1:], total - len(frames), axis=0)])


def load_generator(
    name: str,
    items: Sequence[Item],
    *,
    steps: int | None = None,
    guidance: float | None = None,
    shift: float | None = None,
    solver: str | None = None,
) -> VideoGenerator:
    if name == GROUND_TRUTH:
        return GroundTruth(items)
    return PipelineGenerator(name, steps=steps, guidance=guidance, shift=shift, solver=solver)


class H264:
    """Encode to H.264 MP4 at a CRF and decode back (a lossy-codec ceiling)."""

    def __init__(self, crf: int = 18):
        if not 0 <= crf <= 51:
            raise ValueError(f"h264 CRF must be in 0..51, got {crf}")
        self.crf = crf
        self.name = f"h264:{crf}"

    def __call__(self, frames: np.ndarray, fps: float) -> np.ndarray:
        from tenku.io import read_video, write_mp4

        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "clip.mp4"
            write_mp4(frames, path, fps, crf=self.crf)
            out = read_video(path).frames
        t, h, w, _ = frames.shape
        return _fit_length(out[:, :h, :w], t)


class Blur:
    """A Gaussian blur of each frame, `sigma` pixels (a known softness to set a VAE's round trip
    against: how soft the parser's shape and count checks allow)."""

    def __init__(self, sigma: float):
        if not 0 < sigma <= 8:
            raise ValueError(f"blur sigma must be in (0, 8] pixels, got {sigma}")
        self.sigma = sigma
        self.name = f"blur:{sigma:g}"

    def __call__(self, frames: np.ndarray, fps: float) -> np.ndarray:
        from tenku.bench.classify import blurred

        return blurred(frames, self.sigma)


class VAERoundTrip:
    """Encode with a VAE and decode back (the VAE ceiling): an exported checkpoint's VAE, or a VAE
    run's EMA weights, so a VAE can be judged on the benchmark before a DiT is trained on it."""

    def __init__(self, path: str):
        self.path = path
        self.name = f"vae:{path}"
        self._vae = None

    def _load(self):
        if self._vae is None:
            import torch

            from tenku.train import load_vae

            self._vae = load_vae(self.path, torch.device("cpu"))[1]
        return self._vae

    def __call__(self, frames: np.ndarray, fps: float) -> np.ndarray:
        import torch

        from tenku.pipeline import to_frames, to_tensor

        vae = self._load()
        tc = vae.cfg.temporal_compression
        t = len(frames)
        pad = (-(t - 1)) % tc  # the causal VAE takes 1 + k * tc frames
        x = np.concatenate([frames, np.repeat(frames[-1:], pad, axis=0)]) if pad else frames
        with torch.no_grad():
            out = to_frames(vae.decode(vae.encode(to_tensor(x))))
        return out[:t]


def load_transform(text: str | None) -> Transform | None:
    """ "h264", "h264:CRF", "blur:SIGMA" or "vae:PATH" (a checkpoint, a model name or a VAE run)
    -> a Transform."""
    if text is None:
        return None
    kind, _, arg = text.partition(":")
    if kind == "h264":
        try:
            return H264(int(arg) if arg else 18)
        except ValueError as e:
            raise ValueError(f"--transform h264[:CRF] needs an integer CRF, got {arg!r}") from e
    if kind == "blur":
        try:
            sigma = float(arg)
        except ValueError as e:
            raise ValueError(f"--transform blur:SIGMA needs a number of pixels, got {arg!r}") from e
        return Blur(sigma)
    if kind == "vae" and arg:
        return VAERoundTrip(arg)
    raise ValueError(f"--transform must be h264, h264:CRF, blur:SIGMA or vae:PATH, got {text!r}")
