"""Whether a model reads "left" and "right": prompt pairs that differ in those words alone.

    .venv/bin/python scripts/side_words.py [--generator tenku/models/tenku-tiny] [--seeds 12]

For each pair (a ball rolling left or right, placed on the left or right, moving up or down as a
reference the model does read), the same seeds generate both prompts (64x64, 2 s at 8 fps). Per
prompt: where the parser's longest track starts and which way it goes (pixels, y down), and per
pair the mean absolute difference of the two clips' pixels (of 255): a model blind to the words
gives the same clips, the same counts for both and a difference near 0.

With `--loss-clips N` it also scores N world clips of the training split that have an object
moving left or right (17x64x64) by the flow loss at fixed noise levels t, under the true caption
and under it with left and right exchanged (`tenku.text.swap_sides`, the mirror image's caption):
a model that reads the words errs more under the swapped one on nearly every clip.
"""

from __future__ import annotations

import argparse

import numpy as np

STYLE = " Flat vector animation. Shot with a static camera."
PAIRS = {
    "rolling": ("A large red ball rolling to the left.", "A large red ball rolling to the right."),
    "placed": ("A large red ball near the left edge sitting still.", "A large red ball near the right edge sitting still."),
    "vertical": ("A large blue box moving upward.", "A large blue box moving downward."),
}  # fmt: skip
MOVE_PX = 1.0  # a track that moves less than this many pixels along an axis counts as still there


def track_summary(frames: np.ndarray, fps: float) -> tuple[float, float, float] | None:
    """(start x, dx, dy) in pixels of the parser's longest track, or None when it finds none."""
    from tenku.bench.parse import parse_video

    parsed = parse_video(frames, fps)
    track = max(parsed.tracks, key=lambda tr: int(tr.present.sum()), default=None)
    if track is None or track.present.sum() < 4:
        return None
    c = track.centroid[track.present]  # (K, 2) x, y pixels
    return float(c[0, 0]), float(c[-1, 0] - c[0, 0]), float(c[-1, 1] - c[0, 1])


def swap_losses(model: str, clips: int, ts: tuple[float, ...] = (0.1, 0.3, 0.5, 0.7, 0.85, 0.95)) -> None:
    """Print the mean flow loss per t under true, swapped and empty captions (fixed noise, seed 0)."""
    import torch

    from tenku import world
    from tenku.flow import interpolate, velocity_target
    from tenku.pipeline import Generator
    from tenku.text import swap_sides

    gen = Generator.load(model)
    videos, captions, seed = [], [], 0
    while len(videos) < clips:
        seed += 1
        spec = world.sample_spec(50_000 + seed, split="train", min_objects=1, max_objects=2, seconds=2.125)
        if not any(o.direction and o.direction.endswith(("left", "right")) for o in spec.objects):
            continue
        r = world.render(spec, width=64, height=64, fps=8, seconds=2.125, seed=50_000 + seed)
        videos.append(torch.from_numpy(np.asarray(r.frames)[:17]).permute(3, 0, 1, 2).float() / 127.5 - 1)
        captions.append(world.caption(spec, seed=seed, detailed=bool(seed % 2)))
    with torch.no_grad():
        z = gen.vae.encode(torch.stack(videos))  # (N, C, 5, 8, 8)
        eps = torch.randn(z.shape, generator=torch.Generator().manual_seed(0))
        fps = torch.full((clips,), 8.0)
        losses = {}
        for name, texts in (
            ("true", captions),
            ("swapped", [swap_sides(c) for c in captions]),
            ("empty", [""] * clips),
        ):
            emb = gen.text.encode(texts, truncate=True)
            for t in ts:
                tt = torch.full((clips, z.shape[2]), t)
                pred = gen.dit(interpolate(z, eps, tt), tt, emb.tokens, emb.mask, fps=fps)
                losses[name, t] = (pred - velocity_target(z, eps)).pow(2).mean(dim=(1, 2, 3, 4))
    print(f"  flow loss on {clips} clips with a left or right mover (true / swapped / empty caption):")
    for t in ts:
        true, swapped = losses["true", t], losses["swapped", t]
        print(f"    t {t:.2f}: {true.mean():.4f} / {swapped.mean():.4f} / {losses['empty', t].mean():.4f}; "
              f"swapped worse on {int((swapped > true).sum())} of {clips}")  # fmt: skip


def main() -> None:
    import torch

    from tenku.bench.generators import PipelineGenerator

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--generator", default="tenku/models/tenku-tiny", help="a model name or directory")
    p.add_argument("--seeds", type=int, default=12, help="seeds per prompt")
    p.add_argument("--threads", type=int, default=2, help="torch threads")
    p.add_argument("--loss-clips", type=int, default=0, help="also score this many clips' flow loss")
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    gen = PipelineGenerator(args.generator)
    print(f"{args.generator}, seeds 0..{args.seeds - 1}")
    for name, prompts in PAIRS.items():
        clips = [
            [np.asarray(gen(text + STYLE, seconds=2, fps=8, width=64, height=64, seed=s, cond_frames=None))
             for s in range(args.seeds)]
            for text in prompts
        ]  # fmt: skip
        diff = np.mean([np.abs(a.astype(np.float64) - b).mean() for a, b in zip(*clips, strict=True)])
        print(f"  {name}: clips differ by {diff:.2f} of 255 on average")
        for text, runs in zip(prompts, clips, strict=True):
            found = [s for s in (track_summary(c, 8.0) for c in runs) if s is not None]
            x0, dx, dy = (np.array([f[k] for f in found]) for k in range(3))
            print(
                f"    {text:52s} lost {len(runs) - len(found)}; starts left {int((x0 < 24).sum())} "
                f"middle {int(((x0 >= 24) & (x0 <= 40)).sum())} right {int((x0 > 40).sum())}; "
                f"goes left {int((dx < -MOVE_PX).sum())} right {int((dx > MOVE_PX).sum())} "
                f"up {int((dy < -MOVE_PX).sum())} down {int((dy > MOVE_PX).sum())}"
            )
    if args.loss_clips:
        swap_losses(args.generator, args.loss_clips)


if __name__ == "__main__":
    main()
