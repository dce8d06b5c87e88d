# Type stubs for the parts of python-socketio jobdesk uses (it ships no annotations).
from collections.abc import Callable, Mapping
from typing import Any

import engineio
from socketio import exceptions as exceptions

class AsyncClient:
    eio: engineio.AsyncClient
    connected: bool
    def __init__(
        self,
        reconnection: bool = ...,
        logger: bool = ...,
        handle_sigint: bool = ...,
        **kwargs: Any,
    ) -> None: ...
    def _engineio_client_class(self) -> type[engineio.AsyncClient]: ...
    def on(
        self, event: str, handler: Callable[..., Any] | None = ..., namespace: str | None = ...
    ) -> Any: ...
    async def connect(
        self,
        url: str,
        headers: Mapping[str, str] = ...,
        auth: Any = ...,
        transports: list[str] | str | None = ...,
        namespaces: list[str] | str | None = ...,
        socketio_path: str = ...,
        wait: bool = ...,
        wait_timeout: float = ...,
        retry: bool = ...,
    ) -> None: ...
    async def emit(
        self,
        event: str,
        data: Any = ...,
        namespace: str | None = ...,
        callback: Callable[..., Any] | None = ...,
    ) -> None: ...
    async def disconnect(self) -> None: ...

class AsyncServer:
    def __init__(
        self,
        client_manager: Any = ...,
        logger: bool = ...,
        json: Any = ...,
        async_handlers: bool = ...,
        namespaces: Any = ...,
        **kwargs: Any,
    ) -> None: ...
    def on(
        self, event: str, handler: Callable[..., Any] | None = ..., namespace: str | None = ...
    ) -> Any: ...
    async def emit(
        self,
        event: str,
        data: Any = ...,
        to: str | list[str] | None = ...,
        room: str | list[str] | None = ...,
        namespace: str | None = ...,
    ) -> None: ...
    async def enter_room(self, sid: str, room: str, namespace: str | None = ...) -> None: ...
    async def disconnect(self, sid: str, namespace: str | None = ...) -> None: ...
    async def shutdown(self) -> None: ...

class ASGIApp:
    def __init__(
        self,
        socketio_server: AsyncServer,
        other_asgi_app: Any = ...,
        static_files: Any = ...,
        socketio_path: str = ...,
        on_startup: Any = ...,
        on_shutdown: Any = ...,
    ) -> None: ...
    async def __call__(self, scope: Any, receive: Any, send: Any) -> None: ...
