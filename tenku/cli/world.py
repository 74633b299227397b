"""`tenku world ...`: render, export and benchmark the built-in world simulator.

tenku world sample --seed 3 --out clip.mp4 [--width 256 --height 256 --fps 24 --seconds 2
                   --style NAME --split train --prompt TEXT]
    writes clip.mp4, clip.json (the spec) and clip.png (a contact sheet); prints the caption
tenku world dataset --count 1000 --out DIR [--workers 2 --split train --width 128 --height 128
                    --fps 12 --seconds 2 --masks]
    writes DIR/videos/*.mp4, DIR/state/*.npz (ground truth), DIR/captions.jsonl; resumable:
    finished items (DIR/items/*.json, written last and atomically) are skipped on a rerun
tenku world bench [--count 8 --seconds 2 --fps 24]
    prints rendered frames/s at 64x64, 128x128 and 256x256 for every style (one process)
tenku world sheet --out docs/world_styles.png
    a contact sheet: one row per style, the same scene
"""

from __future__ import annotations

import json
import time
from pathlib import Path


def add_parser(sub) -> None:
    parser = sub.add_parser("world", help="the built-in world simulator: sample, dataset, bench, sheet")
    world = parser.add_subparsers(dest="world_command", required=True, metavar="ACTION")

    p = world.add_parser("sample", help="render one scene to MP4 + spec JSON + contact sheet PNG")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", required=True, help="output .mp4 path (the .json and .png go beside it)")
    _add_render_args(p, width=256, height=256, fps=24.0, seconds=2.0)
    p.add_argument("--style", default=None, help="override the style")
    p.add_argument("--split", default="train", help="train, id, ood or combo")
    p.add_argument("--prompt", default=None, help="render what this prompt describes instead")
    p.set_defaults(func=_sample)

    p = world.add_parser("dataset", help="write a captioned dataset with ground-truth state")
    p.add_argument("--count", type=int, required=True)
    p.add_argument("--out", required=True, help="output directory")
    p.add_argument("--workers", type=int, default=1)
    p.add_argument("--split", default="train", help="train, id, ood or combo")
    p.add_argument("--seed-offset", type=int, default=0, help="item i uses seed offset + i")
    p.add_argument("--masks", action="store_true", help="store instance masks in the state files")
    _add_render_args(p, width=128, height=128, fps=12.0, seconds=2.0)
    p.set_defaults(func=_dataset)

    p = world.add_parser("bench", help="print renderer frames/s per style and size")
    p.add_argument("--count", type=int, default=8, help="scenes per measurement")
    p.add_argument("--seconds", type=float, default=2.0)
    p.add_argument("--fps", type=float, default=24.0)
    p.set_defaults(func=_bench)

    p = world.add_parser("sheet", help="contact sheet of every style (one row each)")
    p.add_argument("--out", required=True)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--width", type=int, default=192)
    p.add_argument("--height", type=int, default=128)
    p.set_defaults(func=_sheet)


def _add_render_args(p, *, width: int, height: int, fps: float, seconds: float) -> None:
    p.add_argument("--width", type=int, default=width)
    p.add_argument("--height", type=int, default=height)
    p.add_argument("--fps", type=float, default=fps)
    p.add_argument("--seconds", type=float, default=seconds)


def _sample(args) -> int:
    from tenku.io import atomic_path, contact_sheet, write_mp4, write_png
    from tenku.world import caption, render, sample_spec, spec_from_prompt

    if args.prompt is not None:
        spec = spec_from_prompt(args.prompt, seed=args.seed, seconds=args.seconds)
    else:
        spec = sample_spec(args.seed, split=args.split, seconds=args.seconds)
    if args.style is not None:
        spec = spec.replace(style=args.style).validate()
    out = Path(args.out)
    result = render(
        spec, width=args.width, height=args.height, fps=args.fps, seconds=args.seconds, seed=args.seed
    )
    write_mp4(result.frames, out, args.fps)
    with atomic_path(out.with_suffix(".json")) as tmp:
        tmp.write_text(spec.to_json() + "\n")
    write_png(contact_sheet(result.frames, count=8), out.with_suffix(".png"))
    print(caption(spec, seed=args.seed))
    return 0


def _item_path(out, index: int):
    """The per-item record, written last: its presence marks a finished item (resume)."""
    return out / "items" / f"{index:07d}.json"


def _render_item(job: tuple) -> dict:
    """Render, write and record one dataset item; returns its captions.jsonl record."""
    from tenku.io import atomic_path, write_mp4
    from tenku.world import caption, render, sample_spec

    out, index, seed, split, width, height, fps, seconds, masks = job
    spec = sample_spec(seed, split=split, seconds=seconds)
    result = render(spec, width=width, height=height, fps=fps, seconds=seconds, seed=seed)
    name = f"{index:07d}"
    write_mp4(result.frames, out / "videos" / f"{name}.mp4", fps)
    result.state.to_npz(out / "state" / f"{name}.npz", masks=masks)
    record = {
        "path": f"videos/{name}.mp4",
        "caption": caption(spec, seed=seed),
        "detailed_caption": caption(spec, seed=seed, detailed=True),
        "state": f"state/{name}.npz",
        "seed": seed,
        "split": split,
        "frames": int(result.frames.shape[0]),
        "fps": fps,
        "spec": json.loads(spec.to_json()),
    }
    with atomic_path(_item_path(out, index)) as tmp:  # written last: marks the item done
        tmp.write_text(json.dumps(record) + "\n")
    return record


def _dataset(args) -> int:
    from tqdm import tqdm

    from tenku.io import atomic_path
    from tenku.world import SPLITS

    if args.count < 1 or args.workers < 1:
        raise ValueError(f"--count and --workers must be >= 1, got {args.count}, {args.workers}")
    if args.split not in SPLITS:
        raise ValueError(f"--split must be one of {list(SPLITS)}, got {args.split!r}")
    out = Path(args.out)
    (out / "items").mkdir(parents=True, exist_ok=True)
    jobs = [
        (
            out,
            i,
            args.seed_offset + i,
            args.split,
            args.width,
            args.height,
            args.fps,
            args.seconds,
            args.masks,
        )
        for i in range(args.count)
        if not _item_path(out, i).exists()
    ]
    skipped = args.count - len(jobs)
    bar = tqdm(total=args.count, initial=skipped, desc="world dataset", unit="clip")
    if args.workers == 1:
        for job in jobs:
            _render_item(job)
            bar.update()
    else:
        import multiprocessing as mp

        with mp.get_context("spawn").Pool(args.workers) as pool:
            for _ in pool.imap_unordered(_render_item, jobs):
                bar.update()
    bar.close()
    lines = [_item_path(out, i).read_text().strip() for i in range(args.count)]
    with atomic_path(out / "captions.jsonl") as tmp:
        tmp.write_text("\n".join(lines) + "\n")
    print(f"{args.count} clips in {out} ({skipped} already there); captions in {out / 'captions.jsonl'}")
    return 0


def _bench(args) -> int:
    from tenku.world import STYLES, render, sample_spec

    specs = [sample_spec(i) for i in range(args.count)]
    sizes = (64, 128, 256)
    print(f"world renderer, one process ({args.count} scenes x {args.seconds:g} s at {args.fps:g} fps)")
    print("frames/s by wall clock, and in brackets per CPU-second of this process (robust to a busy machine)")
    print(f"{'style':<12}" + "".join(f"{f'{s}x{s}':>16}" for s in sizes))
    for style in STYLES:
        row = []
        for size in sizes:
            frames, start, cpu = 0, time.perf_counter(), time.process_time()
            for spec in specs:
                r = render(
                    spec.replace(style=style), width=size, height=size, fps=args.fps, seconds=args.seconds
                )
                frames += r.frames.shape[0]
            row.append(
                f"{frames / (time.perf_counter() - start):.0f} ({frames / (time.process_time() - cpu):.0f})"
            )
        print(f"{style:<12}" + "".join(f"{v:>16}" for v in row), flush=True)
    return 0


def _sheet(args) -> int:
    from tenku.io import contact_sheet, stack_rows, write_png
    from tenku.world import STYLES, ObjectSpec, OccluderSpec, SceneSpec, render

    objects = (
        ObjectSpec(
            shape="ball",
            color="red",
            size="large",
            motion="rolling",
            direction="right",
            speed="medium",
            x=1.5,
            y=0.85,
        ),
        ObjectSpec(
            shape="star",
            color="yellow",
            size="medium",
            motion="bouncing",
            direction="left",
            speed="slow",
            x=8.0,
            y=4.0,
        ),
        ObjectSpec(shape="box", color="blue", size="large", motion="spinning", speed="medium", x=4.6, y=3.2),
        ObjectSpec(
            shape="triangle",
            color="green",
            size="medium",
            motion="thrown",
            direction="up-right",
            speed="fast",
            x=1.0,
            y=1.0,
        ),
    )
    spec = SceneSpec(
        objects=objects,
        occluders=(OccluderSpec(kind="pillar", x=7.0),),
        background="meadow",
        camera="pan-right",
    )
    rows = []
    for style in STYLES:
        r = render(spec.replace(style=style), width=args.width, height=args.height, fps=6.0, seed=args.seed)
        rows.append(contact_sheet(r.frames, count=6))
    write_png(stack_rows(rows), args.out)
    print(f"{args.out}: rows = {', '.join(STYLES)}")
    return 0
