"""Sampler: schedule, Euler == diffusers, Heun, CFG, exact conditioning frames, determinism."""

import math

import pytest
import torch

from tenku.dit import DiT
from tenku.sample import cfg_combine, euler_step, sample, schedule


def test_schedule():
    t = schedule(10, shift=3.0)
    assert t.shape == (11,) and t[0] == 1 and t[-1] == 0 and torch.all(t.diff() < 0)
    assert t[5].item() == pytest.approx(3 * 0.5 / (1 + 2 * 0.5), abs=1e-6)
    torch.testing.assert_close(schedule(4, shift=1.0), torch.tensor([1.0, 0.75, 0.5, 0.25, 0.0]))
    with pytest.raises(ValueError):
        schedule(0, shift=1.0)


@pytest.mark.parametrize("shift", [1.0, 3.0])
def test_euler_step_equals_diffusers(shift):
    from diffusers import FlowMatchEulerDiscreteScheduler

    steps = 8
    sched = FlowMatchEulerDiscreteScheduler(num_train_timesteps=1000, shift=shift)
    sched.set_timesteps(sigmas=torch.linspace(1.0, 0.0, steps + 1)[:-1].tolist())
    ts = schedule(steps, shift=shift)
    torch.testing.assert_close(sched.sigmas.float(), ts, atol=1e-6, rtol=0)
    g = torch.Generator().manual_seed(0)
    x = torch.randn(1, 4, 2, 3, 3, generator=g)
    for i in range(steps):
        v = torch.randn(x.shape, generator=g)
        ref = sched.step(v, sched.timesteps[i], x).prev_sample
        x = euler_step(x, v, ts[i].item(), ts[i + 1].item())
        torch.testing.assert_close(x, ref, atol=1e-6, rtol=1e-6)


def test_cfg_combine():
    c, u = torch.full((2,), 3.0), torch.full((2,), 1.0)
    assert torch.equal(cfg_combine(c, u, 1.0), c)
    assert torch.equal(cfg_combine(c, u, 0.0), u)
    assert torch.equal(cfg_combine(c, u, 2.0), torch.full((2,), 5.0))


def test_constant_field_exact_and_cfg_calls():
    calls = []

    def model_fn(x, t, cond):
        calls.append(cond)
        return torch.full_like(x, 2.0 if cond else 1.0)

    noise = torch.randn(1, 2, 3, 2, 2)
    out = sample(model_fn, noise, steps=5, shift=2.0, guidance=3.0)
    torch.testing.assert_close(out, noise - (1.0 + 3.0 * (2.0 - 1.0)))
    assert calls.count(True) == 5 and calls.count(False) == 5
    calls.clear()
    sample(model_fn, noise, steps=5, shift=2.0, guidance=1.0)
    assert calls == [True] * 5


def test_heun_beats_euler():
    """dx/dt = x from t = 1 to 0 has x(0) = x(1) / e."""
    noise = torch.ones(1, 1, 1, 1, 1)
    exact = 1 / math.e
    euler = sample(lambda x, t, c: x, noise, steps=8, shift=1.0, guidance=1.0, solver="euler")
    heun = sample(lambda x, t, c: x, noise, steps=8, shift=1.0, guidance=1.0, solver="heun")
    assert abs(heun.item() - exact) < abs(euler.item() - exact) / 5


def test_conditioning_frames_exact():
    seen = []

    def model_fn(x, t, cond):
        seen.append((x.clone(), t.clone()))
        return torch.randn_like(x)

    noise = torch.randn(2, 3, 4, 2, 2)
    cond = torch.randn(2, 3, 4, 2, 2) * 7
    mask = torch.tensor([[True, False, False, True], [False, True, False, False]])
    out = sample(model_fn, noise, steps=3, shift=1.0, guidance=2.0, cond_latents=cond, cond_mask=mask)
    assert torch.equal(out[0, :, 0], cond[0, :, 0]) and torch.equal(out[0, :, 3], cond[0, :, 3])
    assert torch.equal(out[1, :, 1], cond[1, :, 1])
    assert not torch.equal(out[1, :, 0], cond[1, :, 0])
    for x, t in seen:
        assert torch.equal(x[0, :, 0], cond[0, :, 0])
        assert t[0, 0] == 0 and t[0, 1] > 0 and t[1, 1] == 0

    level = torch.tensor([[0.1, 1.0, 1.0, 1.0], [1.0, 1.0, 1.0, 0.0]])
    seen.clear()
    out = sample(model_fn, noise, steps=3, shift=1.0, guidance=1.0, cond_latents=cond, cond_mask=level)
    assert torch.equal(out[0, :, 0], cond[0, :, 0]) and torch.equal(out[1, :, 3], cond[1, :, 3])
    for x, t in seen:
        torch.testing.assert_close(x[0, :, 0], 0.9 * cond[0, :, 0] + 0.1 * noise[0, :, 0])
        assert t[0, 0].item() == pytest.approx(0.1)


def test_same_seed_same_sample_with_dit(test_preset):
    model = DiT(test_preset.dit)
    with torch.no_grad():
        for p in model.parameters():
            p.add_(0.05 * torch.randn(p.shape, generator=torch.Generator().manual_seed(p.numel())))
    text, mask = torch.randn(1, 4, test_preset.dit.text_dim), torch.ones(1, 4, dtype=torch.bool)
    null, null_mask = torch.zeros(1, 1, test_preset.dit.text_dim), torch.ones(1, 1, dtype=torch.bool)

    def model_fn(x, t, cond):
        return model(x, t, text, mask) if cond else model(x, t, null, null_mask)

    def run(seed):
        g = torch.Generator().manual_seed(seed)
        noise = torch.randn(1, test_preset.dit.in_channels, 2, 4, 4, generator=g)
        return sample(model_fn, noise, steps=2, shift=1.0, guidance=3.0, solver="heun")

    a, b, c = run(1), run(1), run(2)
    assert torch.equal(a, b) and not torch.allclose(a, c)


def test_progress_and_errors():
    ticks = []
    noise = torch.zeros(1, 1, 2, 1, 1)
    sample(
        lambda x, t, c: x, noise, steps=4, shift=1.0, guidance=1.0, progress=lambda i, n: ticks.append((i, n))
    )
    assert ticks == [(1, 4), (2, 4), (3, 4), (4, 4)]
    with pytest.raises(ValueError, match="solver"):
        sample(lambda x, t, c: x, noise, steps=2, shift=1.0, guidance=1.0, solver="rk4")
    with pytest.raises(ValueError, match="cond_mask must have shape"):
        sample(
            lambda x, t, c: x,
            noise,
            steps=2,
            shift=1.0,
            guidance=1.0,
            cond_latents=noise,
            cond_mask=torch.ones(1, 3, dtype=torch.bool),
        )


def test_start_below_one_integrates_from_start():
    """SDEdit: from t = start the constant field moves x by start * v, over a schedule scaled to start."""
    seen = []

    def model_fn(x, t, cond):
        seen.append(t[0, 0].item())
        return torch.full_like(x, 2.0)

    noisy = torch.randn(1, 2, 3, 2, 2)
    out = sample(model_fn, noisy, steps=4, shift=3.0, guidance=1.0, start=0.5)
    torch.testing.assert_close(out, noisy - 0.5 * 2.0)
    assert seen[0] == pytest.approx(0.5) and max(seen) <= 0.5
    with pytest.raises(ValueError, match="start"):
        sample(model_fn, noisy, steps=4, shift=1.0, guidance=1.0, start=0.0)
