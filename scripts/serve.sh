#!/usr/bin/env bash
# Start the local Prefect stack for invoicebot: server, `process` work pool, deployments,
# workers. Everything it starts is recorded in $INVOICEBOT_DATA_DIR/run/*.pid for stop.sh.
#
#   WORKERS                                 process workers to start (default 1)
#   PREFECT_SERVER_API_PORT                 port of the API and the UI (default 4200)
#   PREFECT_SERVER_DATABASE_CONNECTION_URL  PostgreSQL for the server (default: a database
#                                           <store>_prefect beside the store's when
#                                           INVOICEBOT_DATABASE_URL is PostgreSQL, else SQLite)
#   INVOICEBOT_DATABASE_URL                 the store (default: SQLite in the data dir)
#   INVOICEBOT_BATCH_RUNS                   process-inbox runs at once (default WORKERS)
#   INVOICEBOT_DATA_DIR                     store, archive, run files (default .invoicebot)
#   INVOICEBOT_INBOX                        folder the scheduled batch reads (default: data dir/inbox)
#   INVOICEBOT_PAGE_VIEW_PORT               port of the page view (default 4280)
#
# The server asks for basic authentication: the credential (user:password) is generated once
# into $INVOICEBOT_DATA_DIR/prefect-auth (mode 0600, outside the repository) and given to the
# server (PREFECT_SERVER_API_AUTH_STRING) and to the CLI, the worker and its flow runs
# (PREFECT_API_AUTH_STRING). The UI asks for it once per browser.
#
# The page view (invoicebot.docserver) serves the archived documents' pages, outlined where
# the values were read, to the review forms: on 127.0.0.1, to the same credential, or to
# the links the forms carry, signed with a key generated once into
# $INVOICEBOT_DATA_DIR/page-view-secret (mode 0600).
set -euo pipefail
cd "$(dirname "$0")/.."

port="${PREFECT_SERVER_API_PORT:-4200}"
workers="${WORKERS:-1}"
[[ "$workers" =~ ^[1-9][0-9]*$ ]] || { echo "WORKERS must be a whole number >= 1, not '$workers'" >&2; exit 2; }
# Several batch runs share one inbox (claims are leases): one per worker by default.
export INVOICEBOT_BATCH_RUNS="${INVOICEBOT_BATCH_RUNS:-$workers}"
data_dir="$(mkdir -p "${INVOICEBOT_DATA_DIR:-.invoicebot}" && cd "${INVOICEBOT_DATA_DIR:-.invoicebot}" && pwd)"
run_dir="$data_dir/run"
mkdir -p "$run_dir"

export INVOICEBOT_DATA_DIR="$data_dir"
export INVOICEBOT_INBOX="${INVOICEBOT_INBOX:-$data_dir/inbox}"
mkdir -p "$INVOICEBOT_INBOX"
# The stack keeps its own Prefect home (server database, settings) beside the store.
export PREFECT_HOME="${PREFECT_HOME:-$data_dir/prefect}"
export PREFECT_SERVER_API_HOST=127.0.0.1
export PREFECT_SERVER_API_PORT="$port"
export PREFECT_API_URL="http://127.0.0.1:$port/api"
# Without it the UI served on another port would still call the API on 4200.
export PREFECT_UI_API_URL="$PREFECT_API_URL"
export PREFECT_SERVER_ANALYTICS_ENABLED=false

auth_file="$data_dir/prefect-auth"
if [[ ! -s "$auth_file" ]]; then
    # 24 random bytes, URL-safe: nothing a shell or the UI's login field would mangle.
    password="$(head -c 24 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n')"
    (umask 077 && printf 'invoicebot:%s\n' "$password" >"$auth_file")
fi
chmod 600 "$auth_file"
auth_string="$(head -n 1 "$auth_file")"
export PREFECT_SERVER_API_AUTH_STRING="$auth_string"
export PREFECT_API_AUTH_STRING="$auth_string"

prefect_bin="$(uv run --frozen python -c 'import shutil; print(shutil.which("prefect"))')"
python_bin="$(uv run --frozen python -c 'import sys; print(sys.executable)')"

page_view_port="${INVOICEBOT_PAGE_VIEW_PORT:-4280}"
export INVOICEBOT_PAGE_VIEW_PORT="$page_view_port"
page_view_secret="$data_dir/page-view-secret"
if [[ ! -s "$page_view_secret" ]]; then
    (umask 077 && head -c 32 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n' >"$page_view_secret")
fi
chmod 600 "$page_view_secret"

# Task events of several workers lock an SQLite server database: with the store on
# PostgreSQL, the server's database goes on the same PostgreSQL server.
if [[ -z "${PREFECT_SERVER_DATABASE_CONNECTION_URL:-}" && -n "${INVOICEBOT_DATABASE_URL:-}" ]]; then
    prefect_database="$(uv run --frozen python scripts/prefect_database.py)"
    if [[ -n "$prefect_database" ]]; then
        export PREFECT_SERVER_DATABASE_CONNECTION_URL="$prefect_database"
    fi
fi

running() { [[ -f "$1" ]] && kill -0 "$(cat "$1")" 2>/dev/null; }

start() {  # start NAME COMMAND...: in its own process group, so stop.sh ends it whole
    local name="$1"; shift
    if running "$run_dir/$name.pid"; then
        echo "$name already running (pid $(cat "$run_dir/$name.pid"))"
        return
    fi
    setsid "$@" >"$run_dir/$name.log" 2>&1 < /dev/null &
    echo $! >"$run_dir/$name.pid"
}

start server "$prefect_bin" server start --host 127.0.0.1 --port "$port"
echo "Waiting for the Prefect server on port $port ..."
for _ in $(seq 1 180); do
    if curl -fsS "$PREFECT_API_URL/health" >/dev/null 2>&1; then break; fi
    if ! running "$run_dir/server.pid"; then
        echo "The server stopped; see $run_dir/server.log" >&2
        tail -20 "$run_dir/server.log" >&2
        exit 1
    fi
    sleep 1
done
curl -fsS "$PREFECT_API_URL/health" >/dev/null || { echo "No server after 180 s" >&2; exit 1; }

start pageview "$python_bin" -m invoicebot.docserver
for _ in $(seq 1 60); do
    if curl -fsS "http://127.0.0.1:$page_view_port/health" >/dev/null 2>&1; then break; fi
    if ! running "$run_dir/pageview.pid"; then
        echo "The page view stopped; see $run_dir/pageview.log" >&2
        tail -20 "$run_dir/pageview.log" >&2
        exit 1
    fi
    sleep 0.5
done
curl -fsS "http://127.0.0.1:$page_view_port/health" >/dev/null \
    || { echo "No page view after 30 s; see $run_dir/pageview.log" >&2; exit 1; }

"$prefect_bin" work-pool inspect process >/dev/null 2>&1 \
    || "$prefect_bin" work-pool create process --type process >/dev/null
"$prefect_bin" --no-prompt deploy --all >"$run_dir/deploy.log" 2>&1 \
    || { echo "Deploying failed; see $run_dir/deploy.log" >&2; tail -30 "$run_dir/deploy.log" >&2; exit 1; }
if [[ "$INVOICEBOT_BATCH_RUNS" != 1 ]]; then
    "$prefect_bin" --no-prompt deploy --name process-inbox \
        --concurrency-limit "$INVOICEBOT_BATCH_RUNS" >>"$run_dir/deploy.log" 2>&1 \
        || { echo "Deploying failed; see $run_dir/deploy.log" >&2; tail -30 "$run_dir/deploy.log" >&2; exit 1; }
fi
# The worker asks for runs to start every 5 s rather than Prefect's 10: an operator who has
# just taken a case waits for the worker to bring the decision form up.
export PREFECT_WORKER_QUERY_SECONDS="${PREFECT_WORKER_QUERY_SECONDS:-5}"
# Worker 1 is `worker`, the others `worker-2` ... `worker-N`; on machines of their own in
# production, each started the same way against the same server (README, "Scaling out").
for n in $(seq 1 "$workers"); do
    name="worker"; [[ "$n" -gt 1 ]] && name="worker-$n"
    start "$name" "$prefect_bin" worker start --pool process --type process --name "invoicebot-$name"
done

server_database="SQLite in $PREFECT_HOME"
[[ -n "${PREFECT_SERVER_DATABASE_CONNECTION_URL:-}" ]] && server_database="PostgreSQL"
cat <<MSG
invoicebot's Prefect stack is up:
  UI:       http://127.0.0.1:$port  (reviews: Runs, tag "review", state Suspended)
  login:    the UI asks for a password: paste the line of $auth_file (user:password)
  API:      $PREFECT_API_URL
  pages:    http://127.0.0.1:$page_view_port (the page view: the review forms' outlined pages)
  inbox:    $INVOICEBOT_INBOX (processed on the process-inbox schedule)
  workers:  $workers on the process pool, up to $INVOICEBOT_BATCH_RUNS batch runs at once
  server database: $server_database
  logs:     $run_dir/*.log
To use it from a shell: export PREFECT_API_URL=$PREFECT_API_URL INVOICEBOT_DATA_DIR=$data_dir \
    PREFECT_API_AUTH_STRING="\$(cat $auth_file)" INVOICEBOT_PAGE_VIEW_PORT=$page_view_port
Stop it with: make stop
MSG
