#!/usr/bin/env bash
# Create .venv and install tenku with its test tools. Safe to run again: it only installs what is missing.
# torch==2.13.0 goes in first, so the package's torch range never pulls a multi-GB CUDA build.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -x .venv/bin/python ]; then
    python3 -m venv .venv
fi
stamp=.venv/.tenku-setup
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
    .venv/bin/pip install -q --upgrade pip
    .venv/bin/pip install -q "torch==2.13.0"
    .venv/bin/pip install -q -e ".[dev]"
    touch "$stamp"
fi
