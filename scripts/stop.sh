#!/usr/bin/env bash
# Stop what serve.sh started (workers first, then the page view and the server), by the
# pids it recorded.
set -euo pipefail
cd "$(dirname "$0")/.."

data_dir="${INVOICEBOT_DATA_DIR:-.invoicebot}"
run_dir="$data_dir/run"

stop() {  # stop NAME: end its process group, politely first
    local pid_file="$run_dir/$1.pid"
    [[ -f "$pid_file" ]] || return 0
    local pid
    pid="$(cat "$pid_file")"
    if kill -0 "$pid" 2>/dev/null; then
        kill -TERM -- "-$pid" 2>/dev/null || true
        for _ in $(seq 1 30); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.5
        done
        kill -KILL -- "-$pid" 2>/dev/null || true
        echo "stopped $1 (pid $pid)"
    fi
    rm -f "$pid_file"
}

for pid_file in "$run_dir"/worker*.pid; do
    [[ -e "$pid_file" ]] && stop "$(basename "$pid_file" .pid)"
done
stop pageview
stop server
