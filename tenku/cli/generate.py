"""`tenku generate PROMPT --out OUT.mp4|OUT.png [options]`: every generation mode from the command line.

Exit codes: 0 written; 2 bad input (nothing written); 3 refused by the safety policy (nothing
written); 4 safety could not load (fail closed).
"""

from __future__ import annotations

import argparse
import sys
import time


def _size(text: str) -> tuple[int, int]:
    try:
        w, h = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"size must be WIDTHxHEIGHT like 64x64, got {text!r}") from None
    return w, h


def _keyframe(text: str) -> tuple[float, str]:
    time_text, sep, path = text.partition(":")
    try:
        if not sep or not path:
            raise ValueError
        return float(time_text), path
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"keyframe must be SECONDS:IMAGE like 1.5:key.png, got {text!r}"
        ) from None


def add_parser(sub) -> None:
    p = sub.add_parser("generate", help="generate a video (or an image) from a prompt")
    p.add_argument("prompt", help="what to generate")
    p.add_argument("--out", required=True, help="output file: .mp4 for video, .png for an image")
    p.add_argument(
        "--model", default=None, help="shipped model name or checkpoint directory (default: tenku-tiny)"
    )
    p.add_argument(
        "--seconds", type=float, default=None, help="duration; with --extend/--connect the new part"
    )
    p.add_argument("--fps", type=float, default=None, help="frames per second (default: the model's)")
    p.add_argument("--size", type=_size, default=None, help="WIDTHxHEIGHT, multiples of the model's grid")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--steps", type=int, default=None, help="sampler steps (default: the model's)")
    p.add_argument("--guidance", type=float, default=None, help="classifier-free guidance scale")
    p.add_argument("--negative", default="", help="negative prompt (the unconditional side of guidance)")
    p.add_argument("--image", help="image-to-video: the first frame")
    p.add_argument("--extend", metavar="CLIP", help="extend this clip by --seconds")
    p.add_argument("--backward", action="store_true", help="with --extend: generate what came before")
    p.add_argument("--loop", action="store_true", help="a seamless loop")
    p.add_argument(
        "--connect", nargs=2, metavar=("A", "B"), help="generate --seconds of video from clip A to clip B"
    )
    p.add_argument("--edit", metavar="CLIP", help="re-render this clip under the prompt (SDEdit)")
    p.add_argument("--strength", type=float, default=0.6, help="with --edit: how much to change, (0, 1]")
    p.add_argument(
        "--keyframe",
        type=_keyframe,
        action="append",
        default=[],
        metavar="T:IMG",
        help="hold IMG at T seconds",
    )
    p.add_argument("--dtype", choices=("float32", "bfloat16"), default="float32", help="inference precision")
    p.add_argument("--policy", help="safety policy TOML (default: the shipped policy)")
    p.add_argument("--visible-mark", action="store_true", help="add the small visible 'tenku' label")
    p.add_argument(
        "--no-provenance",
        action="store_true",
        help="write without watermark and C2PA manifest (recorded in the log; off only when asked)",
    )
    p.set_defaults(func=run)


def _read_inputs(args, fps: float, width: int, height: int) -> dict:
    from tenku.io import read_image, read_video

    size = (width, height)
    inputs = {}
    if args.image:
        inputs["image"] = read_image(args.image, size=size)
    if args.extend:
        inputs["extend"] = read_video(args.extend, fps=fps, size=size).frames
    if args.edit:
        inputs["edit"] = read_video(args.edit, fps=fps, size=size).frames
    if args.connect:
        inputs["connect"] = tuple(read_video(c, fps=fps, size=size).frames for c in args.connect)
    if args.keyframe:
        inputs["keyframes"] = tuple((t, read_image(path, size=size)) for t, path in args.keyframe)
    return inputs


def run(args) -> int:
    start = time.perf_counter()
    from tqdm import tqdm

    from tenku.cli import CommandError
    from tenku.pipeline import (
        DEFAULT_MODEL,
        GenerationRequest,
        Generator,
        generate_to_file,
        resolve_checkpoint,
    )
    from tenku.provenance import ProvenanceConfig
    from tenku.safety import Policy, SafetyRefusal, SafetyUnavailable
    from tenku.safety.decision import REFUSAL_EXIT_CODE, UNAVAILABLE_EXIT_CODE

    if not args.out.lower().endswith((".mp4", ".png")):
        raise CommandError(f"--out {args.out} must end in .mp4 (video) or .png (image)")
    resolve_checkpoint(args.model or DEFAULT_MODEL)  # a bad model name fails before anything loads
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()  # no weight-loading bars between the command's own lines
    try:
        policy = Policy.load(args.policy)
    except SafetyUnavailable as e:
        raise CommandError(
            f"safety policy could not load, nothing generated: {e}", UNAVAILABLE_EXIT_CODE
        ) from e
    decision = policy.check_prompt(args.prompt)
    if not decision.allowed:
        raise CommandError(f"prompt refused ({decision.category}): {decision.reason}", REFUSAL_EXIT_CODE)
    generator = Generator.load(args.model or DEFAULT_MODEL, dtype=args.dtype)
    width, height = args.size or (None, None)
    fps = args.fps or generator.config.fps
    inputs = _read_inputs(args, fps, width or generator.inference.width, height or generator.inference.height)
    request = GenerationRequest(
        prompt=args.prompt,
        seconds=args.seconds,
        fps=args.fps,
        width=width,
        height=height,
        seed=args.seed,
        steps=args.steps,
        guidance=args.guidance,
        negative_prompt=args.negative,
        backward=args.backward,
        loop=args.loop,
        strength=args.strength,
        **inputs,
    )
    provenance = ProvenanceConfig(enabled=not args.no_provenance, visible_mark=args.visible_mark)
    with tqdm(total=None, desc="denoising", unit="step", disable=None, file=sys.stderr) as bar:

        def progress(done: int, total: int) -> None:
            bar.total = total
            bar.update(done - bar.n)

        try:
            path, result = generate_to_file(
                generator, request, args.out, policy=policy, provenance=provenance, progress=progress
            )
        except SafetyRefusal as e:
            raise CommandError(str(e), REFUSAL_EXIT_CODE) from e
    note = (
        "" if provenance.enabled else " (provenance OFF by --no-provenance: no watermark, no C2PA manifest)"
    )
    print(
        f"wrote {path}: {result.mode}, {len(result.frames)} frames {result.settings['width']}x"
        f"{result.settings['height']} at {result.fps:g} fps, seed {result.seed}, "
        f"{time.perf_counter() - start:.1f} s{note}"
    )
    return 0
