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
decoded on its own. Where the blue coefficients would move too (a pale scene that brightening
turns white: pencil on white paper), frames of at least DARK_MIN_SIDE get a dark layer instead.

Dark layer. Its channel reads only pixels far from white: a pixel's weight falls from 1 to 0 as
its largest RGB value goes through DARK_RAMP, and each grid cell's value is the weighted mean
luma of its pixels over all frames, centred and divided by the weighted spread of those means.
Brightening leaves it where it was except for the pixels it turns white, which stop counting
(the detector sees them clip: erasures, not errors). Each of the G*G cells carries one coded
bit (keyed assignment and dither, about 20 cells a bit); the embedder moves every cell that has
enough pixels darker than DARK_SAFE (which stay unclipped and fully weighted after BRIGHTEN) to
its lattice point in the dark channel of the brightened frames, adding one value per cell to
those pixels only: the strokes, objects and floor that survive, never the paper. A cell's vote
is weighted by its observed share of pixels, 0 for a cell with none.

Detection and calibration. For each channel and ladder step a value votes
-cos(2 pi (c / step - d)) (times its weight, for dark cells) for its coded bit (+1 at bit-1
lattice points, -1 at bit-0 ones), and a Viterbi decoder finds the codeword of highest
correlation. With no watermark of this key the dithers are independent uniform numbers
whatever the content is (votes and weights use no key otherwise); shifting the dithers of a
codeword's 1-bits by 1/2 keeps their law and flips exactly those votes, which moves the decoded
word by that codeword (the code is linear), so the decoded 64 bits are uniform and the CRC-32
matches with probability exactly 2^-32 per variant. That needs the best codeword to be unique:
a coded bit whose dark cells all have weight 0 votes exactly 0, and when such erasures leave
two codewords equal off them the dark channel reports no match (coding.one_to_one_without).
`found` needs a CRC match; the false-positive probability reported is the union bound over the
VARIANTS = 3 channels (luma, blue, dark) x 80 steps tried: 240 x 2^-32 = 5.6e-8.
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
    one_to_one_without,
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
DARK_RAMP = (
    190.0,
    235.0,
)  # dark channel: a pixel counts fully below the first largest-RGB value, not above the second
DARK_SAFE = (
    DARK_RAMP[0] / BRIGHTEN
)  # the dark layer marks pixels whose largest RGB value is below: full weight brightened
DARK_MIN_SIDE = 2 * GRID  # the dark layer needs cells of at least 2 x 2 pixels
DARK_RELIABLE = 0.25  # a dark cell's vote weight rises with its observed share of pixels up to this share
DARK_MIN_WEIGHT = 0.02  # dark cells with less weight than this are not moved (too few pixels to carry a bit)
DARK_MIN_MARKED = 0.3  # nor are cells whose weight is less than this share marked pixels
DARK_SHARE = 0.5  # share of the squared-error budget the dark layer gets
DARK_LIMIT = 24.0  # largest dark-pattern value, grey levels (a cell that needs more keeps what it has)
DARK_ITERS = 3  # corrections of the dark pattern from the rounded, brightened frames before the joint ones
STEPS = 0.35 * 2.0 ** (np.arange(80) / 16)  # lattice step ladder, normalised units (0.35 .. 11)
DETECTOR_CHANNELS = (
    *CHANNELS,
    "dark",
)  # what the detector decodes: the band in luma and blue, the dark cells
VARIANTS = len(DETECTOR_CHANNELS) * len(STEPS)  # (channel, step) pairs the detector tries: 240
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


@functools.lru_cache(maxsize=16)
def dark_layout(key: str) -> tuple[np.ndarray, np.ndarray]:
    """Keyed layout of the dark cells: (G*G,) coded-bit number and (G*G,) dither in [0, 1) per cell."""
    seed = int.from_bytes(hashlib.sha256(f"{SCHEME}|dark|{key}".encode()).digest()[:8], "big")
    rng = np.random.default_rng(seed)
    return rng.permutation(GRID * GRID) % CODED_BITS, rng.uniform(0.0, 1.0, GRID * GRID)


def _dark_weight(rgb: np.ndarray) -> np.ndarray:
    """(..., 3) float RGB -> (...) 0 .. 1: how much a pixel counts in the dark channel (none near white)."""
    low, high = DARK_RAMP
    return np.clip((high - rgb.max(axis=-1)) / (high - low), 0.0, 1.0)


@dataclass(frozen=True, kw_only=True)
class DarkFeature:
    value: (
        np.ndarray
    )  # (G*G,) normalised weighted mean luma of each grid cell over the frames (0: none counted)
    weight: np.ndarray  # (G*G,) mean weight of the cell's pixels over the frames, 0 .. 1 (0: an erasure)
    scale: float  # grey levels per normalised unit: the weighted spread of the cell means


def dark_feature(frames: np.ndarray) -> DarkFeature:
    """The dark channel of (T, H, W, 3) uint8 frames: each grid cell's mean luma over its pixels that
    are far from white (weighted by `_dark_weight`, all frames together), centred and divided by
    the weighted spread of those means. Brightening with clipping leaves it where it was as long as
    the pixels that count do not clip; pixels it turned white do not count."""
    sums = np.zeros((GRID, GRID))
    weights = np.zeros((GRID, GRID))
    for start in range(0, len(frames), CHUNK):
        rgb = frames[start : start + CHUNK].astype(np.float32)
        w = _dark_weight(rgb)  # (t, H, W)
        sums += _box(w * _channel(rgb, "luma"), GRID).sum(axis=0)
        weights += _box(w, GRID).sum(axis=0)
    weight = weights.ravel() / len(frames)  # (G*G,)
    mean = np.where(weight > 0, sums.ravel() / len(frames) / np.maximum(weight, 1e-12), 0.0)
    total = weight.sum()
    if total <= 0:
        return DarkFeature(value=np.zeros(GRID * GRID), weight=weight, scale=MIN_CONTRAST)
    centre = (weight * mean).sum() / total
    scale = max(float(np.sqrt((weight * (mean - centre) ** 2).sum() / total)), MIN_CONTRAST)
    return DarkFeature(value=np.where(weight > 0, (mean - centre) / scale, 0.0), weight=weight, scale=scale)


def _brighten(frames: np.ndarray) -> np.ndarray:
    """Frames brightened by BRIGHTEN and clipped, as the attack the embedder simulates does it."""
    return np.clip(frames * np.float32(BRIGHTEN), 0, 255).astype(np.uint8)


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
    return _nearest_point(coef, bit, dither, coded, step)


def _nearest_point(
    values: np.ndarray, bit: np.ndarray, dither: np.ndarray, coded: np.ndarray, step: float
) -> np.ndarray:
    offset = dither + 0.5 * coded[bit]
    return step * (offset + np.round(values / step - offset))


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


def _apply(frames: np.ndarray, patterns: Sequence[np.ndarray | None]) -> np.ndarray:
    """Add the (G, G) patterns [grey, blue, dark], resized to the frames: grey along R = G = B, blue
    along BLUE, dark (one value per grid cell) along grey on the pixels darker than DARK_SAFE."""
    _, h, w, _ = frames.shape
    grey, blue, dark = patterns

    def up(pattern: np.ndarray, resample: Image.Resampling) -> np.ndarray:
        resized = Image.fromarray(pattern.astype(np.float32), mode="F").resize((w, h), resample)
        return np.array(resized)  # (H, W)

    delta = up(grey, Image.Resampling.BICUBIC)[:, :, None] * np.ones(3, np.float32)  # (H, W, 3)
    if blue is not None:
        delta = delta + up(blue, Image.Resampling.BICUBIC)[:, :, None] * BLUE
    cells = None if dark is None else up(dark, Image.Resampling.NEAREST)  # (H, W)
    out = np.empty_like(frames)
    for start in range(0, len(frames), CHUNK):
        chunk = frames[start : start + CHUNK]
        moved = chunk + delta
        if cells is not None:
            moved += (cells * (chunk.max(axis=-1) < DARK_SAFE))[..., None]  # (t, H, W, 1)
        out[start : start + CHUNK] = np.clip(np.rint(moved), 0, 255)
    return out


def _mse(marked: np.ndarray, original: np.ndarray) -> float:
    return float(
        np.mean([((m.astype(np.float64) - o) ** 2).mean() for m, o in zip(marked, original, strict=True)])
    )


def psnr(marked: np.ndarray, original: np.ndarray) -> float:
    """PSNR in dB of (T, H, W, 3) uint8 frames against the original, over all frames and channels."""
    return float(10 * np.log10(255**2 / max(_mse(marked, original), 1e-12)))


SLOTS = {"luma": 0, "blue": 1, "dark": 2}  # a layer's place in the [grey, blue, dark] patterns


@dataclass(frozen=True, kw_only=True)
class _Layer:
    channel: str  # feature channel: "luma" or "blue"
    step: float  # lattice step
    target: np.ndarray  # (216,) lattice points its coefficients must reach
    solve: _PatternSolver  # coefficient change -> pattern

    def read(self, frames: np.ndarray) -> np.ndarray:
        return feature(frames, self.channel).coef

    def correct(self, change: np.ndarray) -> np.ndarray:
        return self.solve(change)

    def limit(self, pattern: np.ndarray) -> np.ndarray:
        return pattern


@dataclass(frozen=True, kw_only=True)
class _DarkLayer:
    channel = "dark"
    step: float  # lattice step
    target: np.ndarray  # (G*G,) lattice points of the moved cells' values (the others: ignored)
    gain: np.ndarray  # (G*G,) grey levels of cell pattern per normalised unit of change (0: not moved)

    def read(self, frames: np.ndarray) -> np.ndarray:
        return dark_feature(_brighten(frames)).value

    def correct(self, change: np.ndarray) -> np.ndarray:
        return (self.gain * change).reshape(GRID, GRID)

    def limit(self, pattern: np.ndarray) -> np.ndarray:
        return np.clip(pattern, -DARK_LIMIT, DARK_LIMIT)


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


def _plan_dark(
    frames: np.ndarray, patterns: list, key: str, coded: np.ndarray, budget: float
) -> tuple[_DarkLayer, np.ndarray] | None:
    """The dark layer over the other layers' patterns: every cell with enough pixels darker than
    DARK_SAFE is moved to its lattice point in the dark channel of the brightened frames, with
    the largest ladder step whose pattern fits `budget` (squared grid norm, as in embed_watermark).
    None when the cells it can move leave the code unable to tell payloads apart."""
    t, h, w, _ = frames.shape
    base = _apply(frames, patterns)
    host = dark_feature(_brighten(base))
    counted, marked, pixels = np.zeros((3, GRID, GRID))
    for start in range(0, t, CHUNK):
        chunk = base[start : start + CHUNK]
        weight = _dark_weight(_brighten(chunk).astype(np.float32))  # (t, H, W) after brightening
        mark = (chunk.max(axis=-1) < DARK_SAFE).astype(np.float32)  # the pixels the pattern moves
        counted += _box(weight, GRID).sum(axis=0)
        marked += _box(weight * mark, GRID).sum(axis=0)
        pixels += _box(mark, GRID).sum(axis=0)
    share = (marked / np.maximum(counted, 1e-12)).ravel()  # of a cell's weight, what the pattern moves
    moved = (host.weight >= DARK_MIN_WEIGHT) & (share >= DARK_MIN_MARKED)
    bit, dither = dark_layout(key)
    if not one_to_one_without(np.bincount(bit[moved], minlength=CODED_BITS) == 0):
        return None
    gain = np.where(moved, host.scale / (BRIGHTEN * np.maximum(share, DARK_MIN_MARKED)), 0.0)
    cost = pixels.ravel() / t  # squared grid norm per grey level^2 of a cell's pattern: its marked share

    def layer_at(step: float) -> _DarkLayer:
        return _DarkLayer(step=step, target=_nearest_point(host.value, bit, dither, coded, step), gain=gain)

    def refined(layer: _DarkLayer) -> np.ndarray:
        pattern = layer.limit(layer.correct(layer.target - host.value))
        for _ in range(DARK_ITERS):  # rounding, clipping and the pixels it does not move
            seen = layer.read(_apply(frames, [*patterns[:2], pattern]))
            pattern = layer.limit(pattern + layer.correct(layer.target - seen))
        return pattern

    def estimate(step: float) -> float:  # squared grid norm of the first pattern at a step
        layer = layer_at(step)
        return float((cost * layer.correct(layer.target - host.value).ravel() ** 2).sum())

    def energy(pattern: np.ndarray) -> float:  # what it costs once applied, rounding included
        return _mse(_apply(frames, [np.zeros((GRID, GRID)), None, pattern]), frames) * GRID**2

    # the corrections make the cost grow about as step^3: search the ladder for the largest step that fits
    fits, fails, best = -1, len(STEPS), None  # ladder indices known to fit / not to fit
    i = int(np.searchsorted(STEPS, next((s for s in STEPS[::-1] if estimate(s) <= budget), STEPS[0])))
    while fails - fits > 1:
        layer = layer_at(float(STEPS[i]))
        pattern = refined(layer)
        spent = energy(pattern)
        if spent <= budget:
            fits, best = i, (layer, pattern)
        else:
            fails = i
        guess = np.searchsorted(STEPS, STEPS[i] * (budget / max(spent, 1e-12)) ** (1 / 3), side="right") - 1
        i = int(np.clip(guess, fits + 1, fails - 1))
    return best if best is not None else (layer, pattern)


def _bright_risk(frames: np.ndarray, host: Feature, channel: str, step: float) -> float:
    """RMS move of a layer's coefficients, in lattice steps, when the frames are brightened by
    BRIGHTEN and clipped (the feature is normalised: only the clipping moves them)."""
    return float(np.sqrt(((feature(_brighten(frames), channel).coef - host.coef) ** 2).mean())) / step


def _plan(frames: np.ndarray, key: str, coded: np.ndarray, budget: float) -> tuple[list, list]:
    """Layers of one clip and their first patterns [grey, blue, dark]: luma alone when brightening
    leaves the luma coefficients nearly where they were; else luma and blue when it leaves the
    blue ones so; else (a pale scene it turns white) luma and the dark layer on frames of at
    least DARK_MIN_SIDE; else luma and blue when blue moves less, or luma alone."""
    host = feature(frames, "luma")
    luma, grey = _plan_layer(frames, host, "luma", key, coded, np.sqrt(budget))
    risk = _bright_risk(frames, host, "luma", luma.step)
    if risk <= BRIGHT_RISK:
        return [luma], [grey, None, None]
    shared, shared_grey = _plan_layer(frames, host, "luma", key, coded, np.sqrt(LUMA_SHARE * budget))
    with_grey = _apply(frames, [shared_grey, None, None])
    blue_host = feature(with_grey, "blue")  # the blue layer reads the luma pattern too
    norm = np.sqrt((1 - LUMA_SHARE) * budget / BLUE_COST)
    blue, tint = _plan_layer(with_grey, blue_host, "blue", key, coded, norm)
    blue_risk = _bright_risk(with_grey, blue_host, "blue", blue.step)
    if blue_risk > BRIGHT_RISK and min(frames.shape[1:3]) >= DARK_MIN_SIDE:
        half, half_grey = _plan_layer(frames, host, "luma", key, coded, np.sqrt((1 - DARK_SHARE) * budget))
        dark = _plan_dark(frames, [half_grey, None, None], key, coded, DARK_SHARE * budget)
        if dark is not None:
            return [half, dark[0]], [half_grey, None, dark[1]]
    if blue_risk < risk:
        return [shared, blue], [shared_grey, tint, None]
    return [luma], [grey, None, None]


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
        for layer in layers:
            slot = SLOTS[layer.channel]
            seen = layer.read(_apply(frames, patterns))
            patterns[slot] = layer.limit(patterns[slot] + layer.correct(layer.target - seen))
    marked = _apply(frames, patterns)
    while psnr(marked, frames) < psnr_db:  # a hard floor on quality
        patterns = [None if p is None else 0.97 * p for p in patterns]
        marked = _apply(frames, patterns)
    return marked


def _votes(values: np.ndarray, weight: np.ndarray | None, bit: np.ndarray, dither: np.ndarray) -> np.ndarray:
    """(..., N) values carrying coded bits `bit` with dithers -> (..., STEPS, 210) soft votes.

    A value votes weight * -cos(2 pi (value / step - dither)): +1 on its bit-1 lattice points, -1
    on its bit-0 points; a coded bit sums its values' votes.
    """
    vote = -np.cos(2 * np.pi * (values[..., None, :] / STEPS[:, None] - dither))  # (..., S, N)
    if weight is not None:
        vote = vote * weight[..., None, :]
    order = np.argsort(bit, kind="stable")
    starts = np.searchsorted(bit[order], np.arange(CODED_BITS))
    return np.add.reduceat(vote[..., order], starts, axis=-1)  # (..., S, 210)


def soft_votes(coef: np.ndarray, key: str) -> np.ndarray:
    """(..., 216) band coefficients -> (..., STEPS, 210) soft votes (positive: 1), one row per step."""
    return _votes(coef, None, *layout(key))


def dark_votes(value: np.ndarray, weight: np.ndarray, key: str) -> np.ndarray:
    """(..., G*G) dark-channel values and weights -> (..., STEPS, 210) soft votes; a cell's vote is
    weighted by its observed share of pixels (up to DARK_RELIABLE), 0 for a cell with none."""
    return _votes(value, np.clip(weight / DARK_RELIABLE, 0.0, 1.0), *dark_layout(key))


@dataclass(frozen=True, kw_only=True)
class Decoded:
    bits: np.ndarray  # (..., S, 64) decoded information bits per variant
    score: np.ndarray  # (..., S) correlation of the votes with the decoded codeword, -1 .. 1
    crc_ok: np.ndarray  # (..., S) bool: the decoded CRC matched
    votes: np.ndarray  # (..., S, 210) the soft votes


def _decode_votes(votes: np.ndarray, decodable: np.ndarray | bool = True) -> Decoded:
    bits, metric = viterbi(votes)
    score = metric / np.maximum(np.abs(votes).sum(axis=-1), 1e-12)
    return Decoded(bits=bits, score=score, crc_ok=crc_matches(bits) & decodable, votes=votes)


def decode(coef: np.ndarray, key: str) -> Decoded:
    """Decode (..., 216) band coefficients at every ladder step; results have a new (S,) axis."""
    return _decode_votes(soft_votes(coef, key))


def decode_dark(value: np.ndarray, weight: np.ndarray, key: str) -> Decoded:
    """Decode (..., G*G) dark-channel values and weights at every ladder step (new (S,) axis).

    A coded bit none of whose cells has weight votes 0 (an erasure). Where the erasures leave
    the code unable to tell payloads apart (two codewords equal off them), the maximum-likelihood
    word is not unique and the variants report no CRC match, which keeps the calibration exact.
    """
    votes = dark_votes(value, weight, key)  # (..., S, 210)
    bit, _ = dark_layout(key)
    observed = (weight > 0).reshape(-1, weight.shape[-1])  # (B, G*G)
    decodable = np.array(
        [one_to_one_without(np.bincount(bit[row], minlength=CODED_BITS) == 0) for row in observed]
    ).reshape(weight.shape[:-1])
    return _decode_votes(votes, decodable[..., None])


def detect_watermark(frames: np.ndarray, key: str, *, max_false_positive: float = 1e-6) -> WatermarkResult:
    """Look for `key`'s watermark in (T, H, W, 3) uint8 frames of any size, count and order."""
    frames = np.asarray(frames)
    if frames.dtype != np.uint8 or frames.ndim != 4 or frames.shape[-1] != 3 or frames.shape[0] < 1:
        raise ValueError(f"frames must be uint8 (T, H, W, 3) with T >= 1, got {frames.dtype} {frames.shape}")
    if not 0.0 < max_false_positive < 1.0:
        raise ValueError(f"max_false_positive must be in (0, 1), got {max_false_positive}")
    band = decode(features(frames), key)  # (C, S) variants
    dark_f = dark_feature(frames)
    dark = decode_dark(dark_f.value, dark_f.weight, key)  # (S,)
    bits = np.concatenate([band.bits, dark.bits[None]])  # (3, S, 64)
    score = np.concatenate([band.score, dark.score[None]])  # (3, S)
    crc = np.concatenate([band.crc_ok, dark.crc_ok[None]])
    votes = np.concatenate([band.votes, dark.votes[None]])
    rank = np.where(crc, score, score - 10.0)  # any CRC match beats none
    rank[-1] = np.where(crc[-1], rank[-1], rank[-1] - 10.0)  # with none, report the band's best guess
    channel, step = np.unravel_index(int(np.argmax(rank)), rank.shape)
    best, crc_ok = bits[channel, step], bool(crc[channel, step])
    fp = FALSE_POSITIVE if crc_ok else 1.0
    found = crc_ok and fp <= max_false_positive
    return WatermarkResult(
        found=found,
        payload=bits_to_int(best[:PAYLOAD_BITS]) if found else None,
        score=float(score[channel, step]),
        false_positive=fp,
        bits=best,
        raw_bits=(votes[channel, step] > 0).astype(np.uint8),
        channel=DETECTOR_CHANNELS[channel],
        step=float(STEPS[step]),
        crc_ok=crc_ok,
    )
