"""Shared by the serve tests: a server on a free loopback port in a thread, and the tiny generator."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import uvicorn

from tenku.serve import ServerConfig, create_app


def tiny_checkpoint(directory: Path) -> Path:
    """A random-weight checkpoint of the smallest preset (created once per directory)."""
    import pytest

    create_random_checkpoint = pytest.importorskip("tenku.pipeline").create_random_checkpoint

    path = directory / "tiny-random"
    if not path.exists():
        create_random_checkpoint(path, preset="test", seed=0)
    return path


_SHARED: dict[Path, object] = {}


def tiny_generator_factory(checkpoint: Path, *, shared: bool = True):
    """A factory loading the checkpoint. shared=True hands every caller one warmed-up instance (for
    single-worker servers started one after another); shared=False loads one per call."""
    from tenku.pipeline import Generator

    def factory(name: str):
        if not shared:
            return Generator.load(checkpoint)
        if checkpoint not in _SHARED:
            _SHARED[checkpoint] = Generator.load(checkpoint)
        return _SHARED[checkpoint]

    return factory


class GatedGenerator:
    """A generator whose jobs wait for `release()`: lets a test see jobs still active however fast
    the machine is. Everything else is the wrapped generator's."""

    def __init__(self, inner):
        self.inner = inner
        self.gate = threading.Event()

    def __getattr__(self, name: str):
        return getattr(self.inner, name)

    def generate(self, request, **kwargs):
        if not self.gate.wait(120):
            raise TimeoutError("the test never released its gated generator")
        return self.inner.generate(request, **kwargs)

    def release(self) -> None:
        self.gate.set()


@contextlib.contextmanager
def running_server(config: ServerConfig, **kwargs) -> Iterator[tuple[str, object]]:
    """Run create_app(config, **kwargs) under uvicorn in a thread; yields (base URL, app)."""
    app = create_app(config, **kwargs)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the server did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}", app
    finally:
        server.should_exit = True
        thread.join(30)
        sock.close()
