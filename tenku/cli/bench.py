"""`tenku bench ...`: benchmarks that print figures. One module per benchmark in tenku/cli/."""

from __future__ import annotations

from tenku.cli import bench_memory, bench_provenance, bench_safety, bench_speed, bench_vae, bench_world

# Benchmark modules, each with `add_parser(bench_subparsers)`, in the order `tenku bench --help` lists them.
BENCHMARKS: tuple = (bench_memory, bench_provenance, bench_safety, bench_speed, bench_vae, bench_world)


def add_parser(sub) -> None:
    parser = sub.add_parser("bench", help="benchmarks: quality, speed, provenance, safety")
    bench_sub = parser.add_subparsers(dest="bench", required=True, metavar="BENCHMARK")
    for module in BENCHMARKS:
        module.add_parser(bench_sub)
