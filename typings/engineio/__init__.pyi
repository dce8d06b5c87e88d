# Type stubs for the parts of python-engineio jobdesk uses (it ships no annotations).
from typing import Any

import aiohttp

class AsyncClient:
    state: str
    ping_interval: float
    ping_timeout: float
    ws: aiohttp.ClientWebSocketResponse | None
    def __init__(
        self,
        logger: bool = ...,
        json: Any = ...,
        request_timeout: float = ...,
        http_session: aiohttp.ClientSession | None = ...,
        ssl_verify: bool = ...,
        handle_sigint: bool = ...,
        websocket_extra_options: dict[str, Any] | None = ...,
        timestamp_requests: bool = ...,
    ) -> None: ...
    async def _receive_packet(self, pkt: Any) -> None: ...
