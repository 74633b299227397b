"""Reading and validating request bodies: JSON or multipart, the same fields either way.

Multipart keys of the form `a[b]` (how the openai client sends `video={"id": ...}`) become nested
dicts; uploaded files become `Upload`s. Every check raises an ApiError (400) naming the parameter
and what is allowed.
"""

from __future__ import annotations

import base64
import binascii
import io
import json
import re
from dataclasses import dataclass
from typing import Any

from starlette.datastructures import UploadFile
from starlette.formparsers import MultiPartException
from starlette.requests import Request

from tenku.serve.errors import ApiError, bad_request

_NESTED_KEY = re.compile(r"(\w+)\[(\w+)\]")


@dataclass(frozen=True, kw_only=True)
class Upload:
    filename: str
    content_type: str
    data: bytes


@dataclass(frozen=True, kw_only=True)
class ModelInfo:
    """What a served model accepts: sizes as "WxH" and seconds as strings, like the API."""

    name: str
    sizes: tuple[str, ...]
    seconds: tuple[str, ...]
    fps: float


async def read_fields(request: Request, *, max_part_bytes: int) -> dict[str, Any]:
    """The request's fields from a JSON object or a multipart/url-encoded form."""
    content_type = request.headers.get("content-type", "").lower()
    if content_type.startswith(("multipart/form-data", "application/x-www-form-urlencoded")):
        try:
            form = await request.form(max_files=4, max_fields=64, max_part_size=max_part_bytes)
        except MultiPartException as e:
            raise bad_request(f"could not parse the multipart body: {e}", code="invalid_multipart") from e
        fields: dict[str, Any] = {}
        for key, value in form.multi_items():
            if isinstance(value, UploadFile):
                value = Upload(
                    filename=value.filename or "upload",
                    content_type=value.content_type or "application/octet-stream",
                    data=await value.read(),
                )
            nested = _NESTED_KEY.fullmatch(key)
            if nested:
                fields.setdefault(nested[1], {})
                if not isinstance(fields[nested[1]], dict):
                    raise bad_request(f"field {nested[1]!r} was given both as a value and as an object")
                fields[nested[1]][nested[2]] = value
            else:
                fields[key] = value
        await form.close()
        return fields
    if content_type and not content_type.startswith("application/json"):
        raise ApiError(
            415,
            f"unsupported Content-Type {content_type!r}: send application/json or multipart/form-data",
            code="unsupported_media_type",
        )
    body = await request.body()
    if not body.strip():
        raise bad_request('the request body is empty: send a JSON object such as {"prompt": "..."}')
    try:
        data = json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise bad_request(
            f"We could not parse the JSON body of your request ({e}). Send a valid JSON object.",
            code="invalid_json",
        ) from e
    if not isinstance(data, dict):
        raise bad_request(f"the JSON body must be an object, got {type(data).__name__}", code="invalid_json")
    return data


def text_field(
    fields: dict, name: str, *, required: bool = False, max_chars: int | None = None
) -> str | None:
    value = fields.get(name)
    if value is None:
        if required:
            raise bad_request(
                f"Missing required parameter: '{name}'.", param=name, code="missing_required_parameter"
            )
        return None
    if not isinstance(value, str):
        raise bad_request(f"'{name}' must be a string, got {type(value).__name__}", param=name)
    if required and not value.strip():
        raise bad_request(f"'{name}' must not be empty", param=name)
    if max_chars is not None and len(value) > max_chars:
        raise bad_request(
            f"'{name}' is {len(value)} characters long; the limit is {max_chars}",
            param=name,
            code="string_above_max_length",
        )
    return value


def number_field(fields: dict, name: str, kind: type, lo: float, hi: float) -> Any:
    """An int or float field within [lo, hi] (strings from forms are converted), or None."""
    value = fields.get(name)
    if value is None:
        return None
    try:
        if isinstance(value, bool) or isinstance(value, dict | list | Upload):
            raise ValueError
        number = kind(value)
        if kind is int and isinstance(value, float) and value != number:
            raise ValueError
    except (TypeError, ValueError):
        raise bad_request(
            f"'{name}' must be {'an integer' if kind is int else 'a number'}, got {value!r}", param=name
        ) from None
    if not lo <= number <= hi:
        raise bad_request(f"'{name}' must be between {lo} and {hi}, got {number}", param=name)
    return number


def bool_field(fields: dict, name: str) -> bool:
    value = fields.get(name)
    if value is None or isinstance(value, bool):
        return bool(value)
    if isinstance(value, str) and value.lower() in ("true", "1", "yes", "on", "false", "0", "no", "off", ""):
        return value.lower() in ("true", "1", "yes", "on")
    raise bad_request(f"'{name}' must be true or false, got {value!r}", param=name)


def check_model(value: str | None, info: ModelInfo) -> str:
    if value is not None and value != info.name:
        raise bad_request(
            f"Invalid 'model': {value!r}. This server serves {info.name!r}; see GET /v1/models.",
            param="model",
            code="invalid_value",
        )
    return info.name


def check_size(value: Any, info: ModelInfo) -> str:
    if value is None:
        return info.sizes[0]
    if value not in info.sizes:
        raise bad_request(
            f"Invalid 'size': {value!r}. Allowed sizes for {info.name}: {', '.join(info.sizes)}.",
            param="size",
            code="invalid_value",
        )
    return value


def check_seconds(value: Any, info: ModelInfo) -> int:
    if value is None:
        return int(info.seconds[0])
    text = str(value) if isinstance(value, int | str) and not isinstance(value, bool) else None
    if text not in info.seconds:
        allowed = (
            ", ".join(info.seconds) if len(info.seconds) <= 8 else f"{info.seconds[0]}..{info.seconds[-1]}"
        )
        raise bad_request(
            f"Invalid 'seconds': {value!r}. Allowed values for {info.name}: {allowed} (whole seconds).",
            param="seconds",
            code="invalid_value",
        )
    return int(text)


def decode_image(value: Any, *, max_bytes: int) -> bytes:
    """An uploaded image or {"image_url": "data:..."} as PNG bytes; 400 for anything else."""
    from PIL import Image, UnidentifiedImageError

    if isinstance(value, dict) and "image_url" in value:
        url = str(value["image_url"])
        if not url.startswith("data:") or ";base64," not in url:
            raise bad_request(
                "input_reference.image_url must be a base64 data: URL (this server fetches nothing)",
                param="input_reference",
            )
        try:
            data = base64.b64decode(url.split(";base64,", 1)[1], validate=True)
        except (binascii.Error, ValueError) as e:
            raise bad_request(
                f"input_reference.image_url is not valid base64: {e}", param="input_reference"
            ) from e
    elif isinstance(value, Upload):
        data = value.data
    elif isinstance(value, dict) and "file_id" in value:
        raise bad_request(
            "input_reference.file_id is not supported: upload the image instead", param="input_reference"
        )
    else:
        raise bad_request(
            'input_reference must be an image file or {"image_url": "data:..."}', param="input_reference"
        )
    if len(data) > max_bytes:
        raise ApiError(
            413, f"input_reference is {len(data)} bytes; the limit is {max_bytes}", param="input_reference"
        )
    try:
        with Image.open(io.BytesIO(data)) as im:
            im.load()
            out = io.BytesIO()
            im.convert("RGB").save(out, format="PNG")
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError) as e:
        raise bad_request(f"input_reference is not a readable image ({e})", param="input_reference") from e
    return out.getvalue()
