"""A stand-in WhatsApp gateway for the benchmarks: asyncio HTTP/1.1 on 127.0.0.1, keep-alive.

    python bench/gateway.py --token T          # prints "PORT <n>" once it listens

Every POST (other than the control paths) is answered `200 {"id": "gw-<n>"}` at once and
recorded with its arrival time (time.time()), its Authorization header checked against
--token. Parsing waits until the records are asked for, so each message costs the server
a few tens of microseconds of CPU:

- `GET /_records?since=<n>`: JSON {"count", "bad_auth", "records": [[arrival, id, phone,
  digest of the message], ...]} of the records from index n on (digest: see `digest`).
- `GET /_count`: JSON {"count"}.

It stops on SIGTERM or SIGINT. Only loopback; bodies larger than 1 MiB are refused.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import signal
import time

MAX_BODY = 1 << 20


def digest(text: str) -> str:
    """What the benchmark compares a sent row's body with."""
    return hashlib.sha1(text.encode()).hexdigest()[:20]  # noqa: S324 - not for security


class Gateway:
    def __init__(self, token: str):
        self.auth = f"Bearer {token}".encode()
        self.records: list[tuple[float, bytes]] = []
        self.bad_auth = 0

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            for _ in range(10_000_000):  # bounded: requests per connection
                try:
                    head = await reader.readuntil(b"\r\n\r\n")
                except (asyncio.IncompleteReadError, asyncio.LimitOverrunError):
                    return
                arrival = time.time()
                lines = head.split(b"\r\n")
                method, _, rest = lines[0].partition(b" ")
                path = rest.partition(b" ")[0].decode("latin-1")
                length, auth, close = 0, b"", False
                for line in lines[1:]:
                    name, _, value = line.partition(b":")
                    name = name.strip().lower()
                    if name == b"content-length":
                        length = int(value.strip())
                    elif name == b"authorization":
                        auth = value.strip()
                    elif name == b"connection":
                        close = value.strip().lower() == b"close"
                if length > MAX_BODY:
                    self._answer(writer, 413, b'{"error": "too large"}', close=True)
                    return
                body = await reader.readexactly(length) if length else b""
                if method == b"GET" and path.startswith("/_records"):
                    since = int(path.partition("since=")[2] or 0)
                    answer = json.dumps(self.dump(since)).encode()
                    self._answer(writer, 200, answer, close)
                elif method == b"GET" and path.startswith("/_count"):
                    self._answer(writer, 200, json.dumps({"count": len(self.records)}).encode(),
                                 close)
                elif method == b"POST":
                    if auth != self.auth:
                        self.bad_auth += 1
                    self.records.append((arrival, body))
                    self._answer(writer, 200, b'{"id": "gw-%d"}' % (len(self.records) - 1),
                                 close)
                else:
                    self._answer(writer, 404, b'{"error": "not found"}', close)
                await writer.drain()
                if close:
                    return
        except (ConnectionError, asyncio.IncompleteReadError):
            return
        finally:
            writer.close()

    @staticmethod
    def _answer(writer: asyncio.StreamWriter, status: int, body: bytes, close: bool) -> None:
        reason = {200: b"OK", 404: b"Not Found", 413: b"Payload Too Large"}[status]
        writer.write(b"HTTP/1.1 %d %s\r\nContent-Type: application/json\r\nContent-Length: "
                     b"%d\r\n%s\r\n%s" % (status, reason, len(body),
                                          b"Connection: close\r\n" if close else b"", body))

    def dump(self, since: int) -> dict:
        rows = []
        for n in range(since, len(self.records)):
            arrival, body = self.records[n]
            try:
                payload = json.loads(body)
                phone, message = str(payload.get("phone")), str(payload.get("message"))
            except (ValueError, AttributeError):
                phone, message = "?", body.decode("utf-8", "replace")
            rows.append([arrival, f"gw-{n}", phone, digest(message)])
        return {"count": len(self.records), "bad_auth": self.bad_auth, "records": rows}


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, default=0, help="0: a free port")
    parser.add_argument("--token", default="bench-gateway-token")
    args = parser.parse_args()
    gateway = Gateway(args.token)
    server = await asyncio.start_server(gateway.serve, "127.0.0.1", args.port, backlog=1024,
                                        limit=MAX_BODY + 65536)
    print(f"PORT {server.sockets[0].getsockname()[1]}", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    async with server:
        await stop.wait()


if __name__ == "__main__":
    asyncio.run(main())
