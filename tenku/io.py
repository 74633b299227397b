"""Video files in and out, through PyAV.

Frames are always uint8 arrays of shape (T, H, W, 3), RGB. Writers are atomic: they write to a
temporary name beside the target and rename on success, so a failed write never leaves a partial
file. Readers raise `VideoReadError` naming the file for anything missing, empty or corrupt.

- `write_mp4`: H.264, yuv420p, faststart (plays in browsers). Odd sizes are padded to even by
  repeating the last row/column (yuv420p needs even sizes); `read_video` returns the padded size.
- `write_gif`, `write_png`, `contact_sheet`: previews.
- `read_video`: any file PyAV can open, optionally resampled to an fps and a size.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
from PIL import Image

VIDEO_SUFFIXES = (".mp4", ".gif")
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp")


class VideoReadError(ValueError):
    """A video or image file could not be read: missing, empty, corrupt or holding no frames."""


@dataclass(frozen=True, kw_only=True)
class Video:
    frames: np.ndarray  # (T, H, W, 3) uint8
    fps: float  # frames per second of `frames` (after any resampling)


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path beside `path`; rename it onto `path` only if the block succeeds."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp_path = path.with_name(f".{path.stem}.{secrets.token_hex(6)}.tmp{path.suffix}")
    os.close(os.open(tmp_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))  # mode from the umask
    try:
        yield tmp_path
        os.replace(tmp_path, path)
    finally:
        tmp_path.unlink(missing_ok=True)


def check_frames(frames: np.ndarray) -> np.ndarray:
    """Validate a (T, H, W, 3) uint8 array and return it contiguous."""
    frames = np.asarray(frames)
    if frames.dtype != np.uint8:
        raise TypeError(f"frames must be uint8, got {frames.dtype}")
    if frames.ndim != 4 or frames.shape[-1] != 3:
        raise ValueError(f"frames must have shape (T, H, W, 3), got {frames.shape}")
    if frames.shape[0] < 1 or frames.shape[1] < 1 or frames.shape[2] < 1:
        raise ValueError(f"frames must hold at least one 1x1 frame, got shape {frames.shape}")
    return np.ascontiguousarray(frames)


def _fps_fraction(fps: float) -> Fraction:
    if not fps > 0:
        raise ValueError(f"fps must be positive, got {fps}")
    return Fraction(fps).limit_denominator(1001)


def pad_to_even(frames: np.ndarray) -> np.ndarray:
    """Repeat the last row/column so height and width are even (yuv420p needs it)."""
    _, h, w, _ = frames.shape
    return np.pad(frames, ((0, 0), (0, h % 2), (0, w % 2), (0, 0)), mode="edge")


def write_mp4(
    frames: np.ndarray, path: str | os.PathLike, fps: float, *, crf: int = 18, preset: str = "medium"
) -> Path:
    """Encode frames as H.264 yuv420p MP4 with faststart; atomic. Returns the path written."""
    frames = pad_to_even(check_frames(frames))
    if not 0 <= crf <= 51:
        raise ValueError(f"crf must be in 0..51, got {crf}")
    path = Path(path)
    rate = _fps_fraction(fps)
    with atomic_path(path) as tmp:
        with av.open(str(tmp), mode="w", format="mp4", options={"movflags": "+faststart"}) as container:
            stream = container.add_stream("libx264", rate=rate)
            stream.width, stream.height = frames.shape[2], frames.shape[1]
            stream.pix_fmt = "yuv420p"
            stream.options = {"crf": str(crf), "preset": preset}
            for frame in frames:
                for packet in stream.encode(av.VideoFrame.from_ndarray(frame, format="rgb24")):
                    container.mux(packet)
            for packet in stream.encode():
                container.mux(packet)
    return path


def write_gif(frames: np.ndarray, path: str | os.PathLike, fps: float) -> Path:
    """Write an animated GIF (palette per frame, looping forever); atomic."""
    frames = check_frames(frames)
    _fps_fraction(fps)
    images = [Image.fromarray(f) for f in frames]
    with atomic_path(path) as tmp:
        images[0].save(
            tmp,
            format="GIF",
            save_all=True,
            append_images=images[1:],
            duration=max(1, round(1000 / fps)),
            loop=0,
        )
    return Path(path)


def write_png(image: np.ndarray, path: str | os.PathLike) -> Path:
    """Write one (H, W, 3) uint8 image as PNG; atomic."""
    image = check_frames(np.asarray(image)[None])[0]
    with atomic_path(path) as tmp:
        Image.fromarray(image).save(tmp, format="PNG")
    return Path(path)


def write_video(frames: np.ndarray, path: str | os.PathLike, fps: float) -> Path:
    """Write by suffix: .mp4 (H.264) or .gif."""
    suffix = Path(path).suffix.lower()
    if suffix == ".mp4":
        return write_mp4(frames, path, fps)
    if suffix == ".gif":
        return write_gif(frames, path, fps)
    raise ValueError(f"cannot write video to {path}: suffix {suffix!r} not one of {VIDEO_SUFFIXES}")


def contact_sheet(frames: np.ndarray, *, count: int = 8, gap: int = 2) -> np.ndarray:
    """Pick `count` evenly spaced frames and lay them out in one row with a white gap."""
    frames = check_frames(frames)
    t, h, w, _ = frames.shape
    index = np.linspace(0, t - 1, num=min(count, t)).round().astype(int)
    sheet = np.full((h, len(index) * (w + gap) - gap, 3), 255, dtype=np.uint8)
    for i, k in enumerate(index):
        sheet[:, i * (w + gap) : i * (w + gap) + w] = frames[k]
    return sheet


def stack_rows(rows: list[np.ndarray], *, gap: int = 2) -> np.ndarray:
    """Stack images of possibly different widths vertically on white, left aligned."""
    if not rows:
        raise ValueError("stack_rows needs at least one image")
    width = max(r.shape[1] for r in rows)
    height = sum(r.shape[0] for r in rows) + gap * (len(rows) - 1)
    out = np.full((height, width, 3), 255, dtype=np.uint8)
    y = 0
    for r in rows:
        out[y : y + r.shape[0], : r.shape[1]] = r
        y += r.shape[0] + gap
    return out


def _check_readable(path: Path) -> None:
    if not path.exists():
        raise VideoReadError(f"{path}: no such file")
    if not path.is_file():
        raise VideoReadError(f"{path}: not a file")
    if path.stat().st_size == 0:
        raise VideoReadError(f"{path}: file is empty")


def read_image(path: str | os.PathLike, *, size: tuple[int, int] | None = None) -> np.ndarray:
    """Read an image as (H, W, 3) uint8, optionally resized to size=(width, height)."""
    path = Path(path)
    _check_readable(path)
    try:
        with Image.open(path) as im:
            im = im.convert("RGB")
            if size is not None:
                im = im.resize(size, Image.Resampling.BICUBIC)
            return np.asarray(im, dtype=np.uint8).copy()
    except (OSError, ValueError) as e:
        raise VideoReadError(f"{path}: not a readable image ({e})") from e


def _decode_all(path: Path) -> tuple[list[np.ndarray], list[float], float]:
    """Decode every frame; returns frames, their timestamps in seconds, and the stream's fps."""
    frames, times = [], []
    try:
        with av.open(str(path)) as container:
            if not container.streams.video:
                raise VideoReadError(f"{path}: holds no video stream")
            stream = container.streams.video[0]
            rate = stream.average_rate or stream.guessed_rate or Fraction(24)
            for i, frame in enumerate(container.decode(stream)):
                frames.append(frame.to_ndarray(format="rgb24"))
                t = frame.time if frame.time is not None else i / float(rate)
                times.append(float(t))
    except VideoReadError:
        raise
    except (av.error.FFmpegError, OSError, ValueError) as e:
        if not frames:
            raise VideoReadError(f"{path}: not a readable video ({e})") from e
        # a truncated tail: keep what decoded
    if not frames:
        raise VideoReadError(f"{path}: no frames could be decoded")
    return frames, times, float(rate)


def read_video(
    path: str | os.PathLike,
    *,
    fps: float | None = None,
    size: tuple[int, int] | None = None,
    max_frames: int | None = None,
) -> Video:
    """Read any video (or a still image as a 1-frame video) into (T, H, W, 3) uint8.

    fps: resample to this rate by nearest earlier frame (default: the file's rate).
    size: (width, height) to resize to (bicubic). max_frames: keep at most this many.
    """
    path = Path(path)
    _check_readable(path)
    if path.suffix.lower() in IMAGE_SUFFIXES:
        return Video(frames=read_image(path, size=size)[None], fps=float(fps or 1.0))
    frames, times, native_fps = _decode_all(path)
    out_fps = native_fps
    if fps is not None:
        if not fps > 0:
            raise ValueError(f"fps must be positive, got {fps}")
        t0 = times[0]
        duration = times[-1] - t0 + 1.0 / native_fps
        n = max(1, int(np.floor(duration * fps + 1e-6)))
        rel = np.asarray(times) - t0
        picks = np.searchsorted(rel, np.arange(n) / fps + 1e-6, side="right") - 1
        frames = [frames[max(0, k)] for k in picks]
        out_fps = float(fps)
    if max_frames is not None:
        frames = frames[:max_frames]
    if size is not None:
        frames = [np.asarray(Image.fromarray(f).resize(size, Image.Resampling.BICUBIC)) for f in frames]
    return Video(frames=np.stack(frames).astype(np.uint8), fps=out_fps)
