"""The REST calls the engine makes: the snapshot and the resync since a seq."""

from __future__ import annotations

import httpx
import msgspec

from jobdesk.client.errors import AuthRejected, ResyncRequired
from jobdesk.protocol.rest import Snapshot

_decode_snapshot = msgspec.json.Decoder(Snapshot).decode


class RestApi:
    def __init__(self, base_url: str, token: str, *, timeout: float) -> None:
        self._http = httpx.AsyncClient(
            base_url=base_url,
            headers={"Authorization": f"Bearer {token}"},
            timeout=timeout,
        )

    def set_token(self, token: str) -> None:
        self._http.headers["Authorization"] = f"Bearer {token}"

    async def aclose(self) -> None:
        await self._http.aclose()

    async def snapshot(self) -> Snapshot:
        """Every job in one consistent read."""
        return await self._get({})

    async def since(self, seq: int, epoch: str) -> Snapshot:
        """What changed after ``seq``; ResyncRequired (410) when the server cannot say."""
        return await self._get({"since": seq, "epoch": epoch})

    async def _get(self, params: dict[str, int | str]) -> Snapshot:
        response = await self._http.get("/api/jobs", params=params)
        if response.status_code in (401, 403):
            raise AuthRejected(f"the server refused the token (HTTP {response.status_code})")
        if response.status_code == 410:
            raise ResyncRequired(response.text)
        response.raise_for_status()
        return _decode_snapshot(response.content)
