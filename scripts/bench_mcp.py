"""The measurement of scripts/bench-mcp: CALLS sequential tool calls through the official
Python MCP SDK on one connection, and the same operations as plain HTTP requests (same HTTP
library, one kept-alive connection) for a baseline. A third series posts the same tools/call
requests as bare JSON-RPC (same HTTP library, no SDK), to tell the server's MCP cost from the
SDK's. The series alternate in blocks of 100, so a busy moment of the shared machine falls on
all of them. Each call is timed from the client's side, SDK work (request building, result
and output-schema validation) included. Prints one JSON line; exits 1 if any call fails.

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


# What the SDK sends with each request after the handshake.
JSONRPC_HEADERS = {"Accept": "application/json, text/event-stream", "MCP-Protocol-Version": "2025-11-25"}


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


async def jsonrpc_call(http, n):
    name, arguments = MCP_OPS[n % len(MCP_OPS)]
    request = {"jsonrpc": "2.0", "id": n, "method": "tools/call", "params": {"name": name, "arguments": arguments}}
    started = time.perf_counter()
    response = await http.post(BASE + "/mcp", json=request, headers=JSONRPC_HEADERS)
    result = response.json().get("result", {})
    elapsed = time.perf_counter() - started
    if response.status_code != 200 or result.get("isError", True):
        raise BenchFailed(f"JSON-RPC {name} answered {response.status_code}: {response.text[:200]}")
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


def summary(times):
    """p50 and p99 of the series, and the p50 of each operation of the mix."""
    by_op = {name: percentile(times[i :: len(MCP_OPS)], 0.50) for i, (name, _) in enumerate(MCP_OPS)}
    return {"p50": percentile(times, 0.50), "p99": percentile(times, 0.99), "p50_by_tool": by_op}


def ratio(a, b):
    return {"p50": round(a["p50"] / b["p50"], 2), "p99": round(a["p99"] / b["p99"], 2)}


async def main():
    headers = {"Authorization": f"Bearer {KEY}"}
    times = {"mcp": [], "jsonrpc": [], "http": []}
    async with (
        create_mcp_http_client(headers=headers) as mcp_http,
        httpx2.AsyncClient(headers=headers, timeout=30) as http,
        streamable_http_client(BASE + "/mcp", http_client=mcp_http) as streams,
        ClientSession(streams[0], streams[1]) as session,
    ):
        await session.initialize()
        await session.list_tools()  # the SDK validates results against the listed output schemas
        series = {
            "mcp": lambda n: mcp_call(session, n),
            "jsonrpc": lambda n: jsonrpc_call(http, n),
            "http": lambda n: http_call(http, n),
        }
        for n in range(WARM_UP):
            for call in series.values():
                await call(n)
        # Each series records call i as its i-th sample: summary() reads the operation from i.
        for start in range(0, CALLS, BLOCK):
            for name, call in series.items():
                times[name] += [await call(i) for i in range(start, min(start + BLOCK, CALLS))]
    mcp, jsonrpc, plain = summary(times["mcp"]), summary(times["jsonrpc"]), summary(times["http"])
    print(
        json.dumps(
            {
                "bench": "mcp",
                "calls": CALLS,
                "mix": "todo_stats, list_todos limit 20, create_todo",
                "sdk": f"mcp {version('mcp')}",
                "mcp_ms": mcp,
                "http_ms": plain,
                "ratio": ratio(mcp, plain),
                "jsonrpc_without_sdk_ms": jsonrpc,
                "jsonrpc_ratio": ratio(jsonrpc, plain),
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
