"""Channel code of the invisible watermark: 32-bit payload + CRC-32 -> convolutional code -> Viterbi.

- `encode_payload(payload)`: (64,) payload bits followed by their CRC-32/BZIP2.
- `conv_encode(info)`: rate-1/3, constraint-length-7 convolutional code (generators 133, 171,
  165 octal) with 6 zero tail bits: 64 -> 210 coded bits. The code is linear: the XOR of two
  codewords is a codeword, which is what makes the decoded word of an unmarked clip uniform.
- `viterbi(votes)`: maximum-likelihood decoding of soft votes (positive: bit 1), any number of
  rows at once.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence

import numpy as np

PAYLOAD_BITS = 32  # bits the caller chooses
CRC_BITS = 32  # CRC-32/BZIP2 over the payload: error detection, and the false-positive rate
CRC_POLY, CRC_INIT, CRC_XOR = 0x04C11DB7, 0xFFFFFFFF, 0xFFFFFFFF
CODE_BITS = PAYLOAD_BITS + CRC_BITS  # information bits fed to the convolutional code: 64
CONV_POLYS = (0o133, 0o171, 0o165)  # rate-1/3, constraint length 7 generators
CONV_MEMORY = 6  # constraint length - 1: zero tail bits that return the encoder to state 0
CODED_BITS = (CODE_BITS + CONV_MEMORY) * len(CONV_POLYS)  # bits embedded: 210


def int_to_bits(value: int, n: int) -> np.ndarray:
    return np.array([(value >> (n - 1 - i)) & 1 for i in range(n)], dtype=np.uint8)


def bits_to_int(bits: np.ndarray) -> int:
    return int("".join(str(int(b)) for b in bits), 2)


def crc32(bits: np.ndarray) -> np.ndarray:
    """CRC-32/BZIP2 (poly 0x04C11DB7, init and xorout 0xFFFFFFFF, MSB first) of bits, as 32 bits."""
    reg = CRC_INIT
    for b in np.asarray(bits, dtype=np.uint8):
        top = ((reg >> 31) & 1) ^ int(b)
        reg = (reg << 1) & 0xFFFFFFFF
        if top:
            reg ^= CRC_POLY
    return int_to_bits(reg ^ CRC_XOR, CRC_BITS)


def encode_payload(payload: int | Sequence[int]) -> np.ndarray:
    """32-bit payload (an int, or a sequence of 32 zeros/ones) -> (64,) payload + CRC-32 bits."""
    if isinstance(payload, int | np.integer):
        if not 0 <= int(payload) < 2**PAYLOAD_BITS:
            raise ValueError(f"payload must be an integer in [0, 2**{PAYLOAD_BITS}), got {payload}")
        bits = int_to_bits(int(payload), PAYLOAD_BITS)
    else:
        bits = np.asarray(payload, dtype=np.int64)
        if bits.shape != (PAYLOAD_BITS,) or not np.isin(bits, (0, 1)).all():
            raise ValueError(f"payload bits must be {PAYLOAD_BITS} values of 0 or 1, got {bits.tolist()}")
        bits = bits.astype(np.uint8)
    return np.concatenate([bits, crc32(bits)])


@functools.lru_cache(maxsize=1)
def _crc_affine() -> tuple[np.ndarray, np.ndarray]:
    """CRC-32 as an affine map over GF(2): crc(bits) = matrix @ bits + offset (mod 2)."""
    offset = crc32(np.zeros(PAYLOAD_BITS, np.uint8))
    unit = np.eye(PAYLOAD_BITS, dtype=np.uint8)
    matrix = np.stack([crc32(unit[i]) ^ offset for i in range(PAYLOAD_BITS)], axis=1)  # (32, 32)
    return matrix.astype(np.int64), offset.astype(np.int64)


def crc32_rows(payloads: np.ndarray) -> np.ndarray:
    """(..., 32) payload bits -> (..., 32) their CRC-32 bits, many at once (same as `crc32`)."""
    matrix, offset = _crc_affine()
    return ((np.asarray(payloads, dtype=np.int64) @ matrix.T + offset) % 2).astype(np.uint8)


def crc_matches(info: np.ndarray) -> np.ndarray:
    """(..., 64) decoded bits -> (...) bool: they end with the CRC-32 of their first 32."""
    return np.all(crc32_rows(info[..., :PAYLOAD_BITS]) == info[..., PAYLOAD_BITS:], axis=-1)


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
    """(64,) information bits -> (210,) coded bits (zero-tailed, rate 1/3)."""
    out, nxt = _trellis()
    state, coded = 0, []
    for u in np.concatenate([np.asarray(info, dtype=np.int64), np.zeros(CONV_MEMORY, np.int64)]):
        coded.append(out[state, u])
        state = nxt[state, u]
    return np.concatenate(coded)


def viterbi(votes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Soft votes (..., 210) (positive: bit 1) -> (..., 64) information bits of the codeword c with
    the highest correlation sum_i votes_i (2 c_i - 1), and that correlation (...,): maximum
    likelihood. Leading axes are independent words, decoded together."""
    out, _ = _trellis()
    n_states, rate = out.shape[0], len(CONV_POLYS)
    lead = votes.shape[:-1]
    steps = np.asarray(votes, dtype=np.float64).reshape(-1, votes.shape[-1] // rate, rate)  # (B, 70, 3)
    batch, n_steps = steps.shape[:2]
    nxt_states = np.arange(n_states)
    u = nxt_states >> (CONV_MEMORY - 1)  # the input bit that leads into each state
    prev = ((nxt_states & (n_states // 2 - 1)) << 1)[:, None] | np.array([0, 1])  # (64, 2) predecessors
    triple = out[prev, u[:, None]] @ (1 << np.arange(rate)[::-1])  # (64, 2) branch output as 0..7
    signs = 2.0 * ((np.arange(2**rate)[:, None] >> np.arange(rate)[::-1]) & 1) - 1.0  # (8, 3)
    metric = np.full((batch, n_states), -np.inf)
    metric[:, 0] = 0.0
    choice = np.zeros((n_steps, batch, n_states), dtype=bool)  # True: the second predecessor won
    for t in range(n_steps):
        corr = steps[:, t] @ signs.T  # (B, 8) correlation with each output triple
        cand = metric[:, prev] + corr[:, triple]  # (B, 64, 2)
        if t >= CODE_BITS:
            cand[:, u == 1] = -np.inf  # tail bits are zeros
        choice[t] = cand[..., 1] > cand[..., 0]
        metric = np.where(choice[t], cand[..., 1], cand[..., 0])
    state = np.zeros(batch, dtype=np.int64)
    info = np.zeros((batch, n_steps), dtype=np.uint8)
    rows = np.arange(batch)
    for t in range(n_steps - 1, -1, -1):
        info[:, t] = u[state]
        state = prev[state, choice[t, rows, state].astype(np.int64)]
    return info[:, :CODE_BITS].reshape(*lead, CODE_BITS), metric[:, 0].reshape(lead)


@functools.lru_cache(maxsize=1)
def generator_matrix() -> np.ndarray:
    """(64, 210) 0/1 generator of the convolutional code: conv_encode(info) = info @ G mod 2."""
    return np.stack([conv_encode(row) for row in np.eye(CODE_BITS, dtype=np.uint8)])


def gf2_rank(matrix: np.ndarray) -> int:
    """Rank over GF(2) of a 0/1 matrix (Gaussian elimination)."""
    rows = np.asarray(matrix, dtype=np.uint8).copy() & 1
    rank = 0
    for col in range(rows.shape[1]):
        pivots = np.flatnonzero(rows[rank:, col]) + rank
        if pivots.size == 0:
            continue
        rows[[rank, pivots[0]]] = rows[[pivots[0], rank]]
        below = np.flatnonzero(rows[:, col])
        below = below[below != rank]
        rows[below] ^= rows[rank]
        rank += 1
        if rank == rows.shape[0]:
            break
    return rank


def one_to_one_without(erased: np.ndarray) -> bool:
    """True when the code punctured at the (210,) bool `erased` positions still tells all 2^64
    information words apart (no nonzero codeword lives on the erased positions alone), so that
    the maximum-likelihood word of continuous votes is unique with probability 1."""
    if not erased.any():
        return True
    return gf2_rank(generator_matrix()[:, ~np.asarray(erased, dtype=bool)]) == CODE_BITS
