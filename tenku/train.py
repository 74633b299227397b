"""One trainer for the video VAE and the DiT, on one CPU or many GPUs.

    tenku train vae --preset tiny --data world --out runs/vae --steps 2000
    tenku train dit --preset tiny --data world --vae runs/vae --out runs/dit --steps 20000
    tenku train dit ... --resume                     # continue exactly from runs/dit/checkpoints/latest
    torchrun --nproc_per_node=8 -m tenku.cli train dit ... --dist fsdp
    torchrun --nproc_per_node=8 -m tenku.cli train dit ... --dist ddp --sp 2   # 4 data x 2 sequence
    tenku train export runs/dit --out ckpt/          # config.json + vae.safetensors + dit.safetensors

- AdamW, linear warmup then cosine or linear decay, gradient clipping and accumulation, EMA weights,
  bf16 autocast (CPU and CUDA), activation checkpointing as an option; DDP or FSDP2 from `dist`.
- `--sp N` (DiT): groups of N consecutive ranks share one batch shard and split every frame's
  tokens (Ulysses attention + `dist.SequenceParallel`); DDP/FSDP reduce gradients over all ranks,
  so the losses and updates equal one process with the same global batch (batch x world / N).
- DiT step: latents from the frozen VAE (or a `cache:DIR` of latents), text states from the frozen
  encoder (caption dropout gives the empty prompt), logit-normal t (its mean the preset's or
  `--logit-mean`'s, kept in the run's model config) with the resolution shift of the clip's token
  count, one t per sample spread over its latent frames, conditioning frames (random masks from
  `data.sample_cond_mask`) held clean at t = 0 and left out of the loss.
- Randomness of step s is a pure function of (seed, s): the data of batch index s*accum + micro,
  and a per-(index, data-parallel rank) torch generator for timesteps and noise. Checkpoints also
  store the global RNG states (torch, numpy, python), so a run killed at any point (SIGKILL included) and
  resumed with `--resume` produces the same loss sequence as an uninterrupted run.
- Run directory: config.json, metrics.jsonl (one line per step), samples/step-N/*.mp4 every
  `sample_every` steps (DiT: the fixed prompts through the sampler and VAE decoder; VAE:
  reconstructions beside their input), checkpoints/step-N/ {model,ema,optimizer}.safetensors +
  state.json (+ aux.safetensors: a VAE run's discriminator and its optimizer, `--adv-weight`),
  written into a temporary directory then renamed, then checkpoints/latest updated atomically;
  the last `keep_checkpoints` are kept. Nothing is pickled.
- Throughput counts samples (clips) and tokens: latent cells for the VAE, DiT patches for the DiT.
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
import random
import shutil
import time
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from torch import nn

from tenku import dist as tdist
from tenku.config import PRESETS, ModelConfig, VAEConfig
from tenku.data import DataConfig, open_dataset, stack_texts

SAMPLE_INDEX = 2**31 - 1  # batch index reserved for the fixed reconstruction clips
ADV_BETAS = (0.5, 0.9)  # the discriminator's AdamW betas (the usual GAN choice: a short momentum)
DEFAULT_PROMPTS = (
    "a red ball bounces across a blue room",
    "a green box slides to the left",
    "two yellow balls fall and bounce on the floor",
    "a purple triangle spins in place, pixel art",
)


@dataclass(frozen=True, kw_only=True)
class TrainConfig:
    model: str = "dit"  # "vae" or "dit"
    preset: str = "tiny"  # name in tenku.config.PRESETS
    data: str = "world"  # "world", a folder of captioned videos, or "cache:DIR"
    out: str = "runs/tenku"  # run directory
    vae: str | None = None  # DiT: a VAE run directory or an exported checkpoint directory
    steps: int = 1000  # optimizer steps in total (the learning-rate schedule spans them)
    stop: int | None = None  # end the run at this step, part way along its schedule; None: at steps
    batch: int = 8  # clips per process per micro-step
    accum: int = 1  # micro-steps per optimizer step
    lr: float = 1e-3  # peak learning rate
    min_lr_ratio: float = 0.1  # final learning rate / lr
    warmup: int = 100  # linear warmup steps
    decay: str = "cosine"  # "cosine", "linear" or "constant" after warmup
    betas: tuple[float, float] = (0.9, 0.95)  # AdamW betas
    weight_decay: float = 0.01  # AdamW decoupled weight decay
    grad_clip: float = 1.0  # max global gradient norm; 0 disables
    ema_decay: float = 0.999  # EMA of the weights; 0 disables (EMA = current weights)
    precision: str = (
        "fp32"  # "fp32", "bf16" (autocast; weights and optimizer stay fp32) or "auto" (see native_bf16)
    )
    checkpointing: bool = False  # activation checkpointing of the transformer blocks
    kl_weight: float = 1e-6  # VAE: weight of the KL term
    object_weight: float = 0.0  # world data: object pixels (VAE) or cells (DiT, object_weights) weigh more
    edge_weight: float = 0.0  # VAE: weight of the error on spatial pixel differences (vae.edge_loss)
    adv_weight: float = 0.0  # VAE: patch-discriminator loss, x the reconstruction's gradient scale; 0 off
    motion_weight: float = 0.0  # DiT: what changes between latent frames weighs more (motion_weights)
    diff_weight: float = 0.0  # DiT: weight of the frame-to-frame change loss (frame_diff_loss)
    swap_weight: float = 0.0  # DiT: weight of the hinge on left/right-swapped captions (side_swap_loss)
    swap_margin: float = 0.05  # DiT: how much worse the swapped caption's error must be (side_swap_loss)
    logit_mean: float | None = None  # DiT: mean of the logit-normal timestep density; None: the preset's
    init: str | None = None  # start from this run's EMA weights (or an exported checkpoint's VAE or DiT)
    freeze_encoder: bool = (
        False  # VAE: train the decoder only; latents (and a DiT trained on them) stay valid
    )
    seed: int = 0  # seeds model init, data and noise
    ckpt_every: int = 200  # steps between checkpoints (and always at the end)
    keep_checkpoints: int = 2  # how many step directories to keep
    sample_every: int = 500  # steps between sample videos; 0 disables
    sample_prompts: tuple[str, ...] = DEFAULT_PROMPTS  # DiT samples: one clip per prompt
    sample_steps: int | None = None  # sampler steps (None: the preset's)
    dist: str = "none"  # "none", "ddp" or "fsdp" (under torchrun)
    sp: int = 1  # sequence-parallel group size (Ulysses attention); 1 disables
    threads: int = 0  # torch CPU threads; 0 keeps torch's default
    progress: bool = True  # tqdm progress bar on rank 0
    data_config: DataConfig = field(default_factory=DataConfig)  # buckets, fps, dropout, masks

    def __post_init__(self) -> None:
        checks = {
            "model": (self.model, ("vae", "dit")),
            "decay": (self.decay, ("cosine", "linear", "constant")),
            "precision": (self.precision, ("fp32", "bf16", "auto")),
            "dist": (self.dist, ("none", "ddp", "fsdp")),
        }
        for name, (value, allowed) in checks.items():
            if value not in allowed:
                raise ValueError(f"{name} must be one of {allowed}, got {value!r}")
        if self.preset not in PRESETS:
            raise ValueError(f"unknown preset {self.preset!r}; known: {sorted(PRESETS)}")
        for name in ("steps", "batch", "accum", "ckpt_every", "keep_checkpoints", "sp"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be >= 1, got {getattr(self, name)}")
        if self.stop is not None and not 1 <= self.stop <= self.steps:
            raise ValueError(f"stop must be in [1, steps={self.steps}], got {self.stop}")
        for name in (
            "object_weight",
            "edge_weight",
            "adv_weight",
            "motion_weight",
            "diff_weight",
            "swap_weight",
            "swap_margin",
        ):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must be >= 0, got {getattr(self, name)}")
        for name in ("motion_weight", "diff_weight", "swap_weight"):
            if getattr(self, name) and self.model != "dit":
                raise ValueError(f"{name} applies to DiT runs only")
        if self.logit_mean is not None and self.model != "dit":
            raise ValueError("logit_mean applies to DiT runs only")
        if not 0 <= self.ema_decay < 1:
            raise ValueError(f"ema_decay must be in [0, 1), got {self.ema_decay}")
        for name in ("edge_weight", "adv_weight"):
            if getattr(self, name) and self.model != "vae":
                raise ValueError(f"{name} applies to VAE runs only")
        if self.model != "vae" and self.freeze_encoder:
            raise ValueError("freeze_encoder applies to VAE runs only")
        if self.freeze_encoder and self.init is None:
            raise ValueError("freeze_encoder needs init: a trained VAE whose encoder is kept")
        if self.model == "dit" and self.vae is None and not self.data.startswith("cache:"):
            raise ValueError("a DiT run needs --vae RUN_DIR_or_CKPT (or --data cache:DIR)")


def _from_dict(cls, values: dict):
    """Build a (nested) frozen dataclass from JSON-like values; lists become tuples."""
    if not isinstance(values, dict):
        raise ValueError(f"{cls.__name__} settings must be a table/object, got {type(values).__name__}")
    known = {f.name: f for f in dataclasses.fields(cls)}
    unknown = set(values) - set(known)
    if unknown:
        raise ValueError(f"unknown {cls.__name__} fields {sorted(unknown)}; known: {sorted(known)}")
    kwargs = {}
    for name, value in values.items():
        default = (
            known[name].default_factory() if known[name].default_factory is not dataclasses.MISSING else None
        )
        if dataclasses.is_dataclass(default):
            kwargs[name] = _from_dict(type(default), value)
        else:
            kwargs[name] = _tuples(value)
    return cls(**kwargs)


def _tuples(value):
    if isinstance(value, list):
        return tuple(_tuples(v) for v in value)
    return value


def load_config_file(path: str | Path) -> dict:
    """TrainConfig overrides from a .json or .toml file."""
    path = Path(path)
    if path.suffix == ".toml":
        return tomllib.loads(path.read_text())
    if path.suffix == ".json":
        return json.loads(path.read_text())
    raise ValueError(f"config file must be .json or .toml, got {path}")


def make_config(overrides: dict) -> TrainConfig:
    return _from_dict(TrainConfig, overrides)


def model_config_from_dict(values: dict) -> ModelConfig:
    """ModelConfig from its `dataclasses.asdict` form (as written in config.json)."""
    return _from_dict(ModelConfig, values)


def lr_at(step: int, cfg: TrainConfig) -> float:
    """Learning rate of optimizer step `step` (0-based): linear warmup, then the decay."""
    if step < cfg.warmup:
        return cfg.lr * (step + 1) / cfg.warmup
    if cfg.decay == "constant":
        return cfg.lr
    frac = (step - cfg.warmup) / max(1, cfg.steps - cfg.warmup)
    frac = min(max(frac, 0.0), 1.0)
    shape = 0.5 * (1 + math.cos(math.pi * frac)) if cfg.decay == "cosine" else 1 - frac
    return cfg.lr * (cfg.min_lr_ratio + (1 - cfg.min_lr_ratio) * shape)


class EMA:
    """Exponential moving average of parameters (fp32), with the usual early-steps warmup."""

    def __init__(self, model: nn.Module, decay: float):
        self.decay = decay
        self.shadow = {k: p.detach().float().clone() for k, p in model.named_parameters()}

    @torch.no_grad()
    def update(self, model: nn.Module, step: int) -> None:
        d = min(self.decay, (1 + step) / (10 + step))
        for k, p in model.named_parameters():
            self.shadow[k].lerp_(p.detach().float(), 1 - d)

    def full_state(self) -> dict[str, torch.Tensor]:
        """Unsharded CPU tensors (a collective under FSDP: call on every rank)."""
        return {k: _full(v) for k, v in self.shadow.items()}

    def load(self, state: dict[str, torch.Tensor]) -> None:
        for k, v in self.shadow.items():
            _copy_full_into(v, state[k])


def _full(t: torch.Tensor) -> torch.Tensor:
    from torch.distributed.tensor import DTensor

    if isinstance(t, DTensor):
        t = t.full_tensor()
    return t.detach().to("cpu").contiguous().clone()


def _copy_full_into(dst: torch.Tensor, full: torch.Tensor) -> None:
    from torch.distributed.tensor import DTensor, distribute_tensor

    if isinstance(dst, DTensor):
        full = distribute_tensor(full.to(dst.device, dst.dtype), dst.device_mesh, dst.placements)
        dst.to_local().copy_(full.to_local())
    else:
        dst.copy_(full)


def unwrap(model: nn.Module) -> nn.Module:
    """The plain module inside DDP (FSDP2 modules are the model itself)."""
    return model.module if isinstance(getattr(model, "module", None), nn.Module) else model


# ---------------------------------------------------------------------------------------------
# Checkpoints


def _flatten_optimizer(osd: dict) -> tuple[dict[str, torch.Tensor], list[dict]]:
    tensors = {}
    for name, state in osd["state"].items():
        for key, value in state.items():
            if not isinstance(value, torch.Tensor):
                raise TypeError(f"optimizer state {name}.{key} is {type(value).__name__}, not a tensor")
            tensors[f"{name}::{key}"] = value.detach().to("cpu").contiguous()
    groups = [
        {k: (list(v) if isinstance(v, tuple) else v) for k, v in g.items()} for g in osd["param_groups"]
    ]
    return tensors, groups


def _unflatten_optimizer(tensors: dict[str, torch.Tensor], groups: list[dict]) -> dict:
    state: dict[str, dict] = {}
    for key, value in tensors.items():
        name, sub = key.rsplit("::", 1)
        state.setdefault(name, {})[sub] = value
    groups = [{k: (tuple(v) if k == "betas" else v) for k, v in g.items()} for g in groups]
    return {"state": state, "param_groups": groups}


def rng_state() -> tuple[dict[str, torch.Tensor], dict]:
    """Global RNG states as (tensors, JSON): torch, numpy and python."""
    kind, keys, pos, has_gauss, gauss = np.random.get_state()
    version, pstate, pgauss = random.getstate()
    tensors = {
        "torch": torch.get_rng_state(),
        "numpy": torch.from_numpy(keys.astype(np.int64)),
        "python": torch.tensor(pstate, dtype=torch.int64),
    }
    meta = {"numpy": [kind, int(pos), int(has_gauss), float(gauss)], "python": [version, pgauss]}
    return tensors, meta


def set_rng_state(tensors: dict[str, torch.Tensor], meta: dict) -> None:
    torch.set_rng_state(tensors["torch"])
    kind, pos, has_gauss, gauss = meta["numpy"]
    np.random.set_state((kind, tensors["numpy"].numpy().astype(np.uint32), pos, has_gauss, gauss))
    version, pgauss = meta["python"]
    random.setstate((version, tuple(int(x) for x in tensors["python"].tolist()), pgauss))


def latest_checkpoint(run: str | Path) -> Path | None:
    """The directory `checkpoints/latest` points to, or None."""
    pointer = Path(run) / "checkpoints" / "latest"
    if not pointer.is_file():
        return None
    path = pointer.parent / pointer.read_text().strip()
    return path if (path / "state.json").is_file() else None


def save_checkpoint(
    run: Path,
    step: int,
    model,
    optimizer,
    ema: EMA,
    extra: dict,
    keep: int,
    aux: dict[str, torch.Tensor] | None = None,
) -> Path | None:
    """Collective: gather full states on every rank; rank 0 writes step-N atomically. Returns its path.

    `aux`: more tensors a task keeps beside the model (a discriminator), written to aux.safetensors."""
    from safetensors.torch import save_file
    from torch.distributed.checkpoint.state_dict import StateDictOptions, get_state_dict

    from tenku.io import atomic_path

    msd, osd = get_state_dict(
        model, optimizer, options=StateDictOptions(full_state_dict=True, cpu_offload=True)
    )
    ema_sd = ema.full_state()
    if not tdist.get_rank() == 0:
        return None
    root = run / "checkpoints"
    final = root / f"step-{step:08d}"
    tmp = root / f".tmp-step-{step:08d}-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    otensors, groups = _flatten_optimizer(osd)
    rtensors, rmeta = rng_state()
    save_file({k: v.contiguous() for k, v in msd.items()}, tmp / "model.safetensors")
    save_file(ema_sd, tmp / "ema.safetensors")
    save_file(otensors, tmp / "optimizer.safetensors")
    save_file(rtensors, tmp / "rng.safetensors")
    if aux:
        save_file(aux, tmp / "aux.safetensors")
    state = {"step": step, "param_groups": groups, "rng": rmeta, **extra}
    (tmp / "state.json").write_text(json.dumps(state, indent=1))
    for f in tmp.iterdir():  # make the files durable before they become visible
        with f.open("rb") as fh:
            os.fsync(fh.fileno())
    if final.exists():
        shutil.rmtree(final)
    os.replace(tmp, final)
    with atomic_path(root / "latest") as p:
        p.write_text(final.name + "\n")
    steps = sorted(p for p in root.glob("step-*") if p.is_dir())
    for old in steps[:-keep]:
        shutil.rmtree(old, ignore_errors=True)
    return final


def load_checkpoint(path: Path, model, optimizer, ema: EMA) -> dict:
    """Restore model, optimizer, EMA and RNG states from a step directory; returns state.json."""
    from safetensors.torch import load_file
    from torch.distributed.checkpoint.state_dict import StateDictOptions, set_state_dict

    state = json.loads((path / "state.json").read_text())
    osd = _unflatten_optimizer(load_file(path / "optimizer.safetensors"), state["param_groups"])
    set_state_dict(
        model,
        optimizer,
        model_state_dict=load_file(path / "model.safetensors"),
        optim_state_dict=osd,
        options=StateDictOptions(full_state_dict=True),
    )
    ema.load(load_file(path / "ema.safetensors"))
    set_rng_state(load_file(path / "rng.safetensors"), state["rng"])
    return state


# ---------------------------------------------------------------------------------------------
# What is trained: the VAE, or the DiT on a frozen VAE and text encoder


def _run_weights(source: str | Path, part: str) -> tuple[ModelConfig, dict[str, torch.Tensor], Path | None]:
    """(model config, EMA weights of `part`, the checkpoint step dir or None) from a run directory
    (checkpoints/latest), an exported checkpoint directory (`part`.safetensors) or a shipped name."""
    from safetensors.torch import load_file

    from tenku.pipeline import MODELS_DIR, available_models

    flag = "--vae" if part == "vae" else "--init"
    source = MODELS_DIR / str(source) if str(source) in available_models() else Path(source)
    config_path = source / "config.json"
    if not config_path.is_file():
        raise FileNotFoundError(
            f"{flag} {source}: no config.json (expected a {part.upper()} run or an exported checkpoint)"
        )
    mcfg = model_config_from_dict(json.loads(config_path.read_text())["model"])
    ckpt = latest_checkpoint(source)
    if ckpt is not None:
        return mcfg, load_file(ckpt / "ema.safetensors"), ckpt
    if (source / f"{part}.safetensors").is_file():
        return mcfg, load_file(source / f"{part}.safetensors"), None
    raise FileNotFoundError(f"{flag} {source}: neither checkpoints/latest nor {part}.safetensors found")


def load_vae(source: str | Path, device: torch.device) -> tuple[ModelConfig, nn.Module]:
    """Frozen VAE (EMA weights) from a VAE run, an exported checkpoint or a shipped model name."""
    from tenku.vae import VideoVAE

    mcfg, weights, ckpt = _run_weights(source, "vae")
    stats = json.loads((ckpt / "state.json").read_text()).get("latent_stats") if ckpt else None
    if stats:
        mcfg = dataclasses.replace(mcfg, vae=dataclasses.replace(mcfg.vae, **stats))
    vae = VideoVAE(mcfg.vae)
    vae.load_state_dict(weights)
    return mcfg, vae.to(device).eval().requires_grad_(False)


def load_dit_weights(source: str | Path, mcfg: ModelConfig) -> dict[str, torch.Tensor]:
    """DiT EMA weights from a DiT run, an exported checkpoint or a shipped name, checked against `mcfg`
    (a DiT that differs only in fewer input channels is widened to `mcfg`'s, see `widen`; one that
    differs only in fewer blocks is deepened, see `deepen_dit`; a patch-1 one is given `mcfg`'s
    larger patch, see `repatch_dit`)."""
    from tenku.dit import DiT

    source_cfg, weights, _ = _run_weights(source, "dit")
    narrower = dataclasses.replace(source_cfg.dit, in_channels=mcfg.dit.in_channels) == mcfg.dit
    if source_cfg.dit.in_channels < mcfg.dit.in_channels and narrower:
        return widen(weights, DiT(mcfg.dit).state_dict(), dit_channel_tensors(mcfg.dit.patch_size))
    coarser = dataclasses.replace(source_cfg.dit, patch_size=mcfg.dit.patch_size) == mcfg.dit
    if source_cfg.dit.patch_size == (1, 1, 1) != mcfg.dit.patch_size and coarser:
        return repatch_dit(weights, mcfg.dit.patch_size)
    shallower = dataclasses.replace(source_cfg.dit, depth=mcfg.dit.depth) == mcfg.dit
    if source_cfg.dit.depth < mcfg.dit.depth and shallower:
        return deepen_dit(weights, source_cfg.dit.depth, DiT(mcfg.dit).state_dict())
    if source_cfg.dit != mcfg.dit:
        raise ValueError(f"--init {source}: its DiT is {source_cfg.dit}, this run's preset builds {mcfg.dit}")
    return weights


def deepen_dit(
    weights: dict[str, torch.Tensor], depth: int, fresh: dict[str, torch.Tensor]
) -> dict[str, torch.Tensor]:
    """`weights` of a DiT of `depth` blocks, grown to the more blocks of `fresh` (a newly initialised
    state dict): the trained blocks keep their order, spread evenly, and each new block starts with
    its gates (adaLN modulation) and its cross-attention output at zero, so it passes its input
    through unchanged and the grown DiT predicts what the old one did."""
    new_depth = 1 + max(int(k.split(".")[1]) for k in fresh if k.startswith("blocks."))
    source = {i * new_depth // depth: i for i in range(depth)}  # new block index -> old one
    out = {}
    for key, value in fresh.items():
        parts = key.split(".")
        if parts[0] != "blocks":
            out[key] = weights[key]
        elif int(parts[1]) in source:
            out[key] = weights[".".join(["blocks", str(source[int(parts[1])]), *parts[2:]])]
        else:
            out[key] = value.zero_() if parts[2] in ("modulation", "cross_proj") else value
    return out


def repatch_dit(weights: dict[str, torch.Tensor], patch: tuple[int, int, int]) -> dict[str, torch.Tensor]:
    """`weights` of a patch-1 DiT given patches of `patch` latent cells, for a latent grid that much
    finer (the same token grid): each token reads the mean of its cells where the old one read its
    cell, and every cell gets the old prediction. On a latent that repeats each old cell over a
    patch, the repatched DiT predicts the old prediction, repeated the same way."""
    cells = math.prod(patch)  # a token's features are (pt ph pw c): channels innermost
    out = dict(weights)
    out["patch_embed.weight"] = weights["patch_embed.weight"].repeat(1, cells) / cells
    out["final.linear.weight"] = weights["final.linear.weight"].repeat(cells, 1)
    out["final.linear.bias"] = weights["final.linear.bias"].repeat(cells)
    return out


# The tensors holding a model's latent channels, for widening a trained model to more of them:
# key -> (dim, groups, zero). Along `dim`, in `groups` equal blocks (the VAE's mean | log-variance,
# the DiT's positions in a patch), the old channels lead each block; the new ones start at zero
# where they feed the network (so it computes what it did) and at their fresh initialisation
# where the network produces them.
VAE_CHANNEL_TENSORS = {
    "encoder.conv_out.conv.weight": (0, 2, False),
    "encoder.conv_out.conv.bias": (0, 2, False),
    "decoder.layers.0.conv.weight": (1, 1, True),
}


def dit_channel_tensors(patch_size: tuple[int, int, int]) -> dict[str, tuple[int, int, bool]]:
    cells = math.prod(patch_size)  # a token's features are (pt ph pw c): channels innermost
    return {
        "patch_embed.weight": (1, cells, True),
        "final.linear.weight": (0, cells, False),
        "final.linear.bias": (0, cells, False),
    }


def widen(
    weights: dict[str, torch.Tensor],
    fresh: dict[str, torch.Tensor],
    channel_tensors: dict[str, tuple[int, int, bool]],
) -> dict[str, torch.Tensor]:
    """`weights` of a model with fewer latent channels, widened to the shapes of `fresh` (a newly
    initialised model's state dict); every other tensor must match in shape."""
    out = {}
    for key, new in fresh.items():
        old = weights[key]
        if old.shape == new.shape:
            out[key] = old
            continue
        if key not in channel_tensors:
            raise ValueError(f"cannot widen {key}: shape {tuple(old.shape)} -> {tuple(new.shape)}")
        dim, groups, zero = channel_tensors[key]
        kept = old.unflatten(dim, (groups, -1))
        grown = new.clone().unflatten(dim, (groups, -1))
        have, want = kept.shape[dim + 1], grown.shape[dim + 1]
        if have > want:
            raise ValueError(f"cannot narrow {key}: {have} channels -> {want}")
        if zero:
            grown.narrow(dim + 1, have, want - have).zero_()
        grown.narrow(dim + 1, 0, have).copy_(kept)
        out[key] = grown.flatten(dim, dim + 1)
    return out


def respaced(old: VAEConfig, new: VAEConfig) -> VAEConfig:
    """`old` with `new`'s spatial compression where the two differ only in which level transitions
    halve H and W (the same space-to-depth, so the same tensors): a trained VAE's weights start a
    VAE with a finer or coarser latent grid, each transition's conv kept at stride 1 or 2."""
    if new.spatial_compression == old.spatial_compression:
        return old
    if new.patch_size != old.patch_size or new.channels != old.channels:
        raise ValueError(
            f"cannot respace a VAE of {old.spatial_compression}x (space-to-depth {old.patch_size}, "
            f"channels {old.channels}) to {new.spatial_compression}x (space-to-depth "
            f"{new.patch_size}, channels {new.channels}): both must match"
        )
    return dataclasses.replace(
        old, spatial_compression=new.spatial_compression, space_to_depth=new.space_to_depth
    )


def deepen_decoder(
    weights: dict[str, torch.Tensor], old: VAEConfig, new: VAEConfig, fresh: dict[str, torch.Tensor]
) -> dict[str, torch.Tensor]:
    """`weights` of a VAE built by `old`, grown to `new` (more blocks per decoder level; `fresh` is a
    newly initialised state dict of it). Every layer keeps its weights in its slot (`decoder_slots`);
    each new block's last convolution starts at zero, so the block passes its input through unchanged
    and the grown decoder computes what the old one did."""
    from tenku.vae import decoder_slots

    if not old.same_encoder(new) or new.decoder_depth < old.decoder_depth:
        raise ValueError(f"cannot grow a decoder of {old} into {new}: only more decoder blocks are allowed")
    old_index = {slot: i for i, slot in enumerate(decoder_slots(old))}
    source = [old_index.get(slot) for slot in decoder_slots(new)]  # new layer -> old layer or None
    out = {}
    for key, value in fresh.items():
        parts = key.split(".")
        if parts[:2] != ["decoder", "layers"]:
            out[key] = weights[key]
            continue
        index = source[int(parts[2])]
        if index is None:  # a new block: its input convolution fresh, its output convolution zero
            out[key] = value.zero_() if parts[3] == "conv2" else value
        else:
            out[key] = weights[".".join([*parts[:2], str(index), *parts[3:]])]
    return out


@torch.no_grad()
def latent_stats(vae: nn.Module, video: torch.Tensor) -> dict[str, float]:
    """scaling_factor = 1/std and shift_factor = mean of the unscaled posterior means of `video`."""
    mean, _ = vae.encode_dist(video)
    return {"shift_factor": float(mean.mean()), "scaling_factor": float(1.0 / mean.std().clamp_min(1e-6))}


class VAETask:
    """Reconstruction + KL on clips; samples are reconstructions beside the input."""

    def __init__(self, cfg: TrainConfig, mcfg: ModelConfig, device: torch.device):
        from tenku.vae import VideoVAE

        self.cfg, self.mcfg, self.device = cfg, mcfg, device
        self.init_stats = None  # the init VAE's latent scaling, kept when its encoder is frozen
        weights = None
        if cfg.init is not None:
            init_mcfg, init_vae = load_vae(cfg.init, device)
            weights = init_vae.state_dict()
            have, want = init_mcfg.vae.latent_channels, mcfg.vae.latent_channels
            if have < want:  # widened to the preset's latent channels; all else from the init
                if cfg.freeze_encoder:
                    raise ValueError("freeze_encoder keeps the latent space; widening it needs the encoder")
                vae_cfg = dataclasses.replace(init_mcfg.vae, latent_channels=want)
                weights = widen(weights, VideoVAE(vae_cfg).state_dict(), VAE_CHANNEL_TENSORS)
                self.mcfg = mcfg = dataclasses.replace(mcfg, vae=vae_cfg)
            else:
                depth = mcfg.vae.decoder_depth
                vae_cfg = respaced(init_mcfg.vae, mcfg.vae)
                if cfg.freeze_encoder and vae_cfg != init_mcfg.vae:
                    raise ValueError("freeze_encoder keeps the latent space; respacing it needs the encoder")
                if depth > vae_cfg.decoder_depth:  # grown to the preset's decoder depth; all else kept
                    vae_cfg = dataclasses.replace(vae_cfg, decoder_blocks=depth)
                    weights = deepen_decoder(weights, init_mcfg.vae, vae_cfg, VideoVAE(vae_cfg).state_dict())
                self.mcfg = mcfg = dataclasses.replace(mcfg, vae=vae_cfg)
            self.init_stats = {
                "shift_factor": mcfg.vae.shift_factor,
                "scaling_factor": mcfg.vae.scaling_factor,
            }
        self.model = VideoVAE(mcfg.vae).to(device)
        if weights is not None:
            self.model.load_state_dict(weights)
        if cfg.freeze_encoder:
            self.model.encoder.requires_grad_(False)
        self.disc = self.disc_opt = None
        if cfg.adv_weight:
            from tenku.discriminator import PatchDiscriminator

            self.disc = PatchDiscriminator().to(device).requires_grad_(False)
            self.disc_opt = torch.optim.AdamW(
                self.disc.parameters(), lr=cfg.lr, betas=ADV_BETAS, weight_decay=0.0
            )

    def tokens(self, shape: tuple[int, ...]) -> int:
        """Latent cells per clip of pixel shape (B, 3, T, H, W)."""
        _, t, h, w = self.mcfg.vae.latent_shape(*shape[2:])
        return t * h * w

    def loss(self, model, batch, gen: torch.Generator, rng: np.random.Generator):
        from tenku.vae import vae_loss

        if batch.video is None:
            raise ValueError("VAE training needs videos; a latent cache holds none")
        x = batch.video.to(self.device)  # (B, 3, T, H, W)
        recon, mean, logvar = model(x, generator=gen)
        weight = None
        if self.cfg.object_weight and batch.foreground is not None:
            weight = 1 + self.cfg.object_weight * batch.foreground.to(self.device).float()
        loss, metrics = vae_loss(
            recon,
            x,
            mean,
            logvar,
            kl_weight=self.cfg.kl_weight,
            pixel_weight=weight,
            edge_weight=self.cfg.edge_weight,
        )
        metrics.pop("loss")
        if self.disc is not None:
            loss = self._adversarial(x, recon, loss, metrics)
        return loss, metrics, self.tokens(x.shape)

    def _adversarial(self, x: torch.Tensor, recon: torch.Tensor, rec: torch.Tensor, metrics: dict):
        """One discriminator step on (x, recon), then rec + the decoder's balanced adversarial term.

        The discriminator steps first, at the run's peak learning rate, so the decoder's term is
        taken against the updated one (its weights are not changed under the decoder's graph)."""
        from tenku.discriminator import balanced_weight, generator_loss, hinge_losses

        self.disc.requires_grad_(True)
        real, fake = self.disc(x), self.disc(recon.detach())
        d_loss = hinge_losses(real, fake)
        self.disc_opt.zero_grad(set_to_none=True)
        d_loss.backward()
        tdist.average_gradients(self.disc)
        self.disc_opt.step()
        self.disc.requires_grad_(False)  # the decoder's backward passes through it, filling no grads
        adv = generator_loss(self.disc(recon))
        scale = balanced_weight(rec, adv, recon, self.cfg.adv_weight)
        metrics.update(
            d_loss=d_loss.item(),
            d_real=real.detach().float().mean().item(),
            d_fake=fake.detach().float().mean().item(),
            adv=adv.item(),
            adv_scale=scale.item(),
        )
        return rec + scale * adv

    def aux_state(self) -> tuple[dict[str, torch.Tensor], dict]:
        """(tensors, JSON) a checkpoint keeps beside the VAE: the discriminator and its optimizer."""
        if self.disc is None:
            return {}, {}
        tensors, groups = _flatten_optimizer(self.disc_opt.state_dict())
        out = {f"disc.{k}": v.detach().to("cpu").contiguous() for k, v in self.disc.state_dict().items()}
        out.update({f"disc_opt.{k}": v for k, v in tensors.items()})
        return out, {"disc_param_groups": groups}

    def load_aux_state(self, ckpt: Path, state: dict) -> None:
        from safetensors.torch import load_file

        path = ckpt / "aux.safetensors"
        if path.is_file() != (self.disc is not None):
            had = "a discriminator" if path.is_file() else "no discriminator"
            raise ValueError(
                f"--resume: {ckpt} holds {had}; resume with the --adv-weight the run was started with"
            )
        if self.disc is None:
            return
        tensors = load_file(path)
        part = {
            prefix: {k.removeprefix(prefix): v for k, v in tensors.items() if k.startswith(prefix)}
            for prefix in ("disc.", "disc_opt.")
        }
        self.disc.load_state_dict(part["disc."])
        osd = _unflatten_optimizer(part["disc_opt."], state["disc_param_groups"])
        osd["state"] = {int(k): v for k, v in osd["state"].items()}  # a plain optimizer's state keys
        self.disc_opt.load_state_dict(osd)

    def eval_model(self, weights: dict[str, torch.Tensor]) -> nn.Module:
        from tenku.vae import VideoVAE

        model = VideoVAE(self.mcfg.vae)
        model.load_state_dict(weights)
        return model.to(self.device).eval()

    def extra_state(self, weights: dict[str, torch.Tensor], dataset) -> dict:
        if self.cfg.freeze_encoder:  # same encoder, same latent space: keep the scaling the DiT knows
            return {"latent_stats": self.init_stats}
        batch = dataset.get_batch(SAMPLE_INDEX, 4)
        return {"latent_stats": latent_stats(self.eval_model(weights), batch.video.to(self.device))}

    @torch.no_grad()
    def samples(self, weights: dict[str, torch.Tensor], dataset) -> list[tuple[str, np.ndarray]]:
        from tenku.data import tensor_to_frames

        batch = dataset.get_batch(SAMPLE_INDEX, 4)
        x = batch.video.to(self.device)
        model = self.eval_model(weights)
        mean, _ = model.encode_dist(x)
        recon = model.decoder(mean, None)
        out = []
        for i in range(x.shape[0]):
            pair = torch.cat([x[i], recon[i]], dim=-1)  # (3, T, H, 2W): input | reconstruction
            out.append((f"recon-{i}", tensor_to_frames(pair)))
        return out


class DiTTask:
    """Flow matching on VAE latents with per-frame timesteps and conditioning masks."""

    def __init__(
        self, cfg: TrainConfig, mcfg: ModelConfig, device: torch.device, attention=None, sequence=None
    ):
        from tenku.dit import DiT
        from tenku.text import TextEncoder

        self.cfg, self.device = cfg, device
        self.vae = None
        if cfg.vae is not None:
            vae_mcfg, self.vae = load_vae(cfg.vae, device)
            if vae_mcfg.vae.latent_channels != mcfg.dit.in_channels:
                raise ValueError(
                    f"--vae has {vae_mcfg.vae.latent_channels} latent channels; preset {mcfg.name!r} "
                    f"expects {mcfg.dit.in_channels}"
                )
            mcfg = dataclasses.replace(mcfg, vae=vae_mcfg.vae)
        self.mcfg = mcfg
        self.text = TextEncoder(mcfg.text, device=device)
        self.model = DiT(mcfg.dit, attention=attention, sequence=sequence).to(device)
        if cfg.init is not None:  # a warm start: weights only, a fresh optimizer and schedule
            self.model.load_state_dict(load_dit_weights(cfg.init, mcfg))

    @torch.no_grad()
    def _swapped(self, captions) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor] | None:
        """(rows of the batch whose captions name a side, their captions' text states with left and
        right exchanged (N, L, D), mask (N, L)), or None when no caption names one."""
        from tenku.text import swap_sides

        pairs = [(i, swap_sides(c)) for i, c in enumerate(captions)]
        pairs = [(i, c) for i, c in pairs if c is not None]
        if not pairs:
            return None
        emb = self.text.encode([c for _, c in pairs], truncate=True)
        rows = torch.tensor([i for i, _ in pairs], device=self.device)
        return rows, emb.tokens.to(self.device), emb.mask.to(self.device)

    def tokens(self, latent_shape: tuple[int, ...]) -> int:
        pt, ph, pw = self.mcfg.dit.patch_size
        _, _, t, h, w = latent_shape
        return (t // pt) * (h // ph) * (w // pw)

    @torch.no_grad()
    def inputs(self, batch) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """(latents (B, C, T', H', W'), text tokens (B, L, D), text mask (B, L)) of a batch."""
        if batch.latents is not None:
            x0 = batch.latents.to(self.device)
        else:
            if self.vae is None:
                raise ValueError("this batch holds videos; DiT training on videos needs --vae")
            x0 = self.vae.encode(batch.video.to(self.device))
        if batch.text_tokens is not None:
            return x0, batch.text_tokens.to(self.device), batch.text_mask.to(self.device)
        emb = self.text.encode(list(batch.captions), truncate=True)
        return x0, emb.tokens, emb.mask

    def cover(self, batch) -> torch.Tensor:
        """The share of each latent cell's pixels that show an object (B, 1, T', H', W'): cached,
        or pooled from a world batch's object pixels."""
        from tenku.data import latent_cover

        if batch.objects is not None:
            return batch.objects
        if batch.foreground is not None:
            return latent_cover(batch.foreground, self.mcfg.vae)
        raise ValueError(
            "--object-weight on a DiT needs object masks: --data world, or a cache written from world "
            'data by a `tenku cache` that stores them (its shards hold "objects")'
        )

    def loss(self, model, batch, gen: torch.Generator, rng: np.random.Generator):
        from tenku.data import sample_cond_mask
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

        x0, text, mask = self.inputs(batch)
        b, _, frames = x0.shape[:3]
        flow = self.mcfg.flow
        n_tokens = self.tokens(x0.shape)
        t = sample_timesteps((b,), mean=flow.logit_mean, std=flow.logit_std, generator=gen)
        t = shift_timesteps(t, resolution_shift(n_tokens, flow)).to(self.device)  # (B,)
        cond = sample_cond_mask(b, frames, self.cfg.data_config, rng).to(self.device)  # (B, T')
        t = torch.where(cond, 0.0, t[:, None].expand(b, frames))  # (B, T'): given frames are clean
        eps = torch.randn(x0.shape, generator=gen).to(self.device)
        xt = interpolate(x0, eps, t)  # (B, C, T', H', W')
        fps = torch.full((b,), float(batch.fps), device=self.device)
        swapped = self._swapped(batch.captions) if self.cfg.swap_weight else None
        if swapped is not None:  # one pass over the batch and, after it, its clips with mirrored words
            rows, s_text, s_mask = swapped
            text, mask = stack_texts((text, mask), (s_text, s_mask))
            pred = model(
                torch.cat([xt, xt[rows]]),
                torch.cat([t, t[rows]]),
                text,
                mask,
                fps=torch.cat([fps, fps[rows]]),
            )
            pred, pred_swapped = pred[:b], pred[b:]
        else:
            pred = model(xt, t, text, mask, fps=fps)
        weights = motion_weights(x0, self.cfg.motion_weight) if self.cfg.motion_weight else None
        if self.cfg.object_weight:
            objects = object_weights(self.cover(batch).to(self.device), self.cfg.object_weight)
            weights = objects if weights is None else weights * objects
        target = velocity_target(x0, eps)
        loss, per_sample = flow_loss(pred, target, weight_mask=~cond, weights=weights)
        t_mean = t.max(dim=1).values.detach()  # (B,) the noise level of the generated frames
        metrics = {}
        for lo, hi in ((0.0, 0.25), (0.25, 0.5), (0.5, 0.75), (0.75, 1.01)):
            sel = (t_mean >= lo) & (t_mean < hi)
            if bool(sel.any()):
                metrics[f"loss_t{lo:.2f}"] = float(per_sample.detach()[sel].mean())
        if self.cfg.diff_weight:  # the velocity loss's figures above stay comparable with runs without it
            diff = frame_diff_loss(pred, target, weight_mask=~cond)  # (B,)
            metrics["loss_flow"] = float(loss.detach())
            metrics["loss_diff"] = float(diff.detach().mean())
            loss = loss + self.cfg.diff_weight * diff.mean()
        if swapped is not None:  # after the figures above, which stay those of the velocity loss
            rows = swapped[0]
            true = per_sample[rows]
            _, per_swapped = flow_loss(
                pred_swapped,
                target[rows],
                weight_mask=~cond[rows],
                weights=None if weights is None else weights[rows],
            )
            hinge = side_swap_loss(true, per_swapped, self.cfg.swap_margin)  # (len(rows),)
            gap = (per_swapped - true).detach() / true.detach().clamp_min(1e-12)  # relative, per clip
            metrics["loss_swap"] = float(hinge.detach().mean())
            metrics["swap_gap"] = float(gap.mean())
            loss = loss + self.cfg.swap_weight * hinge.sum() / b
        return loss, metrics, n_tokens

    def eval_model(self, weights: dict[str, torch.Tensor]) -> nn.Module:
        from tenku.dit import DiT

        model = DiT(self.mcfg.dit)
        model.load_state_dict(weights)
        return model.to(self.device).eval()

    def extra_state(self, weights: dict[str, torch.Tensor], dataset) -> dict:
        return {"vae_config": dataclasses.asdict(self.mcfg.vae)}

    def aux_state(self) -> tuple[dict[str, torch.Tensor], dict]:
        return {}, {}

    def load_aux_state(self, ckpt: Path, state: dict) -> None:
        if (ckpt / "aux.safetensors").is_file():
            raise ValueError(f"--resume: {ckpt} holds a discriminator, which a DiT run has none of")

    @torch.no_grad()
    def samples(self, weights: dict[str, torch.Tensor], dataset) -> list[tuple[str, np.ndarray]]:
        """One clip per fixed prompt at the first bucket's size (seeded noise, preset sampler)."""
        from tenku.data import tensor_to_frames
        from tenku.flow import resolution_shift
        from tenku.sample import sample

        if self.vae is None:
            return []
        model = self.eval_model(weights)
        bucket = self.cfg.data_config.bucket_list()[0]
        shape = self.mcfg.vae.latent_shape(bucket.frames, bucket.height, bucket.width)
        sc = self.mcfg.sample
        out = []
        for i, prompt in enumerate(self.cfg.sample_prompts):
            emb = self.text.encode([prompt, ""])
            fps = torch.full((1,), float(self.cfg.data_config.fps), device=self.device)

            def model_fn(x, t, use_text, emb=emb, fps=fps):
                k = 0 if use_text else 1
                n = int(emb.mask[k].sum())
                return model(x, t, emb.tokens[k : k + 1, :n], emb.mask[k : k + 1, :n], fps=fps)

            gen = torch.Generator().manual_seed(self.cfg.seed + i)
            noise = torch.randn((1, *shape), generator=gen).to(self.device)
            shift = (
                sc.shift
                if sc.shift is not None
                else resolution_shift(self.tokens(noise.shape), self.mcfg.flow)
            )
            z = sample(
                model_fn,
                noise,
                steps=self.cfg.sample_steps or sc.steps,
                shift=shift,
                guidance=sc.guidance,
                solver=sc.solver,
            )
            video = self.vae.decode(z)[0]  # (3, T, H, W)
            out.append((f"{i}-{'-'.join(prompt.split()[:5])}", tensor_to_frames(video)))
        return out


# ---------------------------------------------------------------------------------------------
# The loop


def step_generators(seed: int, index: int, rank: int) -> tuple[torch.Generator, np.random.Generator]:
    """(torch, numpy) generators for micro-batch `index` on `rank`: a pure function of the three."""
    ss = np.random.SeedSequence([seed & 0xFFFFFFFF, index, rank, 0x7E4C])
    gen = torch.Generator().manual_seed(int(ss.generate_state(1, dtype=np.uint64)[0] >> 1))
    return gen, np.random.default_rng(ss.spawn(1)[0])


def _write_run_config(run: Path, cfg: TrainConfig, mcfg: ModelConfig) -> None:
    from tenku.io import atomic_path

    with atomic_path(run / "config.json") as p:
        p.write_text(
            json.dumps({"train": dataclasses.asdict(cfg), "model": dataclasses.asdict(mcfg)}, indent=1)
        )


def _check_resume(run: Path, cfg: TrainConfig) -> None:
    saved = json.loads((run / "config.json").read_text())["train"]
    for key in ("model", "preset", "batch", "accum", "seed", "data"):
        if saved[key] != getattr(cfg, key):
            raise ValueError(
                f"--resume: {key} is {getattr(cfg, key)!r} but the run was started with {saved[key]!r}"
            )


def _truncate_metrics(path: Path, step: int) -> None:
    """Keep metrics lines up to `step` (lines after the checkpoint are recomputed on resume)."""
    from tenku.io import atomic_path

    if not path.is_file():
        return
    keep = [
        line for line in path.read_text().splitlines() if line.strip() and json.loads(line)["step"] <= step
    ]
    with atomic_path(path) as p:
        p.write_text("".join(line + "\n" for line in keep))


def _write_samples(run: Path, step: int, clips: list[tuple[str, np.ndarray]], fps: float) -> None:
    from tenku.io import contact_sheet, stack_rows, write_mp4, write_png

    folder = run / "samples" / f"step-{step:08d}"
    for name, frames in clips:
        write_mp4(frames, folder / f"{name}.mp4", fps=fps)
    if clips:
        write_png(stack_rows([contact_sheet(f) for _, f in clips]), folder / "sheet.png")


def _check_sequence_parallel(cfg: TrainConfig, info: tdist.DistInfo) -> None:
    """--sp N: a DiT under torchrun, N dividing the world and the heads, gradients reduced by --dist."""
    if cfg.model != "dit":
        raise ValueError(f"--sp {cfg.sp} shards DiT token sequences; the {cfg.model} trains with --sp 1")
    if not info.distributed or info.world_size % cfg.sp != 0:
        raise ValueError(
            f"--sp {cfg.sp} needs a torchrun launch whose process count divides by it, got {info.world_size}"
        )
    if cfg.dist == "none":
        raise ValueError(
            f"--sp {cfg.sp} needs --dist ddp or fsdp: gradients are reduced over every rank, the "
            "sequence-parallel ones included"
        )
    heads = PRESETS[cfg.preset].dit.heads
    if heads % cfg.sp != 0:
        raise ValueError(f"--sp {cfg.sp} must divide the attention heads of preset {cfg.preset!r} ({heads})")


def build(cfg: TrainConfig, info: tdist.DistInfo):
    """(task, wrapped model, optimizer, EMA) for a config, with parallelism applied from outside."""
    mcfg = PRESETS[cfg.preset]
    if cfg.logit_mean is not None:  # recorded in the run's model config, so an export keeps it
        mcfg = dataclasses.replace(mcfg, flow=dataclasses.replace(mcfg.flow, logit_mean=cfg.logit_mean))
    torch.manual_seed(cfg.seed)
    attention = sequence = None
    if cfg.sp > 1:
        _check_sequence_parallel(cfg, info)
        group = tdist.make_mesh(info, sp=cfg.sp)["sp"].get_group()
        attention, sequence = tdist.UlyssesAttention(group), tdist.SequenceParallel(group)
    elif info.device.type == "cpu" and resolve_precision(cfg.precision, info.device) == "bf16":
        from tenku.dit import matmul_attention

        attention = matmul_attention  # faster than the fused CPU kernel in bf16 (see its docstring)
    if cfg.model == "vae":
        task = VAETask(cfg, mcfg, info.device)
    else:
        task = DiTTask(cfg, mcfg, info.device, attention=attention, sequence=sequence)
    model = task.model
    if cfg.checkpointing:
        if not hasattr(model, "set_checkpointing"):
            raise ValueError(f"activation checkpointing is not available for the {cfg.model}")
        model.set_checkpointing(True)
    if cfg.dist != "none" and not info.distributed:
        raise ValueError(f"--dist {cfg.dist} needs a torchrun launch with more than one process")
    if cfg.dist == "ddp":
        model = tdist.apply_ddp(model, info)
    elif cfg.dist == "fsdp":  # sharded over every rank: the sp ranks' gradients are averaged too
        model = tdist.apply_fsdp(model, tdist.make_mesh(info)["dp"])
    trainable = [p for p in model.parameters() if p.requires_grad]  # all but a frozen VAE encoder
    optimizer = torch.optim.AdamW(trainable, lr=cfg.lr, betas=cfg.betas, weight_decay=cfg.weight_decay)
    ema = EMA(unwrap(model), cfg.ema_decay)
    return task, model, optimizer, ema


def native_bf16(device: torch.device) -> bool:
    """Whether bf16 matmuls run natively: any CUDA device, or a CPU with AVX-512 BF16 or AMX.

    Elsewhere (an AVX2-only CPU, say) bf16 is emulated and several times slower than fp32, which is
    why `precision="auto"` picks fp32 there.
    """
    if device.type == "cuda":
        return True
    if device.type != "cpu":
        return False
    try:
        flags = Path("/proc/cpuinfo").read_text()
    except OSError:
        return False
    return any(flag in flags.split() for flag in ("avx512_bf16", "amx_bf16"))


def resolve_precision(precision: str, device: torch.device) -> str:
    """ "auto" -> "bf16" where bf16 is native (see `native_bf16`), else "fp32"; others unchanged."""
    if precision != "auto":
        return precision
    return "bf16" if native_bf16(device) else "fp32"


def train_step(cfg, task, model, optimizer, dataset, step: int, info) -> dict:
    """One optimizer step (accum micro-steps); returns metrics (loss averaged over ranks)."""
    lr = lr_at(step, cfg)
    for group in optimizer.param_groups:
        group["lr"] = lr
    bf16 = resolve_precision(cfg.precision, info.device) == "bf16"
    autocast = torch.autocast(info.device.type, dtype=torch.bfloat16, enabled=bf16)
    total, tokens, extra = 0.0, 0, {}
    dp_rank, dp_size = tdist.data_parallel_coords(info, cfg.sp)  # a sequence group shares its batch
    for micro in range(cfg.accum):
        index = step * cfg.accum + micro
        batch = dataset.get_batch(index, cfg.batch, rank=dp_rank, world_size=dp_size)
        gen, rng = step_generators(cfg.seed, index, dp_rank)
        with autocast:
            loss, metrics, n_tokens = task.loss(model, batch, gen, rng)
        (loss / cfg.accum).backward()
        total += float(loss.detach()) / cfg.accum
        tokens += n_tokens * len(batch)
        for k, v in metrics.items():
            extra[k] = extra.get(k, 0.0) + v / cfg.accum
    params = [p for p in model.parameters() if p.grad is not None]
    if cfg.grad_clip > 0:
        norm = torch.nn.utils.clip_grad_norm_(params, cfg.grad_clip)
    else:
        norm = torch.nn.utils.get_total_norm([p.grad for p in params])
    norm = norm.full_tensor() if hasattr(norm, "full_tensor") else norm
    optimizer.step()
    optimizer.zero_grad(set_to_none=True)
    out = {"loss": tdist.all_reduce_mean(total, info.device), "lr": lr, "grad_norm": float(norm)}
    out.update({k: round(v, 6) for k, v in extra.items()})
    out["tokens"] = tokens * dp_size
    return out


def train(cfg: TrainConfig, *, resume: bool = False) -> Path:
    """Run (or resume) training; returns the run directory. Launch under torchrun for --dist."""
    from tqdm import tqdm

    if cfg.threads:
        torch.set_num_threads(cfg.threads)
    info = tdist.compute_init()
    run = Path(cfg.out)
    try:
        task, model, optimizer, ema = build(cfg, info)
        dataset = open_dataset(cfg.data, cfg.data_config, seed=cfg.seed)
        start = 0
        ckpt = latest_checkpoint(run) if resume else None
        if resume and ckpt is None and info.is_main:
            print(f"tenku train: no checkpoint in {run}; starting from step 0")
        if cfg.precision == "auto" and info.is_main:
            print(f"tenku train: precision auto -> {resolve_precision(cfg.precision, info.device)}")
        if ckpt is not None:
            _check_resume(run, cfg)
            state = load_checkpoint(ckpt, model, optimizer, ema)
            task.load_aux_state(ckpt, state)
            start = state["step"]
        elif info.is_main:
            run.mkdir(parents=True, exist_ok=True)
            _write_run_config(run, cfg, task.mcfg)
        metrics_path = run / "metrics.jsonl"
        if info.is_main:
            _truncate_metrics(metrics_path, start)
        end = cfg.stop or cfg.steps
        bar = tqdm(total=end, initial=start, disable=not (cfg.progress and info.is_main), unit="step")
        samples_per_step = cfg.batch * cfg.accum * tdist.data_parallel_coords(info, cfg.sp)[1]
        t_run = time.perf_counter()
        for step in range(start, end):
            t0 = time.perf_counter()
            m = train_step(cfg, task, model, optimizer, dataset, step, info)
            ema.update(unwrap(model), step)
            dt = time.perf_counter() - t0
            tokens = m.pop("tokens")
            m = {"step": step + 1, **m, "samples_per_s": samples_per_step / dt, "tokens_per_s": tokens / dt}
            m["elapsed_s"] = time.perf_counter() - t_run
            if info.is_main:
                with metrics_path.open("a") as f:
                    f.write(json.dumps(m) + "\n")
                bar.set_postfix(
                    loss=f"{m['loss']:.4f}", sps=f"{m['samples_per_s']:.2f}", tps=f"{m['tokens_per_s']:.0f}"
                )
                bar.update(1)
            done = step + 1
            sampling = cfg.sample_every and done % cfg.sample_every == 0
            if done % cfg.ckpt_every == 0 or done == end or sampling:
                weights = ema.full_state()
                extra = task.extra_state(weights, dataset) if info.is_main else {}
                if done % cfg.ckpt_every == 0 or done == end:
                    aux, aux_meta = task.aux_state()
                    save_checkpoint(
                        run, done, model, optimizer, ema, {**extra, **aux_meta}, cfg.keep_checkpoints, aux
                    )
                if sampling and info.is_main:
                    _write_samples(run, done, task.samples(weights, dataset), cfg.data_config.fps)
        bar.close()
        skipped = getattr(dataset, "skipped", {})
        if skipped and info.is_main:
            print(f"tenku train: skipped {len(skipped)} unreadable file(s): {sorted(skipped)[:5]}")
    finally:
        tdist.compute_cleanup()
    return run


def export(run_dir: str | Path, out: str | Path, *, vae: str | Path | None = None) -> Path:
    """Write an inference checkpoint from a DiT run: config.json, vae.safetensors, dit.safetensors.

    The DiT weights are the EMA weights of the latest checkpoint; the VAE is the one the run was
    trained on (its measured latent scaling is in config.json's model.vae), or `vae`: another VAE
    run or checkpoint with the same latent space (a decoder fine-tuned with freeze_encoder, deeper
    or not). `run_dir` may also be an exported checkpoint, to give its DiT another such decoder.
    """
    from safetensors.torch import load_file

    from tenku.dit import DiT
    from tenku.pipeline import InferenceConfig, save_checkpoint

    run_dir, out = Path(run_dir), Path(out)
    config_path = run_dir / "config.json"
    if not config_path.is_file():
        raise FileNotFoundError(f"{run_dir}: not a run directory (no config.json)")
    config = json.loads(config_path.read_text())
    if "train" not in config and (run_dir / "dit.safetensors").is_file():  # an exported checkpoint
        vae_mcfg, vae_model = load_vae(run_dir, torch.device("cpu"))
        dit_weights = load_file(run_dir / "dit.safetensors")
        inference = _from_dict(InferenceConfig, config.get("inference", {}))
        trained_on = str(run_dir)
    else:
        tcfg = make_config(config["train"])
        if tcfg.model != "dit":
            raise ValueError(f"{run_dir} is a {tcfg.model} run; export takes a DiT run (trained with --vae)")
        if tcfg.vae is None:
            raise ValueError(
                f"{run_dir} was trained from cached latents; its run config names no VAE to export"
            )
        ckpt = latest_checkpoint(run_dir)
        if ckpt is None:
            raise FileNotFoundError(f"{run_dir}: no checkpoint yet (checkpoints/latest missing)")
        vae_mcfg, vae_model = load_vae(tcfg.vae, torch.device("cpu"))
        dit_weights = load_file(ckpt / "ema.safetensors")
        trained = tcfg.data_config.bucket_list()
        from tenku.data import CACHE_INDEX, cache_buckets

        cache = Path(tcfg.data.removeprefix("cache:"))
        if tcfg.data.startswith("cache:") and (cache / CACHE_INDEX).is_file():
            trained = cache_buckets(cache)  # the cache's own clips, whatever buckets the run's config names
        videos = [b for b in trained if b.frames > 1] or trained
        first = videos[0]
        inference = InferenceConfig(
            width=first.width,
            height=first.height,
            seconds=max(first.frames - 1, 1) / tcfg.data_config.fps,
            sizes=tuple(dict.fromkeys((b.width, b.height) for b in videos)),
        )
        trained_on = tcfg.vae
    if vae is not None:
        other_mcfg, other = load_vae(vae, torch.device("cpu"))
        same_encoder = all(  # to float16, as a checkpoint stores them
            torch.equal(a.half(), b.half())
            for a, b in zip(
                vae_model.encoder.state_dict().values(), other.encoder.state_dict().values(), strict=True
            )
        )
        if not other_mcfg.vae.same_encoder(vae_mcfg.vae) or not same_encoder:
            raise ValueError(
                f"--vae {vae}: its latent space differs from the VAE {trained_on} the DiT was trained on "
                "(a different encoder or latent scaling); only a decoder fine-tuned with freeze_encoder fits"
            )
        vae_mcfg, vae_model = other_mcfg, other
    mcfg = dataclasses.replace(model_config_from_dict(config["model"]), vae=vae_mcfg.vae)
    dit = DiT(mcfg.dit)
    dit.load_state_dict(dit_weights)
    return save_checkpoint(out, config=mcfg, vae=vae_model, dit=dit, inference=inference, name=out.name)
