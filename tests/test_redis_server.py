"""The private redis-server and connections to a user's server."""

from __future__ import annotations

import redis
import pytest

from harness.errors import HarnessError
from harness.redis_server import ManagedRedis, connect, free_port, parser_name


def test_managed_server_on_loopback_without_persistence():
    with ManagedRedis() as server:
        client = redis.Redis.from_url(server.url)
        assert server.url.startswith("redis://127.0.0.1:")
        assert client.ping()
        assert client.config_get("save")["save"] == ""
        assert client.config_get("appendonly")["appendonly"] == "no"
        process = server.process
    assert process.poll() is not None


def test_stop_twice_is_safe():
    server = ManagedRedis().start()
    server.stop()
    server.stop()
    assert server.process.poll() is not None


def test_missing_redis_server_explains_install(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(HarnessError, match="redis-server not found on PATH; install it .*--redis-url"):
        ManagedRedis()


def test_unreachable_url_named():
    url = f"redis://127.0.0.1:{free_port()}/0"
    with pytest.raises(HarnessError, match=f"Redis at {url} is unreachable"):
        connect(url)


def test_invalid_url_named():
    with pytest.raises(HarnessError, match="invalid --redis-url 'http://x'"):
        connect("http://x")


def test_connect_uses_hiredis_by_default(redis_server):
    assert parser_name(connect(redis_server.url)) == "hiredis"
    assert parser_name(connect(redis_server.url, parser="python")) == "python"
