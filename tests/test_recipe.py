"""A recipe end to end at the tiny "test" preset: VAE, latent cache, DiT, export; then resume is a no-op."""

import json

from tenku import recipe
from tenku.data import DataConfig
from tenku.pipeline import GenerationRequest, Generator
from tenku.train import TrainConfig


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
            TrainConfig(
                model="dit",
                data="cache:cache",
                out="dit",
                vae="vae",
                steps=2,
                data_config=DataConfig(buckets=buckets),
                **common,
            ),
        ),
    )


def test_recipe_runs_every_stage_exports_and_resumes(tmp_path, monkeypatch):
    monkeypatch.setitem(recipe.RECIPES, "toy", _toy)
    out = recipe.run_recipe("toy", tmp_path)
    assert recipe.status("toy", tmp_path) == [
        f"  vae {tmp_path / 'vae'}: 2/2 steps",
        f"cache {tmp_path / 'cache'}: 4/4 clips",
        f"  dit {tmp_path / 'dit'}: 2/2 steps",
    ]
    result = Generator.load(out).generate(GenerationRequest(prompt="a red ball", seconds=0.5))
    assert result.frames.shape == (5, 16, 16, 3)
    log = [json.loads(line) for line in (tmp_path / "recipe.jsonl").read_text().splitlines()]
    assert [e["stage"] for e in log] == [str(tmp_path / s) for s in ("vae", "cache", "dit")]
    recipe.run_recipe("toy", tmp_path)  # everything done: no stage runs again
    assert len((tmp_path / "recipe.jsonl").read_text().splitlines()) == 3
