"""The job store: video jobs and their metadata in a SQL database, media as files.

Contract:
- `open_store(url, data_dir)` opens the database named by a URL and creates the schema. Only
  `sqlite:///PATH` (SQLAlchemy's convention: `sqlite:////abs/path.db` is absolute,
  `sqlite:///rel.db` relative) and `sqlite://` (in memory) are built in; every statement goes
  through the small `Engine` interface (`execute`, `query`, `transaction`), so another SQL
  database only needs another engine class and a branch in `open_engine`.
- SQLite runs in WAL mode with `synchronous=FULL`: a job that reached `completed` survives a crash
  of the process or the machine.
- Status moves queued -> in_progress -> completed | failed. Every move is one conditional UPDATE
  (`... WHERE status = 'in_progress'`), so a job deleted or recovered meanwhile is never
  resurrected. `recover()` runs once at startup: jobs left `in_progress` by a crash are re-queued
  (the seed is stored, so the rerun is the same video) until they have been started
  `max_attempts` times, then marked failed with a reason. Nothing is left stuck.
- Media for job `video_<hex>` lives in `DATA/videos/video_<hex>/`; the id is validated with
  `check_video_id` before it is ever joined to a path.
"""

from __future__ import annotations

import contextlib
import json
import re
import shutil
import sqlite3
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

STATUSES = ("queued", "in_progress", "completed", "failed")
MODES = ("generate", "remix", "extend", "edit")
VIDEO_ID = re.compile(r"video_[0-9a-f]{32}")


class QueueFull(Exception):
    """The owner already has as many queued or running jobs as the server allows."""


def new_video_id() -> str:
    return f"video_{uuid.uuid4().hex}"


def check_video_id(video_id: str) -> str:
    """Return `video_id` if it has the exact form `video_<32 hex digits>`, else raise ValueError."""
    if not isinstance(video_id, str) or not VIDEO_ID.fullmatch(video_id):
        raise ValueError(f"invalid video id {video_id!r}: ids look like video_<32 lowercase hex digits>")
    return video_id


@dataclass(frozen=True, kw_only=True)
class Job:
    id: str  # video_<32 hex>
    owner: str  # who created it: a digest of the API key, or "local" without keys
    status: str  # one of STATUSES
    progress: int  # 0..100
    model: str  # model name that serves the job
    prompt: str
    mode: str  # one of MODES
    seconds: str  # duration of the result; for extensions the stitched total
    size: str  # "WxH"
    params: dict[str, Any] = field(default_factory=dict)  # seed, steps, source id, strength, ...
    created_at: int  # unix seconds
    started_at: int | None = None
    completed_at: int | None = None
    expires_at: int | None = None
    error_code: str | None = None
    error_message: str | None = None
    remixed_from_video_id: str | None = None
    attempts: int = 0  # how many times a worker has started it
    provenance: dict[str, Any] | None = None  # cached verdict of the finished file


class Engine(Protocol):
    """The few operations the store needs from a SQL database (qmark parameters)."""

    def execute(self, sql: str, params: tuple = ()) -> int: ...  # rows changed

    def query(self, sql: str, params: tuple = ()) -> list[dict[str, Any]]: ...

    def transaction(self) -> contextlib.AbstractContextManager[None]: ...

    def close(self) -> None: ...


class SQLiteEngine:
    """One shared sqlite3 connection guarded by a lock; autocommit outside `transaction()`."""

    schema = """
    CREATE TABLE IF NOT EXISTS jobs (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        id TEXT NOT NULL UNIQUE,
        owner TEXT NOT NULL,
        status TEXT NOT NULL,
        progress INTEGER NOT NULL DEFAULT 0,
        model TEXT NOT NULL,
        prompt TEXT NOT NULL,
        mode TEXT NOT NULL,
        seconds TEXT NOT NULL,
        size TEXT NOT NULL,
        params TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        started_at INTEGER,
        completed_at INTEGER,
        expires_at INTEGER,
        error_code TEXT,
        error_message TEXT,
        remixed_from_video_id TEXT,
        attempts INTEGER NOT NULL DEFAULT 0,
        idempotency_key TEXT,
        provenance TEXT
    );
    CREATE INDEX IF NOT EXISTS jobs_status ON jobs (status, seq);
    CREATE INDEX IF NOT EXISTS jobs_owner ON jobs (owner, seq);
    CREATE UNIQUE INDEX IF NOT EXISTS jobs_idempotency ON jobs (owner, idempotency_key)
        WHERE idempotency_key IS NOT NULL;
    """

    def __init__(self, path: str):
        if path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._lock = threading.RLock()
        self._conn = sqlite3.connect(path, check_same_thread=False, isolation_level=None, timeout=30)
        self._conn.row_factory = sqlite3.Row
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA synchronous=FULL")
        self._conn.executescript(self.schema)

    def execute(self, sql: str, params: tuple = ()) -> int:
        with self._lock:
            return self._conn.execute(sql, params).rowcount

    def query(self, sql: str, params: tuple = ()) -> list[dict[str, Any]]:
        with self._lock:
            return [dict(row) for row in self._conn.execute(sql, params).fetchall()]

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")

    def close(self) -> None:
        with self._lock:
            self._conn.close()


def open_engine(url: str) -> Engine:
    """An engine for a database URL: `sqlite:///PATH` or `sqlite://` (in memory)."""
    if url == "sqlite://":
        return SQLiteEngine(":memory:")
    if url.startswith("sqlite:///"):
        return SQLiteEngine(url.removeprefix("sqlite:///"))
    scheme = url.split(":", 1)[0] if ":" in url else url
    raise ValueError(
        f"unsupported database URL scheme {scheme!r} in {url!r}: supported are sqlite:///PATH and sqlite://"
    )


_COLUMNS = (
    "id, owner, status, progress, model, prompt, mode, seconds, size, params, created_at, started_at,"
    " completed_at, expires_at, error_code, error_message, remixed_from_video_id, attempts, provenance"
)


def _job(row: dict[str, Any]) -> Job:
    row = dict(row)
    row.pop("seq", None)
    row.pop("idempotency_key", None)
    row["params"] = json.loads(row["params"])
    row["provenance"] = json.loads(row["provenance"]) if row["provenance"] else None
    return Job(**row)


class Store:
    """Jobs in a SQL database (through an `Engine`) and their media under `data_dir/videos`."""

    def __init__(self, engine: Engine, data_dir: str | Path):
        self.engine = engine
        self.data_dir = Path(data_dir)
        (self.data_dir / "videos").mkdir(parents=True, exist_ok=True)

    def media_dir(self, video_id: str) -> Path:
        return self.data_dir / "videos" / check_video_id(video_id)

    def create(self, job: Job, *, max_active: int, idempotency_key: str | None = None) -> Job:
        """Insert a queued job; return the existing one for a repeated idempotency key.

        Raises QueueFull when `job.owner` already has `max_active` queued or running jobs.
        """
        assert job.status == "queued" and job.mode in MODES
        with self.engine.transaction():
            if idempotency_key is not None:
                rows = self.engine.query(
                    f"SELECT {_COLUMNS} FROM jobs WHERE owner = ? AND idempotency_key = ?",
                    (job.owner, idempotency_key),
                )
                if rows:
                    return _job(rows[0])
            active = self.engine.query(
                "SELECT COUNT(*) AS n FROM jobs WHERE owner = ? AND status IN ('queued', 'in_progress')",
                (job.owner,),
            )[0]["n"]
            if active >= max_active:
                raise QueueFull(
                    f"{active} jobs are already queued or running for this key (limit {max_active})"
                )
            self.engine.execute(
                "INSERT INTO jobs (id, owner, status, progress, model, prompt, mode, seconds, size, params,"
                " created_at, remixed_from_video_id, idempotency_key) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    check_video_id(job.id),
                    job.owner,
                    job.status,
                    job.progress,
                    job.model,
                    job.prompt,
                    job.mode,
                    job.seconds,
                    job.size,
                    json.dumps(job.params),
                    job.created_at,
                    job.remixed_from_video_id,
                    idempotency_key,
                ),
            )
        return job

    def get(self, video_id: str, *, owner: str | None = None) -> Job | None:
        """The job with this id (and owner, when given), or None."""
        sql, params = f"SELECT {_COLUMNS} FROM jobs WHERE id = ?", (video_id,)
        if owner is not None:
            sql, params = sql + " AND owner = ?", params + (owner,)
        rows = self.engine.query(sql, params)
        return _job(rows[0]) if rows else None

    def list(
        self, *, owner: str | None, after: str | None = None, limit: int = 20, order: str = "desc"
    ) -> tuple[list[Job], bool]:
        """One page of jobs in creation order, and whether more follow. `after` is an id on the
        previous page; raises KeyError if it does not exist for this owner."""
        if order not in ("asc", "desc"):
            raise ValueError(f"order must be 'asc' or 'desc', got {order!r}")
        where, params = ["1 = 1"], []
        if owner is not None:
            where.append("owner = ?")
            params.append(owner)
        if after is not None:
            anchor = self.engine.query(
                "SELECT seq FROM jobs WHERE id = ?" + (" AND owner = ?" if owner is not None else ""),
                (after,) + ((owner,) if owner is not None else ()),
            )
            if not anchor:
                raise KeyError(after)
            where.append("seq < ?" if order == "desc" else "seq > ?")
            params.append(anchor[0]["seq"])
        rows = self.engine.query(
            f"SELECT {_COLUMNS} FROM jobs WHERE {' AND '.join(where)}"
            f" ORDER BY seq {'DESC' if order == 'desc' else 'ASC'} LIMIT ?",
            (*params, limit + 1),
        )
        return [_job(r) for r in rows[:limit]], len(rows) > limit

    def claim_next(self) -> Job | None:
        """Atomically move the oldest queued job to in_progress and return it (None if none)."""
        with self.engine.transaction():
            rows = self.engine.query(
                f"SELECT {_COLUMNS} FROM jobs WHERE status = 'queued' ORDER BY seq ASC LIMIT 1"
            )
            if not rows:
                return None
            now = int(time.time())
            changed = self.engine.execute(
                "UPDATE jobs SET status = 'in_progress', progress = 0, started_at = ?,"
                " attempts = attempts + 1 WHERE id = ? AND status = 'queued'",
                (now, rows[0]["id"]),
            )
            assert changed == 1, "a queued job changed inside a write transaction"
        return self.get(rows[0]["id"])

    def set_progress(self, video_id: str, progress: int) -> bool:
        """Record progress of a running job; False if it is no longer running (deleted)."""
        return (
            self.engine.execute(
                "UPDATE jobs SET progress = ? WHERE id = ? AND status = 'in_progress'",
                (max(0, min(100, int(progress))), video_id),
            )
            == 1
        )

    def complete(self, video_id: str, *, seconds: str) -> bool:
        """Mark a running job completed with the duration it came out at; False if it is no
        longer running."""
        return (
            self.engine.execute(
                "UPDATE jobs SET status = 'completed', progress = 100, completed_at = ?, seconds = ?"
                " WHERE id = ? AND status = 'in_progress'",
                (int(time.time()), seconds, video_id),
            )
            == 1
        )

    def fail(self, video_id: str, code: str, message: str) -> bool:
        """Mark a queued or running job failed with a reason; False if it is neither."""
        return (
            self.engine.execute(
                "UPDATE jobs SET status = 'failed', completed_at = ?, error_code = ?, error_message = ?"
                " WHERE id = ? AND status IN ('queued', 'in_progress')",
                (int(time.time()), code, message, video_id),
            )
            == 1
        )

    def requeue(self, video_id: str) -> bool:
        """Put a running job back in the queue (a graceful shutdown interrupted it)."""
        return (
            self.engine.execute(
                "UPDATE jobs SET status = 'queued', progress = 0, attempts = MAX(attempts - 1, 0)"
                " WHERE id = ? AND status = 'in_progress'",
                (video_id,),
            )
            == 1
        )

    def set_provenance(self, video_id: str, verdict: dict[str, Any]) -> None:
        self.engine.execute("UPDATE jobs SET provenance = ? WHERE id = ?", (json.dumps(verdict), video_id))

    def delete(self, video_id: str, *, owner: str | None = None) -> Job | None:
        """Remove the job row (the caller removes its media); returns the job, or None."""
        with self.engine.transaction():
            job = self.get(video_id, owner=owner)
            if job is None:
                return None
            self.engine.execute("DELETE FROM jobs WHERE id = ?", (video_id,))
        return job

    def count(self, status: str) -> int:
        return self.engine.query("SELECT COUNT(*) AS n FROM jobs WHERE status = ?", (status,))[0]["n"]

    def recover(self, *, max_attempts: int) -> tuple[list[str], list[str]]:
        """After a crash: re-queue interrupted jobs, or fail those started `max_attempts` times.

        Returns (requeued ids, failed ids)."""
        requeued, failed = [], []
        with self.engine.transaction():
            for row in self.engine.query("SELECT id, attempts FROM jobs WHERE status = 'in_progress'"):
                if row["attempts"] < max_attempts:
                    self.engine.execute(
                        "UPDATE jobs SET status = 'queued', progress = 0 WHERE id = ?", (row["id"],)
                    )
                    requeued.append(row["id"])
                else:
                    self.engine.execute(
                        "UPDATE jobs SET status = 'failed', completed_at = ?, error_code = ?, error_message = ?"
                        " WHERE id = ?",
                        (
                            int(time.time()),
                            "server_interrupted",
                            f"the server stopped while this job was running, {row['attempts']} times"
                            f" (limit {max_attempts}); submit it again",
                            row["id"],
                        ),
                    )
                    failed.append(row["id"])
        return requeued, failed

    def sweep(self) -> int:
        """Remove temporary files a crash left behind and media of jobs no longer in the database.

        Returns how many paths were removed. Runs at startup, before any worker."""
        removed = 0
        known = {row["id"] for row in self.engine.query("SELECT id FROM jobs")}
        for entry in (self.data_dir / "videos").iterdir():
            if not entry.is_dir() or entry.name not in known:
                if entry.is_dir():
                    shutil.rmtree(entry, ignore_errors=True)
                else:
                    entry.unlink(missing_ok=True)
                removed += 1
                continue
            for tmp in entry.glob(".*.tmp*"):
                tmp.unlink(missing_ok=True)
                removed += 1
        return removed

    def close(self) -> None:
        self.engine.close()


def open_store(url: str, data_dir: str | Path) -> Store:
    return Store(open_engine(url), data_dir)
