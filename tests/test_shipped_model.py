"""The shipped default model: it is in the package, loads by name and generates both sizes it offers."""

import pytest

from tenku.pipeline import DEFAULT_MODEL, GenerationRequest, Generator, available_models


def test_default_model_is_shipped_and_generates_square_and_wide():
    assert DEFAULT_MODEL in available_models()
    gen = Generator.load(DEFAULT_MODEL)
    sizes = gen.inference.sizes
    assert (64, 64) in sizes and any(w > h for w, h in sizes)
    for w, h in ((64, 64), max(sizes)):
        result = gen.generate(GenerationRequest(prompt="a red ball bounces", width=w, height=h, steps=2))
        assert result.frames.shape == (17, h, w, 3)  # 2 s at 8 fps
        assert result.frames.std() > 1  # not a constant frame


def test_default_model_is_small_enough_to_ship():
    from tenku.pipeline import resolve_checkpoint

    size = sum(p.stat().st_size for p in resolve_checkpoint(DEFAULT_MODEL).iterdir())
    assert size <= 50 * 2**20, f"shipped checkpoint is {size / 2**20:.1f} MiB; the budget is 50 MiB"


@pytest.mark.parametrize("bad", ["tenku-huge", "/no/such/dir"])
def test_unknown_model_names_what_is_shipped(bad):
    with pytest.raises(ValueError, match=f"shipped: .*{DEFAULT_MODEL}"):
        Generator.load(bad)
