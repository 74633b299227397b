"""The local signing identity: a small CA and a leaf certificate for C2PA, created on first use.

Layout of an identity directory (default `$TENKU_HOME/identity`, else `~/.config/tenku/identity`),
mode 0700, every file 0600:

    ca.pem       self-signed CA (EC P-256, CA:true, keyCertSign, 20 years); the trust anchor
    ca.key       the CA's private key (only needed to issue a new leaf)
    signer.pem   leaf + CA chain (EC P-256, digitalSignature, EKU emailProtection, SKI + AKI, 10 years)
    signer.key   the leaf's private key (PKCS#8 PEM)
    retired/<UTC time>/ca.pem   CAs of rotated identities, still trusted when verifying

C2PA rejects a bare self-signed leaf (it needs an Authority Key Identifier and an allowed EKU),
hence the CA. Rotation (`rotate_identity`, or `tenku verify --rotate-identity`) moves the current
files to retired/<time>/ (keeping only ca.pem there) and creates a fresh CA and leaf; files signed
before stay Trusted on this machine because verification trusts retired CAs too. Delete a
retired directory to stop trusting what its CA signed. Signing needs no network (no timestamp
authority).
"""

from __future__ import annotations

import datetime
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

CA_YEARS = 20
LEAF_YEARS = 10
FILES = ("ca.pem", "ca.key", "signer.pem", "signer.key")


@dataclass(frozen=True, kw_only=True)
class Identity:
    directory: Path
    chain: Path  # leaf then CA, PEM
    key: Path  # leaf private key, PEM
    ca: Path  # trust anchor, PEM


def default_identity_dir() -> Path:
    """$TENKU_HOME/identity when TENKU_HOME is set, else ~/.config/tenku/identity."""
    home = os.environ.get("TENKU_HOME")
    if home:
        return Path(home).expanduser() / "identity"
    return Path.home() / ".config" / "tenku" / "identity"


def _identity(directory: Path) -> Identity:
    return Identity(
        directory=directory,
        chain=directory / "signer.pem",
        key=directory / "signer.key",
        ca=directory / "ca.pem",
    )


def _write_private(path: Path, data: bytes) -> None:
    """Write a file created with mode 0600 (never readable by others, even briefly), atomically."""
    tmp = path.with_name(f".{path.name}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.write(fd, data)
    finally:
        os.close(fd)
    os.replace(tmp, path)


def _create(directory: Path) -> None:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    def name(cn: str) -> x509.Name:
        return x509.Name(
            [
                x509.NameAttribute(NameOID.COMMON_NAME, cn),
                x509.NameAttribute(NameOID.ORGANIZATION_NAME, "tenku"),
            ]
        )

    def usage(*, sign: bool, ca: bool) -> x509.KeyUsage:
        return x509.KeyUsage(
            digital_signature=sign,
            content_commitment=False,
            key_encipherment=False,
            data_encipherment=False,
            key_agreement=False,
            key_cert_sign=ca,
            crl_sign=ca,
            encipher_only=False,
            decipher_only=False,
        )

    now = datetime.datetime.now(datetime.UTC) - datetime.timedelta(minutes=5)
    host = os.uname().nodename or "local"
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = name(f"tenku local CA ({host})")
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + datetime.timedelta(days=365 * CA_YEARS))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(usage(sign=False, ca=True), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    leaf = (
        x509.CertificateBuilder()
        .subject_name(name(f"tenku signer ({host})"))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + datetime.timedelta(days=365 * LEAF_YEARS))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(usage(sign=True, ca=False), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    pem = serialization.Encoding.PEM
    pkcs8 = serialization.PrivateFormat.PKCS8
    plain = serialization.NoEncryption()
    _write_private(directory / "ca.key", ca_key.private_bytes(pem, pkcs8, plain))
    _write_private(directory / "signer.key", key.private_bytes(pem, pkcs8, plain))
    _write_private(directory / "ca.pem", ca.public_bytes(pem))
    # signer.pem last: its presence marks a complete identity
    _write_private(directory / "signer.pem", leaf.public_bytes(pem) + ca.public_bytes(pem))


def load_or_create_identity(directory: str | os.PathLike | None = None) -> Identity:
    """Return the identity in `directory`, creating a CA and a leaf there on first use."""
    directory = Path(directory).expanduser() if directory is not None else default_identity_dir()
    identity = _identity(directory)
    if identity.chain.exists() and identity.key.exists() and identity.ca.exists():
        return identity
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(directory, 0o700)
    _create(directory)
    return identity


def rotate_identity(directory: str | os.PathLike | None = None) -> Identity:
    """Retire the current identity (its CA stays trusted for verifying) and create a new one."""
    directory = Path(directory).expanduser() if directory is not None else default_identity_dir()
    current = _identity(directory)
    if current.ca.exists():
        stamp = datetime.datetime.now(datetime.UTC).strftime("%Y%m%dT%H%M%S%fZ")
        retired = directory / "retired" / stamp
        retired.mkdir(mode=0o700, parents=True)
        os.chmod(directory / "retired", 0o700)
        shutil.move(str(current.ca), retired / "ca.pem")
    for name in FILES:
        (directory / name).unlink(missing_ok=True)
    return load_or_create_identity(directory)


def trust_anchors(directory: str | os.PathLike | None = None) -> str:
    """PEM text of every CA in an identity directory (current and retired); '' when none. Creates nothing."""
    directory = Path(directory).expanduser() if directory is not None else default_identity_dir()
    paths = [directory / "ca.pem", *sorted((directory / "retired").glob("*/ca.pem"))]
    return "".join(p.read_text() for p in paths if p.is_file())
