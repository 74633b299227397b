"""Sampling the flow ODE from noise (t = 1) to data (t = 0) as pure functions.

`sample` runs Euler or Heun over a shifted schedule with classifier-free guidance and per-frame
conditioning: frames marked in `cond_mask` are held at their given latents (clean, or at a small
fixed noise level) at every step and come out exactly as given. Every Sora-style mode (image to
video, extend, loop, connect, keyframes) is a choice of which latent frames are given.

`model_fn(x, t, cond)` takes latents x (B, C, T, H, W), per-frame timesteps t (B, T) and whether to
use the text condition (False: the unconditional pass of CFG) and returns the velocity eps - x0.
One Euler step is x_next = x + (t_next - t) * v, the same as diffusers'
`FlowMatchEulerDiscreteScheduler.step`.
"""

from __future__ import annotations

from collections.abc import Callable

import torch

from tenku.flow import shift_timesteps

ModelFn = Callable[[torch.Tensor, torch.Tensor, bool], torch.Tensor]
SOLVERS = ("euler", "heun")


def schedule(steps: int, *, shift: float) -> torch.Tensor:
    """steps + 1 timesteps from 1 to 0 (float32), uniform then shifted by `shift`."""
    if steps < 1:
        raise ValueError(f"steps must be >= 1, got {steps}")
    t = torch.linspace(1.0, 0.0, steps + 1, dtype=torch.float64)
    return shift_timesteps(t, shift).float()


def euler_step(x: torch.Tensor, v: torch.Tensor, t: float, t_next: float) -> torch.Tensor:
    """One Euler step of dx/dt = v from t to t_next."""
    return x + (t_next - t) * v


def heun_step(
    x: torch.Tensor,
    v: torch.Tensor,
    t: float,
    t_next: float,
    velocity: Callable[[torch.Tensor, float], torch.Tensor],
) -> torch.Tensor:
    """One Heun (trapezoidal) step; `velocity(x, t)` evaluates the field. Euler when t_next is 0."""
    x_euler = euler_step(x, v, t, t_next)
    if t_next == 0:
        return x_euler
    v_next = velocity(x_euler, t_next)
    return x + (t_next - t) * 0.5 * (v + v_next)


def cfg_combine(v_cond: torch.Tensor, v_uncond: torch.Tensor, guidance: float) -> torch.Tensor:
    """Classifier-free guidance: v_uncond + guidance * (v_cond - v_uncond)."""
    return v_uncond + guidance * (v_cond - v_uncond)


def _cond_levels(
    noise: torch.Tensor, cond_latents: torch.Tensor | None, cond_mask: torch.Tensor | None
) -> tuple[torch.Tensor | None, torch.Tensor | None]:
    """Validate conditioning -> (held (B, T) bool, cond timestep (B, T) float) or (None, None)."""
    if cond_mask is None:
        if cond_latents is not None:
            raise ValueError("cond_latents given without cond_mask")
        return None, None
    b, _, t = noise.shape[:3]
    if cond_mask.shape != (b, t):
        raise ValueError(f"cond_mask must have shape (B, T) = ({b}, {t}), got {tuple(cond_mask.shape)}")
    if cond_latents is None or cond_latents.shape != noise.shape:
        got = None if cond_latents is None else tuple(cond_latents.shape)
        raise ValueError(f"cond_latents must have the noise's shape {tuple(noise.shape)}, got {got}")
    if cond_mask.dtype == torch.bool:
        return cond_mask, torch.zeros(b, t, device=noise.device)
    level = cond_mask.float()
    if level.min() < 0 or level.max() > 1:
        raise ValueError("a float cond_mask holds per-frame conditioning timesteps in [0, 1] (1 = generated)")
    return level < 1, level


def sample(
    model_fn: ModelFn,
    noise: torch.Tensor,
    *,
    steps: int,
    shift: float,
    guidance: float,
    solver: str = "euler",
    cond_latents: torch.Tensor | None = None,
    cond_mask: torch.Tensor | None = None,
    start: float = 1.0,
    progress: Callable[[int, int], None] | None = None,
) -> torch.Tensor:
    """Integrate from `noise` (t = 1) to latents (t = 0).

    start < 1 integrates from t = start instead (SDEdit: `noise` is then an input already noised
    to that level); the shifted schedule is scaled into [0, start].

    cond_mask (B, T): bool (True = frame given, held clean at t = 0) or float (per-frame
    conditioning timestep; frames below 1 are held at (1 - s) * cond + s * noise and fed to the
    model at timestep s; 1 = generated). Given frames come out exactly equal to cond_latents.
    progress(step, steps) is called after each step. Only the current latents are kept.
    """
    if solver not in SOLVERS:
        raise ValueError(f"solver must be one of {SOLVERS}, got {solver!r}")
    if noise.ndim != 5:
        raise ValueError(f"noise must be (B, C, T, H, W), got shape {tuple(noise.shape)}")
    held, level = _cond_levels(noise, cond_latents, cond_mask)
    if not 0 < start <= 1:
        raise ValueError(f"start must be in (0, 1], got {start}")
    ts = (schedule(steps, shift=shift) * start).tolist()
    b, _, frames = noise.shape[:3]
    if held is not None:
        hold = held[:, None, :, None, None]  # (B, 1, T, 1, 1)
        s = level[:, None, :, None, None].to(noise.dtype)  # (B, 1, T, 1, 1)
        x_held = (1 - s) * cond_latents + s * noise  # (B, C, T, H, W)

    def velocity(x: torch.Tensor, t: float) -> torch.Tensor:
        t_frames = torch.full((b, frames), t, device=x.device)  # (B, T)
        if held is not None:
            x = torch.where(hold, x_held, x)
            t_frames = torch.where(held, level, t_frames)
        v = model_fn(x, t_frames, True)
        if guidance != 1.0:
            v = cfg_combine(v, model_fn(x, t_frames, False), guidance)
        return v

    x = noise
    with torch.no_grad():
        for i in range(steps):
            t, t_next = ts[i], ts[i + 1]
            v = velocity(x, t)
            if solver == "euler":
                x = euler_step(x, v, t, t_next)
            else:
                x = heun_step(x, v, t, t_next, velocity)
            if progress is not None:
                progress(i + 1, steps)
        if held is not None:
            x = torch.where(hold, cond_latents, x)
    return x
