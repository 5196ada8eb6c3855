"""The official Python MCP SDK (PyPI `mcp`) against NeoForge's /mcp, for scripts/mcp-clients.

Lists the tools, then walks one todo through every tool with a read-write API key, checking
each structured result and that the plain HTTP API (`GET /api/todos`, same key) sees the same
thing; then the read-only key (reads work, writes are tool errors naming `todos:write`), a
stranger's key (another user's todo is as unknown as a missing one), the session's own
access token, and last the read-write key revoked over HTTP, after which the next call on the
open session fails. Prints one summary line; exits 1 at the first failed check, saying which.

MODE is how the client settles the protocol revision: `handshake` is the SDK's ClientSession
with the initialize handshake (2025-11-25, as 1.x SDKs and most hosts speak it); `discover`
is the SDK's default `Client`, which probes `server/discover` first and speaks the stateless
2026-07-28 revision when the server offers it. The account used is `python-MODE`.

usage: mcp_client.py ACCOUNTS_JSON BACKEND MODE      (ACCOUNTS_JSON from scripts/mcp_accounts.py)
"""

import asyncio
import json
import sys
import uuid
from contextlib import asynccontextmanager
from importlib.metadata import version

import httpx2
from mcp import Client, ClientSession, MCPError
from mcp.client.streamable_http import streamable_http_client
from mcp.shared._httpx_utils import create_mcp_http_client

ACCOUNTS, BACKEND, MODE = json.load(open(sys.argv[1])), sys.argv[2], sys.argv[3]
LABEL = f"python-{MODE}"
ME = ACCOUNTS["clients"][LABEL]
BASE = ACCOUNTS["base"]
URL = BASE + "/mcp"
TOOLS = {"list_todos", "get_todo", "create_todo", "update_todo", "complete_todo", "delete_todo", "todo_stats"}
TODO_FIELDS = {"id", "title", "completed", "created_at", "updated_at"}


class CheckFailed(Exception):
    pass


class Checks:
    def __init__(self):
        self.passed = 0

    def __call__(self, condition, what):
        if not condition:
            raise CheckFailed(what)
        self.passed += 1


check = Checks()


# The HTTP status of every /mcp response: the SDK turns a refused request into an error
# without its status, and the contract says which status it must be.
mcp_statuses = []
protocols = set()


async def record_status(response):
    mcp_statuses.append(response.status_code)


@asynccontextmanager
async def mcp_session(key):
    """A connection with this bearer credential; both kinds have list_tools and call_tool."""
    async with create_mcp_http_client(headers={"Authorization": f"Bearer {key}"}) as http:
        http.event_hooks["response"].append(record_status)
        if MODE == "handshake":
            async with (
                streamable_http_client(URL, http_client=http) as streams,
                ClientSession(streams[0], streams[1]) as session,
            ):
                protocols.add((await session.initialize()).protocol_version)
                yield session
        else:
            async with Client(streamable_http_client(URL, http_client=http)) as client:
                protocols.add(client.protocol_version)
                yield client


def text_of(result):
    return " ".join(getattr(block, "text", "") for block in result.content)


async def ok(session, tool, arguments=None):
    """Call a tool that must succeed; its structured content."""
    result = await session.call_tool(tool, arguments or {})
    check(not result.is_error, f"{tool}: a tool error: {text_of(result)}")
    check(isinstance(result.structured_content, dict), f"{tool}: no structured content: {result}")
    return result.structured_content


async def tool_error(session, tool, arguments, needle=None):
    """Call a tool that must fail as a tool error (whose text contains needle); its text."""
    result = await session.call_tool(tool, arguments)
    check(result.is_error, f"{tool}: expected a tool error, got {result.structured_content}")
    if needle is not None:
        check(
            needle.lower() in text_of(result).lower(),
            f"{tool}: the error does not name {needle!r}: {text_of(result)!r}",
        )
    return text_of(result)


async def http_todos(http, key):
    response = await http.get(f"{BASE}/api/todos", params={"limit": 100}, headers={"Authorization": f"Bearer {key}"})
    check(response.status_code == 200, f"GET /api/todos: {response.status_code} {response.text[:200]}")
    return {todo["id"]: todo for todo in response.json()["items"]}


def is_todo(value, title, completed):
    return (
        isinstance(value, dict)
        and TODO_FIELDS <= value.keys()
        and value["title"] == title
        and value["completed"] is completed
    )


async def run(http):
    rw, ro = ME["rw"]["key"], ME["ro"]["key"]
    title = f"python sdk {uuid.uuid4().hex[:8]}"
    async with mcp_session(rw) as session:
        tools = {tool.name: tool for tool in (await session.list_tools()).tools}
        check(tools.keys() == TOOLS, f"tools/list: {sorted(tools)} instead of {sorted(TOOLS)}")
        for tool in tools.values():
            check(tool.input_schema.get("type") == "object", f"{tool.name}: input schema {tool.input_schema}")
            check(
                (tool.output_schema or {}).get("type") == "object", f"{tool.name}: output schema {tool.output_schema}"
            )

        # What a todo that does not exist looks like: another user's must look the same.
        missing = await tool_error(session, "get_todo", {"id": str(uuid.uuid4())})
        check(missing != "", "get_todo of an unknown id: a tool error without text")

        todo = await ok(session, "create_todo", {"title": title})
        check(is_todo(todo, title, False), f"create_todo: {todo}")
        todo_id = todo["id"]
        over_http = await http_todos(http, rw)
        check(over_http.get(todo_id, {}).get("title") == title, "GET /api/todos does not show the created todo")

        listed = await ok(session, "list_todos", {"status_filter": "active", "limit": 10, "offset": 0})
        check({"items", "total", "limit", "offset"} <= listed.keys(), f"list_todos: {listed}")
        check([t["id"] for t in listed["items"]] == [todo_id] and listed["total"] == 1, f"list_todos: {listed}")
        check(listed["limit"] == 10 and listed["offset"] == 0, f"list_todos paging: {listed}")
        check(is_todo(await ok(session, "get_todo", {"id": todo_id}), title, False), "get_todo")

        title += " (renamed)"
        check(is_todo(await ok(session, "update_todo", {"id": todo_id, "title": title}), title, False), "update_todo")
        check(is_todo(await ok(session, "complete_todo", {"id": todo_id}), title, True), "complete_todo")
        over_http = await http_todos(http, rw)
        check(over_http.get(todo_id, {}).get("completed") is True, "GET /api/todos does not show the todo completed")
        completed = await ok(session, "list_todos", {"status_filter": "completed"})
        check([t["id"] for t in completed["items"]] == [todo_id], f"list_todos completed: {completed}")
        stats = await ok(session, "todo_stats")
        check(stats == {"total": 1, "active": 0, "completed": 1}, f"todo_stats: {stats}")

        async with mcp_session(ro) as read_only:
            listed = await ok(read_only, "list_todos")
            check([t["id"] for t in listed["items"]] == [todo_id], f"list_todos (read-only key): {listed}")
            await tool_error(read_only, "create_todo", {"title": "not allowed"}, "todos:write")
            await tool_error(read_only, "delete_todo", {"id": todo_id}, "todos:write")
        check(len(await http_todos(http, rw)) == 1, "the read-only key changed something")

        async with mcp_session(ACCOUNTS["stranger"]["key"]) as stranger:
            text = await tool_error(stranger, "get_todo", {"id": todo_id})
            check(text == missing, f"get_todo of another user's todo: {text!r}, unlike an unknown id's {missing!r}")
        async with mcp_session(ME["token"]) as signed_in:
            check(await ok(signed_in, "todo_stats") == stats, "todo_stats with the session's access token")

        deleted = await ok(session, "delete_todo", {"id": todo_id})
        check(deleted == {"id": todo_id, "deleted": True}, f"delete_todo: {deleted}")
        check(todo_id not in await http_todos(http, rw), "GET /api/todos still shows the deleted todo")
        check(await tool_error(session, "get_todo", {"id": todo_id}) == missing, "get_todo of the deleted todo")

        response = await http.delete(
            f"{BASE}/api/users/me/api-keys/{ME['rw']['id']}", headers={"Authorization": f"Bearer {ME['token']}"}
        )
        check(response.status_code == 204, f"revoking the key: {response.status_code} {response.text[:200]}")
        try:
            result = await session.call_tool("todo_stats", {})
            check(False, f"todo_stats with the revoked key answered {result}")
        except MCPError as err:
            check(mcp_statuses[-1] == 401, f"the revoked key: HTTP {mcp_statuses[-1]} instead of 401 ({err})")
            refusal = f"HTTP 401, {err}"
        response = await http.get(f"{BASE}/api/todos", headers={"Authorization": f"Bearer {rw}"})
        check(response.status_code == 401, f"GET /api/todos with the revoked key: {response.status_code}")
    return len(tools), refusal


async def main():
    async with httpx2.AsyncClient(timeout=30) as http:
        return await run(http)


def leaf(error):
    """The first exception inside the groups the SDK's task groups wrap errors in."""
    while isinstance(error, BaseExceptionGroup):
        error = error.exceptions[0]
    return error


try:
    tools, refusal = asyncio.run(main())
except Exception as error:
    failure = leaf(error)
    what = str(failure) if isinstance(failure, CheckFailed) else f"{type(failure).__name__}: {failure}"
    print(f"mcp-clients {LABEL}/{BACKEND}: FAILED after {check.passed} checks passed: {what}")
    sys.exit(1)
sdk = f"mcp {version('mcp')}, protocol {', '.join(sorted(protocols))}"
print(
    f"mcp-clients {LABEL}/{BACKEND}: {check.passed} checks passed ({sdk}): {tools} tools; "
    f"a todo created, listed, completed, counted, deleted; read-only key refused todos:write; "
    f"stranger's key found nothing; revoked key refused ({refusal})"
)
