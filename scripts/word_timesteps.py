"""How fast a fresh DiT learns layout words against colour words, per training timestep density.

    .venv/bin/python scripts/word_timesteps.py [--steps 400] [--logit-mean 0 1] [--seed 0]

A synthetic task with nothing but the caption to go on: a latent blob (16 channels, 2x8x8 latent
cells) whose place or colour vector is set by one word of three caption pairs: "on the left" /
"on the right" (column 0-2 or 5-7), "at the top" / "at the bottom" (row 0-2 or 5-7) and "a red
ball" / "a blue ball" (two fixed random vectors). A DiT of the shipped model's shape, freshly
initialised, trains on the flow loss (batches mixing the three pairs, MiniLM token states) once
per logit-normal mean. Every 100 steps it prints, per pair and noise level t, how much larger the
error is under the pair's other caption than under the true one (the same noise both times): 0
for a model blind to the words. A layout word can only help where the noise hides the blob, so
the gap that counts is at high t.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import torch

PAIRS = {
    "side": ("a red ball on the left", "a red ball on the right"),
    "height": ("a red ball at the top", "a red ball at the bottom"),
    "colour": ("a red ball", "a blue ball"),
}
C, T, H, W = 16, 2, 8, 8  # latent channels and cells
LEVELS = (0.5, 0.9)  # noise levels of the printed gaps
CONFIG = Path(__file__).resolve().parents[1] / "tenku" / "models" / "tenku-tiny" / "config.json"


class Task:
    """Blob latents and the padded token states of their captions."""

    def __init__(self, seed: int):
        from tenku.config import TextConfig
        from tenku.text import TextEncoder

        gen = torch.Generator().manual_seed(seed + 1)
        self.colours = torch.randn(2, C, generator=gen)  # (2, C): red, blue
        from tenku.data import stack_texts

        encoder = TextEncoder(TextConfig())
        embs = [encoder.encode(list(v)) for v in PAIRS.values()]
        tokens, masks = stack_texts(*((e.tokens, e.mask) for e in embs))  # (6, L, 384), (6, L)
        keys = [(k, b) for k in PAIRS for b in (0, 1)]
        self.states = {key: (tokens[i], masks[i]) for i, key in enumerate(keys)}
        self.yy, self.xx = torch.meshgrid(torch.arange(H).float(), torch.arange(W).float(), indexing="ij")

    def latent(self, kind: str, b: int, gen: torch.Generator) -> torch.Tensor:
        """(C, T, H, W) blob for caption b of pair `kind`."""
        y, x = (int(v) for v in torch.randint(0, H, (2,), generator=gen))
        near = int(torch.randint(0, 3, (), generator=gen)) + 5 * b  # cell 0-2 or 5-7
        x, y = (near, y) if kind == "side" else (x, near) if kind == "height" else (x, y)
        colour = self.colours[b if kind == "colour" else 0]
        bump = torch.exp(-((self.yy - y) ** 2 + (self.xx - x) ** 2) / 2.0)  # (H, W)
        return 1.5 * colour[:, None, None, None] * bump.expand(T, H, W)

    def batch(self, n: int, gen: torch.Generator, *, swap: bool = False):
        """x0 (n, C, T, H, W), token states (n, L, 384), mask (n, L), kinds; swap: the other captions."""
        kinds = [(list(PAIRS)[i % 3], i // 3 % 2) for i in range(n)]
        x0 = torch.stack([self.latent(k, b, gen) for k, b in kinds])
        states = [self.states[(k, 1 - b if swap else b)] for k, b in kinds]
        return x0, torch.stack([s[0] for s in states]), torch.stack([s[1] for s in states]), kinds


def errors(model, x0, text, mask, t, gen) -> torch.Tensor:
    """Per-clip flow loss (n,) at timesteps t (n,)."""
    from tenku.flow import flow_loss, interpolate, velocity_target

    eps = torch.randn(x0.shape, generator=gen)
    v = model(interpolate(x0, eps, t), t[:, None].expand(-1, T), text, mask)
    return flow_loss(v, velocity_target(x0, eps))[1]


def gaps(model, task: Task, n: int = 60) -> dict[str, float]:
    """Relative error increase under the other caption, per pair and noise level."""
    x0, text, mask, kinds = task.batch(n, torch.Generator().manual_seed(123))
    _, s_text, s_mask, _ = task.batch(n, torch.Generator().manual_seed(123), swap=True)
    out = {}
    model.eval()
    with torch.no_grad():
        for level in LEVELS:
            t = torch.full((n,), level)
            true = errors(model, x0, text, mask, t, torch.Generator().manual_seed(7))
            other = errors(model, x0, s_text, s_mask, t, torch.Generator().manual_seed(7))
            for kind in PAIRS:
                rows = [i for i, (k, _) in enumerate(kinds) if k == kind]
                out[f"{kind}@{level}"] = round(float(other[rows].mean() / true[rows].mean()) - 1, 3)
    model.train()
    return out


def train(task: Task, logit_mean: float, steps: int, seed: int, batch: int) -> None:
    from tenku.config import DiTConfig
    from tenku.dit import DiT

    values = json.loads(CONFIG.read_text())["model"]["dit"]
    values["patch_size"] = tuple(values["patch_size"])
    torch.manual_seed(seed)
    model = DiT(DiTConfig(**values))
    opt = torch.optim.AdamW(model.parameters(), lr=3e-4, weight_decay=0.0)
    gen = torch.Generator().manual_seed(seed)
    start = time.time()
    for step in range(1, steps + 1):
        x0, text, mask, _ = task.batch(batch, gen)
        t = torch.sigmoid(logit_mean + torch.randn(batch, generator=gen))  # (batch,) logit-normal
        loss = errors(model, x0, text, mask, t, gen).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        if step % 100 == 0 or step == steps:
            line = " ".join(f"{k} {v:+.3f}" for k, v in gaps(model, task).items())
            print(f"logit mean {logit_mean:g} step {step} loss {loss.item():.4f} ({time.time() - start:.0f} s): {line}", flush=True)  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=400)
    ap.add_argument("--logit-mean", type=float, nargs="+", default=[0.0, 1.0])
    ap.add_argument(
        "--batch", type=int, default=18, help="clips per step (a multiple of 6 mixes the pairs evenly)"
    )
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    task = Task(args.seed)
    for mean in args.logit_mean:
        train(task, mean, args.steps, args.seed, args.batch)


if __name__ == "__main__":
    main()
