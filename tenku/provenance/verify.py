"""Check whether a file comes from tenku: its C2PA manifest and its invisible watermark.

A file is shown to come from tenku when its manifest is Trusted or Valid and names tenku as
the claim generator, or when the watermark is found with a false-positive probability at most
`max_false_positive` (1e-6). The watermark alone carries files whose manifest was stripped by
re-encoding. Trust anchors are the CAs in the identity directory (current and retired) plus
any PEM files passed in `trust`; nothing is created by verifying.
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass
from pathlib import Path

from tenku.provenance.identity import trust_anchors
from tenku.provenance.manifest import GENERATOR, ManifestReport, read_manifest
from tenku.provenance.watermark import WatermarkResult, describe_payload, detect_watermark
from tenku.provenance.writer import DEFAULT_KEY

MAX_FRAMES = 600  # frames read for watermark detection (more add nothing measurable)


@dataclass(frozen=True, kw_only=True)
class Verdict:
    path: str
    from_tenku: bool  # shown to come from tenku by the manifest or the watermark
    manifest: ManifestReport
    watermark: WatermarkResult | None  # None when the file's pixels could not be read
    text: str  # human-readable verdict, several lines

    def to_json(self) -> dict:
        wm = self.watermark
        return {
            "path": self.path,
            "from_tenku": self.from_tenku,
            "manifest": asdict(self.manifest),
            "watermark": None
            if wm is None
            else {
                "found": wm.found,
                "payload": None if wm.payload is None else f"0x{wm.payload:08x}",
                "score": wm.score,
                "false_positive": wm.false_positive,
                "channel": wm.channel,
                "step": wm.step,
            },
            "text": self.text,
        }


def _manifest_line(m: ManifestReport) -> str:
    if m.state == "Missing":
        return "C2PA manifest: missing (none in the file; re-encoding or editing strips it)"
    if m.state == "Invalid":
        why = ", ".join(m.failures) or m.error or "validation failed"
        return f"C2PA manifest: INVALID - the file changed after signing or the signature is broken ({why})"
    who = f"{m.generator or '?'} {m.generator_version or ''}".strip()
    line = f"C2PA manifest: {m.state} - made by {who}, model {m.model or '?'}, signed by {m.signer or '?'}"
    if m.state == "Valid":
        line += " (intact, but the signer is not among your trust anchors)"
    return line


def _watermark_line(wm: WatermarkResult | None, error: str | None) -> str:
    if wm is None:
        return f"watermark: not checked ({error})"
    if wm.found:
        return (
            f"watermark: found - {describe_payload(wm.payload)}; score {wm.score:.2f}, "
            f"false-positive probability {wm.false_positive:.1e}"
        )
    return f"watermark: not found (score {wm.score:.2f}; no tenku watermark with this key)"


def verify_file(
    path: str | os.PathLike,
    *,
    identity_dir: str | os.PathLike | None = None,
    key: str = DEFAULT_KEY,
    trust: tuple[str | os.PathLike, ...] = (),
    max_false_positive: float = 1e-6,
) -> Verdict:
    """Read the manifest and detect the watermark of a video or image file."""
    from tenku.io import VideoReadError, read_video

    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such file")
    anchors = trust_anchors(identity_dir) + "".join(Path(p).read_text() for p in trust)
    manifest = read_manifest(path, trust_pem=anchors)
    watermark, error = None, None
    try:
        frames = read_video(path, max_frames=MAX_FRAMES).frames
        watermark = detect_watermark(frames, key, max_false_positive=max_false_positive)
    except VideoReadError as e:
        error = str(e)
    signed_by_tenku = manifest.state in ("Trusted", "Valid") and manifest.generator == GENERATOR
    marked = watermark is not None and watermark.found
    from_tenku = signed_by_tenku or marked
    if from_tenku:
        head = f"{path}: made by tenku"
        if manifest.state == "Invalid":
            head += " (watermark found, but the file was changed after signing)"
    else:
        head = f"{path}: NOT shown to come from tenku"
    text = "\n".join([head, "  " + _manifest_line(manifest), "  " + _watermark_line(watermark, error)])
    return Verdict(path=str(path), from_tenku=from_tenku, manifest=manifest, watermark=watermark, text=text)
