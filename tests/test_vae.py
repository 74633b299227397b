"""Causal video VAE: shapes, images, causality, exact temporal chunks, tiles, loss, input errors."""

import pytest
import torch

from tenku.config import PRESETS, VAEConfig
from tenku.vae import VideoVAE, blend_tiles, edge_loss, vae_loss


@pytest.fixture
def vae(test_preset):
    torch.manual_seed(0)
    return VideoVAE(test_preset.vae).eval()


def _video(t=9, h=16, w=16, seed=0):
    return torch.rand(1, 3, t, h, w, generator=torch.Generator().manual_seed(seed)) * 2 - 1


@torch.no_grad()
def test_shapes_and_image(vae, test_preset):
    x = _video()
    z = vae.encode(x)
    assert z.shape == (1, *test_preset.vae.latent_shape(9, 16, 16)) == (1, 4, 3, 4, 4)
    assert vae.decode(z).shape == x.shape
    image = x[:, :, :1]
    zi = vae.encode(image)
    assert zi.shape == (1, 4, 1, 4, 4) and vae.decode(zi).shape == image.shape
    torch.testing.assert_close(zi, z[:, :, :1], atol=1e-5, rtol=1e-5)  # the first frame is encoded alone


@torch.no_grad()
def test_encoder_causal(vae):
    x = _video(t=13)
    z = vae.encode(x)
    x2 = x.clone()
    x2[:, :, 5] += 1.0  # frame 5 feeds latent 2 (frames 5..8)
    z2 = vae.encode(x2)
    torch.testing.assert_close(z2[:, :, :2], z[:, :, :2], atol=1e-6, rtol=0)
    assert not torch.allclose(z2[:, :, 2], z[:, :, 2])


@torch.no_grad()
def test_decoder_causal(vae):
    z = torch.randn(1, 4, 4, 4, 4)
    x = vae.decode(z)
    z2 = z.clone()
    z2[:, :, 2] += 1.0  # latent 2 decodes to frames 5..8
    x2 = vae.decode(z2)
    torch.testing.assert_close(x2[:, :, :5], x[:, :, :5], atol=1e-6, rtol=0)
    assert not torch.allclose(x2[:, :, 5], x[:, :, 5])


@torch.no_grad()
def test_chunked_equals_full(vae):
    x = _video(t=17)
    z = vae.encode(x)
    for chunk in (4, 8):
        torch.testing.assert_close(vae.encode(x, chunk_frames=chunk), z, atol=1e-5, rtol=1e-5)
    full = vae.decode(z)
    for chunk in (1, 2, 3):
        torch.testing.assert_close(vae.decode(z, chunk_latent_frames=chunk), full, atol=1e-5, rtol=1e-5)
    sizes = [c.shape[2] for c in vae.iter_decode(z, chunk_latent_frames=2)]
    assert sizes == [5, 8, 4]


@torch.no_grad()
def test_tiled_close_to_full(vae):
    """Tiles see zero padding at their borders, so tiled ~ full; the error shrinks with tile size."""
    x = _video(t=1, h=64, w=96)
    z = vae.encode(x)
    assert torch.equal(vae.encode(x, tile=(64, 96), overlap=8), z)  # one tile: identical

    def rel(a, b):
        return ((a - b).abs().mean() / b.abs().mean()).item()

    big = vae.encode(x, tile=(64, 64), overlap=32)
    assert big.shape == z.shape
    assert rel(big, z) < 0.12 < rel(vae.encode(x, tile=(32, 32), overlap=16), z)
    full = vae.decode(z)
    assert rel(vae.decode(z, tile=(64, 64), overlap=32, chunk_latent_frames=1), full) < 0.08


def test_blend_tiles_exact_for_pointwise():
    x = torch.randn(1, 2, 3, 20, 28)
    (out,) = blend_tiles(
        lambda t: (t.repeat_interleave(2, -1).repeat_interleave(2, -2) * 3,), x, (8, 12), 4, 2
    )
    torch.testing.assert_close(out, x.repeat_interleave(2, -1).repeat_interleave(2, -2) * 3)


def test_forward_and_loss(vae):
    vae.train()
    x = _video(t=5)
    recon, mean, logvar = vae(x, generator=torch.Generator().manual_seed(0))
    assert recon.shape == x.shape and mean.shape == logvar.shape == (1, 4, 2, 4, 4)
    loss, metrics = vae_loss(recon, x, mean, logvar, kl_weight=1e-6)
    loss.backward()
    assert all(p.grad is not None for p in vae.parameters())
    assert set(metrics) >= {"l1", "mse", "kl", "psnr"}
    zero, m = vae_loss(x, x, torch.zeros(2), torch.zeros(2), kl_weight=1.0)
    assert zero.item() == 0.0 and m["kl"] == 0.0


def test_pixel_weight_reweights_reconstruction_only():
    x = torch.zeros(1, 3, 1, 4, 4)
    recon = x.clone()
    recon[..., 0, 0] = 1.0  # one wrong pixel
    stats = (torch.zeros(2), torch.zeros(2))
    plain, m = vae_loss(recon, x, *stats, kl_weight=0.0)
    uniform, _ = vae_loss(recon, x, *stats, kl_weight=0.0, pixel_weight=torch.full((1, 1, 1, 4, 4), 7.0))
    assert uniform.item() == pytest.approx(plain.item())  # a weighted mean: the scale does not matter
    w = torch.ones(1, 1, 1, 4, 4)
    w[..., 0, 0] = 16.0  # the wrong pixel weighs 16, the other 15 pixels 1 each
    focused, m2 = vae_loss(recon, x, *stats, kl_weight=0.0, pixel_weight=w)
    assert focused.item() == pytest.approx(2 * 16 / 31) and m2["mse"] == m["mse"]


def test_edge_loss_costs_blur_not_offset():
    x = torch.zeros(1, 3, 2, 6, 6)
    x[..., 3:] = 1.0  # a vertical step edge
    assert edge_loss(x + 0.3, x).item() == pytest.approx(0.0, abs=1e-6)  # a uniform error moves no difference
    blurred = x.clone()
    blurred[..., 2:4] = 0.5  # the step spread over two columns
    sharp_shift = torch.zeros_like(x)
    sharp_shift[..., 4:] = 1.0  # the same edge one column off: as far from x in pixels
    assert (blurred - x).abs().mean() == (sharp_shift - x).abs().mean()
    assert edge_loss(blurred, x).item() > 0 and edge_loss(sharp_shift, x).item() > 0
    w = torch.ones_like(x)
    assert edge_loss(blurred, x, w * 5).item() == pytest.approx(edge_loss(blurred, x).item())
    w[..., :2] = 0.0
    w[..., 4:] = 0.0  # only the pairs touching columns 2-3 count: those around the blur
    assert edge_loss(blurred, x, w).item() > edge_loss(blurred, x).item()
    stats = (torch.zeros(2), torch.zeros(2))
    base, _ = vae_loss(blurred, x, *stats, kl_weight=0.0)
    total, m = vae_loss(blurred, x, *stats, kl_weight=0.0, edge_weight=2.0)
    assert total.item() == pytest.approx(base.item() + 2 * m["edge"]) and m["edge"] > 0
    with pytest.raises(ValueError, match="B, C, T, H, W"):
        edge_loss(x[0], x[0])


def test_scaling_round_trip(test_preset):
    from dataclasses import replace

    vae = VideoVAE(replace(test_preset.vae, scaling_factor=0.5, shift_factor=0.2)).eval()
    ref = VideoVAE(test_preset.vae).eval()
    ref.load_state_dict(vae.state_dict())
    x = _video(t=5)
    with torch.no_grad():
        z, zr = vae.encode(x), ref.encode(x)
        torch.testing.assert_close(z, (zr - 0.2) * 0.5)
        torch.testing.assert_close(vae.decode(z), ref.decode(zr), atol=1e-5, rtol=1e-5)


def test_input_errors(vae):
    with pytest.raises(ValueError, match="1 \\+ 4k frames"):
        vae.encode(_video(t=8))
    with pytest.raises(ValueError, match="divisible by 4"):
        vae.encode(_video(h=18))
    with pytest.raises(ValueError, match="chunk_frames must be a positive multiple of 4"):
        vae.encode(_video(), chunk_frames=3)
    with pytest.raises(ValueError, match="tile"):
        vae.encode(_video(), tile=(10, 16))
    with pytest.raises(ValueError, match="latent_channels"):
        VAEConfig(latent_channels=64)
    with pytest.raises(ValueError, match="spatial_compression"):
        VAEConfig(spatial_compression=32)


def test_tiny_preset_geometry():
    cfg = PRESETS["tiny"].vae
    assert cfg.latent_shape(17, 64, 64) == (8, 5, 8, 8)
    assert cfg.patch_size == 2 and cfg.temporal_downsamples == (True, True)
    assert cfg.spatial_downsamples == (True, True)
    fine = PRESETS["tiny-c16-s4"].vae
    assert fine.latent_shape(17, 64, 64) == (16, 5, 16, 16)
    assert fine.patch_size == 2 and fine.spatial_downsamples == (True, False)
    assert fine.temporal_downsamples == (True, True)


@torch.no_grad()
def test_space_to_depth_leaves_a_transition_at_full_size():
    """With space_to_depth, the last level transitions halve time alone: a finer latent grid from
    the same layers, still causal and exact in temporal chunks."""
    coarse = VAEConfig(latent_channels=4, spatial_compression=8, channels=(8, 8, 16))
    fine = VAEConfig(latent_channels=4, spatial_compression=4, space_to_depth=2, channels=(8, 8, 16))
    torch.manual_seed(0)
    vae = VideoVAE(fine).eval()
    assert {k: v.shape for k, v in vae.state_dict().items()} == {
        k: v.shape for k, v in VideoVAE(coarse).state_dict().items()
    }
    x = _video(t=17)
    z = vae.encode(x)
    assert z.shape == (1, *fine.latent_shape(17, 16, 16)) == (1, 4, 5, 4, 4)
    assert vae.decode(z).shape == x.shape
    torch.testing.assert_close(vae.encode(x, chunk_frames=8), z, atol=1e-5, rtol=1e-5)
    x2 = x.clone()
    x2[:, :, 5] += 1.0  # frame 5 feeds latent 2
    z2 = vae.encode(x2)
    torch.testing.assert_close(z2[:, :, :2], z[:, :, :2], atol=1e-6, rtol=0)
    for bad in (3, 1, 16):  # not a power of 2; 8x from one pixel needs 3 halvings; more than 8x
        with pytest.raises(ValueError, match="space_to_depth must be a power of 2"):
            VAEConfig(spatial_compression=8, space_to_depth=bad)


def test_onednn_conv_path_equals_reference(vae):
    x = _video(t=5)
    with torch.no_grad():
        fast = vae.decode(vae.encode(x))
        with torch.backends.mkldnn.flags(enabled=False):
            ref = vae.decode(vae.encode(x))
    torch.testing.assert_close(fast, ref, atol=1e-5, rtol=1e-4)
    x.requires_grad_(True)
    g_fast = torch.autograd.grad(vae(x, generator=torch.Generator().manual_seed(0))[0].square().sum(), x)[0]
    with torch.backends.mkldnn.flags(enabled=False):
        g_ref = torch.autograd.grad(vae(x, generator=torch.Generator().manual_seed(0))[0].square().sum(), x)[
            0
        ]
    torch.testing.assert_close(g_fast, g_ref, atol=1e-4, rtol=1e-3)
