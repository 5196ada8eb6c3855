"""Accounts for scripts/mcp-clients and scripts/bench-mcp, made through the plain HTTP API:
one user per client (each revokes its own key, and counts its own todos), signed in, with a
read-write and a read-only personal API key, plus a stranger with a key of their own.
Prints them as one JSON document. Standard library only.

usage: mcp_accounts.py BASE_URL CLIENT...
output: {"base": BASE_URL, "stranger": {"email", "token", "key"},
         "clients": {CLIENT: {"email", "token", "rw": {"id", "key"}, "ro": {"id", "key"}}}}
"""

import json
import sys
import urllib.error
import urllib.request

BASE = sys.argv[1]
READ_WRITE = ["todos:read", "todos:write"]
READ_ONLY = ["todos:read"]


def call(method, path, body=None, token=None, expect=200):
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(BASE + path, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            status, payload = response.status, response.read()
    except urllib.error.HTTPError as err:
        status, payload = err.code, err.read()
    if status != expect:
        sys.exit(f"mcp_accounts: {method} {path} answered {status}, expected {expect}: {payload[:300]!r}")
    return json.loads(payload) if payload else None


def user(label):
    email = f"mcp-{label}@example.test"
    password = f"{label} mcp passphrase"
    call("POST", "/api/auth/register", {"email": email, "password": password, "name": f"MCP {label}"}, expect=201)
    token = call("POST", "/api/auth/login", {"email": email, "password": password})["access_token"]
    return {"email": email, "token": token}


def api_key(token, name, scopes):
    created = call(
        "POST", "/api/users/me/api-keys", {"name": name, "scopes": scopes, "expires_in_days": 1}, token, expect=201
    )
    # The contract's shape, checked once here so the clients can rely on it.
    missing = {"id", "name", "prefix", "scopes", "created_at", "last_used_at", "expires_at", "key"} - created.keys()
    if missing:
        sys.exit(f"mcp_accounts: the new API key lacks {sorted(missing)}: {created}")
    if not created["key"].startswith("nf_") or not created["key"].startswith(created["prefix"]):
        sys.exit(f"mcp_accounts: key {created['prefix']}… is not an nf_ key starting with its prefix")
    if sorted(created["scopes"]) != sorted(scopes) or created["name"] != name:
        sys.exit(f"mcp_accounts: the new API key does not echo its name and scopes: {created}")
    return {"id": created["id"], "key": created["key"]}


stranger = user("stranger")
stranger["key"] = api_key(stranger["token"], "stranger", READ_WRITE)["key"]
clients = {}
for label in sys.argv[2:]:
    account = user(label)
    account["rw"] = api_key(account["token"], f"{label} read-write", READ_WRITE)
    account["ro"] = api_key(account["token"], f"{label} read-only", READ_ONLY)
    clients[label] = account
print(json.dumps({"base": BASE, "stranger": stranger, "clients": clients}))
