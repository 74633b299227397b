"""Diffusion transformer over spacetime patches of a video latent.

`DiT(cfg)(x, t, text, text_mask, fps=None) -> v` predicts the flow velocity of latents
x (B, C, T, H, W) at per-latent-frame timesteps t (B, T) given text tokens (B, L, Dtxt).

Notable features:
- spacetime patchify with a patch size per axis (pt, ph, pw) (einops, named axes);
- 3D rotary position embedding: the head dim is split across the t, h and w axes and the tables
  are built for any token grid, so any duration, resolution and aspect ratio works; tables are
  kept per grid size in a small `RopeCache`;
- adaLN-Zero blocks with per-frame modulation: each latent frame has its own timestep, so frames
  given as clean conditioning (t = 0) and frames being generated share one sequence;
- self-attention over all spacetime tokens through an `attention` callable chosen at construction
  (default `F.scaled_dot_product_attention`; a sequence-parallel one, e.g. Ulysses, is passed in
  from outside together with a `SequenceShard` that splits each frame's tokens across ranks),
  cross-attention to text tokens with a key padding mask, QK-norm (RMSNorm), GELU MLP;
- fps, token grid size and pooled text added to the timestep embedding;
- fused QKV projections; bf16 autocast on CPU and GPU; optional activation checkpointing
  (`set_checkpointing(True)`), applied from outside like FSDP.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from collections.abc import Callable
from typing import Protocol

import torch
import torch.nn.functional as F
from einops import rearrange
from torch import nn
from torch.utils.checkpoint import checkpoint

from tenku.config import DiTConfig

# attention(q, k, v) -> out, all (B, heads, N, head_dim)
Attention = Callable[[torch.Tensor, torch.Tensor, torch.Tensor], torch.Tensor]


def matmul_attention(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
    """Softmax attention as two matmuls, (B, heads, N, hd) each -> (B, heads, N, hd).

    The same function as `F.scaled_dot_product_attention` (tested); chosen at construction for
    bf16 training on CPUs with native bf16 matmuls, where it runs forward + backward about 1.4x
    faster than the fused CPU kernel (which is no faster in bf16 than in fp32). It keeps the
    (N, N) probabilities for backward, so it suits short sequences.
    """
    scores = torch.matmul(q, k.transpose(-1, -2)) * q.shape[-1] ** -0.5  # (B, heads, N, N)
    return torch.matmul(scores.softmax(-1).to(v.dtype), v)  # (B, heads, N, hd)


def patchify(x: torch.Tensor, patch: tuple[int, int, int]) -> torch.Tensor:
    """(B, C, T, H, W) -> (B, T/pt * H/ph * W/pw, pt*ph*pw*C) tokens in (t, h, w) order."""
    pt, ph, pw = patch
    _, _, t, h, w = x.shape
    if t % pt or h % ph or w % pw:
        raise ValueError(f"latent (T, H, W) = ({t}, {h}, {w}) must be divisible by the patch size {patch}")
    return rearrange(x, "b c (t pt) (h ph) (w pw) -> b (t h w) (pt ph pw c)", pt=pt, ph=ph, pw=pw)


def unpatchify(tokens: torch.Tensor, patch: tuple[int, int, int], grid: tuple[int, int, int]) -> torch.Tensor:
    """(B, N, pt*ph*pw*C) tokens on a (T', H', W') grid -> (B, C, T'*pt, H'*ph, W'*pw)."""
    pt, ph, pw = patch
    t, h, w = grid
    return rearrange(
        tokens, "b (t h w) (pt ph pw c) -> b c (t pt) (h ph) (w pw)", t=t, h=h, w=w, pt=pt, ph=ph, pw=pw
    )


def rope_tables(
    grid: tuple[int, int, int], axes: tuple[int, int, int], theta: float, device: torch.device | None = None
) -> tuple[torch.Tensor, torch.Tensor]:
    """cos, sin tables (N, head_dim/2) for the tokens of a (T, H, W) grid in (t, h, w) order.

    Axis a rotates axes[a] channels of the head dim (axes[a]/2 frequencies) by its integer position.
    """
    angles = []
    for n, dim, view in zip(grid, axes, ((-1, 1, 1), (1, -1, 1), (1, 1, -1)), strict=True):
        freqs = theta ** (-torch.arange(0, dim, 2, dtype=torch.float64, device=device) / dim)  # (dim/2,)
        ang = torch.arange(n, dtype=torch.float64, device=device)[:, None] * freqs  # (n, dim/2)
        angles.append(ang.view(*view, dim // 2).expand(*grid, dim // 2))  # (T, H, W, dim/2)
    ang = torch.cat(angles, dim=-1).reshape(-1, sum(axes) // 2)  # (N, head_dim/2)
    return ang.cos().float(), ang.sin().float()


class RopeCache:
    """Rotary tables per (grid, device, dtype), built once and kept for the last few grid sizes."""

    def __init__(self, axes: tuple[int, int, int], theta: float, max_entries: int = 8):
        self.axes, self.theta, self.max_entries = axes, theta, max_entries
        self._tables: OrderedDict[tuple, tuple[torch.Tensor, torch.Tensor]] = OrderedDict()

    def get(
        self, grid: tuple[int, int, int], device: torch.device, dtype: torch.dtype
    ) -> tuple[torch.Tensor, torch.Tensor]:
        key = (grid, str(device), dtype)
        if key in self._tables:
            self._tables.move_to_end(key)
            return self._tables[key]
        cos, sin = rope_tables(grid, self.axes, self.theta, device)
        self._tables[key] = (cos.to(dtype), sin.to(dtype))
        while len(self._tables) > self.max_entries:
            self._tables.popitem(last=False)
        return self._tables[key]


def apply_rope(x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor) -> torch.Tensor:
    """Rotate channel pairs (i, i + d/2) of x (B, heads, N, d) by the angles of cos/sin (N, d/2)."""
    x1, x2 = x.chunk(2, dim=-1)  # (B, heads, N, d/2) each
    return torch.cat((x1 * cos - x2 * sin, x2 * cos + x1 * sin), dim=-1)  # (B, heads, N, d)


def sinusoid(values: torch.Tensor, dim: int, max_period: float = 10000.0) -> torch.Tensor:
    """(...,) scalars -> (..., dim) sin/cos features."""
    half = dim // 2
    freqs = torch.exp(-math.log(max_period) * torch.arange(half, device=values.device) / half)  # (dim/2,)
    ang = values.float()[..., None] * freqs  # (..., dim/2)
    return torch.cat((ang.cos(), ang.sin()), dim=-1)  # (..., dim)


def sincos_positions(grid: tuple[int, int, int], width: int, device: torch.device) -> torch.Tensor:
    """Fixed 3D sin-cos position features (N, width) for a token grid (T', H', W'), t-major.

    The width is split over the t, h and w axes (an even share each, the rest to t); positions
    are in token units, so any grid size gets features.
    """
    share = 2 * (width // 6)
    dims = (width - 2 * share, share, share)
    axes = [torch.arange(n, device=device, dtype=torch.float32) for n in grid]
    tt, hh, ww = torch.meshgrid(*axes, indexing="ij")  # (T', H', W') each
    feats = [sinusoid(pos.flatten(), d) for pos, d in zip((tt, hh, ww), dims, strict=True) if d]
    return torch.cat(feats, dim=-1)  # (N, width)


class QKNorm(nn.Module):
    """RMSNorm over the head dim; the weight follows the input dtype so bf16 stays fused."""

    def __init__(self, dim: int, eps: float):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(dim))
        self.eps = eps

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.rms_norm(x, (x.shape[-1],), self.weight.to(x.dtype), self.eps)


class Embedder(nn.Module):
    """Sinusoidal features -> MLP -> width."""

    def __init__(self, in_features: int, width: int):
        super().__init__()
        self.mlp = nn.Sequential(nn.Linear(in_features, width), nn.SiLU(), nn.Linear(width, width))

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        return self.mlp(features)


class Block(nn.Module):
    """adaLN-Zero transformer block: modulated self-attention, cross-attention to text, modulated MLP."""

    def __init__(self, cfg: DiTConfig, attention: Attention):
        super().__init__()
        d, self.heads = cfg.width, cfg.heads
        hidden = int(d * cfg.mlp_ratio)
        self.attention = attention
        self.norm1 = nn.LayerNorm(d, elementwise_affine=False, eps=cfg.eps)
        self.qkv = nn.Linear(d, 3 * d)
        self.q_norm = QKNorm(cfg.head_dim, cfg.eps) if cfg.qk_norm else nn.Identity()
        self.k_norm = QKNorm(cfg.head_dim, cfg.eps) if cfg.qk_norm else nn.Identity()
        self.proj = nn.Linear(d, d)
        self.norm2 = nn.LayerNorm(d, eps=cfg.eps)
        self.cross_q = nn.Linear(d, d)
        self.cross_kv = nn.Linear(d, 2 * d)
        self.cross_q_norm = QKNorm(cfg.head_dim, cfg.eps) if cfg.qk_norm else nn.Identity()
        self.cross_k_norm = QKNorm(cfg.head_dim, cfg.eps) if cfg.qk_norm else nn.Identity()
        self.cross_proj = nn.Linear(d, d)
        self.norm3 = nn.LayerNorm(d, elementwise_affine=False, eps=cfg.eps)
        self.mlp = nn.Sequential(nn.Linear(d, hidden), nn.GELU(), nn.Linear(hidden, d))
        self.modulation = nn.Linear(d, 6 * d)

    def self_attention(self, h: torch.Tensor, rope: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
        b, n, d = h.shape
        qkv = self.qkv(h).view(b, n, 3, self.heads, d // self.heads)  # (B, N, 3, heads, hd)
        q, k, v = qkv.unbind(2)  # (B, N, heads, hd) each
        q = apply_rope(self.q_norm(q).transpose(1, 2), *rope)  # (B, heads, N, hd)
        k = apply_rope(self.k_norm(k).transpose(1, 2), *rope)  # (B, heads, N, hd)
        out = self.attention(q, k, v.transpose(1, 2))  # (B, heads, N, hd)
        return self.proj(out.transpose(1, 2).reshape(b, n, d))  # (B, N, D)

    def cross_attention(self, h: torch.Tensor, ctx: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
        b, n, d = h.shape
        hd = d // self.heads
        q = self.cross_q_norm(self.cross_q(h).view(b, n, self.heads, hd)).transpose(1, 2)  # (B, heads, N, hd)
        kv = self.cross_kv(ctx).view(b, ctx.shape[1], 2, self.heads, hd)  # (B, L, 2, heads, hd)
        k, v = kv.unbind(2)  # (B, L, heads, hd) each
        k = self.cross_k_norm(k).transpose(1, 2)  # (B, heads, L, hd)
        out = F.scaled_dot_product_attention(q, k, v.transpose(1, 2), attn_mask=mask)  # (B, heads, N, hd)
        return self.cross_proj(out.transpose(1, 2).reshape(b, n, d))  # (B, N, D)

    def forward(
        self,
        x: torch.Tensor,
        c: torch.Tensor,
        ctx: torch.Tensor,
        mask: torch.Tensor | None,
        rope: tuple[torch.Tensor, torch.Tensor],
    ) -> torch.Tensor:
        """x (B, N, D) with N = T*S tokens; c (B, T, D) per-frame condition (after SiLU)."""
        b, n, d = x.shape
        frames = c.shape[1]
        mod = self.modulation(c).unsqueeze(2)  # (B, T, 1, 6D)
        shift1, scale1, gate1, shift2, scale2, gate2 = mod.chunk(6, dim=-1)  # (B, T, 1, D) each
        h = self.norm1(x).view(b, frames, -1, d) * (1 + scale1) + shift1  # (B, T, S, D)
        h = self.self_attention(h.view(b, n, d), rope)  # (B, N, D)
        x = x + (gate1 * h.view(b, frames, -1, d)).view(b, n, d)  # (B, N, D)
        x = x + self.cross_attention(self.norm2(x), ctx, mask)  # (B, N, D)
        h = self.norm3(x).view(b, frames, -1, d) * (1 + scale2) + shift2  # (B, T, S, D)
        h = self.mlp(h)  # (B, T, S, D)
        return x + (gate2 * h).view(b, n, d)  # (B, N, D)


class FinalLayer(nn.Module):
    """Modulated norm and projection from tokens back to patches."""

    def __init__(self, cfg: DiTConfig):
        super().__init__()
        pt, ph, pw = cfg.patch_size
        self.norm = nn.LayerNorm(cfg.width, elementwise_affine=False, eps=cfg.eps)
        self.modulation = nn.Linear(cfg.width, 2 * cfg.width)
        self.linear = nn.Linear(cfg.width, pt * ph * pw * cfg.in_channels)

    def forward(self, x: torch.Tensor, c: torch.Tensor) -> torch.Tensor:
        b, n, d = x.shape
        shift, scale = self.modulation(c).unsqueeze(2).chunk(2, dim=-1)  # (B, T, 1, D) each
        h = self.norm(x).view(b, c.shape[1], -1, d) * (1 + scale) + shift  # (B, T, S, D)
        return self.linear(h.view(b, n, d))  # (B, N, pt*ph*pw*C)


class SequenceShard(Protocol):
    """Splits the token sequence across the ranks of a sequence-parallel group (see `DiT`)."""

    def shard(self, x: torch.Tensor, dim: int) -> torch.Tensor:
        """This rank's contiguous slice of x along dim (the size divides evenly)."""
        ...

    def gather(self, x: torch.Tensor, dim: int) -> torch.Tensor:
        """All ranks' slices concatenated along dim in rank order; its gradient is the slice."""
        ...


class DiT(nn.Module):
    """Spacetime-patch diffusion transformer (see the module docstring).

    attention: self-attention over (B, heads, N, head_dim) q, k, v; default SDPA.
    sequence: with a sequence-parallel `attention` (e.g. Ulysses), each rank runs the blocks on its
    slice of every frame's tokens (the H'*W' tokens of a frame are split evenly across ranks, so
    per-frame modulation stays a broadcast); RoPE is applied before attention, so the rank-major
    token order the attention sees gives exactly the full-sequence result. The output is gathered.
    """

    def __init__(
        self,
        cfg: DiTConfig,
        *,
        attention: Attention | None = None,
        sequence: SequenceShard | None = None,
        checkpointing: bool = False,
    ):
        super().__init__()
        self.cfg = cfg
        self.sequence = sequence
        d = cfg.width
        pt, ph, pw = cfg.patch_size
        self.patch_embed = nn.Linear(pt * ph * pw * cfg.in_channels, d)
        self.text_proj = nn.Sequential(nn.Linear(cfg.text_dim, d), nn.GELU(), nn.Linear(d, d))
        self.text_pool = nn.Linear(d, d)
        self.t_embed = Embedder(cfg.freq_dim, d)
        self.fps_embed = Embedder(cfg.freq_dim, d)
        self.size_embed = Embedder(2 * cfg.freq_dim, d)
        attention = attention if attention is not None else F.scaled_dot_product_attention
        self.blocks = nn.ModuleList(Block(cfg, attention) for _ in range(cfg.depth))
        self.final = FinalLayer(cfg)
        self.rope = RopeCache(cfg.rope_axes, cfg.rope_theta)
        self.checkpointing = checkpointing
        self.initialize_weights()

    def set_checkpointing(self, enabled: bool) -> None:
        """Recompute each block's activations in backward (saves memory when training)."""
        self.checkpointing = enabled

    def initialize_weights(self) -> None:
        """Xavier linears, zero biases, N(0, 0.02) embedders; zero adaLN modulation and output (adaLN-Zero)."""
        for m in self.modules():
            if isinstance(m, nn.Linear):
                nn.init.xavier_uniform_(m.weight)
                nn.init.zeros_(m.bias)
        for emb in (self.t_embed, self.fps_embed, self.size_embed):
            for layer in emb.mlp:
                if isinstance(layer, nn.Linear):
                    nn.init.normal_(layer.weight, std=0.02)
        for block in self.blocks:
            nn.init.zeros_(block.modulation.weight)
            nn.init.zeros_(block.modulation.bias)
        nn.init.zeros_(self.final.modulation.weight)
        nn.init.zeros_(self.final.modulation.bias)
        nn.init.zeros_(self.final.linear.weight)
        nn.init.zeros_(self.final.linear.bias)

    def _check(
        self, x: torch.Tensor, t: torch.Tensor, text: torch.Tensor, mask: torch.Tensor
    ) -> torch.Tensor:
        cfg = self.cfg
        if x.ndim != 5 or x.shape[1] != cfg.in_channels:
            raise ValueError(f"x must be (B, {cfg.in_channels}, T, H, W), got {tuple(x.shape)}")
        b, _, frames = x.shape[:3]
        if t.ndim == 1 and t.shape[0] == b:
            t = t[:, None].expand(b, frames)  # (B, T)
        if t.shape != (b, frames):
            raise ValueError(f"t must be (B, T) = ({b}, {frames}) or (B,), got {tuple(t.shape)}")
        if text.ndim != 3 or text.shape[0] != b or text.shape[2] != cfg.text_dim:
            raise ValueError(f"text must be (B, L, {cfg.text_dim}) with B = {b}, got {tuple(text.shape)}")
        if mask.shape != text.shape[:2] or mask.dtype != torch.bool:
            raise ValueError(
                f"text_mask must be a bool (B, L) = {tuple(text.shape[:2])} tensor, got {mask.dtype} {tuple(mask.shape)}"
            )
        if not bool(mask.any(dim=1).all()):
            raise ValueError("every text_mask row needs at least one True token (encode '' for no prompt)")
        return t

    def _shard(
        self, tokens: torch.Tensor, rope: tuple[torch.Tensor, torch.Tensor], grid: tuple[int, int, int]
    ) -> tuple[torch.Tensor, tuple[torch.Tensor, torch.Tensor]]:
        """This rank's slice of every frame's tokens and of their rotary tables."""
        b, n, d = tokens.shape
        frames = grid[0]
        local = self.sequence.shard(tokens.view(b, frames, n // frames, d), 2)  # (B, T', S/P, D)
        cos, sin = (self.sequence.shard(r.view(frames, n // frames, -1), 1).flatten(0, 1) for r in rope)
        return local.flatten(1, 2), (cos, sin)  # (B, T'*S/P, D), (T'*S/P, head_dim/2) each

    def condition(
        self,
        t: torch.Tensor,
        grid: tuple[int, int],
        ctx: torch.Tensor,
        mask: torch.Tensor,
        fps: torch.Tensor | None,
    ) -> torch.Tensor:
        """Per-frame condition (B, T, D): timestep + fps + token grid size (H', W') + pooled text,
        then SiLU."""
        cfg = self.cfg
        b = t.shape[0]
        c = self.t_embed(sinusoid(t * cfg.timestep_scale, cfg.freq_dim))  # (B, T, D)
        size = torch.tensor(grid, device=t.device, dtype=torch.float32).expand(b, 2)  # (B, 2)
        extra = self.size_embed(sinusoid(size, cfg.freq_dim).flatten(1))  # (B, D)
        if fps is not None:
            extra = extra + self.fps_embed(sinusoid(fps, cfg.freq_dim))  # (B, D)
        m = mask.to(ctx.dtype).unsqueeze(-1)  # (B, L, 1)
        pooled = (ctx * m).sum(1) / m.sum(1)  # (B, D)
        extra = extra + self.text_pool(pooled)  # (B, D)
        return F.silu(c + extra.unsqueeze(1))  # (B, T, D)

    def forward(
        self,
        x: torch.Tensor,
        t: torch.Tensor,
        text: torch.Tensor,
        text_mask: torch.Tensor,
        *,
        fps: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """Velocity (B, C, T, H, W) for latents x at per-frame timesteps t (B, T) in [0, 1].

        fps (B,) frames per second of the clip, or None to leave the fps term out.
        """
        t = self._check(x, t, text, text_mask)
        pt, ph, pw = self.cfg.patch_size
        grid = (x.shape[2] // pt, x.shape[3] // ph, x.shape[4] // pw)  # token grid (T', H', W')
        tokens = self.patch_embed(patchify(x, self.cfg.patch_size))  # (B, N, D)
        if self.cfg.abs_pos:
            tokens = tokens + sincos_positions(grid, self.cfg.width, x.device).to(tokens.dtype)  # (B, N, D)
        ctx = self.text_proj(text)  # (B, L, D)
        t_tok = t.float().reshape(t.shape[0], grid[0], pt).mean(-1)  # (B, T') one timestep per token frame
        c = self.condition(t_tok, grid[1:], ctx, text_mask, fps)  # (B, T', D)
        # (B, 1, 1, L) key padding mask; None when nothing is padded (SDPA's unmasked path)
        mask = None if bool(text_mask.all()) else text_mask[:, None, None, :]
        autocast = torch.is_autocast_enabled(x.device.type)
        dtype = torch.get_autocast_dtype(x.device.type) if autocast else tokens.dtype
        rope = self.rope.get(grid, x.device, dtype)  # cos, sin (N, head_dim/2)
        if self.sequence is not None:
            tokens, rope = self._shard(tokens, rope, grid)  # (B, T'*S/P, D), (T'*S/P, head_dim/2)
        for block in self.blocks:
            if self.checkpointing and torch.is_grad_enabled():
                tokens = checkpoint(block, tokens, c, ctx, mask, rope, use_reentrant=False)
            else:
                tokens = block(tokens, c, ctx, mask, rope)  # (B, N, D)
        out = self.final(tokens, c)  # (B, N, pt*ph*pw*C) (N/P tokens when sharded)
        if self.sequence is not None:
            b, frames = out.shape[0], grid[0]
            out = self.sequence.gather(out.view(b, frames, -1, out.shape[-1]), 2)  # (B, T', S, p*C)
            out = out.flatten(1, 2)  # (B, N, pt*ph*pw*C)
        return unpatchify(out, self.cfg.patch_size, grid).to(x.dtype)  # (B, C, T, H, W)
