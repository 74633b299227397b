"""Training data: the world simulator, folders of captioned videos, and latent/text caches.

Every source answers `get_batch(index, batch_size, *, rank, world_size) -> Batch`, a pure function
of (seed, index, rank): the bucket of batch `index` is drawn from (seed, index) and the item at
global position p of that batch from (seed, index, p). So the data position of a run is one integer
(the next batch index), resume reproduces it exactly, and N ranks with batch B see the same global
batch as one process with batch N*B.

- `WorldDataset`: scenes from the world simulator's training split (never the held-out sets),
  rendered on the fly at the batch's bucket size; short or detailed captions.
- `VideoFolderDataset`: a folder with `captions.jsonl` ({"path": ..., "caption": ...} per line) or
  `captions.csv` (path,caption). Videos are decoded with PyAV at the configured fps; a random clip
  of the bucket's length is cut, then resized to cover the bucket and centre-cropped. Images are
  1-frame videos. Each file goes to the bucket of nearest aspect ratio (longest clip that fits).
  Unreadable or corrupt files are skipped and counted (`skipped`), never a crash.
- `LatentCacheDataset`: shards written by `tenku cache` (VAE latents + text token states).
- Buckets: `Bucket(frames, height, width)`; a batch always holds one bucket's shape.
- `drop_captions`: caption dropout (empty prompt) for classifier-free guidance.
- `sample_cond_mask`: per latent frame conditioning masks (none, first, last, both, prefix, suffix,
  keyframes) so one model learns every generation mode.
"""

from __future__ import annotations

import csv
import json
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

from tenku.config import VAEConfig

COND_MODES = ("none", "first", "last", "both", "prefix", "suffix", "keyframes")
CAPTION_FILES = ("captions.jsonl", "captions.csv")


@dataclass(frozen=True, kw_only=True)
class Bucket:
    frames: int  # clip length in frames (1 = image); 1 + k * temporal_compression for videos
    height: int  # pixels
    width: int  # pixels

    @property
    def aspect(self) -> float:
        return self.width / self.height


@dataclass(frozen=True, kw_only=True)
class DataConfig:
    buckets: tuple[tuple[int, int, int], ...] = ((17, 64, 64),)  # (frames, height, width) per bucket
    bucket_weights: tuple[float, ...] | None = None  # world: draw probability per bucket; None: equal
    fps: float = 8.0  # frames per second clips are resampled to
    caption_dropout: float = 0.1  # probability a caption is replaced by "" (CFG's unconditional pass)
    detailed_captions: float = 0.5  # world: probability of the detailed caption over the short one
    cond_modes: tuple[str, ...] = COND_MODES  # conditioning masks drawn per sample
    cond_weights: tuple[float, ...] = (0.4, 0.2, 0.1, 0.05, 0.1, 0.05, 0.1)  # probability per mode
    keyframe_prob: float = 0.25  # "keyframes": chance each latent frame is given
    world_objects: tuple[int, int] = (1, 4)  # world: (min, max) objects per scene (a curriculum knob)

    def __post_init__(self) -> None:
        if not self.buckets:
            raise ValueError("buckets must hold at least one (frames, height, width)")
        for b in self.buckets:
            if len(b) != 3 or min(b) < 1:
                raise ValueError(f"each bucket must be (frames, height, width) of positive ints, got {b}")
        if self.bucket_weights is not None and len(self.bucket_weights) != len(self.buckets):
            raise ValueError(
                f"bucket_weights has {len(self.bucket_weights)} entries for {len(self.buckets)} buckets"
            )
        if not 0 <= self.caption_dropout <= 1 or not 0 <= self.detailed_captions <= 1:
            raise ValueError("caption_dropout and detailed_captions must be probabilities in [0, 1]")
        unknown = set(self.cond_modes) - set(COND_MODES)
        if unknown:
            raise ValueError(f"unknown cond_modes {sorted(unknown)}; allowed: {COND_MODES}")
        if len(self.cond_weights) != len(self.cond_modes) or min(self.cond_weights) < 0:
            raise ValueError("cond_weights must give one non-negative weight per cond_modes entry")
        if self.fps <= 0:
            raise ValueError(f"fps must be positive, got {self.fps}")

    def bucket_list(self) -> list[Bucket]:
        return [Bucket(frames=f, height=h, width=w) for f, h, w in self.buckets]


@dataclass(frozen=True, kw_only=True)
class Batch:
    captions: tuple[str, ...]  # one per sample ("" where dropped)
    fps: float  # frames per second of the clips
    video: torch.Tensor | None = None  # (B, 3, T, H, W) float32 in [-1, 1]; None for cached latents
    latents: torch.Tensor | None = None  # (B, C, T', H', W') from a latent cache
    text_tokens: torch.Tensor | None = None  # (B, L, D) cached text states
    text_mask: torch.Tensor | None = None  # (B, L) bool, cached
    meta: dict = field(default_factory=dict)  # source-specific notes (e.g. bucket)
    foreground: torch.Tensor | None = None  # (B, 1, T, H, W) bool object pixels (world data only)
    objects: torch.Tensor | None = None  # (B, 1, T', H', W') share of each latent cell that is object

    def __len__(self) -> int:
        return len(self.captions)


def latent_cover(objects: torch.Tensor, vae: VAEConfig) -> torch.Tensor:
    """Object pixels (B, 1, T, H, W) bool -> the share of each latent cell's pixels that show an
    object (B, 1, T', H', W') float, grouped as the causal VAE groups frames: the first frame alone,
    then `temporal_compression` frames per latent frame, `spatial_compression` pixels a side."""
    spatial, temporal = vae.spatial_compression, vae.temporal_compression
    _, _, t, h, w = objects.shape
    if (t - 1) % temporal or h % spatial or w % spatial:
        raise ValueError(
            f"object masks of {t}x{h}x{w} (TxHxW) do not fit latent cells of {spatial} px and "
            f"1 + {temporal}k frames"
        )
    x = objects.float()
    first = F.avg_pool3d(x[:, :, :1], (1, spatial, spatial))
    if t == 1:
        return first
    return torch.cat([first, F.avg_pool3d(x[:, :, 1:], (temporal, spatial, spatial))], dim=2)


def batch_rng(seed: int, *keys: int) -> np.random.Generator:
    """A generator that depends only on (seed, *keys)."""
    return np.random.default_rng([int(seed) & 0xFFFFFFFF, *(int(k) for k in keys)])


def frames_to_tensor(frames: np.ndarray) -> torch.Tensor:
    """(T, H, W, 3) uint8 -> (3, T, H, W) float32 in [-1, 1]."""
    x = torch.from_numpy(np.ascontiguousarray(frames)).float()  # (T, H, W, 3)
    return x.permute(3, 0, 1, 2).div(127.5).sub(1.0)  # (3, T, H, W)


def tensor_to_frames(x: torch.Tensor) -> np.ndarray:
    """(3, T, H, W) in [-1, 1] -> (T, H, W, 3) uint8."""
    x = (x.detach().float().clamp(-1, 1) + 1) * 127.5
    return x.round().to(torch.uint8).permute(1, 2, 3, 0).cpu().numpy()


def fit_length(frames: np.ndarray, n: int) -> np.ndarray:
    """First n frames; a shorter clip is padded by repeating its last frame."""
    if len(frames) >= n:
        return frames[:n]
    pad = np.repeat(frames[-1:], n - len(frames), axis=0)
    return np.concatenate([frames, pad], axis=0)


def resize_crop(frames: np.ndarray, height: int, width: int) -> np.ndarray:
    """Resize (T, H, W, 3) to cover height x width (aspect kept), then centre-crop."""
    _, h, w, _ = frames.shape
    if (h, w) == (height, width):
        return frames
    scale = max(width / w, height / h)
    nw, nh = max(width, round(w * scale)), max(height, round(h * scale))
    left, top = (nw - width) // 2, (nh - height) // 2
    out = np.empty((len(frames), height, width, 3), dtype=np.uint8)
    for i, f in enumerate(frames):
        im = Image.fromarray(f).resize((nw, nh), Image.Resampling.BICUBIC)
        out[i] = np.asarray(im)[top : top + height, left : left + width]
    return out


def drop_captions(captions: list[str], p: float, rng: np.random.Generator) -> list[str]:
    """Replace each caption by "" with probability p (classifier-free guidance training)."""
    return ["" if rng.random() < p else c for c in captions]


def sample_cond_mask(
    batch: int, latent_frames: int, cfg: DataConfig, rng: np.random.Generator
) -> torch.Tensor:
    """(B, T') bool: True where a latent frame is given clean. At least one frame is always generated.

    Modes: none; first; last; both (first and last); prefix / suffix (1..T'-1 frames at the start /
    end); keyframes (each frame with probability cfg.keyframe_prob).
    """
    mask = np.zeros((batch, latent_frames), dtype=bool)
    weights = np.asarray(cfg.cond_weights, dtype=np.float64)
    weights = weights / weights.sum()
    for i in range(batch):
        mode = cfg.cond_modes[rng.choice(len(cfg.cond_modes), p=weights)]
        if latent_frames < 2 or mode == "none":
            continue
        if mode in ("first", "both"):
            mask[i, 0] = True
        if mode in ("last", "both"):
            mask[i, -1] = True
        if mode == "prefix":
            mask[i, : rng.integers(1, latent_frames)] = True
        if mode == "suffix":
            mask[i, latent_frames - rng.integers(1, latent_frames) :] = True
        if mode == "keyframes":
            mask[i] = rng.random(latent_frames) < cfg.keyframe_prob
        if mask[i].all():  # "both" on 2 frames, or every keyframe drawn
            mask[i, rng.integers(latent_frames)] = False
    return torch.from_numpy(mask)


def _choose_bucket(buckets: list[Bucket], weights: np.ndarray, rng: np.random.Generator) -> int:
    return int(rng.choice(len(buckets), p=weights / weights.sum()))


# ---------------------------------------------------------------------------------------------
# The world simulator


class WorldDataset:
    """Scenes from the world simulator's training split, rendered at each batch's bucket."""

    def __init__(self, cfg: DataConfig, *, seed: int = 0):
        self.cfg = cfg
        self.seed = seed
        self.buckets = cfg.bucket_list()
        w = cfg.bucket_weights or (1.0,) * len(self.buckets)
        self.weights = np.asarray(w, dtype=np.float64)
        self.skipped: dict[str, str] = {}  # nothing to skip: renders never fail to read

    def item(
        self, scene_seed: int, bucket: Bucket, rng: np.random.Generator
    ) -> tuple[np.ndarray, str, np.ndarray]:
        """One rendered clip (T, H, W, 3) uint8, its caption and its object pixels (T, H, W) bool."""
        from tenku import world

        seconds = max(bucket.frames, 2) / self.cfg.fps
        lo, hi = self.cfg.world_objects
        spec = world.sample_spec(scene_seed, split="train", min_objects=lo, max_objects=hi, seconds=seconds)
        render = world.render(
            spec, width=bucket.width, height=bucket.height, fps=self.cfg.fps, seconds=seconds, seed=scene_seed
        )
        frames = np.asarray(render.frames)
        objects = render.state.masks.any(axis=1)  # (T, H, W): visible pixels of any object
        if bucket.frames == 1:  # an image: one random moment of the scene
            start = rng.integers(len(frames))
            frames, objects = frames[start:][:1], objects[start:][:1]
        frames, objects = fit_length(frames, bucket.frames), fit_length(objects, bucket.frames)
        detailed = bool(rng.random() < self.cfg.detailed_captions)
        return frames, world.caption(spec, seed=scene_seed, detailed=detailed), objects

    def get_batch(self, index: int, batch_size: int, *, rank: int = 0, world_size: int = 1) -> Batch:
        bucket = self.buckets[_choose_bucket(self.buckets, self.weights, batch_rng(self.seed, index))]
        clips, captions, objects = [], [], []
        for pos in range(rank * batch_size, (rank + 1) * batch_size):
            rng = batch_rng(self.seed, index, pos)
            scene_seed = int(rng.integers(2**31))
            frames, text, mask = self.item(scene_seed, bucket, rng)
            clips.append(frames_to_tensor(frames))
            captions.append(drop_captions([text], self.cfg.caption_dropout, rng)[0])
            objects.append(torch.from_numpy(mask)[None])  # (1, T, H, W)
        video = torch.stack(clips)  # (B, 3, T, H, W)
        return Batch(
            captions=tuple(captions),
            fps=self.cfg.fps,
            video=video,
            meta={"bucket": bucket},
            foreground=torch.stack(objects),
        )


# ---------------------------------------------------------------------------------------------
# A folder of captioned videos and images


@dataclass(frozen=True, kw_only=True)
class FolderItem:
    path: Path  # absolute path of the video or image
    caption: str  # its caption
    frames: int  # frames available at the dataset fps (1 for an image)
    aspect: float  # width / height of the source


def read_captions(root: Path) -> list[tuple[str, str]]:
    """(relative path, caption) pairs from captions.jsonl or captions.csv in `root`."""
    jsonl, csv_path = root / "captions.jsonl", root / "captions.csv"
    pairs = []
    if jsonl.is_file():
        for n, line in enumerate(jsonl.read_text().splitlines(), start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
                pairs.append((str(row["path"]), str(row["caption"])))
            except (json.JSONDecodeError, KeyError, TypeError) as e:
                raise ValueError(
                    f'{jsonl}:{n}: each line must be {{"path": ..., "caption": ...}} ({e})'
                ) from e
    elif csv_path.is_file():
        with csv_path.open(newline="") as f:
            for n, row in enumerate(csv.reader(f), start=1):
                if not row or (n == 1 and [c.strip().lower() for c in row[:2]] == ["path", "caption"]):
                    continue
                if len(row) < 2:
                    raise ValueError(f"{csv_path}:{n}: each row must be path,caption; got {row}")
                pairs.append((row[0], row[1]))
    else:
        raise FileNotFoundError(f"{root}: no {' or '.join(CAPTION_FILES)} found")
    return pairs


def probe(path: Path, fps: float) -> tuple[int, float]:
    """(frames available at fps, aspect) of a video or image; raises VideoReadError if unreadable."""
    import av

    from tenku.io import IMAGE_SUFFIXES, VideoReadError, read_image

    if path.suffix.lower() in IMAGE_SUFFIXES:
        image = read_image(path)
        return 1, image.shape[1] / image.shape[0]
    if not path.is_file() or path.stat().st_size == 0:
        raise VideoReadError(f"{path}: missing or empty")
    try:
        with av.open(str(path)) as container:
            if not container.streams.video:
                raise VideoReadError(f"{path}: holds no video stream")
            stream = container.streams.video[0]
            frame = next(container.decode(stream))  # decodes: catches garbage with a valid header
            rate = float(stream.average_rate or stream.guessed_rate or 24)
            if stream.duration is not None and stream.time_base is not None:
                seconds = float(stream.duration * stream.time_base)
            elif container.duration is not None:
                seconds = container.duration / 1_000_000
            else:
                seconds = (stream.frames or 1) / rate
            return max(1, int(math.floor(seconds * fps + 1e-6))), frame.width / frame.height
    except VideoReadError:
        raise
    except (av.error.FFmpegError, OSError, ValueError, StopIteration) as e:
        raise VideoReadError(f"{path}: not a readable video ({e})") from e


class VideoFolderDataset:
    """Captioned videos and images from a folder, bucketed by (frames, height, width).

    skipped: {path: reason} for files that could not be read (at scan time or when loaded).
    """

    def __init__(self, root: str | Path, cfg: DataConfig, *, seed: int = 0, max_tries: int = 8):
        from tenku.io import VideoReadError

        self.root = Path(root)
        self.cfg = cfg
        self.seed = seed
        self.max_tries = max_tries
        self.buckets = cfg.bucket_list()
        self.skipped: dict[str, str] = {}
        self.members: list[list[FolderItem]] = [[] for _ in self.buckets]
        for rel, text in read_captions(self.root):
            path = (self.root / rel).resolve()
            try:
                frames, aspect = probe(path, cfg.fps)
            except VideoReadError as e:
                self.skipped[str(path)] = str(e)
                continue
            item = FolderItem(path=path, caption=text, frames=frames, aspect=aspect)
            b = self.assign(item)
            if b is None:
                self.skipped[str(path)] = f"{path}: no bucket fits ({frames} frames at {cfg.fps} fps)"
            else:
                self.members[b].append(item)
        self.counts = np.asarray([len(m) for m in self.members], dtype=np.float64)
        if self.counts.sum() == 0:
            raise ValueError(f"{self.root}: no readable video fits any bucket ({len(self.skipped)} skipped)")

    def __len__(self) -> int:
        return int(self.counts.sum())

    def assign(self, item: FolderItem) -> int | None:
        """Bucket index for an item: nearest aspect ratio, then the longest clip that fits."""
        fits = [
            i
            for i, b in enumerate(self.buckets)
            if (b.frames == 1) == (item.frames == 1) and b.frames <= item.frames
        ]
        if not fits:
            return None
        return min(
            fits, key=lambda i: (abs(math.log(self.buckets[i].aspect / item.aspect)), -self.buckets[i].frames)
        )

    def load(self, item: FolderItem, bucket: Bucket, rng: np.random.Generator) -> np.ndarray:
        """A random clip of bucket.frames frames at the dataset fps, resized and cropped."""
        from tenku.io import read_video

        video = read_video(item.path, fps=None if bucket.frames == 1 and item.frames == 1 else self.cfg.fps)
        frames = video.frames
        start = int(rng.integers(0, max(1, len(frames) - bucket.frames + 1)))
        frames = fit_length(frames[start:], bucket.frames)
        return resize_crop(frames, bucket.height, bucket.width)

    def get_batch(self, index: int, batch_size: int, *, rank: int = 0, world_size: int = 1) -> Batch:
        from tenku.io import VideoReadError

        b = _choose_bucket(self.buckets, self.counts, batch_rng(self.seed, index))
        bucket, members = self.buckets[b], self.members[b]
        clips, captions = [], []
        for pos in range(rank * batch_size, (rank + 1) * batch_size):
            rng = batch_rng(self.seed, index, pos)
            for _ in range(self.max_tries):  # a file that fails always fails: draws stay deterministic
                item = members[int(rng.integers(len(members)))]
                try:
                    frames = self.load(item, bucket, rng)
                    break
                except VideoReadError as e:
                    self.skipped[str(item.path)] = str(e)
            else:
                raise ValueError(f"{self.max_tries} unreadable files in a row in bucket {bucket}")
            clips.append(frames_to_tensor(frames))
            captions.append(drop_captions([item.caption], self.cfg.caption_dropout, rng)[0])
        video = torch.stack(clips)  # (B, 3, T, H, W)
        return Batch(captions=tuple(captions), fps=self.cfg.fps, video=video, meta={"bucket": bucket})


# ---------------------------------------------------------------------------------------------
# Latent + text caches written by `tenku cache`

CACHE_INDEX = "index.json"


def cache_buckets(root: str | Path) -> list[Bucket]:
    """The pixel buckets a finished latent cache holds, in the order its shards first show them."""
    index_path = Path(root) / CACHE_INDEX
    if not index_path.is_file():
        raise FileNotFoundError(f"{root}: no {CACHE_INDEX}; write one with `tenku cache`")
    index = json.loads(index_path.read_text())
    spatial, temporal = index["vae"]["spatial_compression"], index["vae"]["temporal_compression"]
    shapes = dict.fromkeys(tuple(s["shape"][1:]) for s in index["shards"])  # (T', H', W') per shard
    return [
        Bucket(frames=(t - 1) * temporal + 1, height=h * spatial, width=w * spatial) for t, h, w in shapes
    ]


class LatentCacheDataset:
    """Reads `tenku cache` output: index.json + shard-*.safetensors (+ empty.safetensors).

    Each shard holds one latent shape: "latents" (N, C, T, H, W), "text_tokens" (N, L, D),
    "text_mask" (N, L) and, in caches of world data, "objects" (N, 1, T, H, W: `latent_cover`);
    captions are in index.json. Caption dropout swaps in the cached empty prompt's states.
    """

    def __init__(self, root: str | Path, cfg: DataConfig, *, seed: int = 0):
        from safetensors.torch import load_file

        self.root = Path(root)
        self.cfg = cfg
        self.seed = seed
        index_path = self.root / CACHE_INDEX
        if not index_path.is_file():
            raise FileNotFoundError(f"{self.root}: no {CACHE_INDEX}; write one with `tenku cache`")
        self.index = json.loads(index_path.read_text())
        self.fps = float(self.index["fps"])
        self.shards = [load_file(self.root / s["file"]) for s in self.index["shards"]]
        self.captions = [s["captions"] for s in self.index["shards"]]
        empty = load_file(self.root / self.index["empty"])
        self.empty_tokens, self.empty_mask = empty["text_tokens"][0], empty["text_mask"][0]
        self.counts = np.asarray([len(c) for c in self.captions], dtype=np.float64)
        self.skipped: dict[str, str] = {}

    def __len__(self) -> int:
        return int(self.counts.sum())

    def get_batch(self, index: int, batch_size: int, *, rank: int = 0, world_size: int = 1) -> Batch:
        s = _choose_bucket(self.shards, self.counts, batch_rng(self.seed, index))
        shard, names = self.shards[s], self.captions[s]
        latents, tokens, masks, captions, rows = [], [], [], [], []
        for pos in range(rank * batch_size, (rank + 1) * batch_size):
            rng = batch_rng(self.seed, index, pos)
            i = int(rng.integers(len(names)))
            rows.append(i)
            latents.append(shard["latents"][i])
            if rng.random() < self.cfg.caption_dropout:
                tokens.append(self.empty_tokens)
                masks.append(self.empty_mask)
                captions.append("")
            else:
                n = int(shard["text_mask"][i].sum())
                tokens.append(shard["text_tokens"][i, :n])
                masks.append(shard["text_mask"][i, :n])
                captions.append(names[i])
        text_tokens, text_mask = stack_texts(
            *((t[None], m[None]) for t, m in zip(tokens, masks, strict=True))
        )
        return Batch(
            captions=tuple(captions),
            fps=self.fps,
            latents=torch.stack(latents).float(),  # (B, C, T, H, W)
            text_tokens=text_tokens,  # (B, L, D)
            text_mask=text_mask,  # (B, L)
            meta={"shard": s},
            objects=shard["objects"][rows].float() if "objects" in shard else None,  # (B, 1, T, H, W)
        )


def stack_texts(*texts: tuple[torch.Tensor, torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
    """Text states (B_i, L_i, D) and masks (B_i, L_i) stacked along the batch, zero-padded to the
    longest L (the first's dtype; masks bool, False at padding)."""
    length = max(tokens.shape[1] for tokens, _ in texts)
    dtype = texts[0][0].dtype
    tokens = torch.cat([F.pad(tok.to(dtype), (0, 0, 0, length - tok.shape[1])) for tok, _ in texts])
    masks = torch.cat([F.pad(m.bool(), (0, length - m.shape[1])) for _, m in texts])
    return tokens, masks


def open_dataset(spec: str, cfg: DataConfig, *, seed: int = 0):
    """`world`, `cache:DIR` or a folder of captioned videos."""
    if spec == "world":
        return WorldDataset(cfg, seed=seed)
    if spec.startswith("cache:"):
        return LatentCacheDataset(spec[len("cache:") :], cfg, seed=seed)
    root = Path(spec)
    if not root.is_dir():
        raise ValueError(
            f"--data must be 'world', 'cache:DIR' or a folder of captioned videos; {spec!r} is none"
        )
    return VideoFolderDataset(root, cfg, seed=seed)


# ---- latent cache writing (`tenku cache`, recipes) ----


def _write_cache_shard(out: Path, n: int, items: list, index: list) -> None:
    """One shard file of (latent, text tokens, text mask, caption, object cover or None) items;
    appends its index entry."""
    from safetensors.torch import save_file

    from tenku.io import atomic_path

    length = max(int(m.sum()) for _, _, m, _, _ in items)
    latents = torch.stack([z for z, *_ in items])  # (N, C, T, H, W)
    tokens = torch.zeros(len(items), length, items[0][1].shape[-1])  # (N, L, D)
    mask = torch.zeros(len(items), length, dtype=torch.bool)  # (N, L)
    for i, (_, t, m, _, _) in enumerate(items):
        k = int(m.sum())
        tokens[i, :k], mask[i, :k] = t[:k], True
    tensors = {"latents": latents.contiguous(), "text_tokens": tokens, "text_mask": mask}
    if items[0][4] is not None:
        tensors["objects"] = torch.stack([o for *_, o in items]).half()  # (N, 1, T, H, W)
    name = f"shard-{n:05d}.safetensors"
    with atomic_path(out / name) as p:
        save_file(tensors, p)
    index.append({"file": name, "shape": list(latents.shape[1:]), "captions": [c for *_, c, _ in items]})


def write_latent_cache(
    data: str,
    vae_source: str | Path,
    out: str | Path,
    *,
    clips: int,
    batch: int = 8,
    shard_size: int = 1024,
    buckets: tuple[tuple[int, int, int], ...] | None = None,
    seed: int = 0,
    world_objects: tuple[int, int] | None = None,
    detailed_captions: float | None = None,
) -> tuple[int, int, int]:
    """Encode `clips` clips of `data` with a frozen VAE and the text encoder into a cache directory
    (format in tenku/cli/cache.py). Returns (clips written, shards, unreadable files skipped).
    `world_objects` and `detailed_captions` (world data) override DataConfig's for a curriculum."""
    import dataclasses
    import json

    from safetensors.torch import save_file
    from tqdm import tqdm

    from tenku.io import atomic_path
    from tenku.text import TextEncoder
    from tenku.train import load_vae

    cfg = DataConfig(buckets=buckets or DataConfig().buckets, caption_dropout=0.0)
    world = {"world_objects": world_objects, "detailed_captions": detailed_captions}
    cfg = dataclasses.replace(cfg, **{k: v for k, v in world.items() if v is not None})
    mcfg, vae = load_vae(vae_source, torch.device("cpu"))
    text = TextEncoder(mcfg.text)
    dataset = open_dataset(data, cfg, seed=seed)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    pending: dict[tuple, list] = {}
    index: list[dict] = []
    with torch.no_grad():
        for i in tqdm(range(-(-clips // batch)), unit="batch", desc="cache"):
            b = dataset.get_batch(i, batch)
            z = vae.encode(b.video)  # (B, C, T', H', W')
            emb = text.encode(list(b.captions), truncate=True)  # a rare 4-object caption runs long
            cover = [None] * len(z)  # world data: the share of each latent cell that is object
            if b.foreground is not None:
                cover = latent_cover(b.foreground, mcfg.vae)
            group = pending.setdefault(tuple(z.shape[1:]), [])
            group.extend(zip(z, emb.tokens, emb.mask, b.captions, cover, strict=True))
            if len(group) >= shard_size:
                _write_cache_shard(out, len(index), group[:shard_size], index)
                del group[:shard_size]
    for group in pending.values():
        if group:
            _write_cache_shard(out, len(index), group, index)
    empty = text.encode([""])
    with atomic_path(out / "empty.safetensors") as p:
        save_file({"text_tokens": empty.tokens.contiguous(), "text_mask": empty.mask.contiguous()}, p)
    meta = {
        "fps": cfg.fps,
        "empty": "empty.safetensors",
        "vae": dataclasses.asdict(mcfg.vae),
        "shards": index,
    }
    with atomic_path(out / "index.json") as p:  # written last: its presence marks a finished cache
        p.write_text(json.dumps(meta))
    written = sum(len(s["captions"]) for s in index)
    return written, len(index), len(getattr(dataset, "skipped", {}))
