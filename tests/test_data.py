"""Datasets: folder decoding with corrupt files, buckets, determinism, masks, caches."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from tenku import data
from tenku.config import VAEConfig
from tenku.io import write_mp4, write_png

BUCKETS = ((5, 16, 16), (5, 16, 32), (9, 16, 16), (1, 16, 16), (1, 16, 32))


def _clip(t: int, h: int, w: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    base = rng.integers(0, 255, size=(1, h, w, 3))
    return np.clip(base + 10 * np.arange(t)[:, None, None, None], 0, 255).astype(np.uint8)


@pytest.fixture
def folder(tmp_path):
    rows = []
    for i, (t, h, w) in enumerate([(12, 32, 32), (12, 32, 64), (6, 24, 48), (16, 40, 40)]):
        write_mp4(_clip(t, h, w, i), tmp_path / f"v{i}.mp4", fps=8)
        rows.append({"path": f"v{i}.mp4", "caption": f"clip {i}"})
    write_png(_clip(1, 20, 20, 9)[0], tmp_path / "still.png")
    rows.append({"path": "still.png", "caption": "a still"})
    (tmp_path / "broken.mp4").write_bytes(b"\x00\x00\x00\x18ftypmp42" + bytes(range(256)) * 4)
    rows.append({"path": "broken.mp4", "caption": "corrupt"})
    rows.append({"path": "missing.mp4", "caption": "gone"})
    (tmp_path / "captions.jsonl").write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    return tmp_path


def test_folder_skips_corrupt_and_missing_files(folder):
    ds = data.VideoFolderDataset(folder, data.DataConfig(buckets=BUCKETS), seed=0)
    assert len(ds.skipped) == 2
    assert {p.split("/")[-1] for p in ds.skipped} == {"broken.mp4", "missing.mp4"}
    assert len(ds) == 5
    batch = ds.get_batch(0, 2)
    assert batch.video.dtype == torch.float32 and batch.video.abs().max() <= 1.0


def test_folder_corrupt_at_load_time_is_counted_not_fatal(folder):
    ds = data.VideoFolderDataset(folder, data.DataConfig(buckets=((5, 16, 16),)), seed=0)
    (folder / "v0.mp4").write_bytes(b"garbage" * 10)  # breaks after the scan
    for i in range(20):
        assert ds.get_batch(i, 2).video.shape == (2, 3, 5, 16, 16)
    assert any(p.endswith("v0.mp4") for p in ds.skipped)


def test_buckets_never_mix_shapes_and_images_are_one_frame(folder):
    cfg = data.DataConfig(buckets=BUCKETS, caption_dropout=0.0)
    ds = data.VideoFolderDataset(folder, cfg, seed=1)
    seen = set()
    for i in range(30):
        batch = ds.get_batch(i, 3)
        shape = tuple(batch.video.shape[2:])  # (T, H, W) of the whole batch
        assert shape in BUCKETS
        assert batch.meta["bucket"] == data.Bucket(frames=shape[0], height=shape[1], width=shape[2])
        if shape[0] == 1:
            assert set(batch.captions) == {"a still"}
        seen.add(shape)
    assert [len(m) for m in ds.members] == [0, 2, 2, 1, 0]
    assert seen == {(5, 16, 32), (9, 16, 16), (1, 16, 16)}  # several aspect ratios and durations in one run
    csv_root = folder / "csv"
    csv_root.mkdir()
    (csv_root / "captions.csv").write_text(f"path,caption\n{folder / 'v1.mp4'},wide one\n")
    wide = data.VideoFolderDataset(csv_root, cfg).get_batch(0, 2)
    assert wide.video.shape == (2, 3, 9, 16, 32) or wide.video.shape == (2, 3, 5, 16, 32)
    assert wide.captions == ("wide one", "wide one")


def test_batches_are_deterministic_and_rank_split(folder):
    ds = data.VideoFolderDataset(folder, data.DataConfig(buckets=BUCKETS, caption_dropout=0.5), seed=3)
    a, b = ds.get_batch(5, 4), ds.get_batch(5, 4)
    assert torch.equal(a.video, b.video) and a.captions == b.captions
    r0, r1 = ds.get_batch(5, 2, rank=0, world_size=2), ds.get_batch(5, 2, rank=1, world_size=2)
    assert torch.equal(torch.cat([r0.video, r1.video]), a.video)
    assert r0.captions + r1.captions == a.captions


def test_caption_dropout_rate():
    rng = np.random.default_rng(0)
    out = data.drop_captions(["x"] * 2000, 0.1, rng)
    assert 0.07 < out.count("") / 2000 < 0.13


def test_cond_masks_cover_modes_and_never_condition_everything():
    cfg = data.DataConfig()
    rng = np.random.default_rng(0)
    mask = data.sample_cond_mask(4000, 5, cfg, rng)
    assert mask.shape == (4000, 5) and mask.dtype == torch.bool
    assert not mask.all(dim=1).any()
    rows = {tuple(r.tolist()) for r in mask}
    assert (False,) * 5 in rows  # none
    assert (True, False, False, False, False) in rows  # first (or prefix of 1)
    assert (False, False, False, False, True) in rows  # last
    assert (True, False, False, False, True) in rows  # both
    assert (True, True, True, False, False) in rows  # prefix
    assert (False, False, True, True, True) in rows  # suffix
    frac_none = (~mask.any(dim=1)).float().mean().item()
    assert 0.35 < frac_none < 0.55
    assert not data.sample_cond_mask(10, 1, cfg, rng).any()  # an image has nothing to condition on


def test_resize_crop_covers_and_centres():
    frames = np.zeros((2, 20, 40, 3), dtype=np.uint8)
    frames[:, :, 18:22] = 255  # a bright centre column
    out = data.resize_crop(frames, 16, 16)
    assert out.shape == (2, 16, 16, 3)
    assert out[:, :, 7:9].mean() > 200 and out[:, :, :3].mean() < 10


def test_bad_config_is_rejected():
    with pytest.raises(ValueError, match="bucket"):
        data.DataConfig(buckets=((5, 16),))
    with pytest.raises(ValueError, match="cond_modes"):
        data.DataConfig(cond_modes=("sideways",), cond_weights=(1.0,))
    with pytest.raises(ValueError, match="--data"):
        data.open_dataset("/no/such/dir", data.DataConfig())


def test_latent_cache_roundtrip(tmp_path):
    from safetensors.torch import save_file

    lat = torch.randn(3, 4, 2, 4, 4)
    tok = torch.randn(3, 6, 8)
    mask = torch.tensor([[1] * 6, [1] * 4 + [0] * 2, [1] * 2 + [0] * 4], dtype=torch.bool)
    save_file({"latents": lat, "text_tokens": tok, "text_mask": mask}, tmp_path / "shard-00000.safetensors")
    save_file(
        {"text_tokens": torch.zeros(1, 2, 8), "text_mask": torch.ones(1, 2, dtype=torch.bool)},
        tmp_path / "empty.safetensors",
    )
    index = {
        "fps": 8,
        "empty": "empty.safetensors",
        "shards": [{"file": "shard-00000.safetensors", "captions": ["a", "b", "c"]}],
    }
    (tmp_path / "index.json").write_text(json.dumps(index))
    ds = data.open_dataset(f"cache:{tmp_path}", data.DataConfig(caption_dropout=0.0))
    batch = ds.get_batch(0, 5)
    assert batch.latents.shape == (5, 4, 2, 4, 4) and batch.video is None
    assert batch.objects is None  # a cache without object cover (not from world data)
    for i, c in enumerate(batch.captions):
        k = "abc".index(c)
        assert torch.equal(batch.latents[i], lat[k])
        n = int(mask[k].sum())
        assert torch.equal(batch.text_tokens[i, :n], tok[k, :n]) and batch.text_mask[i].sum() == n


def test_latent_cover_groups_frames_as_the_causal_vae():
    objects = torch.zeros(1, 1, 9, 16, 16, dtype=torch.bool)  # latent frames: {0}, {1..4}, {5..8}
    objects[0, 0, 0, :8, :8] = True  # all of cell (0, 0) in frame 0
    objects[0, 0, 2, 8:10, 8:12] = True  # 8 of 64 pixels of cell (1, 1) in one of four frames
    vae = VAEConfig(spatial_compression=8, temporal_compression=4)
    cover = data.latent_cover(objects, vae)
    assert cover.shape == (1, 1, 3, 2, 2)
    assert cover[0, 0, 0, 0, 0] == 1.0 and cover[0, 0, 1, 0, 0] == 0.0
    assert cover[0, 0, 1, 1, 1] == pytest.approx(8 / 64 / 4)
    assert cover.sum() == pytest.approx(1 + 8 / 256)
    assert data.latent_cover(objects[:, :, :1], vae).shape == (1, 1, 1, 2, 2)  # an image
    with pytest.raises(ValueError, match="do not fit latent cells"):
        data.latent_cover(objects[:, :, :8], vae)


def test_world_dataset_renders_buckets():
    world = pytest.importorskip("tenku.world")
    if not hasattr(world, "caption"):
        pytest.skip("tenku.world has no renderer yet")
    cfg = data.DataConfig(buckets=((5, 16, 16), (1, 16, 32)), caption_dropout=0.0)
    ds = data.WorldDataset(cfg, seed=0)
    for i in range(3):
        batch = ds.get_batch(i, 2)
        assert tuple(batch.video.shape[2:]) in {(5, 16, 16), (1, 16, 32)}
        assert all(isinstance(c, str) and c for c in batch.captions)
    again = ds.get_batch(2, 2)
    assert torch.equal(again.video, batch.video)


def test_world_batches_carry_object_pixels_aligned_with_frames():
    cfg = data.DataConfig(buckets=((5, 32, 32), (1, 32, 32)), caption_dropout=0.0)
    ds = data.WorldDataset(cfg, seed=0)
    for i in range(4):
        batch = ds.get_batch(i, 2)
        fg = batch.foreground
        assert fg.dtype == torch.bool and fg.shape == (2, 1, *batch.video.shape[2:])
        assert 0 < fg.float().mean() < 0.5  # objects are there, and are not the whole frame
        # object pixels differ from the frame's typical (background) colour more than the rest do
        video = batch.video
        median = video.flatten(2).median(dim=2).values[..., None, None, None]
        far = (video - median).abs().sum(1, keepdim=True)
        assert far[fg].mean() > far[~fg].mean()
