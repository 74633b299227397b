"""The HTTP app: OpenAI's Videos API under /v1 and the studio at /.

Endpoints (the official `openai` client works unchanged with base_url=http://HOST:PORT/v1):

    POST   /v1/videos                     create (JSON, or multipart with an input_reference image)
    GET    /v1/videos                     list: ?after=ID&limit=1..100&order=asc|desc
    GET    /v1/videos/{id}                retrieve (header openai-poll-after-ms)
    DELETE /v1/videos/{id}                delete the job and its files (cancels a running job)
    GET    /v1/videos/{id}/content        ?variant=video (MP4) | thumbnail (WebP) | spritesheet (JPEG)
    POST   /v1/videos/{id}/remix          {"prompt"}: SDEdit of a completed video under a new prompt
    POST   /v1/videos/extensions          {"prompt", "seconds", "video": {"id"} or a file}: extend
    POST   /v1/videos/edits               {"prompt", "video": {"id"} or a file}: SDEdit edit
    GET    /v1/videos/{id}/provenance     watermark + C2PA verdict of the finished file (tenku only)
    GET    /v1/models, /v1/models/{name}  the served model with its allowed sizes and seconds

tenku-only optional fields on create/remix/extend/edit: seed, steps, guidance, loop (create),
backward (extend: add frames before the clip), strength (edit/remix, 0..1). Video objects carry
id, object, status, progress, model, prompt, seconds, size, created_at, completed_at, expires_at,
error {code, message} and remixed_from_video_id, as the client expects.

Limits (ServerConfig): request bodies over max_upload_bytes get a 413; prompts over
max_prompt_chars a 400; more than max_active_jobs_per_key queued or running jobs per key a 429;
sizes and seconds outside the model's lists a 400 naming the allowed values; ids that are not
`video_<32 hex>` a 404 without touching the disk. Every error has OpenAI's shape
{"error": {"message", "type", "param", "code"}}. Prompts are checked by the safety policy before a
job is queued, frames by the worker; every file written carries provenance when it is on.
"""

from __future__ import annotations

import contextlib
import dataclasses
import fcntl
import logging
import secrets
import shutil
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from tenku.serve.auth import Authenticator
from tenku.serve.config import ServerConfig
from tenku.serve.errors import ApiError, bad_request, not_found
from tenku.serve.params import (
    ModelInfo,
    Upload,
    bool_field,
    check_model,
    check_seconds,
    check_size,
    decode_image,
    number_field,
    read_fields,
    text_field,
)
from tenku.serve.store import Job, QueueFull, Store, check_video_id, new_video_id, open_store
from tenku.serve.worker import (
    INPUT_IMAGE_FILE,
    SOURCE_VIDEO_FILE,
    VARIANTS,
    VIDEO_FILE,
    WorkerPool,
    clip_seconds,
    format_seconds,
)

log = logging.getLogger("tenku.serve")
STATIC_DIR = Path(__file__).parent / "static"


def model_info(generator: Any) -> ModelInfo:
    """Allowed sizes and seconds of a loaded generator, as API strings: the checkpoint's offered
    sizes, and whole seconds from 1 to its maximum duration."""
    limits = generator.limits()
    return ModelInfo(
        name=limits.name,
        sizes=tuple(f"{w}x{h}" for w, h in limits.sizes),
        seconds=tuple(str(s) for s in range(1, int(limits.max_seconds) + 1)),
        fps=float(limits.fps),
    )


def video_object(job: Job) -> dict[str, Any]:
    """A job as the API's `video` object."""
    error = {"code": job.error_code, "message": job.error_message} if job.error_code else None
    return {
        "id": job.id,
        "object": "video",
        "status": job.status,
        "progress": job.progress,
        "model": job.model,
        "prompt": job.prompt,
        "seconds": job.seconds,
        "size": job.size,
        "created_at": job.created_at,
        "completed_at": job.completed_at,
        "expires_at": job.expires_at,
        "error": error,
        "remixed_from_video_id": job.remixed_from_video_id,
    }


@dataclasses.dataclass(kw_only=True)
class Service:
    """What the routes share; `store`, `pool` and `info` are set when the app starts."""

    config: ServerConfig
    auth: Authenticator
    generator_factory: Callable[[str], Any]
    policy: Any | None
    provenance: Any | None
    store: Store | None = None
    pool: WorkerPool | None = None
    info: ModelInfo | None = None


class BodyLimit:
    """ASGI middleware: a request body over `max_bytes` gets a 413 in the OpenAI error shape."""

    def __init__(self, app: Any, max_bytes: int):
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: dict, receive: Callable, send: Callable) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        length = dict(scope["headers"]).get(b"content-length")
        if length is not None and length.isdigit() and int(length) > self.max_bytes:
            # read (and drop) what the client sends, so it sees the answer rather than a reset
            more, drained = True, 0
            while more and drained <= 16 * self.max_bytes:
                message = await receive()
                drained += len(message.get("body", b""))
                more = message.get("more_body", False) and message["type"] == "http.request"
            error = ApiError(413, self._message(int(length)), code="request_too_large")
            return await JSONResponse(error.body(), status_code=413)(scope, receive, send)
        received = 0

        async def counted() -> dict:
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > self.max_bytes:
                raise ApiError(413, self._message(received), code="request_too_large")
            return message

        await self.app(scope, counted, send)

    def _message(self, size: int) -> str:
        return f"request body is {size} bytes; the limit is {self.max_bytes} bytes"


def create_app(
    config: ServerConfig,
    *,
    generator_factory: Callable[[str], Any] | None = None,
    policy: Any | None = None,
    provenance: Any | None = None,
) -> FastAPI:
    """The FastAPI app. `generator_factory(model)` is called once per worker at startup (default
    `Generator.load`); `policy` (a safety Policy) and `provenance` (a ProvenanceConfig) default to
    the library's when `config.safety` / `config.provenance` are on, and are unused when off."""
    if generator_factory is None:

        def generator_factory(name: str) -> Any:
            from tenku.pipeline import Generator

            return Generator.load(name)

    if config.safety and policy is None:
        from tenku.safety import Policy

        policy = Policy.load()
    if config.provenance and provenance is None:
        from tenku.provenance import ProvenanceConfig

        provenance = ProvenanceConfig()
    service = Service(
        config=config,
        auth=Authenticator(config.api_keys),
        generator_factory=generator_factory,
        policy=policy if config.safety else None,
        provenance=provenance if config.provenance else None,
    )
    app = FastAPI(title="tenku", lifespan=_lifespan, docs_url="/docs", redoc_url=None)
    app.state.service = service
    app.add_middleware(BodyLimit, max_bytes=config.max_upload_bytes)
    _add_error_handlers(app)
    _add_create_routes(app, service)
    _add_read_routes(app, service)
    _add_media_routes(app, service)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")

    @app.get("/", include_in_schema=False)
    def studio() -> FileResponse:
        return FileResponse(STATIC_DIR / "index.html", media_type="text/html")

    return app


@contextlib.asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    service: Service = app.state.service
    config = service.config
    data_dir = Path(config.data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    lock = open(data_dir / "server.lock", "w")  # noqa: SIM115 (held for the app's lifetime)
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        lock.close()
        raise RuntimeError(f"another tenku server is already using {data_dir}") from None
    try:
        generators = [service.generator_factory(config.model) for _ in range(config.workers)]
        service.info = model_info(generators[0])
        service.store = open_store(config.db_url, data_dir)
        service.pool = WorkerPool(
            store=service.store,
            generators=generators,
            max_attempts=config.max_attempts,
            policy=service.policy,
            provenance=service.provenance,
        )
        service.pool.start()
        log.info("tenku serving %s with %d workers, data in %s", service.info.name, config.workers, data_dir)
        yield
    finally:
        if service.pool is not None:
            service.pool.stop()
        if service.store is not None:
            service.store.close()
        lock.close()


def _add_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def api_error(request: Request, error: ApiError) -> JSONResponse:
        headers = {"WWW-Authenticate": "Bearer"} if error.status == 401 else None
        return JSONResponse(error.body(), status_code=error.status, headers=headers)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, error: StarletteHTTPException) -> JSONResponse:
        if error.status_code == 404:
            message = f"Unknown request URL: {request.method} {request.url.path}. See /docs for the routes."
            code = "unknown_url"
        elif error.status_code == 405:
            message = f"Method {request.method} is not allowed for {request.url.path}."
            code = "method_not_allowed"
        else:
            message, code = str(error.detail), None
        return JSONResponse(
            ApiError(error.status_code, message, code=code).body(), status_code=error.status_code
        )

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, error: RequestValidationError) -> JSONResponse:
        first = error.errors()[0] if error.errors() else {}
        param = ".".join(str(p) for p in first.get("loc", ())[1:]) or None
        body = bad_request(f"Invalid parameter {param}: {first.get('msg', 'invalid request')}", param=param)
        return JSONResponse(body.body(), status_code=400)

    @app.exception_handler(Exception)
    async def server_error(request: Request, error: Exception) -> JSONResponse:
        log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=error)
        body = ApiError(500, "The server had an error while processing your request.", type="server_error")
        return JSONResponse(body.body(), status_code=500)


def _owner_dependency(service: Service) -> Callable[[Request], str]:
    def owner(request: Request) -> str:
        return service.auth.owner(request.headers.get("authorization"))

    return owner


def _get_job(service: Service, video_id: str, owner: str) -> Job:
    try:
        check_video_id(video_id)
    except ValueError as e:
        raise ApiError(
            404, f"No video found with id {video_id!r}: {e}.", param="video_id", code="video_not_found"
        ) from None
    job = service.store.get(video_id, owner=owner)
    if job is None:
        raise not_found(video_id)
    return job


def _completed_source(service: Service, video_id: Any, owner: str, param: str) -> Job:
    if not isinstance(video_id, str):
        raise bad_request(f"'{param}' must be a video id string", param=param)
    job = _get_job(service, video_id, owner)
    if job.status != "completed":
        raise bad_request(
            f"video {video_id} is {job.status}; only completed videos can be used as a source",
            param=param,
            code="video_not_ready",
        )
    return job


def _common_params(fields: dict, service: Service) -> dict[str, Any]:
    """seed, steps, guidance (tenku extras) plus the fps every job runs at."""
    seed = number_field(fields, "seed", int, 0, 2**31 - 1)
    return {
        "seed": secrets.randbelow(2**31) if seed is None else seed,
        "steps": number_field(fields, "steps", int, 1, 1000),
        "guidance": number_field(fields, "guidance", float, 0.0, 50.0),
        "fps": service.info.fps,
    }


def _submit(
    service: Service,
    *,
    owner: str,
    mode: str,
    prompt: str,
    seconds: str,
    size: str,
    params: dict[str, Any],
    uploads: dict[str, bytes] | None = None,
    remixed_from: str | None = None,
    idempotency_key: str | None = None,
) -> Job:
    """Queue a job (its uploads written first, atomically) and wake the workers."""
    from tenku.io import atomic_path

    job = Job(
        id=new_video_id(),
        owner=owner,
        status="queued",
        progress=0,
        model=service.info.name,
        prompt=prompt,
        mode=mode,
        seconds=seconds,
        size=size,
        params=params,
        created_at=int(time.time()),
        remixed_from_video_id=remixed_from,
    )
    media = service.store.media_dir(job.id)
    for name, data in (uploads or {}).items():
        with atomic_path(media / name) as tmp:
            tmp.write_bytes(data)
    try:
        stored = service.store.create(
            job, max_active=service.config.max_active_jobs_per_key, idempotency_key=idempotency_key
        )
    except QueueFull as e:
        shutil.rmtree(media, ignore_errors=True)
        raise ApiError(
            429,
            f"Too many active jobs: {e}. Wait for some to finish.",
            type="rate_limit_error",
            code="too_many_active_jobs",
        ) from None
    if stored.id != job.id:  # a repeated Idempotency-Key: the first job stands
        shutil.rmtree(media, ignore_errors=True)
    service.pool.notify()
    return stored


async def _check_prompt(service: Service, prompt: str) -> None:
    if service.policy is None:
        return
    decision = await run_in_threadpool(service.policy.check_prompt, prompt)
    if not decision.allowed:
        raise bad_request(
            f"Your prompt was refused by the safety policy ({decision.category}): {decision.reason}",
            param="prompt",
            code="content_policy_violation",
        )


async def _read_prompt(request: Request, service: Service) -> tuple[dict[str, Any], str]:
    fields = await read_fields(request, max_part_bytes=service.config.max_upload_bytes)
    prompt = text_field(fields, "prompt", required=True, max_chars=service.config.max_prompt_chars)
    await _check_prompt(service, prompt)
    return fields, prompt


def _uploaded_video(service: Service, upload: Upload, size: str) -> tuple[bytes, str]:
    """Validate an uploaded source video; returns its bytes and duration (API seconds string)."""
    import tempfile

    from tenku.io import VideoReadError, read_video

    with tempfile.NamedTemporaryFile(suffix=".mp4") as tmp:
        tmp.write(upload.data)
        tmp.flush()
        try:
            video = read_video(tmp.name, fps=service.info.fps, size=tuple(int(v) for v in size.split("x")))
        except VideoReadError as e:
            raise bad_request(f"'video' is not a readable video ({e})", param="video") from None
    return upload.data, clip_seconds(len(video.frames), video.fps)


def _source(service: Service, fields: dict, owner: str) -> tuple[Job | None, Upload | None]:
    """The `video` field of extend/edit: {"id": ...} of a completed video, or an uploaded file."""
    video = fields.get("video")
    if isinstance(video, dict) and "id" in video:
        return _completed_source(service, video["id"], owner, "video"), None
    if isinstance(video, Upload):
        return None, video
    raise bad_request(
        'Missing or invalid \'video\': pass {"id": "video_..."} of a completed video or upload a file',
        param="video",
        code="missing_required_parameter",
    )


async def _source_video(
    service: Service, fields: dict, source: Job | None, upload: Upload | None, params: dict[str, Any]
) -> tuple[str, str, dict[str, bytes]]:
    """Size, duration (API seconds string) and uploads of an extend/edit source from `_source`;
    a completed video is named in params["source_id"], an uploaded one is checked and stored."""
    if source is not None:
        params["source_id"] = source.id
        return source.size, source.seconds, {}
    size = check_size(fields.get("size"), service.info)
    data, seconds = await run_in_threadpool(_uploaded_video, service, upload, size)
    return size, seconds, {SOURCE_VIDEO_FILE: data}


async def _queue(service: Service, request: Request, **job: Any) -> JSONResponse:
    """`_submit` off the event loop, keyed by the Idempotency-Key header; answers the video object."""
    queued = await run_in_threadpool(
        _submit, service, idempotency_key=request.headers.get("idempotency-key"), **job
    )
    return JSONResponse(video_object(queued))


def _add_create_routes(app: FastAPI, service: Service) -> None:
    owner_dep = Depends(_owner_dependency(service))

    @app.post("/v1/videos")
    async def create_video(request: Request, owner: str = owner_dep) -> JSONResponse:
        fields, prompt = await _read_prompt(request, service)
        model = check_model(text_field(fields, "model"), service.info)
        size = check_size(fields.get("size"), service.info)
        seconds = check_seconds(fields.get("seconds"), service.info)
        params = _common_params(fields, service) | {"loop": bool_field(fields, "loop")}
        uploads = {}
        if fields.get("input_reference") is not None:
            uploads[INPUT_IMAGE_FILE] = await run_in_threadpool(
                decode_image, fields["input_reference"], max_bytes=service.config.max_upload_bytes
            )
            params["input_image"] = True
        assert model == service.info.name
        return await _queue(
            service,
            request,
            owner=owner,
            mode="generate",
            prompt=prompt,
            seconds=str(seconds),
            size=size,
            params=params,
            uploads=uploads,
        )

    @app.post("/v1/videos/extensions")
    async def extend_video(request: Request, owner: str = owner_dep) -> JSONResponse:
        fields, prompt = await _read_prompt(request, service)
        if fields.get("seconds") is None:
            raise bad_request(
                "Missing required parameter: 'seconds'.", param="seconds", code="missing_required_parameter"
            )
        new_seconds = check_seconds(fields.get("seconds"), service.info)
        source, upload = _source(service, fields, owner)
        params = _common_params(fields, service) | {
            "new_seconds": new_seconds,
            "backward": bool_field(fields, "backward"),
        }
        size, seconds, uploads = await _source_video(service, fields, source, upload, params)
        return await _queue(
            service,
            request,
            owner=owner,
            mode="extend",
            prompt=prompt,
            seconds=format_seconds(float(seconds) + new_seconds),
            size=size,
            params=params,
            uploads=uploads,
        )

    @app.post("/v1/videos/edits")
    async def edit_video(request: Request, owner: str = owner_dep) -> JSONResponse:
        fields, prompt = await _read_prompt(request, service)
        source, upload = _source(service, fields, owner)
        strength = number_field(fields, "strength", float, 0.01, 1.0) or service.config.edit_strength
        params = _common_params(fields, service) | {"strength": strength}
        size, seconds, uploads = await _source_video(service, fields, source, upload, params)
        return await _queue(
            service,
            request,
            owner=owner,
            mode="edit",
            prompt=prompt,
            seconds=seconds,
            size=size,
            params=params,
            uploads=uploads,
        )

    @app.post("/v1/videos/{video_id}/remix")
    async def remix_video(video_id: str, request: Request, owner: str = owner_dep) -> JSONResponse:
        source = _completed_source(service, video_id, owner, "video_id")
        fields, prompt = await _read_prompt(request, service)
        strength = number_field(fields, "strength", float, 0.01, 1.0) or service.config.remix_strength
        params = _common_params(fields, service) | {"strength": strength, "source_id": source.id}
        return await _queue(
            service,
            request,
            owner=owner,
            mode="remix",
            prompt=prompt,
            seconds=source.seconds,
            size=source.size,
            params=params,
            remixed_from=source.id,
        )


def _add_read_routes(app: FastAPI, service: Service) -> None:
    owner_dep = Depends(_owner_dependency(service))
    poll_headers = {"openai-poll-after-ms": str(service.config.poll_after_ms)}

    @app.get("/v1/videos")
    def list_videos(
        after: str | None = None, limit: int = 20, order: str = "desc", owner: str = owner_dep
    ) -> JSONResponse:
        if not 1 <= limit <= 100:
            raise bad_request(f"'limit' must be between 1 and 100, got {limit}", param="limit")
        if order not in ("asc", "desc"):
            raise bad_request(f"Invalid 'order': {order!r}. Allowed values: asc, desc.", param="order")
        try:
            jobs, has_more = service.store.list(owner=owner, after=after, limit=limit, order=order)
        except KeyError:
            raise bad_request(f"'after' names no video of yours: {after!r}", param="after") from None
        data = [video_object(j) for j in jobs]
        return JSONResponse(
            {
                "object": "list",
                "data": data,
                "first_id": data[0]["id"] if data else None,
                "last_id": data[-1]["id"] if data else None,
                "has_more": has_more,
            }
        )

    @app.get("/v1/videos/{video_id}")
    def retrieve_video(video_id: str, owner: str = owner_dep) -> JSONResponse:
        return JSONResponse(video_object(_get_job(service, video_id, owner)), headers=poll_headers)

    @app.delete("/v1/videos/{video_id}")
    def delete_video(video_id: str, owner: str = owner_dep) -> JSONResponse:
        job = _get_job(service, video_id, owner)
        if service.store.delete(job.id, owner=owner) is None:
            raise not_found(video_id)
        service.pool.cancel(job.id)
        shutil.rmtree(service.store.media_dir(job.id), ignore_errors=True)
        return JSONResponse({"id": job.id, "object": "video.deleted", "deleted": True})


def _add_media_routes(app: FastAPI, service: Service) -> None:
    owner_dep = Depends(_owner_dependency(service))

    def finished(video_id: str, owner: str) -> Job:
        job = _get_job(service, video_id, owner)
        if job.status != "completed":
            detail = f": {job.error_message}" if job.status == "failed" else ""
            raise bad_request(
                f"Video {video_id} is {job.status}{detail}; its content exists once it is completed.",
                param="video_id",
                code="video_not_ready",
            )
        return job

    @app.get("/v1/videos/{video_id}/content")
    def download_content(video_id: str, variant: str = "video", owner: str = owner_dep) -> FileResponse:
        if variant not in VARIANTS:
            raise bad_request(
                f"Invalid 'variant': {variant!r}. Allowed values: {', '.join(VARIANTS)}.", param="variant"
            )
        job = finished(video_id, owner)
        name, media_type = VARIANTS[variant]
        path = service.store.media_dir(job.id) / name
        if not path.is_file():
            raise ApiError(
                404, f"The {variant} of video {video_id} is missing on the server.", code="content_missing"
            )
        return FileResponse(path, media_type=media_type, filename=f"{job.id}{path.suffix}")

    @app.get("/v1/videos/{video_id}/provenance")
    def provenance(video_id: str, owner: str = owner_dep) -> JSONResponse:
        job = finished(video_id, owner)
        verdict = job.provenance
        if verdict is None:
            from tenku.provenance import verify_file

            path = service.store.media_dir(job.id) / VIDEO_FILE
            prov = service.provenance
            options = {} if prov is None else {"identity_dir": prov.identity_dir, "key": prov.key}
            verdict = verify_file(path, **options).to_json()
            verdict.pop("path")  # the server's file layout is not the client's business
            verdict["text"] = verdict["text"].replace(str(path), f"{job.id}.mp4")
            service.store.set_provenance(job.id, verdict)
        return JSONResponse({"object": "video.provenance", "video_id": job.id, **verdict})

    @app.get("/v1/models")
    def list_models(owner: str = owner_dep) -> JSONResponse:
        return JSONResponse({"object": "list", "data": [_model_object(service.info)]})

    @app.get("/v1/models/{model_id:path}")
    def retrieve_model(model_id: str, owner: str = owner_dep) -> JSONResponse:
        if model_id != service.info.name:
            raise ApiError(
                404,
                f"The model {model_id!r} does not exist; this server serves {service.info.name!r}.",
                param="model",
                code="model_not_found",
            )
        return JSONResponse(_model_object(service.info))


def _model_object(info: ModelInfo) -> dict[str, Any]:
    return {
        "id": info.name,
        "object": "model",
        "created": 0,
        "owned_by": "tenku",
        "sizes": list(info.sizes),
        "seconds": list(info.seconds),
        "fps": info.fps,
    }
