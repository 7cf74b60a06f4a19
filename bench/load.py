"""The benchmark's load generator: a bounded asyncio HTTP/1.1 client, run as its own process.

Reads a JSON object on stdin, ``{"steps": [{"key": "10000 company detail", "port": 8000, "paths":
["/api/v1/...", ...], "concurrency": 1, "requests": 100, "warmup": 10, "max_seconds": 3}, ...]}``, and runs
the steps in order: ``warmup`` requests that are not recorded, then ``requests`` GET requests (cycling through
the step's paths from the first) to 127.0.0.1 with ``concurrency`` clients, stopping early after
``max_seconds`` (the warm-up: after ``warmup_max_seconds``, if given). Steps with the same key add up: ``bench/run.py`` alternates the sizes it compares, a round
of each endpoint at a time, so that a change in the machine's speed meets every size alike.
Writes ``{"key": {"latencies": [seconds, ...], "errors": {"status or error": count}, "seconds": wall}}``
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
    results: dict[str, dict] = {}
    for step in job["steps"]:
        # Warm-up, not recorded: every worker serves the endpoint at least once (imports, connections, caches).
        if step.get("warmup"):
            await drive(
                step["port"],
                step["paths"],
                concurrency=max(1, step["warmup"] // 2),
                requests=step["warmup"],
                max_seconds=step.get("warmup_max_seconds", step["max_seconds"]),
            )
        ran = await drive(
            step["port"],
            step["paths"],
            concurrency=step["concurrency"],
            requests=step["requests"],
            max_seconds=step["max_seconds"],
        )
        result = results.setdefault(step["key"], {"latencies": [], "errors": {}, "seconds": 0.0})
        result["latencies"] += ran["latencies"]
        result["errors"] = dict(Counter(result["errors"]) + Counter(ran["errors"]))
        result["seconds"] += ran["seconds"]
    json.dump(results, sys.stdout)


if __name__ == "__main__":
    asyncio.run(main())
