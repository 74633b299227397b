"""`tenku cache`: precompute VAE latents and text states into sharded safetensors.

    tenku cache --data world --vae runs/vae --out cache/world --clips 4096 --bucket 17x64x64
    tenku train dit --preset tiny --data cache:cache/world --out runs/dit

Output: index.json ({"fps", "empty", "shards": [{"file", "shape", "captions"}]}),
shard-NNNNN.safetensors ("latents" (N, C, T, H, W), "text_tokens" (N, L, D), "text_mask" (N, L))
with one latent shape per shard, and empty.safetensors (the empty prompt, for caption dropout).
Captions are cached as written; caption dropout happens at training time.
"""

from __future__ import annotations


def add_parser(sub) -> None:
    p = sub.add_parser("cache", help="precompute VAE latents + text encodings for DiT training")
    p.add_argument("--data", required=True, help="'world' or a folder with captions.jsonl/.csv")
    p.add_argument("--vae", required=True, help="VAE run directory or exported checkpoint directory")
    p.add_argument("--out", required=True, help="cache directory to write")
    p.add_argument("--clips", type=int, default=1024, help="clips to encode")
    p.add_argument("--batch", type=int, default=8, help="clips per encoder batch")
    p.add_argument("--shard-size", type=int, default=1024, help="clips per shard file")
    p.add_argument("--bucket", action="append", default=None, help="FRAMESxHEIGHTxWIDTH, repeatable")
    p.add_argument("--seed", type=int, default=0)
    p.set_defaults(func=run)


def _write_shard(out, n: int, items: list, index: list) -> None:
    import torch
    from safetensors.torch import save_file

    from tenku.io import atomic_path

    length = max(int(m.sum()) for _, _, m, _ in items)
    latents = torch.stack([z for z, _, _, _ in items])  # (N, C, T, H, W)
    tokens = torch.zeros(len(items), length, items[0][1].shape[-1])  # (N, L, D)
    mask = torch.zeros(len(items), length, dtype=torch.bool)  # (N, L)
    for i, (_, t, m, _) in enumerate(items):
        k = int(m.sum())
        tokens[i, :k], mask[i, :k] = t[:k], True
    name = f"shard-{n:05d}.safetensors"
    with atomic_path(out / name) as p:
        save_file({"latents": latents.contiguous(), "text_tokens": tokens, "text_mask": mask}, p)
    index.append({"file": name, "shape": list(latents.shape[1:]), "captions": [c for *_, c in items]})


def run(args) -> int:
    import dataclasses
    import json
    from pathlib import Path

    import torch
    from safetensors.torch import save_file
    from tqdm import tqdm

    from tenku.cli.train import _bucket
    from tenku.data import DataConfig, open_dataset
    from tenku.io import atomic_path
    from tenku.text import TextEncoder
    from tenku.train import load_vae

    if args.data.startswith("cache:"):
        raise ValueError("--data for `tenku cache` must be 'world' or a folder, not a cache")
    buckets = tuple(_bucket(b) for b in args.bucket) if args.bucket else DataConfig().buckets
    cfg = DataConfig(buckets=buckets, caption_dropout=0.0)
    mcfg, vae = load_vae(args.vae, torch.device("cpu"))
    text = TextEncoder(mcfg.text)
    dataset = open_dataset(args.data, cfg, seed=args.seed)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    pending: dict[tuple, list] = {}
    index: list[dict] = []
    batches = -(-args.clips // args.batch)
    with torch.no_grad():
        for i in tqdm(range(batches), unit="batch"):
            batch = dataset.get_batch(i, args.batch)
            z = vae.encode(batch.video)  # (B, C, T', H', W')
            emb = text.encode(list(batch.captions))
            group = pending.setdefault(tuple(z.shape[1:]), [])
            group.extend(zip(z, emb.tokens, emb.mask, batch.captions, strict=True))
            if len(group) >= args.shard_size:
                _write_shard(out, len(index), group[: args.shard_size], index)
                del group[: args.shard_size]
    for group in pending.values():
        if group:
            _write_shard(out, len(index), group, index)
    empty = text.encode([""])
    with atomic_path(out / "empty.safetensors") as p:
        save_file({"text_tokens": empty.tokens.contiguous(), "text_mask": empty.mask.contiguous()}, p)
    meta = {
        "fps": cfg.fps,
        "empty": "empty.safetensors",
        "vae": dataclasses.asdict(mcfg.vae),
        "shards": index,
    }
    with atomic_path(out / "index.json") as p:
        p.write_text(json.dumps(meta))
    skipped = getattr(dataset, "skipped", {})
    print(f"tenku cache: {sum(len(s['captions']) for s in index)} clips in {len(index)} shard(s) at {out}")
    if skipped:
        print(f"tenku cache: skipped {len(skipped)} unreadable file(s)")
    return 0
