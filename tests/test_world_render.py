"""World physics and renderer: gravity, collisions, occlusion, fps independence, styles, CLI."""

import json

import numpy as np
import pytest

from tenku.world import (
    COLORS,
    GRAVITY,
    STYLES,
    ObjectSpec,
    OccluderSpec,
    SceneSpec,
    render,
    sample_spec,
    simulate,
    unpack_masks,
)


def _drop(**kw) -> SceneSpec:
    ball = ObjectSpec(shape="ball", color="red", size="medium", motion="falling", x=5.0, y=5.5, **kw)
    return SceneSpec(objects=(ball,), background="studio", style="flat", seconds=1.0)


def test_dropped_ball_gravity_from_state_and_pixels():
    r = render(_drop(), width=128, height=128, fps=24)
    st = r.state
    free = st.velocity_world[1:, 0, 1] < st.velocity_world[:-1, 0, 1]  # still accelerating
    k = np.flatnonzero(free)[: int(np.argmin(free)) if not free.all() else None]
    t, y = st.time[k], st.centroid_world[k, 0, 1]
    g_state = -2 * np.polyfit(t, y, 2)[0]
    assert abs(g_state - GRAVITY) / GRAVITY < 0.01
    # from pixels: segment the red ball by colour, fit a parabola to its centroid row
    frames = r.frames[k].astype(np.float32)
    red = np.linalg.norm(frames - np.asarray(COLORS["red"], np.float32), axis=-1) < 60
    rows = np.array([np.nonzero(m)[0].mean() + 0.5 for m in red])
    scale = 128 / 10.0  # pixels per world unit (still camera)
    g_px = 2 * np.polyfit(t, rows, 2)[0] / scale  # rows grow downwards
    assert abs(g_px - GRAVITY) / GRAVITY < 0.03


def test_bounce_restitution_and_no_floor_penetration():
    for bounciness, lo, hi in (("bouncy", 0.8, 0.9), ("dead", 0.2, 0.3)):
        traj = simulate(_drop(bounciness=bounciness), np.arange(0, 1.5, 1 / 480))
        vy, y, r = traj.velocity[:, 0, 1], traj.position[:, 0, 1], traj.radius[:, 0]
        assert (y - r).min() > -1e-6
        flip = int(np.argmax(vy > 0))  # first sample after the bounce
        e = vy[flip] / -vy[flip - 1]
        assert lo < e < hi


def test_elastic_collision_conserves_momentum_and_energy():
    a = ObjectSpec(
        shape="ball",
        color="red",
        size="large",
        motion="moving",
        direction="right",
        speed="fast",
        x=2.0,
        y=3.0,
    )
    b = ObjectSpec(
        shape="box", color="blue", size="small", motion="moving", direction="left", speed="slow", x=7.0, y=3.3
    )
    traj = simulate(SceneSpec(objects=(a, b)), np.array([0.0, 0.75]))  # after the hit, before any wall
    m = traj.radius[0] ** 2  # mass ~ radius^2
    v0, v1 = traj.velocity
    assert not np.allclose(v0, v1)  # they did collide
    np.testing.assert_allclose((m[:, None] * v0).sum(0), (m[:, None] * v1).sum(0), atol=1e-9)
    e0, e1 = (m * (v0**2).sum(1)).sum(), (m * (v1**2).sum(1)).sum()
    assert abs(e0 - e1) < 1e-9 * e0


def test_walls_reflect_elastically():
    a = ObjectSpec(shape="ball", color="red", motion="moving", direction="left", speed="fast", x=1.5, y=3.0)
    traj = simulate(SceneSpec(objects=(a,)), np.array([0.0, 1.0]))
    np.testing.assert_allclose(traj.velocity[1, 0], -traj.velocity[0, 0], atol=1e-12)


def test_occluded_object_disappears_and_comes_back():
    ball = ObjectSpec(
        shape="ball",
        color="green",
        size="small",
        motion="moving",
        direction="right",
        speed="medium",
        x=1.0,
        y=1.0,
    )
    spec = SceneSpec(objects=(ball,), occluders=(OccluderSpec(kind="pillar", x=5.0),), seconds=3.0)
    vis = render(spec, width=64, height=64, fps=12).state.visible_fraction[:, 0]
    gone = np.flatnonzero(vis == 0)
    assert vis[0] > 0.99 and len(gone) > 0 and vis[gone[-1] + 1 :].max() > 0.99


def test_8_and_24_fps_show_the_same_motion():
    spec = sample_spec(8, min_objects=4, max_objects=4)
    s8 = render(spec, width=32, height=32, fps=8).state
    s24 = render(spec, width=32, height=32, fps=24).state
    assert len(s8.time) == 16 and len(s24.time) == 48
    np.testing.assert_allclose(s8.centroid_world, s24.centroid_world[::3], atol=1e-9)
    np.testing.assert_allclose(s8.velocity_world, s24.velocity_world[::3], atol=1e-9)


def test_render_is_deterministic_and_state_consistent():
    spec = sample_spec(21, min_objects=3, max_objects=3).replace(style="documentary")
    a = render(spec, width=48, height=40, fps=8, seed=1)
    b = render(spec, width=48, height=40, fps=8, seed=1)
    c = render(spec, width=48, height=40, fps=8, seed=2)
    assert np.array_equal(a.frames, b.frames) and not np.array_equal(a.frames, c.frames)
    st = a.state
    t, n = st.centroid_px.shape[:2]
    assert a.frames.shape == (t, 40, 48, 3) and a.frames.dtype == np.uint8
    assert st.masks.shape == (t, n, 40, 48) and st.masks.dtype == bool
    assert st.bbox_px.shape == (t, n, 4) and st.camera_offset.shape == (t, 2) and st.camera_zoom.shape == (t,)
    assert not (st.masks.sum(1) > 1).any()  # instance masks never overlap


@pytest.mark.parametrize("style", STYLES)
def test_styles_render_any_size_and_keep_colours(style):
    objs = (
        ObjectSpec(shape="ball", color="red", size="large", x=2.5, y=2.0),
        ObjectSpec(shape="box", color="blue", size="large", x=5.0, y=2.0),
        ObjectSpec(shape="star", color="yellow", size="large", x=7.5, y=2.0),
    )
    spec = SceneSpec(objects=objs, style=style, background="meadow")
    for w, h in ((37, 23), (96, 24)):
        r = render(spec, width=w, height=h, fps=4, seconds=0.5)
        assert r.frames.shape == (2, h, w, 3)
    r = render(spec, width=96, height=64, fps=4, seconds=0.5)
    names = list(COLORS)
    palette = np.asarray([COLORS[c] for c in names], np.float32)
    for i, obj in enumerate(objs):
        pix = r.frames[0][r.state.masks[0, i]].astype(np.float32)
        mean = pix.mean(0)
        hue = mean - mean.mean()  # compare chroma: styles may lighten or darken
        ref = palette - palette.mean(1, keepdims=True)
        best = names[int(np.argmax(ref @ hue / np.linalg.norm(ref, axis=1)))]
        assert best == obj.color, (style, obj.color, mean)


def test_cli_world_sample_and_dataset(tmp_path):
    from tenku.cli import main
    from tenku.io import read_video

    out = tmp_path / "clip.mp4"
    assert (
        main(
            [
                "world",
                "sample",
                "--seed",
                "2",
                "--out",
                str(out),
                "--width",
                "48",
                "--height",
                "32",
                "--fps",
                "8",
                "--seconds",
                "1",
            ]
        )
        == 0
    )
    assert read_video(out).frames.shape[0] == 8
    assert SceneSpec.from_json((tmp_path / "clip.json").read_text()).objects
    assert (tmp_path / "clip.png").stat().st_size > 0
    data = tmp_path / "data"
    args = [
        "world",
        "dataset",
        "--out",
        str(data),
        "--width",
        "32",
        "--height",
        "32",
        "--fps",
        "4",
        "--seconds",
        "1",
    ]
    assert main([*args, "--count", "2", "--masks"]) == 0
    first = (data / "videos" / "0000000.mp4").stat().st_mtime_ns
    assert main([*args, "--count", "3", "--masks"]) == 0  # resumes: item 0 is not redone
    assert (data / "videos" / "0000000.mp4").stat().st_mtime_ns == first
    records = [json.loads(line) for line in (data / "captions.jsonl").read_text().splitlines()]
    assert [r["path"] for r in records] == [f"videos/000000{i}.mp4" for i in range(3)]
    with np.load(data / records[2]["state"]) as npz:
        assert unpack_masks(npz).shape[:2] == npz["centroid_px"].shape[:2]
