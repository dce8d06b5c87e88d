"""A revoked token stops working: REST refuses it and its open sockets are closed; a
socket whose later ``auth`` fails is closed too; token names are unique."""

from __future__ import annotations

import httpx
import pytest

from jobdesk.protocol import Auth, AuthFailed, JobUpdate, SubscribeJobs
from jobdesk.server.token_store import DuplicateName
from jobdesk.server.tokens import create_token, list_tokens, revoke_token
from tests.conftest import RunningServer
from tests.polling import wait_for
from tests.server.wsclient import WsClient


def _answers(server: RunningServer, token: str) -> int:
    headers = {"Authorization": f"Bearer {token}"}
    return httpx.get(f"{server.url}/api/jobs", headers=headers).status_code


def test_rest_refuses_a_revoked_token(server: RunningServer) -> None:
    token = create_token(server.db_path, "viewer", "screen-3")
    assert _answers(server, token) == 200  # now cached by the server
    (revoked,) = revoke_token(server.db_path, "screen-3")
    assert revoked.name == "screen-3"
    wait_for(lambda: _answers(server, token) == 401)


def test_a_revoked_tokens_socket_is_closed_with_1008(
    server: RunningServer, worker: httpx.Client
) -> None:
    token = create_token(server.db_path, "viewer", "wall-screen")
    with WsClient(server.ws_url) as client:
        client.login(token)
        client.send(SubscribeJobs())
        worker.post("/api/admin/jobs/start", json={})
        client.recv_until(JobUpdate)
        revoke_token(server.db_path, "wall-screen")
        assert client.close_code() == 1008


def test_revoking_by_id_leaves_the_other_tokens_alone(server: RunningServer) -> None:
    records = {r.name: r for r in list_tokens(server.db_path)}
    assert revoke_token(server.db_path, records["viewer-1"].id) == [records["viewer-1"]]
    wait_for(lambda: _answers(server, server.tokens["viewer"]) == 401)
    assert _answers(server, server.tokens["operator"]) == 200
    assert revoke_token(server.db_path, "nobody") == []


def test_a_failed_auth_on_an_authenticated_socket_closes_it(server: RunningServer) -> None:
    with WsClient(server.ws_url) as client:
        client.login(server.tokens["viewer"])
        client.send(Auth(token="jd_not-a-token"))
        assert isinstance(client.recv_until(AuthFailed), AuthFailed)
        assert client.close_code() == 1008


def test_a_second_token_of_the_same_name_is_refused(server: RunningServer) -> None:
    with pytest.raises(DuplicateName, match="worker-1"):
        create_token(server.db_path, "worker", "worker-1")
    revoke_token(server.db_path, "worker-1")
    assert create_token(server.db_path, "worker", "worker-1").startswith("jd_")
