"""Trainer: exact kill-and-resume, DiT overfitting and sampling, schedule, config files, export, CLI."""

from __future__ import annotations

import dataclasses
import json
import math
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import torch
from safetensors.torch import load_file, save_file

from tenku import train as tt
from tenku.cli import main
from tenku.data import DataConfig
from tenku.io import write_mp4

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    root = tmp_path_factory.mktemp("clips")
    rows = []
    for i in range(4):
        rng = np.random.default_rng(i)
        base = rng.integers(0, 255, size=(1, 16, 16, 3))
        clip = np.clip(base + 12 * np.arange(9)[:, None, None, None], 0, 255).astype(np.uint8)
        write_mp4(clip, root / f"v{i}.mp4", fps=8)
        rows.append(json.dumps({"path": f"v{i}.mp4", "caption": f"clip number {i}"}))
    (root / "captions.jsonl").write_text("\n".join(rows) + "\n")
    return root


def _losses(run: Path) -> list[float]:
    lines = [json.loads(x) for x in (run / "metrics.jsonl").read_text().splitlines()]
    assert [m["step"] for m in lines] == list(range(1, len(lines) + 1))
    return [m["loss"] for m in lines]


def _vae_args(folder: Path, out: Path, steps: int) -> list[str]:
    return [
        "train", "vae", "--preset", "test", "--data", str(folder), "--out", str(out), "--steps", str(steps),
        "--batch", "2", "--bucket", "5x16x16", "--ckpt-every", "2", "--sample-every", "0", "--threads", "1",
        "--no-progress", "--seed", "7",
    ]  # fmt: skip


def test_kill_and_resume_gives_identical_losses(folder, tmp_path):
    steps = 24
    ref = tmp_path / "ref"
    assert main(_vae_args(folder, ref, steps)) == 0
    killed = tmp_path / "killed"
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(ROOT)}
    code = "import sys; from tenku.cli import main; sys.exit(main(sys.argv[1:]))"
    proc = subprocess.Popen([sys.executable, "-c", code, *_vae_args(folder, killed, steps)], env=env)
    metrics = killed / "metrics.jsonl"
    deadline = time.time() + 60
    while time.time() < deadline and proc.poll() is None:
        if metrics.is_file() and len(metrics.read_text().splitlines()) >= 7:
            break
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    assert proc.wait(timeout=30) == -signal.SIGKILL
    done = len(metrics.read_text().splitlines())
    assert 7 <= done < steps, "the run must be killed mid-way"
    ckpt = tt.latest_checkpoint(killed)
    assert ckpt is not None and json.loads((ckpt / "state.json").read_text())["step"] < steps
    assert main([*_vae_args(folder, killed, steps), "--resume"]) == 0
    assert _losses(killed) == _losses(ref)  # bit-identical
    assert len(list((killed / "checkpoints").glob("step-*"))) == 2  # keep_checkpoints
    assert not list((killed / "checkpoints").glob(".tmp-*"))


def test_resume_refuses_a_different_run(folder, tmp_path):
    run = tmp_path / "r"
    assert main(_vae_args(folder, run, 2)) == 0
    args = _vae_args(folder, run, 4)
    args[args.index("--batch") + 1] = "3"
    assert main([*args, "--resume"]) == 2


def test_stop_ends_part_way_along_the_schedule_and_resume_finishes_it(folder, tmp_path):
    schedule = tmp_path / "warmup.toml"
    schedule.write_text("warmup = 1\n")  # steps 1 and 2 are on the decay, which spans --steps
    ref = tmp_path / "ref"
    assert main([*_vae_args(folder, ref, 6), "--config", str(schedule)]) == 0
    part = tmp_path / "part"
    assert main([*_vae_args(folder, part, 6), "--config", str(schedule), "--stop", "3"]) == 0
    ckpt = tt.latest_checkpoint(part)
    assert json.loads((ckpt / "state.json").read_text())["step"] == 3
    lrs = [json.loads(x)["lr"] for x in (part / "metrics.jsonl").read_text().splitlines()]
    cfg = tt.make_config(json.loads((part / "config.json").read_text())["train"])
    assert lrs == pytest.approx([tt.lr_at(s, dataclasses.replace(cfg, stop=None)) for s in range(3)])
    assert lrs[2] < lrs[1] and lrs[2] > tt.lr_at(2, dataclasses.replace(cfg, steps=3))
    assert main([*_vae_args(folder, part, 6), "--config", str(schedule), "--resume"]) == 0  # on to 6
    assert _losses(part) == _losses(ref)
    with pytest.raises(ValueError, match=r"stop must be in \[1, steps=6\], got 7"):
        tt.TrainConfig(model="vae", steps=6, stop=7)


def _cache(root: Path, latents: torch.Tensor, captions: list[str]) -> None:
    from tenku.config import PRESETS
    from tenku.text import TextEncoder

    enc = TextEncoder(PRESETS["test"].text)
    emb = enc.encode(captions)
    save_file(
        {"latents": latents, "text_tokens": emb.tokens, "text_mask": emb.mask},
        root / "shard-00000.safetensors",
    )
    empty = enc.encode([""])
    save_file({"text_tokens": empty.tokens, "text_mask": empty.mask}, root / "empty.safetensors")
    index = {
        "fps": 8,
        "empty": "empty.safetensors",
        "shards": [{"file": "shard-00000.safetensors", "captions": captions}],
    }
    (root / "index.json").write_text(json.dumps(index))


def test_dit_overfits_four_clips_and_reproduces_them(tmp_path):
    """Four latent clips with their captions; after 200 steps sampling each caption gives its clip.

    The clips are constant over space and time: the DiT has only relative (rotary) positions, so
    memorising an absolute spatial pattern takes thousands of steps (measured: loss 0.28 after
    1,000 steps), while a per-clip colour is learned in 200 (loss 1.3 -> 0.03).
    """
    g = torch.Generator().manual_seed(0)
    latents = torch.randn(4, 4, 1, 1, 1, generator=g).expand(4, 4, 2, 4, 4).contiguous()  # (N, C, T', H', W')
    captions = ["a red ball", "a blue box", "a green triangle", "a yellow star"]
    _cache(tmp_path, latents, captions)
    data_cfg = DataConfig(caption_dropout=0.0, cond_modes=("none",), cond_weights=(1.0,))
    cfg = tt.TrainConfig(
        model="dit", preset="test", data=f"cache:{tmp_path}", out=str(tmp_path / "run"), steps=200, batch=8,
        lr=1e-2, warmup=20, ema_decay=0.0, sample_every=0, ckpt_every=200, threads=1, progress=False,
        data_config=data_cfg,
    )  # fmt: skip
    run = tt.train(cfg)
    losses = _losses(run)
    assert np.mean(losses[-20:]) < 0.1 * np.mean(losses[:20]), (losses[:5], losses[-5:])
    from tenku.config import PRESETS
    from tenku.dit import DiT
    from tenku.sample import sample
    from tenku.text import TextEncoder

    model = DiT(PRESETS["test"].dit)
    model.load_state_dict(load_file(tt.latest_checkpoint(run) / "ema.safetensors"))
    model.eval()
    emb = TextEncoder(PRESETS["test"].text).encode(captions)
    fps = torch.full((4,), 8.0)
    z = sample(
        lambda x, t, _: model(x, t, emb.tokens, emb.mask, fps=fps),
        torch.randn(4, 4, 2, 4, 4, generator=torch.Generator().manual_seed(5)),
        steps=20, shift=1.0, guidance=1.0,
    )  # fmt: skip
    err = ((z[:, None] - latents[None]) ** 2).flatten(2).mean(2)  # (prompt, clip) squared distance
    assert torch.equal(err.argmin(dim=1), torch.arange(4)), err
    assert float(err.diagonal().max()) < 0.05 * float(latents.var()), err


def test_lr_schedule():
    cfg = tt.TrainConfig(model="vae", steps=110, warmup=10, lr=1.0, min_lr_ratio=0.1)
    assert tt.lr_at(0, cfg) == pytest.approx(0.1)
    assert tt.lr_at(9, cfg) == pytest.approx(1.0)
    assert tt.lr_at(60, cfg) == pytest.approx(0.55)
    assert tt.lr_at(110, cfg) == pytest.approx(0.1)
    lin = dataclasses.replace(cfg, decay="linear")
    assert tt.lr_at(60, lin) == pytest.approx(0.55) and tt.lr_at(35, lin) == pytest.approx(0.775)


def test_config_file_overrides_and_errors(tmp_path):
    path = tmp_path / "c.toml"
    path.write_text("lr = 0.01\nbetas = [0.9, 0.99]\n[data_config]\nbuckets = [[5, 16, 16], [1, 16, 32]]\n")
    cfg = tt.make_config({**tt.load_config_file(path), "model": "vae"})
    assert cfg.lr == 0.01 and cfg.betas == (0.9, 0.99)
    assert cfg.data_config.buckets == ((5, 16, 16), (1, 16, 32))
    with pytest.raises(ValueError, match="unknown TrainConfig fields"):
        tt.make_config({"model": "vae", "learning_rate": 1})
    with pytest.raises(ValueError, match="--vae"):
        tt.TrainConfig(model="dit", data="world")
    with pytest.raises(ValueError, match="precision"):
        tt.TrainConfig(model="vae", precision="fp16")
    with pytest.raises(ValueError, match="motion_weight applies to DiT runs only"):
        tt.TrainConfig(model="vae", motion_weight=2.0)
    with pytest.raises(ValueError, match="motion_weight must be >= 0"):
        tt.TrainConfig(model="dit", data="cache:x", motion_weight=-1.0)
    with pytest.raises(ValueError, match="diff_weight applies to DiT runs only"):
        tt.TrainConfig(model="vae", diff_weight=1.0)
    with pytest.raises(ValueError, match="edge_weight applies to VAE runs only"):
        tt.TrainConfig(model="dit", data="cache:x", edge_weight=1.0)
    with pytest.raises(ValueError, match="edge_weight must be >= 0"):
        tt.TrainConfig(model="vae", edge_weight=-1.0)


def test_vae_edge_weight_trains_and_logs(folder, tmp_path):
    run = tmp_path / "vae-edge"
    assert main([*_vae_args(folder, run, 2), "--edge-weight", "1"]) == 0
    assert json.loads((run / "config.json").read_text())["train"]["edge_weight"] == 1.0
    logged = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    assert len(logged) == 2 and all(line["edge"] > 0 and np.isfinite(line["loss"]) for line in logged)


def test_adversarial_vae_resumes_exactly_with_its_discriminator(folder, tmp_path):
    ref = tmp_path / "ref"
    assert main([*_vae_args(folder, ref, 4), "--adv-weight", "0.5"]) == 0
    logged = [json.loads(line) for line in (ref / "metrics.jsonl").read_text().splitlines()]
    assert all(line["adv_scale"] > 0 and line["d_loss"] > 0 and np.isfinite(line["adv"]) for line in logged)
    ckpt = tt.latest_checkpoint(ref)
    aux = load_file(ckpt / "aux.safetensors")
    assert any(k.startswith("disc.") for k in aux) and any(k.startswith("disc_opt.") for k in aux)
    part = tmp_path / "part"
    assert main([*_vae_args(folder, part, 4), "--adv-weight", "0.5", "--stop", "2"]) == 0
    assert main([*_vae_args(folder, part, 4), "--adv-weight", "0.5", "--resume"]) == 0
    assert _losses(part) == _losses(ref)  # the discriminator and its optimizer came back as they were
    assert main([*_vae_args(folder, part, 6), "--resume"]) == 2  # started with a discriminator
    with pytest.raises(ValueError, match="adv_weight applies to VAE runs only"):
        tt.TrainConfig(model="dit", data="cache:x", adv_weight=1.0)


def test_vae_then_dit_then_export_cli(folder, tmp_path):
    vae = tmp_path / "vae"
    assert main(_vae_args(folder, vae, 2)) == 0
    dit = tmp_path / "dit"
    args = ["train", "dit", "--preset", "test", "--data", str(folder), "--vae", str(vae), "--out", str(dit)]
    args += [
        "--steps",
        "2",
        "--batch",
        "2",
        "--bucket",
        "5x16x16",
        "--sample-every",
        "2",
        "--precision",
        "bf16",
    ]
    assert main([*args, "--no-progress", "--threads", "1"]) == 0
    assert len(list((dit / "samples" / "step-00000002").glob("*.mp4"))) == len(tt.DEFAULT_PROMPTS)
    line = json.loads((dit / "metrics.jsonl").read_text().splitlines()[-1])
    assert line["samples_per_s"] > 0 and line["tokens_per_s"] > 0 and np.isfinite(line["loss"])
    out = tmp_path / "ckpt"
    assert main(["train", "export", str(dit), "--out", str(out)]) == 0
    meta = json.loads((out / "config.json").read_text())
    mcfg = tt.model_config_from_dict(meta["model"])
    stats = json.loads((tt.latest_checkpoint(vae) / "state.json").read_text())["latent_stats"]
    assert mcfg.vae.scaling_factor == pytest.approx(stats["scaling_factor"])
    from tenku.dit import DiT
    from tenku.vae import VideoVAE

    DiT(mcfg.dit).load_state_dict(load_file(out / "dit.safetensors"))
    VideoVAE(mcfg.vae).load_state_dict(load_file(out / "vae.safetensors"))
    assert meta["inference"]["width"] == 16 and meta["inference"]["seconds"] == 0.5
    from tenku.pipeline import load_checkpoint

    assert load_checkpoint(out)[1] == mcfg

    # a warm start from the exported checkpoint begins at its weights (fresh optimizer, step 0)
    warm = tmp_path / "warm"
    warm_args = [*args[:8], "--out", str(warm), "--steps", "1", "--batch", "2", "--bucket", "5x16x16"]
    assert main([*warm_args, "--init", str(out), "--sample-every", "0", "--no-progress"]) == 0
    before = load_file(out / "dit.safetensors")
    after = load_file(tt.latest_checkpoint(warm) / "model.safetensors")
    moved = max((after[k] - before[k]).abs().max().item() for k in before)
    assert 0 < moved < 0.05  # one small AdamW step away from the init, not a fresh model
    with pytest.raises(ValueError, match="its DiT is"):
        tt.load_dit_weights(out, tt.PRESETS["tiny"])


def test_cache_then_train_dit_from_cache(folder, tmp_path, capsys):
    vae = tmp_path / "vae"
    assert main(_vae_args(folder, vae, 2)) == 0
    cache = tmp_path / "cache"
    args = [
        "cache",
        "--data",
        str(folder),
        "--vae",
        str(vae),
        "--out",
        str(cache),
        "--clips",
        "6",
        "--batch",
        "3",
    ]
    assert main([*args, "--bucket", "5x16x16", "--shard-size", "4"]) == 0
    index = json.loads((cache / "index.json").read_text())
    assert [len(s["captions"]) for s in index["shards"]] == [4, 2]
    one = tmp_path / "cache-one"  # a world curriculum: one object per scene, short captions only
    world = ["cache", "--data", "world", "--vae", str(vae), "--out", str(one), "--clips", "2", "--batch", "2"]
    assert (
        main([*world, "--bucket", "5x16x16", "--seed", "4", "--objects", "1:1", "--detailed-captions", "0"])
        == 0
    )
    from tenku.data import WorldDataset

    expect = WorldDataset(
        DataConfig(buckets=((5, 16, 16),), caption_dropout=0.0, world_objects=(1, 1), detailed_captions=0.0),
        seed=4,
    ).get_batch(0, 2)
    assert json.loads((one / "index.json").read_text())["shards"][0]["captions"] == list(expect.captions)
    from safetensors.torch import load_file

    from tenku.data import latent_cover

    stored = load_file(one / "shard-00000.safetensors")["objects"]  # world caches keep the object cover
    torch.testing.assert_close(
        stored.float(), latent_cover(expect.foreground, tt.PRESETS["test"].vae).half().float()
    )
    assert "objects" not in load_file(cache / "shard-00000.safetensors")  # a folder has no masks
    capsys.readouterr()
    assert main([*world, "--objects", "3:1"]) == 2
    assert "--objects must be MIN:MAX" in capsys.readouterr().err
    assert index["shards"][0]["shape"] == [4, 2, 4, 4]
    from tenku.data import Bucket, cache_buckets  # what an export of a run on this cache lists as its sizes

    assert cache_buckets(cache) == [Bucket(frames=5, height=16, width=16)]
    run = tmp_path / "dit"
    args = ["train", "dit", "--preset", "test", "--data", f"cache:{cache}", "--out", str(run), "--steps", "2"]
    assert main([*args, "--batch", "2", "--sample-every", "0", "--no-progress", "--threads", "1"]) == 0
    assert len(_losses(run)) == 2
    moving = tmp_path / "dit-motion"  # the motion-weighted loss trains through the same path
    args[args.index(str(run))] = str(moving)
    assert (
        main(
            [
                *args,
                "--batch",
                "2",
                "--sample-every",
                "0",
                "--no-progress",
                "--threads",
                "1",
                "--motion-weight",
                "4",
                "--diff-weight",
                "1",
                "--swap-weight",
                "1",
                "--swap-margin",
                "0.1",
                "--logit-mean",
                "1.5",
            ]
        )
        == 0
    )
    run_cfg = json.loads((moving / "config.json").read_text())
    train_cfg, model_cfg = run_cfg["train"], run_cfg["model"]  # the model config is what an export ships
    assert (train_cfg["motion_weight"], train_cfg["diff_weight"]) == (4.0, 1.0)
    assert (train_cfg["swap_weight"], train_cfg["swap_margin"]) == (1.0, 0.1)
    assert (train_cfg["logit_mean"], model_cfg["flow"]["logit_mean"]) == (1.5, 1.5)
    logged = [json.loads(line) for line in (moving / "metrics.jsonl").read_text().splitlines()]
    assert all(line["loss_diff"] >= 0 and line["loss_flow"] > 0 for line in logged)
    assert all(line["loss_swap"] >= 0 for line in logged if "loss_swap" in line)
    assert all(math.isfinite(x) for x in _losses(moving))
    weighted = tmp_path / "dit-objects"  # the object-weighted loss reads the world cache's cover
    objects_args = [*args[:4], "--data", f"cache:{one}", "--out", str(weighted), *args[8:]]
    quiet = ["--batch", "2", "--sample-every", "0", "--no-progress", "--threads", "1"]
    assert main([*objects_args, *quiet, "--object-weight", "4"]) == 0
    assert json.loads((weighted / "config.json").read_text())["train"]["object_weight"] == 4.0
    assert all(math.isfinite(x) for x in _losses(weighted))
    capsys.readouterr()
    args[args.index(str(moving))] = str(tmp_path / "dit-refused")
    assert main([*args, *quiet, "--object-weight", "4"]) == 2  # the folder's cache holds no cover
    assert "--object-weight on a DiT needs object masks" in capsys.readouterr().err


def test_swap_hinge_adds_the_mirrored_captions_shortfall():
    """Only captions that name a side get a second pass; a fresh DiT (adaLN-Zero: blind to text)
    errs the same under both, so the hinge is the margin times the true error and the gap is 0."""
    from tenku.data import Batch

    mcfg = tt.PRESETS["test"]
    captions = ("a red ball rolling to the left", "", "a blue box sitting still")
    batch = Batch(captions=captions, fps=8.0, latents=torch.randn(3, 4, 2, 4, 4))
    out = {}
    for weight in (0.0, 1.0):
        cfg = tt.TrainConfig(
            model="dit", data="cache:x", preset="test", swap_weight=weight, swap_margin=0.2, seed=3
        )
        task = tt.DiTTask(cfg, mcfg, torch.device("cpu"))
        torch.manual_seed(0)
        task.model.load_state_dict(tt.DiTTask(cfg, mcfg, torch.device("cpu")).model.state_dict())
        gen, rng = tt.step_generators(3, 0, 0)
        out[weight] = task.loss(task.model, batch, gen, rng)
    rows, tokens, mask = task._swapped(captions)
    assert rows.tolist() == [0] and tokens.shape[0] == 1 and mask.shape[0] == 1
    loss0, metrics0, _ = out[0.0]
    loss1, metrics1, _ = out[1.0]
    assert "loss_swap" not in metrics0 and metrics1["swap_gap"] == 0.0
    assert metrics1["loss_swap"] > 0
    torch.testing.assert_close(loss1 - loss0, torch.tensor(metrics1["loss_swap"] / 3))
    with pytest.raises(ValueError, match="swap_weight applies to DiT runs only"):
        tt.TrainConfig(model="vae", swap_weight=1.0)
    with pytest.raises(ValueError, match="swap_margin must be >= 0"):
        tt.TrainConfig(model="dit", data="cache:x", swap_margin=-0.1)
    with pytest.raises(ValueError, match="logit_mean applies to DiT runs only"):
        tt.TrainConfig(model="vae", logit_mean=1.0)


def test_precision_auto_resolves_by_hardware(monkeypatch):
    import torch

    from tenku import train as T

    assert T.resolve_precision("fp32", torch.device("cpu")) == "fp32"
    assert T.resolve_precision("bf16", torch.device("cpu")) == "bf16"
    assert T.resolve_precision("auto", torch.device("cuda")) == "bf16"
    monkeypatch.setattr(T, "native_bf16", lambda device: False)
    assert T.resolve_precision("auto", torch.device("cpu")) == "fp32"
    monkeypatch.setattr(T, "native_bf16", lambda device: True)
    assert T.resolve_precision("auto", torch.device("cpu")) == "bf16"
    with pytest.raises(ValueError, match="precision"):
        T.TrainConfig(precision="fp16")


def test_widened_vae_encodes_and_decodes_as_before():
    from tenku.config import VAEConfig
    from tenku.vae import VideoVAE

    torch.manual_seed(0)
    narrow_cfg = VAEConfig(latent_channels=4, spatial_compression=4, channels=(8, 8, 16))
    narrow = VideoVAE(narrow_cfg).eval()
    wide = VideoVAE(dataclasses.replace(narrow_cfg, latent_channels=6)).eval()
    wide.load_state_dict(tt.widen(narrow.state_dict(), wide.state_dict(), tt.VAE_CHANNEL_TENSORS))
    x = torch.rand(1, 3, 5, 16, 16) * 2 - 1
    with torch.no_grad():
        mean_n, logvar_n = narrow.encode_dist(x)
        mean_w, logvar_w = wide.encode_dist(x)
        assert mean_w.shape[1] == 6
        torch.testing.assert_close(mean_w[:, :4], mean_n)
        torch.testing.assert_close(logvar_w[:, :4], logvar_n)
        assert mean_w[:, 4:].abs().sum() > 0  # the new channels carry something the decoder may learn to use
        torch.testing.assert_close(wide.decoder(mean_w, None), narrow.decoder(mean_n, None))


def test_widened_dit_predicts_as_before_and_zero_on_new_channels():
    from tenku.config import PRESETS
    from tenku.dit import DiT

    torch.manual_seed(0)
    cfg = dataclasses.replace(PRESETS["test"].dit, patch_size=(1, 2, 2))
    narrow = DiT(cfg).eval()
    for p in narrow.parameters():  # trained-looking weights: the zero-initialised output is not zero
        p.data.add_(torch.randn_like(p) * 0.02)
    wide = DiT(dataclasses.replace(cfg, in_channels=cfg.in_channels + 3)).eval()
    wide.load_state_dict(
        tt.widen(narrow.state_dict(), wide.state_dict(), tt.dit_channel_tensors(cfg.patch_size))
    )
    c = cfg.in_channels
    x = torch.randn(2, c + 3, 2, 4, 4)
    t, text, mask = torch.rand(2), torch.randn(2, 5, cfg.text_dim), torch.ones(2, 5, dtype=torch.bool)
    with torch.no_grad():
        before = narrow(x[:, :c], t, text, mask)
        after = wide(x, t, text, mask)
    torch.testing.assert_close(after[:, :c], before)
    assert before.abs().max() > 0 and after[:, c:].abs().max() == 0


def test_widen_refuses_other_shape_changes():
    weights = {"a": torch.zeros(4, 3), "b": torch.zeros(2)}
    fresh = {"a": torch.zeros(4, 5), "b": torch.zeros(2)}
    with pytest.raises(ValueError, match="cannot widen a"):
        tt.widen(weights, fresh, {})
    with pytest.raises(ValueError, match="cannot narrow a"):
        tt.widen({"a": torch.zeros(4, 5)}, {"a": torch.zeros(4, 3)}, {"a": (1, 1, True)})


def test_runs_widen_a_vae_and_a_dit_to_more_latent_channels(folder, tmp_path, monkeypatch):
    from tenku.config import PRESETS

    test = PRESETS["test"]
    wide = dataclasses.replace(
        test,
        name="test-wide",
        vae=dataclasses.replace(test.vae, latent_channels=6),
        dit=dataclasses.replace(test.dit, in_channels=6),
    )
    monkeypatch.setitem(PRESETS, "test-wide", wide)
    vae, vae_wide = tmp_path / "vae", tmp_path / "vae-wide"
    assert main(_vae_args(folder, vae, 2)) == 0
    args = _vae_args(folder, vae_wide, 2)
    args[args.index("--preset") + 1] = "test-wide"
    assert main([*args, "--init", str(vae)]) == 0
    narrow_w = load_file(tt.latest_checkpoint(vae) / "ema.safetensors")
    wide_w = load_file(tt.latest_checkpoint(vae_wide) / "ema.safetensors")
    assert wide_w["decoder.layers.0.conv.weight"].shape[1] == 6
    moved = (wide_w["decoder.layers.0.conv.weight"][:, :4] - narrow_w["decoder.layers.0.conv.weight"]).abs()
    assert moved.max() < 0.05  # a fine-tune of the narrow VAE, not a fresh one

    def dit_args(out: Path, preset: str, vae_dir: Path) -> list[str]:
        return [
            "train", "dit", "--preset", preset, "--data", str(folder), "--vae", str(vae_dir), "--out", str(out),
            "--steps", "2", "--batch", "2", "--bucket", "5x16x16", "--sample-every", "0", "--no-progress",
            "--threads", "1",
        ]  # fmt: skip

    dit = tmp_path / "dit"
    assert main(dit_args(dit, "test", vae)) == 0
    dit_wide = tmp_path / "dit-wide"
    assert main([*dit_args(dit_wide, "test-wide", vae_wide), "--init", str(dit)]) == 0
    before = load_file(tt.latest_checkpoint(dit) / "ema.safetensors")
    after = load_file(tt.latest_checkpoint(dit_wide) / "model.safetensors")
    assert after["patch_embed.weight"].shape == (wide.dit.width, 6)
    assert (after["blocks.0.qkv.weight"] - before["blocks.0.qkv.weight"]).abs().max() < 0.05
    assert main([*dit_args(tmp_path / "bad", "test-wide", vae), "--init", str(dit)]) == 2  # 4-channel VAE


def test_deepened_decoder_decodes_as_before_and_trains_its_new_blocks():
    from tenku.config import VAEConfig
    from tenku.vae import VideoVAE, decoder_slots

    torch.manual_seed(0)
    old_cfg = VAEConfig(latent_channels=4, spatial_compression=4, channels=(8, 8, 16))
    old = VideoVAE(old_cfg).eval()
    new_cfg = dataclasses.replace(old_cfg, decoder_blocks=3)
    new = VideoVAE(new_cfg).eval()
    assert len(new.decoder.layers) == len(old.decoder.layers) + 2 * len(old_cfg.channels)
    new.load_state_dict(tt.deepen_decoder(old.state_dict(), old_cfg, new_cfg, new.state_dict()))
    z = torch.randn(1, 4, 2, 4, 4)
    with torch.no_grad():
        torch.testing.assert_close(new.decoder(z, None), old.decoder(z, None))
    recon = new.decoder(z, None)
    recon.pow(2).mean().backward()
    grown = [i for i, s in enumerate(decoder_slots(new_cfg)) if s[0] == "block" and s[2] > 0]
    assert all(new.decoder.layers[i].conv2.conv.weight.grad.abs().sum() > 0 for i in grown)
    with pytest.raises(ValueError, match="only more decoder blocks"):
        tt.deepen_decoder(new.state_dict(), new_cfg, old_cfg, old.state_dict())
    with pytest.raises(ValueError, match="only more decoder blocks"):
        wider = dataclasses.replace(new_cfg, latent_channels=6)
        tt.deepen_decoder(old.state_dict(), old_cfg, wider, VideoVAE(wider).state_dict())
    with pytest.raises(ValueError, match="decoder_blocks"):
        VAEConfig(decoder_blocks=0)


def test_a_deeper_decoder_grows_on_a_frozen_encoder_and_exports_into_a_checkpoint(
    folder, tmp_path, monkeypatch
):
    from tenku.config import PRESETS
    from tenku.pipeline import load_checkpoint

    test = PRESETS["test"]
    deep = dataclasses.replace(test, name="test-d2", vae=dataclasses.replace(test.vae, decoder_blocks=2))
    monkeypatch.setitem(PRESETS, "test-d2", deep)
    vae, vae_deep = tmp_path / "vae", tmp_path / "vae-deep"
    assert main(_vae_args(folder, vae, 2)) == 0
    args = _vae_args(folder, vae_deep, 2)
    args[args.index("--preset") + 1] = "test-d2"
    assert main([*args, "--init", str(vae), "--freeze-encoder"]) == 0
    shallow_w = load_file(tt.latest_checkpoint(vae) / "ema.safetensors")
    deep_w = load_file(tt.latest_checkpoint(vae_deep) / "ema.safetensors")
    assert all(torch.equal(deep_w[k], v) for k, v in shallow_w.items() if k.startswith("encoder."))
    assert len({k.split(".")[2] for k in deep_w if k.startswith("decoder.layers.")}) > len(
        {k.split(".")[2] for k in shallow_w if k.startswith("decoder.layers.")}
    )
    dit = tmp_path / "dit"
    dit_args = [
        "train", "dit", "--preset", "test", "--data", str(folder), "--vae", str(vae), "--out", str(dit),
        "--steps", "1", "--batch", "2", "--bucket", "5x16x16", "--sample-every", "0", "--no-progress",
        "--threads", "1",
    ]  # fmt: skip
    assert main(dit_args) == 0
    ckpt = tmp_path / "ckpt"
    assert main(["train", "export", str(dit), "--out", str(ckpt)]) == 0
    # the exported checkpoint's DiT with the deeper decoder: a checkpoint can be the export's source
    regrown = tmp_path / "ckpt-d2"
    assert main(["train", "export", str(ckpt), "--vae", str(vae_deep), "--out", str(regrown)]) == 0
    _, mcfg, *_ = load_checkpoint(regrown)
    assert mcfg.vae.decoder_depth == 2 and mcfg.vae.same_encoder(load_checkpoint(ckpt)[1].vae)
    dit_before, dit_after = load_file(ckpt / "dit.safetensors"), load_file(regrown / "dit.safetensors")
    assert dit_after.keys() == dit_before.keys() and all(
        torch.equal(v, dit_before[k]) for k, v in dit_after.items()
    )
    other = tmp_path / "vae-other"  # a different encoder: refused
    assert main(_vae_args(folder, other, 2)[:-1] + ["8"]) == 0
    assert main(["train", "export", str(ckpt), "--vae", str(other), "--out", str(tmp_path / "bad")]) == 2


def test_a_trained_vae_starts_one_with_a_finer_latent_grid(folder, tmp_path, monkeypatch):
    """`--init` of a preset that differs only in which transitions halve H and W (`respaced`): the
    same tensors, the whole VAE fine-tuned; the latent space changes, so the encoder cannot stay
    frozen, and a different space-to-depth is refused."""
    from tenku.config import PRESETS, VAEConfig

    test = PRESETS["test"]
    coarse_vae = VAEConfig(latent_channels=4, spatial_compression=8, channels=(8, 8, 16))
    fine_vae = dataclasses.replace(coarse_vae, spatial_compression=4, space_to_depth=2)
    monkeypatch.setitem(PRESETS, "test-s8", dataclasses.replace(test, name="test-s8", vae=coarse_vae))
    monkeypatch.setitem(PRESETS, "test-s4", dataclasses.replace(test, name="test-s4", vae=fine_vae))

    def args(out: Path, preset: str) -> list[str]:
        a = _vae_args(folder, out, 2)
        a[a.index("--preset") + 1] = preset
        return a

    coarse, fine = tmp_path / "coarse", tmp_path / "fine"
    assert main(args(coarse, "test-s8")) == 0
    assert main([*args(fine, "test-s4"), "--init", str(coarse)]) == 0
    mcfg, vae = tt.load_vae(fine, torch.device("cpu"))
    assert mcfg.vae.spatial_compression == 4 and mcfg.vae.spatial_downsamples == (True, False)
    assert vae.encode(torch.zeros(1, 3, 5, 16, 16)).shape == (1, 4, 2, 4, 4)
    before = load_file(tt.latest_checkpoint(coarse) / "ema.safetensors")
    after = load_file(tt.latest_checkpoint(fine) / "ema.safetensors")
    assert after.keys() == before.keys()
    assert max((after[k] - before[k]).abs().max() for k in before) < 0.05  # a fine-tune, not a fresh VAE
    assert main([*args(tmp_path / "frozen", "test-s4"), "--init", str(coarse), "--freeze-encoder"]) == 2
    with pytest.raises(ValueError, match="cannot respace"):
        tt.respaced(coarse_vae, dataclasses.replace(fine_vae, space_to_depth=1, spatial_compression=4))


def test_repatched_dit_predicts_the_old_prediction_on_a_finer_grid(tmp_path, monkeypatch):
    from tenku.config import PRESETS
    from tenku.dit import DiT
    from tenku.pipeline import create_random_checkpoint

    ckpt = create_random_checkpoint(tmp_path / "ckpt", preset="test", seed=3)
    test = PRESETS["test"]
    coarse = dataclasses.replace(
        test, name="test-p2", dit=dataclasses.replace(test.dit, patch_size=(1, 2, 2))
    )
    monkeypatch.setitem(PRESETS, "test-p2", coarse)
    _, weights, _ = tt._run_weights(ckpt, "dit")
    old = DiT(test.dit).eval()
    old.load_state_dict(weights)
    for p in old.parameters():  # trained-looking weights: the zero-initialised output layer too
        p.data.add_(torch.randn_like(p) * 0.02)
    new = DiT(coarse.dit).eval()
    new.load_state_dict(tt.repatch_dit(old.state_dict(), (1, 2, 2)))
    x = torch.randn(2, test.dit.in_channels, 2, 4, 4)
    t, text, mask = torch.rand(2), torch.randn(2, 5, test.dit.text_dim), torch.ones(2, 5, dtype=torch.bool)

    def finer(z: torch.Tensor) -> torch.Tensor:  # each cell repeated over 2 x 2 cells
        return z.repeat_interleave(2, dim=3).repeat_interleave(2, dim=4)

    with torch.no_grad():
        torch.testing.assert_close(new(finer(x), t, text, mask), finer(old(x, t, text, mask)))
    loaded = tt.load_dit_weights(ckpt, coarse)  # --init of a patch-2 preset repatches a patch-1 DiT
    assert loaded["patch_embed.weight"].shape == (test.dit.width, 4 * test.dit.in_channels)
    torch.testing.assert_close(
        loaded["patch_embed.weight"][:, : test.dit.in_channels] * 4, weights["patch_embed.weight"]
    )


def test_deepened_dit_predicts_as_before_and_loads_from_a_checkpoint(tmp_path, monkeypatch):
    from tenku.config import PRESETS
    from tenku.dit import DiT
    from tenku.pipeline import create_random_checkpoint

    ckpt = create_random_checkpoint(tmp_path / "ckpt", preset="test", seed=2)
    test = PRESETS["test"]
    deep = dataclasses.replace(test, name="test-l5", dit=dataclasses.replace(test.dit, depth=5))
    monkeypatch.setitem(PRESETS, "test-l5", deep)
    _, weights, _ = tt._run_weights(ckpt, "dit")
    old = DiT(test.dit).eval()
    old.load_state_dict(weights)
    for p in old.parameters():  # trained-looking weights: every gate open
        p.data.add_(torch.randn_like(p) * 0.02)
    grown = tt.deepen_dit(old.state_dict(), test.dit.depth, DiT(deep.dit).state_dict())
    new = DiT(deep.dit).eval()
    new.load_state_dict(grown)
    x = torch.randn(2, test.dit.in_channels, 2, 4, 4)
    t, text, mask = torch.rand(2), torch.randn(2, 5, test.dit.text_dim), torch.ones(2, 5, dtype=torch.bool)
    with torch.no_grad():
        torch.testing.assert_close(new(x, t, text, mask), old(x, t, text, mask))
    new.train()
    new(x, t, text, mask).pow(2).mean().backward()
    added = [i for i in range(5) if i not in {0, 2}]  # 2 blocks spread over 5: old ones at 0 and 2
    assert all(new.blocks[i].modulation.weight.grad.abs().sum() > 0 for i in added)
    loaded = tt.load_dit_weights(ckpt, deep)  # --init of a deeper preset grows the checkpoint's DiT
    assert torch.equal(loaded["blocks.2.qkv.weight"], weights["blocks.1.qkv.weight"])
    assert loaded["blocks.1.cross_proj.weight"].abs().max() == 0
