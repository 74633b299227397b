"""`tenku bench speed` smoke tests (the full run loads MiniLM and diffusers: slow)."""

import pytest

from tenku.cli import main


def test_bad_latent_and_preset(capsys):
    assert main(["bench", "speed", "--preset", "nope"]) == 2
    assert "unknown preset" in capsys.readouterr().err
    assert main(["bench", "speed", "--preset", "test", "--latent", "9,2,4,4", "--no-wan"]) == 2
    assert "9 channels" in capsys.readouterr().err


@pytest.mark.slow
def test_speed_runs_on_test_preset(capsys):
    assert main(["bench", "speed", "--preset", "test", "--latent", "4,2,4,4", "--repeats", "1"]) == 0
    out = capsys.readouterr().out
    for needle in ("DiT forward fp32", "DiT forward bf16", "VAE encode", "end to end", "Wan / tenku"):
        assert needle in out
