"""``leadflow serve``: the HTTP API under uvicorn, with in-process workers by default, so one
command serves everything on SQLite."""

from __future__ import annotations

import logging
import signal
from typing import Annotated, Any

import typer

from leadflow.cli.common import fail, require_db
from leadflow.cli.options import DEFAULT, DbOption
from leadflow.settings import Settings

WORKERS_ENV = "LEADFLOW_SERVE_WORKERS_IN_PROCESS"

GRACEFUL_S = 10  # open connections get this long to finish after SIGTERM/SIGINT
HEALTHCHECK_S = 60  # a process that misses its supervisor's health ping this long is restarted


def serve(
    db: DbOption = DEFAULT,
    host: Annotated[
        str | None,
        typer.Option(help="Address to listen on (default: LEADFLOW_API_HOST or 127.0.0.1)."),
    ] = None,
    port: Annotated[
        int | None,
        typer.Option(
            min=1, max=65535, help="Port to listen on (default: LEADFLOW_API_PORT or 8080)."
        ),
    ] = None,
    workers_in_process: Annotated[
        int | None,
        typer.Option(
            "--workers-in-process",
            min=0,
            max=64,
            help="Worker threads run inside the server (default: 1).",
        ),
    ] = None,
    no_worker: Annotated[
        bool,
        typer.Option(
            "--no-worker", help="Serve the API only (run `leadflow worker` processes apart)."
        ),
    ] = False,
    processes: Annotated[
        int,
        typer.Option(
            "--processes",
            min=1,
            max=64,
            help="API processes sharing the port (uvicorn workers); each runs the in-process "
            "workers asked for.",
        ),
    ] = 1,
) -> None:
    """Serve the HTTP API (OpenAPI docs at /docs) and, by default, one in-process worker.

    SIGTERM/SIGINT stop it gracefully: no new connections, workers finish their pass, exit 0."""
    if no_worker and workers_in_process:
        raise fail("use either --no-worker or --workers-in-process N, not both", code=2)
    n_workers = 0 if no_worker else (1 if workers_in_process is None else workers_in_process)
    overrides: dict[str, Any] = {"db": db}
    if host is not None:
        overrides["api_host"] = host
    if port is not None:
        overrides["api_port"] = port
    require_db(db)
    # imported here: the other commands need neither FastAPI nor uvicorn
    import uvicorn

    from leadflow.api.app import create_app

    settings = Settings(**overrides)
    from leadflow.runtime import build_runtime  # the engine: not for --help

    rt = build_runtime(settings)  # an out-of-date schema is refused here, like every command
    if processes > 1:
        rt.close()
        _serve_processes(settings, processes, n_workers)
        return
    app = create_app(settings, runtime=rt, workers_in_process=n_workers)
    logging.getLogger("leadflow.api").setLevel(logging.INFO)
    server = uvicorn.Server(
        uvicorn.Config(
            app,
            host=settings.api_host,
            port=settings.api_port,
            lifespan="on",
            access_log=False,  # ours (leadflow.api.access) redacts secret query values
            server_header=False,
            timeout_graceful_shutdown=GRACEFUL_S,
            log_level="info",
        )
    )

    def _handled(signum: int, frame: Any) -> None:
        """uvicorn catches the signal and shuts down, then raises it again for the handler it
        found at start: this one, so a requested stop ends with exit code 0."""

    previous = {sig: signal.signal(sig, _handled) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        server.run()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        rt.close()


def _serve_processes(settings: Settings, processes: int, n_workers: int) -> None:
    """Several API processes on one port: uvicorn's supervisor starts them, each builds its app
    from the environment (:func:`leadflow.api.app.app_from_environment`), restarts one that
    dies, and stops them all gracefully on SIGTERM/SIGINT."""
    import os

    import uvicorn

    os.environ["LEADFLOW_DB"] = settings.db
    os.environ[WORKERS_ENV] = str(n_workers)
    uvicorn.run(
        "leadflow.api.app:app_from_environment",
        factory=True,
        host=settings.api_host,
        port=settings.api_port,
        workers=processes,
        lifespan="on",
        access_log=False,
        server_header=False,
        timeout_graceful_shutdown=GRACEFUL_S,
        # uvicorn's default (5 s) restarted processes still importing the app on a busy host,
        # again and again.
        timeout_worker_healthcheck=HEALTHCHECK_S,
        log_level="info",
    )
