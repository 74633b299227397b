"""Prompt -> video: `Generator` loads a checkpoint and runs every generation mode.

Every mode is one mechanism (DESIGN.md, "Every generation mode"): frames the user gives are laid
out on the output's timeline, the layout is encoded by the causal VAE, and each latent frame whose
pixel window is wholly given is held clean while the sampler denoises the rest.

| mode | layout |
| --- | --- |
| text-to-video / text-to-image | nothing given (an image is a 1-frame video, `seconds=0`) |
| image-to-video | the image at frame 0 |
| keyframes | each image held over the 4-frame window of its latent frame |
| extend forward / backward | the clip's tail before / head after the new frames |
| connect | A's tail, the gap, B's head |
| loop | a clip, then a second pass connecting its tail back to its head |
| edit (SDEdit) | the clip, noised to `strength` and denoised under the new prompt |

Long videos (more latent frames than `InferenceConfig.chunk_latent_frames`) are sampled chunk by
chunk, each chunk holding the last `context_latent_frames` latents of the one before, and decoded
as they come with the VAE's causal cache, so model memory does not grow with duration.

Given frames come out exactly as given. Checkpoints are directories holding `config.json` (the
`ModelConfig`, the `InferenceConfig` and the model name), `vae.safetensors` and `dit.safetensors`;
shipped ones live in `tenku/models/NAME/` and load by name. Nothing is fetched from a hub.
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from PIL import Image
from safetensors.torch import load_file, save_file

from tenku.config import (
    PRESETS,
    DiTConfig,
    FlowConfig,
    ModelConfig,
    SampleConfig,
    TextConfig,
    VAEConfig,
)
from tenku.dit import DiT
from tenku.flow import resolution_shift
from tenku.sample import sample
from tenku.text import TextEmbedding, TextEncoder
from tenku.vae import CausalCache, VideoVAE

MODELS_DIR = Path(__file__).parent / "models"  # checkpoints shipped in the package, loaded by name
DEFAULT_MODEL = "tenku-tiny"
Progress = Callable[[int, int], None]


@dataclass(frozen=True, kw_only=True)
class InferenceConfig:
    """What a checkpoint generates by default and allows; stored in its config.json."""

    width: int = 64  # default output width in pixels
    height: int = 64  # default output height in pixels
    seconds: float = 2.0  # default duration
    sizes: tuple[tuple[int, int], ...] = ((64, 64), (96, 64))  # (width, height) sizes offered to clients
    max_seconds: float = 120.0  # longest video accepted
    max_pixels: int = 256 * 256  # largest width * height accepted
    chunk_latent_frames: int = 9  # latent frames sampled at once; longer videos go chunk by chunk
    context_latent_frames: int = 2  # latents each chunk holds from the one before
    loop_gap_latent_frames: int = 2  # latents generated to close a loop
    max_context_latent_frames: int = 4  # given-clip latents used as context for extend and connect

    def __post_init__(self) -> None:
        if not 0 < self.context_latent_frames < self.chunk_latent_frames:
            raise ValueError(
                f"context_latent_frames ({self.context_latent_frames}) must be in 1..chunk_latent_frames - 1 "
                f"({self.chunk_latent_frames - 1})"
            )


@dataclass(frozen=True, kw_only=True)
class GenerationRequest:
    """One generation. None means the checkpoint's default. Frames are uint8 (T, H, W, 3) at `fps`."""

    prompt: str
    seconds: float | None = None  # duration (0: one frame, an image)
    fps: float | None = None  # frames per second (default: the model's)
    width: int | None = None
    height: int | None = None
    seed: int = 0
    steps: int | None = None  # sampler steps
    guidance: float | None = None  # classifier-free guidance scale
    negative_prompt: str = ""  # the unconditional prompt of guidance
    image: np.ndarray | None = None  # (H, W, 3): image-to-video, the first frame
    keyframes: tuple[tuple[float, np.ndarray], ...] = ()  # (time in seconds, image)
    extend: np.ndarray | None = None  # clip to extend by `seconds`
    backward: bool = False  # extend before the clip instead of after
    connect: tuple[np.ndarray, np.ndarray] | None = None  # (A, B): `seconds` of video from A to B
    edit: np.ndarray | None = None  # clip to re-render under the prompt (SDEdit)
    strength: float = 0.6  # edit: noise level in (0, 1]; 1 ignores the input
    loop: bool = False  # last frame leads seamlessly into the first


@dataclass(frozen=True, kw_only=True)
class GenerationResult:
    frames: np.ndarray  # (T, H, W, 3) uint8
    fps: float
    seed: int
    mode: str  # which mode ran, e.g. "text-to-video", "extend"
    settings: dict = field(default_factory=dict)  # resolved steps, guidance, shift, size, ...


@dataclass(frozen=True, kw_only=True)
class ModelLimits:
    """What a client may ask of a model (the server's models route lists it)."""

    name: str
    sizes: tuple[tuple[int, int], ...]
    size_multiple: int  # width and height must be multiples of this
    max_pixels: int
    max_seconds: float
    fps: float
    max_prompt_tokens: int


# ---- checkpoints ----


def _from_dict(cls, data: dict):
    """Build a (nested) config dataclass from JSON data, lists back to tuples."""
    kwargs = {}
    names = {f.name: f for f in dataclasses.fields(cls)}
    unknown = set(data) - set(names)
    if unknown:
        raise ValueError(f"{cls.__name__} has no field(s) {sorted(unknown)}; allowed: {sorted(names)}")
    nested = {
        "vae": VAEConfig,
        "text": TextConfig,
        "dit": DiTConfig,
        "flow": FlowConfig,
        "sample": SampleConfig,
    }
    for key, value in data.items():
        if cls is ModelConfig and key in nested:
            value = _from_dict(nested[key], value)
        elif isinstance(value, list):
            value = tuple(tuple(v) if isinstance(v, list) else v for v in value)
        kwargs[key] = value
    return cls(**kwargs)


def available_models() -> list[str]:
    """Names of the checkpoints shipped in the package."""
    if not MODELS_DIR.is_dir():
        return []
    return sorted(p.name for p in MODELS_DIR.iterdir() if (p / "config.json").is_file())


def resolve_checkpoint(name_or_path: str | os.PathLike) -> Path:
    """A shipped model name or a checkpoint directory -> the directory; clear error otherwise."""
    text = str(name_or_path)
    if text in available_models():
        return MODELS_DIR / text
    path = Path(text).expanduser()
    if path.is_dir() and (path / "config.json").is_file():
        return path
    shipped = ", ".join(available_models()) or "none yet"
    raise ValueError(
        f"unknown model {text!r}: not a shipped model (shipped: {shipped}) nor a checkpoint directory "
        f"holding config.json, vae.safetensors and dit.safetensors"
    )


FP16_MAX = 65504.0  # the largest finite float16


def _stored(t: torch.Tensor) -> torch.Tensor:
    """How a checkpoint stores a tensor: float32 weights as float16 where every value fits, half the
    bytes (loaded back into float32 modules, three clips of the shipped model moved by at most 1 of
    255 in any pixel)."""
    t = t.contiguous()
    fits = t.numel() == 0 or (bool(torch.isfinite(t).all()) and float(t.abs().max()) <= FP16_MAX)
    return t.half() if t.dtype == torch.float32 and fits else t


def save_checkpoint(
    path: str | os.PathLike,
    *,
    config: ModelConfig,
    vae: VideoVAE,
    dit: DiT,
    inference: InferenceConfig | None = None,
    name: str | None = None,
) -> Path:
    """Write a checkpoint directory atomically (a temporary directory renamed into place); weights
    are stored as float16 where they fit (`_stored`) and load back into float32 modules."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}.", dir=path.parent))
    umask = os.umask(0)
    os.umask(umask)
    tmp.chmod(0o777 & ~umask)  # mkdtemp makes 0700; a checkpoint is read by others, as mkdir would allow
    try:
        meta = {
            "name": name or path.name,
            "model": dataclasses.asdict(config),
            "inference": dataclasses.asdict(inference or InferenceConfig()),
        }
        (tmp / "config.json").write_text(json.dumps(meta, indent=2) + "\n")
        save_file({k: _stored(v) for k, v in vae.state_dict().items()}, tmp / "vae.safetensors")
        save_file({k: _stored(v) for k, v in dit.state_dict().items()}, tmp / "dit.safetensors")
        if path.exists():
            old = path.with_name(f".{path.name}.old")
            shutil.rmtree(old, ignore_errors=True)
            os.replace(path, old)
            os.replace(tmp, path)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(tmp, path)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return path


def load_checkpoint(path: str | os.PathLike) -> tuple[str, ModelConfig, InferenceConfig, VideoVAE, DiT]:
    """Read a checkpoint directory -> (name, config, inference, vae, dit), models in eval mode."""
    path = resolve_checkpoint(path)
    try:
        meta = json.loads((path / "config.json").read_text())
        config = _from_dict(ModelConfig, meta["model"])
        inference = _from_dict(InferenceConfig, meta.get("inference", {}))
    except (KeyError, TypeError, json.JSONDecodeError) as e:
        raise ValueError(f"{path / 'config.json'}: not a tenku checkpoint config ({e})") from e
    vae, dit = VideoVAE(config.vae), DiT(config.dit)
    for module, file in ((vae, "vae.safetensors"), (dit, "dit.safetensors")):
        if not (path / file).is_file():
            raise ValueError(f"checkpoint {path} lacks {file}")
        module.load_state_dict(load_file(path / file))
        module.eval().requires_grad_(False)
    return meta.get("name", path.name), config, inference, vae, dit


def create_random_checkpoint(
    path: str | os.PathLike, *, preset: str = "test", seed: int = 0, inference: InferenceConfig | None = None
) -> Path:
    """A checkpoint with random weights (tests, smoke runs). The DiT's output layer is perturbed
    from its zero init so samples are not trivially constant."""
    if preset not in PRESETS:
        raise ValueError(f"unknown preset {preset!r}; presets: {sorted(PRESETS)}")
    config = PRESETS[preset]
    torch.manual_seed(seed)
    vae, dit = VideoVAE(config.vae), DiT(config.dit)
    with torch.no_grad():
        for p in dit.final.parameters():
            p.normal_(0, 0.02)
    if inference is None:
        s = config.vae.spatial_compression * max(config.dit.patch_size[1:])
        inference = InferenceConfig(width=4 * s, height=4 * s, sizes=((4 * s, 4 * s), (6 * s, 4 * s)))
    return save_checkpoint(
        path, config=config, vae=vae, dit=dit, inference=inference, name=f"random-{preset}"
    )


# ---- frame geometry and conversions ----


def frames_for(seconds: float, fps: float, temporal: int = 4) -> int:
    """Frame count 1 + temporal * k nearest to seconds * fps (1 for an image)."""
    return 1 + temporal * max(0, round(seconds * fps / temporal))


def _latent_window(i: int, temporal: int) -> range:
    """Pixel frames covered by latent frame i of a causal VAE (the first frame is alone)."""
    return range(0, 1) if i == 0 else range(temporal * (i - 1) + 1, temporal * i + 1)


def to_tensor(frames: np.ndarray) -> torch.Tensor:
    """(T, H, W, 3) uint8 -> (1, 3, T, H, W) float in [-1, 1]."""
    x = torch.from_numpy(np.ascontiguousarray(frames)).float() / 127.5 - 1  # (T, H, W, 3)
    return x.permute(3, 0, 1, 2).unsqueeze(0)  # (1, 3, T, H, W)


def to_frames(x: torch.Tensor) -> np.ndarray:
    """(1, 3, T, H, W) float in [-1, 1] -> (T, H, W, 3) uint8."""
    x = ((x[0].float().clamp(-1, 1) + 1) * 127.5).round().to(torch.uint8)  # (3, T, H, W)
    return x.permute(1, 2, 3, 0).numpy()


def fit_frames(frames: np.ndarray, width: int, height: int, what: str) -> np.ndarray:
    """Validate user frames (T, H, W, 3) uint8 and resize them to width x height."""
    frames = np.asarray(frames)
    if frames.ndim == 3:
        frames = frames[None]
    if frames.dtype != np.uint8 or frames.ndim != 4 or frames.shape[-1] != 3 or frames.shape[0] < 1:
        raise ValueError(f"{what} must be uint8 RGB frames (T, H, W, 3), got {frames.dtype} {frames.shape}")
    if frames.shape[1:3] == (height, width):
        return frames
    resized = [
        np.asarray(Image.fromarray(f).resize((width, height), Image.Resampling.BICUBIC)) for f in frames
    ]
    return np.stack(resized)


@dataclass(frozen=True, kw_only=True)
class _Settings:
    """A request with every default resolved and checked."""

    width: int
    height: int
    fps: float
    frames: int
    steps: int
    guidance: float
    shift: float


class Generator:
    """A loaded checkpoint: `generate(request)` runs any mode. Not thread-safe; one per worker."""

    def __init__(
        self,
        *,
        name: str,
        config: ModelConfig,
        inference: InferenceConfig,
        vae: VideoVAE,
        dit: DiT,
        device: str | torch.device = "cpu",
        dtype: torch.dtype = torch.float32,
    ):
        if dtype not in (torch.float32, torch.bfloat16):
            raise ValueError(f"dtype must be torch.float32 or torch.bfloat16, got {dtype}")
        self.name, self.config, self.inference = name, config, inference
        self.device, self.dtype = torch.device(device), dtype
        self.vae = vae.to(self.device).eval()
        self.dit = dit.to(self.device).eval()
        self.text = TextEncoder(config.text, device=self.device)

    @classmethod
    def load(
        cls, name_or_path: str | os.PathLike = DEFAULT_MODEL, *, device: str = "cpu", dtype: str = "float32"
    ) -> Generator:
        dtypes = {"float32": torch.float32, "bfloat16": torch.bfloat16}
        if dtype not in dtypes:
            raise ValueError(f"dtype must be one of {sorted(dtypes)}, got {dtype!r}")
        name, config, inference, vae, dit = load_checkpoint(name_or_path)
        return cls(
            name=name,
            config=config,
            inference=inference,
            vae=vae,
            dit=dit,
            device=device,
            dtype=dtypes[dtype],
        )

    # ---- limits and validation ----

    @property
    def size_multiple(self) -> int:
        return self.config.vae.spatial_compression * max(self.config.dit.patch_size[1:])

    @property
    def temporal(self) -> int:
        return self.config.vae.temporal_compression * self.config.dit.patch_size[0]

    def limits(self) -> ModelLimits:
        inf = self.inference
        return ModelLimits(
            name=self.name,
            sizes=inf.sizes,
            size_multiple=self.size_multiple,
            max_pixels=inf.max_pixels,
            max_seconds=inf.max_seconds,
            fps=float(self.config.fps),
            max_prompt_tokens=self.config.text.max_tokens,
        )

    def resolve(self, req: GenerationRequest) -> _Settings:
        """Fill defaults and check every value; ValueError names the value and what is allowed."""
        inf, sc = self.inference, self.config.sample
        width, height = req.width or inf.width, req.height or inf.height
        m = self.size_multiple
        if width <= 0 or height <= 0 or width % m or height % m:
            raise ValueError(
                f"size {width}x{height} not allowed: width and height must be positive multiples of {m}"
            )
        if width * height > inf.max_pixels:
            raise ValueError(
                f"size {width}x{height} has {width * height} pixels; at most {inf.max_pixels} allowed"
            )
        fps = float(req.fps or self.config.fps)
        if not 1 <= fps <= 60:
            raise ValueError(f"fps {fps} out of range: allowed 1..60")
        seconds = inf.seconds if req.seconds is None else req.seconds
        if not 0 <= seconds <= inf.max_seconds:
            raise ValueError(f"seconds {seconds} out of range: allowed 0..{inf.max_seconds}")
        steps = sc.steps if req.steps is None else req.steps
        if steps < 1:
            raise ValueError(f"steps must be >= 1, got {steps}")
        guidance = sc.guidance if req.guidance is None else req.guidance
        if guidance < 0:
            raise ValueError(f"guidance must be >= 0, got {guidance}")
        if not 0 < req.strength <= 1:
            raise ValueError(f"strength must be in (0, 1], got {req.strength}")
        modes = [k for k in ("image", "extend", "connect", "edit") if getattr(req, k) is not None]
        if len(modes) > 1:
            raise ValueError(f"at most one of image, extend, connect, edit may be given, got {modes}")
        if req.loop and (req.extend is not None or req.connect is not None or req.edit is not None):
            raise ValueError("loop combines only with text or an image, not with extend, connect or edit")
        frames = frames_for(seconds, fps, self.temporal)
        if (req.extend is not None or req.connect is not None) and frames < 1 + self.temporal:
            raise ValueError(f"extend and connect need seconds >= {self.temporal / fps:.2f} of new video")
        for t, _ in req.keyframes:
            if not 0 <= t <= (frames - 1) / fps:
                raise ValueError(f"keyframe time {t} s outside the clip (0..{(frames - 1) / fps:.2f} s)")
        tokens = (frames - 1) // self.temporal + 1
        tokens *= (height // m) * (width // m)
        shift = sc.shift if sc.shift is not None else resolution_shift(tokens, self.config.flow)
        return _Settings(
            width=width, height=height, fps=fps, frames=frames, steps=steps, guidance=guidance, shift=shift
        )

    # ---- model calls ----

    def _autocast(self):
        return torch.autocast(self.device.type, dtype=torch.bfloat16, enabled=self.dtype == torch.bfloat16)

    def _embed(self, prompt: str, negative: str) -> tuple[TextEmbedding, TextEmbedding]:
        cond = self.text.encode([prompt])
        uncond = self.text.encode([negative])
        return cond, uncond

    def _encode(self, frames: np.ndarray) -> torch.Tensor:
        with torch.no_grad(), self._autocast():
            return self.vae.encode(to_tensor(frames).to(self.device)).float()  # (1, C, T', H', W')

    def _sample(
        self,
        s: _Settings,
        text: tuple[TextEmbedding, TextEmbedding],
        shape: tuple[int, ...],
        *,
        generator: torch.Generator,
        cond: torch.Tensor | None = None,
        held: torch.Tensor | None = None,
        start: float = 1.0,
        progress: Progress | None = None,
    ) -> torch.Tensor:
        cond_emb, uncond_emb = text
        fps = torch.tensor([s.fps], device=self.device)

        def model_fn(x: torch.Tensor, t: torch.Tensor, use_text: bool) -> torch.Tensor:
            emb = cond_emb if use_text else uncond_emb
            with self._autocast():
                v = self.dit(x, t, emb.tokens.to(self.device), emb.mask.to(self.device), fps=fps)
            return v.float()

        noise = torch.randn(shape, generator=generator).to(self.device)
        if start < 1.0:
            assert cond is not None
            noise = (1 - start) * cond + start * noise
        return sample(
            model_fn,
            noise,
            steps=s.steps,
            shift=s.shift,
            guidance=s.guidance,
            solver=self.config.sample.solver,
            cond_latents=cond if held is not None else None,
            cond_mask=held,
            start=start,
            progress=progress,
        )

    def _decode(self, z: torch.Tensor) -> np.ndarray:
        with torch.no_grad(), self._autocast():
            return to_frames(self.vae.decode(z).float())

    # ---- layouts ----

    def _sample_layout(
        self,
        s: _Settings,
        text: tuple[TextEmbedding, TextEmbedding],
        layout: np.ndarray,
        known: np.ndarray,
        generator: torch.Generator,
        progress: Progress | None,
    ) -> np.ndarray:
        """Generate a clip of len(layout) frames holding the known frames; returns all frames."""
        n_lat = (len(layout) - 1) // self.temporal + 1
        held = torch.tensor(
            [[bool(known[list(_latent_window(i, self.temporal))].all()) for i in range(n_lat)]]
        )
        filled = layout.copy()
        idx = np.flatnonzero(known)
        if len(idx):
            nearest = idx[np.abs(np.arange(len(layout))[:, None] - idx[None]).argmin(1)]
            filled = layout[nearest]  # unknown frames borrow the nearest known one as causal context
        z = self._encode(filled)
        out = self._sample(
            s, text, tuple(z.shape), generator=generator, cond=z, held=held.to(self.device), progress=progress
        )
        frames = self._decode(out)
        frames[known] = layout[known]
        return frames

    def _chunked(
        self,
        s: _Settings,
        text: tuple[TextEmbedding, TextEmbedding],
        first: np.ndarray | None,
        generator: torch.Generator,
        progress: Progress | None,
    ) -> np.ndarray:
        """Long video: chunks of latents, each holding the previous chunk's tail; streamed decode."""
        inf, cfg = self.inference, self.config.vae
        n_lat = (s.frames - 1) // self.temporal + 1
        chunk, ctx = inf.chunk_latent_frames, inf.context_latent_frames
        n_chunks = 1 + math.ceil(max(0, n_lat - chunk) / (chunk - ctx))
        grid = (cfg.latent_channels, s.height // cfg.spatial_compression, s.width // cfg.spatial_compression)
        cache, pieces, tail, done = CausalCache(), [], None, 0
        for c in range(n_chunks):
            length = min(chunk, n_lat - done + (ctx if c else 0))
            shape = (1, grid[0], length, grid[1], grid[2])
            cond = torch.zeros(shape, device=self.device)
            held = torch.zeros(1, length, dtype=torch.bool, device=self.device)
            if c == 0 and first is not None:
                cond[:, :, :1] = self._encode(first[None])
                held[:, 0] = True
            if tail is not None:
                cond[:, :, :ctx], held[:, :ctx] = tail, True

            def chunk_progress(i: int, n: int, c: int = c) -> None:
                if progress is not None:
                    progress(c * s.steps + i, n_chunks * s.steps)

            z = self._sample(
                s, text, shape, generator=generator, cond=cond, held=held, progress=chunk_progress
            )
            new = z if c == 0 else z[:, :, ctx:]
            with torch.no_grad(), self._autocast():
                pieces.append(to_frames(self.vae.decode_step(new, cache).float()))
            tail, done = z[:, :, -ctx:], done + new.shape[2]
        frames = np.concatenate(pieces)
        if first is not None:
            frames[0] = first
        return frames

    # ---- entry point ----

    def _context_frames(self, clip: np.ndarray) -> int:
        """Frames of a given clip's tail used as context: 1 + 4j, at most max_context_latent_frames latents."""
        tmp = self.temporal
        return 1 + tmp * min((len(clip) - 1) // tmp, self.inference.max_context_latent_frames - 1)

    def _head_frames(self, clip: np.ndarray, what: str) -> int:
        """Frames of a given clip's head used as context: 4j, at most max_context_latent_frames latents."""
        tmp = self.temporal
        n = tmp * min(len(clip) // tmp, self.inference.max_context_latent_frames)
        if n == 0:
            raise ValueError(f"{what} needs at least {tmp} frames")
        return n

    def _edit(self, s: _Settings, text, req: GenerationRequest, g, progress) -> np.ndarray:
        tmp = self.temporal
        clip = fit_frames(req.edit, s.width, s.height, "edit clip")
        z = self._encode(clip[: 1 + tmp * ((len(clip) - 1) // tmp)])
        z = self._sample(s, text, tuple(z.shape), generator=g, cond=z, start=req.strength, progress=progress)
        return self._decode(z)

    def _extend(self, s: _Settings, text, req: GenerationRequest, g, progress) -> np.ndarray:
        w, h, new = s.width, s.height, s.frames - 1  # new: a multiple of the temporal compression
        clip = fit_frames(req.extend, w, h, "clip to extend")
        if req.backward:
            head = clip[: self._head_frames(clip, "the clip to extend backward")]
            layout = np.concatenate([np.zeros((new + 1, h, w, 3), np.uint8), head])
            known = np.r_[np.zeros(new + 1, bool), np.ones(len(head), bool)]
            return np.concatenate(
                [self._sample_layout(s, text, layout, known, g, progress), clip[len(head) :]]
            )
        tail = clip[-self._context_frames(clip) :]
        layout = np.concatenate([tail, np.zeros((new, h, w, 3), np.uint8)])
        known = np.r_[np.ones(len(tail), bool), np.zeros(new, bool)]
        return np.concatenate(
            [clip[: len(clip) - len(tail)], self._sample_layout(s, text, layout, known, g, progress)]
        )

    def _connect(self, s: _Settings, text, req: GenerationRequest, g, progress) -> np.ndarray:
        w, h, gap = s.width, s.height, s.frames - 1
        a, b = (fit_frames(c, w, h, f"connect clip {n}") for c, n in zip(req.connect, "AB", strict=True))
        tail = a[-self._context_frames(a) :]
        head = b[: self._head_frames(b, "connect clip B")]
        layout = np.concatenate([tail, np.zeros((gap, h, w, 3), np.uint8), head])
        known = np.r_[np.ones(len(tail), bool), np.zeros(gap, bool), np.ones(len(head), bool)]
        middle = self._sample_layout(s, text, layout, known, g, progress)
        return np.concatenate([a[: len(a) - len(tail)], middle, b[len(head) :]])

    def _keyframed(self, s: _Settings, text, req: GenerationRequest, g, progress) -> tuple[str, np.ndarray]:
        """Text-to-video/image, image-to-video and keyframes: one clip, some frames given."""
        w, h, tmp = s.width, s.height, self.temporal
        layout = np.zeros((s.frames, h, w, 3), np.uint8)
        known = np.zeros(s.frames, bool)
        if req.image is not None:
            layout[0], known[0] = fit_frames(req.image, w, h, "image")[0], True
        for t, image in req.keyframes:
            window = list(_latent_window(math.ceil(round(t * s.fps) / tmp), tmp))
            layout[window], known[window] = fit_frames(image, w, h, f"keyframe at {t} s")[0], True
        if known.any():
            mode = "keyframes" if req.keyframes else "image-to-video"
            return mode, self._sample_layout(s, text, layout, known, g, progress)
        vae = self.config.vae
        n_lat = (s.frames - 1) // tmp + 1
        shape = (1, vae.latent_channels, n_lat, h // vae.spatial_compression, w // vae.spatial_compression)
        mode = "text-to-image" if s.frames == 1 else "text-to-video"
        return mode, self._decode(self._sample(s, text, shape, generator=g, progress=progress))

    def generate(self, req: GenerationRequest, *, progress: Progress | None = None) -> GenerationResult:
        """Run the request's mode; progress(done, total) after each sampler step."""
        if not isinstance(req.prompt, str):
            raise TypeError(f"prompt must be a string, got {type(req.prompt).__name__}")
        s = self.resolve(req)
        text = self._embed(req.prompt, req.negative_prompt)
        g = torch.Generator().manual_seed(req.seed)
        long = (s.frames - 1) // self.temporal + 1 > self.inference.chunk_latent_frames
        if req.edit is not None:
            mode, frames = "edit", self._edit(s, text, req, g, progress)
        elif req.extend is not None:
            mode = "extend-backward" if req.backward else "extend"
            frames = self._extend(s, text, req, g, progress)
        elif req.connect is not None:
            mode, frames = "connect", self._connect(s, text, req, g, progress)
        elif req.loop:
            mode, frames = "loop", self._loop(s, text, req, g, progress)
        elif long:
            if req.keyframes:
                raise ValueError(
                    f"keyframes work on clips up to {self.inference.chunk_latent_frames} latent frames; "
                    f"{s.frames} frames were asked"
                )
            first = None if req.image is None else fit_frames(req.image, s.width, s.height, "image")[0]
            mode, frames = "long-video", self._chunked(s, text, first, g, progress)
        else:
            mode, frames = self._keyframed(s, text, req, g, progress)
        settings = {
            "model": self.name,
            "width": s.width,
            "height": s.height,
            "fps": s.fps,
            "frames": int(len(frames)),
            "steps": s.steps,
            "guidance": s.guidance,
            "shift": s.shift,
            "solver": self.config.sample.solver,
        }
        return GenerationResult(frames=frames, fps=s.fps, seed=req.seed, mode=mode, settings=settings)

    def _loop(
        self,
        s: _Settings,
        text: tuple[TextEmbedding, TextEmbedding],
        req: GenerationRequest,
        g: torch.Generator,
        progress: Progress | None,
    ) -> np.ndarray:
        """A clip, then the frames that lead from its tail back to its head (two sampler passes)."""
        tmp, inf = self.temporal, self.inference
        gap = tmp * inf.loop_gap_latent_frames
        if s.frames - gap < 1 + tmp:
            raise ValueError(f"a loop needs at least {(1 + tmp + gap) / s.fps:.2f} seconds")

        def half(offset: int) -> Progress | None:
            return None if progress is None else (lambda i, n: progress(offset + i, 2 * n))

        first = dataclasses.replace(s, frames=s.frames - gap)
        layout = np.zeros((first.frames, s.height, s.width, 3), np.uint8)
        known = np.zeros(first.frames, bool)
        if req.image is not None:
            layout[0], known[0] = fit_frames(req.image, s.width, s.height, "image")[0], True
        clip = self._sample_layout(first, text, layout, known, g, half(0))
        tail = clip[-(1 + tmp) :]
        head = clip[:tmp]
        layout = np.concatenate([tail, np.zeros((gap, s.height, s.width, 3), np.uint8), head])
        known = np.r_[np.ones(len(tail), bool), np.zeros(gap, bool), np.ones(len(head), bool)]
        bridge = self._sample_layout(
            dataclasses.replace(s, frames=len(layout)), text, layout, known, g, half(s.steps)
        )
        return np.concatenate([clip, bridge[len(tail) : len(tail) + gap]])


def request_inputs(req: GenerationRequest) -> list[tuple[str, np.ndarray]]:
    """Every image or clip the user gave, named, for the safety check of input media."""
    items = [("image", req.image), ("extend clip", req.extend), ("edit clip", req.edit)]
    if req.connect is not None:
        items += [("connect clip A", req.connect[0]), ("connect clip B", req.connect[1])]
    items += [(f"keyframe at {t} s", image) for t, image in req.keyframes]
    return [(name, np.asarray(x)) for name, x in items if x is not None]


def generate_to_file(
    generator: Generator,
    req: GenerationRequest,
    out: str | os.PathLike,
    *,
    policy,
    provenance,
    progress: Progress | None = None,
) -> tuple[Path, GenerationResult]:
    """The whole product path: safety on the prompt and inputs, generate, safety on the output
    frames, then write with provenance (.mp4 video, or .png for a 1-frame result).

    `policy` is a `tenku.safety.Policy` (refusals raise `SafetyRefusal` and nothing is written);
    `provenance` a `tenku.provenance.ProvenanceConfig`. Bad values raise ValueError before any work.
    """
    from tenku.provenance import write_provenanced

    out = Path(out)
    suffix = out.suffix.lower()
    if suffix not in (".mp4", ".png"):
        raise ValueError(f"output {out} must end in .mp4 (video) or .png (image)")
    if suffix == ".png" and req.seconds not in (None, 0):
        raise ValueError(
            f"a .png output holds one frame: leave --seconds out or set it to 0, got {req.seconds}"
        )
    if suffix == ".png":
        req = dataclasses.replace(req, seconds=0.0)
    policy.enforce_prompt(req.prompt)
    generator.resolve(req)  # every value checked before any model work
    for _name, media in request_inputs(req):
        frames = media if media.ndim == 4 else media[None]
        policy.enforce_frames(frames, fps=float(req.fps or generator.config.fps))
    result = generator.generate(req, progress=progress)
    policy.enforce_frames(result.frames, fps=result.fps)
    path = write_provenanced(
        result.frames,
        out,
        result.fps,
        model=generator.name,
        prompt=req.prompt,
        config=provenance,
        extra={
            "mode": result.mode,
            "seed": result.seed,
            **{k: v for k, v in result.settings.items() if k != "model"},
        },
    )
    return path, result
