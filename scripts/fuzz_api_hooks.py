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
            return json.loads(response.read())["access_token"]

    def set(self, case, data, ctx):
        case.headers = case.headers or {}
        case.headers["Authorization"] = f"Bearer {data}"


@schemathesis.hook
def before_call(ctx, case, **kwargs):
    """In the stateful phase, each create gets its own `Idempotency-Key`.

    By contract a key sent again with the same body replays the first response, even when
    the todo it created has been deleted since: a generated key that repeats ("0") would make
    the stateful checks chase a resource the run itself removed. Key reuse is covered by the
    Rust suite; the other phases still fuzz the header as the document describes it.
    """
    phase = getattr(getattr(case.meta, "phase", None), "name", None)
    if phase == "stateful" and case.headers and "Idempotency-Key" in case.headers:
        case.headers["Idempotency-Key"] = uuid.uuid4().hex
