"""DiT: patchify round trip, 3D RoPE at unseen grids, adaLN-Zero, masks, swapped attention, presets."""

import pytest
import torch
import torch.nn.functional as F

from tenku.config import PRESETS, DiTConfig
from tenku.dit import DiT, RopeCache, apply_rope, patchify, rope_tables, unpatchify
from tenku.vae import VideoVAE

# Documented parameter counts (tenku/config.py table), in millions: (DiT, VAE).
DOCUMENTED_M = {
    "test": (0.0624, 0.0810),
    "tiny": (7.06, 4.45),
    "tiny-c16": (7.06, 4.53),
    "tiny-c16-d2": (7.06, 5.70),
    "tiny-c16-l12": (10.3, 5.70),
    "tiny-c16-s4": (7.08, 5.70),
    "small": (95.1, 27.0),
}


def _inputs(cfg: DiTConfig, b=2, t=3, h=4, w=6, seed=0):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(b, cfg.in_channels, t, h, w, generator=g)
    ts = torch.rand(b, t, generator=g)
    text = torch.randn(b, 5, cfg.text_dim, generator=g)
    mask = torch.tensor([[True] * 5, [True, True, False, False, False]])[:b]
    return x, ts, text, mask


def _randomize(model: torch.nn.Module, seed=0) -> None:
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(torch.randn(p.shape, generator=g) * 0.1)


@pytest.mark.parametrize("patch", [(1, 1, 1), (1, 2, 2), (2, 1, 2)])
def test_patchify_round_trip(patch):
    x = torch.randn(2, 4, 4, 6, 8)
    tokens = patchify(x, patch)
    n = (4 // patch[0]) * (6 // patch[1]) * (8 // patch[2])
    assert tokens.shape == (2, n, 4 * patch[0] * patch[1] * patch[2])
    grid = (4 // patch[0], 6 // patch[1], 8 // patch[2])
    assert torch.equal(unpatchify(tokens, patch, grid), x)


def test_patchify_rejects_indivisible():
    with pytest.raises(ValueError, match="divisible by the patch size"):
        patchify(torch.randn(1, 4, 3, 6, 7), (1, 2, 2))


def test_rope_relative_positions():
    """<rope(q, p1), rope(k, p2)> depends only on p1 - p2, on every axis."""
    axes = (4, 6, 6)
    cos, sin = rope_tables((4, 5, 6), axes, 10000.0)
    assert cos.shape == (4 * 5 * 6, 8)
    q, k = torch.randn(16), torch.randn(16)
    rq = apply_rope(q.expand(1, 1, 120, 16), cos, sin)[0, 0].view(4, 5, 6, 16)
    rk = apply_rope(k.expand(1, 1, 120, 16), cos, sin)[0, 0].view(4, 5, 6, 16)
    d1 = rq[2, 3, 4] @ rk[1, 1, 2]
    d2 = rq[3, 4, 5] @ rk[2, 2, 3]
    torch.testing.assert_close(d1, d2, atol=1e-4, rtol=1e-4)
    assert not torch.allclose(rq[2, 3, 4] @ rk[1, 1, 2], rq[2, 3, 4] @ rk[1, 1, 3])


def test_rope_cache_reuses_and_bounds():
    cache = RopeCache((4, 6, 6), 10000.0, max_entries=2)
    a = cache.get((1, 2, 2), torch.device("cpu"), torch.float32)
    assert cache.get((1, 2, 2), torch.device("cpu"), torch.float32)[0] is a[0]
    cache.get((2, 2, 2), torch.device("cpu"), torch.float32)
    cache.get((3, 2, 2), torch.device("cpu"), torch.float32)
    assert len(cache._tables) == 2


@pytest.mark.parametrize("grid", [(1, 2, 2), (3, 4, 6), (5, 8, 2), (2, 6, 10)])
def test_any_grid_size(test_preset, grid):
    model = DiT(test_preset.dit)
    _randomize(model)
    x, t, text, mask = _inputs(test_preset.dit, t=grid[0], h=grid[1], w=grid[2])
    out = model(x, t, text, mask, fps=torch.tensor([8.0, 24.0]))
    assert out.shape == x.shape and torch.isfinite(out).all()


def test_adaln_zero_then_learns(test_preset):
    model = DiT(test_preset.dit)
    x, t, text, mask = _inputs(test_preset.dit)
    out = model(x, t, text, mask)
    assert torch.count_nonzero(out) == 0
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    F.mse_loss(out, torch.randn_like(out)).backward()
    opt.step()
    assert torch.count_nonzero(model(x, t, text, mask)) > 0


def test_padding_tokens_ignored_and_frames_own_timesteps(test_preset):
    model = DiT(test_preset.dit)
    _randomize(model)
    x, t, text, mask = _inputs(test_preset.dit)
    out = model(x, t, text, mask)
    text2 = text.clone()
    text2[1, 2:] = 100.0  # padding of sample 1
    torch.testing.assert_close(model(x, t, text2, mask)[1], out[1])
    t2 = t.clone()
    t2[0, 2] = 0.0
    out2 = model(x, t2, text, mask)
    assert not torch.allclose(out2[0], out[0])
    torch.testing.assert_close(out2[1], out[1])


def test_swapped_attention_and_checkpointing(test_preset):
    calls = []

    def attention(q, k, v):
        calls.append(q.shape)
        return F.scaled_dot_product_attention(q, k, v)

    ref = DiT(test_preset.dit)
    _randomize(ref)
    model = DiT(test_preset.dit, attention=attention, checkpointing=True)
    model.load_state_dict(ref.state_dict())
    x, t, text, mask = _inputs(test_preset.dit)
    out_ref = ref(x, t, text, mask)
    out = model(x, t, text, mask)
    torch.testing.assert_close(out, out_ref)
    assert len(calls) == test_preset.dit.depth
    assert calls[0] == (2, test_preset.dit.heads, 3 * 4 * 6, test_preset.dit.head_dim)
    out.square().mean().backward()
    out_ref.square().mean().backward()
    for p, q in zip(model.parameters(), ref.parameters(), strict=True):
        torch.testing.assert_close(p.grad, q.grad, atol=1e-5, rtol=1e-4)


def test_bf16_autocast_close_to_fp32(test_preset):
    model = DiT(test_preset.dit)
    _randomize(model)
    x, t, text, mask = _inputs(test_preset.dit)
    with torch.no_grad():
        ref = model(x, t, text, mask)
        with torch.autocast("cpu", dtype=torch.bfloat16):
            out = model(x, t, text, mask)
    assert out.dtype == torch.float32
    assert (out - ref).abs().mean() < 0.05 * ref.abs().mean()


def test_input_errors(test_preset):
    model = DiT(test_preset.dit)
    x, t, text, mask = _inputs(test_preset.dit)
    with pytest.raises(ValueError, match=r"t must be \(B, T\)"):
        model(x, t[:, :2], text, mask)
    with pytest.raises(ValueError, match="at least one True"):
        model(x, t, text, torch.zeros_like(mask))
    with pytest.raises(ValueError, match="x must be"):
        model(x[:, :2], t, text, mask)
    with pytest.raises(ValueError, match="divisible by heads"):
        DiTConfig(width=30, heads=4)


def _count(module_cls, cfg) -> int:
    with torch.device("meta"):
        return sum(p.numel() for p in module_cls(cfg).parameters())


@pytest.mark.parametrize("name", list(DOCUMENTED_M))
def test_small_preset_parameter_counts(name):
    dit_m, vae_m = DOCUMENTED_M[name]
    assert _count(DiT, PRESETS[name].dit) / 1e6 == pytest.approx(dit_m, rel=0.02)
    assert _count(VideoVAE, PRESETS[name].vae) / 1e6 == pytest.approx(vae_m, rel=0.02)


def test_large_presets_parameter_counts():
    """The documented sizes of the GPU presets (meta device: no memory is allocated)."""
    documented_b = {"base": (0.471, 0.107), "large": (1.32, 0.107), "xl": (6.30, 0.172)}
    for name, (dit_b, vae_b) in documented_b.items():
        assert _count(DiT, PRESETS[name].dit) / 1e9 == pytest.approx(dit_b, rel=0.01), name
        assert _count(VideoVAE, PRESETS[name].vae) / 1e9 == pytest.approx(vae_b, rel=0.01), name
    assert _count(DiT, PRESETS["large"].dit) > 1.2e9


def test_per_sample_timestep_and_temporal_patch(test_preset):
    from dataclasses import replace

    model = DiT(test_preset.dit)
    _randomize(model)
    x, t, text, mask = _inputs(test_preset.dit)
    per_sample = torch.tensor([0.3, 0.7])
    torch.testing.assert_close(
        model(x, per_sample, text, mask), model(x, per_sample[:, None].expand(2, 3), text, mask)
    )
    model2 = DiT(replace(test_preset.dit, patch_size=(2, 2, 2)))
    _randomize(model2)
    x2, t2, text2, mask2 = _inputs(test_preset.dit, t=4, h=4, w=6)
    assert model2(x2, t2, text2, mask2).shape == x2.shape


class _PermuteShard:
    """Single-process stand-in for a sequence group: 'sharding' reorders each frame's tokens."""

    def __init__(self, perm: torch.Tensor):
        self.perm, self.inverse = perm, torch.argsort(perm)

    def shard(self, x, dim):
        return x.index_select(dim, self.perm)

    def gather(self, x, dim):
        return x.index_select(dim, self.inverse)


def test_sequence_shard_plumbing_is_exact(test_preset):
    """Tokens, rotary tables and modulation follow the shard: the result equals the plain forward."""
    ref = DiT(test_preset.dit)
    _randomize(ref)
    model = DiT(
        test_preset.dit,
        sequence=_PermuteShard(torch.randperm(4 * 6, generator=torch.Generator().manual_seed(0))),
    )
    model.load_state_dict(ref.state_dict())
    x, t, text, mask = _inputs(test_preset.dit)
    torch.testing.assert_close(model(x, t, text, mask), ref(x, t, text, mask), atol=1e-5, rtol=1e-5)


def _sp_worker(rank: int, init: str, test_preset, state, inputs, expected) -> None:
    import torch.distributed as dist

    from tenku.dist import UlyssesAttention

    class Shard:
        def shard(self, x, dim):
            return x.chunk(2, dim=dim)[rank]

        def gather(self, x, dim):
            parts = [torch.empty_like(x) for _ in range(2)]
            dist.all_gather(parts, x.contiguous())
            parts[rank] = x  # keeps the local gradient path
            return torch.cat(parts, dim=dim)

    dist.init_process_group("gloo", init_method=init, rank=rank, world_size=2)
    try:
        model = DiT(test_preset.dit, attention=UlyssesAttention(), sequence=Shard())
        model.load_state_dict(state)
        with torch.no_grad():
            out = model(*inputs)
        torch.testing.assert_close(out, expected, atol=1e-5, rtol=1e-5)
        dist.barrier()
    finally:
        dist.destroy_process_group()


@pytest.mark.slow
def test_ulysses_two_processes_equal_single(test_preset, tmp_path):
    import torch.multiprocessing as mp

    ref = DiT(test_preset.dit)
    _randomize(ref)
    inputs = _inputs(test_preset.dit)
    with torch.no_grad():
        expected = ref(*inputs)
    init = f"file://{tmp_path / 'rendezvous'}"
    mp.spawn(_sp_worker, args=(init, test_preset, ref.state_dict(), inputs, expected), nprocs=2)


def test_sincos_positions_distinct_for_any_grid():
    from tenku.dit import sincos_positions

    for grid in [(1, 2, 3), (5, 8, 8), (3, 7, 11)]:
        pos = sincos_positions(grid, 48, torch.device("cpu"))
        assert pos.shape == (grid[0] * grid[1] * grid[2], 48)
        assert torch.unique(pos.round(decimals=5), dim=0).shape[0] == pos.shape[0]  # every token distinct


def test_matmul_attention_equals_sdpa_with_gradients(test_preset):
    from tenku.dit import matmul_attention

    q, k, v = (torch.randn(2, 3, 17, 8, requires_grad=True) for _ in range(3))
    out = matmul_attention(q, k, v)
    ref = F.scaled_dot_product_attention(q, k, v)
    torch.testing.assert_close(out, ref, atol=1e-5, rtol=1e-5)
    g = torch.randn_like(out)
    grads = torch.autograd.grad(out, (q, k, v), g)
    grads_ref = torch.autograd.grad(ref, (q, k, v), g)
    for a, b in zip(grads, grads_ref, strict=True):
        torch.testing.assert_close(a, b, atol=1e-5, rtol=1e-5)
    ref_model = DiT(test_preset.dit)
    _randomize(ref_model)
    model = DiT(test_preset.dit, attention=matmul_attention)
    model.load_state_dict(ref_model.state_dict())
    x, t, text, mask = _inputs(test_preset.dit)
    torch.testing.assert_close(model(x, t, text, mask), ref_model(x, t, text, mask), atol=1e-5, rtol=1e-5)


def test_tiny_s4_keeps_the_tiny_token_count():
    """A 4x-spatial VAE under patch 2 gives the DiT the same 320 tokens at 17x64x64 as tiny."""

    def tokens(name):
        cfg = PRESETS[name]
        t, h, w = cfg.vae.latent_shape(17, 64, 64)[1:]
        pt, ph, pw = cfg.dit.patch_size
        return (t // pt) * (h // ph) * (w // pw)

    assert tokens("tiny-s4") == tokens("tiny") == 320
    assert PRESETS["tiny-s4"].vae.latent_shape(17, 64, 64)[2:] == (16, 16)
