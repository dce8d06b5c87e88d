"""``jobdesk serve``'s limit options: each sets its ServerConfig field, and each is in the
documentation's table of limits."""

from __future__ import annotations

from pathlib import Path

from jobdesk.cli.main import build_parser
from jobdesk.cli.serve_limits import LIMITS, limits_from
from jobdesk.server.config import ServerConfig

DOC = Path(__file__).parents[2] / "docs" / "server.md"


def test_every_limit_option_is_in_the_documented_table() -> None:
    table = DOC.read_text().split("## Limits and defences", 1)[1]
    missing = [limit.option for limit in LIMITS if f"`{limit.option}`" not in table]
    assert missing == []


def test_the_defaults_are_the_server_config_defaults() -> None:
    args = build_parser().parse_args(["serve"])
    defaults = ServerConfig()
    assert limits_from(args) == {limit.field: getattr(defaults, limit.field) for limit in LIMITS}


def test_an_option_sets_its_field() -> None:
    args = build_parser().parse_args(
        ["serve", "--ws-max-queued-bytes", "1048576", "--ws-messages-per-s", "2.5"]
    )
    config = ServerConfig(**limits_from(args))
    assert (config.ws_max_queued_bytes, config.ws_messages_per_s) == (1_048_576, 2.5)
