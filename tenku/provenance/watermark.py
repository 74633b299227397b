"""Invisible watermark: a keyed 32-bit payload in the low-frequency luma of every frame (version 3).

Contract:
- `embed_watermark(frames, key, payload)` adds one static pattern (the same in every frame)
  that carries a 32-bit payload and its CRC-32; the PSNR of the result over all frames and
  channels is at least `psnr_db` (default 40 dB).
- `detect_watermark(frames, key)` needs no original, no frame alignment and no frame rate: it
  reads whatever frames it is given (any count, any order, any resolution), and brightness,
  contrast, x264 and rescaling leave what it reads nearly where it was. It returns the
  payload, a score and an exact bound on the false-positive probability.

Feature (what both sides compute), for a channel (BT.601 luma, or blue): each frame is
box-resized to a 64 x 64 grid, made zero-mean and divided by the standard deviation of its
16 x 16 box-resize (a low-pass contrast that grain and coding noise hardly move). Each grid pixel
takes the mean of its middle half of values over the frames (a trimmed mean: a static pattern
moves it one for one, objects passing by do not enter it, so dropping or trimming frames leaves
it nearly unchanged when the camera is still). Its 2-D DCT coefficients with 3 <= max(u, v) < 15
(1.5 to 7.5 cycles across the frame, 216 of them) form the band: x264 at CRF 30 and a 0.5x
downscale leave those frequencies nearly intact, where it removes a faint finer pattern.

Code and embedding. The payload and its CRC-32 (64 bits) are convolutionally coded into 210
bits (coding.py). A keyed permutation deals the band's coefficients to the coded bits (one or
two each) and gives each a keyed dither d in [0, 1). Dither modulation (quantisation index
modulation): a coefficient c carrying bit b is moved to the nearest point of step * (Z + d + b/2),
which costs the same energy whatever the content, while spread spectrum has the content as
its main noise. The pattern is the least-energy one (less where pixels are near 0 or 255) that
makes those moves, corrected twice from the rounded frames for rounding, clipping and the
trimmed mean. The feature is normalised, so the step the PSNR budget allows depends on the
content's contrast: the embedder takes the largest step of a fixed ladder (STEPS) that fits.

Brightness. Brightening a bright clip by 20 % saturates its red and green channels, which moves
luma coefficients unpredictably. The embedder simulates that (BRIGHTEN) and, when the luma
coefficients would move by more than BRIGHT_RISK steps RMS, gives part of the budget to a second
layer in the blue channel, added along a colour direction that leaves luma unchanged (BLUE) and
decoded on its own. Frames that brightening turns white (pencil on white paper) keep nothing
in any channel; they get the luma layer alone.

Detection and calibration. For each channel and ladder step a coefficient votes
-cos(2 pi (c / step - d)) for its coded bit (+1 at bit-1 lattice points, -1 at bit-0 ones), and
a Viterbi decoder finds the codeword of highest correlation. With no watermark of this key the
dithers are independent uniform numbers whatever the content is (votes use no key otherwise);
shifting the dithers of a codeword's 1-bits by 1/2 keeps their law and flips exactly those
votes, which moves the decoded word by that codeword (the code is linear), so the decoded 64
bits are uniform and the CRC-32 matches with probability exactly 2^-32 per variant. `found`
needs a CRC match; the false-positive probability reported is the union bound over the
VARIANTS = 2 channels x 80 steps tried: 160 x 2^-32 = 3.7e-8.
"""

from __future__ import annotations

import functools
import hashlib
import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from PIL import Image

from tenku.provenance.coding import (
    CODED_BITS,
    CRC_BITS,
    PAYLOAD_BITS,
    bits_to_int,
    conv_encode,
    crc_matches,
    encode_payload,
    viterbi,
)

GRID = 64  # every frame is box-resized to GRID x GRID; shorter sides are not marked
NORM_GRID = 16  # the low-pass grid whose standard deviation normalises a frame
MIN_CONTRAST = 1.0  # floor of that standard deviation, grey levels (flat frames)
TRIM = 0.25  # temporal statistic: per-pixel mean without this fraction of values at each end
BAND = (3, 15)  # DCT coefficients (u, v) of the grid with BAND[0] <= max(u, v) < BAND[1]: 216
CHANNELS = ("luma", "blue")  # the features: BT.601 luma, and the blue channel (a second layer)
LUMA = np.array([0.299, 0.587, 0.114], dtype=np.float32)
_RED_GREEN = np.array([LUMA[0], LUMA[1], 0.0], dtype=np.float32)
BLUE = np.array([0, 0, 1], np.float32) - LUMA[2] * _RED_GREEN / (_RED_GREEN**2).sum()  # blue +1, luma 0
BLUE_COST = float((BLUE**2).mean())  # its squared error per unit^2 over R, G, B (grey costs 1)
BRIGHTEN = 1.2  # the brightening (then clipping to 255) the blue layer is there to survive
BRIGHT_RISK = 0.1  # add the blue layer when BRIGHTEN moves luma coefficients by more (RMS, steps)
LUMA_SHARE = 0.6  # share of the squared-error budget the luma layer gets when there are two
STEPS = 0.35 * 2.0 ** (np.arange(80) / 16)  # lattice step ladder, normalised units (0.35 .. 11)
VARIANTS = len(CHANNELS) * len(STEPS)  # (channel, step) pairs the detector tries: 160
FALSE_POSITIVE = VARIANTS * 2.0**-CRC_BITS  # chance a clip without the watermark is found
PSNR_DB = 40.0  # default strength: the PSNR every marked video has at least
BUDGET_MARGIN_DB = 0.15  # steps are chosen for psnr_db + this (rounding and corrections add a little)
REFINE_ITERS = 2  # pattern corrections computed from the rounded, clipped frames
HEADROOM = 12.0  # pixels within this many grey levels of 0 or 255 get less pattern (clipping)
CHUNK = 16  # frames converted to float at a time
SCHEME = "tenku-watermark-v3"
TENKU_TAG = 0x74  # top 8 payload bits of tenku's own ids ("t"); the low 24 are minutes since EPOCH
EPOCH = 1735689600  # 2025-01-01T00:00:00Z


@dataclass(frozen=True, kw_only=True)
class WatermarkResult:
    found: bool  # CRC matched and false_positive <= the threshold asked for
    payload: int | None  # the 32-bit payload when found, else None
    score: float  # correlation of the votes with the decoded codeword, -1 .. 1 (0: none)
    false_positive: float  # probability that a clip without this watermark is found (union bound)
    bits: np.ndarray  # (64,) uint8 decoded payload + CRC bits of the best variant
    raw_bits: np.ndarray  # (210,) uint8 hard decisions on the coded bits (channel bit accuracy)
    channel: str  # feature channel of the best variant: "luma" or "blue"
    step: float  # lattice step of the best variant
    crc_ok: bool  # the decoded CRC matched the decoded payload

    @property
    def p_value(self) -> float:
        return self.false_positive


def make_payload(when: float | None = None) -> int:
    """tenku's payload: tag byte 0x74 then the minutes since 2025-01-01 UTC (wrapping after 31 years)."""
    minutes = int(((time.time() if when is None else when) - EPOCH) // 60) % 2**24
    return (TENKU_TAG << 24) | minutes


def describe_payload(payload: int) -> str:
    """Human reading of a payload made by `make_payload`."""
    if payload >> 24 != TENKU_TAG:
        return f"payload 0x{payload:08x} (not a tenku id)"
    stamp = EPOCH + (payload & 0xFFFFFF) * 60
    when = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(stamp))
    return f"tenku id 0x{payload:08x}, written around {when}"


def can_embed(height: int, width: int) -> bool:
    """Frames need a short side of at least GRID pixels to carry the watermark."""
    return min(height, width) >= GRID


@functools.lru_cache(maxsize=1)
def _basis() -> np.ndarray:
    """(216, G*G) DCT basis images of the band: coefficient j = basis[j] @ grid.ravel()."""
    k = np.arange(GRID)[:, None]
    i = np.arange(GRID)[None, :]
    d = np.cos(np.pi * (2 * i + 1) * k / (2 * GRID)) * np.sqrt(2.0 / GRID)
    d[0] /= np.sqrt(2.0)  # (G, G) orthonormal DCT-II matrix: coefficients = d @ x @ d.T
    u, v = np.meshgrid(np.arange(GRID), np.arange(GRID), indexing="ij")
    ring = np.maximum(u, v).ravel()
    band = np.flatnonzero((ring >= BAND[0]) & (ring < BAND[1]))
    return np.einsum("ni,nj->nij", d[u.ravel()[band]], d[v.ravel()[band]]).reshape(band.size, -1)


@functools.lru_cache(maxsize=16)
def layout(key: str) -> tuple[np.ndarray, np.ndarray]:
    """Keyed layout of the band: (216,) coded-bit number and (216,) dither in [0, 1) per coefficient."""
    n = _basis().shape[0]
    seed = int.from_bytes(hashlib.sha256(f"{SCHEME}|{key}".encode()).digest()[:8], "big")
    rng = np.random.default_rng(seed)
    bit = rng.permutation(n) % CODED_BITS
    return bit, rng.uniform(0.0, 1.0, n)


def _box(images: np.ndarray, size: int) -> np.ndarray:
    """Box-resize float (T, H, W) images to (T, size, size) float32 (block means when size divides)."""
    t, h, w = images.shape
    if h % size == 0 and w % size == 0:
        return images.reshape(t, size, h // size, size, w // size).mean(axis=(2, 4), dtype=np.float32)
    resample = Image.Resampling.BOX
    return np.stack(
        [
            np.array(Image.fromarray(im.astype(np.float32), mode="F").resize((size, size), resample))
            for im in images
        ]
    )


def _channel(rgb: np.ndarray, channel: str) -> np.ndarray:
    """(..., 3) float RGB -> (...) values of a feature channel."""
    return rgb @ LUMA if channel == "luma" else rgb[..., 2]


def trimmed_mean(stack: np.ndarray) -> np.ndarray:
    """(T, G, G) -> (G, G): per-pixel mean over frames without TRIM of the values at each end."""
    t = len(stack)
    cut = min(int(TRIM * t), (t - 1) // 2)
    return np.sort(stack, axis=0)[cut : t - cut].mean(axis=0)


@dataclass(frozen=True, kw_only=True)
class Feature:
    coef: np.ndarray  # (216,) band coefficients of the trimmed mean of the normalised grids
    gain: float  # how far one grey level of static pattern moves the normalised grid (1 / contrast)


def feature(frames: np.ndarray, channel: str) -> Feature:
    """The watermark feature of (T, H, W, 3) uint8 frames in one channel (see the module doc)."""
    grids, gains = [], []
    for start in range(0, len(frames), CHUNK):
        g = _box(_channel(frames[start : start + CHUNK].astype(np.float32), channel), GRID)  # (t, G, G)
        contrast = np.maximum(_box(g, NORM_GRID).std(axis=(1, 2)), MIN_CONTRAST)  # (t,)
        grids.append((g - g.mean(axis=(1, 2), keepdims=True)) / contrast[:, None, None])
        gains.append(1.0 / contrast)
    middle = trimmed_mean(np.concatenate(grids))  # (G, G)
    return Feature(
        coef=_basis() @ middle.ravel().astype(np.float64), gain=float(np.concatenate(gains).mean())
    )


def features(frames: np.ndarray) -> np.ndarray:
    """(CHANNELS, 216) band coefficients of (T, H, W, 3) uint8 frames in every channel."""
    return np.stack([feature(frames, channel).coef for channel in CHANNELS])


def _headroom(frames: np.ndarray, channel: str) -> np.ndarray:
    """(G, G) 0.25 .. 1: how much pattern a pixel takes before its channel values clip at 0/255."""
    room = np.zeros((GRID, GRID), np.float32)
    for start in range(0, len(frames), CHUNK):
        rgb = frames[start : start + CHUNK].astype(np.float32)
        low, high = (rgb.min(-1), rgb.max(-1)) if channel == "luma" else (rgb[..., 2], rgb[..., 2])
        room += _box(np.clip(np.minimum(low, 255.0 - high) / HEADROOM, 0.25, 1.0), GRID).sum(axis=0)
    return room / len(frames)


def lattice_targets(coef: np.ndarray, key: str, coded: np.ndarray, step: float) -> np.ndarray:
    """Nearest point of each coefficient's lattice step * (Z + dither + bit / 2)."""
    bit, dither = layout(key)
    offset = dither + 0.5 * coded[bit]
    return step * (offset + np.round(coef / step - offset))


class _PatternSolver:
    """Least-energy static pattern (G, G) in grey levels whose feature moves by a (216,) change.

    Minimises sum(x^2 / headroom) subject to gain * basis @ x = change:
    x = headroom * basis.T @ Q^-1 change / gain, with Q = basis diag(headroom) basis.T.
    """

    def __init__(self, gain: float, headroom: np.ndarray):
        basis = _basis()  # (N, G*G)
        self.gain, self.headroom = gain, headroom.ravel().astype(np.float64)
        gram = (basis * self.headroom) @ basis.T  # (N, N), well conditioned: headroom >= 0.25
        self.factor = np.linalg.cholesky(gram)

    def __call__(self, change: np.ndarray) -> np.ndarray:
        y = np.linalg.solve(self.factor.T, np.linalg.solve(self.factor, change))  # (N,) Q^-1 change
        return (self.headroom * (_basis().T @ y)).reshape(GRID, GRID) / self.gain


def _apply(frames: np.ndarray, grey: np.ndarray, blue: np.ndarray | None) -> np.ndarray:
    """Add (G, G) patterns, resized to the frames, along grey (R = G = B) and along BLUE."""
    _, h, w, _ = frames.shape

    def up(pattern: np.ndarray) -> np.ndarray:
        resized = Image.fromarray(pattern.astype(np.float32), mode="F").resize(
            (w, h), Image.Resampling.BICUBIC
        )
        return np.array(resized)[:, :, None]  # (H, W, 1)

    delta = up(grey) * np.ones(3, np.float32)  # (H, W, 3)
    if blue is not None:
        delta = delta + up(blue) * BLUE
    out = np.empty_like(frames)
    for start in range(0, len(frames), CHUNK):
        chunk = frames[start : start + CHUNK] + delta
        out[start : start + CHUNK] = np.clip(np.rint(chunk), 0, 255)
    return out


def psnr(marked: np.ndarray, original: np.ndarray) -> float:
    """PSNR in dB of (T, H, W, 3) uint8 frames against the original, over all frames and channels."""
    mse = np.mean([((m.astype(np.float64) - o) ** 2).mean() for m, o in zip(marked, original, strict=True)])
    return float(10 * np.log10(255**2 / max(mse, 1e-12)))


@dataclass(frozen=True, kw_only=True)
class _Layer:
    channel: str  # feature channel
    step: float  # lattice step
    target: np.ndarray  # (216,) lattice points its coefficients must reach
    solve: _PatternSolver  # coefficient change -> pattern


def _plan_layer(
    frames: np.ndarray, host: Feature, channel: str, key: str, coded: np.ndarray, norm: float
) -> tuple[_Layer, np.ndarray]:
    """The largest ladder step whose pattern norm fits `norm`: the layer and its first pattern."""
    solve = _PatternSolver(host.gain, _headroom(frames, channel))
    for step in STEPS[::-1]:
        target = lattice_targets(host.coef, key, coded, step)
        pattern = solve(target - host.coef)
        if np.linalg.norm(pattern) <= norm or step == STEPS[0]:
            break
    return _Layer(channel=channel, step=float(step), target=target, solve=solve), pattern


def _bright_risk(frames: np.ndarray, host: Feature, channel: str, step: float) -> float:
    """RMS move of a layer's coefficients, in lattice steps, when the frames are brightened by
    BRIGHTEN and clipped (the feature is normalised: only the clipping moves them)."""
    bright = np.clip(frames * np.float32(BRIGHTEN), 0, 255).astype(np.uint8)
    return float(np.sqrt(((feature(bright, channel).coef - host.coef) ** 2).mean())) / step


def _plan(frames: np.ndarray, key: str, coded: np.ndarray, budget: float) -> tuple[list, list]:
    """Layers of one clip and their first patterns [grey, blue or None]: luma alone, or luma and
    blue when brightening would move the luma coefficients too far and the blue ones less."""
    host = feature(frames, "luma")
    luma, grey = _plan_layer(frames, host, "luma", key, coded, np.sqrt(budget))
    risk = _bright_risk(frames, host, "luma", luma.step)
    if risk <= BRIGHT_RISK:
        return [luma], [grey, None]
    shared, shared_grey = _plan_layer(frames, host, "luma", key, coded, np.sqrt(LUMA_SHARE * budget))
    with_grey = _apply(frames, shared_grey, None)
    blue_host = feature(with_grey, "blue")  # the blue layer reads the luma pattern too
    norm = np.sqrt((1 - LUMA_SHARE) * budget / BLUE_COST)
    blue, tint = _plan_layer(with_grey, blue_host, "blue", key, coded, norm)
    if _bright_risk(with_grey, blue_host, "blue", blue.step) >= risk:  # blue would not survive either
        return [luma], [grey, None]
    return [shared, blue], [shared_grey, tint]


def embed_watermark(
    frames: np.ndarray, key: str, payload_bits: int | Sequence[int], *, psnr_db: float | None = None
) -> np.ndarray:
    """Return a watermarked copy of (T, H, W, 3) uint8 frames carrying a 32-bit payload.

    key: any string (the same one detects). payload_bits: a 32-bit int or 32 zeros/ones.
    psnr_db: the PSNR (over all frames and channels) the result has at least.
    Needs a short side of at least 64 pixels.
    """
    frames = np.asarray(frames)
    if frames.dtype != np.uint8 or frames.ndim != 4 or frames.shape[-1] != 3 or frames.shape[0] < 1:
        raise ValueError(f"frames must be uint8 (T, H, W, 3) with T >= 1, got {frames.dtype} {frames.shape}")
    _, h, w, _ = frames.shape
    if not can_embed(h, w):
        raise ValueError(f"frames of {w}x{h} are too small to watermark: the short side must be >= {GRID}")
    psnr_db = PSNR_DB if psnr_db is None else psnr_db
    if not 20.0 <= psnr_db <= 80.0:
        raise ValueError(f"psnr_db must be in [20, 80], got {psnr_db}")
    budget = (255.0 * 10 ** (-(psnr_db + BUDGET_MARGIN_DB) / 20) * GRID) ** 2  # squared grid-pattern norm
    coded = conv_encode(encode_payload(payload_bits))
    layers, patterns = _plan(frames, key, coded, budget)
    for _ in range(REFINE_ITERS):  # correct for rounding, clipping, the trimmed mean and each other
        for i, layer in enumerate(layers):
            seen = feature(_apply(frames, *patterns), layer.channel).coef
            patterns[i] = patterns[i] + layer.solve(layer.target - seen)
    marked = _apply(frames, *patterns)
    while psnr(marked, frames) < psnr_db:  # a hard floor on quality
        patterns = [None if p is None else 0.97 * p for p in patterns]
        marked = _apply(frames, *patterns)
    return marked


def soft_votes(coef: np.ndarray, key: str) -> np.ndarray:
    """(..., 216) band coefficients -> (..., STEPS, 210) soft votes (positive: 1), one row per step.

    A coefficient votes -cos(2 pi (c / step - dither)): +1 on its bit-1 lattice points, -1 on its
    bit-0 points; a coded bit sums its coefficients' votes.
    """
    bit, dither = layout(key)
    phase = coef[..., None, :] / STEPS[:, None] - dither  # (..., S, N)
    onehot = np.zeros((len(bit), CODED_BITS))
    onehot[np.arange(len(bit)), bit] = 1.0
    return -np.cos(2 * np.pi * phase) @ onehot  # (..., S, 210)


@dataclass(frozen=True, kw_only=True)
class Decoded:
    bits: np.ndarray  # (..., S, 64) decoded information bits per variant
    score: np.ndarray  # (..., S) correlation of the votes with the decoded codeword, -1 .. 1
    crc_ok: np.ndarray  # (..., S) bool: the decoded CRC matched
    votes: np.ndarray  # (..., S, 210) the soft votes


def decode(coef: np.ndarray, key: str) -> Decoded:
    """Decode (..., 216) band coefficients at every ladder step; results have a new (S,) axis."""
    votes = soft_votes(coef, key)  # (..., S, 210)
    bits, metric = viterbi(votes)
    score = metric / np.maximum(np.abs(votes).sum(axis=-1), 1e-12)
    return Decoded(bits=bits, score=score, crc_ok=crc_matches(bits), votes=votes)


def detect_watermark(frames: np.ndarray, key: str, *, max_false_positive: float = 1e-6) -> WatermarkResult:
    """Look for `key`'s watermark in (T, H, W, 3) uint8 frames of any size, count and order."""
    frames = np.asarray(frames)
    if frames.dtype != np.uint8 or frames.ndim != 4 or frames.shape[-1] != 3 or frames.shape[0] < 1:
        raise ValueError(f"frames must be uint8 (T, H, W, 3) with T >= 1, got {frames.dtype} {frames.shape}")
    if not 0.0 < max_false_positive < 1.0:
        raise ValueError(f"max_false_positive must be in (0, 1), got {max_false_positive}")
    result = decode(features(frames), key)  # (C, S) variants
    rank = np.where(result.crc_ok, result.score, result.score - 10.0)  # any CRC match beats none
    channel, step = np.unravel_index(int(np.argmax(rank)), rank.shape)
    bits, crc_ok = result.bits[channel, step], bool(result.crc_ok[channel, step])
    fp = FALSE_POSITIVE if crc_ok else 1.0
    found = crc_ok and fp <= max_false_positive
    return WatermarkResult(
        found=found,
        payload=bits_to_int(bits[:PAYLOAD_BITS]) if found else None,
        score=float(result.score[channel, step]),
        false_positive=fp,
        bits=bits,
        raw_bits=(result.votes[channel, step] > 0).astype(np.uint8),
        channel=CHANNELS[channel],
        step=float(STEPS[step]),
        crc_ok=crc_ok,
    )
