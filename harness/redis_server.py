"""Start and stop a private ``redis-server``, or connect to the user's.

The private server listens on a free loopback port with persistence off
(no RDB snapshots, no AOF) and a throwaway working folder, and is stopped
when the harness exits.
"""

from __future__ import annotations

import atexit
import logging
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.parse

import redis

from harness.errors import HarnessError

log = logging.getLogger(__name__)

_START_TIMEOUT_S = 10.0
_INSTALL_HINT = (
    "install it (Debian/Ubuntu: sudo apt-get install redis-server) "
    "or point the harness at a running server with --redis-url redis://127.0.0.1:6379/0"
)


def free_port(host: str = "127.0.0.1") -> int:
    """Return a TCP port that is free on ``host`` at the time of the call."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


class ManagedRedis:
    """A ``redis-server`` child process owned by the harness."""

    def __init__(self, executable: str | None = None, host: str = "127.0.0.1", port: int = 0):
        self.executable = executable or shutil.which("redis-server")
        if self.executable is None:
            raise HarnessError(f"redis-server not found on PATH; {_INSTALL_HINT}")
        self.host = host
        self.requested_port = port  # 0: a free port, chosen at each start
        self.port = port
        self.process: subprocess.Popen | None = None
        self._folder: tempfile.TemporaryDirectory | None = None

    @property
    def url(self) -> str:
        return f"redis://{self.host}:{self.port}/0"

    def start(self) -> "ManagedRedis":
        """Start the server and wait until it responds to PING."""
        self._folder = tempfile.TemporaryDirectory(prefix="rerank-bench-redis-")
        self.port = self.requested_port or free_port(self.host)
        command = [
            self.executable, "--port", str(self.port), "--bind", self.host,
            "--save", "", "--appendonly", "no", "--dir", self._folder.name,
            "--protected-mode", "yes", "--loglevel", "warning",
        ]
        self.process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        atexit.register(self.stop)
        self._wait_ready()
        log.info("started redis-server on %s (pid %d)", self.url, self.process.pid)
        return self

    def _wait_ready(self) -> None:
        client = redis.Redis(host=self.host, port=self.port, socket_connect_timeout=0.5)
        deadline = time.monotonic() + _START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                output = self.process.stdout.read().decode(errors="replace").strip()
                raise HarnessError(f"redis-server exited at start with status {self.process.returncode}: {output[-300:]}")
            try:
                client.ping()
                return
            except redis.ConnectionError:
                time.sleep(0.05)
        self.stop()
        raise HarnessError(f"redis-server did not respond on {self.url} within {_START_TIMEOUT_S:.0f} s; check its log")

    def stop(self) -> None:
        """Stop the server; safe to call more than once."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
            log.info("stopped redis-server on %s", self.url)
        if self._folder is not None:
            self._folder.cleanup()
            self._folder = None

    def __enter__(self) -> "ManagedRedis":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


PARSERS = ("python", "hiredis")


def parser_class(name: str):
    """Return redis-py's reply parser class: 'python' (pure Python RESP2) or 'hiredis'."""
    from redis._parsers import _HiredisParser, _RESP2Parser

    if name not in PARSERS:
        raise HarnessError(f"invalid Redis reply parser {name!r}; use one of {', '.join(PARSERS)}")
    return _HiredisParser if name == "hiredis" else _RESP2Parser


def connect(url: str, parser: str = "hiredis") -> redis.Redis:
    """Connect to ``url`` with the given reply parser and check that the server responds.

    redis-py picks hiredis when it is installed, and this project depends on
    ``redis[hiredis]``, so the baseline uses it too. The pure-Python parser
    is kept as a choice to measure what hiredis is worth.
    """
    _check_database(url)
    try:
        client = redis.Redis.from_url(
            url, socket_connect_timeout=2.0, socket_timeout=30.0, parser_class=parser_class(parser)
        )
    except ValueError as exc:
        raise HarnessError(f"invalid --redis-url {redacted_url(url)!r}: {exc}; use redis://HOST:PORT/DB") from None
    try:
        client.ping()
    except (redis.ConnectionError, redis.TimeoutError) as exc:
        raise HarnessError(f"Redis at {redacted_url(url)} is unreachable ({exc}); start it or fix --redis-url") from None
    except redis.ResponseError as exc:
        if "DB index is out of range" in str(exc):
            raise HarnessError(
                f"Redis at {redacted_url(url)} has no such database ({exc}); "
                "use a database number the server has, 0-15 by default"
            ) from None
        raise HarnessError(
            f"Redis at {redacted_url(url)} rejected PING ({exc}); check the user name and password in --redis-url"
        ) from None
    return client


def _check_database(url: str) -> None:
    # redis-py reads the database from the URL path and, for a path that is
    # not a number, silently falls back to database 0.
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("redis", "rediss", "unix"):
        raise HarnessError(f"invalid --redis-url {url!r}: unknown scheme; use redis://HOST:PORT/DB")
    database = parts.path.strip("/") if parts.scheme != "unix" else ""
    if database and not database.isdigit():
        raise HarnessError(
            f"invalid database {database!r} in --redis-url; use redis://HOST:PORT/DB with DB a whole number"
        )


def redacted_url(url: str) -> str:
    """Return ``url`` with any password replaced by '***', for logs and results."""
    parts = urllib.parse.urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return urllib.parse.urlunsplit(parts._replace(netloc=netloc))


def server_version(client: redis.Redis) -> str:
    """Return the server's version string."""
    return str(client.info("server").get("redis_version", "unknown"))


def parser_name(client: redis.Redis) -> str:
    """Return the reply parser the client uses: 'hiredis' or 'python'."""
    from redis._parsers import _HiredisParser

    parser = client.connection_pool.connection_kwargs.get("parser_class")
    return "hiredis" if parser is _HiredisParser else "python"

