"""Print one sqlmap target per operation of an OpenAPI document, as JSON lines.

Every input becomes an injection point: query parameters with a plausible value, path ids
(a real id followed by sqlmap's `*` marker), header parameters (also marked), JSON and form
bodies (sqlmap tests each field). Used by scripts/sql-injection.

usage: sql_injection_targets.py OPENAPI_JSON BASE_URL IDS_JSON EMAIL PASSWORD

IDS_JSON maps each path with an id to a real one (`{"/api/todos/{id}": "…"}`), so the
unaltered request finds a row and sqlmap has a true page to compare against. The sign-in
operations get the real EMAIL and PASSWORD for the same reason; no other operation does (a
real password would let the scan delete the account).
"""

import json
import sys
import urllib.parse

document = json.load(open(sys.argv[1]))
base, ids = sys.argv[2], json.loads(sys.argv[3])
email, password = sys.argv[4], sys.argv[5]
SIGN_IN = ("/api/auth/login", "/api/auth/token")
# Sent signed in, these would end the session the request carries, and each request of the
# scan would find a different answer than the last.
ENDS_SESSION = ("/api/auth/logout",)
# What sqlmap takes for anti-CSRF tokens and leaves alone unless told.
TOKEN_INFIXES = ("csrf", "xsrf", "token", "nonce")
schemas = document.get("components", {}).get("schemas", {})


def resolve(schema):
    while "$ref" in schema:
        schema = schemas[schema["$ref"].rsplit("/", 1)[-1]]
    for key in ("oneOf", "anyOf"):
        if key in schema:
            options = [resolve(s) for s in schema[key] if s.get("type") != "null"]
            return options[0] if options else {}
    return schema


def sample(name, schema, path=""):
    schema = resolve(schema)
    if path in SIGN_IN and name in ("email", "username"):
        return email
    if path in SIGN_IN and name == "password":
        return password
    if "example" in schema:
        return schema["example"]
    if schema.get("enum"):
        return schema["enum"][0]
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "string")
    if kind in ("integer", "number"):
        return max(schema.get("minimum", 1), 1)
    if kind == "boolean":
        return True
    if schema.get("format") == "uuid":
        return next(iter(ids.values()))
    if schema.get("format") == "email" or "email" in name or name == "username":
        return "someone@example.com"
    if "password" in name:
        return "not the password 1"
    return "sample"


targets = []
for path, item in document["paths"].items():
    for method, operation in item.items():
        if method not in ("get", "post", "put", "patch", "delete"):
            continue
        url_path, query, headers = path, {}, []
        for parameter in operation.get("parameters", []):
            name, where = parameter["name"], parameter["in"]
            value = sample(name, parameter.get("schema", {}))
            if where == "path":
                if path not in ids:
                    sys.exit(f"{path} takes an id: scripts/sql-injection must create a row for it")
                url_path = url_path.replace("{" + name + "}", f"{ids[path]}*")
            elif where == "query":
                query[name] = value
            elif where == "header":
                headers.append(f"{name}: {value}*")
        data, content_type, fields = None, None, {}
        content = operation.get("requestBody", {}).get("content", {})
        for media, body in content.items():
            schema = resolve(body.get("schema", {}))
            fields = {name: sample(name, s, path) for name, s in schema.get("properties", {}).items()}
            if not fields:
                continue
            content_type = media
            if media == "application/x-www-form-urlencoded":
                fields["grant_type"] = "password"
                data = urllib.parse.urlencode(fields)
            else:
                data = json.dumps(fields)
            break
        if not query and data is None and "*" not in url_path and not headers:
            continue  # no input to inject into
        # A stream answers a signed-in request with a response that never ends: sent without
        # the bearer, its other inputs are tested on the answer that does.
        streams = any(
            "text/event-stream" in response.get("content", {})
            for response in operation.get("responses", {}).values()
        )
        url = base + url_path + ("?" + urllib.parse.urlencode(query) if query else "")
        target = {"method": method.upper(), "url": url, "data": data,
                  "content_type": content_type, "headers": headers, "params": [],
                  "signed_in": not streams and path not in ENDS_SESSION,
                  "name": f"{method.upper()} {path}"}
        names = list(query) + (list(fields) if data is not None else [])
        if any(infix in name for name in names for infix in TOKEN_INFIXES):
            # sqlmap skips parameters named like tokens unless they are named with `-p`,
            # which then limits it to those: the headers get a run of their own.
            targets.append({**target, "params": names,
                            "headers": [header.rstrip("*") for header in headers]})
            if headers:
                targets.append({**target, "name": target["name"] + " (headers)"})
        else:
            targets.append(target)

# Deletes last: the rows they remove stand behind the other operations' ids.
for target in sorted(targets, key=lambda target: target["method"] == "DELETE"):
    print(json.dumps(target))
