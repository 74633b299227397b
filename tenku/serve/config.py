"""Server settings: one frozen dataclass, every default of `tenku serve` in one place."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from pathlib import Path


def is_loopback(host: str) -> bool:
    """True for localhost and loopback addresses (127.0.0.0/8, ::1)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True, kw_only=True)
class ServerConfig:
    host: str = "127.0.0.1"  # bind address; anything but loopback requires API keys
    port: int = 8000
    data_dir: Path = Path("tenku-data")  # database, videos and uploads live here
    database_url: str | None = None  # None: sqlite:///DATA_DIR/tenku.db
    workers: int = 1  # generation worker threads, each with its own generator
    model: str = "tenku-tiny"  # model name or checkpoint path served
    api_keys: tuple[str, ...] = ()  # bearer tokens accepted; empty: no auth (loopback only)
    max_prompt_chars: int = 2000  # longer prompts get a 400
    max_upload_bytes: int = 20 * 2**20  # request bodies (uploads) larger than this get a 413
    max_active_jobs_per_key: int = 64  # queued + running jobs per key; more get a 429
    max_attempts: int = 2  # a job interrupted by a crash is rerun until started this many times
    remix_strength: float = 0.6  # SDEdit noise level of a remix (edits default to edit_strength)
    edit_strength: float = 0.8
    poll_after_ms: int = 500  # hint to polling clients (openai-poll-after-ms header)
    safety: bool = True  # check prompts and frames against the safety policy
    provenance: bool = True  # watermark and sign every video written

    def __post_init__(self) -> None:
        if self.workers < 1:
            raise ValueError(f"workers must be >= 1, got {self.workers}")
        if not 0 < self.port < 65536 and self.port != 0:
            raise ValueError(f"port must be in 0..65535, got {self.port}")
        for name in ("max_prompt_chars", "max_upload_bytes", "max_active_jobs_per_key", "max_attempts"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be >= 1, got {getattr(self, name)}")
        for name in ("remix_strength", "edit_strength"):
            if not 0 < getattr(self, name) <= 1:
                raise ValueError(f"{name} must be in (0, 1], got {getattr(self, name)}")
        if any(not key or any(c.isspace() for c in key) for key in self.api_keys):
            raise ValueError("API keys must be non-empty and contain no whitespace")
        if not self.api_keys and not is_loopback(self.host):
            raise ValueError(
                f"binding to {self.host} (not loopback) requires API keys: pass --api-keys FILE"
                " or set TENKU_API_KEYS, or bind to 127.0.0.1"
            )

    @property
    def db_url(self) -> str:
        return self.database_url or f"sqlite:///{Path(self.data_dir).resolve() / 'tenku.db'}"
