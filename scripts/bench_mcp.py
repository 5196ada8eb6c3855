"""The measurement of scripts/bench-mcp: CALLS sequential tool calls through the official
Python MCP SDK on one connection, and the same operations as plain HTTP requests (same HTTP
library, one kept-alive connection) for a baseline. The two alternate in blocks of 100, so a
busy moment of the shared machine falls on both. Each call is timed from the client's side,
SDK work (request building, result and output-schema validation) included. Prints one JSON
line; exits 1 if any call fails.

usage: bench_mcp.py ACCOUNTS_JSON CALLS      (ACCOUNTS_JSON from scripts/mcp_accounts.py)
"""

import asyncio
import json
import sys
import time
from importlib.metadata import version

import httpx2
from mcp import ClientSession
from mcp.client.streamable_http import streamable_http_client
from mcp.shared._httpx_utils import create_mcp_http_client

ACCOUNTS, CALLS = json.load(open(sys.argv[1])), int(sys.argv[2])
BASE, KEY = ACCOUNTS["base"], ACCOUNTS["clients"]["bench"]["rw"]["key"]
BLOCK = 100
WARM_UP = 30
# The mix, in turn: a count, a page of the list, a write.
MCP_OPS = [("todo_stats", {}), ("list_todos", {"limit": 20}), ("create_todo", {"title": "bench"})]
HTTP_OPS = [
    ("GET", "/api/todos/stats", None),
    ("GET", "/api/todos?limit=20", None),
    ("POST", "/api/todos", {"title": "bench"}),
]


class BenchFailed(Exception):
    pass


async def mcp_call(session, n):
    name, arguments = MCP_OPS[n % len(MCP_OPS)]
    started = time.perf_counter()
    result = await session.call_tool(name, arguments)
    elapsed = time.perf_counter() - started
    if result.is_error or result.structured_content is None:
        raise BenchFailed(f"{name} failed: {result.content}")
    return elapsed


async def http_call(http, n):
    method, path, body = HTTP_OPS[n % len(HTTP_OPS)]
    started = time.perf_counter()
    response = await http.request(method, BASE + path, json=body)
    response.json()
    elapsed = time.perf_counter() - started
    if response.status_code not in (200, 201):
        raise BenchFailed(f"{method} {path} answered {response.status_code}: {response.text[:200]}")
    return elapsed


def percentile(samples, fraction):
    """Nearest rank, in milliseconds."""
    ordered = sorted(samples)
    return round(ordered[max(0, int(len(ordered) * fraction + 0.5) - 1)] * 1000, 3)


async def main():
    headers = {"Authorization": f"Bearer {KEY}"}
    mcp_times, http_times = [], []
    async with (
        create_mcp_http_client(headers=headers) as mcp_http,
        httpx2.AsyncClient(headers=headers, timeout=30) as http,
        streamable_http_client(BASE + "/mcp", http_client=mcp_http) as streams,
        ClientSession(streams[0], streams[1]) as session,
    ):
        await session.initialize()
        await session.list_tools()  # the SDK validates results against the listed output schemas
        for n in range(WARM_UP):
            await mcp_call(session, n)
            await http_call(http, n)
        n = 0
        while n < CALLS:
            block = range(n, min(n + BLOCK, CALLS))
            mcp_times += [await mcp_call(session, i) for i in block]
            http_times += [await http_call(http, i) for i in block]
            n += BLOCK
    mcp = {"p50": percentile(mcp_times, 0.50), "p99": percentile(mcp_times, 0.99)}
    plain = {"p50": percentile(http_times, 0.50), "p99": percentile(http_times, 0.99)}
    print(
        json.dumps(
            {
                "bench": "mcp",
                "calls": CALLS,
                "mix": "todo_stats, list_todos limit 20, create_todo",
                "sdk": f"mcp {version('mcp')}",
                "mcp_ms": mcp,
                "http_ms": plain,
                "ratio": {"p50": round(mcp["p50"] / plain["p50"], 2), "p99": round(mcp["p99"] / plain["p99"], 2)},
            }
        )
    )


try:
    asyncio.run(main())
except Exception as error:
    # The SDK's task groups wrap what is raised inside them: say the first error plainly.
    while isinstance(error, BaseExceptionGroup):
        error = error.exceptions[0]
    sys.exit(f"bench-mcp: {type(error).__name__}: {error}")
