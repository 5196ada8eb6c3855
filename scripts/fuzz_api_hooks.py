"""schemathesis hooks for scripts/fuzz-api: every request is sent by a signed-in admin.

A fixed token would not last: the fuzzer itself calls logout and revokes sessions, and from
then on every route would be tested unauthenticated while the run still looks busy. So the
auth provider signs in afresh every few seconds (and the fuzzer's own 401s stay rare).
"""

import json
import os
import urllib.request
import uuid

import schemathesis


# Tokens the auth provider handed out: only those are swapped for a fresher one, so the
# checks that send a forged or missing token keep theirs.
ISSUED = set()


@schemathesis.auth(refresh_interval=2)
class FreshAdminSignIn:
    def get(self, case, ctx):
        request = urllib.request.Request(
            os.environ["FUZZ_BASE_URL"] + "/api/auth/login",
            method="POST",
            data=json.dumps(
                {"email": os.environ["FUZZ_ADMIN_EMAIL"], "password": os.environ["FUZZ_ADMIN_PASSWORD"]}
            ).encode(),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            token = json.loads(response.read())["access_token"]
        ISSUED.add(token)
        return token

    def set(self, case, data, ctx):
        case.headers = case.headers or {}
        case.headers["Authorization"] = f"Bearer {data}"


def takes_no_input(case):
    raw = case.operation.definition.raw
    return not raw.get("parameters") and "requestBody" not in raw


@schemathesis.hook
def before_call(ctx, case, **kwargs):
    """A signed-in call to an operation that takes no input gets a token signed in just now.

    Such an operation is generated only once or twice per phase, so a token the fuzzer revoked
    a moment before (it logs out and revokes sessions too) could leave every call of it
    unauthenticated, and the run would report it as tested without a session.

    In the stateful phase, each create gets its own `Idempotency-Key`.

    By contract a key sent again with the same body replays the first response, even when
    the todo it created has been deleted since: a generated key that repeats ("0") would make
    the stateful checks chase a resource the run itself removed. Key reuse is covered by the
    Rust suite; the other phases still fuzz the header as the document describes it.
    """
    sent = (case.headers or {}).get("Authorization")
    # Negative cases send anything (or nothing) as the header: only our own token is swapped.
    if isinstance(sent, str) and sent.removeprefix("Bearer ") in ISSUED and takes_no_input(case):
        FreshAdminSignIn().set(case, FreshAdminSignIn().get(case, ctx), ctx)
    phase = getattr(getattr(case.meta, "phase", None), "name", None)
    if phase == "stateful" and case.headers and "Idempotency-Key" in case.headers:
        case.headers["Idempotency-Key"] = uuid.uuid4().hex
