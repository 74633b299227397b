"""Provenance on every output: invisible watermark, C2PA manifest, optional visible mark, verification.

- `write_provenanced_mp4` / `write_provenanced_png` / `write_provenanced`: the last step of every
  file tenku writes (see writer.py); `ProvenanceConfig` turns parts on and off.
- `embed_watermark` / `detect_watermark`: the keyed dither-modulation watermark (watermark.py;
  its channel code, CRC-32 + convolutional code + Viterbi, in coding.py).
- `verify_file`: manifest state + watermark -> `Verdict` (verify.py), behind `tenku verify`.
- Signing identity: a local CA + leaf created on first use (identity.py); see docs/provenance.md.
"""

from tenku.provenance.identity import load_or_create_identity, rotate_identity
from tenku.provenance.verify import Verdict, verify_file
from tenku.provenance.visible import add_visible_mark
from tenku.provenance.watermark import WatermarkResult, detect_watermark, embed_watermark
from tenku.provenance.writer import (
    DEFAULT_KEY,
    ProvenanceConfig,
    write_provenanced,
    write_provenanced_mp4,
    write_provenanced_png,
)

__all__ = [
    "DEFAULT_KEY",
    "ProvenanceConfig",
    "Verdict",
    "WatermarkResult",
    "add_visible_mark",
    "detect_watermark",
    "embed_watermark",
    "load_or_create_identity",
    "rotate_identity",
    "verify_file",
    "write_provenanced",
    "write_provenanced_mp4",
    "write_provenanced_png",
]
