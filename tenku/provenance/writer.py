"""Write generated media with provenance: optional visible mark, invisible watermark, C2PA signature.

`write_provenanced_mp4` is the last step of every video tenku writes (pipeline, CLI, server):

    frames -> [visible mark] -> watermark (32-bit id: tag + time) -> H.264 (tenku.io.write_mp4)
           -> C2PA sign (tenku.provenance.manifest) -> atomic rename onto the target

`write_provenanced_png` does the same for a still image (text-to-image). Any other format is an
error, never a silently unsigned file. With `ProvenanceConfig(enabled=False)` a plain file is
written and a warning is logged on the `tenku.provenance` logger, so turning provenance off is
explicit and recorded.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from tenku.io import atomic_path, check_frames, write_mp4, write_png
from tenku.provenance import manifest as c2pa_manifest
from tenku.provenance.identity import load_or_create_identity
from tenku.provenance.visible import add_visible_mark
from tenku.provenance.watermark import (
    CODED_BITS,
    GRID,
    PSNR_DB,
    SCHEME,
    can_embed,
    embed_watermark,
    make_payload,
)

DEFAULT_KEY = "tenku-public-v1"  # public so anyone can check a file; set your own to keep it private
log = logging.getLogger("tenku.provenance")


@dataclass(frozen=True, kw_only=True)
class ProvenanceConfig:
    enabled: bool = True  # False writes plain files (logged); provenance is on by default
    key: str = DEFAULT_KEY  # watermark key; `tenku verify --key` must use the same one
    visible_mark: bool = False  # draw the small moving "tenku · AI" label
    include_prompt: bool = False  # put the prompt itself in the manifest (its SHA-256 always is)
    identity_dir: str | None = None  # local CA + leaf; None: $TENKU_HOME/identity or ~/.config/tenku/identity
    cert_chain: str | None = None  # PEM chain (leaf first) of a user-supplied signing certificate
    private_key: str | None = None  # PEM private key matching cert_chain
    psnr_db: float = PSNR_DB  # watermark strength as the target PSNR (>= 40 dB measured after rounding)

    def __post_init__(self):
        if (self.cert_chain is None) != (self.private_key is None):
            raise ValueError(
                "cert_chain and private_key must be given together (or neither, for the local identity)"
            )
        if not self.key:
            raise ValueError("key must be a non-empty string")


def _credentials(config: ProvenanceConfig) -> tuple[bytes, bytes]:
    if config.cert_chain is not None:
        return Path(config.cert_chain).expanduser().read_bytes(), Path(
            config.private_key
        ).expanduser().read_bytes()
    identity = load_or_create_identity(config.identity_dir)
    return identity.chain.read_bytes(), identity.key.read_bytes()


def _mark(frames: np.ndarray, fps: float, config: ProvenanceConfig) -> tuple[np.ndarray, dict]:
    """Visible mark (if asked) and watermark; returns frames and the manifest's watermark record."""
    if config.visible_mark:
        frames = add_visible_mark(frames, fps)
    _, h, w, _ = frames.shape
    if not can_embed(h, w):
        log.warning("frames of %dx%d are too small for the invisible watermark; signing without it", w, h)
        return frames, {"embedded": False, "reason": f"{w}x{h} is below the {GRID}-pixel minimum"}
    payload = make_payload()
    frames = embed_watermark(frames, config.key, payload, psnr_db=config.psnr_db)
    return frames, {
        "embedded": True,
        "scheme": SCHEME,
        "payload": f"0x{payload:08x}",
        "code_bits": CODED_BITS,
    }


def _write_marked(
    frames: np.ndarray,
    path: Path,
    fps: float,
    write_plain,
    *,
    model: str,
    prompt: str,
    config: ProvenanceConfig,
    extra: dict | None,
) -> Path:
    """Plain file (logged) when provenance is off; else mark (T, H, W, 3) frames, write them with
    `write_plain(frames, tmp)` and sign that into a C2PA file that replaces `path` atomically."""
    if not config.enabled:
        write_plain(frames, path)
        log.warning("provenance turned off explicitly: %s has no watermark and no C2PA manifest", path)
        return path
    frames, watermark = _mark(frames, fps, config)
    chain, key = _credentials(config)
    spec = c2pa_manifest.build_manifest(
        title=path.name,
        model=model,
        prompt=prompt,
        include_prompt=config.include_prompt,
        watermark=watermark,
        extra=extra,
    )
    with atomic_path(path) as signed:
        plain = signed.with_name(f"{signed.stem}.plain{path.suffix}")
        try:
            write_plain(frames, plain)
            c2pa_manifest.sign_file(plain, signed, spec, chain_pem=chain, key_pem=key)
        finally:
            plain.unlink(missing_ok=True)
    return path


def write_provenanced_mp4(
    frames: np.ndarray,
    path: str | os.PathLike,
    fps: float,
    *,
    model: str,
    prompt: str,
    config: ProvenanceConfig,
    extra: dict | None = None,
) -> Path:
    """Write (T, H, W, 3) uint8 frames as a watermarked, C2PA-signed H.264 MP4; returns the path."""
    path = Path(path)
    if path.suffix.lower() != ".mp4":
        raise ValueError(f"cannot write {path} with provenance: videos are signed as .mp4 only")
    return _write_marked(
        check_frames(frames),
        path,
        fps,
        lambda frames, target: write_mp4(frames, target, fps),
        model=model,
        prompt=prompt,
        config=config,
        extra=extra,
    )


def write_provenanced_png(
    image: np.ndarray,
    path: str | os.PathLike,
    *,
    model: str,
    prompt: str,
    config: ProvenanceConfig,
    extra: dict | None = None,
) -> Path:
    """Write one (H, W, 3) uint8 image as a watermarked, C2PA-signed PNG; returns the path."""
    path = Path(path)
    if path.suffix.lower() != ".png":
        raise ValueError(f"cannot write {path} with provenance: images are signed as .png only")
    return _write_marked(
        check_frames(np.asarray(image)[None]),  # (1, H, W, 3)
        path,
        1.0,
        lambda frames, target: write_png(frames[0], target),
        model=model,
        prompt=prompt,
        config=config,
        extra=extra,
    )


def write_provenanced(
    frames: np.ndarray,
    path: str | os.PathLike,
    fps: float,
    *,
    model: str,
    prompt: str,
    config: ProvenanceConfig,
    extra: dict | None = None,
) -> Path:
    """By suffix: .mp4 (video) or .png (a single frame); anything else is refused when provenance is on."""
    suffix = Path(path).suffix.lower()
    kwargs = {"model": model, "prompt": prompt, "config": config, "extra": extra}
    if suffix == ".png":
        frames = check_frames(frames)
        if frames.shape[0] != 1:
            raise ValueError(f"a .png holds one frame, got {frames.shape[0]}; write an .mp4 for video")
        return write_provenanced_png(frames[0], path, **kwargs)
    if suffix == ".mp4":
        return write_provenanced_mp4(frames, path, fps, **kwargs)
    c2pa_manifest.mime_type_for(path)  # raises a ValueError naming the supported formats
    raise AssertionError("unreachable")
