"""Provenance: C2PA sign/read states, identity, writer, verify CLI (the watermark: test_provenance_watermark.py)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tenku.io import read_video, write_mp4
from tenku.provenance import (
    ProvenanceConfig,
    rotate_identity,
    verify_file,
    write_provenanced,
    write_provenanced_mp4,
    write_provenanced_png,
)
from tenku.provenance.identity import load_or_create_identity, trust_anchors
from tenku.provenance.manifest import build_manifest, read_manifest, sign_file


def shapes(seed: int, size: int = 64, frames: int = 24) -> np.ndarray:
    """(T, S, S, 3) uint8: a gradient background and a moving disc."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:size, 0:size]
    base = rng.integers(40, 200, 3) + (rng.uniform(-30, 30) * yy / size)[..., None]
    out = np.empty((frames, size, size, 3), np.uint8)
    for t in range(frames):
        f = base.copy()
        c = np.array([size / 2, size * (0.2 + 0.6 * t / frames)])
        f[(yy - c[0]) ** 2 + (xx - c[1]) ** 2 < (size / 6) ** 2] = rng.integers(0, 255, 3)
        out[t] = np.clip(f, 0, 255)
    return out


@pytest.fixture
def config(tmp_path) -> ProvenanceConfig:
    return ProvenanceConfig(identity_dir=str(tmp_path / "identity"))


def test_identity_files_and_rotation(tmp_path):
    ident = load_or_create_identity(tmp_path / "id")
    assert (ident.directory.stat().st_mode & 0o777) == 0o700
    for name in ("ca.pem", "ca.key", "signer.pem", "signer.key"):
        assert ((ident.directory / name).stat().st_mode & 0o777) == 0o600
    old_ca = ident.ca.read_text()
    assert load_or_create_identity(tmp_path / "id").ca.read_text() == old_ca  # reused, not recreated
    rotate_identity(tmp_path / "id")
    anchors = trust_anchors(tmp_path / "id")
    assert old_ca in anchors and anchors.count("BEGIN CERTIFICATE") == 2


def test_sign_states_tamper_and_identical_frames(tmp_path, config):
    frames = shapes(3, 64, 12)
    plain = write_mp4(frames, tmp_path / "plain.mp4", 12)
    ident = load_or_create_identity(config.identity_dir)
    signed = tmp_path / "signed.mp4"
    manifest = build_manifest(title="signed.mp4", model="m", prompt="a red ball")
    sign_file(plain, signed, manifest, chain_pem=ident.chain.read_bytes(), key_pem=ident.key.read_bytes())
    assert np.array_equal(read_video(plain).frames, read_video(signed).frames)
    anchors = trust_anchors(config.identity_dir)
    report = read_manifest(signed, trust_pem=anchors)
    assert report.state == "Trusted" and report.generator == "tenku" and report.model == "m"
    assert "prompt" not in report.generation and len(report.prompt_sha256) == 64
    assert read_manifest(signed).state == "Valid"
    assert read_manifest(plain).state == "Missing"
    data = signed.read_bytes()
    at = data.find(b"mdat")
    size = int.from_bytes(data[at - 4 : at], "big")
    rng = np.random.default_rng(0)
    for _ in range(5):
        changed = bytearray(data)
        changed[int(rng.integers(at + 4, at - 4 + size))] ^= 0x5A
        (tmp_path / "t.mp4").write_bytes(bytes(changed))
        assert read_manifest(tmp_path / "t.mp4", trust_pem=anchors).state == "Invalid"


def test_write_provenanced_mp4_and_verify(tmp_path, config, caplog):
    frames = shapes(4, 64)
    out = write_provenanced_mp4(frames, tmp_path / "gen.mp4", 24, model="tiny", prompt="p", config=config)
    verdict = verify_file(out, identity_dir=config.identity_dir)
    assert verdict.from_tenku and verdict.manifest.state == "Trusted" and verdict.watermark.found
    assert verdict.manifest.generation["watermark"]["payload"] == f"0x{verdict.watermark.payload:08x}"
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no temp files left
    # re-encoded: manifest gone, watermark still there
    again = write_mp4(read_video(out).frames, tmp_path / "re.mp4", 24, crf=23)
    verdict = verify_file(again, identity_dir=config.identity_dir)
    assert verdict.from_tenku and verdict.manifest.state == "Missing" and verdict.watermark.found
    # provenance off: plain file, logged, not from tenku
    off = ProvenanceConfig(enabled=False, identity_dir=config.identity_dir)
    write_provenanced_mp4(frames, tmp_path / "off.mp4", 24, model="m", prompt="p", config=off)
    assert "turned off explicitly" in caplog.text
    assert not verify_file(tmp_path / "off.mp4", identity_dir=config.identity_dir).from_tenku


def test_prompt_only_when_asked_and_visible_mark(tmp_path, tmp_path_factory):
    config = ProvenanceConfig(identity_dir=str(tmp_path / "id"), include_prompt=True, visible_mark=True)
    frames = shapes(5, 64, 12)
    out = write_provenanced_mp4(frames, tmp_path / "v.mp4", 12, model="m", prompt="a blue box", config=config)
    verdict = verify_file(out, identity_dir=config.identity_dir)
    assert verdict.manifest.generation["prompt"] == "a blue box"
    assert np.abs(read_video(out).frames.astype(int) - frames).max() > 60  # the label is drawn


def test_png_and_unsupported_formats(tmp_path, config):
    image = shapes(6, 96, 1)[0]
    out = write_provenanced_png(image, tmp_path / "img.png", model="m", prompt="p", config=config)
    assert read_manifest(out, trust_pem=trust_anchors(config.identity_dir)).state == "Trusted"
    for name in ("clip.gif", "clip.webm"):
        with pytest.raises(ValueError, match="mp4"):
            write_provenanced(shapes(6, 64, 4), tmp_path / name, 12, model="m", prompt="p", config=config)
        assert not (tmp_path / name).exists()


@pytest.mark.skipif(shutil.which("unshare") is None, reason="needs unshare")
def test_signing_without_network(tmp_path):
    """Sign inside a new network namespace (no interfaces up): must still produce a Trusted file."""
    if subprocess.run(["unshare", "-rn", "true"], capture_output=True).returncode != 0:
        pytest.skip("user namespaces are not available")
    code = (
        "import sys, numpy as np; from tenku.provenance import ProvenanceConfig, write_provenanced_mp4;"
        "f = np.full((6, 64, 64, 3), 120, np.uint8);"
        "write_provenanced_mp4(f, sys.argv[1], 6, model='m', prompt='p', config=ProvenanceConfig(identity_dir=sys.argv[2]))"
    )
    out, ident = tmp_path / "n.mp4", tmp_path / "id"
    run = subprocess.run(
        ["unshare", "-rn", sys.executable, "-c", code, str(out), str(ident)], capture_output=True
    )
    assert run.returncode == 0, run.stderr.decode()
    assert read_manifest(out, trust_pem=trust_anchors(ident)).state == "Trusted"


def test_verify_cli(tmp_path, config):
    out = write_provenanced_mp4(shapes(7, 64), tmp_path / "g.mp4", 24, model="m", prompt="p", config=config)
    plain = write_mp4(shapes(8, 64), tmp_path / "plain.mp4", 24)
    env = {**os.environ, "TENKU_HOME": str(tmp_path / "home")}
    cli = [str(Path(sys.executable).parent / "tenku"), "verify", "--identity-dir", config.identity_dir]
    ok = subprocess.run([*cli, str(out), "--json"], capture_output=True, text=True, env=env)
    assert ok.returncode == 0, ok.stderr
    assert json.loads(ok.stdout)["manifest"]["state"] == "Trusted"
    bad = subprocess.run([*cli, str(plain)], capture_output=True, text=True, env=env)
    assert bad.returncode == 1 and "NOT shown to come from tenku" in bad.stdout
    assert not Path(tmp_path / "home").exists()  # verifying creates no identity
