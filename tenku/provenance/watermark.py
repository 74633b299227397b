"""Invisible watermark: a keyed 48-bit spread-spectrum code in the luma of every frame.

Contract:
- `embed_watermark(frames, key, payload)` adds one frame-independent luma pattern that carries a
  32-bit payload plus a CRC-16 (48 code bits) to every frame; PSNR stays near `psnr_db` (42 dB).
- `detect_watermark(frames, key)` needs no original, no frame alignment and no frame rate: it
  averages the brightness/contrast-normalised luma of whatever frames it is given (any count, any
  order, any resolution), so dropped, trimmed and resampled frames and brightness/contrast
  changes do not matter. It returns the payload, a score and a false-positive probability.

Scheme (version 1). The luma is resized to a square embedding grid of G x G (G = 64 for videos
whose short side is below 128 pixels, else 128; the detector tries both). Each code bit owns an
odd number N of the grid's 2-D DCT coefficients in a low/mid band (u, v < 0.3 G, radius >= 0.06 G:
below half the Nyquist rate, so it survives a 0.5x downscale, and above the lowest frequencies
where image content lives). The key picks which coefficients and a +/-1 sign for each; bit b
adds +sign (b = 1) or -sign (b = 0) to its coefficients. The pattern is the inverse DCT, upsampled
to the frame and added equally to R, G and B (so only luma changes), scaled per frame to the
target PSNR, with less strength where pixels are near 0 or 255 (an optional texture mask).

Detection and calibration. For each bit, z = sum_j sign_j * sgn(c_j) over its N coefficients
c_j of the averaged frame, where sgn(c_j) = +/-1 is the sign of the observed coefficient. With
no watermark of this key, the key's signs are independent fair coins whatever the content is,
so |z| has the exact law of |2 Binomial(N, 1/2) - N| and the 48 decoded bits are uniform and
independent of the magnitudes. A detection needs (1) the CRC-16 of the decoded 32 bits to match
(chance 2^-16; when it fails, one or two of the 6 weakest bits are flipped and it is tried again,
22 words in all) and (2) the score S = sum |z| to reach an exact binomial tail. The false-positive
probability reported is `len(GRIDS) * 22 * 2^-16 * P(S_null >= S)`: exact tails, union bounds over
the grids and the tried words, for a random key on any fixed content; `found` means it is at most
`max_false_positive`.
"""

from __future__ import annotations

import functools
import hashlib
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from PIL import Image

PAYLOAD_BITS = 32  # bits the caller chooses
CRC_BITS = 16  # CRC-16/CCITT over the payload: error detection
CODE_BITS = PAYLOAD_BITS + CRC_BITS  # bits embedded
GRIDS = (64, 128)  # square embedding grids; the detector tries each
BAND = (0.06, 0.3)  # (min radius, max u and v) of the DCT band, as fractions of the grid size
SCHEME = "tenku-watermark-v1"
TENKU_TAG = 0x74  # top 8 payload bits of tenku's own ids ("t"); the low 24 are minutes since EPOCH
EPOCH = 1735689600  # 2025-01-01T00:00:00Z
FLIP_WEAKEST = 6  # when the CRC fails, retry flipping one or two of this many weakest bits
FLIP_CANDIDATES = 1 + FLIP_WEAKEST + FLIP_WEAKEST * (FLIP_WEAKEST - 1) // 2  # words tried: 22
INFORMED_CAP = 6.0  # informed embedding fixes a wrong-signed coefficient when |host| <= this x a
LUMA = np.array([0.299, 0.587, 0.114], dtype=np.float32)


@dataclass(frozen=True, kw_only=True)
class WatermarkResult:
    found: bool  # CRC matched and false_positive <= the threshold asked for
    payload: int | None  # the 32-bit payload when found, else None
    score: float  # mean agreement of coefficient signs with the decoded code, 0 (none) .. 1 (all)
    false_positive: float  # probability that a clip without this watermark scores this well
    bits: np.ndarray  # (48,) uint8 decoded code bits (payload then CRC) of the best grid, after any flips
    raw_bits: np.ndarray  # (48,) uint8 hard decisions before any flip (for bit-accuracy figures)
    grid: int  # embedding grid that gave the best result
    crc_ok: bool  # the decoded CRC matched the decoded payload

    @property
    def p_value(self) -> float:
        return self.false_positive


def crc16(bits: np.ndarray) -> np.ndarray:
    """CRC-16/CCITT (poly 0x1021, init 0xFFFF) of a bit array, returned as 16 bits MSB first."""
    reg = 0xFFFF
    for b in np.asarray(bits, dtype=np.uint8):
        top = ((reg >> 15) & 1) ^ int(b)
        reg = (reg << 1) & 0xFFFF
        if top:
            reg ^= 0x1021
    return np.array([(reg >> (15 - i)) & 1 for i in range(16)], dtype=np.uint8)


def int_to_bits(value: int, n: int) -> np.ndarray:
    return np.array([(value >> (n - 1 - i)) & 1 for i in range(n)], dtype=np.uint8)


def bits_to_int(bits: np.ndarray) -> int:
    return int("".join(str(int(b)) for b in bits), 2)


def encode_payload(payload: int | Sequence[int]) -> np.ndarray:
    """32-bit payload (an int, or a sequence of 32 zeros/ones) -> (48,) code bits with CRC."""
    if isinstance(payload, int | np.integer):
        if not 0 <= int(payload) < 2**PAYLOAD_BITS:
            raise ValueError(f"payload must be an integer in [0, 2**{PAYLOAD_BITS}), got {payload}")
        bits = int_to_bits(int(payload), PAYLOAD_BITS)
    else:
        bits = np.asarray(payload, dtype=np.int64)
        if bits.shape != (PAYLOAD_BITS,) or not np.isin(bits, (0, 1)).all():
            raise ValueError(f"payload bits must be {PAYLOAD_BITS} values of 0 or 1, got {bits.tolist()}")
        bits = bits.astype(np.uint8)
    return np.concatenate([bits, crc16(bits)])


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


def grid_for(height: int, width: int) -> int | None:
    """Embedding grid for a frame size; None when the short side is below the smallest grid."""
    short = min(height, width)
    fitting = [g for g in GRIDS if g <= short]
    return fitting[-1] if fitting else None


@functools.lru_cache(maxsize=8)
def _dct_matrix(n: int) -> np.ndarray:
    """Orthonormal DCT-II matrix: coefficients = D @ x @ D.T for an (n, n) image x."""
    k = np.arange(n)[:, None]
    i = np.arange(n)[None, :]
    d = np.cos(np.pi * (2 * i + 1) * k / (2 * n)) * np.sqrt(2.0 / n)
    d[0] /= np.sqrt(2.0)
    return d


@functools.lru_cache(maxsize=8)
def _band(grid: int) -> tuple[np.ndarray, int]:
    """Flat indices of the (G, G) DCT band and N, the odd number of coefficients per code bit."""
    u = np.arange(grid)[:, None]
    v = np.arange(grid)[None, :]
    in_band = (np.hypot(u, v) >= BAND[0] * grid) & (u < BAND[1] * grid) & (v < BAND[1] * grid)
    candidates = np.flatnonzero(in_band)
    per_bit = len(candidates) // CODE_BITS
    per_bit -= 1 - per_bit % 2  # odd, so a bit's vote never ties
    return candidates, per_bit


@functools.lru_cache(maxsize=16)
def _layout(key: str, grid: int) -> tuple[np.ndarray, np.ndarray]:
    """Keyed coefficient layout: (48, N) flat indices into the (G, G) DCT and (48, N) +/-1 signs."""
    candidates, per_bit = _band(grid)
    seed = int.from_bytes(hashlib.sha256(f"{SCHEME}|{key}|{grid}".encode()).digest()[:8], "big")
    rng = np.random.default_rng(seed)
    index = rng.permutation(candidates)[: CODE_BITS * per_bit].reshape(CODE_BITS, per_bit)
    signs = rng.choice(np.array([-1.0, 1.0]), size=index.shape)
    return index, signs


def _resize(image: np.ndarray, width: int, height: int, method: Image.Resampling) -> np.ndarray:
    """Resize a float (H, W) array; returns a writable float32 array."""
    if image.shape == (height, width):
        return image.astype(np.float32, copy=True)
    return np.array(Image.fromarray(image.astype(np.float32), mode="F").resize((width, height), method))


def _box_mean(x: np.ndarray, r: int) -> np.ndarray:
    """Mean over a (2r+1)^2 window with reflected borders, via summed-area tables."""
    k = 2 * r + 1
    p = np.pad(x, r, mode="reflect")
    s = np.pad(p.cumsum(0).cumsum(1), ((1, 0), (1, 0)))
    return (s[k:, k:] - s[:-k, k:] - s[k:, :-k] + s[:-k, :-k]) / (k * k)


def luma(frames: np.ndarray) -> np.ndarray:
    """(T, H, W, 3) uint8 RGB -> (T, H, W) float32 BT.601 luma."""
    return frames.astype(np.float32) @ LUMA


def _host_votes(frames: np.ndarray, grid: int) -> np.ndarray:
    """(G*G,) DCT of the host as the detector sees it, in units of one grid-luma step of pattern."""
    acc = np.zeros((grid, grid), dtype=np.float64)
    gain = 0.0
    for y in luma(frames):
        g = _resize(y, grid, grid, Image.Resampling.BOX)
        scale = max(float(g.std()), 1e-6)
        acc += (g - g.mean()) / scale
        gain += 1.0 / scale  # a static pattern of 1 grey level adds 1/scale per frame
    d = _dct_matrix(grid)
    return (d @ acc @ d.T).ravel() / gain


def code_pattern(
    key: str, grid: int, code: np.ndarray, host: np.ndarray | None = None, rms: float = 1.0
) -> np.ndarray:
    """(G, G) spatial pattern with unit RMS carrying the 48 code bits.

    host: the host's coefficients from `_host_votes` (informed embedding), for a pattern that
    will be scaled to `rms` grey levels. Without it every
    coefficient gets the same amplitude a. With it, a coefficient whose host value has the wrong
    sign gets |host| + a (so the detector sees +a with the right sign) when that costs at most
    INFORMED_CAP * a, and a is chosen by bisection to keep the same total energy.
    """
    index, signs = _layout(key, grid)
    want = signs * (2.0 * code[:, None] - 1.0)  # (48, N) desired sign of each coefficient
    budget = float(index.size)  # energy of the uniform pattern with a = 1
    if host is None:
        amp = np.ones_like(want)
    else:
        h = host[index] * np.sqrt(budget) / (rms * grid)  # (48, N) in units of the uniform amplitude
        wrong = np.sign(h) != want

        def amplitude(a: float) -> np.ndarray:
            fix = wrong & (np.abs(h) <= INFORMED_CAP * a)
            return a + np.where(fix, np.abs(h), 0.0)

        lo, hi = 0.0, 1.0
        for _ in range(40):  # energy grows with a: bisect to the budget
            mid = (lo + hi) / 2
            lo, hi = (mid, hi) if (amplitude(mid) ** 2).sum() < budget else (lo, mid)
        amp = amplitude(lo)
    coef = np.zeros(grid * grid)
    coef[index.ravel()] = (want * amp).ravel()
    d = _dct_matrix(grid)
    pattern = d.T @ coef.reshape(grid, grid) @ d  # (G, G) inverse DCT
    return pattern / np.sqrt((pattern**2).mean())


def strength_map(y: np.ndarray, texture: float) -> np.ndarray:
    """Relative strength per pixel of one (H, W) luma frame: more in texture, less near 0/255."""
    mean = _box_mean(y, 2)
    activity = np.sqrt(np.maximum(_box_mean(y * y, 2) - mean * mean, 0.0))
    mask = 1.0 + texture * np.tanh(activity / 16.0)
    headroom = np.clip(np.minimum(y, 255.0 - y) / 12.0, 0.25, 1.0)
    return mask * headroom


def embed_watermark(
    frames: np.ndarray,
    key: str,
    payload_bits: int | Sequence[int],
    *,
    psnr_db: float = 42.0,
    texture: float = 0.0,
    informed: bool = True,
) -> np.ndarray:
    """Return a watermarked copy of (T, H, W, 3) uint8 frames carrying a 32-bit payload.

    key: any string (the same one detects). payload_bits: a 32-bit int or 32 zeros/ones.
    psnr_db: target PSNR per frame before rounding. texture: how much more strength textured
    areas get (0, the default, keeps it uniform apart from the 0/255 headroom: texture masking
    moves strength onto moving edges, which cost robustness to H.264 at 64x64 in measurements).
    informed: spend the energy where the content works against a bit (see `code_pattern`).
    Needs a short side of at least 64 pixels.
    """
    frames = np.asarray(frames)
    if frames.dtype != np.uint8 or frames.ndim != 4 or frames.shape[-1] != 3:
        raise ValueError(f"frames must be uint8 (T, H, W, 3), got {frames.dtype} {frames.shape}")
    _, h, w, _ = frames.shape
    grid = grid_for(h, w)
    if grid is None:
        raise ValueError(
            f"frames of {w}x{h} are too small to watermark: the short side must be >= {GRIDS[0]}"
        )
    if not 20.0 <= psnr_db <= 80.0:
        raise ValueError(f"psnr_db must be in [20, 80], got {psnr_db}")
    host = _host_votes(frames, grid) if informed else None
    target_rms = 255.0 * 10 ** (-psnr_db / 20)
    pattern = code_pattern(key, grid, encode_payload(payload_bits), host, target_rms)
    pattern = _resize(pattern, w, h, Image.Resampling.BICUBIC)
    pattern /= np.sqrt((pattern**2).mean())  # (H, W) unit RMS
    out = np.empty_like(frames)
    for t, frame in enumerate(frames):
        delta = pattern * strength_map(luma(frame[None])[0], texture)  # (H, W)
        delta *= target_rms / max(float(np.sqrt((delta**2).mean())), 1e-12)
        out[t] = np.clip(np.rint(frame + delta[..., None]), 0, 255).astype(np.uint8)
    return out


@functools.lru_cache(maxsize=16)
def _null_tail(per_bit: int) -> np.ndarray:
    """tail[s] = P(S >= s) for S = sum of 48 iid |2 Bin(N, 1/2) - N| (exact, float64)."""
    pmf = np.zeros(per_bit + 1)
    for k in range(per_bit + 1):
        pmf[abs(2 * k - per_bit)] += math.comb(per_bit, k) / 2.0**per_bit
    total = np.array([1.0])
    for _ in range(CODE_BITS):
        total = np.convolve(total, pmf)
    return np.minimum(1.0, total[::-1].cumsum()[::-1])


def false_positive_bound(score: float, grid: int) -> float:
    """Analytic false-positive probability of reaching `score` (0..1) on `grid`, CRC included."""
    per_bit = _band(grid)[1]
    s = math.ceil(score * CODE_BITS * per_bit - 1e-9)
    tail = _null_tail(per_bit)
    return float(len(GRIDS) * FLIP_CANDIDATES * 2.0**-CRC_BITS * (tail[s] if s < len(tail) else 0.0))


def normalised_mean(frames: np.ndarray, grid: int) -> np.ndarray:
    """Average over frames of each frame's luma on the (G, G) grid, made zero-mean unit-variance."""
    acc = np.zeros((grid, grid), dtype=np.float64)
    for y in luma(frames):
        g = _resize(y, grid, grid, Image.Resampling.BOX)
        acc += (g - g.mean()) / max(float(g.std()), 1e-6)
    return acc


def detect_on_grid(mean_luma: np.ndarray, key: str) -> tuple[np.ndarray, int, int]:
    """Per-bit votes z (48,) on one grid from `normalised_mean`; returns (z, S, N per bit)."""
    grid = mean_luma.shape[0]
    d = _dct_matrix(grid)
    coef = (d @ mean_luma @ d.T).ravel()  # (G*G,) DCT
    index, signs = _layout(key, grid)
    z = (signs * np.sign(coef[index])).sum(axis=1)  # (48,) integers in [-N, N]
    return z, int(np.abs(z).sum()), index.shape[1]


def _decode(z: np.ndarray) -> tuple[np.ndarray, int, bool]:
    """Hard bits from votes z (48,), retrying with the weakest bits flipped when the CRC fails.

    Returns (bits, score after flips, CRC ok). Each of the FLIP_CANDIDATES tries is a fixed rule
    whose word is uniform under no watermark, so the union bound multiplies the CRC chance by
    their count; a flip lowers the score by 2|z| of each flipped bit.
    """
    bits = (z > 0).astype(np.uint8)
    weakest = np.argsort(np.abs(z), kind="stable")[:FLIP_WEAKEST]
    tries = [()] + [(i,) for i in weakest] + [(i, j) for n, i in enumerate(weakest) for j in weakest[n + 1 :]]
    for flips in tries:
        word = bits.copy()
        word[list(flips)] ^= 1
        if np.array_equal(crc16(word[:PAYLOAD_BITS]), word[PAYLOAD_BITS:]):
            return word, int(np.abs(z).sum() - 2 * np.abs(z[list(flips)]).sum()), True
    return bits, int(np.abs(z).sum()), False


def detect_watermark(frames: np.ndarray, key: str, *, max_false_positive: float = 1e-6) -> WatermarkResult:
    """Look for `key`'s watermark in (T, H, W, 3) uint8 frames of any size, count and order."""
    frames = np.asarray(frames)
    if frames.dtype != np.uint8 or frames.ndim != 4 or frames.shape[-1] != 3 or frames.shape[0] < 1:
        raise ValueError(f"frames must be uint8 (T, H, W, 3) with T >= 1, got {frames.dtype} {frames.shape}")
    if not 0.0 < max_false_positive < 1.0:
        raise ValueError(f"max_false_positive must be in (0, 1), got {max_false_positive}")
    best = None
    for grid in GRIDS:
        z, _, per_bit = detect_on_grid(normalised_mean(frames, grid), key)
        bits, total, crc_ok = _decode(z)
        score = max(total, 0) / (CODE_BITS * per_bit)
        fp = false_positive_bound(score, grid) if crc_ok else 1.0
        candidate = (fp, -score, grid, bits, crc_ok, (z > 0).astype(np.uint8))
        if best is None or candidate[:2] < best[:2]:
            best = candidate
    fp, neg_score, grid, bits, crc_ok, raw_bits = best
    found = crc_ok and fp <= max_false_positive
    return WatermarkResult(
        found=found,
        payload=bits_to_int(bits[:PAYLOAD_BITS]) if found else None,
        score=-neg_score,
        false_positive=fp,
        bits=bits,
        raw_bits=raw_bits,
        grid=grid,
        crc_ok=crc_ok,
    )
