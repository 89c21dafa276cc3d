#!/usr/bin/env bash
# Fuzzes the JSON admin API from its own OpenAPI document with schemathesis: a bounded number of
# generated requests per operation, and the one check that no answer is a server error (5xx).
#
# Starts `guestlist serve` on a free loopback port with fresh data and keys directories, creates a
# confidential app allowed the admin scopes, takes a client_credentials token from the tenant's token
# endpoint and sends it with every request. A server without /api/v1/openapi.json fails the run.
#
#   GUESTLIST_BIN=/path/to/guestlist tests/e2e/schemathesis.sh
#
# Environment: GUESTLIST_BIN (default $CARGO_TARGET_DIR/debug/guestlist), SCHEMATHESIS_MAX_EXAMPLES
# (default 25), SCHEMATHESIS_SEED (default: random, printed on failure), SCHEMATHESIS_TIMEOUT (seconds
# for the whole fuzzing run, default 1200).
set -euo pipefail

SCHEMATHESIS_VERSION=4.32.5
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
target="${CARGO_TARGET_DIR:-$repo/target}"
case "$target" in /*) ;; *) target="$repo/$target" ;; esac
bin="${GUESTLIST_BIN:-$target/debug/guestlist}"
max_examples="${SCHEMATHESIS_MAX_EXAMPLES:-25}"
run_timeout="${SCHEMATHESIS_TIMEOUT:-1200}"
venv="${XDG_CACHE_HOME:-$HOME/.cache}/guestlist-venv"

say() { echo "schemathesis.sh: $*"; }
die() {
  echo "schemathesis.sh: $*" >&2
  exit 1
}

[ -x "$bin" ] || die "no guestlist binary at $bin (build it, or set GUESTLIST_BIN)"
bin="$(realpath "$bin")"

# schemathesis, pinned, in a virtual environment kept between runs.
if [ "$("$venv/bin/schemathesis" --version 2>/dev/null || true)" != "schemathesis, version $SCHEMATHESIS_VERSION" ]; then
  say "installing schemathesis $SCHEMATHESIS_VERSION into $venv"
  python3 -m venv "$venv"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "schemathesis==$SCHEMATHESIS_VERSION"
fi

tmp="$(mktemp -d "${TMPDIR:-/tmp}/guestlist-schemathesis-XXXXXX")"
server_pid=""
cleanup() {
  local rc=$?
  if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
    kill -TERM "$server_pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$server_pid" 2>/dev/null || break; sleep 0.2; done
    kill -KILL "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  if [ "$rc" -ne 0 ] && [ -s "$tmp/server.log" ]; then
    if grep -q ' panicked at ' "$tmp/server.log"; then
      echo "--- server panics ---" >&2
      grep -A2 ' panicked at ' "$tmp/server.log" | head -n 60 >&2 || true
    fi
    echo "--- server output (last 40 lines) ---" >&2
    tail -n 40 "$tmp/server.log" >&2 || true
  fi
  rm -rf "$tmp"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')"
base="http://127.0.0.1:$port"
mkdir -p "$tmp/data" "$tmp/keys" "$tmp/work"

# Embedded SQLite and the file outbox, whatever the caller's environment says.
unset GUESTLIST_DATABASE_URL GUESTLIST_SMTP_URL GUESTLIST_TLS_CERT GUESTLIST_TLS_KEY
export GUESTLIST_LISTEN="127.0.0.1:$port"
export GUESTLIST_PUBLIC_URL="$base"
export GUESTLIST_DATA_DIR="$tmp/data"
export GUESTLIST_KEYS_DIR="$tmp/keys"
export GUESTLIST_LOG="${GUESTLIST_LOG:-warn}"

cd "$tmp/work" # no ./guestlist.toml, and schemathesis writes nothing into the repository
"$bin" serve >"$tmp/server.log" 2>&1 &
server_pid=$!
say "started $bin serve (pid $server_pid) at $base"

ready=""
for _ in $(seq 1 300); do
  kill -0 "$server_pid" 2>/dev/null || die "the server exited before it was ready"
  if curl -fsS -o /dev/null --max-time 2 "$base/readyz" 2>/dev/null; then
    ready=1
    break
  fi
  sleep 0.2
done
[ -n "$ready" ] || die "the server was not ready within 60 s"

status="$(curl -sS -o "$tmp/openapi.json" -w '%{http_code}' --max-time 10 "$base/api/v1/openapi.json")"
[ "$status" = "200" ] || die "/api/v1/openapi.json answered $status"
python3 -c 'import json, sys; d = json.load(open(sys.argv[1])); assert "openapi" in d and d.get("paths"), "not an OpenAPI document with paths"' \
  "$tmp/openapi.json" || die "/api/v1/openapi.json is not an OpenAPI document"

# A confidential app that may take admin tokens with client_credentials.
"$bin" --json app create --tenant default --name api --redirect-uri http://127.0.0.1/cb \
  --allowed-scope guestlist.admin --allowed-scope guestlist.invite >"$tmp/app.json"
read -r client_id client_secret < <(python3 -c '
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip().startswith("{")]
print(rows[-1]["clientId"], rows[-1]["clientSecret"])' "$tmp/app.json")
[ -n "$client_id" ] && [ -n "$client_secret" ] || die "app create printed no client id and secret"

curl -sS --max-time 10 -o "$tmp/token.json" -w '%{http_code}' -u "$client_id:$client_secret" \
  -d grant_type=client_credentials -d scope=guestlist.admin "$base/t/default/token" >"$tmp/token.status"
[ "$(cat "$tmp/token.status")" = "200" ] || die "the token endpoint answered $(cat "$tmp/token.status"): $(cat "$tmp/token.json")"
token="$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["access_token"])' "$tmp/token.json")"
[ -n "$token" ] || die "no access_token in the token response"
say "took a client_credentials token with scope guestlist.admin"

# Known objects for the path parameters, so that generated requests reach the handlers instead of
# stopping at "no such tenant" or "no such id". Body, query and header values stay generated.
"$bin" --json group create --tenant default --name "Fuzzing group" >"$tmp/group.json"
"$bin" --json app create --tenant default --name "Fuzzing app" --redirect-uri http://127.0.0.1/fuzz/cb >"$tmp/fuzz-app.json"
"$bin" --json invite --tenant default --email fuzz.guest@fabrikam.example --name "Fuzz Guest" >"$tmp/invite.json"
read -r group_id app_id user_id invitation_id < <(python3 -c '
import json, sys
def last(p):
    return [json.loads(l) for l in open(p) if l.strip().startswith("{")][-1]
inv = last(sys.argv[3])
print(last(sys.argv[1])["group"]["id"], last(sys.argv[2])["id"], inv["user_id"], inv["invitation_id"])' \
  "$tmp/group.json" "$tmp/fuzz-app.json" "$tmp/invite.json")
cat >"$tmp/schemathesis.toml" <<TOML
[parameters]
"path.slug" = "default"
"path.userId" = "$user_id"
"path.principalId" = "$user_id"

[[operations]]
include-path-regex = "/users/\\\\{id\\\\}"
parameters = { "path.id" = "$user_id" }

[[operations]]
include-path-regex = "/groups/\\\\{id\\\\}"
parameters = { "path.id" = "$group_id" }

[[operations]]
include-path-regex = "/apps/\\\\{id\\\\}"
parameters = { "path.id" = "$app_id" }

[[operations]]
include-path-regex = "/invitations/\\\\{id\\\\}"
parameters = { "path.id" = "$invitation_id" }
TOML
say "seeded group $group_id, app $app_id, guest $user_id, invitation $invitation_id"

seed_args=()
if [ -n "${SCHEMATHESIS_SEED:-}" ]; then seed_args=(--seed "$SCHEMATHESIS_SEED"); fi

say "schemathesis $SCHEMATHESIS_VERSION: at most $max_examples examples per operation, check not_a_server_error"
set +e
timeout --kill-after=30 "$run_timeout" "$venv/bin/schemathesis" --config-file "$tmp/schemathesis.toml" \
  run "$base/api/v1/openapi.json" \
  --checks not_a_server_error \
  --max-examples "$max_examples" \
  --header "Authorization: Bearer $token" \
  --request-timeout 15 \
  --generation-database none \
  --workers 2 \
  --no-color \
  "${seed_args[@]}"
rc=$?
set -e
if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
  die "schemathesis did not finish within $run_timeout s"
fi
kill -0 "$server_pid" 2>/dev/null || die "the server died during the run"
[ "$rc" -eq 0 ] || die "schemathesis found server errors (exit code $rc)"
say "no operation answered a server error"
