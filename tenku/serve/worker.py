"""The worker pool: threads that take queued jobs from the store and run the pipeline.

Contract:
- `WorkerPool(store=..., generators=[...], ...)` runs one thread per generator (each worker owns
  its generator, so jobs run side by side without sharing model state). `start()` first calls
  `store.recover()` (jobs a crash left `in_progress` are re-queued or failed with a reason) and
  `store.sweep()` (stray temporary files and media of deleted jobs), then starts the threads.
- A worker claims the oldest queued job atomically, builds a `GenerationRequest` from the job
  (text, image, extend, loop, edit/remix modes), reports progress to the store as the sampler
  steps (2..90 %), checks the frames against the safety policy, writes the MP4 (watermarked and
  signed when provenance is on), a thumbnail (WebP) and a spritesheet (JPEG), then marks the job
  completed. Any error marks it failed with a code and a message; nothing is left in_progress.
- `cancel(id)` (a deleted job) and `stop()` interrupt a running job at its next sampler step; a
  job interrupted by `stop()` goes back to the queue.
"""

from __future__ import annotations

import logging
import shutil
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from tenku.serve.store import Job, Store

log = logging.getLogger("tenku.serve")

VIDEO_FILE, THUMBNAIL_FILE, SPRITESHEET_FILE = "video.mp4", "thumbnail.webp", "spritesheet.jpg"
INPUT_IMAGE_FILE, SOURCE_VIDEO_FILE = "input.png", "source.mp4"
# variant name -> (file name, media type)
VARIANTS = {
    "video": (VIDEO_FILE, "video/mp4"),
    "thumbnail": (THUMBNAIL_FILE, "image/webp"),
    "spritesheet": (SPRITESHEET_FILE, "image/jpeg"),
}


class JobCancelled(Exception):
    """Raised inside the progress callback to stop a job that was deleted or a pool that stops."""


class JobFailed(Exception):
    """A job cannot run; `code` and the message go to the job's error."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code


def parse_size(size: str) -> tuple[int, int]:
    w, h = size.split("x")
    return int(w), int(h)


def format_seconds(seconds: float) -> str:
    """4.0 -> "4", 6.5 -> "6.5"."""
    return f"{seconds:.3f}".rstrip("0").rstrip(".")


def clip_seconds(frames: int, fps: float) -> str:
    """Duration of a clip in the pipeline's convention (seconds * fps + 1 frames), as an API string."""
    return format_seconds(max(frames - 1, 0) / fps)


def source_video_path(store: Store, job: Job) -> Path:
    """The video an extend/edit/remix job starts from: an earlier job's file or an upload."""
    if job.params.get("source_id"):
        path = store.media_dir(job.params["source_id"]) / VIDEO_FILE
        if not path.is_file():
            raise JobFailed("source_unavailable", f"source video {job.params['source_id']} was deleted")
        return path
    return store.media_dir(job.id) / SOURCE_VIDEO_FILE


def build_request(store: Store, job: Job) -> Any:
    """The pipeline's GenerationRequest for a job, with its input media loaded."""
    from tenku.io import read_image, read_video
    from tenku.pipeline import GenerationRequest

    p = job.params
    width, height = parse_size(job.size)
    fields: dict[str, Any] = dict(
        prompt=job.prompt,
        seconds=float(p.get("new_seconds", job.seconds)),
        fps=p["fps"],
        width=width,
        height=height,
        seed=p["seed"],
        loop=bool(p.get("loop", False)),
    )
    for name in ("steps", "guidance"):
        if p.get(name) is not None:
            fields[name] = p[name]
    if job.mode == "generate" and p.get("input_image"):
        fields["image"] = read_image(store.media_dir(job.id) / INPUT_IMAGE_FILE, size=(width, height))
    if job.mode in ("extend", "edit", "remix"):
        source = read_video(source_video_path(store, job), fps=p["fps"], size=(width, height)).frames
        if job.mode == "extend":
            fields.update(extend=source, backward=bool(p.get("backward", False)))
        else:
            fields.update(edit=source, strength=p["strength"])
    return GenerationRequest(**fields)


def write_media(frames: np.ndarray, fps: float, out_dir: Path, *, job: Job, provenance: Any | None) -> Path:
    """Write video.mp4 (with provenance when a ProvenanceConfig is given), thumbnail and spritesheet."""
    from PIL import Image

    from tenku.io import atomic_path, contact_sheet, write_mp4

    out_dir.mkdir(parents=True, exist_ok=True)
    video = out_dir / VIDEO_FILE
    if provenance is not None:
        from tenku.provenance import write_provenanced_mp4

        write_provenanced_mp4(frames, video, fps, model=job.model, prompt=job.prompt, config=provenance)
    else:
        write_mp4(frames, video, fps)
    with atomic_path(out_dir / THUMBNAIL_FILE) as tmp:
        Image.fromarray(frames[len(frames) // 2]).save(tmp, format="WEBP", quality=90)
    with atomic_path(out_dir / SPRITESHEET_FILE) as tmp:
        Image.fromarray(contact_sheet(frames, count=8)).save(tmp, format="JPEG", quality=90)
    return video


class WorkerPool:
    """One thread per generator, pulling jobs from the store until `stop()`."""

    def __init__(
        self,
        *,
        store: Store,
        generators: list[Any],
        max_attempts: int,
        policy: Any | None = None,
        provenance: Any | None = None,
        poll_s: float = 0.5,
    ):
        if not generators:
            raise ValueError("WorkerPool needs at least one generator")
        self.store = store
        self.generators = generators
        self.max_attempts = max_attempts
        self.policy = policy
        self.provenance = provenance
        self.poll_s = poll_s
        self._stop = threading.Event()
        self._wake = threading.Condition()
        self._cancelled: set[str] = set()
        self._threads: list[threading.Thread] = []

    def start(self) -> None:
        requeued, failed = self.store.recover(max_attempts=self.max_attempts)
        if requeued or failed:
            log.warning("recovered after a restart: %d jobs re-queued, %d failed", len(requeued), len(failed))
        self.store.sweep()
        for i, gen in enumerate(self.generators):
            thread = threading.Thread(target=self._loop, args=(gen,), name=f"tenku-worker-{i}", daemon=True)
            thread.start()
            self._threads.append(thread)

    def notify(self) -> None:
        """Wake idle workers: a job was queued."""
        with self._wake:
            self._wake.notify_all()

    def cancel(self, video_id: str) -> None:
        self._cancelled.add(video_id)

    def stop(self, timeout: float = 30.0) -> None:
        self._stop.set()
        self.notify()
        for thread in self._threads:
            thread.join(timeout)
        self._threads.clear()

    def _loop(self, generator: Any) -> None:
        while not self._stop.is_set():
            try:
                job = self.store.claim_next()
            except Exception:  # a database hiccup must not kill the worker
                log.exception("claiming a job failed")
                job = None
            if job is None:
                with self._wake:
                    self._wake.wait(self.poll_s)
                continue
            self._run(job, generator)

    def _progress(self, job: Job) -> Callable[[int, int], None]:
        last = [-1]

        def report(step: int, total: int) -> None:
            if self._stop.is_set() or job.id in self._cancelled:
                raise JobCancelled(job.id)
            pct = 2 + int(88 * step / max(total, 1))
            if pct != last[0]:
                last[0] = pct
                if not self.store.set_progress(job.id, pct):
                    raise JobCancelled(job.id)

        return report

    def _run(self, job: Job, generator: Any) -> None:
        out_dir = self.store.media_dir(job.id)
        try:
            self.store.set_progress(job.id, 1)
            frames, fps = self._generate(job, generator)
            self.store.set_progress(job.id, 92)
            write_media(frames, fps, out_dir, job=job, provenance=self.provenance)
            if not self.store.complete(
                job.id, seconds=clip_seconds(len(frames), fps)
            ):  # deleted while the files were written
                shutil.rmtree(out_dir, ignore_errors=True)
            return
        except JobCancelled:
            if self._stop.is_set() and job.id not in self._cancelled:
                self.store.requeue(job.id)
                return
            code, message = "cancelled", "the job was deleted while it ran"
        except JobFailed as e:
            code, message = e.code, str(e)
        except Exception as e:
            code, message = self._classify(e)
        log.info("job %s failed: %s: %s", job.id, code, message)
        self._cancelled.discard(job.id)
        if not self.store.fail(job.id, code, message):
            shutil.rmtree(out_dir, ignore_errors=True)
        else:
            for name in (VIDEO_FILE, THUMBNAIL_FILE, SPRITESHEET_FILE):
                (out_dir / name).unlink(missing_ok=True)

    def _classify(self, error: Exception) -> tuple[str, str]:
        if type(error).__name__ == "SafetyRefusal":
            return "content_policy_violation", str(error)
        if isinstance(error, ValueError | TypeError):
            return "invalid_request", str(error)
        log.exception("job crashed", exc_info=error)
        return "generation_failed", f"{type(error).__name__}: {error}"

    def _generate(self, job: Job, generator: Any) -> tuple[np.ndarray, float]:
        """Run the pipeline for one job and check its frames; returns (frames, fps)."""
        request = build_request(self.store, job)
        if self.policy is not None:
            for name in ("image", "extend", "edit"):
                media = getattr(request, name, None)
                if media is not None:
                    media = media[None] if media.ndim == 3 else media
                    self._check_frames(media, job.params["fps"], what=f"the input {name}")
        result = generator.generate(request, progress=self._progress(job))
        frames = result.frames  # (T, H, W, 3) uint8
        if self.policy is not None:
            self._check_frames(frames, result.fps, what="the generated video")
        return frames, result.fps

    def _check_frames(self, frames: np.ndarray, fps: float, *, what: str) -> None:
        decision = self.policy.check_frames(frames, fps=fps)
        if not decision.allowed:
            raise JobFailed(
                "content_policy_violation",
                f"{what} was refused by the safety policy ({decision.category}): {decision.reason}",
            )
