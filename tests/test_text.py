"""Text encoder: shapes, mask, pooled vector, per-prompt cache, limits (tiny local BERT; MiniLM is slow)."""

import dataclasses

import pytest
import torch

from tenku.config import TextConfig
from tenku.text import PromptCache, TextEncoder


@pytest.fixture
def encoder(tiny_bert_dir):
    return TextEncoder(TextConfig(encoder=str(tiny_bert_dir), dim=32, max_tokens=8, cache_size=4))


def test_shapes_mask_pooled(encoder):
    emb = encoder.encode(["a red ball bounces left", "a box", ""])
    assert emb.tokens.shape == (3, 7, 32)  # [CLS] 5 words [SEP]
    assert emb.mask.dtype == torch.bool
    assert emb.mask.sum(1).tolist() == [7, 4, 2]  # "" is [CLS] [SEP]
    assert torch.all(emb.tokens[1, 4:] == 0)
    expected = emb.tokens[1, :4].mean(0)
    torch.testing.assert_close(emb.pooled[1], expected)


def test_lazy_load_and_cache_hit(encoder):
    assert encoder._model is None
    first = encoder.encode(["a blue box", "the ball"])
    assert encoder._model is not None
    assert (encoder.cache.hits, encoder.cache.misses) == (0, 2)
    again = encoder.encode(["the ball", "a blue box"])
    assert encoder.cache.hits == 2 and encoder.cache.misses == 2
    torch.testing.assert_close(again.tokens[1], first.tokens[0])


def test_batch_independent_of_padding(encoder):
    alone = TextEncoder(encoder.cfg).encode(["a red ball"])
    padded = TextEncoder(encoder.cfg).encode(["a red ball", "a green box rolls over"])
    torch.testing.assert_close(padded.tokens[0, :5], alone.tokens[0], atol=1e-5, rtol=1e-5)


def test_too_long_prompt_names_count_and_limit(encoder):
    with pytest.raises(ValueError, match="12 tokens long.*at most 8"):
        encoder.encode(["a red ball bounces left right over under fast slow"])


def test_truncate_cuts_long_training_captions(encoder):
    long = "a red ball bounces left right over under fast slow"
    emb = encoder.encode([long, "a box"], truncate=True)
    assert emb.mask.sum(1).tolist() == [8, 4]  # cut to max_tokens, [SEP] kept; short ones untouched
    head = TextEncoder(encoder.cfg).encode(["a red ball bounces left right"])  # [CLS] 6 words [SEP]
    torch.testing.assert_close(emb.tokens[0, :7], head.tokens[0, :7], atol=1e-5, rtol=1e-5)


def test_rejects_single_string_and_missing_dir(encoder, tmp_path):
    with pytest.raises(TypeError):
        encoder.encode("a ball")
    with pytest.raises(FileNotFoundError, match="neither 'minilm' nor"):
        TextEncoder(TextConfig(encoder=str(tmp_path / "nope"))).encode(["a"])


def test_dim_mismatch(tiny_bert_dir):
    with pytest.raises(ValueError, match="width 32.*dim is 384"):
        TextEncoder(TextConfig(encoder=str(tiny_bert_dir))).encode(["a"])


def test_lru_cache_evicts_oldest():
    cache = PromptCache(2)
    for p in ("a", "b", "c"):
        cache.put(p, torch.zeros(1))
    assert cache.get("a") is None and cache.get("c") is not None and len(cache) == 2


@pytest.mark.slow
def test_minilm_default_offline():
    cfg = TextConfig()
    emb = TextEncoder(cfg).encode(["a red ball bounces across a blue room", ""])
    assert emb.tokens.shape[0] == 2 and emb.tokens.shape[2] == cfg.dim == 384
    assert emb.mask[1].sum() == 2
    assert torch.isfinite(emb.tokens).all() and emb.pooled.norm(dim=1).min() > 0
    assert dataclasses.is_dataclass(emb)


def test_swap_sides_mirrors_left_and_right():
    from tenku.text import swap_sides

    assert swap_sides("Left of a box, a ball rolls leftward up-left; the camera pans right.") == (
        "Right of a box, a ball rolls rightward up-right; the camera pans left."
    )
    assert swap_sides("a bright ring and leftover rightly") is None  # no side named: no mirror
    assert swap_sides("") is None
