"""`tenku bench vae`: PSNR of world clips through a VAE (random-weight checkpoint, tiny sizes)."""

import json

import numpy as np

from tenku.cli import main
from tenku.cli.bench_vae import psnr


def test_psnr_known_values():
    a = np.zeros((2, 4, 4, 3), dtype=np.uint8)
    assert psnr(a, a) == 99.0
    b = a.copy()
    b[...] = 255
    assert abs(psnr(a, b)) < 1e-9  # mse = 255^2 -> 0 dB
    c = a.copy()
    c[0, 0, 0, 0] = 16  # mse = 256 / 96
    assert abs(psnr(a, c) - 10 * np.log10(255.0**2 * 96 / 256)) < 1e-9


def test_bench_vae_prints_per_style_and_writes_json(tmp_path, capsys):
    from tenku.pipeline import create_random_checkpoint

    ckpt = create_random_checkpoint(tmp_path / "ckpt", preset="test")
    out = tmp_path / "vae.json"
    args = ["bench", "vae", "--vae", str(ckpt), "--n", "2", "--size", "32x32", "--seconds", "1"]
    assert main([*args, "--json", str(out)]) == 0
    text = capsys.readouterr().out
    assert "32x32" in text and "all" in text and "elapsed" in text
    data = json.loads(out.read_text())
    assert len(data["clips"]) == 2 and data["summary"]["mean"] < 99


def test_bench_vae_bad_input(tmp_path, capsys):
    assert main(["bench", "vae", "--vae", str(tmp_path / "missing")]) == 2
    assert "not a VAE run directory" in capsys.readouterr().err
    from tenku.pipeline import create_random_checkpoint

    ckpt = create_random_checkpoint(tmp_path / "ckpt", preset="test")
    assert main(["bench", "vae", "--vae", str(ckpt), "--n", "1", "--size", "30x32"]) == 2
    assert "multiples of 4" in capsys.readouterr().err
