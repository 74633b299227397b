"""The `tenku` command: one entry point, one module per subcommand group in this package.

Each module defines `add_parser(subparsers)`, which adds its subcommand and sets `func`, the
function called with the parsed arguments; it returns the process exit code. Modules import
their heavy dependencies inside `func`, so `tenku --help` stays fast.
"""

from __future__ import annotations

import argparse
import sys

from tenku import __version__
from tenku.cli import bench, cache, generate, safety, train, verify, world
from tenku.cli import serve as serve_cmd

# Subcommand groups, in the order `tenku --help` lists them.
COMMANDS = (generate, train, cache, verify, bench, safety, serve_cmd, world)


class CommandError(Exception):
    """A user-facing error: printed as `tenku: error: ...` with the given exit code."""

    def __init__(self, message: str, code: int = 2):
        super().__init__(message)
        self.code = code


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="tenku", description="Text-to-video you can own.")
    parser.add_argument("--version", action="version", version=f"tenku {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module in COMMANDS:
        module.add_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except CommandError as e:
        print(f"tenku: error: {e}", file=sys.stderr)
        return e.code
    except (ValueError, TypeError, FileNotFoundError) as e:
        print(f"tenku: error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("tenku: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
