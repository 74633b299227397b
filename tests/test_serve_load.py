"""Heavier server tests: 50 concurrent clients, and SIGKILL mid-job then restart (server in a subprocess)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import openai
import pytest
from serve_helpers import running_server, tiny_checkpoint, tiny_generator_factory

from tenku.io import read_video
from tenku.serve import ServerConfig

pytestmark = [pytest.mark.slow, pytest.mark.filterwarnings("ignore::DeprecationWarning")]

CLIENTS = 50


def test_fifty_concurrent_clients_none_lost_or_duplicated(tmp_path):
    checkpoint = tiny_checkpoint(tmp_path)
    config = ServerConfig(data_dir=tmp_path / "data", workers=2, safety=False, provenance=False)
    with running_server(config, generator_factory=tiny_generator_factory(checkpoint, shared=False)) as (
        url,
        app,
    ):
        info = app.state.service.info

        def one_client(i: int) -> tuple[str, str]:
            client = openai.OpenAI(api_key="x", base_url=url + "/v1", max_retries=0, timeout=120)
            video = client.videos.create_and_poll(
                prompt=f"ball number {i} rolls to the right", size=info.sizes[0], poll_interval_ms=200
            )
            return video.id, video.status

        start = time.monotonic()
        with ThreadPoolExecutor(CLIENTS) as pool:
            results = list(pool.map(one_client, range(CLIENTS)))
        elapsed = time.monotonic() - start
        ids = [video_id for video_id, _ in results]
        assert len(set(ids)) == CLIENTS
        client = openai.OpenAI(api_key="x", base_url=url + "/v1", max_retries=0)
        listed = [v.id for v in client.videos.list(limit=100)]
        assert sorted(listed) == sorted(ids)  # none lost, none duplicated
        statuses = {video_id: client.videos.retrieve(video_id) for video_id in ids}
        for video in statuses.values():
            assert video.status == "completed" or (video.status == "failed" and video.error.message)
        completed = sum(v.status == "completed" for v in statuses.values())
        print(f"\n{CLIENTS} clients: {completed} completed, {CLIENTS - completed} failed in {elapsed:.1f} s")
        assert completed == CLIENTS


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start_server(data: Path, checkpoint: Path, port: int, log: Path) -> subprocess.Popen:
    code = "import sys; from tenku.cli import main; sys.exit(main())"
    args = [
        "serve",
        "--port",
        str(port),
        "--data",
        str(data),
        "--model",
        str(checkpoint),
        "--workers",
        "1",
        "--no-safety",
    ]
    env = {**os.environ, "TENKU_HOME": str(data.parent / "home")}
    proc = subprocess.Popen(
        [sys.executable, "-c", code, *args], stdout=log.open("ab"), stderr=subprocess.STDOUT, env=env
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}: {log.read_text()[-2000:]}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/v1/models", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    proc.kill()
    raise RuntimeError(f"server did not start: {log.read_text()[-2000:]}")


def test_sigkill_mid_job_then_restart_leaves_every_job_well_defined(tmp_path):
    checkpoint = tiny_checkpoint(tmp_path)
    data, log, port = tmp_path / "data", tmp_path / "server.log", _free_port()
    url = f"http://127.0.0.1:{port}/v1"
    proc = _start_server(data, checkpoint, port, log)
    try:
        client = openai.OpenAI(api_key="x", base_url=url, max_retries=0)
        ids = [client.videos.create(prompt=f"a blue ball falls, take {i}").id for i in range(8)]
        deadline = time.monotonic() + 120
        running = None
        while running is None and time.monotonic() < deadline:
            running = next((v.id for v in client.videos.list(limit=100) if v.status == "in_progress"), None)
        assert running is not None, "no job was seen running"
        before = {v.id: v.status for v in client.videos.list(limit=100)}
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
    finally:
        proc.kill()
    proc = _start_server(data, checkpoint, port, log)  # same port and data: the restart
    try:
        client = openai.OpenAI(api_key="x", base_url=url, max_retries=0)
        final = {video_id: client.videos.poll(video_id, poll_interval_ms=200) for video_id in ids}
        assert sorted(v.id for v in client.videos.list(limit=100)) == sorted(ids)
        for video_id, video in final.items():
            assert video.status in ("completed", "failed"), video
            if video.status == "failed":
                assert video.error.code and video.error.message
            else:
                path = tmp_path / f"{video_id}.mp4"
                client.videos.download_content(video_id).write_to_file(path)
                assert len(read_video(path).frames) > 0
            if before[video_id] == "completed":
                assert video.status == "completed"  # nothing completed is lost
        assert final[running].status == "completed"  # re-queued after the crash and rerun
        counts = {s: sum(v.status == s for v in final.values()) for s in ("completed", "failed")}
        print(
            f"\nkilled while {running} ran ({list(before.values()).count('completed')} done before); after restart: {counts}"
        )
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(30)
