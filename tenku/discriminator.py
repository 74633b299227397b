"""A patch discriminator, for an adversarial loss on the VAE decoder (`tenku train vae --adv-weight`).

A pixel loss lets a decoder that is unsure where an edge lies paint the mean of the places it could
be: a blur, under which a small cube reads as a ball. A discriminator that scores each patch of a
frame as real or decoded costs that blur directly (as in the VQGAN and latent-diffusion autoencoders).

- `PatchDiscriminator`: strided 4x4 convolutions over each frame of a (B, 3, T, H, W) clip, one logit
  per patch (receptive field 22 px with the default three levels). No pretrained weights.
- `hinge_losses`: the discriminator's hinge loss on real and decoded frames, and the decoder's.
- `balanced_weight`: the weight that makes the adversarial gradient on the decoded pixels as large
  as the reconstruction gradient there, times the configured weight (an adaptive weight taken at the
  decoder's output rather than at its last layer, so it needs no access to the wrapped model).

Launch and the trainer's side (its optimizer, checkpointed with the run) are in `tenku.train`.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from einops import rearrange
from torch import nn


class PatchDiscriminator(nn.Module):
    """Per-frame patch logits (B*T, 1, H/2^L, W/2^L) of a (B, 3, T, H, W) clip in [-1, 1]."""

    def __init__(self, channels: tuple[int, ...] = (32, 64, 128)):
        super().__init__()
        if not channels or any(c < 1 for c in channels):
            raise ValueError(f"channels must be positive widths, one per level, got {channels}")
        layers: list[nn.Module] = []
        c_in = 3
        for i, c in enumerate(channels):
            layers.append(nn.Conv2d(c_in, c, 4, stride=2, padding=1))
            if i > 0:  # no normalisation on the first level, as in the usual patch discriminator
                layers.append(nn.GroupNorm(min(32, c // 4) or 1, c))
            layers.append(nn.LeakyReLU(0.2))
            c_in = c
        layers.append(nn.Conv2d(c_in, 1, 3, padding=1))
        self.net = nn.Sequential(*layers)

    def forward(self, video: torch.Tensor) -> torch.Tensor:
        if video.ndim != 5 or video.shape[1] != 3:
            raise ValueError(f"PatchDiscriminator takes (B, 3, T, H, W) clips, got {tuple(video.shape)}")
        frames = rearrange(video, "b c t h w -> (b t) c h w")  # (B*T, 3, H, W)
        return self.net(frames)  # (B*T, 1, H/2^L, W/2^L)


def hinge_losses(real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
    """The discriminator's hinge loss: mean relu(1 - real) + mean relu(1 + fake) of its logits."""
    return F.relu(1 - real.float()).mean() + F.relu(1 + fake.float()).mean()


def generator_loss(fake: torch.Tensor) -> torch.Tensor:
    """The decoder's side of the hinge game: raise the logits of its decoded patches."""
    return -fake.float().mean()


def balanced_weight(
    rec: torch.Tensor, adv: torch.Tensor, output: torch.Tensor, weight: float, *, limit: float = 1e4
) -> torch.Tensor:
    """weight * |d rec / d output| / |d adv / d output|, detached and clamped to [0, limit].

    `output` is the decoded clip both losses were computed from; the graph is kept for the backward
    pass that follows."""
    g_rec = torch.autograd.grad(rec, output, retain_graph=True)[0]
    g_adv = torch.autograd.grad(adv, output, retain_graph=True)[0]
    ratio = g_rec.float().norm() / (g_adv.float().norm() + 1e-8)
    return (weight * ratio).clamp(0.0, limit).detach()
