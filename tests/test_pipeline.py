"""The pipeline on a tiny random-weight checkpoint: every mode, exact conditioning, determinism,
checkpoint round trip, clear errors; and `tenku generate` end to end through the CLI."""

import os

import numpy as np
import pytest
import torch

from tenku import io
from tenku.pipeline import (
    GenerationRequest,
    Generator,
    create_random_checkpoint,
    frames_for,
    load_checkpoint,
    resolve_checkpoint,
)


@pytest.fixture(scope="module")
def ckpt(tmp_path_factory):
    return create_random_checkpoint(tmp_path_factory.mktemp("ckpt") / "random-test", preset="test", seed=1)


@pytest.fixture(scope="module")
def gen(ckpt):
    return Generator.load(ckpt)


def _clip(n, seed=0, size=16):
    rng = np.random.default_rng(seed)
    return rng.integers(0, 256, size=(n, size, size, 3), dtype=np.uint8)


def test_checkpoint_round_trip(ckpt, tmp_path):
    name, config, inference, vae, dit = load_checkpoint(ckpt)
    assert name == "random-test" and config.name == "test"
    from tenku.pipeline import save_checkpoint

    again = save_checkpoint(tmp_path / "copy", config=config, vae=vae, dit=dit, inference=inference)
    _, config2, inference2, vae2, dit2 = load_checkpoint(again)
    assert config2 == config and inference2 == inference
    for a, b in zip(dit.state_dict().values(), dit2.state_dict().values(), strict=True):
        assert torch.equal(a, b)
    umask = os.umask(0o022)
    try:  # the directory takes the mode mkdir would give it, not the temporary directory's 0700
        mode = save_checkpoint(tmp_path / "shared", config=config, vae=vae, dit=dit).stat().st_mode & 0o777
    finally:
        os.umask(umask)
    assert mode == 0o755
    with pytest.raises(ValueError, match="unknown model 'nope'"):
        resolve_checkpoint("nope")


def test_checkpoints_store_float16_where_it_fits(ckpt, tmp_path):
    from safetensors.torch import load_file

    from tenku.pipeline import save_checkpoint

    _, config, inference, vae, dit = load_checkpoint(ckpt)
    stored = load_file(ckpt / "dit.safetensors")
    assert {v.dtype for v in stored.values()} == {torch.float16}
    assert all(p.dtype == torch.float32 for p in dit.parameters())  # loaded into float32 modules
    with torch.no_grad():
        dit.final.linear.bias[0] = 1e5  # beyond float16: that tensor stays float32, the rest halve
    again = save_checkpoint(tmp_path / "big", config=config, vae=vae, dit=dit, inference=inference)
    stored = load_file(again / "dit.safetensors")
    assert stored["final.linear.bias"].dtype == torch.float32 and stored["final.linear.bias"][0] == 1e5
    assert stored["final.linear.weight"].dtype == torch.float16


def test_text_to_video_is_seeded(gen):
    a = gen.generate(GenerationRequest(prompt="a red ball", seconds=2, seed=3))
    b = gen.generate(GenerationRequest(prompt="a red ball", seconds=2, seed=3))
    c = gen.generate(GenerationRequest(prompt="a red ball", seconds=2, seed=4))
    assert a.mode == "text-to-video" and a.frames.shape == (frames_for(2, 8), 16, 16, 3)
    assert np.array_equal(a.frames, b.frames) and not np.array_equal(a.frames, c.frames)


def test_given_frames_come_out_exactly(gen):
    clip = _clip(17)
    image = clip[5]
    i2v = gen.generate(GenerationRequest(prompt="x", seconds=2, image=image))
    assert i2v.mode == "image-to-video" and np.array_equal(i2v.frames[0], image)
    ext = gen.generate(GenerationRequest(prompt="x", seconds=1, extend=clip))
    assert ext.frames.shape[0] == 17 + 8 and np.array_equal(ext.frames[:17], clip)
    back = gen.generate(GenerationRequest(prompt="x", seconds=1, extend=clip, backward=True))
    assert np.array_equal(back.frames[-17:], clip) and back.frames.shape[0] > 17
    b = _clip(9, seed=1)
    con = gen.generate(GenerationRequest(prompt="x", seconds=1, connect=(clip, b)))
    assert np.array_equal(con.frames[:17], clip) and np.array_equal(con.frames[-9:], b)
    assert con.frames.shape[0] == 17 + 8 + 9
    key = gen.generate(GenerationRequest(prompt="x", seconds=2, keyframes=((1.0, image),)))
    assert key.mode == "keyframes" and np.array_equal(key.frames[8], image)


def test_other_modes(gen):
    assert gen.generate(GenerationRequest(prompt="x", seconds=0)).frames.shape == (1, 16, 16, 3)
    loop = gen.generate(GenerationRequest(prompt="x", seconds=3, loop=True))
    assert loop.mode == "loop" and loop.frames.shape[0] == frames_for(3, 8)
    edit = gen.generate(GenerationRequest(prompt="x", edit=_clip(17), strength=0.5))
    assert edit.mode == "edit" and edit.frames.shape == (17, 16, 16, 3)
    wide = gen.generate(GenerationRequest(prompt="x", seconds=1, width=24, height=16))
    assert wide.frames.shape == (9, 16, 24, 3)
    long = gen.generate(GenerationRequest(prompt="x", seconds=12))
    assert long.mode == "long-video" and long.frames.shape[0] == frames_for(12, 8)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"width": 18}, "multiples of 4"),
        ({"seconds": 1000}, "seconds 1000 out of range"),
        ({"steps": 0}, "steps must be >= 1"),
        ({"strength": 0.0}, "strength must be in"),
        ({"fps": 0.5}, "fps 0.5 out of range"),
    ],
)
def test_bad_values_name_what_is_allowed(gen, change, message):
    with pytest.raises(ValueError, match=message):
        gen.generate(GenerationRequest(prompt="x", **change))


def test_too_long_prompt(gen):
    with pytest.raises(ValueError, match="at most 128"):
        gen.generate(GenerationRequest(prompt="ball " * 200))


def _cli(*args):
    from tenku.cli import main

    return main([str(a) for a in args])


@pytest.fixture
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("TENKU_HOME", str(tmp_path / "home"))
    return tmp_path


def test_cli_modes_write_valid_files(ckpt, home):
    out = home / "t2v.mp4"
    assert _cli("generate", "a red ball bounces", "--model", ckpt, "--out", out, "--seconds", 2) == 0
    video = io.read_video(out)
    assert video.frames.shape[0] == 17 and video.fps == pytest.approx(8)
    io.write_png(video.frames[0], home / "first.png")
    runs = {
        "i2v.mp4": ["--image", home / "first.png"],
        "ext.mp4": ["--extend", out, "--seconds", 1],
        "back.mp4": ["--extend", out, "--backward", "--seconds", 1],
        "loop.mp4": ["--loop", "--seconds", 3],
        "con.mp4": ["--connect", out, out, "--seconds", 1],
        "edit.mp4": ["--edit", out, "--strength", 0.5],
        "key.mp4": ["--keyframe", f"1.0:{home / 'first.png'}"],
        "image.png": [],
    }
    for name, extra in runs.items():
        assert _cli("generate", "a blue box", "--model", ckpt, "--out", home / name, *extra) == 0, name
        if name.endswith(".mp4"):
            assert io.read_video(home / name).frames.shape[0] > 1
        else:
            assert io.read_image(home / name).shape == (16, 16, 3)


@pytest.mark.parametrize(
    "args",
    [
        ["--size", "18x16"],
        ["--steps", "0"],
        ["--seconds", "-1"],
        ["--image", "missing.png"],
        ["--model", "no-such-model"],
    ],
)
def test_cli_bad_input_writes_nothing(ckpt, home, args, capsys):
    out = home / "bad.mp4"
    code = _cli("generate", "a red ball", "--model", ckpt, "--out", out, *args)
    assert code == 2
    assert not out.exists()
    assert "tenku: error:" in capsys.readouterr().err


def test_cli_refused_prompt_writes_nothing(ckpt, home, capsys):
    out = home / "refused.mp4"
    code = _cli("generate", "a naked child", "--model", ckpt, "--out", out)
    assert code == 3
    assert not out.exists()
    assert "refused" in capsys.readouterr().err
