"""`tenku cache`: precompute VAE latents and text states into sharded safetensors.

    tenku cache --data world --vae runs/vae --out cache/world --clips 4096 --bucket 17x64x64
    tenku train dit --preset tiny --data cache:cache/world --out runs/dit

Output: index.json ({"fps", "empty", "shards": [{"file", "shape", "captions"}]}),
shard-NNNNN.safetensors ("latents" (N, C, T, H, W), "text_tokens" (N, L, D), "text_mask" (N, L);
world data adds "objects" (N, 1, T, H, W), the share of each latent cell's pixels that show an
object, for `tenku train dit --object-weight`) with one latent shape per shard, and
empty.safetensors (the empty prompt, for caption dropout).
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
    p.add_argument("--objects", default=None, help="world: MIN:MAX objects per scene (default 1:4)")
    p.add_argument(
        "--detailed-captions",
        type=float,
        default=None,
        help="world: share of detailed captions (default 0.5)",
    )
    p.set_defaults(func=run)


def run(args) -> int:
    from tenku.cli.train import _bucket
    from tenku.data import write_latent_cache

    if args.data.startswith("cache:"):
        raise ValueError("--data for `tenku cache` must be 'world' or a folder, not a cache")
    buckets = tuple(_bucket(b) for b in args.bucket) if args.bucket else None
    objects = None
    if args.objects is not None:
        try:
            objects = tuple(int(n) for n in args.objects.split(":"))
        except ValueError:
            objects = ()
        if len(objects) != 2 or not 1 <= objects[0] <= objects[1]:
            raise ValueError(f"--objects must be MIN:MAX with 1 <= MIN <= MAX, got {args.objects!r}")
    clips, shards, skipped = write_latent_cache(
        args.data,
        args.vae,
        args.out,
        clips=args.clips,
        batch=args.batch,
        shard_size=args.shard_size,
        buckets=buckets,
        seed=args.seed,
        world_objects=objects,
        detailed_captions=args.detailed_captions,
    )
    print(f"tenku cache: {clips} clips in {shards} shard(s) at {args.out}")
    if skipped:
        print(f"tenku cache: skipped {skipped} unreadable file(s)")
    return 0
