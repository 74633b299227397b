"""Scores from check samples: means with item-level bootstrap 95 % intervals, tables, JSON.

`drift(per_item_chunks)` summarizes each window of long clips the same way and adds, per check,
the drift: the last window's mean minus the first's; `format_drift` prints it.

`summarize(per_item)` takes, for one row (a generator, the floor or the ceiling), a list with
one dict per item mapping check name -> samples, and returns `Score`s: the mean over all samples
and a 95 % interval from resampling items (samples of one item stay together). `format_table`
prints rows side by side; `to_json` writes everything with the split, n and the settings.
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from tenku.bench.checks import CHECKS

BOOTSTRAP = 1000  # resamples for the intervals


@dataclass(frozen=True, kw_only=True)
class Score:
    check: str
    kind: str  # "rate" or "error"
    mean: float  # NaN when no item had a sample
    low: float  # 95 % interval
    high: float
    samples: int
    items: int  # items with at least one sample


def summarize(per_item: list[dict[str, list[float]]], *, seed: int = 0) -> dict[str, Score]:
    rng = np.random.default_rng(seed)
    out = {}
    for check in CHECKS:
        groups = [np.asarray(r.get(check.name, []), dtype=np.float64) for r in per_item]
        groups = [g for g in groups if len(g)]
        if not groups:
            out[check.name] = Score(
                check=check.name,
                kind=check.kind,
                mean=math.nan,
                low=math.nan,
                high=math.nan,
                samples=0,
                items=0,
            )
            continue
        sums = np.array([g.sum() for g in groups])
        counts = np.array([len(g) for g in groups])
        idx = rng.integers(0, len(groups), size=(BOOTSTRAP, len(groups)))
        boot = sums[idx].sum(1) / counts[idx].sum(1)
        out[check.name] = Score(
            check=check.name,
            kind=check.kind,
            mean=float(sums.sum() / counts.sum()),
            low=float(np.percentile(boot, 2.5)),
            high=float(np.percentile(boot, 97.5)),
            samples=int(counts.sum()),
            items=len(groups),
        )
    return out


def _cell(s: Score) -> str:
    if s.samples == 0:
        return "n/a"
    digits = 3 if s.kind == "rate" else 4
    return f"{s.mean:.{digits}f} [{s.low:.{digits}f}, {s.high:.{digits}f}] ({s.samples})"


def format_table(rows: dict[str, dict[str, Score]]) -> str:
    """One line per check, one column per row name: mean [95 % interval] (samples)."""
    names = list(rows)
    checks = {c.name: c for c in CHECKS}
    head = ["check", *names]
    lines = [[c, *(_cell(rows[r][c]) for r in names)] for c in checks]
    for line in lines:
        c = checks[line[0]]
        line[0] = f"{c.name} ({'pass rate' if c.kind == 'rate' else c.unit or 'error'})"
    widths = [max(len(x[i]) for x in [head, *lines]) for i in range(len(head))]
    fmt = "  ".join(f"{{:<{w}}}" for w in widths)
    return "\n".join(
        [fmt.format(*head), fmt.format(*("-" * w for w in widths)), *(fmt.format(*x) for x in lines)]
    )


FAILURE_ERROR = {"units/s": 0.1, "rel": 0.2, "": 0.2}  # errors above these are listed as failures


def format_failures(row: str, items: list, per_item: list[dict[str, list[float]]]) -> str:
    """Per check, the items of one row with a failed sample (rates) or a large error (errors):
    `check: item [spec summary] ...`, so a floor below 1 can be traced to its scenes."""
    lines = [f"failures ({row}):"]
    for check in CHECKS:
        bad = []
        for item, res in zip(items, per_item, strict=True):
            vals = res.get(check.name, [])
            if check.kind == "rate" and any(v < 1.0 for v in vals):
                bad.append(f"{item.name}")
            elif check.kind == "error" and any(v > FAILURE_ERROR.get(check.unit, 0.2) for v in vals):
                bad.append(f"{item.name}({max(vals):.2f})")
        if bad:
            lines.append(f"  {check.name} ({len(bad)}): {' '.join(bad)}")
    return "\n".join(lines)


def to_json(
    path: str | os.PathLike,
    *,
    settings: dict,
    rows: dict[str, dict[str, Score]],
    items: list[dict],
    drift: dict | None = None,
) -> Path:
    from tenku.io import atomic_path

    data = {
        "settings": settings,
        "rows": {name: {c: _clean(asdict(s)) for c, s in row.items()} for name, row in rows.items()},
        "items": items,
    }
    if drift is not None:
        data["drift"] = drift
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(data, indent=1, allow_nan=False))
    return Path(path)


def _clean(d: dict) -> dict:
    return {k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in d.items()}


def drift(per_item_chunks: list[list[dict[str, list[float]]]], *, seed: int = 0) -> dict:
    """Per-window scores of long clips (window k of every item together) and, per check, the
    drift: last window's mean minus the first's (NaN where either has no sample)."""
    windows = min(len(c) for c in per_item_chunks)
    chunks = [summarize([c[k] for c in per_item_chunks], seed=seed) for k in range(windows)]
    change = {name: chunks[-1][name].mean - chunks[0][name].mean for name in chunks[0]}
    return {"chunks": chunks, "drift": change}


def format_drift(result: dict, chunk_seconds: float) -> str:
    """One line per check: the mean of each window and the drift (last - first)."""
    chunks, change = result["chunks"], result["drift"]
    head = [
        "check",
        *(f"{k * chunk_seconds:g}-{(k + 1) * chunk_seconds:g}s" for k in range(len(chunks))),
        "drift",
    ]
    lines = []
    for c in CHECKS:
        digits = 3 if c.kind == "rate" else 4
        cells = [("n/a" if ch[c.name].samples == 0 else f"{ch[c.name].mean:.{digits}f}") for ch in chunks]
        d = change[c.name]
        lines.append([c.name, *cells, "n/a" if math.isnan(d) else f"{d:+.{digits}f}"])
    widths = [max(len(x[i]) for x in [head, *lines]) for i in range(len(head))]
    fmt = "  ".join(f"{{:<{w}}}" for w in widths)
    return "\n".join([fmt.format(*head), *(fmt.format(*x) for x in lines)])


def drift_json(result: dict) -> dict:
    """The drift result as plain JSON-ready data (NaN as null)."""
    return {
        "chunks": [{c: _clean(asdict(s)) for c, s in ch.items()} for ch in result["chunks"]],
        "drift": {c: (None if math.isnan(v) else v) for c, v in result["drift"].items()},
    }
