"""Invisible watermark: a keyed, convolutionally coded 32-bit payload in the luma of every frame.

Contract:
- `embed_watermark(frames, key, payload)` adds one frame-independent luma pattern that carries a
  32-bit payload plus a CRC-24 to every frame; PSNR stays near `psnr_db` (40.5 dB, so >= 40
  after rounding).
- `detect_watermark(frames, key)` needs no original, no frame alignment and no frame rate: it
  averages the brightness/contrast-normalised luma of whatever frames it is given (any count, any
  order, any resolution), so dropped, trimmed and resampled frames and brightness/contrast
  changes do not matter. It returns the payload, a score and a false-positive probability.

Scheme (version 2). The 32 payload bits and their CRC-24 (56 bits) are coded by a rate-1/3,
constraint-length-7 convolutional code (6 zero tail bits: 186 coded bits). The luma is resized
to a square embedding grid of G x G (G = 64 for videos whose short side is below 128 pixels,
else 128; the detector tries both). Every 2-D DCT coefficient of the grid in a low/mid band
(u, v < 0.3 G, radius >= 0.06 G: below half the Nyquist rate, so it survives a 0.5x downscale,
and above the lowest frequencies where image content lives) carries one coded bit: the key
shuffles the band, deals the coefficients round-robin to the 186 coded bits and gives each a
+/-1 sign; bit b adds +sign (b = 1) or -sign (b = 0). The pattern is the inverse DCT, upsampled
to the frame and added equally to R, G and B (so only luma changes), scaled per frame to the
target PSNR. Informed embedding spends that energy only where the host needs it: every
coefficient it can reach ends at least 4 a on its bit's side (a set so the energy is that of
a uniform pattern), and coefficients the host already carries that far get none.

Detection and calibration. The detector sums the normalised frames on each grid and takes the
DCT. A coefficient c_j votes for its coded bit with sign_j * sign(c_j) * min(1, 2 a / |c_j|),
where a is the embedded amplitude: informed embedding leaves the watermark's coefficients near
+/-a, so a much larger one is host content and says less. A Viterbi decoder finds the codeword
of highest correlation with the votes. With no watermark of this key, the key's signs are
independent fair coins whatever the content is (the votes use no key otherwise); flipping them
by any codeword keeps their law and moves the decoded word by that codeword (the code is
linear), so the decoded 56 bits are uniform and the CRC-24 matches with probability exactly
2^-24, whatever the content. `found` needs the CRC to match; the false-positive probability
reported is `len(GRIDS) * 2^-24` = 1.2e-7 (union bound over the grids tried).
"""

from __future__ import annotations

import functools
import hashlib
import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from PIL import Image

PAYLOAD_BITS = 32  # bits the caller chooses
CRC_BITS = 24  # CRC-24/OpenPGP over the payload: error detection, and the false-positive rate
CRC_POLY, CRC_INIT = 0x864CFB, 0xB704CE
CODE_BITS = PAYLOAD_BITS + CRC_BITS  # information bits fed to the convolutional code
CONV_POLYS = (0o133, 0o171, 0o165)  # rate-1/3, constraint length 7 generators
CONV_MEMORY = 6  # constraint length - 1: zero tail bits that return the encoder to state 0
CODED_BITS = (CODE_BITS + CONV_MEMORY) * len(CONV_POLYS)  # bits embedded: 186
GRIDS = (64, 128)  # square embedding grids; the detector tries each
BAND = (0.06, 0.3)  # (min radius, max u and v) of the DCT band, as fractions of the grid size
PSNR_DB = 40.5  # default strength: target PSNR per frame before rounding (>= 40 dB after it)
VOTE_REACH = 2.0  # a coefficient votes with full weight up to this many embedded amplitudes
SCHEME = "tenku-watermark-v2"
TENKU_TAG = 0x74  # top 8 payload bits of tenku's own ids ("t"); the low 24 are minutes since EPOCH
EPOCH = 1735689600  # 2025-01-01T00:00:00Z
INFORMED_CAP = 6.0  # informed embedding fixes a wrong-signed coefficient when |host| <= this x a
INFORMED_MARGIN = 4.0  # informed embedding leaves every coefficient it can at >= this x a
LUMA = np.array([0.299, 0.587, 0.114], dtype=np.float32)
FALSE_POSITIVE = len(GRIDS) * 2.0**-CRC_BITS  # chance a clip without the watermark is found


@dataclass(frozen=True, kw_only=True)
class WatermarkResult:
    found: bool  # CRC matched and false_positive <= the threshold asked for
    payload: int | None  # the 32-bit payload when found, else None
    score: float  # correlation of the votes with the decoded codeword, -1 .. 1 (0: none)
    false_positive: float  # probability that a clip without this watermark is found (CRC chance)
    bits: np.ndarray  # (56,) uint8 decoded payload + CRC bits of the best grid
    raw_bits: np.ndarray  # (186,) uint8 hard decisions on the coded bits (channel bit accuracy)
    grid: int  # embedding grid that gave the best result
    crc_ok: bool  # the decoded CRC matched the decoded payload

    @property
    def p_value(self) -> float:
        return self.false_positive


def crc24(bits: np.ndarray) -> np.ndarray:
    """CRC-24/OpenPGP (poly 0x864CFB, init 0xB704CE) of a bit array, as 24 bits MSB first."""
    reg = CRC_INIT
    for b in np.asarray(bits, dtype=np.uint8):
        top = ((reg >> 23) & 1) ^ int(b)
        reg = (reg << 1) & 0xFFFFFF
        if top:
            reg ^= CRC_POLY
    return np.array([(reg >> (23 - i)) & 1 for i in range(24)], dtype=np.uint8)


def int_to_bits(value: int, n: int) -> np.ndarray:
    return np.array([(value >> (n - 1 - i)) & 1 for i in range(n)], dtype=np.uint8)


def bits_to_int(bits: np.ndarray) -> int:
    return int("".join(str(int(b)) for b in bits), 2)


def encode_payload(payload: int | Sequence[int]) -> np.ndarray:
    """32-bit payload (an int, or a sequence of 32 zeros/ones) -> (56,) payload + CRC-24 bits."""
    if isinstance(payload, int | np.integer):
        if not 0 <= int(payload) < 2**PAYLOAD_BITS:
            raise ValueError(f"payload must be an integer in [0, 2**{PAYLOAD_BITS}), got {payload}")
        bits = int_to_bits(int(payload), PAYLOAD_BITS)
    else:
        bits = np.asarray(payload, dtype=np.int64)
        if bits.shape != (PAYLOAD_BITS,) or not np.isin(bits, (0, 1)).all():
            raise ValueError(f"payload bits must be {PAYLOAD_BITS} values of 0 or 1, got {bits.tolist()}")
        bits = bits.astype(np.uint8)
    return np.concatenate([bits, crc24(bits)])


@functools.lru_cache(maxsize=1)
def _trellis() -> tuple[np.ndarray, np.ndarray]:
    """Conv-code outputs (64 states, 2 inputs, 3) as 0/1 and next states (64, 2).

    The state holds the last 6 input bits, newest in bit 5; shifting in u gives register
    (u << 6) | state and next state register >> 1.
    """
    states = np.arange(2**CONV_MEMORY)
    out = np.zeros((len(states), 2, len(CONV_POLYS)), dtype=np.uint8)
    nxt = np.zeros((len(states), 2), dtype=np.int64)
    for u in (0, 1):
        reg = (u << CONV_MEMORY) | states
        nxt[:, u] = reg >> 1
        for k, poly in enumerate(CONV_POLYS):
            out[:, u, k] = [bin(int(r) & poly).count("1") & 1 for r in reg]
    return out, nxt


def conv_encode(info: np.ndarray) -> np.ndarray:
    """(56,) information bits -> (186,) coded bits (zero-tailed, rate 1/3)."""
    out, nxt = _trellis()
    state, coded = 0, []
    for u in np.concatenate([np.asarray(info, dtype=np.int64), np.zeros(CONV_MEMORY, np.int64)]):
        coded.append(out[state, u])
        state = nxt[state, u]
    return np.concatenate(coded)


def viterbi(votes: np.ndarray) -> tuple[np.ndarray, float]:
    """Soft votes (186,) (positive: bit 1) -> (56,) information bits of the codeword c with the
    highest correlation sum_i votes_i (2 c_i - 1), and that correlation (maximum likelihood)."""
    out, _ = _trellis()
    n_states, rate = out.shape[0], len(CONV_POLYS)
    nxt_states = np.arange(n_states)
    u = nxt_states >> (CONV_MEMORY - 1)  # the input bit that leads into each state
    prev = ((nxt_states & (n_states // 2 - 1)) << 1)[:, None] | np.array([0, 1])  # (64, 2) predecessors
    branch_signs = 2.0 * out[prev, u[:, None]] - 1.0  # (64, 2, 3) outputs on each incoming branch
    steps = votes.reshape(-1, rate)  # (62, 3)
    metric = np.full(n_states, -np.inf)
    metric[0] = 0.0
    choice = np.zeros((len(steps), n_states), dtype=np.int64)  # which predecessor won
    for t, v in enumerate(steps):
        cand = metric[prev] + branch_signs @ v  # (64, 2)
        if t >= CODE_BITS:
            cand[u == 1] = -np.inf  # tail bits are zeros
        choice[t] = cand.argmax(axis=1)
        metric = cand[nxt_states, choice[t]]
    state, info = 0, np.zeros(len(steps), dtype=np.uint8)
    for t in range(len(steps) - 1, -1, -1):
        info[t] = u[state]
        state = prev[state, choice[t, state]]
    return info[:CODE_BITS], float(metric[0])


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
def _band(grid: int) -> np.ndarray:
    """Flat indices of the (G, G) DCT band's coefficients."""
    u = np.arange(grid)[:, None]
    v = np.arange(grid)[None, :]
    in_band = (np.hypot(u, v) >= BAND[0] * grid) & (u < BAND[1] * grid) & (v < BAND[1] * grid)
    return np.flatnonzero(in_band)


@functools.lru_cache(maxsize=16)
def layout(key: str, grid: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Keyed layout of the band: (M,) flat DCT indices, (M,) coded-bit numbers, (M,) +/-1 signs."""
    candidates = _band(grid)
    seed = int.from_bytes(hashlib.sha256(f"{SCHEME}|{key}|{grid}".encode()).digest()[:8], "big")
    rng = np.random.default_rng(seed)
    index = rng.permutation(candidates)
    bit = np.arange(len(index)) % CODED_BITS
    signs = rng.choice(np.array([-1.0, 1.0]), size=len(index))
    return index, bit, signs


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


def normalised_mean(frames: np.ndarray, grid: int) -> tuple[np.ndarray, float]:
    """Sum over frames of each frame's luma on the (G, G) grid made zero-mean unit-variance,
    and the gain: what a static pattern of one grey level adds to that sum."""
    acc = np.zeros((grid, grid), dtype=np.float64)
    gain = 0.0
    for y in luma(frames):
        g = _resize(y, grid, grid, Image.Resampling.BOX)
        scale = max(float(g.std()), 1e-6)
        acc += (g - g.mean()) / scale
        gain += 1.0 / scale  # a static pattern of 1 grey level adds 1/scale per frame
    return acc, gain


def coefficients(mean_luma: np.ndarray) -> np.ndarray:
    """(G*G,) DCT of a `normalised_mean` sum."""
    d = _dct_matrix(mean_luma.shape[0])
    return (d @ mean_luma @ d.T).ravel()


def code_pattern(
    key: str, grid: int, coded: np.ndarray, host: np.ndarray | None = None, rms: float = 1.0
) -> np.ndarray:
    """(G, G) spatial pattern with unit RMS carrying the 186 coded bits.

    host: the host's (G*G,) DCT in grey levels (informed embedding), for a pattern that will be
    scaled to `rms` grey levels. Without it every coefficient gets the same amplitude a. With it,
    the energy goes only where the host needs it: a coefficient whose host already has the right
    sign by at least INFORMED_MARGIN * a gets nothing; one with the right sign but a thinner
    margin is topped up to INFORMED_MARGIN * a; one with the wrong sign is moved to
    INFORMED_MARGIN * a on the right side when its host is at most INFORMED_CAP * a (else it is
    left alone). a is chosen by bisection to keep the energy of the uniform pattern, so the wide
    margin survives compression that shrinks the mark and perturbs the host.
    """
    index, bit, signs = layout(key, grid)
    want = signs * (2.0 * coded[bit] - 1.0)  # (M,) desired sign of each coefficient
    budget = float(index.size)  # energy of the uniform pattern with a = 1
    if host is None:
        amp = np.ones_like(want)
    else:
        h = host[index] * want * np.sqrt(budget) / (rms * grid)  # (M,) host along want, units of a=1

        def amplitude(a: float) -> np.ndarray:
            target = INFORMED_MARGIN * a
            reachable = h >= -INFORMED_CAP * a  # right sign, or wrong by at most the cap
            return np.where(reachable, np.maximum(target - h, 0.0), 0.0)

        lo, hi = 0.0, 1.0
        while (amplitude(hi) ** 2).sum() < budget and hi < 1e6:  # energy grows with a
            hi *= 2.0
        for _ in range(50):  # bisect to the budget
            mid = (lo + hi) / 2
            lo, hi = (mid, hi) if (amplitude(mid) ** 2).sum() < budget else (lo, mid)
        amp = amplitude(lo)
    coef = np.zeros(grid * grid)
    coef[index] = want * amp
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
    psnr_db: float | None = None,
    texture: float = 0.0,
    informed: bool = True,
) -> np.ndarray:
    """Return a watermarked copy of (T, H, W, 3) uint8 frames carrying a 32-bit payload.

    key: any string (the same one detects). payload_bits: a 32-bit int or 32 zeros/ones.
    psnr_db: target PSNR per frame before rounding. texture: how much more strength textured
    areas get (0, the default, keeps it uniform apart from the 0/255 headroom). informed: spend
    the energy where the content works against a coefficient (see `code_pattern`).
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
    psnr_db = PSNR_DB if psnr_db is None else psnr_db
    if not 20.0 <= psnr_db <= 80.0:
        raise ValueError(f"psnr_db must be in [20, 80], got {psnr_db}")
    host = None
    if informed:
        total, gain = normalised_mean(frames, grid)
        host = coefficients(total) / gain  # (G*G,) in grey levels of a static pattern
    target_rms = 255.0 * 10 ** (-psnr_db / 20)
    coded = conv_encode(encode_payload(payload_bits))
    pattern = code_pattern(key, grid, coded, host, target_rms)
    pattern = _resize(pattern, w, h, Image.Resampling.BICUBIC)
    pattern /= np.sqrt((pattern**2).mean())  # (H, W) unit RMS
    out = np.empty_like(frames)
    for t, frame in enumerate(frames):
        delta = pattern * strength_map(luma(frame[None])[0], texture)  # (H, W)
        delta *= target_rms / max(float(np.sqrt((delta**2).mean())), 1e-12)
        out[t] = np.clip(np.rint(frame + delta[..., None]), 0, 255).astype(np.uint8)
    return out


def soft_votes(coef: np.ndarray, key: str, grid: int) -> np.ndarray:
    """(186,) soft votes for the coded bits (positive: 1) from a grid's coefficients in grey levels.

    A coefficient votes sign(c) * min(1, VOTE_REACH * a / |c|) times its key sign, where a is the
    amplitude the embedder gives a coefficient at the default strength: after informed embedding
    a coefficient near +/-a is the watermark's, while one far larger is host content that
    outvoted it, so it gets less say. A coded bit sums its coefficients' votes.
    """
    index, bit, signs = layout(key, grid)
    a = 255.0 * 10 ** (-PSNR_DB / 20) * grid / np.sqrt(len(index))  # uniform coefficient amplitude
    c = coef[index]  # (M,)
    vote = np.sign(c) * np.minimum(1.0, VOTE_REACH * a / np.maximum(np.abs(c), 1e-12))
    return np.bincount(bit, weights=signs * vote, minlength=CODED_BITS)


def decode_votes(votes: np.ndarray) -> tuple[np.ndarray, float, bool]:
    """Votes (186,) -> (56,) decoded bits, correlation score in [-1, 1], CRC ok."""
    info, metric = viterbi(votes)
    score = metric / max(float(np.abs(votes).sum()), 1e-12)
    return info, score, bool(np.array_equal(crc24(info[:PAYLOAD_BITS]), info[PAYLOAD_BITS:]))


def detect_watermark(frames: np.ndarray, key: str, *, max_false_positive: float = 1e-6) -> WatermarkResult:
    """Look for `key`'s watermark in (T, H, W, 3) uint8 frames of any size, count and order."""
    frames = np.asarray(frames)
    if frames.dtype != np.uint8 or frames.ndim != 4 or frames.shape[-1] != 3 or frames.shape[0] < 1:
        raise ValueError(f"frames must be uint8 (T, H, W, 3) with T >= 1, got {frames.dtype} {frames.shape}")
    if not 0.0 < max_false_positive < 1.0:
        raise ValueError(f"max_false_positive must be in (0, 1), got {max_false_positive}")
    best = None
    for grid in GRIDS:
        tot, gain = normalised_mean(frames, grid)
        votes = soft_votes(coefficients(tot) / gain, key, grid)
        bits, score, crc_ok = decode_votes(votes)
        candidate = (not crc_ok, -score, grid, bits, crc_ok, (votes > 0).astype(np.uint8))
        if best is None or candidate[:2] < best[:2]:
            best = candidate
    _, neg_score, grid, bits, crc_ok, raw_bits = best
    fp = FALSE_POSITIVE if crc_ok else 1.0
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
