import numpy as np
import pytest

from tenku import io


def _clip(t=12, h=32, w=48):
    rng = np.random.default_rng(0)
    base = rng.integers(0, 255, size=(1, h // 8, w // 8, 3)).astype(np.uint8)
    frames = np.repeat(np.repeat(base, 8, axis=1), 8, axis=2)
    return np.repeat(frames, t, axis=0)


def test_mp4_round_trip(tmp_path):
    frames = _clip()
    path = io.write_mp4(frames, tmp_path / "a.mp4", fps=12)
    video = io.read_video(path)
    assert video.frames.shape == frames.shape
    assert video.fps == pytest.approx(12)
    err = np.abs(video.frames.astype(int) - frames.astype(int)).mean()
    assert err < 6


def test_mp4_odd_size_and_resample(tmp_path):
    frames = np.pad(_clip(t=24, h=32, w=40), ((0, 0), (0, 1), (0, 7), (0, 0)), mode="edge")  # 33 x 47
    path = io.write_mp4(frames, tmp_path / "odd.mp4", fps=24)
    video = io.read_video(path, fps=8, size=(16, 16))
    assert video.frames.shape == (8, 16, 16, 3)
    assert io.read_video(path).frames.shape == (24, 34, 48, 3)


def test_gif_and_png(tmp_path):
    frames = _clip(t=4)
    frames[np.arange(4), 0, 0] = np.arange(4)[:, None] * 60  # GIF merges identical frames
    io.write_gif(frames, tmp_path / "a.gif", fps=8)
    assert io.read_video(tmp_path / "a.gif").frames.shape[0] == 4
    io.write_png(io.contact_sheet(frames, count=3), tmp_path / "s.png")
    assert io.read_image(tmp_path / "s.png").shape == (32, 3 * 48 + 4, 3)


@pytest.mark.parametrize("content", [b"", b"not a video at all" * 10])
def test_corrupt_input_clear_error(tmp_path, content):
    bad = tmp_path / "bad.mp4"
    bad.write_bytes(content)
    with pytest.raises(io.VideoReadError, match="bad.mp4"):
        io.read_video(bad)
    with pytest.raises(io.VideoReadError, match="no such file"):
        io.read_video(tmp_path / "missing.mp4")


def test_failed_write_leaves_nothing(tmp_path):
    with pytest.raises(TypeError):
        io.write_mp4(np.zeros((2, 8, 8, 3), dtype=np.float32), tmp_path / "x.mp4", fps=8)
    with pytest.raises(ValueError):
        io.write_mp4(_clip(t=2), tmp_path / "y.mp4", fps=8, crf=99)
    assert list(tmp_path.iterdir()) == []
