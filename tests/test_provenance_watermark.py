"""Invisible watermark: channel code, exact false-positive calibration, robustness on world clips."""

from __future__ import annotations

import numpy as np
import pytest

from tenku.io import read_video, write_mp4
from tenku.provenance import coding
from tenku.provenance import watermark as wm
from tenku.world import render
from tenku.world.sampler import sample_spec

DOCUMENTARY_SEED = 3  # film grain and a graded look: the hardest style for x264 at CRF 30
BRIGHT_FLAT_SEED = 12  # flat style on a pale sky: +20 % brightness saturates red and green
WHITE_PAPER_SEED = 5  # pencil on near-white paper: +20 % brightness turns 92 % of the pixels white


def world_clip(seed: int, size: int, frames: int = 48, fps: float = 24.0) -> np.ndarray:
    return render(sample_spec(seed), width=size, height=size, fps=fps, seconds=frames / fps, seed=seed).frames


def reencode(frames: np.ndarray, tmp_path, crf: int, fps: float = 24.0) -> np.ndarray:
    return read_video(write_mp4(frames, tmp_path / f"crf{crf}.mp4", fps, crf=crf)).frames


def resize(frames: np.ndarray, size: int) -> np.ndarray:
    from PIL import Image

    return np.stack(
        [np.asarray(Image.fromarray(f).resize((size, size), Image.Resampling.BICUBIC)) for f in frames]
    )


def test_crc32_and_payload_encoding():
    code = coding.encode_payload(0xDEADBEEF)
    assert code.shape == (coding.CODE_BITS,) and coding.bits_to_int(code[:32]) == 0xDEADBEEF
    check = coding.crc32(coding.int_to_bits(int.from_bytes(b"123456789"), 72))
    assert coding.bits_to_int(check) == 0xFC891918  # the CRC-32/BZIP2 check value
    rows = np.random.default_rng(0).integers(0, 2, (40, 32)).astype(np.uint8)
    assert np.array_equal(coding.crc32_rows(rows), np.stack([coding.crc32(r) for r in rows]))
    assert coding.crc_matches(code)
    for i in (0, 31, 32, 63):  # any single flipped bit is detected
        flipped = code.copy()
        flipped[i] ^= 1
        assert not coding.crc_matches(flipped)
    with pytest.raises(ValueError, match="payload"):
        coding.encode_payload(2**32)
    with pytest.raises(ValueError, match="payload bits"):
        coding.encode_payload([0, 1, 2])
    assert "tenku id" in wm.describe_payload(wm.make_payload())


def test_convolutional_code_and_batched_viterbi_are_maximum_likelihood():
    rng = np.random.default_rng(0)
    info = rng.integers(0, 2, (4, coding.CODE_BITS)).astype(np.uint8)
    coded = np.stack([coding.conv_encode(i) for i in info])
    assert coded.shape == (4, coding.CODED_BITS)
    noisy = 2.0 * coded - 1.0 + rng.normal(0, 0.5, coded.shape)
    noisy[:, ::8] *= -1  # one wrong hard decision in every 8
    assert ((noisy > 0) != coded).sum(axis=1).min() >= 20
    decoded, metric = coding.viterbi(noisy)  # all rows at once
    assert np.array_equal(decoded, info)
    for row in range(4):
        single, m = coding.viterbi(noisy[row])
        assert np.array_equal(single, decoded[row]) and m == pytest.approx(metric[row])
        assert m == pytest.approx(((2.0 * coded[row] - 1.0) * noisy[row]).sum())
        for _ in range(10):  # no neighbouring word correlates better
            other = info[row].copy()
            other[rng.integers(0, coding.CODE_BITS)] ^= 1
            assert ((2.0 * coding.conv_encode(other) - 1.0) * noisy[row]).sum() <= m


def test_embed_holds_the_psnr_floor_and_reads_back_on_varied_content():
    rng = np.random.default_rng(1)
    checker = (np.indices((64, 96)).sum(axis=0) // 8 % 2 * 255).astype(
        np.uint8
    )  # full contrast, clipped pattern
    contents = {
        "checkerboard": np.repeat(np.stack([checker] * 6)[..., None], 3, axis=-1),
        "noise": rng.integers(0, 256, (6, 64, 64, 3)).astype(np.uint8),
        "grey": np.full((4, 64, 64, 3), 120, np.uint8),
        "one frame": world_clip(2, 96, frames=1),
        "flat world": world_clip(BRIGHT_FLAT_SEED, 64, frames=17, fps=8.0),
    }
    for name, frames in contents.items():
        marked = wm.embed_watermark(frames, "k", 0x1234ABCD)
        assert wm.psnr(marked, frames) >= wm.PSNR_DB, name
        result = wm.detect_watermark(marked, "k")
        assert result.found and result.payload == 0x1234ABCD, name
        assert result.false_positive == wm.FALSE_POSITIVE < 1e-6
        assert not wm.detect_watermark(marked, "another key").found, name


def test_watermark_survives_codec_scale_drop_and_order_on_a_grainy_world_clip(tmp_path):
    frames = world_clip(DOCUMENTARY_SEED, 128)
    marked = wm.embed_watermark(frames, "k", 0xC0FFEE11)
    delivered = reencode(marked, tmp_path, 18)  # as tenku writes it
    order = np.random.default_rng(0).permutation(len(delivered))
    attacked = {
        "crf30": reencode(delivered, tmp_path, 30),
        "half": resize(reencode(resize(delivered, 64), tmp_path, 23), 128),
        "drop every other": reencode(delivered[::2], tmp_path, 23, fps=12.0),
        "brightness +20 %": reencode(np.clip(delivered * 1.2, 0, 255).astype(np.uint8), tmp_path, 23),
        "shuffled": delivered[order],
    }
    for name, clip in attacked.items():
        result = wm.detect_watermark(clip, "k")
        assert result.found and result.payload == 0xC0FFEE11, name
    assert not wm.detect_watermark(attacked["crf30"], "another key").found


def test_bright_clip_gets_a_blue_layer_that_survives_brightening(tmp_path):
    assert abs(float(wm.LUMA @ wm.BLUE)) < 1e-4  # the blue layer leaves luma alone
    frames = world_clip(BRIGHT_FLAT_SEED, 128)
    marked = wm.embed_watermark(frames, "k", 0x5EED5EED)
    delivered = reencode(marked, tmp_path, 18)
    both = wm.decode(wm.features(delivered), "k")  # (channels, steps)
    assert both.crc_ok.any(axis=1).all()  # the payload is in luma and in blue
    brighter = reencode(np.clip(delivered * 1.2, 0, 255).astype(np.uint8), tmp_path, 23)
    result = wm.detect_watermark(brighter, "k")
    assert result.found and result.payload == 0x5EED5EED and result.channel == "blue"
    luma_only = wm.decode(wm.features(brighter)[0], "k")
    assert not luma_only.crc_ok.any()  # luma alone would have lost it


def test_white_paper_clip_gets_a_dark_layer_that_survives_brightening(tmp_path):
    frames = world_clip(WHITE_PAPER_SEED, 128)
    marked = wm.embed_watermark(frames, "k", 0x0DDBA11)
    assert wm.psnr(marked, frames) >= wm.PSNR_DB
    delivered = reencode(marked, tmp_path, 18)
    plain = wm.detect_watermark(delivered, "k")
    assert plain.found and plain.payload == 0x0DDBA11 and plain.channel == "luma"
    brighter = reencode(np.clip(delivered * 1.2, 0, 255).astype(np.uint8), tmp_path, 23)
    assert not wm.decode(wm.features(brighter), "k").crc_ok.any()  # luma and blue lose it
    result = wm.detect_watermark(brighter, "k")
    assert result.found and result.payload == 0x0DDBA11 and result.channel == "dark"


def test_erasures_that_hide_payloads_disable_the_dark_channel():
    assert coding.gf2_rank(coding.generator_matrix()) == coding.CODE_BITS
    assert coding.one_to_one_without(np.zeros(coding.CODED_BITS, bool))
    assert not coding.one_to_one_without(np.ones(coding.CODED_BITS, bool))
    white = np.full((3, 64, 64, 3), 255, np.uint8)  # no pixel counts: every coded bit is erased
    dark = wm.dark_feature(white)
    assert not dark.weight.any()
    assert not wm.decode_dark(dark.value, dark.weight, "k").crc_ok.any()
    assert not wm.detect_watermark(white, "k").found


def test_null_is_calibrated_decoded_words_are_uniform():
    """No watermark of the key: no detections, CRC-8 prefix hits ~ 1/256 of all decoded words."""
    plain = world_clip(5, 64, frames=17, fps=8.0)
    other = wm.embed_watermark(world_clip(6, 64, frames=17, fps=8.0), "someone else", 7)
    clips = [plain, other]
    coefs = np.stack([wm.features(c) for c in clips])  # (2, channels, 216)
    darks = [wm.dark_feature(c) for c in clips]
    values, weights = np.stack([d.value for d in darks]), np.stack([d.weight for d in darks])
    hits = words = crc_pass = 0
    ones = []
    for k in range(60):
        band = wm.decode(coefs, f"neg-{k}")
        dark = wm.decode_dark(values, weights, f"neg-{k}")  # (2, steps)
        bits = np.concatenate(
            [band.bits.reshape(-1, coding.CODE_BITS), dark.bits.reshape(-1, coding.CODE_BITS)]
        )
        crc_pass += int(band.crc_ok.sum() + dark.crc_ok.sum())
        hits += int((coding.crc32_rows(bits[:, :32])[:, :8] == bits[:, 32:40]).all(axis=1).sum())
        words += len(bits)
        ones.append(bits.mean())
    assert crc_pass == 0
    assert 0.6 * words / 256 < hits < 1.4 * words / 256, (hits, words / 256)
    assert abs(np.mean(ones) - 0.5) < 0.01
    assert words == 2 * 60 * wm.VARIANTS
    assert wm.FALSE_POSITIVE == pytest.approx(wm.VARIANTS * 2.0**-32) and wm.FALSE_POSITIVE <= 1e-6


def test_embed_rejects_bad_input():
    with pytest.raises(ValueError, match="too small"):
        wm.embed_watermark(np.zeros((2, 32, 80, 3), np.uint8), "k", 1)
    with pytest.raises(ValueError, match="uint8"):
        wm.embed_watermark(np.zeros((2, 64, 64, 3), np.float32), "k", 1)
    with pytest.raises(ValueError, match="psnr_db"):
        wm.embed_watermark(np.zeros((2, 64, 64, 3), np.uint8), "k", 1, psnr_db=10.0)
    with pytest.raises(ValueError, match="max_false_positive"):
        wm.detect_watermark(np.zeros((2, 64, 64, 3), np.uint8), "k", max_false_positive=0.0)


def test_bench_provenance_cli_smoke(capsys):
    from tenku.cli import main

    assert main(["bench", "provenance", "--sizes", "32"]) == 2  # below the 64-pixel grid
    args = ["bench", "provenance", "--clips", "1", "--negatives", "20", "--tamper", "2"]
    assert main([*args, "--sizes", "64", "--fps", "8", "--frames", "9"]) == 0
    out = capsys.readouterr().out
    assert "crf30" in out and "false positives: 0 of 20 checks" in out and "2 of 2 single-byte" in out
