"""`tenku serve`: the OpenAI Videos API on your own machine, a durable job queue and a web studio.

- `config.ServerConfig`: every server setting and limit.
- `app.create_app(config, *, generator_factory=, policy=, provenance=)`: the FastAPI app (routes
  and limits are listed in `tenku.serve.app`); the generator factory, the safety policy and the
  provenance config are injected, so tests run the same code with tiny random weights.
- `store`: jobs in SQL (SQLite by default), media as files; crash recovery.
- `worker`: the worker pool that runs the pipeline with progress updates.
- `auth`: API keys as bearer tokens.
- `static/`: the studio (plain HTML/JS/CSS, no CDN) served at `/`.
"""

from tenku.serve.app import create_app
from tenku.serve.config import ServerConfig

__all__ = ["ServerConfig", "create_app"]
