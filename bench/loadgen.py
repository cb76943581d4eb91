"""A small asyncio HTTP/1.1 load generator: many keep-alive connections posting bodies as fast as answered.

A general-purpose client spends more time on its own bookkeeping than the server on a request; this one
writes each request in one piece and reads the answer by its Content-Length.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Iterator, Sequence
from urllib.parse import urlencode, urlsplit


async def _connection(host: str, port: int, requests: Iterator[bytes], statuses: Counter[int]) -> None:
    reader, writer = await asyncio.open_connection(host, port)
    try:
        for request in requests:
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            status = int(lines[0].split(" ", 2)[1])
            length = 0
            for line in lines[1:]:
                name, _, value = line.partition(":")
                if name.strip().lower() == "content-length":
                    length = int(value)
            await reader.readexactly(length)
            statuses[status] += 1
    finally:
        writer.close()


def post_all(  # noqa: PLR0913 - the request and how to send it, keyword-only past the bodies
    base_url: str,
    path: str,
    params: dict[str, str],
    bodies: Sequence[bytes],
    *,
    connections: int = 64,
    headers: dict[str, str] | None = None,
) -> Counter[int]:
    """POST every body to `path` over `connections` keep-alive connections; how many answers per status."""
    parts = urlsplit(base_url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    target = f"{path}?{urlencode(params)}"
    extra = "".join(f"{name}: {value}\r\n" for name, value in (headers or {}).items())

    def requests() -> Iterator[bytes]:
        for body in bodies:
            yield (
                f"POST {target} HTTP/1.1\r\nHost: {host}:{port}\r\nContent-Type: application/json\r\n"
                f"Content-Length: {len(body)}\r\n{extra}\r\n"
            ).encode() + body

    shared = requests()
    statuses: Counter[int] = Counter()

    async def run() -> None:
        await asyncio.gather(*(_connection(host, port, shared, statuses) for _ in range(connections)))

    asyncio.run(run())
    return statuses
