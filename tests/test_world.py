"""World specs, sampler, splits, captions and the prompt parser."""

import json

import pytest

from tenku.world import (
    COLORS,
    HELD_OUT_PHRASINGS,
    MOTIONS,
    SHAPES,
    STYLES,
    ObjectSpec,
    OccluderSpec,
    SceneSpec,
    caption,
    captions,
    expand_prompt,
    held_out_reasons,
    is_held_out,
    parse_prompt,
    sample_spec,
    spec_from_prompt,
)


def test_vocabulary_sizes():
    assert len(SHAPES) >= 5 and len(COLORS) >= 8 and len(STYLES) >= 6 and len(MOTIONS) == 9


def test_spec_json_round_trip():
    for seed in range(30):
        spec = sample_spec(seed, split=("train", "ood", "combo")[seed % 3])
        text = spec.to_json()
        back = SceneSpec.from_json(text)
        assert back == spec and back.to_json() == text
        assert json.loads(text)["objects"][0]["shape"] in SHAPES


def test_validation_names_field_and_allowed_values():
    with pytest.raises(ValueError, match=r"objects\[0\]\.shape.*ball"):
        SceneSpec(objects=(ObjectSpec(shape="hexagon", color="red"),)).validate()
    with pytest.raises(ValueError, match=r"direction.*rolling.*left"):
        ObjectSpec(shape="ball", color="red", motion="rolling", direction="up", speed="fast").validate()
    with pytest.raises(ValueError, match=r"style must be one of.*watercolor"):
        SceneSpec(objects=(ObjectSpec(shape="ball", color="red"),), style="oil").validate()
    with pytest.raises(ValueError, match=r"occluders\[0\]\.kind"):
        SceneSpec(
            objects=(ObjectSpec(shape="ball", color="red"),), occluders=(OccluderSpec(kind="door"),)
        ).validate()
    with pytest.raises(ValueError, match="unknown field"):
        SceneSpec.from_json('{"objects": [{"shape": "ball", "color": "red", "mass": 3}]}')
    with pytest.raises(ValueError, match="not valid JSON"):
        SceneSpec.from_json("{nope")
    with pytest.raises(ValueError, match="1..4"):
        SceneSpec(objects=()).validate()


def test_sampler_is_deterministic_and_splits_differ():
    assert sample_spec(5) == sample_spec(5)
    assert sample_spec(5) != sample_spec(6)
    assert sample_spec(5, split="id") != sample_spec(5, split="train")
    with pytest.raises(ValueError, match="split must be one of"):
        sample_spec(0, split="test")


def test_train_sampler_never_yields_held_out():
    for seed in range(600):
        spec = sample_spec(seed)
        assert not is_held_out(spec), held_out_reasons(spec)
        assert not is_held_out(sample_spec(seed, split="id"))


def test_ood_and_combo_splits_are_held_out():
    for seed in range(100):
        ood, combo = sample_spec(seed, split="ood"), sample_spec(seed, split="combo")
        assert any("outside training range" in r for r in held_out_reasons(ood))
        assert any("held-out" in r for r in held_out_reasons(combo))


def test_curriculum_knobs():
    for seed in range(40):
        spec = sample_spec(seed, max_objects=1, allow_occluders=False, allow_camera=False, style="pixel")
        assert (
            len(spec.objects) == 1
            and spec.occluders == ()
            and spec.camera == "still"
            and spec.style == "pixel"
        )


def _key(objects):
    return [(o.color, o.shape, o.motion) for o in objects]


def test_every_caption_parses_back():
    for seed in range(200):
        spec = sample_spec(seed, split=("train", "ood", "combo")[seed % 3])
        for detailed in (False, True):
            texts = captions(spec, seed=seed, detailed=detailed, count=6)
            texts.append(caption(spec, seed=seed + 1, detailed=detailed, phrasing="held_out"))
            for text in texts:
                parsed = parse_prompt(text)
                assert _key(parsed.objects) == _key(spec.objects), text
                assert parsed.style == spec.style and parsed.unknown_words == [], text
                if detailed:
                    got = [
                        (o.size, o.direction, o.speed, o.bounciness or o2.bounciness)
                        for o, o2 in zip(parsed.objects, spec.objects, strict=True)
                    ]
                    assert got == [(o.size, o.direction, o.speed, o.bounciness) for o in spec.objects], text
                    assert (parsed.background, parsed.camera) == (spec.background, spec.camera), text


def test_captions_vary_and_keep_held_out_phrasings_out_of_training():
    spec = sample_spec(11, min_objects=2, max_objects=2)
    texts = captions(spec, seed=0)
    assert len(set(texts)) >= 5
    for seed in range(300):
        words = set(caption(sample_spec(seed), seed=seed).lower().replace(".", " ").replace(",", " ").split())
        assert not words & HELD_OUT_PHRASINGS
    assert caption(spec, seed=3) == caption(spec, seed=3)


def test_parse_prompt_fields_counts_and_unknown_words():
    p = parse_prompt("Two fast blue boxes and a tiny red orb that bounces to the right, pixel art, zebra")
    assert [(o.color, o.shape) for o in p.objects] == [("blue", "box"), ("blue", "box"), ("red", "ball")]
    assert p.objects[0].speed == "fast" and p.objects[2].size == "tiny"
    assert (p.objects[2].motion, p.objects[2].direction) == ("bouncing", "right")
    assert p.style == "pixel" and p.unknown_words == ["zebra"]
    assert p.spec_fields["objects"][2] == {
        "shape": "ball",
        "color": "red",
        "size": "tiny",
        "motion": "bouncing",
        "direction": "right",
    }
    cam = parse_prompt("a green ring rolls left while the camera pans right in a sandy desert")
    assert cam.camera == "pan-right" and cam.background == "desert" and cam.objects[0].direction == "left"


def test_spec_from_prompt_and_expand_prompt():
    spec = spec_from_prompt("a red ball rolls to the left quickly in pixel art", seed=2)
    obj = spec.objects[0]
    assert (obj.color, obj.shape, obj.motion, obj.direction, obj.speed, spec.style) == (
        "red",
        "ball",
        "rolling",
        "left",
        "fast",
        "pixel",
    )
    assert spec_from_prompt("a cube", seed=1) == spec_from_prompt("a cube", seed=1)
    text = expand_prompt("a purple star spins", seed=4)
    assert text == expand_prompt("a purple star spins", seed=4)
    back = parse_prompt(text)
    assert _key(back.objects)[0] == ("purple", "star", "spinning") and back.background is not None
    with pytest.raises(ValueError, match="rolling"):
        spec_from_prompt("a ball rolls up")
