"""Model configuration: frozen, keyword-only dataclasses per concern and the named `PRESETS`.

Every default of the engine lives here once. A `ModelConfig` groups the VAE, text encoder, DiT,
flow-matching and sampling settings of one named preset; `PRESETS` maps names to them.

Parameter counts (DiT + VAE, measured by instantiating on the meta device; the text encoder,
MiniLM-L6 at 22.7 M, is frozen and not counted). `tests/test_dit.py` checks them:

| preset       | DiT params | VAE params | latent of 17 x 64 x 64 | DiT tokens there |
| ------------ | ---------- | ---------- | ---------------------- | ---------------- |
| test         | 62.4 K     | 81.0 K     | 4 x 5 x 16 x 16        | 1280             |
| tiny         | 7.06 M     | 4.45 M     | 8 x 5 x 8 x 8          | 320              |
| tiny-c16     | 7.06 M     | 4.53 M     | 16 x 5 x 8 x 8         | 320              |
| tiny-c16-d2  | 7.06 M     | 5.70 M     | 16 x 5 x 8 x 8         | 320              |
| tiny-c16-l12 | 10.3 M     | 5.70 M     | 16 x 5 x 8 x 8         | 320              |
| tiny-c16-s4  | 7.08 M     | 5.70 M     | 16 x 5 x 16 x 16       | 320              |
| small        | 95.1 M     | 27.0 M     | 16 x 5 x 8 x 8         | 80               |
| base         | 471 M      | 107 M      | 16 x 5 x 8 x 8         | 80               |
| large        | 1.32 B     | 107 M      | 16 x 5 x 8 x 8         | 80               |
| xl           | 6.30 B     | 172 M      | 48 x 5 x 4 x 4         | 80               |
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field


def _is_pow2(n: int) -> bool:
    return n >= 1 and (n & (n - 1)) == 0


@dataclass(frozen=True, kw_only=True)
class VAEConfig:
    in_channels: int = 3  # RGB
    latent_channels: int = 8  # channels of the latent, 4..48
    spatial_compression: int = 8  # pixels per latent cell along H and W: 4, 8 or 16
    temporal_compression: int = 4  # frames per latent frame after the first (T = 1 + 4k -> 1 + k)
    channels: tuple[int, ...] = (32, 64, 128)  # widths per resolution level; one down/up between levels
    space_to_depth: int | None = None  # pixels per side folded into channels first; None: all the
    # spatial compression the level transitions do not (each halves H and W until it is reached)
    blocks: int = 1  # residual blocks per level
    decoder_blocks: int | None = None  # residual blocks per decoder level; None: `blocks`
    scaling_factor: float = 1.0  # z = (mean - shift_factor) * scaling_factor, measured after VAE training
    shift_factor: float = 0.0  # see scaling_factor
    logvar_clamp: tuple[float, float] = (-20.0, 10.0)  # range of the posterior log-variance
    tile_overlap: int = 16  # pixels shared by neighbouring spatial tiles in tiled encode/decode

    def __post_init__(self) -> None:
        if not 4 <= self.latent_channels <= 48:
            raise ValueError(f"latent_channels must be in 4..48, got {self.latent_channels}")
        if self.spatial_compression not in (4, 8, 16):
            raise ValueError(f"spatial_compression must be 4, 8 or 16, got {self.spatial_compression}")
        if not _is_pow2(self.temporal_compression) or self.temporal_compression > 8:
            raise ValueError(f"temporal_compression must be 1, 2, 4 or 8, got {self.temporal_compression}")
        if self.blocks < 1 or (self.decoder_blocks is not None and self.decoder_blocks < 1):
            raise ValueError(
                f"blocks and decoder_blocks must be >= 1, got {self.blocks}, {self.decoder_blocks}"
            )
        downs = len(self.channels) - 1
        if self.space_to_depth is None and self.spatial_compression < 2**downs:
            raise ValueError(
                f"{len(self.channels)} levels downsample {2**downs}x, more than spatial_compression "
                f"{self.spatial_compression}; use at most {int(math.log2(self.spatial_compression)) + 1} "
                "levels, or set space_to_depth so that fewer transitions halve H and W"
            )
        if self.space_to_depth is not None:
            s = self.space_to_depth
            if not _is_pow2(s) or s > self.spatial_compression or self.spatial_compression // s > 2**downs:
                raise ValueError(
                    f"space_to_depth must be a power of 2 from spatial_compression / {2**downs} to "
                    f"spatial_compression ({self.spatial_compression}), got {s}"
                )
        if int(math.log2(self.temporal_compression)) > downs:
            raise ValueError(
                f"temporal_compression {self.temporal_compression} needs at least "
                f"{int(math.log2(self.temporal_compression)) + 1} levels, got {len(self.channels)}"
            )

    @property
    def decoder_depth(self) -> int:
        """Residual blocks per decoder level."""
        return self.blocks if self.decoder_blocks is None else self.decoder_blocks

    def same_encoder(self, other: VAEConfig) -> bool:
        """Whether `other` builds the same encoder and latent space (it may differ in decoder depth)."""

        def encoder_side(cfg: VAEConfig) -> VAEConfig:
            return dataclasses.replace(cfg, decoder_blocks=None)

        return encoder_side(self) == encoder_side(other)

    @property
    def patch_size(self) -> int:
        """Space-to-depth factor applied to pixels before the first convolution."""
        if self.space_to_depth is not None:
            return self.space_to_depth
        return self.spatial_compression // 2 ** (len(self.channels) - 1)

    @property
    def spatial_downsamples(self) -> tuple[bool, ...]:
        """Per level transition (encoder order): whether it halves H and W. The first ones do."""
        n = int(math.log2(self.spatial_compression // self.patch_size))
        return tuple(i < n for i in range(len(self.channels) - 1))

    @property
    def temporal_downsamples(self) -> tuple[bool, ...]:
        """Per level transition (encoder order): whether it halves time. The last ones do."""
        downs = len(self.channels) - 1
        n = int(math.log2(self.temporal_compression))
        return tuple(i >= downs - n for i in range(downs))

    def latent_shape(self, frames: int, height: int, width: int) -> tuple[int, int, int, int]:
        """(C, T', H', W') of the latent of a `frames` x `height` x `width` clip."""
        return (
            self.latent_channels,
            1 + (frames - 1) // self.temporal_compression,
            height // self.spatial_compression,
            width // self.spatial_compression,
        )


@dataclass(frozen=True, kw_only=True)
class TextConfig:
    encoder: str = "minilm"  # "minilm" (bundled all-MiniLM-L6-v2) or a local Hugging Face model directory
    max_tokens: int = 128  # longest prompt in tokens (special tokens included); longer is an error
    dim: int = 384  # width of the encoder's token states
    cache_size: int = 1024  # prompts kept in the per-prompt LRU cache


@dataclass(frozen=True, kw_only=True)
class DiTConfig:
    in_channels: int = 8  # latent channels (VAEConfig.latent_channels)
    patch_size: tuple[int, int, int] = (1, 1, 1)  # (pt, ph, pw) latent cells per token
    width: int = 256  # token width D
    depth: int = 8  # transformer blocks
    heads: int = 4  # attention heads; width // heads is the head dim
    mlp_ratio: float = 4.0  # MLP hidden width / width
    text_dim: int = 384  # width of the text token states (TextConfig.dim)
    qk_norm: bool = True  # RMSNorm on queries and keys (self and cross attention)
    freq_dim: int = 256  # sinusoidal features for timestep, fps and size embeddings
    rope_theta: float = 10000.0  # base of the rotary frequencies
    rope_split: tuple[int, int, int] | None = None  # head-dim channels for (t, h, w); None: ~1/3 each
    timestep_scale: float = 1000.0  # t in [0, 1] is scaled by this before the sinusoid
    eps: float = 1e-6  # norm epsilon
    abs_pos: bool = (
        True  # add fixed 3D sin-cos positions to the tokens (RoPE alone is translation-equivariant)
    )

    def __post_init__(self) -> None:
        if self.width % self.heads:
            raise ValueError(f"width {self.width} must be divisible by heads {self.heads}")
        if self.head_dim % 2:
            raise ValueError(f"head dim width/heads = {self.head_dim} must be even for rotary embedding")
        split = self.rope_axes
        if sum(split) != self.head_dim or any(s % 2 for s in split):
            raise ValueError(f"rope_split {split} must be even numbers summing to head dim {self.head_dim}")
        if len(self.patch_size) != 3 or min(self.patch_size) < 1:
            raise ValueError(f"patch_size must be three positive ints (pt, ph, pw), got {self.patch_size}")

    @property
    def head_dim(self) -> int:
        return self.width // self.heads

    @property
    def rope_axes(self) -> tuple[int, int, int]:
        """Head-dim channels rotated by the t, h and w positions."""
        if self.rope_split is not None:
            return self.rope_split
        hw = 2 * (self.head_dim // 6)
        return (self.head_dim - 2 * hw, hw, hw)


@dataclass(frozen=True, kw_only=True)
class FlowConfig:
    logit_mean: float = 0.0  # mean of the logit-normal training timestep density
    logit_std: float = 1.0  # std of the logit-normal training timestep density
    shift_base: float = 1.0  # timestep shift at base_tokens DiT tokens
    shift_max: float = 3.0  # timestep shift at max_tokens DiT tokens (and beyond)
    base_tokens: int = 256  # token count where the shift is shift_base
    max_tokens: int = 4096  # token count where the shift reaches shift_max


@dataclass(frozen=True, kw_only=True)
class SampleConfig:
    steps: int = 25  # ODE steps
    guidance: float = 4.0  # classifier-free guidance scale; 1 disables the unconditional pass
    shift: float | None = None  # timestep shift; None: FlowConfig resolution shift for the token count
    solver: str = "euler"  # "euler" or "heun"

    def __post_init__(self) -> None:
        if self.steps < 1:
            raise ValueError(f"steps must be >= 1, got {self.steps}")
        if self.solver not in ("euler", "heun"):
            raise ValueError(f"solver must be 'euler' or 'heun', got {self.solver!r}")


@dataclass(frozen=True, kw_only=True)
class ModelConfig:
    name: str  # preset name
    vae: VAEConfig = field(default_factory=VAEConfig)  # video autoencoder
    text: TextConfig = field(default_factory=TextConfig)  # frozen text encoder
    dit: DiTConfig = field(default_factory=DiTConfig)  # diffusion transformer
    flow: FlowConfig = field(default_factory=FlowConfig)  # training objective
    sample: SampleConfig = field(default_factory=SampleConfig)  # inference defaults
    fps: int = 8  # frame rate the preset is trained and sampled at

    def __post_init__(self) -> None:
        if self.dit.in_channels != self.vae.latent_channels:
            raise ValueError(
                f"preset {self.name!r}: dit.in_channels {self.dit.in_channels} != "
                f"vae.latent_channels {self.vae.latent_channels}"
            )
        if self.dit.text_dim != self.text.dim:
            raise ValueError(
                f"preset {self.name!r}: dit.text_dim {self.dit.text_dim} != text.dim {self.text.dim}"
            )


def _preset(name: str, vae: VAEConfig, dit: DiTConfig, **kw) -> ModelConfig:
    return ModelConfig(name=name, vae=vae, dit=dit, **kw)


PRESETS: dict[str, ModelConfig] = {
    # Tiny random-weight model for tests: milliseconds per forward.
    "test": _preset(
        "test",
        VAEConfig(latent_channels=4, spatial_compression=4, channels=(8, 8, 16)),
        DiTConfig(in_channels=4, width=32, depth=2, heads=2, mlp_ratio=2.0, freq_dim=32),
        sample=SampleConfig(steps=4),
    ),
    # The CPU default: 64x64x17 clips -> 8x5x8x8 latents -> 320 tokens.
    "tiny": _preset(
        "tiny",
        VAEConfig(latent_channels=8, spatial_compression=8, channels=(32, 64, 128)),
        DiTConfig(in_channels=8, width=192, depth=8, heads=3),
    ),
    # tiny with twice the latent channels (16x5x8x8 latents, the same 320 tokens): 48x compression
    # instead of 96x, for the detail of objects a few pixels wide. Trained by widening tiny's runs.
    "tiny-c16": _preset(
        "tiny-c16",
        VAEConfig(latent_channels=16, spatial_compression=8, channels=(32, 64, 128)),
        DiTConfig(in_channels=16, width=192, depth=8, heads=3),
    ),
    # tiny-c16 with two residual blocks per decoder level (5.70 M VAE parameters): grown from a trained
    # tiny-c16 VAE with its encoder frozen, so the latent space (and a DiT trained on it) stays.
    "tiny-c16-d2": _preset(
        "tiny-c16-d2",
        VAEConfig(latent_channels=16, spatial_compression=8, channels=(32, 64, 128), decoder_blocks=2),
        DiTConfig(in_channels=16, width=192, depth=8, heads=3),
    ),
    # tiny-c16-d2 with 12 transformer blocks instead of 8 (untrained): grown from a trained 8-block
    # DiT (`--init`), its new blocks starting as the identity; 1.5x the DiT step time.
    "tiny-c16-l12": _preset(
        "tiny-c16-l12",
        VAEConfig(latent_channels=16, spatial_compression=8, channels=(32, 64, 128), decoder_blocks=2),
        DiTConfig(in_channels=16, width=192, depth=12, heads=3),
    ),
    # A candidate next default (untrained): a 4x-spatial VAE (16x16 latents at 64x64, so an object
    # of a few pixels spans several cells) under the tiny DiT at patch 2: the same 320 tokens. Its
    # VAE step costs ~5x tiny's on the 2-core CPU (full-resolution first level): a GPU-sized stage.
    "tiny-s4": _preset(
        "tiny-s4",
        VAEConfig(latent_channels=8, spatial_compression=4, channels=(32, 64, 128)),
        DiTConfig(in_channels=8, patch_size=(1, 2, 2), width=192, depth=8, heads=3),
    ),
    # tiny-c16-d2 with a 16x16 latent grid at 64x64 (4x spatial: the second level transition halves
    # time alone), under the DiT at patch 2: the same 320 tokens, 4x the latent numbers for the shapes
    # of objects a few pixels across. Its VAE starts from a trained tiny-c16-d2 (`--init`: the same
    # tensors, that transition's convs at stride 1); the wide levels run at 16x16, not 8x8.
    "tiny-c16-s4": _preset(
        "tiny-c16-s4",
        VAEConfig(
            latent_channels=16,
            spatial_compression=4,
            space_to_depth=2,
            channels=(32, 64, 128),
            decoder_blocks=2,
        ),
        DiTConfig(in_channels=16, patch_size=(1, 2, 2), width=192, depth=8, heads=3),
    ),
    "small": _preset(
        "small",
        VAEConfig(latent_channels=16, spatial_compression=8, channels=(64, 128, 256), blocks=2),
        DiTConfig(in_channels=16, patch_size=(1, 2, 2), width=512, depth=16, heads=8),
        sample=SampleConfig(steps=30),
        fps=12,
    ),
    "base": _preset(
        "base",
        VAEConfig(latent_channels=16, spatial_compression=8, channels=(128, 256, 512), blocks=2),
        DiTConfig(in_channels=16, patch_size=(1, 2, 2), width=1024, depth=20, heads=16),
        sample=SampleConfig(steps=40, guidance=5.0),
        fps=16,
    ),
    "large": _preset(
        "large",
        VAEConfig(latent_channels=16, spatial_compression=8, channels=(128, 256, 512), blocks=2),
        DiTConfig(in_channels=16, patch_size=(1, 2, 2), width=1536, depth=25, heads=12),
        sample=SampleConfig(steps=50, guidance=5.0),
        fps=16,
    ),
    "xl": _preset(
        "xl",
        VAEConfig(latent_channels=48, spatial_compression=16, channels=(128, 256, 512, 512), blocks=2),
        DiTConfig(in_channels=48, patch_size=(1, 1, 1), width=3072, depth=30, heads=24),
        sample=SampleConfig(steps=50, guidance=5.0),
        fps=24,
    ),
}
