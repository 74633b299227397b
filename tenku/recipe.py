"""Training recipes: one command that trains a shipped model from nothing, resumable anywhere.

    tenku train recipe tenku-tiny                    # runs/recipe-tenku-tiny/STAGE for each, then export
    tenku train recipe tenku-tiny --install          # ... and install into tenku/models/tenku-tiny
    tenku train recipe tenku-tiny --status           # where a run stands, without training
    tenku train recipe tenku-tiny --stage cache-objects  # one stage alone (its inputs done), no export

A recipe is a list of stages, each a `TrainConfig` run or a latent cache in its own directory
under the recipe directory. Every training stage resumes from its latest checkpoint (exactly, see
`tenku.train`), a finished stage is skipped, and a cache is rebuilt only if it never finished,
so the same command continues a run stopped anywhere, across days and machines (carry the
recipe directory). The last step exports the last DiT run as an inference checkpoint, with the
VAE it was trained on or the recipe's `ship_vae` stage (a decoder fine-tuned on the frozen
encoder, so the DiT's latent space is unchanged).

tenku-tiny, sized for learning per CPU-second on a 2-core machine:
1. vae: the causal VAE on short 9-frame clips (64x64, 96x64) and images, 4,000 steps of 8 clips
   (it is convolutional and causal, so it runs on 17 frames and more at inference);
2. cache: 24,576 world clips of 17 frames (2 s at 8 fps) at 64x64 and 96x64 encoded once, with
   their caption states (the VAE encode costs more than a DiT step here);
3. dit: the DiT on the cached latents, 320 and 480 tokens, bf16 where the CPU has it natively,
   stopped at step 12,200 of a 24,000-step schedule of 16 clips;
4. vae-objects: the whole VAE fine-tuned with the objects' pixels weighted 11x in the loss, 2,000
   steps (the plain loss spends the VAE on backgrounds: the encoder merged neighbouring small
   objects into one blob no decoder could split);
5. cache-objects: the same clips encoded by it;
6. dit-objects: the DiT warm-started from stage 3 on the new latents, 5,000 steps;
7. vae-c16: stage 4 widened to 16 latent channels (preset tiny-c16: its 8 channels lead, the
   decoder starts blind to 8 new ones), 2,500 steps with the same object weight (8 latent
   channels per 8x8x4 pixels could not hold small objects' shapes: its round trips score shape
   0.20 and count 0.21);
8. cache-c16: the same clips encoded by it;
9. dit-c16: stage 6 widened the same way (the new channels' input weights start at zero),
   4,000 steps;
10. dit-c16b: stage 9 continued on the same latents at lr 3e-4 with other batches (its loss
   was still falling), stopped at step 5,400 of a 6,000-step schedule;
11. vae-c16-dec: stage 7's decoder fine-tuned on its frozen encoder with 17-frame clips (the
   length the DiT generates), 2,800 steps;
12. dit-c16c: stage 10 continued on the same latents, a warm restart at lr 2e-4 with other
   batches, 4,500 steps;
13. vae-c16-d2: stage 11's decoder grown to two residual blocks per level (preset tiny-c16-d2;
   each new block starts as the identity) and fine-tuned on the same frozen encoder, 3,000 steps;
   exported as the VAE of the last DiT stage;
14. dit-c16m: stage 12 continued on the same latents with the loss weighted towards the latent
   positions that change between frames (motion weight 4), lr 3e-4, other batches, 3,000 steps.
"""

from __future__ import annotations

import dataclasses
import json
import time
from dataclasses import dataclass
from pathlib import Path

from tenku.data import DataConfig, write_latent_cache
from tenku.train import TrainConfig, export, latest_checkpoint, train


@dataclass(frozen=True, kw_only=True)
class CacheStage:
    out: str  # directory name in the recipe dir
    vae: str  # the VAE stage's directory name
    clips: int  # clips to encode
    buckets: tuple[tuple[int, int, int], ...]  # (frames, height, width)
    seed: int = 1  # world seed stream of the cached clips


@dataclass(frozen=True, kw_only=True)
class Recipe:
    name: str  # the exported model's name
    stages: tuple[TrainConfig | CacheStage, ...]  # run in order; `out` is a directory name in the recipe dir
    ship_vae: str | None = None  # a VAE stage to export instead of the DiT's own (a decoder fine-tune)


def _tiny() -> Recipe:
    vae = TrainConfig(
        model="vae",
        preset="tiny",
        data="world",
        out="vae",
        steps=4000,
        batch=8,
        lr=1e-3,
        warmup=100,
        ema_decay=0.99,
        precision="fp32",  # reconstruction precision; bf16 gains only ~20 % on the VAE's convolutions
        ckpt_every=200,
        sample_every=1000,
        data_config=DataConfig(buckets=((9, 64, 64), (9, 64, 96), (1, 64, 64))),
    )
    buckets = ((17, 64, 64), (17, 64, 96))
    cache = CacheStage(out="cache", vae="vae", clips=24576, buckets=buckets)
    dit = TrainConfig(
        model="dit",
        preset="tiny",
        data="cache:cache",  # resolved against the recipe directory
        out="dit",
        vae="vae",  # for sample videos and the export
        steps=24000,
        stop=12200,  # a warm start for dit-objects (the schedule as first planned, run half way)
        batch=16,
        lr=1e-3,
        warmup=200,
        ema_decay=0.999,
        precision="auto",  # bf16 where native (AVX-512 BF16, AMX, CUDA): half the fp32 step time there
        ckpt_every=200,
        sample_every=2000,
        data_config=DataConfig(buckets=buckets),
    )
    objects = dataclasses.replace(
        vae,
        out="vae-objects",
        init="vae",  # a fine-tune of the whole VAE, encoder too: a new latent space
        object_weight=10.0,  # objects' pixels weigh 11: the plain loss spends the VAE on backgrounds
        steps=2000,
        lr=3e-4,
        warmup=50,
        seed=1,
        sample_every=500,
    )
    cache_objects = dataclasses.replace(cache, out="cache-objects", vae="vae-objects")
    dit_objects = dataclasses.replace(
        dit,
        out="dit-objects",
        data="cache:cache-objects",
        vae="vae-objects",
        init="dit",  # a warm start: text, motion and layout carry over; the latents are new
        stop=None,
        steps=5000,
        lr=5e-4,  # about where the dit stage's schedule had decayed to at its stop
        warmup=100,
    )
    wide = dataclasses.replace(
        objects,
        preset="tiny-c16",
        out="vae-c16",
        init="vae-objects",  # widened: its 8 latent channels lead, 8 new ones start unused
        steps=2500,
        lr=5e-4,
        warmup=100,
        seed=2,
    )
    cache_wide = dataclasses.replace(cache, out="cache-c16", vae="vae-c16")
    dit_wide = dataclasses.replace(
        dit_objects,
        preset="tiny-c16",
        out="dit-c16",
        data="cache:cache-c16",
        vae="vae-c16",
        init="dit-objects",  # widened: the new channels' input weights start at zero
        steps=4000,
    )
    dit_more = dataclasses.replace(
        dit_wide,
        out="dit-c16b",
        init="dit-c16",  # the same shapes: a plain warm start
        steps=6000,
        stop=5400,  # the session's time; the schedule's lr was down to an eighth of its peak
        lr=3e-4,
        seed=3,  # other batches than stages 6 and 9 (both seed 0) drew
    )
    decoder = dataclasses.replace(
        wide,
        out="vae-c16-dec",
        init="vae-c16",
        freeze_encoder=True,  # the DiT's latent space stays: no new cache, no new DiT
        steps=2800,
        lr=3e-4,
        warmup=100,
        seed=4,
        # the DiT makes 17-frame clips; every VAE stage before saw 9 (its later frames came out softer)
        data_config=DataConfig(buckets=((17, 64, 64), (17, 64, 96), (1, 64, 64))),
    )
    dit_last = dataclasses.replace(
        dit_more,
        out="dit-c16c",
        init="dit-c16b",
        steps=4500,
        stop=None,
        lr=2e-4,  # a warm restart: stage 10 ended near an eighth of its 3e-4 peak, its loss still falling
        seed=5,
    )
    deeper = dataclasses.replace(
        decoder,
        preset="tiny-c16-d2",
        out="vae-c16-d2",
        init="vae-c16-dec",  # grown: a second block per decoder level, each starting as the identity
        steps=3000,
        seed=6,
        sample_every=1000,
    )
    dit_motion = dataclasses.replace(
        dit_last,
        out="dit-c16m",
        init="dit-c16c",
        steps=3000,
        lr=3e-4,
        seed=8,
        # the pixel-mean loss is ruled by still backgrounds: latent positions that change between
        # frames weigh up to several times the rest (tenku.flow.motion_weights)
        motion_weight=4.0,
    )
    stages = (
        vae,
        cache,
        dit,
        objects,
        cache_objects,
        dit_objects,
        wide,
        cache_wide,
        dit_wide,
        dit_more,
        decoder,
        dit_last,
        deeper,
        dit_motion,
    )
    return Recipe(name="tenku-tiny", stages=stages, ship_vae="vae-c16-d2")


RECIPES = {"tenku-tiny": _tiny}


def stage_step(run: Path) -> int:
    """Optimizer steps a stage directory has checkpointed (0 when none)."""
    ckpt = latest_checkpoint(run) if run.is_dir() else None
    if ckpt is None:
        return 0
    return int(json.loads((ckpt / "state.json").read_text())["step"])


def resolve(recipe: Recipe, root: Path, threads: int = 0) -> list[TrainConfig | CacheStage]:
    """The recipe's stages with directories under `root` (and a thread count, if given)."""
    stages = []
    for stage in recipe.stages:
        changes = {"out": str(root / stage.out)}
        if stage.vae is not None:
            changes["vae"] = str(root / stage.vae)
        if getattr(stage, "init", None) is not None:
            changes["init"] = str(root / stage.init)
        if isinstance(stage, TrainConfig):
            if stage.data.startswith("cache:"):
                changes["data"] = f"cache:{root / stage.data.removeprefix('cache:')}"
            if threads:
                changes["threads"] = threads
        stages.append(dataclasses.replace(stage, **changes))
    return stages


def _progress(stage: TrainConfig | CacheStage) -> tuple[int, int]:
    """(done, total) of a stage: optimizer steps, or clips of a finished cache."""
    if isinstance(stage, CacheStage):
        return (stage.clips if (Path(stage.out) / "index.json").is_file() else 0), stage.clips
    return stage_step(Path(stage.out)), stage.stop or stage.steps


def status(name: str, root: Path) -> list[str]:
    """One line per stage: steps (or clips) done of total."""
    lines = []
    for stage in resolve(get(name), root):
        done, total = _progress(stage)
        kind = "cache" if isinstance(stage, CacheStage) else stage.model
        lines.append(f"{kind:>5} {stage.out}: {done}/{total} {'clips' if kind == 'cache' else 'steps'}")
    return lines


def get(name: str) -> Recipe:
    if name not in RECIPES:
        raise ValueError(f"unknown recipe {name!r}; recipes: {sorted(RECIPES)}")
    return RECIPES[name]()


def _check_inputs(stage: TrainConfig | CacheStage, stages: list[TrainConfig | CacheStage]) -> None:
    """Refuse to run `stage` alone while a stage it reads from is unfinished."""
    by_dir = {s.out: s for s in stages}
    inputs = [stage.vae, getattr(stage, "init", None)]
    if isinstance(stage, TrainConfig) and stage.data.startswith("cache:"):
        inputs.append(stage.data.removeprefix("cache:"))
    unfinished = []
    for path in inputs:
        if path in by_dir:
            done, total = _progress(by_dir[path])
            if done < total:
                unfinished.append(f"{Path(path).name} ({done}/{total})")
    if unfinished:
        raise ValueError(f"stage {Path(stage.out).name} reads unfinished stages: {', '.join(unfinished)}")


def run_recipe(
    name: str, root: str | Path, *, threads: int = 0, install: bool = False, only: str | None = None
) -> Path | None:
    """Run (or continue) every stage, then export; returns the exported checkpoint directory.

    `only` names one stage (its directory name) to run or continue by itself, without the export
    (None then): a stage that does not depend on another unfinished one can run beside it.
    """
    recipe = get(name)
    root = Path(root)
    stages = resolve(recipe, root, threads)
    if only is not None:
        names = [Path(s.out).name for s in stages]
        if only not in names:
            raise ValueError(f"recipe {name} has no stage {only!r}; stages: {names}")
        _check_inputs(stages[names.index(only)], stages)
        stages = [stages[names.index(only)]]
    root.mkdir(parents=True, exist_ok=True)
    log = root / "recipe.jsonl"
    for stage in stages:
        before, total = _progress(stage)
        if before >= total:
            continue
        start = time.perf_counter()
        if isinstance(stage, CacheStage):
            write_latent_cache(
                "world", stage.vae, stage.out, clips=stage.clips, buckets=stage.buckets, seed=stage.seed
            )
        else:
            train(stage, resume=True)
        entry = {
            "stage": stage.out,
            "from": before,
            "to": _progress(stage)[0],
            "wall_s": round(time.perf_counter() - start, 1),
            "threads": threads,
        }
        with log.open("a") as f:
            f.write(json.dumps(entry) + "\n")
    if only is not None:
        return None
    dits = [s for s in resolve(recipe, root) if isinstance(s, TrainConfig) and s.model == "dit"]
    out = root / recipe.name
    if install:
        from tenku.pipeline import MODELS_DIR

        out = MODELS_DIR / recipe.name
    return export(dits[-1].out, out, vae=root / recipe.ship_vae if recipe.ship_vae else None)
