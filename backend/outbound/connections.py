"""Kept-alive HTTP/1.1 connections: h11 over asyncio streams, one request at a time each.

Every request the runtime sends itself is a small POST (a webhook delivery, an intent offered to a
provider, a sandbox provider's callback), so they skip the general-purpose clients: on this
machine httpx's AsyncClient managed 380 requests/s at 16 connections (its pool polls every pooled
socket whenever a request starts or ends), httpcore's connections held directly 1,500/s, and h11
(the protocol engine under both) on asyncio streams 2,900/s. Callers already bound their requests
in flight, so a `Connections` only keeps idle ones: a request takes an idle connection to the same
address and TLS name, or opens one, and gives it back only when the answer was read to its end
and both sides may keep the connection.
"""

from __future__ import annotations

import asyncio
import functools
import ssl
import time
from dataclasses import dataclass

import h11
import httpx

DEFAULT_PORTS = {"http": 80, "https": 443}
KEEPALIVE_SECONDS = 4.0  # below the 5 s idle timeout common servers (uvicorn, nginx's default 75 s) use
READ_BYTES = 65536

Key = tuple[str, str, int, str]


@dataclass(frozen=True)
class Answer:
    status: int
    headers: dict[str, str]
    excerpt: bytes


@dataclass(frozen=True)
class UrlParts:
    """What a request to a URL needs: where to connect, the target and the `Host` header."""

    scheme: str
    host: str
    port: int
    target: str  # path and query
    host_header: str


@functools.lru_cache(maxsize=4096)
def url_parts(url: str) -> UrlParts:
    """`url` parsed once (httpx's parser), since every request to it needs the same parts."""
    parsed = httpx.URL(url)
    return UrlParts(parsed.scheme, parsed.host, parsed.port or DEFAULT_PORTS[parsed.scheme], parsed.raw_path.decode("ascii"), parsed.netloc.decode("ascii"))


# What a failed exchange raises: refused, unresolvable, reset, closed early, TLS, a malformed answer
# (a timeout, as callers impose one, is an OSError too).
FAILURES = (OSError, h11.ProtocolError)


class ClosedEarly(ConnectionError):
    """The server closed the connection before its answer was complete."""


class NotAnswered(ClosedEarly):
    """The connection broke before any of the answer arrived: on a kept connection, the server
    had most likely closed it as idle while the request was on its way."""


class _Connection:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter):
        self.reader = reader
        self.writer = writer
        self.protocol = h11.Connection(h11.CLIENT)
        self.idle_since = 0.0

    def usable(self) -> bool:
        """Still open on both sides and not idle for too long."""
        fresh = time.monotonic() - self.idle_since < KEEPALIVE_SECONDS
        return fresh and not self.reader.at_eof() and not self.writer.is_closing()

    async def exchange(self, target: str, headers: list[tuple[str, str]], body: bytes, excerpt_bytes: int) -> tuple[Answer, bool]:
        """Send the request and read the answer (at most `excerpt_bytes` of its body); whether
        the connection may carry another request."""
        send = self.protocol.send
        response, excerpt = None, b""
        try:
            self.writer.write(send(h11.Request(method="POST", target=target, headers=headers)) + send(h11.Data(data=body)) + send(h11.EndOfMessage()))
            await self.writer.drain()
            while True:
                event = self.protocol.next_event()
                if event is h11.NEED_DATA:
                    data = await self.reader.read(READ_BYTES)
                    if not data and response is None:
                        raise NotAnswered("the server closed the connection before answering")
                    self.protocol.receive_data(data)
                elif isinstance(event, h11.Response):
                    response = event
                elif isinstance(event, h11.Data):
                    excerpt += event.data
                    if len(excerpt) >= excerpt_bytes:
                        return self._answer(response, excerpt[:excerpt_bytes]), False  # the rest is not read
                elif isinstance(event, h11.EndOfMessage):
                    reusable = self.protocol.our_state is h11.DONE and self.protocol.their_state is h11.DONE
                    if reusable:
                        self.protocol.start_next_cycle()
                    return self._answer(response, excerpt), reusable
                elif isinstance(event, h11.ConnectionClosed):
                    raise ClosedEarly("the server closed the connection before its answer was complete")
        except (ConnectionResetError, BrokenPipeError) as exc:
            if response is None:
                raise NotAnswered(f"the connection broke before the answer: {exc}") from exc
            raise

    @staticmethod
    def _answer(response: h11.Response, excerpt: bytes) -> Answer:
        return Answer(response.status_code, {name.decode("latin-1"): value.decode("latin-1") for name, value in response.headers}, excerpt)

    def close(self) -> None:
        self.writer.close()


class Connections:
    def __init__(self, ssl_context: ssl.SSLContext, keep: int):
        self._ssl_context = ssl_context
        self._keep = keep
        self._idle: list[tuple[Key, _Connection]] = []

    async def post(self, scheme: str, address: str, port: int, target: str, headers: dict[str, str], body: bytes, sni_hostname: str, excerpt_bytes: int) -> Answer:
        """POST `body` to `address` (already checked; TLS verifies `sni_hostname`), reading at
        most `excerpt_bytes` of the answer. Failures propagate (`FAILURES`) and close the
        connection. A kept connection that breaks before any answer is replaced by a fresh one
        (the server most likely closed it as idle; a request that did reach a server is safe to
        send again, as each carries an idempotency key or a webhook-id)."""
        key = (scheme, address, port, sni_hostname)
        kept = self._take(key)
        connection = kept or await self._open(key)
        try:
            answer, reusable = await connection.exchange(target, [*headers.items(), ("content-length", str(len(body)))], body, excerpt_bytes)
        except NotAnswered:
            connection.close()
            if kept is None:
                raise
            return await self.post(scheme, address, port, target, headers, body, sni_hostname, excerpt_bytes)
        except BaseException:
            connection.close()
            raise
        if reusable:
            self._give_back(key, connection)
        else:
            connection.close()
        return answer

    async def post_url(self, url: str, headers: dict[str, str], body: bytes, excerpt_bytes: int) -> Answer:
        """POST `body` to `url` as it resolves now (for destinations the runtime itself was
        configured with; webhook endpoints go through their address check and `post`)."""
        parts = url_parts(url)
        sent = {"host": parts.host_header, **headers}
        return await self.post(parts.scheme, parts.host, parts.port, parts.target, sent, body, parts.host, excerpt_bytes)

    async def _open(self, key: Key) -> _Connection:
        scheme, address, port, sni_hostname = key
        tls = {"ssl": self._ssl_context, "server_hostname": sni_hostname} if scheme == "https" else {}
        reader, writer = await asyncio.open_connection(address, port, limit=READ_BYTES, **tls)
        return _Connection(reader, writer)

    def _take(self, key: Key) -> _Connection | None:
        """An idle connection to `key` still worth using (the others to it are closed)."""
        while True:
            index = next((i for i, (k, _) in enumerate(self._idle) if k == key), None)
            if index is None:
                return None
            connection = self._idle.pop(index)[1]
            if connection.usable():
                return connection
            connection.close()

    def _give_back(self, key: Key, connection: _Connection) -> None:
        """Keep a connection for the next attempt; the oldest idle one makes room."""
        connection.idle_since = time.monotonic()
        self._idle.append((key, connection))
        if len(self._idle) > self._keep:
            self._idle.pop(0)[1].close()

    def close(self) -> None:
        idle, self._idle = self._idle, []
        for _, connection in idle:
            connection.close()
