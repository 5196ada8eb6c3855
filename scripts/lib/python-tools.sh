# Sourced by scripts that run the Python security tools (schemathesis, sqlmap): a virtualenv
# under target/ with the pinned versions of scripts/python-tools.txt, made once and reused,
# and the helpers to start the server they test.

# python_tools_venv: print the venv's bin directory, installing it first when it is missing
# or older than the pinned list.
python_tools_venv() {
  local root venv
  root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
  venv=$root/target/python-tools
  if [[ ! -x $venv/bin/python || $root/scripts/python-tools.txt -nt $venv/.installed ]]; then
    python3 -m venv "$venv" >&2
    "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$root/scripts/python-tools.txt" >&2
    touch "$venv/.installed"
  fi
  echo "$venv/bin"
}

# spare_port: a free port below the kernel's ephemeral range (32768 and up), where the
# clients' own outgoing connections cannot take it between this check and the bind.
spare_port() {
  python3 - <<'PY'
import random, socket
for _ in range(200):
    port = random.randrange(20000, 32000)
    try:
        socket.socket().bind(("127.0.0.1", port))
    except OSError:
        continue
    print(port)
    break
PY
}

# wait_healthy URL PID LOG: until URL/health answers, or fail with the server's log.
wait_healthy() {
  for _ in $(seq 300); do
    curl -fs --max-time 1 "$1/health" >/dev/null 2>&1 && return 0
    kill -0 "$2" 2>/dev/null || { tail -20 "$3" >&2; return 1; }
    sleep 0.1
  done
  echo "the server did not come up at $1" >&2
  tail -20 "$3" >&2
  return 1
}

# Every per-IP and per-account limit raised far above what one tool sends from one address:
# the tools are testing the routes, not the limits (the Rust suite tests those).
export_unlimited_rates() {
  export NEOFORGE_RATE_SIGNIN=1000000/1s NEOFORGE_RATE_SIGNIN_FAILURES=1000000/1s \
    NEOFORGE_RATE_SIGNIN_FAILURES_ACCOUNT=1000000/1s NEOFORGE_RATE_SIGNUP=1000000/1s \
    NEOFORGE_RATE_TOKENS=1000000/1s NEOFORGE_RATE_PASSKEY_CHALLENGES=1000000/1s NEOFORGE_RATE_FORGOT_PASSWORD=1000000/1s \
    NEOFORGE_RATE_RESET_EMAILS=1000000/1s NEOFORGE_RATE_VERIFY_EMAILS=1000000/1s \
    NEOFORGE_RATE_API=off NEOFORGE_LLM_DAILY_QUOTA=1000000
}

# start_fake_llm LOG: the stand-in for an OpenAI-compatible service (e2e/fake-llm.mjs) on a
# spare port, so the servers started after this have their assistant on and
# /api/assistant/plan is tested like every other operation. Sets FAKE_LLM_PID for cleanup.
start_fake_llm() {
  local root port
  root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
  port=$(spare_port)
  node "$root/e2e/fake-llm.mjs" "$port" >"$1" 2>&1 &
  FAKE_LLM_PID=$!
  for _ in $(seq 50); do
    grep -q listening "$1" 2>/dev/null && break
    kill -0 "$FAKE_LLM_PID" 2>/dev/null || { cat "$1" >&2; return 1; }
    sleep 0.1
  done
  export NEOFORGE_LLM_BASE_URL=http://127.0.0.1:$port/v1
}
