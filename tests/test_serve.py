"""The server through the official openai client: every route, bad input, auth, crash recovery."""

from __future__ import annotations

import io
import json
import time
from pathlib import Path

import httpx
import numpy as np
import openai
import pytest
from PIL import Image
from serve_helpers import GatedGenerator, running_server, tiny_checkpoint, tiny_generator_factory

from tenku.io import read_video, write_mp4
from tenku.serve import ServerConfig
from tenku.serve.auth import load_api_keys
from tenku.serve.store import Job, new_video_id, open_engine, open_store

pytestmark = pytest.mark.filterwarnings(
    "ignore::DeprecationWarning"
)  # the client marks the Sora API deprecated


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory) -> Path:
    return tiny_checkpoint(tmp_path_factory.mktemp("ckpt"))


@pytest.fixture(scope="module")
def server(tmp_path_factory, checkpoint):
    from tenku.provenance import ProvenanceConfig

    config = ServerConfig(
        safety=False, data_dir=tmp_path_factory.mktemp("data"), workers=1, max_upload_bytes=256 * 1024
    )
    provenance = ProvenanceConfig(identity_dir=str(tmp_path_factory.mktemp("identity")))
    factory = tiny_generator_factory(checkpoint)
    with running_server(config, generator_factory=factory, provenance=provenance) as (url, app):
        yield url, app


@pytest.fixture(scope="module")
def client(server) -> openai.OpenAI:
    return openai.OpenAI(api_key="unused", base_url=server[0] + "/v1", max_retries=0)


@pytest.fixture(scope="module")
def info(server):
    return server[1].state.service.info


@pytest.fixture(scope="module")
def first_video(client, info):
    video = client.videos.create_and_poll(
        prompt="a red ball bounces across a blue room",
        size=info.sizes[0],
        seconds=info.seconds[0],
        poll_interval_ms=100,
        extra_body={"seed": 3},
    )
    assert video.status == "completed", video.error
    return video


def frames_for(seconds: float, fps: float) -> int:
    from tenku.pipeline import frames_for

    return frames_for(seconds, fps)


def test_create_and_poll_then_download(client, server, info, first_video, tmp_path):
    v = first_video
    assert v.object == "video" and v.progress == 100 and v.error is None
    assert v.model == info.name and v.size == info.sizes[0] and v.seconds == info.seconds[0]
    assert v.completed_at >= v.created_at
    path = tmp_path / "out.mp4"
    client.videos.download_content(v.id).write_to_file(path)
    video = read_video(path)
    width, height = (int(x) for x in v.size.split("x"))
    assert video.frames.shape[1:] == (height, width, 3)
    assert len(video.frames) == frames_for(int(v.seconds), info.fps)
    from tenku.provenance import verify_file

    identity = server[1].state.service.provenance.identity_dir
    assert verify_file(path, identity_dir=identity).from_tenku  # what `tenku verify` checks
    verdict = httpx.get(f"{server[0]}/v1/videos/{v.id}/provenance").json()
    assert verdict["from_tenku"] and verdict["manifest"]["state"] == "Trusted", verdict
    thumb = Image.open(io.BytesIO(client.videos.download_content(v.id, variant="thumbnail").content))
    assert thumb.format == "WEBP" and thumb.size == (width, height)
    sheet = Image.open(io.BytesIO(client.videos.download_content(v.id, variant="spritesheet").content))
    assert sheet.format == "JPEG" and sheet.size[1] == height


def test_progress_is_reported_while_running(client, info):
    video = client.videos.create(prompt="a green box slides left", size=info.sizes[0])
    seen = {(video.status, video.progress)}  # a fast machine may finish the job before the first poll
    deadline = time.monotonic() + 120  # generous: a loaded machine runs the queue slowly
    while time.monotonic() < deadline:
        v = client.videos.retrieve(video.id)
        seen.add((v.status, v.progress))
        if v.status in ("completed", "failed"):
            break
        time.sleep(0.01)
    assert v.status == "completed"
    assert all(0 <= p <= 100 for _, p in seen)
    assert any(s == "in_progress" for s, _ in seen) or any(s == "queued" for s, _ in seen)


def test_remix_extend_edit_and_image(client, info, first_video, tmp_path):
    remix = client.videos.remix(first_video.id, prompt="a blue ball bounces across a red room")
    assert remix.remixed_from_video_id == first_video.id
    # this client version rejects video={"id": ...} before sending it (it expects a file there), so
    # a reference by id goes through the client's generic post; a file goes through videos.extend
    extension = client.post(
        "/videos/extensions",
        cast_to=openai.types.Video,
        body={"video": {"id": first_video.id}, "prompt": "it keeps bouncing", "seconds": info.seconds[0]},
    )
    assert extension.seconds == str(2 * int(info.seconds[0]))
    source = tmp_path / "source.mp4"
    client.videos.download_content(first_video.id).write_to_file(source)
    edit = client.videos.edit(video=source, prompt="in pencil sketch style")
    assert edit.seconds == first_video.seconds
    width, height = (int(x) for x in info.sizes[0].split("x"))
    png = io.BytesIO()
    Image.new("RGB", (width, height), (200, 30, 30)).save(png, format="PNG")
    from_image = client.videos.create(
        prompt="the picture comes alive",
        input_reference=("start.png", png.getvalue(), "image/png"),
        size=info.sizes[0],
    )
    for job, seconds in (
        (remix, int(first_video.seconds)),
        (extension, 2 * int(info.seconds[0])),
        (edit, int(first_video.seconds)),
        (from_image, int(info.seconds[0])),
    ):
        done = client.videos.poll(job.id, poll_interval_ms=100)
        assert done.status == "completed", (job.id, done.error)
        path = tmp_path / f"{job.id}.mp4"
        client.videos.download_content(job.id).write_to_file(path)
        assert len(read_video(path).frames) == frames_for(seconds, info.fps)


def test_extend_and_edit_an_uploaded_video(client, info, tmp_path):
    width, height = (int(x) for x in info.sizes[0].split("x"))
    frames = np.random.default_rng(0).integers(
        0, 255, (frames_for(1, info.fps), height, width, 3), dtype=np.uint8
    )
    src = write_mp4(frames, tmp_path / "src.mp4", info.fps)
    ext = client.videos.extend(
        video=src, prompt="and then", seconds=info.seconds[0], extra_body={"backward": True}
    )
    assert ext.seconds == str(1 + int(info.seconds[0]))
    assert client.videos.poll(ext.id, poll_interval_ms=100).status == "completed"
    with pytest.raises(openai.BadRequestError, match="not a readable video"):
        client.videos.edit(video=("x.mp4", b"not a video", "video/mp4"), prompt="x")


def test_list_pagination_and_delete(client, info):
    ids = [client.videos.create(prompt=f"a ball number {i}", size=info.sizes[0]).id for i in range(3)]
    page = client.videos.list(limit=2, order="desc")
    assert [v.id for v in page.data] == ids[::-1][:2] and page.has_more
    listed = [v.id for v in client.videos.list(limit=2, order="asc")]  # auto-paginates through `after`
    assert listed[-3:] == ids and len(listed) == len(set(listed))
    deleted = client.videos.delete(ids[0])
    assert deleted.deleted and deleted.id == ids[0] and deleted.object == "video.deleted"
    with pytest.raises(openai.NotFoundError):
        client.videos.retrieve(ids[0])
    assert ids[0] not in [v.id for v in client.videos.list(limit=100)]
    for video_id in ids[1:]:
        assert client.videos.poll(video_id, poll_interval_ms=100).status == "completed"


def test_models_route_lists_sizes_and_seconds(client, server, info):
    models = httpx.get(server[0] + "/v1/models").json()["data"]
    assert models[0]["id"] == info.name and models[0]["sizes"] == list(info.sizes)
    assert models[0]["seconds"] == list(info.seconds)
    assert [m.id for m in client.models.list()] == [info.name]


def _error(response: httpx.Response, status: int) -> dict:
    assert response.status_code == status, response.text
    body = response.json()["error"]
    assert set(body) == {"message", "type", "param", "code"} and body["message"]
    return body


def test_bad_input_gets_clear_4xx(server, info):
    url = server[0]
    assert "Unknown request URL" in _error(httpx.get(url + "/v1/nothing"), 404)["message"]
    assert _error(httpx.put(url + "/v1/videos"), 405)["code"] == "method_not_allowed"
    bad_json = httpx.post(
        url + "/v1/videos", content=b'{"prompt": "x",', headers={"content-type": "application/json"}
    )
    assert "could not parse the JSON" in _error(bad_json, 400)["message"]
    assert _error(httpx.post(url + "/v1/videos", json=["x"]), 400)["code"] == "invalid_json"
    assert _error(httpx.post(url + "/v1/videos", json={}), 400)["param"] == "prompt"
    long_prompt = _error(httpx.post(url + "/v1/videos", json={"prompt": "x" * 2001}), 400)
    assert "limit is 2000" in long_prompt["message"]
    size = _error(httpx.post(url + "/v1/videos", json={"prompt": "x", "size": "1280x720"}), 400)
    assert size["param"] == "size" and info.sizes[0] in size["message"]
    seconds = _error(httpx.post(url + "/v1/videos", json={"prompt": "x", "seconds": "9999"}), 400)
    assert seconds["param"] == "seconds" and f"{info.seconds[0]}..{info.seconds[-1]}" in seconds["message"]
    model = _error(httpx.post(url + "/v1/videos", json={"prompt": "x", "model": "sora-2"}), 400)
    assert info.name in model["message"]
    assert _error(httpx.post(url + "/v1/videos", json={"prompt": "x", "seed": "abc"}), 400)["param"] == "seed"
    huge = httpx.post(
        url + "/v1/videos", data={"prompt": "x"}, files={"input_reference": ("a.png", b"0" * 300_000)}
    )
    assert _error(huge, 413)["code"] == "request_too_large"
    not_image = httpx.post(
        url + "/v1/videos", data={"prompt": "x"}, files={"input_reference": ("a.png", b"zz")}
    )
    assert "not a readable image" in _error(not_image, 400)["message"]
    assert _error(httpx.post(url + "/v1/videos", content=b"x", headers={"content-type": "text/plain"}), 415)
    assert _error(httpx.get(url + "/v1/videos", params={"limit": 0}), 400)["param"] == "limit"
    assert _error(httpx.get(url + "/v1/videos", params={"after": new_video_id()}), 400)["param"] == "after"


def test_path_like_and_unknown_ids_never_touch_files(server):
    url = server[0]
    secret = Path(server[1].state.service.config.data_dir) / "tenku.db"
    for bad in (
        "..",
        "..%2F..%2Ftenku.db",
        "%2E%2E",
        "video_../../tenku.db",
        "video_" + "0" * 31 + "Z",
        "a" * 500,
    ):
        for path in (f"/v1/videos/{bad}", f"/v1/videos/{bad}/content", f"/v1/videos/{bad}/provenance"):
            response = httpx.get(url + path)
            assert response.status_code in (400, 404), (path, response.status_code)
            assert "error" in response.json()
    assert secret.exists()
    assert _error(httpx.get(f"{url}/v1/videos/{new_video_id()}"), 404)["code"] == "video_not_found"
    assert _error(httpx.post(f"{url}/v1/videos/{new_video_id()}/remix", json={"prompt": "x"}), 404)
    assert _error(httpx.delete(f"{url}/v1/videos/{new_video_id()}"), 404)
    bad_variant = _error(
        httpx.get(f"{url}/v1/videos/{new_video_id()}/content", params={"variant": "raw"}), 400
    )
    assert "video, thumbnail, spritesheet" in bad_variant["message"]


def test_api_keys_required_and_checked(tmp_path, checkpoint):
    keys = tmp_path / "keys.txt"
    keys.write_text("# team keys\nsk-alpha-0123456789\nsk-beta-0123456789\n")
    config = ServerConfig(
        safety=False,
        provenance=False,
        data_dir=tmp_path / "data",
        api_keys=load_api_keys(keys, env={}),
        max_active_jobs_per_key=2,
    )
    gated = GatedGenerator(tiny_generator_factory(checkpoint)("tiny"))  # jobs stay active until released
    with running_server(config, generator_factory=lambda name: gated) as (url, _):
        missing = httpx.get(url + "/v1/videos")
        assert (
            _error(missing, 401)["code"] == "missing_api_key"
            and missing.headers["www-authenticate"] == "Bearer"
        )
        assert (
            _error(
                httpx.get(url + "/v1/videos", headers={"Authorization": "Bearer sk-wrong-0000000000"}), 401
            )["code"]
            == "invalid_api_key"
        )
        alpha = openai.OpenAI(api_key="sk-alpha-0123456789", base_url=url + "/v1", max_retries=0)
        beta = openai.OpenAI(api_key="sk-beta-0123456789", base_url=url + "/v1", max_retries=0)
        with pytest.raises(openai.AuthenticationError):
            openai.OpenAI(api_key="sk-nope", base_url=url + "/v1", max_retries=0).videos.list()
        first = alpha.videos.create(prompt="a ball")
        alpha.videos.create(prompt="a ball")
        with pytest.raises(openai.RateLimitError, match="Too many active jobs"):
            alpha.videos.create(prompt="a third ball")
        with pytest.raises(openai.NotFoundError):  # another key's video is invisible
            beta.videos.retrieve(first.id)
        assert beta.videos.list().data == []
        gated.release()
        assert alpha.videos.poll(first.id, poll_interval_ms=100).status == "completed"
        assert httpx.get(url + "/").status_code == 200  # the studio page itself is public


def test_safety_refusal_is_a_400_and_queues_nothing(tmp_path, checkpoint):
    safety = pytest.importorskip("tenku.safety")
    try:
        policy = safety.Policy.load()
    except safety.SafetyUnavailable as e:
        pytest.skip(f"safety policy unavailable: {e}")
    config = ServerConfig(data_dir=tmp_path / "data", provenance=False)
    with running_server(config, generator_factory=tiny_generator_factory(checkpoint), policy=policy) as (
        url,
        _,
    ):
        refused = _error(httpx.post(url + "/v1/videos", json={"prompt": safety.EXAMPLE_REFUSED_PROMPT}), 400)
        assert refused["code"] == "content_policy_violation" and refused["param"] == "prompt"
        assert httpx.get(url + "/v1/videos").json()["data"] == []


def test_non_loopback_without_keys_is_refused():
    with pytest.raises(ValueError, match="requires API keys"):
        ServerConfig(host="0.0.0.0")
    assert ServerConfig(host="0.0.0.0", api_keys=("k1",)).api_keys == ("k1",)
    with pytest.raises(ValueError, match="unsupported database URL scheme 'postgresql'"):
        open_engine("postgresql://db/tenku")


def _stuck_job(store, attempts: int) -> str:
    job = Job(
        id=new_video_id(),
        owner="local",
        status="queued",
        progress=0,
        model="m",
        prompt="a red ball",
        mode="generate",
        seconds="1",
        size="8x8",
        params={"seed": 1},
        created_at=int(time.time()),
    )
    store.create(job, max_active=100)
    for _ in range(attempts):
        claimed = store.claim_next()
        assert claimed.id == job.id and claimed.status == "in_progress"
        if _ < attempts - 1:
            store.engine.execute("UPDATE jobs SET status = 'queued' WHERE id = ?", (job.id,))
    store.set_progress(job.id, 40)
    return job.id


def test_crash_recovery_resumes_or_fails_in_progress_jobs(tmp_path, checkpoint):
    data = tmp_path / "data"
    config = ServerConfig(safety=False, provenance=False, data_dir=data, max_attempts=2)
    store = open_store(config.db_url, data)
    factory = tiny_generator_factory(checkpoint)
    limits = factory("x").limits()
    resumed = _stuck_job(store, attempts=1)
    given_up = _stuck_job(store, attempts=2)
    size = "{}x{}".format(*limits.sizes[0])
    params = json.dumps({"seed": 1, "fps": limits.fps})
    store.engine.execute("UPDATE jobs SET size = ?, params = ?", (size, params))
    (store.media_dir(resumed) / ".video.abc.tmp.mp4").parent.mkdir(parents=True)
    (store.media_dir(resumed) / ".video.abc.tmp.mp4").write_bytes(b"partial")
    store.close()
    with running_server(config, generator_factory=factory) as (url, _):
        client = openai.OpenAI(api_key="x", base_url=url + "/v1", max_retries=0)
        done = client.videos.poll(resumed, poll_interval_ms=100)
        assert done.status == "completed" and done.progress == 100
        failed = client.videos.retrieve(given_up)
        assert failed.status == "failed" and failed.error.code == "server_interrupted"
        assert "stopped while this job was running" in failed.error.message
    assert not list(data.glob("videos/*/.*.tmp*"))


def test_store_lists_in_order_and_is_idempotent(tmp_path):
    store = open_store(f"sqlite:///{tmp_path / 'x.db'}", tmp_path)
    jobs = []
    for i in range(5):
        job = Job(
            id=new_video_id(),
            owner="a",
            status="queued",
            progress=0,
            model="m",
            prompt=str(i),
            mode="generate",
            seconds="1",
            size="8x8",
            params={},
            created_at=0,
        )
        jobs.append(store.create(job, max_active=10, idempotency_key=f"k{i}"))
    again = Job(**{**jobs[2].__dict__, "id": new_video_id()})
    assert store.create(again, max_active=10, idempotency_key="k2").id == jobs[2].id
    page, more = store.list(owner="a", after=jobs[1].id, limit=2, order="asc")
    assert [j.id for j in page] == [jobs[2].id, jobs[3].id] and more
    assert store.list(owner="b")[0] == []
    assert json.loads(store.engine.query("PRAGMA journal_mode")[0]["journal_mode"].join('""')) == "wal"
