"""A recipe end to end at the tiny "test" preset: VAE, latent cache, a DiT stopped part way, a DiT
warm-started from it, a decoder fine-tune, export; then resume is a no-op."""

import dataclasses
import json

import pytest
import torch
from safetensors.torch import load_file

from tenku import recipe
from tenku.data import DataConfig
from tenku.pipeline import GenerationRequest, Generator
from tenku.train import TrainConfig, export, latest_checkpoint, train


def _toy() -> recipe.Recipe:
    buckets = ((5, 16, 16),)
    common = {
        "preset": "test",
        "batch": 2,
        "warmup": 1,
        "ckpt_every": 2,
        "sample_every": 0,
        "progress": False,
    }
    dit = TrainConfig(
        model="dit",
        data="cache:cache",
        out="dit",
        vae="vae",
        steps=4,
        stop=2,  # part way along its schedule, as tenku-tiny's first DiT
        data_config=DataConfig(buckets=buckets),
        **common,
    )
    return recipe.Recipe(
        name="toy",
        stages=(
            TrainConfig(
                model="vae",
                data="world",
                out="vae",
                steps=2,
                data_config=DataConfig(buckets=buckets),
                **common,
            ),
            recipe.CacheStage(out="cache", vae="vae", clips=4, buckets=buckets),
            dit,
            dataclasses.replace(dit, out="dit-warm", init="dit", steps=2, stop=None),
            TrainConfig(
                model="vae",
                data="world",
                out="vae-dec",
                init="vae",
                freeze_encoder=True,
                steps=2,
                data_config=DataConfig(buckets=buckets),
                **{**common, "seed": 1},
            ),
        ),
        ship_vae="vae-dec",
    )


def test_recipe_runs_every_stage_exports_and_resumes(tmp_path, monkeypatch):
    monkeypatch.setitem(recipe.RECIPES, "toy", _toy)
    out = recipe.run_recipe("toy", tmp_path)
    assert recipe.status("toy", tmp_path) == [
        f"  vae {tmp_path / 'vae'}: 2/2 steps",
        f"cache {tmp_path / 'cache'}: 4/4 clips",
        f"  dit {tmp_path / 'dit'}: 2/2 steps",
        f"  dit {tmp_path / 'dit-warm'}: 2/2 steps",
        f"  vae {tmp_path / 'vae-dec'}: 2/2 steps",
    ]
    result = Generator.load(out).generate(GenerationRequest(prompt="a red ball", seconds=0.5))
    assert result.frames.shape == (5, 16, 16, 3)
    log = [json.loads(line) for line in (tmp_path / "recipe.jsonl").read_text().splitlines()]
    assert [e["stage"] for e in log] == [
        str(tmp_path / s) for s in ("vae", "cache", "dit", "dit-warm", "vae-dec")
    ]
    recipe.run_recipe("toy", tmp_path)  # everything done: no stage runs again
    assert len((tmp_path / "recipe.jsonl").read_text().splitlines()) == 5
    # the export is the last DiT stage, warm-started from the stopped one
    dit = load_file(latest_checkpoint(tmp_path / "dit") / "ema.safetensors")
    warm = load_file(out / "dit.safetensors")
    assert dit.keys() == warm.keys() and any(not torch.equal(dit[k].half(), warm[k]) for k in dit)
    # the shipped VAE is the decoder fine-tune: the DiT's encoder and latent scaling, a new decoder
    shipped = load_file(out / "vae.safetensors")
    first = load_file(latest_checkpoint(tmp_path / "vae") / "ema.safetensors")
    # (checkpoints store float16: compare the run's float32 weights rounded the same way)
    assert all(torch.equal(shipped[k], v.half()) for k, v in first.items() if k.startswith("encoder."))
    assert any(not torch.equal(shipped[k], v.half()) for k, v in first.items() if k.startswith("decoder."))
    shipped_cfg = json.loads((out / "config.json").read_text())["model"]["vae"]
    stats = json.loads((latest_checkpoint(tmp_path / "vae") / "state.json").read_text())["latent_stats"]
    assert shipped_cfg["scaling_factor"] == stats["scaling_factor"]
    assert shipped_cfg["shift_factor"] == stats["shift_factor"]
    # a VAE trained on its own has another latent space: export refuses to ship it with this DiT
    other = train(dataclasses.replace(_toy().stages[0], out=str(tmp_path / "other"), seed=5))
    with pytest.raises(ValueError, match="latent space differs"):
        export(tmp_path / "dit", tmp_path / "bad", vae=other)
    assert not (tmp_path / "bad").exists()


def test_recipe_runs_one_stage_alone_once_its_inputs_are_done(tmp_path, monkeypatch):
    monkeypatch.setitem(recipe.RECIPES, "toy", _toy)
    with pytest.raises(ValueError, match=r"stage dit reads unfinished stages: vae \(0/2\), cache \(0/4\)"):
        recipe.run_recipe("toy", tmp_path, only="dit")
    with pytest.raises(
        ValueError, match="no stage 'decoder'; stages: \\['vae', 'cache', 'dit', 'dit-warm', 'vae-dec'\\]"
    ):
        recipe.run_recipe("toy", tmp_path, only="decoder")
    assert recipe.run_recipe("toy", tmp_path, only="vae") is None  # no export
    assert recipe.run_recipe("toy", tmp_path, only="vae-dec") is None  # needs only the vae stage
    assert recipe.status("toy", tmp_path) == [
        f"  vae {tmp_path / 'vae'}: 2/2 steps",
        f"cache {tmp_path / 'cache'}: 0/4 clips",
        f"  dit {tmp_path / 'dit'}: 0/2 steps",
        f"  dit {tmp_path / 'dit-warm'}: 0/2 steps",
        f"  vae {tmp_path / 'vae-dec'}: 2/2 steps",
    ]
    assert not (tmp_path / "toy").exists()
