"""Rectified-flow math: interpolation, velocity, logit-normal timesteps, shifts, masked loss."""

import math

import pytest
import torch

from tenku.config import FlowConfig
from tenku.flow import (
    flow_loss,
    frame_diff_loss,
    interpolate,
    motion_weights,
    object_weights,
    resolution_shift,
    sample_timesteps,
    shift_timesteps,
    side_swap_loss,
    velocity_target,
)


def test_interpolate_endpoints_and_velocity():
    x0, eps = torch.randn(2, 4, 3, 5, 5), torch.randn(2, 4, 3, 5, 5)
    assert torch.equal(interpolate(x0, eps, torch.zeros(2)), x0)
    assert torch.equal(interpolate(x0, eps, torch.ones(2)), eps)
    t, dt = torch.tensor([0.3, 0.6]), 1e-2
    slope = (interpolate(x0, eps, t + dt) - interpolate(x0, eps, t)) / dt
    torch.testing.assert_close(slope, velocity_target(x0, eps), atol=1e-3, rtol=1e-3)


def test_interpolate_per_frame():
    x0, eps = torch.zeros(1, 2, 3, 2, 2), torch.ones(1, 2, 3, 2, 2)
    xt = interpolate(x0, eps, torch.tensor([[0.0, 0.5, 1.0]]))
    assert xt[0, :, 0].eq(0).all() and xt[0, :, 1].eq(0.5).all() and xt[0, :, 2].eq(1).all()
    with pytest.raises(ValueError, match="timesteps must have shape"):
        interpolate(x0, eps, torch.zeros(1, 2))


def test_logit_normal_timesteps():
    g = torch.Generator().manual_seed(0)
    t = sample_timesteps((20000,), mean=0.5, std=1.0, generator=g)
    assert t.min() > 0 and t.max() < 1
    assert t.median().item() == pytest.approx(1 / (1 + math.exp(-0.5)), abs=0.01)
    again = sample_timesteps((20000,), mean=0.5, std=1.0, generator=torch.Generator().manual_seed(0))
    assert torch.equal(t, again)
    assert sample_timesteps((3, 5), mean=0.0, std=1.0).shape == (3, 5)


def test_shift_timesteps():
    t = torch.linspace(0, 1, 11)
    assert torch.equal(shift_timesteps(t, 1.0), t)
    s = shift_timesteps(t, 3.0)
    assert s[0] == 0 and s[-1] == 1 and torch.all(s[1:-1] > t[1:-1]) and torch.all(s.diff() > 0)
    assert s[5].item() == pytest.approx(3 * 0.5 / (1 + 2 * 0.5))
    with pytest.raises(ValueError):
        shift_timesteps(t, 0.0)


def test_resolution_shift():
    cfg = FlowConfig(shift_base=1.0, shift_max=3.0, base_tokens=256, max_tokens=4096)
    assert resolution_shift(256, cfg) == pytest.approx(1.0)
    assert resolution_shift(4096, cfg) == pytest.approx(3.0)
    assert resolution_shift(10, cfg) == pytest.approx(1.0)
    assert resolution_shift(10**6, cfg) == pytest.approx(3.0)
    mid = resolution_shift(2176, cfg)
    assert mid == pytest.approx(math.sqrt(3.0))


def test_flow_loss_mask_excludes_frames():
    pred, target = torch.randn(2, 4, 3, 2, 2), torch.randn(2, 4, 3, 2, 2)
    loss, per = flow_loss(pred, target)
    torch.testing.assert_close(loss, torch.nn.functional.mse_loss(pred, target))
    assert per.shape == (2,)
    mask = torch.tensor([[False, True, True], [True, True, True]])
    masked, per_m = flow_loss(pred, target, weight_mask=mask)
    pred2 = pred.clone()
    pred2[0, :, 0] += 100.0  # change a conditioning frame: no effect
    again, _ = flow_loss(pred2, target, weight_mask=mask)
    torch.testing.assert_close(masked, again)
    expected0 = (pred[0, :, 1:] - target[0, :, 1:]).pow(2).mean()
    torch.testing.assert_close(per_m[0], expected0)
    with pytest.raises(ValueError, match="weight_mask must have shape"):
        flow_loss(pred, target, weight_mask=mask[:, :2])


def test_object_weights_favour_cells_an_object_touches():
    cover = torch.zeros(2, 1, 2, 4, 4)
    cover[0, 0, :, 1, 1] = 0.05  # a sliver of an object is enough
    cover[0, 0, 1, 2, 3] = 1.0
    w = object_weights(cover, 9.0)
    assert w.shape == cover.shape
    assert w.flatten(1).mean(1).tolist() == pytest.approx([1.0, 1.0])  # each clip's mean is 1
    assert w[0, 0, 0, 1, 1] == pytest.approx(10 * w[0, 0, 0, 0, 0])  # touched cells weigh 1 + 9
    assert w[0, 0, 1, 2, 3] == w[0, 0, 0, 1, 1]
    torch.testing.assert_close(w[1], torch.ones(1, 2, 4, 4))  # no object: 1 everywhere
    torch.testing.assert_close(object_weights(cover, 0.0), torch.ones_like(cover))
    with pytest.raises(ValueError, match="strength must be >= 0"):
        object_weights(cover, -1.0)


def test_motion_weights_favour_what_moves():
    x0 = torch.zeros(1, 4, 5, 6, 6)  # latent frame 0 (one video frame) and four later frames
    x0[:, :, 0] = 3.0  # the causal first frame differs from the rest: that is no motion
    for k in range(1, 5):  # a blob moving right by one cell a frame over a static background
        x0[:, :, k, 2, k] = 1.0
    w = motion_weights(x0, 4.0)
    assert w.shape == (1, 1, 5, 6, 6)
    assert torch.all(w[:, :, 0] == 1.0)
    assert w[:, :, 1:].mean() == pytest.approx(1.0)
    assert w[0, 0, 2, 2, 2] > 2.0 and w[0, 0, 2, 0, 0] == pytest.approx(0.2)  # the blob; the background
    torch.testing.assert_close(motion_weights(x0, 0.0), torch.ones(1, 1, 5, 6, 6))
    static = torch.randn(1, 4, 1, 6, 6).expand(1, 4, 5, 6, 6)  # nothing moves: a weight of 1 everywhere
    torch.testing.assert_close(motion_weights(static, 4.0), torch.ones(1, 1, 5, 6, 6))
    with pytest.raises(ValueError, match="strength must be >= 0"):
        motion_weights(x0, -1.0)


def test_flow_loss_weights_scale_errors():
    pred, target = torch.zeros(1, 2, 3, 2, 2), torch.ones(1, 2, 3, 2, 2)
    weights = torch.ones(1, 1, 3, 2, 2)
    weights[:, :, 2] = 4.0  # one frame weighs four times the others
    loss, _ = flow_loss(pred, target, weights=weights)
    torch.testing.assert_close(loss, torch.tensor(2.0))


def test_frame_diff_loss_reads_change_between_frames():
    target = torch.zeros(2, 3, 5, 4, 4)
    steady = target + 0.5  # the same error in every frame: no change is wrong
    torch.testing.assert_close(frame_diff_loss(steady, target), torch.zeros(2))
    flicker = target.clone()
    flicker[:, :, 2] = 1.0  # one later frame off: it breaks its changes into and out of it
    torch.testing.assert_close(frame_diff_loss(flicker, target), torch.full((2,), 2 / 3))
    first = target.clone()
    first[:, :, 0] = 1.0  # the causal first frame's change to the next is not scored
    torch.testing.assert_close(frame_diff_loss(first, target), torch.zeros(2))
    given = torch.tensor([[True] * 5, [False, False, True, True, True]])  # sample 1: frames 0-1 given
    # sample 1 keeps only pairs (2, 3) and (3, 4); frame 2's error breaks one of them
    torch.testing.assert_close(
        frame_diff_loss(flicker, target, weight_mask=given), torch.tensor([2 / 3, 0.5])
    )
    none = torch.tensor([[True] * 5, [False, False, False, False, True]])  # no generated pair: 0
    assert frame_diff_loss(flicker, target, weight_mask=none)[1] == 0.0
    assert torch.all(frame_diff_loss(flicker[:, :, :2], target[:, :, :2]) == 0.0)
    with pytest.raises(ValueError, match="weight_mask must have shape"):
        frame_diff_loss(flicker, target, weight_mask=given[:, :2])
    with pytest.raises(ValueError, match="must match"):
        frame_diff_loss(flicker[:, :, :3], target)


def test_side_swap_loss_hinges_on_the_margin():
    true, swapped = torch.tensor([1.0, 1.0, 2.0], requires_grad=True), torch.tensor([1.0, 1.2, 2.0])
    swapped.requires_grad_(True)
    hinge = side_swap_loss(true, swapped, 0.1)
    torch.testing.assert_close(hinge, torch.tensor([0.1, 0.0, 0.2]), rtol=0, atol=1e-6)
    hinge.sum().backward()
    assert true.grad is None  # the true caption's error is held fixed
    assert swapped.grad.tolist() == [-1.0, 0.0, -1.0]  # only a swapped error short of the margin is pushed
    with pytest.raises(ValueError, match="margin"):
        side_swap_loss(true, swapped, -0.1)
    with pytest.raises(ValueError, match="must match"):
        side_swap_loss(true, swapped[:2], 0.1)
