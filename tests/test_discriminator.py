"""The patch discriminator and its losses: shapes, the hinge game, the balanced weight."""

from __future__ import annotations

import pytest
import torch

from tenku.discriminator import PatchDiscriminator, balanced_weight, generator_loss, hinge_losses


def test_patch_discriminator_scores_each_patch_of_each_frame():
    disc = PatchDiscriminator(channels=(8, 16, 16))
    logits = disc(torch.zeros(2, 3, 5, 64, 96))
    assert logits.shape == (2 * 5, 1, 8, 12)  # three halvings of 64x96, one map per frame
    with pytest.raises(ValueError, match=r"\(B, 3, T, H, W\)"):
        disc(torch.zeros(2, 3, 64, 64))
    with pytest.raises(ValueError, match="positive widths"):
        PatchDiscriminator(channels=())


def test_hinge_losses_vanish_only_past_the_margins():
    sure = hinge_losses(torch.full((4,), 2.0), torch.full((4,), -3.0))
    assert sure.item() == 0.0  # real above +1, decoded below -1: nothing left to learn
    unsure = hinge_losses(torch.zeros(4), torch.zeros(4))
    assert unsure.item() == pytest.approx(2.0)
    assert generator_loss(torch.tensor([1.0, 3.0])).item() == pytest.approx(-2.0)


def test_balanced_weight_matches_the_gradient_norms_at_the_output():
    out = torch.randn(2, 3, 4, 4, requires_grad=True)
    a, b = torch.randn(2, 3, 4, 4), torch.randn(2, 3, 4, 4)
    rec, adv = (out * a).sum(), (out * b).sum()
    w = balanced_weight(rec, adv, out, 0.5)
    assert w.item() == pytest.approx(0.5 * (a.norm() / b.norm()).item(), rel=1e-5)
    assert not w.requires_grad
    (rec + w * adv).backward()  # the graph is kept for the step's own backward
    assert torch.allclose(out.grad, a + w * b)
    tiny = balanced_weight((out * a).sum(), (out * b * 1e-9).sum(), out, 1.0, limit=10.0)
    assert tiny.item() == 10.0  # a vanishing adversarial gradient cannot blow the weight up
