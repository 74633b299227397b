"""C2PA manifests through `c2pa-python`: sign an MP4 or PNG as the last step, read one back.

What tenku's manifest holds (claim generator "tenku" with its version):
- `c2pa.actions`: one `c2pa.created` action, digitalSourceType `trainedAlgorithmicMedia`,
  softwareAgent tenku + version, parameters: model name and the SHA-256 of the prompt;
- `org.tenku.generation`: model, prompt SHA-256, the prompt itself only when asked, the
  invisible watermark's scheme and payload id, and any extra fields the caller passes.

Signing is offline (no timestamp authority URL). Reading returns one of four states:
Trusted (chains to a supplied trust anchor), Valid (intact, signer not trusted here), Invalid
(signature or media hash broken: the file changed after signing), Missing (no manifest).
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from tenku import __version__

MIME_TYPES = {".mp4": "video/mp4", ".png": "image/png"}
SOURCE_TYPE = "http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia"
GENERATOR = "tenku"
ASSERTION = "org.tenku.generation"
STATES = ("Trusted", "Valid", "Invalid", "Missing")


@dataclass(frozen=True, kw_only=True)
class ManifestReport:
    state: str  # one of STATES
    generator: str | None = None  # claim generator name ("tenku" for our files)
    generator_version: str | None = None
    model: str | None = None
    prompt_sha256: str | None = None
    signer: str | None = None  # certificate common name of the signer
    failures: tuple[str, ...] = ()  # validation failure codes, e.g. assertion.bmffHash.mismatch
    generation: dict = field(default_factory=dict)  # the org.tenku.generation assertion
    error: str | None = None  # why the manifest could not be read, when it could not


def prompt_digest(prompt: str) -> str:
    return hashlib.sha256(prompt.encode("utf-8")).hexdigest()


def mime_type_for(path: str | os.PathLike) -> str:
    """C2PA MIME type for a target path; ValueError for formats tenku cannot sign."""
    suffix = Path(path).suffix.lower()
    if suffix not in MIME_TYPES:
        raise ValueError(
            f"cannot sign {path}: C2PA signing in tenku supports {sorted(MIME_TYPES)}, not {suffix!r}; "
            "write an .mp4 (video) or .png (image), or turn provenance off explicitly"
        )
    return MIME_TYPES[suffix]


def build_manifest(
    *,
    title: str,
    model: str,
    prompt: str,
    include_prompt: bool = False,
    watermark: dict | None = None,
    extra: dict | None = None,
) -> dict:
    """The manifest definition (JSON-able dict) for a file tenku generated."""
    digest = prompt_digest(prompt)
    generation = {"model": model, "prompt_sha256": digest, "watermark": watermark or {"embedded": False}}
    if include_prompt:
        generation["prompt"] = prompt
    for name, value in (extra or {}).items():
        if name in generation:
            raise ValueError(f"extra field {name!r} would overwrite a field tenku sets")
        generation[name] = value
    json.dumps(generation)  # fail early, with the offending value, on anything not JSON
    action = {
        "action": "c2pa.created",
        "digitalSourceType": SOURCE_TYPE,
        "softwareAgent": {"name": GENERATOR, "version": __version__},
        "parameters": {"model": model, "prompt_sha256": digest},
    }
    return {
        "claim_generator_info": [{"name": GENERATOR, "version": __version__}],
        "title": title,
        "assertions": [
            {"label": "c2pa.actions", "data": {"actions": [action]}},
            {"label": ASSERTION, "data": generation},
        ],
    }


def _algorithm(key_pem: bytes):
    import c2pa
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

    key = serialization.load_pem_private_key(key_pem, password=None)
    if isinstance(key, ec.EllipticCurvePrivateKey):
        by_curve = {"secp256r1": c2pa.C2paSigningAlg.ES256, "secp384r1": c2pa.C2paSigningAlg.ES384}
        by_curve["secp521r1"] = c2pa.C2paSigningAlg.ES512
        if key.curve.name not in by_curve:
            raise ValueError(f"EC key on curve {key.curve.name} is not supported by C2PA; use P-256/384/521")
        return by_curve[key.curve.name]
    if isinstance(key, ed25519.Ed25519PrivateKey):
        return c2pa.C2paSigningAlg.ED25519
    if isinstance(key, rsa.RSAPrivateKey):
        return c2pa.C2paSigningAlg.PS256
    raise ValueError(f"unsupported private key type {type(key).__name__}: use EC, Ed25519 or RSA")


def sign_file(source: Path, target: Path, manifest: dict, *, chain_pem: bytes, key_pem: bytes) -> None:
    """Write `target` = `source` with the manifest embedded and signed (offline, no timestamp)."""
    import c2pa

    mime = mime_type_for(target)
    info = c2pa.C2paSignerInfo(alg=_algorithm(key_pem), sign_cert=chain_pem, private_key=key_pem, ta_url=None)
    context = c2pa.Context.from_dict({"builder": {"thumbnail": {"enabled": False}}})
    with c2pa.Signer.from_info(info) as signer, c2pa.Builder(manifest, context=context) as builder:
        with open(source, "rb") as src, open(target, "w+b") as dst:
            builder.sign(signer, mime, src, dst)


def _report(reader, state: str) -> ManifestReport:
    store = json.loads(reader.json())
    active = store.get("manifests", {}).get(store.get("active_manifest", ""), {})
    generator = (active.get("claim_generator_info") or [{}])[0]
    assertions = {a.get("label"): a.get("data", {}) for a in active.get("assertions", [])}
    generation = assertions.get(ASSERTION, {})
    actions = (assertions.get("c2pa.actions.v2") or assertions.get("c2pa.actions") or {}).get("actions", [])
    params = next((a.get("parameters", {}) for a in actions if a.get("action") == "c2pa.created"), {})
    results = (store.get("validation_results") or {}).get("activeManifest") or {}
    failures = tuple(item.get("code", "?") for item in results.get("failure", []))
    return ManifestReport(
        state=state,
        generator=generator.get("name"),
        generator_version=generator.get("version"),
        model=params.get("model") or generation.get("model"),
        prompt_sha256=params.get("prompt_sha256") or generation.get("prompt_sha256"),
        signer=(active.get("signature_info") or {}).get("common_name"),
        failures=failures,
        generation=generation,
    )


def read_manifest(path: str | os.PathLike, *, trust_pem: str = "") -> ManifestReport:
    """Read and validate the C2PA manifest of a file; `trust_pem` holds extra trust anchors."""
    import c2pa

    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such file")
    settings = {"trust": {"user_anchors": trust_pem}} if trust_pem else {}
    context = c2pa.Context.from_dict(settings)
    try:
        reader = c2pa.Reader.try_create(str(path), context=context)
    except c2pa.C2paError as e:
        # a manifest is there but cannot be parsed or its binding is broken
        return ManifestReport(state="Invalid", error=str(e))
    if reader is None:
        return ManifestReport(state="Missing")
    with reader:
        state = reader.get_validation_state() or "Invalid"
        return _report(reader, state if state in STATES else "Invalid")
