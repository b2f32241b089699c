"""Kept-alive HTTP/1.1 connections: what is sent, when a connection is kept, and failures."""

from __future__ import annotations

import asyncio
import ssl

import h11
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from backend.outbound.connections import Connections, url_parts
from tests.conftest import serving

seen: list[dict] = []


async def echo(request: Request) -> Response:
    """Answers what it was sent and on which client socket (a kept connection keeps its port)."""
    seen.append({"port": request.client.port, "host": request.headers["host"], "target": request.url.path + ("?" + request.url.query if request.url.query else ""), "body": (await request.body()).decode()})
    return JSONResponse({"ok": True})


async def large(request: Request) -> Response:
    return Response(b"x" * 10_000)


async def slow(request: Request) -> Response:
    await asyncio.sleep(2)
    return JSONResponse({"late": True})


app = Starlette(routes=[Route("/echo", echo, methods=["POST"]), Route("/large", large, methods=["POST"]), Route("/slow", slow, methods=["POST"])])


@pytest.fixture(scope="module")
def url():
    with serving(app) as base:
        yield base


@pytest.fixture
async def connections():
    pool = Connections(ssl.create_default_context(), keep=4)
    yield pool
    pool.close()


async def test_post_url_sends_the_host_target_and_body_and_keeps_the_connection(url, connections):
    seen.clear()
    first = await connections.post_url(f"{url}/echo?a=1", {"content-type": "text/plain"}, b"one", 1024)
    second = await connections.post_url(f"{url}/echo", {"content-type": "text/plain"}, b"two", 1024)
    assert (first.status, first.excerpt, first.headers["content-type"], second.status) == (200, b'{"ok":true}', "application/json", 200)
    host = url.removeprefix("http://")
    assert [(s["host"], s["target"], s["body"]) for s in seen] == [(host, "/echo?a=1", "one"), (host, "/echo", "two")]
    assert seen[0]["port"] == seen[1]["port"]  # the second request rode the first one's connection


async def test_an_answer_longer_than_the_excerpt_is_cut_and_its_connection_not_kept(url, connections):
    seen.clear()
    answer = await connections.post_url(f"{url}/large", {}, b"", 100)
    assert (answer.status, answer.excerpt) == (200, b"x" * 100)
    await connections.post_url(f"{url}/echo", {}, b"after", 1024)
    await connections.post_url(f"{url}/echo", {}, b"again", 1024)
    assert seen[0]["port"] == seen[1]["port"]  # a new connection, kept from then on


async def test_a_request_cut_off_by_a_timeout_closes_its_connection(url, connections):
    seen.clear()
    with pytest.raises(TimeoutError):
        async with asyncio.timeout(0.2):
            await connections.post_url(f"{url}/slow", {}, b"", 1024)
    answer = await connections.post_url(f"{url}/echo", {}, b"next", 1024)
    assert answer.status == 200 and [s["body"] for s in seen] == ["next"]  # not the timed-out one's late answer


async def test_nothing_listening_is_an_os_error():
    pool = Connections(ssl.create_default_context(), keep=1)
    with pytest.raises(ConnectionRefusedError):
        await pool.post_url("http://127.0.0.1:9/x", {}, b"", 10)


async def test_a_server_that_hangs_up_without_answering_is_closed_early():
    async def hang_up(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read(1024)
        writer.close()

    server = await asyncio.start_server(hang_up, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    pool = Connections(ssl.create_default_context(), keep=1)
    try:
        with pytest.raises((ConnectionError, h11.ProtocolError)):
            await pool.post_url(f"http://127.0.0.1:{port}/x", {}, b"hello", 10)
    finally:
        server.close()
        await server.wait_closed()


def test_url_parts_fill_in_the_default_port_and_keep_the_query():
    parts = url_parts("https://pay.example.com/v1/payments?x=1")
    assert (parts.scheme, parts.host, parts.port, parts.target, parts.host_header) == ("https", "pay.example.com", 443, "/v1/payments?x=1", "pay.example.com")
    assert url_parts("http://127.0.0.1:8080/").port == 8080


async def test_a_kept_connection_the_server_closed_unanswered_is_replaced_by_a_fresh_one():
    """The server answers the first request on each connection and drops the connection, without
    a word, when a second one arrives on it (as a server closing idle connections does)."""
    answered: list[bytes] = []

    async def one_answer_each(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        protocol, body = h11.Connection(h11.SERVER), b""
        while not isinstance(event := protocol.next_event(), h11.EndOfMessage):
            if event is h11.NEED_DATA:
                protocol.receive_data(await reader.read(65536))
            elif isinstance(event, h11.Data):
                body += event.data
        answered.append(body)
        writer.write(protocol.send(h11.Response(status_code=200, headers=[("content-length", "2")])) + protocol.send(h11.Data(data=b"ok")) + protocol.send(h11.EndOfMessage()))
        await writer.drain()
        await reader.read(65536)  # the next request on this connection ...
        writer.close()  # ... is dropped unanswered

    server = await asyncio.start_server(one_answer_each, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    pool = Connections(ssl.create_default_context(), keep=2)
    try:
        first = await pool.post_url(f"http://127.0.0.1:{port}/x", {}, b"first", 10)
        second = await pool.post_url(f"http://127.0.0.1:{port}/x", {}, b"second", 10)
    finally:
        pool.close()
        server.close()
        await server.wait_closed()
    assert (first.status, second.status) == (200, 200)
    assert answered == [b"first", b"second"]
