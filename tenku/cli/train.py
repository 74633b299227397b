"""`tenku train vae|dit ...` and `tenku train export RUN_DIR --out CKPT_DIR`.

tenku train vae --preset tiny --data world --out runs/vae --steps 2000 --batch 8
tenku train dit --preset tiny --data world --vae runs/vae --out runs/dit --steps 20000
tenku train dit --preset tiny --data cache:latents/ --out runs/dit      # cached latents + text
tenku train dit ... --resume                                             # continue exactly
tenku train dit ... --config overrides.toml                              # any TrainConfig field
torchrun --nproc_per_node=2 -m tenku.cli train dit ... --dist fsdp
tenku train export runs/dit --out ckpt/tenku-tiny
tenku train recipe tenku-tiny [--out runs/recipe-tenku-tiny] [--install] [--status] [--stage S]   # VAE, DiT, export
"""

from __future__ import annotations

import argparse


def _bucket(text: str) -> tuple[int, int, int]:
    try:
        f, h, w = (int(v) for v in text.lower().split("x"))
    except ValueError as e:
        raise argparse.ArgumentTypeError(
            f"bucket must be FRAMESxHEIGHTxWIDTH, e.g. 17x64x64; got {text!r}"
        ) from e
    return f, h, w


def _add_run_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--preset", default=None, help="model preset (tenku.config.PRESETS), default tiny")
    p.add_argument("--data", default=None, help="'world', a folder with captions.jsonl/.csv, or cache:DIR")
    p.add_argument("--out", default=None, help="run directory (default runs/MODEL-PRESET)")
    p.add_argument("--steps", type=int, default=None, help="optimizer steps in total")
    p.add_argument(
        "--stop", type=int, default=None, help="end at this step, part way along the --steps schedule"
    )
    p.add_argument("--batch", type=int, default=None, help="clips per process per micro-step")
    p.add_argument("--accum", type=int, default=None, help="gradient accumulation micro-steps")
    p.add_argument("--lr", type=float, default=None, help="peak learning rate")
    p.add_argument(
        "--precision", choices=("fp32", "bf16", "auto"), default=None, help="auto: bf16 where it is native"
    )
    p.add_argument("--vae", default=None, help="DiT: VAE run directory or exported checkpoint")
    p.add_argument("--bucket", type=_bucket, action="append", default=None, help="FxHxW, repeatable")
    p.add_argument("--seed", type=int, default=None)
    p.add_argument("--ckpt-every", type=int, default=None)
    p.add_argument("--sample-every", type=int, default=None, help="0 disables sample videos")
    p.add_argument("--threads", type=int, default=None, help="torch CPU threads")
    p.add_argument("--checkpointing", action="store_true", default=None, help="activation checkpointing")
    p.add_argument("--init", default=None, help="start from this run's or checkpoint's weights (VAE or DiT)")
    p.add_argument(
        "--freeze-encoder",
        action="store_true",
        default=None,
        help="VAE: fine-tune the decoder only (needs --init)",
    )
    p.add_argument(
        "--object-weight",
        type=float,
        default=None,
        help="world data: object pixels weigh 1 + this in the VAE's reconstruction loss; the latent "
        "cells objects touch weigh 1 + this in the DiT's (normalised to mean 1 per clip)",
    )
    p.add_argument(
        "--edge-weight",
        type=float,
        default=None,
        help="VAE: weight of a loss on the error of neighbouring pixels' differences (0 disables)",
    )
    p.add_argument(
        "--adv-weight",
        type=float,
        default=None,
        help="VAE: patch-discriminator loss, scaled to this x the reconstruction gradient (0 disables); "
        "meant for fine-tuning a trained decoder (--init, --freeze-encoder)",
    )
    p.add_argument(
        "--motion-weight",
        type=float,
        default=None,
        help="DiT: latent positions that change between frames weigh up to about 1 + this in the loss",
    )
    p.add_argument(
        "--diff-weight",
        type=float,
        default=None,
        help="DiT: weight of a loss on the change between consecutive latent frames (0 disables)",
    )
    p.add_argument(
        "--swap-weight",
        type=float,
        default=None,
        help="DiT: weight of a hinge that makes the error under a caption with left and right exchanged "
        "exceed the true caption's (0 disables)",
    )
    p.add_argument(
        "--swap-margin",
        type=float,
        default=None,
        help="DiT: how much worse (a fraction) the swapped caption's error must be; default 0.05",
    )
    p.add_argument(
        "--logit-mean",
        type=float,
        default=None,
        help="DiT: mean of the logit-normal training timestep density (default: the preset's, 0); "
        "above 0 trains more at high noise, where a clip's layout is decided",
    )
    p.add_argument("--dist", choices=("none", "ddp", "fsdp"), default=None, help="under torchrun")
    p.add_argument("--sp", type=int, default=None, help="sequence-parallel size (Ulysses)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.add_argument("--resume", action="store_true", help="continue from OUT/checkpoints/latest")
    p.add_argument("--config", default=None, help="JSON/TOML file of TrainConfig fields (flags win)")


def add_parser(sub) -> None:
    parser = sub.add_parser("train", help="train the VAE or the DiT; export a checkpoint")
    what = parser.add_subparsers(dest="train_what", required=True, metavar="{vae,dit,export,recipe}")
    for name in ("vae", "dit"):
        p = what.add_parser(name, help=f"train the {name.upper()}")
        _add_run_args(p)
        p.set_defaults(func=run, model=name)
    p = what.add_parser("export", help="write an inference checkpoint from a DiT run")
    p.add_argument("run_dir", help="DiT run directory")
    p.add_argument("--out", required=True, help="checkpoint directory to write")
    p.add_argument("--vae", default=None, help="a decoder fine-tune of the run's VAE to ship instead")
    p.set_defaults(func=export_cmd)
    p = what.add_parser("recipe", help="train a shipped model from nothing (resumable), then export it")
    p.add_argument("name", help="recipe name, e.g. tenku-tiny")
    p.add_argument("--out", default=None, help="recipe directory (default runs/recipe-NAME)")
    p.add_argument("--threads", type=int, default=0, help="torch CPU threads (0: torch's default)")
    p.add_argument("--install", action="store_true", help="export into the package (tenku/models/NAME)")
    p.add_argument("--status", action="store_true", help="print each stage's progress and exit")
    p.add_argument(
        "--stage", default=None, help="run only this stage (e.g. cache-objects), without the export"
    )
    p.set_defaults(func=recipe_cmd)


def config_from_args(args) -> object:
    """TrainConfig from (config file, then flags)."""
    import dataclasses

    from tenku.data import DataConfig
    from tenku.train import load_config_file, make_config

    values = load_config_file(args.config) if args.config else {}
    values["model"] = args.model
    flags = {
        "preset": args.preset,
        "data": args.data,
        "out": args.out,
        "steps": args.steps,
        "stop": args.stop,
        "batch": args.batch,
        "accum": args.accum,
        "lr": args.lr,
        "precision": args.precision,
        "vae": args.vae,
        "seed": args.seed,
        "ckpt_every": args.ckpt_every,
        "sample_every": args.sample_every,
        "threads": args.threads,
        "checkpointing": args.checkpointing,
        "init": args.init,
        "freeze_encoder": args.freeze_encoder,
        "object_weight": args.object_weight,
        "edge_weight": args.edge_weight,
        "adv_weight": args.adv_weight,
        "motion_weight": args.motion_weight,
        "diff_weight": args.diff_weight,
        "swap_weight": args.swap_weight,
        "swap_margin": args.swap_margin,
        "logit_mean": args.logit_mean,
        "dist": args.dist,
        "sp": args.sp,
    }
    values.update({k: v for k, v in flags.items() if v is not None})
    if args.no_progress:
        values["progress"] = False
    values.setdefault("out", f"runs/{args.model}-{values.get('preset', 'tiny')}")
    cfg = make_config(values)
    if args.bucket:
        cfg = dataclasses.replace(
            cfg, data_config=dataclasses.replace(cfg.data_config, buckets=tuple(args.bucket))
        )
        DataConfig.__post_init__(cfg.data_config)
    return cfg


def run(args) -> int:
    from tenku.train import train

    cfg = config_from_args(args)
    run_dir = train(cfg, resume=args.resume)
    print(f"tenku train: run in {run_dir}")
    return 0


def export_cmd(args) -> int:
    from tenku.train import export

    out = export(args.run_dir, args.out, vae=args.vae)
    print(f"tenku train export: wrote {out}")
    return 0


def recipe_cmd(args) -> int:
    from pathlib import Path

    from tenku.recipe import run_recipe, status

    root = Path(args.out or f"runs/recipe-{args.name}")
    if args.status:
        print("\n".join(status(args.name, root)))
        return 0
    out = run_recipe(args.name, root, threads=args.threads, install=args.install, only=args.stage)
    print(
        f"tenku train recipe: stage {args.stage} done"
        if out is None
        else f"tenku train recipe: exported {out}"
    )
    return 0
