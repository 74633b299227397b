"""Training recipes: one command that trains a shipped model from nothing, resumable anywhere.

    tenku train recipe tenku-tiny                    # runs/recipe-tenku-tiny/{vae,dit}, then export
    tenku train recipe tenku-tiny --install          # ... and install into tenku/models/tenku-tiny
    tenku train recipe tenku-tiny --status           # where a run stands, without training

A recipe is a list of stages, each a full `TrainConfig` run in its own directory under the recipe
directory. Every stage resumes from its latest checkpoint (exactly, see `tenku.train`), and a
finished stage is skipped, so the same command continues a run stopped anywhere, across days
and machines (carry the recipe directory). The last step exports the DiT run (with the VAE it
was trained on) as an inference checkpoint.

Sizes are chosen for learning per CPU-second on a 2-core machine (MACHINE.md): the VAE trains on
short 9-frame clips (it is convolutional and causal, so it runs on 17 frames and more at
inference); the DiT sees 64x64 and 96x64 clips of 17 frames (2 s at 8 fps), 320 and 480 tokens.
"""

from __future__ import annotations

import dataclasses
import json
import time
from dataclasses import dataclass
from pathlib import Path

from tenku.data import DataConfig
from tenku.train import TrainConfig, export, latest_checkpoint, train


@dataclass(frozen=True, kw_only=True)
class Recipe:
    name: str  # the exported model's name
    stages: tuple[TrainConfig, ...]  # run in order; `out` is the stage's directory name in the recipe dir


def _tiny() -> Recipe:
    vae = TrainConfig(
        model="vae",
        preset="tiny",
        data="world",
        out="vae",
        steps=3000,
        batch=4,
        lr=1e-3,
        warmup=100,
        ema_decay=0.99,
        precision="fp32",  # no native bf16 on this CPU (AVX2 only)
        ckpt_every=100,
        sample_every=1000,
        data_config=DataConfig(buckets=((9, 64, 64), (9, 64, 96), (1, 64, 64))),
    )
    dit = TrainConfig(
        model="dit",
        preset="tiny",
        data="world",
        out="dit",
        vae="vae",  # resolved against the recipe directory
        steps=20000,
        batch=16,
        lr=1e-3,
        warmup=200,
        ema_decay=0.999,
        precision="fp32",  # this CPU has no native bf16 (AVX2 only): bf16 matmuls are emulated, ~20x slower
        ckpt_every=100,
        sample_every=2000,
        data_config=DataConfig(buckets=((17, 64, 64), (17, 64, 96))),
    )
    return Recipe(name="tenku-tiny", stages=(vae, dit))


RECIPES = {"tenku-tiny": _tiny}


def stage_step(run: Path) -> int:
    """Optimizer steps a stage directory has checkpointed (0 when none)."""
    ckpt = latest_checkpoint(run) if run.is_dir() else None
    if ckpt is None:
        return 0
    return int(json.loads((ckpt / "state.json").read_text())["step"])


def resolve(recipe: Recipe, root: Path, threads: int = 0) -> list[TrainConfig]:
    """The recipe's stages with directories under `root` (and a thread count, if given)."""
    stages = []
    for cfg in recipe.stages:
        changes = {"out": str(root / cfg.out)}
        if cfg.vae is not None:
            changes["vae"] = str(root / cfg.vae)
        if threads:
            changes["threads"] = threads
        stages.append(dataclasses.replace(cfg, **changes))
    return stages


def status(name: str, root: Path) -> list[str]:
    """One line per stage: steps done of total."""
    recipe = get(name)
    lines = []
    for cfg in resolve(recipe, root):
        done = stage_step(Path(cfg.out))
        lines.append(f"{cfg.model:>4} {cfg.out}: {done}/{cfg.steps} steps")
    return lines


def get(name: str) -> Recipe:
    if name not in RECIPES:
        raise ValueError(f"unknown recipe {name!r}; recipes: {sorted(RECIPES)}")
    return RECIPES[name]()


def run_recipe(name: str, root: str | Path, *, threads: int = 0, install: bool = False) -> Path:
    """Run (or continue) every stage, then export; returns the exported checkpoint directory."""
    recipe = get(name)
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    log = root / "recipe.jsonl"
    for cfg in resolve(recipe, root, threads):
        before = stage_step(Path(cfg.out))
        if before >= cfg.steps:
            continue
        start = time.perf_counter()
        train(cfg, resume=True)
        entry = {
            "stage": cfg.model,
            "from_step": before,
            "to_step": stage_step(Path(cfg.out)),
            "wall_s": round(time.perf_counter() - start, 1),
            "threads": cfg.threads,
        }
        with log.open("a") as f:
            f.write(json.dumps(entry) + "\n")
    dit_run = Path(resolve(recipe, root)[-1].out)
    out = root / recipe.name
    if install:
        from tenku.pipeline import MODELS_DIR

        out = MODELS_DIR / recipe.name
    return export(dit_run, out)
