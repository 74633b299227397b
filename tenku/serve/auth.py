"""API keys as bearer tokens, and who owns a request.

- Keys come from a file (one per line; blank lines and `#` comments ignored) and/or the
  environment variable TENKU_API_KEYS (comma separated). `ServerConfig` refuses to bind to a
  non-loopback address without keys.
- With keys configured, every /v1 request needs `Authorization: Bearer KEY`: a missing header is a
  401 `missing_api_key`, an unknown key a 401 `invalid_api_key`. Keys are compared in constant time.
- A request's owner is a digest of its key ("local" without keys): jobs are listed, read and
  deleted only by their owner, and the queued-job limit counts per owner.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from pathlib import Path

from tenku.serve.errors import ApiError

ENV_VAR = "TENKU_API_KEYS"
LOCAL_OWNER = "local"


def load_api_keys(
    path: str | os.PathLike | None = None, *, env: dict[str, str] | None = None
) -> tuple[str, ...]:
    """Keys from `path` (one per line) plus those in $TENKU_API_KEYS, deduplicated in order."""
    env = os.environ if env is None else env
    keys: list[str] = []
    if path is not None:
        path = Path(path)
        if not path.is_file():
            raise FileNotFoundError(f"API key file {path} does not exist")
        for line in path.read_text().splitlines():
            line = line.split("#", 1)[0].strip()
            if line:
                keys.append(line)
        if not keys:
            raise ValueError(f"API key file {path} holds no keys (one key per line, # starts a comment)")
    keys += [k.strip() for k in env.get(ENV_VAR, "").split(",") if k.strip()]
    return tuple(dict.fromkeys(keys))


def key_owner(key: str) -> str:
    return "key_" + hashlib.sha256(key.encode()).hexdigest()[:24]


class Authenticator:
    """Maps the Authorization header of a request to an owner, or raises a 401 ApiError."""

    def __init__(self, keys: tuple[str, ...]):
        self._keys = tuple(k.encode() for k in keys)

    @property
    def required(self) -> bool:
        return bool(self._keys)

    def owner(self, authorization: str | None) -> str:
        if not self._keys:
            return LOCAL_OWNER
        if not authorization:
            raise ApiError(
                401,
                "You didn't provide an API key. Send it as a bearer token: 'Authorization: Bearer KEY'.",
                code="missing_api_key",
            )
        scheme, _, token = authorization.partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            raise ApiError(
                401, "Malformed Authorization header: expected 'Bearer KEY'.", code="invalid_api_key"
            )
        # compare against every key so the time taken does not depend on which one matched
        matched = [hmac.compare_digest(token.encode(), key) for key in self._keys]
        if not any(matched):
            shown = token[:3] + "..." + token[-4:] if len(token) > 10 else "***"
            raise ApiError(401, f"Incorrect API key provided: {shown}.", code="invalid_api_key")
        return key_owner(token)
