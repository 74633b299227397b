"""`tenku bench speed`: how fast the engine runs on this machine, next to diffusers' Wan DiT.

    tenku bench speed [--preset tiny] [--frames 17 --size 64x64 | --latent C,T,H,W] [--repeats N]
                      [--threads N] [--no-wan]

Prints the machine, parameter counts, the DiT forward (best and median ms of --repeats, tokens/s) in fp32 and under
bf16 autocast, VAE encode/decode seconds for the clip, end-to-end seconds for the clip with the
preset's default steps and guidance (text encode + sampling + decode; random weights), and the
same DiT forward of diffusers' `WanTransformer3DModel` built with the same width, depth, heads,
patch size, MLP width and text dim on the same latent, with the ratio Wan / tenku (> 1: tenku is
faster). The two DiTs are timed in alternation so that other load on the machine hits both alike.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import time


def add_parser(sub) -> None:
    p = sub.add_parser("speed", help="DiT/VAE/end-to-end speed, next to diffusers' Wan DiT")
    p.add_argument("--preset", default="tiny", help="model preset (default: tiny)")
    p.add_argument("--frames", type=int, default=17, help="clip frames, 1 + 4k (default: 17)")
    p.add_argument("--size", default="64x64", help="clip size WxH in pixels (default: 64x64)")
    p.add_argument("--latent", default=None, help="latent shape C,T,H,W instead of --frames/--size")
    p.add_argument("--repeats", type=int, default=5, help="timed DiT forwards per setting (default: 5)")
    p.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's choice)")
    p.add_argument("--text-tokens", type=int, default=32, help="text tokens for the DiT timing (default: 32)")
    p.add_argument("--no-wan", action="store_true", help="skip the diffusers Wan comparison")
    p.set_defaults(func=run)


def _machine() -> str:
    import torch

    model, flags = platform.processor() or platform.machine(), set()
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name") and model in ("", "x86_64"):
                    model = line.split(":", 1)[1].strip()
                if line.startswith("flags"):
                    flags = set(line.split(":", 1)[1].split())
                    break
    except OSError:
        pass
    bf16 = (
        "native bf16 (avx512_bf16/amx)" if flags & {"avx512_bf16", "amx_bf16"} else "no native bf16: emulated"
    )
    return (
        f"{model}, {torch.get_num_threads()} threads, torch {torch.__version__}, "
        f"{torch.backends.cpu.get_cpu_capability()}, {bf16}"
    )


def _time(fns: dict, repeats: int) -> dict[str, tuple[float, float]]:
    """Best and median seconds of each fn, calls interleaved so load changes hit all alike."""
    for fn in fns.values():
        fn()
        fn()
    times: dict[str, list[float]] = {name: [] for name in fns}
    for _ in range(repeats):
        for name, fn in fns.items():
            t0 = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - t0)
    return {name: (min(ts), statistics.median(ts)) for name, ts in times.items()}


def _shape(args, cfg) -> tuple[tuple[int, int, int], tuple[int, int, int, int]]:
    """-> (frames, height, width) of the clip and (C, T, H, W) of its latent."""
    vae = cfg.vae
    if args.latent:
        try:
            c, t, h, w = (int(v) for v in args.latent.split(","))
        except ValueError:
            raise ValueError(f"--latent must be C,T,H,W integers, got {args.latent!r}") from None
        if c != vae.latent_channels:
            raise ValueError(f"--latent has {c} channels; preset {cfg.name!r} uses {vae.latent_channels}")
        s = vae.spatial_compression
        return (1 + (t - 1) * vae.temporal_compression, h * s, w * s), (c, t, h, w)
    try:
        width, height = (int(v) for v in args.size.lower().split("x"))
    except ValueError:
        raise ValueError(f"--size must be WxH, e.g. 64x64, got {args.size!r}") from None
    return (args.frames, height, width), vae.latent_shape(args.frames, height, width)


def _wan(cfg):
    """diffusers' WanTransformer3DModel with the preset's width, depth, heads, patch, MLP and text dim."""
    from diffusers import WanTransformer3DModel

    d = cfg.dit
    return WanTransformer3DModel(
        patch_size=d.patch_size,
        num_attention_heads=d.heads,
        attention_head_dim=d.head_dim,
        in_channels=d.in_channels,
        out_channels=d.in_channels,
        text_dim=d.text_dim,
        freq_dim=d.freq_dim,
        ffn_dim=int(d.width * d.mlp_ratio),
        num_layers=d.depth,
    ).eval()


def run(args: argparse.Namespace) -> int:
    import torch

    from tenku.config import PRESETS
    from tenku.dit import DiT
    from tenku.flow import resolution_shift
    from tenku.sample import sample
    from tenku.text import TextEncoder
    from tenku.vae import VideoVAE

    if args.preset not in PRESETS:
        raise ValueError(f"unknown preset {args.preset!r}; choose from {', '.join(PRESETS)}")
    if args.repeats < 1:
        raise ValueError(f"--repeats must be >= 1, got {args.repeats}")
    if args.threads is not None:
        torch.set_num_threads(args.threads)
    cfg = PRESETS[args.preset]
    (frames, height, width), (c, t, h, w) = _shape(args, cfg)
    pt, ph, pw = cfg.dit.patch_size
    tokens = (t // pt) * (h // ph) * (w // pw)
    torch.manual_seed(0)
    dit, vae = DiT(cfg.dit).eval(), VideoVAE(cfg.vae).eval()
    n_dit = sum(p.numel() for p in dit.parameters())
    n_vae = sum(p.numel() for p in vae.parameters())
    print(f"machine: {_machine()}")
    print(f"preset {cfg.name}: DiT {n_dit / 1e6:.2f} M params, VAE {n_vae / 1e6:.2f} M params")
    print(f"clip {frames} x {height} x {width} -> latent {c} x {t} x {h} x {w}, {tokens} DiT tokens")

    latent = torch.randn(1, c, t, h, w)
    ts = torch.full((1, t), 0.5)
    text = torch.randn(1, args.text_tokens, cfg.dit.text_dim)
    mask = torch.ones(1, args.text_tokens, dtype=torch.bool)
    wan = None
    if not args.no_wan:
        try:
            wan = _wan(cfg)
        except ImportError:
            print("diffusers is not installed: no Wan comparison (pip install diffusers)")
    fps = torch.tensor([float(cfg.fps)])
    ours = {}
    for name, autocast in (("fp32", False), ("bf16", True)):

        def run_ours(autocast=autocast):
            with torch.no_grad(), torch.autocast("cpu", dtype=torch.bfloat16, enabled=autocast):
                dit(latent, ts, text, mask, fps=fps)

        def run_wan(autocast=autocast):
            with torch.no_grad(), torch.autocast("cpu", dtype=torch.bfloat16, enabled=autocast):
                wan(latent, torch.full((1,), 500.0), text, return_dict=False)

        fns = {"tenku": run_ours} if wan is None else {"tenku": run_ours, "wan": run_wan}
        res = _time(fns, args.repeats)
        (best, median), ours[name] = res["tenku"], res["tenku"][0]
        print(
            f"DiT forward {name}: {best * 1e3:8.1f} ms (median {median * 1e3:.1f})  {tokens / best:8.0f} tokens/s"
        )
        if wan is not None:
            wbest, wmed = res["wan"]
            print(
                f"  Wan DiT {name}:  {wbest * 1e3:8.1f} ms (median {wmed * 1e3:.1f})  "
                f"Wan / tenku = {wbest / best:.2f}x"
            )
    if wan is not None:
        n_wan = sum(p.numel() for p in wan.parameters())
        print(
            f"  (Wan built with the same width, depth, heads, patch, MLP and text dim: {n_wan / 1e6:.2f} M params)"
        )

    video = torch.rand(1, 3, frames, height, width) * 2 - 1
    with torch.no_grad():
        t0 = time.perf_counter()
        z = vae.encode(video)
        t1 = time.perf_counter()
        vae.decode(z)
        t2 = time.perf_counter()
    print(f"VAE encode {t1 - t0:.3f} s, decode {t2 - t1:.3f} s (fp32, {frames} frames)")

    best = min(ours, key=ours.get)
    sc = cfg.sample
    shift = sc.shift if sc.shift is not None else resolution_shift(tokens, cfg.flow)
    encoder = TextEncoder(cfg.text)
    t0 = time.perf_counter()
    encoder.encode(["warm up"])  # loads the encoder
    load = time.perf_counter() - t0
    t0 = time.perf_counter()
    emb = encoder.encode(["a red ball bounces across a blue room", ""])

    def model_fn(x, tt, cond):
        i = 0 if cond else 1
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=best == "bf16"):
            return dit(x, tt, emb.tokens[i : i + 1], emb.mask[i : i + 1], fps=torch.tensor([float(cfg.fps)]))

    with torch.no_grad():
        z = sample(
            model_fn,
            torch.randn(1, c, t, h, w),
            steps=sc.steps,
            shift=shift,
            guidance=sc.guidance,
            solver=sc.solver,
        )
        vae.decode(z)
    e2e = time.perf_counter() - t0
    print(
        f"end to end: {e2e:.2f} s for {frames} frames ({sc.steps} {sc.solver} steps, guidance {sc.guidance}, "
        f"DiT in {best}; text encoder load {load:.2f} s not included)"
    )

    return 0
