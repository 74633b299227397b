"""Distributed training on CPU: 2 processes on gloo launched with torch.distributed.run.

This file is also the worker script: `python -m torch.distributed.run --nproc_per_node=2
tests/test_dist.py MODE OUT` runs one of the modes below and rank 0 writes OUT (safetensors);
`... tests/test_dist.py train ARGS` runs `tenku train ARGS` on every rank.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from safetensors.torch import load_file, save_file
from torch import nn

from tenku import dist as tdist

ROOT = Path(__file__).resolve().parents[1]
GLOBAL_BATCH = 8
STEPS = 3


class Block(nn.Module):
    def __init__(self, width: int):
        super().__init__()
        self.norm = nn.LayerNorm(width)
        self.fc = nn.Linear(width, width)

    def forward(self, x):
        return x + self.fc(torch.tanh(self.norm(x)))


class TinyNet(nn.Module):
    def __init__(self, width: int = 16):
        super().__init__()
        self.inp = nn.Linear(6, width)
        self.blocks = nn.ModuleList([Block(width) for _ in range(2)])
        self.out = nn.Linear(width, 3)

    def forward(self, x):
        h = self.inp(x)
        for b in self.blocks:
            h = b(h)
        return self.out(h)


def _data():
    g = torch.Generator().manual_seed(1)
    return torch.randn(STEPS, GLOBAL_BATCH, 6, generator=g), torch.randn(STEPS, GLOBAL_BATCH, 3, generator=g)


def _train(model, rank: int, world: int) -> None:
    opt = torch.optim.AdamW(model.parameters(), lr=1e-2, weight_decay=0.1)
    xs, ys = _data()
    per = GLOBAL_BATCH // world
    for s in range(STEPS):
        x, y = xs[s, rank * per : (rank + 1) * per], ys[s, rank * per : (rank + 1) * per]
        loss = ((model(x) - y) ** 2).mean()
        loss.backward()
        opt.step()
        opt.zero_grad(set_to_none=True)


def _grad_weight(shape) -> torch.Tensor:
    return torch.arange(torch.Size(shape).numel(), dtype=torch.float32).reshape(shape).sin()


def _reference_params() -> dict[str, torch.Tensor]:
    torch.manual_seed(0)
    model = TinyNet()
    _train(model, 0, 1)
    return {k: v.detach().clone() for k, v in model.state_dict().items()}


def _worker(mode: str, out: str) -> None:
    torch.set_num_threads(1)
    info = tdist.compute_init(device="cpu")
    assert info.distributed and info.world_size == 2 and info.backend == "gloo"
    if mode in ("ddp", "fsdp"):
        torch.manual_seed(0)
        model = TinyNet()
        if mode == "ddp":
            model = tdist.apply_ddp(model, info)
        else:
            mesh = tdist.make_mesh(info)["dp"]
            model = tdist.apply_fsdp(model, mesh)
        _train(model, info.rank, info.world_size)
        state = tdist.full_state_dict(model)
    elif mode == "ulysses":
        g = torch.Generator().manual_seed(3)
        q, k, v = (torch.randn(2, 4, 12, 8, generator=g) for _ in range(3))  # (B, H, N, D) full
        local = [tdist.shard_sequence(t, None, dim=2).clone().requires_grad_(True) for t in (q, k, v)]
        out_local = tdist.UlyssesAttention()(*local)  # (B, H, N/2, D)
        weight = tdist.shard_sequence(_grad_weight(q.shape), None, dim=2)
        (out_local * weight).sum().backward()
        gathered = [torch.empty_like(out_local) for _ in range(info.world_size)]
        torch.distributed.all_gather(gathered, out_local.detach())
        grads = {}
        for name, t in zip("qkv", local, strict=True):
            parts = [torch.empty_like(t.grad) for _ in range(info.world_size)]
            torch.distributed.all_gather(parts, t.grad)
            grads[f"d{name}"] = torch.cat(parts, dim=2)
        state = {"out": torch.cat(gathered, dim=2), **grads}
    else:
        raise ValueError(f"unknown mode {mode!r}")
    if info.is_main:
        save_file({k: v.contiguous() for k, v in state.items()}, out)
    tdist.compute_cleanup()


def _torchrun(*args: str) -> None:
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(ROOT)}
    script = str(Path(__file__).resolve())
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2", script, *args]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-3000:]


def _launch(mode: str, tmp_path: Path) -> dict[str, torch.Tensor]:
    out = tmp_path / f"{mode}.safetensors"
    _torchrun(mode, str(out))
    return load_file(out)


@pytest.mark.parametrize("mode", ["ddp", "fsdp"])
def test_data_parallel_matches_single_process(mode, tmp_path):
    got = _launch(mode, tmp_path)
    ref = _reference_params()
    assert set(got) == set(ref)
    start = TinyNet().state_dict()
    for name, value in ref.items():
        assert not torch.allclose(value, start[name]), f"{name} did not train"
        torch.testing.assert_close(got[name], value, rtol=1e-5, atol=2e-5, msg=f"{mode}: {name}")


def test_ulysses_attention_equals_full_attention(tmp_path):
    got = _launch("ulysses", tmp_path)
    g = torch.Generator().manual_seed(3)
    q, k, v = (torch.randn(2, 4, 12, 8, generator=g).requires_grad_(True) for _ in range(3))
    out = torch.nn.functional.scaled_dot_product_attention(q, k, v)
    (out * _grad_weight(out.shape)).sum().backward()
    torch.testing.assert_close(got["out"], out.detach(), rtol=1e-5, atol=1e-5)
    for name, t in zip("qkv", (q, k, v), strict=True):
        torch.testing.assert_close(got[f"d{name}"], t.grad, rtol=1e-5, atol=1e-5)


def _latent_cache(root: Path) -> None:
    """A tiny `tenku cache` directory: 4 latent clips (C=4, T'=2, 4x4) with random text states."""
    from tenku.config import PRESETS

    g = torch.Generator().manual_seed(2)
    text_dim = PRESETS["test"].dit.text_dim
    mask = torch.ones(4, 5, dtype=torch.bool)
    mask[1, 2:] = False  # one padded caption: the key padding mask path
    shard = {
        "latents": torch.randn(4, 4, 2, 4, 4, generator=g),  # (N, C, T', H', W')
        "text_tokens": torch.randn(4, 5, text_dim, generator=g),  # (N, L, D)
        "text_mask": mask,  # (N, L)
    }
    save_file(shard, root / "shard-00000.safetensors")
    empty = {
        "text_tokens": torch.randn(1, 2, text_dim, generator=g),
        "text_mask": torch.ones(1, 2, dtype=torch.bool),
    }
    save_file(empty, root / "empty.safetensors")
    index = {
        "fps": 8,
        "empty": "empty.safetensors",
        "shards": [{"file": "shard-00000.safetensors", "captions": list("abcd")}],
    }
    (root / "index.json").write_text(json.dumps(index))


def _sp_args(cache: Path, out: Path) -> list[str]:
    return [
        "train", "dit", "--preset", "test", "--data", f"cache:{cache}", "--out", str(out), "--steps", "4",
        "--batch", "2", "--lr", "1e-2", "--seed", "3", "--ckpt-every", "4", "--sample-every", "0",
        "--threads", "1", "--no-progress",
    ]  # fmt: skip


def test_dit_sequence_parallel_training_matches_single_process(tmp_path):
    """`tenku train dit --sp 2 --dist ddp` on 2 processes: same losses, gradient norms and weights as one."""
    from tenku import train as tt
    from tenku.cli import main

    cache = tmp_path / "cache"
    cache.mkdir()
    _latent_cache(cache)
    assert main(_sp_args(cache, tmp_path / "one")) == 0
    _torchrun(*_sp_args(cache, tmp_path / "sp"), "--sp", "2", "--dist", "ddp")
    runs = {}
    for name in ("one", "sp"):
        lines = [json.loads(x) for x in (tmp_path / name / "metrics.jsonl").read_text().splitlines()]
        runs[name] = lines
    assert [m["step"] for m in runs["sp"]] == [1, 2, 3, 4]
    for key in ("loss", "grad_norm"):
        one, sp = ([m[key] for m in runs[n]] for n in ("one", "sp"))
        assert len(set(one)) == 4, f"{key} must change from step to step: {one}"
        np.testing.assert_allclose(sp, one, rtol=1e-5, atol=1e-5, err_msg=key)
    assert runs["sp"][0]["samples_per_s"] > 0
    ref = load_file(tt.latest_checkpoint(tmp_path / "one") / "model.safetensors")
    got = load_file(tt.latest_checkpoint(tmp_path / "sp") / "model.safetensors")
    assert set(got) == set(ref)
    for name, value in ref.items():
        torch.testing.assert_close(got[name], value, rtol=1e-4, atol=1e-5, msg=name)


def test_sequence_parallel_needs_torchrun_and_dist(tmp_path, monkeypatch):
    from tenku import train as tt

    for var in ("RANK", "WORLD_SIZE", "LOCAL_RANK"):
        monkeypatch.delenv(var, raising=False)
    info = tdist.compute_init(device="cpu")
    cfg = tt.TrainConfig(model="dit", preset="test", data=f"cache:{tmp_path}", sp=2, dist="ddp")
    with pytest.raises(ValueError, match="torchrun"):
        tt.build(cfg, info)
    info2 = tdist.DistInfo(
        distributed=True, rank=0, local_rank=0, world_size=2, device=info.device, backend="gloo"
    )
    with pytest.raises(ValueError, match="--dist ddp or fsdp"):
        tt.build(tt.TrainConfig(model="dit", preset="test", data=f"cache:{tmp_path}", sp=2), info2)
    assert tdist.data_parallel_coords(info2, 1) == (0, 2) and tdist.data_parallel_coords(info2, 2) == (0, 1)
    three = tdist.DistInfo(
        distributed=True, rank=3, local_rank=3, world_size=4, device=info.device, backend="gloo"
    )
    assert tdist.data_parallel_coords(three, 2) == (1, 2)
    with pytest.raises(ValueError, match="divide"):
        tdist.data_parallel_coords(info2, 3)


def test_compute_init_single_process(monkeypatch):
    for var in ("RANK", "WORLD_SIZE", "LOCAL_RANK"):
        monkeypatch.delenv(var, raising=False)
    info = tdist.compute_init(device="cpu")
    assert not info.distributed and info.rank == 0 and info.world_size == 1 and info.backend == "none"
    assert info.is_main
    with pytest.raises(ValueError, match="device"):
        tdist.compute_init(device="tpu")


if __name__ == "__main__":
    if sys.argv[1] == "train":
        from tenku.cli import main

        sys.exit(main(sys.argv[1:]))
    _worker(sys.argv[1], sys.argv[2])
