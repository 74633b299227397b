"""Make the README's sheets of generated clips with the shipped model, through the real CLI.

    .venv/bin/python scripts/readme_media.py [--model tenku-tiny] [--out docs]

Every clip is made by a `tenku generate` command (printed as it runs, provenance on, as a user
would get it); inputs for the conditioned modes are world renders (`tenku world sample
--prompt`). Writes docs/samples.png (one row per prompt: 8 frames of the 2-second clip) and
docs/modes.png (one row per mode; inputs in the first rows of each block), and the clips under
out/readme/. Seeds are fixed: the same model gives the same sheets.
"""

from __future__ import annotations

import argparse
import shlex
import subprocess
import sys
from pathlib import Path

import numpy as np

from tenku.io import contact_sheet, read_image, read_video, stack_rows, write_png

SAMPLES = (  # (prompt, size); the last two are held-out pairs the model never saw in training
    ("a red ball bounces across the room, flat colors", None),
    ("a blue box slides to the right, watercolor painting", None),
    ("two yellow balls fall and bounce on the floor, pencil sketch", None),
    ("a green triangle moves to the left, neon 1980s sci-fi", None),
    ("a purple star spins in place, pixel art", None),
    ("an orange ring rolls to the right, documentary film", None),
    ("a cyan ball is thrown to the right, flat colors", "96x64"),
    ("a red box falls onto the floor, watercolor painting", "96x64"),
    ("a red star moves to the right, flat colors", None),  # held out: red x star
    ("a ball bounces on the floor, pencil sketch", None),  # held out: bouncing x pencil
)


def tenku(*args: str) -> None:
    cmd = [str(Path(sys.executable).with_name("tenku")), *args]
    print("$ tenku " + shlex.join(args), flush=True)
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)


def world_clip(prompt: str, seed: int, path: Path) -> None:
    """A 2-second 64x64 world render of `prompt`: the input clips of the conditioned modes."""
    size = ("--width", "64", "--height", "64", "--fps", "8", "--seconds", "2")
    tenku("world", "sample", "--prompt", prompt, *size, "--seed", str(seed), "--out", str(path))


def frames(path: Path) -> np.ndarray:
    return read_video(path).frames


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--model", default="tenku-tiny")
    p.add_argument("--out", default="docs", help="folder for samples.png and modes.png")
    args = p.parse_args()
    clips = Path("out/readme")
    clips.mkdir(parents=True, exist_ok=True)
    model = ("--model", args.model)

    rows = []
    for i, (prompt, size) in enumerate(SAMPLES):
        path = clips / f"sample-{i}.mp4"
        tenku(
            "generate",
            prompt,
            *model,
            "--seed",
            str(i),
            *(("--size", size) if size else ()),
            "--out",
            str(path),
        )
        rows.append(contact_sheet(frames(path), count=8))
    write_png(stack_rows(rows), Path(args.out) / "samples.png")

    a, b = clips / "input-a.mp4", clips / "input-b.mp4"
    world_clip("a red ball rolls to the right", 1, a)
    world_clip("a blue box slides to the left", 2, b)
    first = clips / "input-a-first.png"
    write_png(frames(a)[0], first)
    modes = [
        ("t2v", ["a green ball bounces across the room", "--seed", "3"]),
        ("i2v", ["a red ball rolls to the right", "--image", str(first)]),
        ("extend", ["a red ball rolls to the right", "--extend", str(a), "--seconds", "2"]),
        (
            "extend-back",
            ["a red ball rolls to the right", "--extend", str(a), "--backward", "--seconds", "2"],
        ),
        ("loop", ["a yellow star spins in place", "--loop", "--seconds", "3"]),
        ("connect", ["a ball and a box", "--connect", str(a), str(b), "--seconds", "1"]),
        ("edit", ["a blue ball rolls to the right, pencil sketch", "--edit", str(a), "--strength", "0.6"]),
        ("minute", ["a red ball bounces across the room", "--seconds", "60"]),
    ]
    rows = [contact_sheet(frames(a), count=8), contact_sheet(frames(b), count=8)]
    for name, rest in modes:
        path = clips / f"mode-{name}.mp4"
        tenku("generate", rest[0], *model, *rest[1:], "--out", str(path))
        rows.append(contact_sheet(frames(path), count=16 if name == "minute" else 8))
    image = clips / "mode-t2i.png"
    tenku("generate", "a purple box on the floor, watercolor painting", *model, "--out", str(image))
    rows.append(read_image(image))
    write_png(stack_rows(rows), Path(args.out) / "modes.png")
    print(f"wrote {args.out}/samples.png and {args.out}/modes.png")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
