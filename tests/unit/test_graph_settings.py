"""Graph settings fail fast with the variable's name."""

from __future__ import annotations

import pytest

from bot.settings import ConfigError, load_settings


def test_sync_time_is_checked() -> None:
    with pytest.raises(ConfigError, match="SENBOT_GRAPH_SYNC_TIME"):
        load_settings(graph_sync_time="25:00")
    assert load_settings(graph_sync_time="03:15").graph_sync_at == (3, 15)


def test_graph_base_url_must_be_https_off_loopback() -> None:
    with pytest.raises(ConfigError, match="SENBOT_GRAPH_BASE_URL"):
        load_settings(graph_base_url="http://graph.example/v1.0")
    assert load_settings(graph_base_url="http://127.0.0.1:9999/v1.0")


def test_nightly_sync_needs_an_app_id() -> None:
    with pytest.raises(ConfigError, match="SENBOT_GRAPH_SYNC"):
        load_settings(graph_sync=True)
