"""`tenku verify FILE [--json]`: is this file from tenku? Reads the C2PA manifest and the watermark.

Exit status: 0 when the file is shown to come from tenku (a Trusted/Valid tenku manifest, or
the watermark found with false-positive probability <= 1e-6), 1 when it is not, 2 on errors.
`tenku verify --rotate-identity` retires the local signing identity and creates a new one.
"""

from __future__ import annotations

import argparse
import json


def add_parser(sub) -> None:
    parser = sub.add_parser(
        "verify",
        help="check a file's C2PA manifest and invisible watermark",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("file", nargs="?", help="video or image to check")
    parser.add_argument("--json", action="store_true", help="print the verdict as JSON")
    parser.add_argument("--key", default=None, help="watermark key (default: tenku's public key)")
    parser.add_argument("--identity-dir", default=None, help="local identity whose CAs are trusted")
    parser.add_argument("--trust", action="append", default=[], metavar="PEM", help="extra trust anchor(s)")
    parser.add_argument(
        "--max-false-positive", type=float, default=1e-6, help="watermark threshold (default 1e-6)"
    )
    parser.add_argument(
        "--rotate-identity",
        action="store_true",
        help="retire the local signing identity and create a new one",
    )
    parser.set_defaults(func=run)


def run(args) -> int:
    from tenku.cli import CommandError
    from tenku.provenance import DEFAULT_KEY, rotate_identity, verify_file

    if args.rotate_identity:
        identity = rotate_identity(args.identity_dir)
        print(f"new signing identity in {identity.directory} (old CAs kept under retired/ stay trusted)")
        if args.file is None:
            return 0
    if args.file is None:
        raise CommandError("verify needs a FILE (or --rotate-identity)")
    verdict = verify_file(
        args.file,
        identity_dir=args.identity_dir,
        key=args.key or DEFAULT_KEY,
        trust=tuple(args.trust),
        max_false_positive=args.max_false_positive,
    )
    print(json.dumps(verdict.to_json(), indent=2) if args.json else verdict.text)
    return 0 if verdict.from_tenku else 1
