"""Causal 3D convolutional video autoencoder.

`VideoVAE(cfg)` maps videos (B, 3, T, H, W) in [-1, 1] with T = 1 + 4k frames to latents
(B, C, 1 + k, H / s, W / s) (temporal compression 4, spatial s = 4, 8 or 16, from `VAEConfig`)
and back. Contract:

- Causal in time: every temporal convolution pads only on the past (the first frame is
  replicated before the clip), so output frame t depends only on input frames <= t, in the
  encoder and in the decoder. The first frame is encoded alone, so an image is a 1-frame video.
- Norms are per position (RMS over channels), never over time or space, so causality and
  chunking are exact.
- Temporal chunks: `encode(x, chunk_frames=n)` / `decode(z, chunk_latent_frames=m)` run chunk by
  chunk, each causal convolution carrying the last frames it saw in an explicit `CausalCache`;
  the result equals the full pass to float rounding and memory is bounded by the chunk size.
  `iter_decode` yields decoded frames chunk by chunk for streaming long videos.
- Spatial tiles: `tile=(h, w)` in pixels with `overlap` pixels blended linearly; approximately
  equal to the full pass (the receptive field crosses tile borders).
- `encode` returns the scaled posterior mean (cfg.scaling_factor, cfg.shift_factor), the space
  the DiT works in; `decode` undoes the scaling. `encode_dist` and `forward` (sampled posterior)
  return raw (mean, logvar) for training with `vae_loss` (L1 + L2 + KL).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import torch
import torch.nn.functional as F
from einops import rearrange
from torch import nn

from tenku.config import VAEConfig


class Conv3d(nn.Conv3d):
    """nn.Conv3d that runs float32 CPU inputs through oneDNN (`mkldnn_convolution`).

    torch's dispatcher sends fp32 Conv3d on CPU to the im2col `slow_conv3d` kernel, 5-7x slower
    than oneDNN on this project's 2-core machine. Same weights and state dict; the reference path
    is used on other devices/dtypes and when `torch.backends.mkldnn.flags(enabled=False)` is set.
    """

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if (
            x.device.type == "cpu"
            and x.dtype == self.weight.dtype == torch.float32
            and torch.backends.mkldnn.is_available()
            and torch.backends.mkldnn.enabled
        ):
            return torch.ops.aten.mkldnn_convolution(
                x.contiguous(), self.weight, self.bias, self.padding, self.stride, self.dilation, self.groups
            )
        return super().forward(x)


class CausalCache:
    """Frames each causal convolution carries from one temporal chunk to the next, by layer key."""

    def __init__(self) -> None:
        self.tails: dict[int, torch.Tensor] = {}


class CausalConv3d(nn.Module):
    """Conv3d padded only on the past in time (replicating the first frame), same padding in space."""

    def __init__(self, cin: int, cout: int, kernel: tuple[int, int, int] = (3, 3, 3), time_stride: int = 1):
        super().__init__()
        kt, kh, kw = kernel
        self.kt, self.stride = kt, time_stride
        self.conv = Conv3d(cin, cout, kernel, stride=(time_stride, 1, 1), padding=(0, kh // 2, kw // 2))
        self.key = -1  # unique per VideoVAE, set by VideoVAE.__init__

    def forward(self, x: torch.Tensor, cache: CausalCache | None = None) -> torch.Tensor:
        tail = None if cache is None else cache.tails.get(self.key)
        if tail is None:
            tail = x[:, :, :1].expand(
                -1, -1, self.kt - 1, -1, -1
            )  # (B, C, kt-1, H, W) replicated first frame
        xin = torch.cat((tail, x), dim=2)  # (B, C, past + T, H, W)
        out = self.conv(xin)  # (B, C', T_out, H, W)
        if cache is not None:
            cache.tails[self.key] = xin[:, :, out.shape[2] * self.stride :].clone()  # frames not yet consumed
        return out


class ChannelNorm(nn.Module):
    """RMS norm over channels at each (t, h, w) position: keeps the network causal and chunkable."""

    def __init__(self, channels: int, eps: float = 1e-6):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(channels, 1, 1, 1))
        self.eps = eps

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * torch.rsqrt(x.pow(2).mean(1, keepdim=True) + self.eps) * self.weight


class ResBlock(nn.Module):
    def __init__(self, cin: int, cout: int):
        super().__init__()
        self.norm1, self.conv1 = ChannelNorm(cin), CausalConv3d(cin, cout)
        self.norm2, self.conv2 = ChannelNorm(cout), CausalConv3d(cout, cout)
        self.skip = Conv3d(cin, cout, 1) if cin != cout else nn.Identity()

    def forward(self, x: torch.Tensor, cache: CausalCache | None) -> torch.Tensor:
        h = self.conv1(F.silu(self.norm1(x)), cache)
        h = self.conv2(F.silu(self.norm2(h)), cache)
        return self.skip(x) + h


class Downsample(nn.Module):
    """Halve H and W (stride-2 conv per frame) or keep them (the same conv at stride 1); optionally
    halve time causally (frame 0 stays alone)."""

    def __init__(self, channels: int, temporal: bool, spatial: bool = True):
        super().__init__()
        self.halves = spatial
        stride, pad = ((1, 2, 2), 0) if spatial else ((1, 1, 1), 1)
        self.spatial = Conv3d(channels, channels, (1, 3, 3), stride=stride, padding=(0, pad, pad))
        self.temporal = CausalConv3d(channels, channels, (3, 1, 1), time_stride=2) if temporal else None

    def forward(self, x: torch.Tensor, cache: CausalCache | None) -> torch.Tensor:
        if self.halves:
            x = F.pad(x, (0, 1, 0, 1))
        x = self.spatial(x)  # (B, C, T, H/2, W/2), or (B, C, T, H, W) where it keeps them
        if self.temporal is not None:
            x = self.temporal(x, cache)  # (B, C, 1 + (T-1)/2, H', W')
        return x


class Upsample(nn.Module):
    """Optionally double time causally (frame 0 -> 1 frame, others -> 2), then double H and W
    (nearest, then a conv per frame) or keep them (the conv alone)."""

    def __init__(self, channels: int, temporal: bool, spatial: bool = True):
        super().__init__()
        self.temporal = CausalConv3d(channels, 2 * channels, (3, 1, 1)) if temporal else None
        self.spatial = Conv3d(channels, channels, (1, 3, 3), padding=(0, 1, 1))
        self.doubles = spatial

    def forward(self, x: torch.Tensor, cache: CausalCache | None) -> torch.Tensor:
        if self.temporal is not None:
            first = cache is None or self.temporal.key not in cache.tails
            x = self.temporal(x, cache)  # (B, 2C, T, H, W)
            x = rearrange(x, "b (r c) t h w -> b c (t r) h w", r=2)  # (B, C, 2T, H, W)
            if first:
                x = x[:, :, 1:]  # (B, C, 2T - 1, H, W): the first frame stays one frame
        if self.doubles:
            x = F.interpolate(x, scale_factor=(1, 2, 2), mode="nearest")  # (B, C, T, 2H, 2W)
        return self.spatial(x)


class Encoder(nn.Module):
    def __init__(self, cfg: VAEConfig):
        super().__init__()
        p, ch = cfg.patch_size, cfg.channels
        layers: list[nn.Module] = [CausalConv3d(cfg.in_channels * p * p, ch[0])]
        prev = ch[0]
        for i, c in enumerate(ch):
            for _ in range(cfg.blocks):
                layers.append(ResBlock(prev, c))
                prev = c
            if i < len(ch) - 1:
                layers.append(Downsample(c, cfg.temporal_downsamples[i], cfg.spatial_downsamples[i]))
        layers.append(ResBlock(prev, prev))
        self.layers = nn.ModuleList(layers)
        self.norm = ChannelNorm(prev)
        self.conv_out = CausalConv3d(prev, 2 * cfg.latent_channels)
        self.patch = p

    def forward(self, x: torch.Tensor, cache: CausalCache | None) -> torch.Tensor:
        p = self.patch
        x = rearrange(x, "b c t (h p1) (w p2) -> b (c p1 p2) t h w", p1=p, p2=p)  # (B, 3p^2, T, H/p, W/p)
        x = self.layers[0](x, cache)
        for layer in self.layers[1:]:
            x = layer(x, cache)
        return self.conv_out(F.silu(self.norm(x)), cache)  # (B, 2C, T', H', W')


def decoder_slots(cfg: VAEConfig) -> list[tuple]:
    """What each of the decoder's layers is, in order: ("in",), ("mid",), ("block", level, j) and
    ("up", level). Decoders of different depth share slots, which is how a deeper one is grown."""
    slots: list[tuple] = [("in",), ("mid",)]
    for i in reversed(range(len(cfg.channels))):
        slots += [("block", i, j) for j in range(cfg.decoder_depth)]
        if i > 0:
            slots.append(("up", i))
    return slots


class Decoder(nn.Module):
    def __init__(self, cfg: VAEConfig):
        super().__init__()
        p, ch = cfg.patch_size, cfg.channels
        prev = ch[-1]
        layers: list[nn.Module] = []
        for slot in decoder_slots(cfg):
            if slot[0] == "in":
                layers.append(CausalConv3d(cfg.latent_channels, prev))
            elif slot[0] == "mid":
                layers.append(ResBlock(prev, prev))
            elif slot[0] == "block":
                layers.append(ResBlock(prev, ch[slot[1]]))
                prev = ch[slot[1]]
            else:
                i = slot[1] - 1
                layers.append(Upsample(prev, cfg.temporal_downsamples[i], cfg.spatial_downsamples[i]))
        self.layers = nn.ModuleList(layers)
        self.norm = ChannelNorm(prev)
        self.conv_out = CausalConv3d(prev, cfg.in_channels * p * p)
        self.patch = p

    def forward(self, z: torch.Tensor, cache: CausalCache | None) -> torch.Tensor:
        x = z
        for layer in self.layers:
            x = layer(x, cache)
        x = self.conv_out(F.silu(self.norm(x)), cache)  # (B, 3p^2, T, H/p, W/p)
        p = self.patch
        return rearrange(x, "b (c p1 p2) t h w -> b c t (h p1) (w p2)", p1=p, p2=p)  # (B, 3, T, H, W)


def _tile_starts(size: int, tile: int, overlap: int) -> list[int]:
    if tile >= size:
        return [0]
    starts = list(range(0, size - tile + 1, tile - overlap))
    if starts[-1] + tile < size:
        starts.append(size - tile)
    return starts


def _ramp(n: int, overlap: int, before: bool, after: bool, device: torch.device) -> torch.Tensor:
    """(n,) blend weights rising over `overlap` cells at edges shared with a neighbouring tile."""
    w = torch.ones(n, device=device)
    k = min(overlap, n)
    ramp = torch.arange(1, k + 1, device=device, dtype=torch.float32) / (k + 1)  # (k,)
    if before and k:
        w[:k] = torch.minimum(w[:k], ramp)
    if after and k:
        w[n - k :] = torch.minimum(w[n - k :], ramp.flip(0))
    return w


def blend_tiles(
    fn: Callable[[torch.Tensor], tuple[torch.Tensor, ...]],
    x: torch.Tensor,
    tile: tuple[int, int],
    overlap: int,
    scale: float,
) -> tuple[torch.Tensor, ...]:
    """Apply fn to overlapping spatial tiles of x (B, C, T, H, W) and blend the outputs linearly.

    fn maps a tile of H x W to outputs of H*scale x W*scale; tile and overlap are in units of x.
    """
    h, w = x.shape[-2:]
    ys, xs = _tile_starts(h, tile[0], overlap), _tile_starts(w, tile[1], overlap)
    acc: list[torch.Tensor] | None = None
    weight = None
    for iy, y0 in enumerate(ys):
        for ix, x0 in enumerate(xs):
            outs = fn(x[..., y0 : y0 + tile[0], x0 : x0 + tile[1]])
            oh, ow = outs[0].shape[-2:]
            oy, ox, ov = round(y0 * scale), round(x0 * scale), round(overlap * scale)
            wy = _ramp(oh, ov, iy > 0, iy < len(ys) - 1, x.device)  # (oh,)
            wx = _ramp(ow, ov, ix > 0, ix < len(xs) - 1, x.device)  # (ow,)
            wt = wy[:, None] * wx[None, :]  # (oh, ow)
            if acc is None:
                size = (round(h * scale), round(w * scale))
                acc = [o.new_zeros(*o.shape[:-2], *size) for o in outs]
                weight = torch.zeros(size, device=x.device)
            for a, o in zip(acc, outs, strict=True):
                a[..., oy : oy + oh, ox : ox + ow] += o * wt
            weight[oy : oy + oh, ox : ox + ow] += wt
    return tuple(a / weight for a in acc)


class VideoVAE(nn.Module):
    """Causal 3D conv VAE (see the module docstring)."""

    def __init__(self, cfg: VAEConfig):
        super().__init__()
        self.cfg = cfg
        self.encoder = Encoder(cfg)
        self.decoder = Decoder(cfg)
        for key, conv in enumerate(m for m in self.modules() if isinstance(m, CausalConv3d)):
            conv.key = key

    # ---- validation ----
    def _check_video(self, x: torch.Tensor) -> None:
        cfg = self.cfg
        if x.ndim != 5 or x.shape[1] != cfg.in_channels:
            raise ValueError(f"video must be (B, {cfg.in_channels}, T, H, W), got shape {tuple(x.shape)}")
        t, h, w = x.shape[2:]
        if (t - 1) % cfg.temporal_compression:
            raise ValueError(
                f"video has {t} frames; the VAE needs 1 + {cfg.temporal_compression}k frames (1, "
                f"{1 + cfg.temporal_compression}, {1 + 2 * cfg.temporal_compression}, ...)"
            )
        if h % cfg.spatial_compression or w % cfg.spatial_compression:
            raise ValueError(f"frame size {h}x{w} (HxW) must be divisible by {cfg.spatial_compression}")

    def _check_latent(self, z: torch.Tensor) -> None:
        if z.ndim != 5 or z.shape[1] != self.cfg.latent_channels:
            raise ValueError(f"latent must be (B, {self.cfg.latent_channels}, T, H, W), got {tuple(z.shape)}")

    def _tiling(
        self, tile: tuple[int, int] | None, overlap: int | None
    ) -> tuple[tuple[int, int], int] | None:
        if tile is None:
            return None
        s = self.cfg.spatial_compression
        overlap = self.cfg.tile_overlap if overlap is None else overlap
        if any(v <= 0 or v % s for v in tile) or overlap < 0 or overlap % s or overlap >= min(tile):
            raise ValueError(
                f"tile {tile} must be positive multiples of {s} and overlap {overlap} a multiple of {s} "
                f"smaller than the tile"
            )
        return tile, overlap

    # ---- encode ----
    def _encode_raw(self, x: torch.Tensor, chunk_frames: int | None) -> tuple[torch.Tensor, torch.Tensor]:
        if chunk_frames is None:
            h = self.encoder(x, None)  # (B, 2C, T', H', W')
        else:
            cache = CausalCache()
            bounds = [0, *range(1, x.shape[2], chunk_frames), x.shape[2]]
            h = torch.cat(
                [self.encoder(x[:, :, a:b], cache) for a, b in zip(bounds, bounds[1:], strict=False)], 2
            )
        mean, logvar = h.chunk(2, dim=1)  # (B, C, T', H', W') each
        return mean, logvar.clamp(*self.cfg.logvar_clamp)

    def encode_dist(
        self,
        x: torch.Tensor,
        *,
        chunk_frames: int | None = None,
        tile: tuple[int, int] | None = None,
        overlap: int | None = None,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Unscaled posterior (mean, logvar), each (B, C, T', H', W')."""
        self._check_video(x)
        if chunk_frames is not None and (chunk_frames <= 0 or chunk_frames % self.cfg.temporal_compression):
            raise ValueError(
                f"chunk_frames must be a positive multiple of {self.cfg.temporal_compression}, got {chunk_frames}"
            )
        tiling = self._tiling(tile, overlap)
        if tiling is None:
            return self._encode_raw(x, chunk_frames)
        (th, tw), ov = tiling
        mean, logvar = blend_tiles(
            lambda xt: self._encode_raw(xt, chunk_frames), x, (th, tw), ov, 1 / self.cfg.spatial_compression
        )
        return mean, logvar

    def encode(
        self,
        x: torch.Tensor,
        *,
        chunk_frames: int | None = None,
        tile: tuple[int, int] | None = None,
        overlap: int | None = None,
    ) -> torch.Tensor:
        """Video (B, 3, 1 + 4k, H, W) in [-1, 1] -> scaled latent mean (B, C, 1 + k, H/s, W/s)."""
        mean, _ = self.encode_dist(x, chunk_frames=chunk_frames, tile=tile, overlap=overlap)
        return (mean - self.cfg.shift_factor) * self.cfg.scaling_factor

    # ---- decode ----
    def iter_decode(self, z: torch.Tensor, *, chunk_latent_frames: int) -> Iterator[torch.Tensor]:
        """Yield decoded frames chunk by chunk (1 + 4(m-1) frames first, then 4m) from a scaled latent."""
        self._check_latent(z)
        if chunk_latent_frames <= 0:
            raise ValueError(f"chunk_latent_frames must be positive, got {chunk_latent_frames}")
        cache = CausalCache()
        for a in range(0, z.shape[2], chunk_latent_frames):
            yield self.decode_step(z[:, :, a : a + chunk_latent_frames], cache)

    def decode_step(self, z: torch.Tensor, cache: CausalCache) -> torch.Tensor:
        """Decode the next latent frames of a stream (scaled latent), carrying causal state in `cache`."""
        return self.decoder(z / self.cfg.scaling_factor + self.cfg.shift_factor, cache)

    def decode(
        self,
        z: torch.Tensor,
        *,
        chunk_latent_frames: int | None = None,
        tile: tuple[int, int] | None = None,
        overlap: int | None = None,
    ) -> torch.Tensor:
        """Scaled latent (B, C, 1 + k, H', W') -> video (B, 3, 1 + 4k, H'*s, W'*s), not clamped."""
        self._check_latent(z)
        tiling = self._tiling(tile, overlap)

        def run(zt: torch.Tensor) -> tuple[torch.Tensor]:
            if chunk_latent_frames is None:
                return (self.decoder(zt / self.cfg.scaling_factor + self.cfg.shift_factor, None),)
            return (torch.cat(list(self.iter_decode(zt, chunk_latent_frames=chunk_latent_frames)), 2),)

        if tiling is None:
            return run(z)[0]
        s = self.cfg.spatial_compression
        (th, tw), ov = tiling
        return blend_tiles(run, z, (th // s, tw // s), ov // s, s)[0]

    def forward(
        self, x: torch.Tensor, *, generator: torch.Generator | None = None
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Training pass: (reconstruction from a posterior sample, mean, logvar), unscaled."""
        mean, logvar = self.encode_dist(x)
        noise = torch.randn(mean.shape, generator=generator, device=mean.device, dtype=mean.dtype)
        z = mean + torch.exp(0.5 * logvar) * noise  # (B, C, T', H', W')
        return self.decoder(z, None), mean, logvar


def vae_loss(
    recon: torch.Tensor,
    x: torch.Tensor,
    mean: torch.Tensor,
    logvar: torch.Tensor,
    *,
    kl_weight: float,
    pixel_weight: torch.Tensor | None = None,
    edge_weight: float = 0.0,
) -> tuple[torch.Tensor, dict[str, float]]:
    """L1 + L2 reconstruction + kl_weight * KL(N(mean, exp(logvar)) || N(0, 1)) per latent element,
    + edge_weight * the L1 error of the spatial gradients (`edge_loss`) when edge_weight > 0.

    `pixel_weight` (broadcastable to x, e.g. (B, 1, T, H, W)) reweights the reconstruction terms
    per pixel (a weighted mean: its scale does not matter); the reported mse and psnr stay plain."""
    if recon.shape != x.shape:
        raise ValueError(f"recon {tuple(recon.shape)} and x {tuple(x.shape)} must match")
    diff = recon.float() - x.float()
    l1, mse = diff.abs().mean(), diff.pow(2).mean()
    w = None if pixel_weight is None else pixel_weight.float().expand_as(diff)
    rec = l1 + mse if w is None else ((diff.abs() + diff.pow(2)) * w).sum() / w.sum().clamp_min(1e-12)
    kl = 0.5 * (mean.float().pow(2) + logvar.float().exp() - 1 - logvar.float()).mean()
    loss = rec + kl_weight * kl
    psnr = 10 * torch.log10(4.0 / mse.detach().clamp_min(1e-10))  # signal range 2 -> peak^2 = 4
    metrics = {"l1": l1.item(), "mse": mse.item(), "kl": kl.item(), "psnr": psnr.item()}
    if edge_weight > 0:
        edge = _edge_error(diff, w)
        loss = loss + edge_weight * edge
        metrics["edge"] = edge.item()
    return loss, {"loss": loss.item(), **metrics}


def edge_loss(recon: torch.Tensor, x: torch.Tensor, weight: torch.Tensor | None = None) -> torch.Tensor:
    """Mean L1 error of the horizontal and vertical pixel differences of (B, C, T, H, W) videos.

    A plain pixel loss lets a decoder that is unsure where an edge lies blur it (the mean of the
    places it could be); an error on the differences costs that blur directly. (On world clips it
    did not keep small shapes any better: README, "What limits it".) `weight` (the shape of x)
    weighs each difference by the larger weight of its two pixels."""
    if recon.shape != x.shape:
        raise ValueError(f"recon {tuple(recon.shape)} and x {tuple(x.shape)} must match")
    if recon.ndim != 5:
        raise ValueError(f"edge_loss takes (B, C, T, H, W) videos, got {tuple(recon.shape)}")
    return _edge_error(recon.float() - x.float(), weight)


def _edge_error(diff: torch.Tensor, weight: torch.Tensor | None) -> torch.Tensor:
    """edge_loss on the error recon - x already taken (vae_loss has it)."""
    total, norm = diff.new_zeros(()), diff.new_zeros(())
    for dim in (-1, -2):
        n = diff.shape[dim]
        if n < 2:
            continue
        err = (diff.narrow(dim, 1, n - 1) - diff.narrow(dim, 0, n - 1)).abs()
        if weight is None:
            total, norm = total + err.sum(), norm + err.numel()
        else:
            pair = torch.maximum(weight.narrow(dim, 1, n - 1), weight.narrow(dim, 0, n - 1)).float()
            total, norm = total + (err * pair).sum(), norm + pair.sum()
    return total / norm.clamp_min(1e-12)
