"""Where a model's flow loss lies: on the latent cells objects touch, or on the background.

    .venv/bin/python scripts/object_loss.py [--generator tenku/models/tenku-tiny] [--clips 64]

Scores `--clips` world clips of the training split (17x64x64, 1-4 objects, the scenes'
captions) at fixed noise levels t with fixed noise (seed 0), and prints per t the mean squared
velocity error on the cells an object touches (`tenku.data.latent_cover` above 0) and on the
rest, and the share of the whole error the object cells hold. Two models scored by this command
see the same clips and the same noise.
"""

from __future__ import annotations

import argparse

import numpy as np

TS = (0.1, 0.3, 0.5, 0.7, 0.9)
SEED_BASE = 60_000  # scene seeds SEED_BASE + 1, + 2, ...: the training split, away from other probes


def main() -> None:
    import torch

    from tenku import world
    from tenku.data import frames_to_tensor, latent_cover
    from tenku.flow import interpolate, velocity_target
    from tenku.pipeline import Generator

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--generator", default="tenku/models/tenku-tiny", help="a model name or directory")
    p.add_argument("--clips", type=int, default=64, help="world clips to score")
    p.add_argument("--threads", type=int, default=2, help="torch threads")
    args = p.parse_args()
    if args.clips < 1:
        p.error(f"--clips must be >= 1, got {args.clips}")
    torch.set_num_threads(args.threads)
    gen = Generator.load(args.generator)
    videos, masks, captions = [], [], []
    for seed in range(SEED_BASE + 1, SEED_BASE + 1 + args.clips):
        spec = world.sample_spec(seed, split="train", min_objects=1, max_objects=4, seconds=2.125)
        r = world.render(spec, width=64, height=64, fps=8, seconds=2.125, seed=seed)
        videos.append(frames_to_tensor(np.asarray(r.frames)[:17]))  # (3, 17, 64, 64)
        masks.append(torch.from_numpy(r.state.masks.any(axis=1)[:17])[None])  # (1, 17, 64, 64)
        captions.append(world.caption(spec, seed=seed, detailed=bool(seed % 2)))
    touched = latent_cover(torch.stack(masks), gen.vae.cfg) > 0
    with torch.no_grad():
        z = gen.vae.encode(torch.stack(videos))  # (N, C, 5, 8, 8)
        eps = torch.randn(z.shape, generator=torch.Generator().manual_seed(0))
        emb = gen.text.encode(captions, truncate=True)
        fps = torch.full((args.clips,), 8.0)
        print(
            f"{args.generator}: {args.clips} clips, object cells {float(touched.float().mean()):.1%} of all"
        )
        print("  t     objects   background   objects' share of the error")
        for t in TS:
            tt = torch.full((args.clips, z.shape[2]), t)
            pred = gen.dit(interpolate(z, eps, tt), tt, emb.tokens, emb.mask, fps=fps)
            err = (pred - velocity_target(z, eps)).pow(2).mean(dim=1, keepdim=True)  # (N, 1, T, H, W)
            obj, bg = err[touched].mean(), err[~touched].mean()
            share = err[touched].sum() / err.sum()
            print(f"  {t:.1f}   {obj:.4f}    {bg:.4f}       {share:.1%}")


if __name__ == "__main__":
    main()
