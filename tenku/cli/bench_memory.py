"""`tenku bench memory`: peak memory of long-video generation against a short clip.

Each duration runs in a fresh process (so peaks do not mix) on a random-weight checkpoint of the
chosen preset and prints the process's peak resident memory and wall time. Long videos are
sampled chunk by chunk and decoded with the VAE's causal cache, so the peak should stay near the
short clip's: the printed ratio is the check (target: at most 1.5x).
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile

_CHILD = """
import json, resource, sys, time
from tenku.pipeline import GenerationRequest, Generator
gen = Generator.load(sys.argv[1])
start = time.perf_counter()
result = gen.generate(GenerationRequest(prompt="a red ball bounces across a blue room",
                      seconds=float(sys.argv[2]), steps=int(sys.argv[3]), seed=0))
print(json.dumps({"frames": len(result.frames), "mode": result.mode,
                  "seconds": time.perf_counter() - start,
                  "peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def add_parser(sub) -> None:
    p = sub.add_parser("memory", help="peak memory of a long video vs a short clip")
    p.add_argument("--preset", default="tiny", help="model preset (random weights)")
    p.add_argument(
        "--seconds", type=float, nargs="+", default=[4.0, 60.0], help="durations; the first is the base"
    )
    p.add_argument("--steps", type=int, default=4, help="sampler steps (memory does not depend on it)")
    p.set_defaults(func=run)


def run(args) -> int:
    from tenku.pipeline import InferenceConfig, create_random_checkpoint

    with tempfile.TemporaryDirectory() as tmp:
        ckpt = create_random_checkpoint(f"{tmp}/ckpt", preset=args.preset, inference=InferenceConfig())
        rows = []
        for seconds in args.seconds:
            out = subprocess.run(
                [sys.executable, "-c", _CHILD, str(ckpt), str(seconds), str(args.steps)],
                capture_output=True,
                text=True,
                check=False,
            )
            if out.returncode != 0:
                print(out.stderr, file=sys.stderr)
                return 1
            rows.append((seconds, json.loads(out.stdout.strip().splitlines()[-1])))
    base = rows[0][1]["peak_mib"]
    print(f"preset {args.preset}, 64x64 at 8 fps, {args.steps} steps, random weights, CPU")
    print(f"{'seconds':>8} {'frames':>7} {'mode':>14} {'wall s':>8} {'peak MiB':>9} {'vs first':>9}")
    for seconds, r in rows:
        print(
            f"{seconds:8g} {r['frames']:7d} {r['mode']:>14} {r['seconds']:8.1f} {r['peak_mib']:9.0f} "
            f"{r['peak_mib'] / base:8.2f}x"
        )
    return 0
