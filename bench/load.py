"""The benchmark's load generator: a bounded asyncio HTTP/1.1 client, run as its own process.

Reads a JSON object on stdin, ``{"port": 8000, "concurrency": 1, "requests": 200, "warmup": 10,
"max_seconds": 60, "endpoints": {"name": ["/api/v1/...", ...]}}``, and for each endpoint in turn sends
``warmup`` requests that are not recorded, then ``requests`` GET requests (cycling through its paths) to
127.0.0.1 with ``concurrency`` clients, stopping early after ``max_seconds``. An endpoint may also be given
as ``{"paths": [...], "requests": 20, "warmup": 5}``, overriding the job's ``requests`` and ``warmup`` for it
(slow endpoints).
Writes ``{"name": {"latencies": [seconds, ...], "errors": {"status or error": count}, "seconds": wall}}``
to stdout. Only the standard library; traffic only to 127.0.0.1.
"""

import asyncio
import itertools
import json
import sys
import time
from collections import Counter

HOST = "127.0.0.1"
REQUEST_TIMEOUT = 30.0


async def fetch(port: int, path: str) -> int:
    """One GET on a fresh connection; returns the status code once the whole response is read."""
    reader, writer = await asyncio.open_connection(HOST, port)
    try:
        writer.write(
            f"GET {path} HTTP/1.1\r\nHost: {HOST}\r\nAccept: application/json\r\nConnection: close\r\n\r\n".encode()
        )
        await writer.drain()
        response = await reader.read()  # to EOF: the server closes the connection
    finally:
        writer.close()
    status_line = response.split(b"\r\n", 1)[0].split()
    return int(status_line[1]) if len(status_line) > 1 else 0


async def drive(port: int, paths: list[str], *, concurrency: int, requests: int, max_seconds: float) -> dict:
    latencies: list[float] = []
    errors: Counter = Counter()
    queue = itertools.islice(itertools.cycle(paths), requests)
    started = time.perf_counter()
    deadline = started + max_seconds

    async def client() -> None:
        for path in queue:  # shared iterator: each path is taken by one client
            if time.perf_counter() > deadline:
                return
            sent = time.perf_counter()
            try:
                status = await asyncio.wait_for(fetch(port, path), REQUEST_TIMEOUT)
            except (OSError, TimeoutError) as error:
                errors[type(error).__name__] += 1
                continue
            if status == 200:
                latencies.append(time.perf_counter() - sent)
            else:
                errors[str(status)] += 1

    await asyncio.gather(*(client() for _ in range(concurrency)))
    return {"latencies": latencies, "errors": dict(errors), "seconds": time.perf_counter() - started}


async def main() -> None:
    job = json.load(sys.stdin)
    results = {}
    for name, endpoint in job["endpoints"].items():
        if not isinstance(endpoint, dict):
            endpoint = {"paths": endpoint}
        paths = endpoint["paths"]
        # Warm-up, not recorded: every worker serves the endpoint at least once (imports, connections, caches).
        warmup = endpoint.get("warmup", job.get("warmup", 0))
        if warmup:
            await drive(
                job["port"], paths, concurrency=max(1, warmup // 2), requests=warmup, max_seconds=job["max_seconds"]
            )
        results[name] = await drive(
            job["port"],
            paths,
            concurrency=job["concurrency"],
            requests=endpoint.get("requests", job["requests"]),
            max_seconds=job["max_seconds"],
        )
    json.dump(results, sys.stdout)


if __name__ == "__main__":
    asyncio.run(main())
