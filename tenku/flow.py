"""Rectified-flow training math as pure functions.

Conventions (shared with `tenku.sample`): t = 0 is data, t = 1 is noise;
x_t = (1 - t) * x0 + t * eps; the network predicts the velocity v = eps - x0.
Timesteps are per sample (B,) or per latent frame (B, T): every latent frame may have its own t,
which is how clean conditioning frames (t = 0) and noisy frames share one clip.
"""

from __future__ import annotations

import math

import torch

from tenku.config import FlowConfig


def _broadcast_t(t: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """(B,) or (B, T) timesteps -> shape broadcastable against x (B, C, T, H, W)."""
    if t.ndim == 1 and t.shape[0] == x.shape[0]:
        return t.view(-1, 1, 1, 1, 1)  # (B, 1, 1, 1, 1)
    if t.ndim == 2 and t.shape == (x.shape[0], x.shape[2]):
        return t[:, None, :, None, None]  # (B, 1, T, 1, 1)
    raise ValueError(
        f"timesteps must have shape (B,) = ({x.shape[0]},) or (B, T) = ({x.shape[0]}, {x.shape[2]}) "
        f"for latents of shape {tuple(x.shape)}, got {tuple(t.shape)}"
    )


def interpolate(x0: torch.Tensor, eps: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
    """x_t = (1 - t) x0 + t eps, with t per sample (B,) or per frame (B, T)."""
    if x0.shape != eps.shape:
        raise ValueError(f"x0 {tuple(x0.shape)} and eps {tuple(eps.shape)} must have the same shape")
    tb = _broadcast_t(t, x0).to(x0.dtype)
    return (1 - tb) * x0 + tb * eps


def velocity_target(x0: torch.Tensor, eps: torch.Tensor) -> torch.Tensor:
    """The velocity dx_t/dt = eps - x0 the network learns."""
    return eps - x0


def sample_timesteps(
    shape: tuple[int, ...],
    *,
    mean: float,
    std: float,
    generator: torch.Generator | None = None,
    device: torch.device | str | None = None,
) -> torch.Tensor:
    """Logit-normal timesteps in (0, 1): sigmoid(N(mean, std^2)) (SD3's density)."""
    normal = torch.randn(shape, generator=generator, device=device)
    return torch.sigmoid(mean + std * normal)


def shift_timesteps(t: torch.Tensor, shift: float) -> torch.Tensor:
    """t' = shift t / (1 + (shift - 1) t): shift > 1 spends more time at high noise."""
    if shift <= 0:
        raise ValueError(f"shift must be > 0, got {shift}")
    return shift * t / (1 + (shift - 1) * t)


def resolution_shift(num_tokens: int, cfg: FlowConfig) -> float:
    """Timestep shift for a token count: log-shift linear in tokens from base to max (as Flux), clamped.

    Larger (longer, bigger) latents hold more redundant signal, so they need more noise to hide it.
    """
    lo, hi = math.log(cfg.shift_base), math.log(cfg.shift_max)
    frac = (num_tokens - cfg.base_tokens) / max(cfg.max_tokens - cfg.base_tokens, 1)
    frac = min(max(frac, 0.0), 1.0)
    return math.exp(lo + frac * (hi - lo))


def motion_weights(x0: torch.Tensor, strength: float) -> torch.Tensor:
    """Per-position loss weights (B, 1, T, H, W), mean 1 per clip, larger where the clean latents
    change between frames: (1 + strength * m) / (1 + strength), m the mean absolute change into and
    out of a frame over channels, scaled to mean 1. The pixel-mean loss is ruled by static
    backgrounds; this spends more of it on what moves. The causal first latent frame encodes one
    frame where the others encode several, so its change to the next is no motion: it weighs 1.
    """
    if strength < 0:
        raise ValueError(f"motion weight strength must be >= 0, got {strength}")
    b, _, t, h, w = x0.shape
    weights = torch.ones(b, 1, t, h, w, dtype=torch.float32, device=x0.device)
    if strength == 0 or t < 3:
        return weights
    later = x0[:, :, 1:].float()  # (B, C, T-1, H, W)
    change = (later[:, :, 1:] - later[:, :, :-1]).abs().mean(1, keepdim=True)  # (B, 1, T-2, H, W)
    moved = torch.zeros_like(later[:, :1])  # (B, 1, T-1, H, W)
    moved[:, :, 1:] += change
    moved[:, :, :-1] += change
    mean = moved.flatten(1).mean(1).view(b, 1, 1, 1, 1)
    moved = torch.where(mean > 1e-8, moved / mean.clamp_min(1e-8), 1.0)  # a still clip weighs 1 throughout
    weights[:, :, 1:] = (1 + strength * moved) / (1 + strength)
    return weights


def object_weights(cover: torch.Tensor, strength: float) -> torch.Tensor:
    """Per-position loss weights (B, 1, T, H, W), mean 1 per clip, larger on latent cells that show
    an object: 1 + strength where `cover` (the share of a cell's pixels that are object, as
    `tenku.data.latent_cover` gives) is above 0, else 1, divided by the clip's mean. World objects
    span a cell or two of a grid that is mostly background; this spends more of the loss on them.
    """
    if strength < 0:
        raise ValueError(f"object weight strength must be >= 0, got {strength}")
    weights = 1 + strength * (cover > 0).float()
    return weights / weights.flatten(1).mean(1).view(-1, *([1] * (weights.dim() - 1)))


def flow_loss(
    pred: torch.Tensor,
    target: torch.Tensor,
    *,
    weight_mask: torch.Tensor | None = None,
    weights: torch.Tensor | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Mean squared velocity error -> (scalar loss, per-sample loss (B,)).

    weight_mask (B, T), bool or float: per latent frame weight; 0/False excludes a frame (clean
    conditioning frames carry no learning signal). Per-sample loss averages over included elements.
    weights: per-element weights broadcastable to pred (as `motion_weights` gives), mean about 1.
    """
    if pred.shape != target.shape:
        raise ValueError(f"pred {tuple(pred.shape)} and target {tuple(target.shape)} must match")
    err = (pred.float() - target.float()).pow(2)  # (B, C, T, H, W)
    if weights is not None:
        err = err * weights
    if weight_mask is None:
        per_sample = err.flatten(1).mean(1)  # (B,)
        return per_sample.mean(), per_sample
    if weight_mask.shape != (pred.shape[0], pred.shape[2]):
        raise ValueError(
            f"weight_mask must have shape (B, T) = ({pred.shape[0]}, {pred.shape[2]}), "
            f"got {tuple(weight_mask.shape)}"
        )
    w = weight_mask.to(err.dtype)[:, None, :, None, None]  # (B, 1, T, 1, 1)
    per_elem = err.shape[1] * err.shape[3] * err.shape[4]  # C*H*W elements per frame
    denom = (w.flatten(1).sum(1) * per_elem).clamp_min(1.0)  # (B,)
    per_sample = (err * w).flatten(1).sum(1) / denom  # (B,)
    return per_sample.mean(), per_sample


def frame_diff_loss(
    pred: torch.Tensor, target: torch.Tensor, *, weight_mask: torch.Tensor | None = None
) -> torch.Tensor:
    """Mean squared error of the change between consecutive latent frames -> per-sample loss (B,).

    (pred[t+1] - pred[t]) against (target[t+1] - target[t]): an error the same in every frame (a
    background a shade off) costs nothing here, one that differs between frames (an object in the
    wrong place, moving the wrong way, flickering) costs up to twice the plain loss. It is the part of
    the velocity error that carries motion, which the plain loss dilutes over still backgrounds.
    Pairs start at latent frame 1 (the causal first frame encodes one frame where the others encode
    several), and only pairs whose frames are both generated count (weight_mask (B, T), True where
    generated, as `flow_loss` takes it); a sample without such a pair contributes 0.
    """
    if pred.shape != target.shape:
        raise ValueError(f"pred {tuple(pred.shape)} and target {tuple(target.shape)} must match")
    b, c, t, h, w = pred.shape
    if t < 3:
        return pred.new_zeros(b, dtype=torch.float32)
    err = pred.float()[:, :, 1:] - target.float()[:, :, 1:]  # (B, C, T-1, H, W)
    change = (err[:, :, 1:] - err[:, :, :-1]).pow(2)  # (B, C, T-2, H, W)
    if weight_mask is None:
        return change.flatten(1).mean(1)
    if weight_mask.shape != (b, t):
        raise ValueError(f"weight_mask must have shape (B, T) = ({b}, {t}), got {tuple(weight_mask.shape)}")
    gen = weight_mask[:, 1:].to(torch.float32)  # (B, T-1)
    pairs = (gen[:, 1:] * gen[:, :-1])[:, None, :, None, None]  # (B, 1, T-2, 1, 1)
    denom = (pairs.flatten(1).sum(1) * c * h * w).clamp_min(1.0)  # (B,)
    return (change * pairs).flatten(1).sum(1) / denom


def side_swap_loss(true_loss: torch.Tensor, swapped_loss: torch.Tensor, margin: float) -> torch.Tensor:
    """Hinge per sample (B,): how far the velocity error under the caption with left and right
    exchanged (`swapped_loss`, `tenku.text.swap_sides`) falls short of (1 + margin) times the error
    under the true caption (`true_loss`, held fixed: only the swapped prediction is pushed).

    0 once a model's prediction for a clip is at least `margin` worse under the mirrored words than
    under its own: the model reads left and right, which the plain loss, where they decide a few
    object pixels, leaves unread."""
    if true_loss.shape != swapped_loss.shape:
        raise ValueError(
            f"true_loss {tuple(true_loss.shape)} and swapped_loss {tuple(swapped_loss.shape)} must match"
        )
    if margin < 0:
        raise ValueError(f"margin must be >= 0, got {margin}")
    return torch.relu((1 + margin) * true_loss.detach() - swapped_loss)
