"""`tenku serve`: the OpenAI-compatible Videos API and the web studio on one port.

    tenku serve [--host 127.0.0.1] [--port 8000] [--data DIR] [--workers N] [--model NAME|PATH]
                [--api-keys FILE] [--database-url URL]

Open http://HOST:PORT/ for the studio; point the `openai` client at http://HOST:PORT/v1. Binding
to anything but loopback needs API keys (--api-keys FILE, one per line, or $TENKU_API_KEYS).
Jobs, videos and the database live in --data; a restart resumes what a crash interrupted.
"""

from __future__ import annotations

import argparse


def add_parser(sub) -> None:
    from tenku.serve.config import ServerConfig

    d = ServerConfig()
    parser = sub.add_parser(
        "serve",
        help="serve the OpenAI-compatible Videos API and the web studio",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--host", default=d.host, help=f"bind address (default {d.host})")
    parser.add_argument("--port", type=int, default=d.port, help=f"port (default {d.port})")
    parser.add_argument("--data", default=str(d.data_dir), help=f"data directory (default ./{d.data_dir})")
    parser.add_argument(
        "--workers", type=int, default=d.workers, help=f"generation workers (default {d.workers})"
    )
    parser.add_argument("--model", default=d.model, help=f"model name or checkpoint path (default {d.model})")
    parser.add_argument(
        "--api-keys", default=None, metavar="FILE", help="file of accepted API keys, one per line"
    )
    parser.add_argument("--database-url", default=None, help="default sqlite:///DATA/tenku.db")
    parser.add_argument(
        "--max-upload-mb", type=float, default=d.max_upload_bytes / 2**20, help="request body limit"
    )
    parser.add_argument(
        "--max-active-jobs", type=int, default=d.max_active_jobs_per_key, help="queued+running jobs per key"
    )
    parser.add_argument(
        "--no-safety", action="store_true", help="turn the safety policy off (explicit; logged at startup)"
    )
    parser.add_argument("--log-level", default="info", choices=("debug", "info", "warning", "error"))
    parser.set_defaults(func=run)


def run(args) -> int:
    import logging
    from pathlib import Path

    import uvicorn

    from tenku.cli import CommandError
    from tenku.serve import ServerConfig, create_app
    from tenku.serve.auth import load_api_keys

    config = ServerConfig(
        host=args.host,
        port=args.port,
        data_dir=Path(args.data),
        database_url=args.database_url,
        workers=args.workers,
        model=args.model,
        api_keys=load_api_keys(args.api_keys),
        max_upload_bytes=int(args.max_upload_mb * 2**20),
        max_active_jobs_per_key=args.max_active_jobs,
        safety=not args.no_safety,
    )
    logging.basicConfig(level=args.log_level.upper(), format="%(asctime)s %(name)s %(levelname)s %(message)s")
    if args.no_safety:
        logging.getLogger("tenku.serve").warning(
            "safety policy turned off (--no-safety): prompts and frames are not checked"
        )
    try:
        app = create_app(config)
    except Exception as e:
        if type(e).__name__ == "SafetyUnavailable":
            raise CommandError(f"{e}; or start with --no-safety to serve without the safety policy", 1) from e
        raise
    print(
        f"tenku studio: http://{config.host}:{config.port}/  API: http://{config.host}:{config.port}/v1",
        flush=True,
    )
    try:
        uvicorn.run(app, host=config.host, port=config.port, log_level=args.log_level)
    except RuntimeError as e:  # e.g. another server holds the data directory
        raise CommandError(str(e), 1) from e
    return 0
