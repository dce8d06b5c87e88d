"""The ASGI application (Litestar) and how it is run under uvicorn."""

from __future__ import annotations

import logging
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import uvicorn
from litestar import Litestar
from litestar.di import Provide
from litestar.exceptions import HTTPException, ValidationException
from litestar.openapi import OpenAPIConfig
from litestar.openapi.spec import Components, SecurityScheme

from jobdesk import __version__
from jobdesk.protocol import MAX_FRAME_BYTES
from jobdesk.server.api.admin import admin_router
from jobdesk.server.api.common import (
    api_error_handler,
    http_handler,
    internal_handler,
    replayed_handler,
    validation_handler,
)
from jobdesk.server.api.history import history_router
from jobdesk.server.api.jobs import jobs_router
from jobdesk.server.api.litestar_fixes import fix_openapi
from jobdesk.server.api.queue import queue_router
from jobdesk.server.api.read_priority import ReadPriority
from jobdesk.server.api.strict_body import StrictJsonRequest
from jobdesk.server.api.ws import notifications
from jobdesk.server.collector import freeze_loaded
from jobdesk.server.config import ServerConfig
from jobdesk.server.errors import ApiError
from jobdesk.server.idempotency import Replayed
from jobdesk.server.service import JobService
from jobdesk.server.ws_transport import TransportLimits, guarded_protocol

OPENAPI_PATH = "/api/schema"
"""The OpenAPI schema is at /api/schema/openapi.json (and browsable at /api/schema)."""


def create_app(config: ServerConfig, service: JobService | None = None) -> Litestar:
    """Build the app; the service (and its database) opens now, its tasks at startup."""
    job_service = service or JobService(config)

    @asynccontextmanager
    async def lifespan(_: Litestar) -> AsyncIterator[None]:
        await job_service.start()
        try:
            yield
        finally:
            await job_service.stop()

    app = Litestar(
        route_handlers=[
            jobs_router(),
            history_router(),
            admin_router(),
            queue_router(),
            notifications,
        ],
        dependencies={"service": Provide(lambda: job_service, sync_to_thread=False)},
        middleware=[ReadPriority().middleware],
        exception_handlers={
            Replayed: replayed_handler,
            ApiError: api_error_handler,
            ValidationException: validation_handler,
            HTTPException: http_handler,
            Exception: internal_handler,
        },
        lifespan=[lifespan],
        request_class=StrictJsonRequest,
        request_max_body_size=config.max_body_bytes,
        openapi_config=OpenAPIConfig(
            title="jobdesk",
            version=__version__,
            path=OPENAPI_PATH,
            components=Components(
                security_schemes={
                    "bearer": SecurityScheme(
                        type="http", scheme="bearer", description="jobdesk token"
                    )
                }
            ),
        ),
        logging_config=None,
    )
    fix_openapi(app)
    return app


class JobdeskServer(uvicorn.Server):
    """uvicorn's server, telling the service first when shutdown begins.

    uvicorn waits for requests in flight before it stops; a claim waiting for work (long
    poll, up to a minute) would hold the shutdown that long. Told first, the service
    answers every waiting claim at once (no job), and workers come back to a new server.
    """

    def __init__(self, config: uvicorn.Config, service: JobService) -> None:
        super().__init__(config)
        self._service = service

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        self._service.closing()
        await super().shutdown(sockets)


def uvicorn_config(app: Any, config: ServerConfig, **extra: Any) -> uvicorn.Config:
    return uvicorn.Config(
        app,
        host=config.host,
        port=config.port,
        # uvicorn's sans-I/O protocol, with the defences only the transport can add
        ws=guarded_protocol(
            TransportLimits(
                stall_timeout_s=config.ws_stall_timeout_s,
                pings_per_s=config.ws_pings_per_s,
                ping_burst=config.ws_ping_burst,
            )
        ),
        ws_max_size=MAX_FRAME_BYTES,
        ws_per_message_deflate=False,  # a compression bomb must not cost memory
        ws_ping_interval=None,  # the protocol has its own heartbeat
        lifespan="on",
        log_level="warning",
        timeout_keep_alive=config.keep_alive_s,
        backlog=config.backlog,
        **extra,
    )


def bind_socket(host: str, port: int) -> socket.socket:
    """Bind before serving, so port 0 gives a free port the caller can read at once."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # proto=IPPROTO_TCP matters: asyncio sets TCP_NODELAY only on sockets that say they
    # are TCP, and without it every keep-alive response waits ~40 ms for a delayed ACK.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    sock.set_inheritable(True)
    return sock


def run_server(config: ServerConfig) -> None:
    """Serve until interrupted (``jobdesk serve``)."""
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    logging.getLogger("alembic").setLevel(logging.WARNING)
    service = JobService(config)
    freeze_loaded()
    app = create_app(config, service)
    sock = bind_socket(config.host, config.port)
    host, port = sock.getsockname()[:2]
    log = logging.getLogger("jobdesk")
    where = _redacted(config.db_url) if config.db_url is not None else config.db_path
    log.info("jobdesk %s serving http://%s:%d (db %s)", __version__, host, port, where)
    if not service.storage.tokens.any():
        log.warning(
            "no tokens yet: every request will be refused until you run "
            "'jobdesk token create --role operator --name NAME --db %s'",
            where,
        )
    server = JobdeskServer(uvicorn_config(app, config), service)
    server.run(sockets=[sock])


def _redacted(url: str) -> str:
    """A database URL as logged: without its password."""
    scheme, _, rest = url.partition("://")
    credentials, at, place = rest.rpartition("@")
    return f"{scheme}://{credentials.partition(':')[0]}{at}{place}" if at else url
