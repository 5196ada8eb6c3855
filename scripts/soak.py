"""The load of scripts/soak: 256 connections mixing reads, writes, sign-ins and event-stream
subscribers against one server for a bounded time. Prints one JSON line of counts.

usage: soak.py BASE_URL SECONDS USERS_JSON
USERS_JSON: [{"email", "password", "token"}, ...], users signed up beforehand.
"""

import asyncio
import collections
import json
import random
import sys
import time

import aiohttp

BASE, SECONDS, USERS = sys.argv[1], float(sys.argv[2]), json.load(open(sys.argv[3]))
CONNECTIONS = 256
SUBSCRIBERS = 32  # of the connections, event streams held open for the whole run

statuses = collections.Counter()  # "operation status" -> count
errors = collections.Counter()
events_received = 0


async def subscribe(session, user, until):
    """Hold an event stream open and count the events it delivers, reconnecting if it ends."""
    global events_received
    headers = {"Authorization": f"Bearer {user['token']}", "Accept": "text/event-stream"}
    while time.monotonic() < until:
        try:
            async with session.get(f"{BASE}/api/events", headers=headers) as response:
                statuses[f"events {response.status}"] += 1
                while time.monotonic() < until:
                    try:
                        line = await asyncio.wait_for(response.content.readline(), 1)
                    except asyncio.TimeoutError:
                        continue
                    if not line:
                        break
                    if line.startswith(b"event:"):
                        events_received += 1
        except aiohttp.ClientError as err:
            errors[f"events {type(err).__name__}"] += 1
            await asyncio.sleep(0.5)


async def call(session, name, method, path, token=None, body=None):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    try:
        async with session.request(method, BASE + path, json=body, headers=headers) as response:
            payload = await response.read()
            statuses[f"{name} {response.status}"] += 1
            return response.status, payload
    except (aiohttp.ClientError, asyncio.TimeoutError) as err:
        errors[f"{name} {type(err).__name__}"] += 1
        return 0, b""


async def work(session, user, until):
    """One connection's mix: mostly reads, writes that create, change and delete, sign-ins."""
    own = []
    while time.monotonic() < until:
        roll = random.random()
        if roll < 0.55:
            await call(session, "list", "GET", "/api/todos?limit=20", user["token"])
        elif roll < 0.65:
            await call(session, "stats", "GET", "/api/todos/stats", user["token"])
        elif roll < 0.80 and len(own) >= 25:
            # A steady state: each connection keeps at most 25 todos, so the database (and
            # with it the page cache) stops growing early and later growth means a leak.
            await call(session, "delete", "DELETE", f"/api/todos/{own.pop(0)}", user["token"])
        elif roll < 0.80:
            status, payload = await call(session, "create", "POST", "/api/todos", user["token"],
                                         {"title": f"soak {random.random()}"})
            if status == 201:
                own.append(json.loads(payload)["id"])
        elif roll < 0.90 and own:
            todo = random.choice(own)
            await call(session, "update", "PATCH", f"/api/todos/{todo}", user["token"],
                       {"completed": True})
        elif roll < 0.98 and own:
            await call(session, "delete", "DELETE", f"/api/todos/{own.pop()}", user["token"])
        else:
            await call(session, "login", "POST", "/api/auth/login", None,
                       {"email": user["email"], "password": user["password"]})


async def main():
    until = time.monotonic() + SECONDS
    connector = aiohttp.TCPConnector(limit=CONNECTIONS, force_close=False)
    timeout = aiohttp.ClientTimeout(total=None, sock_read=30, sock_connect=10)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        tasks = [asyncio.create_task(subscribe(session, USERS[n % len(USERS)], until))
                 for n in range(SUBSCRIBERS)]
        tasks += [asyncio.create_task(work(session, USERS[n % len(USERS)], until))
                  for n in range(CONNECTIONS - SUBSCRIBERS)]
        await asyncio.gather(*tasks)
    server_errors = sum(count for key, count in statuses.items() if key.split()[-1].startswith("5"))
    print(json.dumps({
        "requests": sum(statuses.values()),
        "server_errors": server_errors,
        "client_errors": sum(errors.values()),
        "events_received": events_received,
        "statuses": dict(sorted(statuses.items())),
        "errors": dict(errors),
    }))


asyncio.run(main())
