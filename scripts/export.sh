#!/usr/bin/env bash
# Export checks:
#  1. `promtool check metrics` accepts the OpenMetrics output of a tracker
#     whose names carry quotes, backslashes, a newline, spaces and non-ASCII.
#  2. End to end: examples/prometheus_endpoint serves /metrics on 127.0.0.1,
#     a real `prometheus` server scrapes it every second, and its HTTP API
#     (/api/v1/query) must report perftrack_operation_duration_seconds_count > 0.
#  3. A fleet: two endpoint processes, each with its own fixed workload of
#     `fleet_request` records. Prometheus's
#     histogram_quantile(0.99, sum by (le) (…_bucket)) over both must lie in
#     the exposition bucket that holds the exact p99 of the two workloads
#     merged (computed here from the same formula as the example's).
# Installs the Debian `prometheus` package when promtool/prometheus are
# missing; prints SKIPPED when that fails. Everything is bounded by timeouts,
# and no process is left behind. Leaves its tally in target/export-tally.
set -uo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

if ! command -v promtool >/dev/null || ! command -v prometheus >/dev/null; then
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq prometheus; } >/dev/null 2>&1 || true
fi

# ---------------------------------------------------------------- promtool
cargo build --quiet --example openmetrics --example prometheus_endpoint || { bad "export examples build"; tally export; exit; }
cargo build --quiet --example combined_exposition --features prometheus-client || { bad "combined exposition example builds"; tally export; exit; }
if command -v promtool >/dev/null; then
    if out=$(target/debug/examples/openmetrics | promtool check metrics 2>&1); then
        ok "promtool check metrics accepts the OpenMetrics output"
    else
        echo "$out"; bad "promtool check metrics"
    fi
    # An application's prometheus-client registry with PerftrackCollector,
    # then a second tracker appended with its own prefix and labels.
    if out=$(target/debug/examples/combined_exposition | promtool check metrics 2>&1); then
        ok "promtool check metrics accepts a prometheus-client registry joined by perftrack"
    else
        echo "$out"; bad "promtool check metrics (combined exposition)"
    fi
else
    skip "promtool check metrics" "promtool not installed and apt-get install prometheus failed"
fi

# ---------------------------------------------------------------- end to end
if ! command -v prometheus >/dev/null; then
    skip "Prometheus scrapes /metrics end to end" "prometheus not installed and apt-get install failed"
    tally export; exit
fi
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
APP_PORT=$(free_port); APP2_PORT=$(free_port); PROM_PORT=$(free_port)
tmp=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done; wait 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT

timeout 90 target/debug/examples/prometheus_endpoint "127.0.0.1:$APP_PORT" 80 1 > "$tmp/app.log" 2>&1 &
pids+=($!)
timeout 90 target/debug/examples/prometheus_endpoint "127.0.0.1:$APP2_PORT" 80 2 > "$tmp/app2.log" 2>&1 &
pids+=($!)
cat > "$tmp/prometheus.yml" <<YML
global:
  scrape_interval: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: perftrack
    scrape_interval: 1s
    static_configs:
      - targets: ["127.0.0.1:$APP_PORT", "127.0.0.1:$APP2_PORT"]
YML
timeout 90 prometheus --config.file="$tmp/prometheus.yml" --storage.tsdb.path="$tmp/data" \
    --web.listen-address="127.0.0.1:$PROM_PORT" > "$tmp/prometheus.log" 2>&1 &
pids+=($!)

if python3 - "$PROM_PORT" <<'PY'
import json, sys, time, urllib.parse, urllib.request
port = sys.argv[1]
q = urllib.parse.quote('perftrack_operation_duration_seconds_count{job="perftrack"}')
deadline = time.time() + 60
while time.time() < deadline:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/query?query={q}", timeout=2) as r:
            res = json.load(r)["data"]["result"]
        got = {m["metric"].get("operation"): float(m["value"][1]) for m in res}
        if got and all(v > 0 for v in got.values()):
            print("Prometheus sees:", got)
            sys.exit(0)
    except Exception:
        pass
    time.sleep(1)
print("timed out waiting for Prometheus to scrape perftrack")
sys.exit(1)
PY
then
    ok "a real Prometheus scraped /metrics and reports _count > 0"
else
    echo "--- endpoint log"; tail -5 "$tmp/app.log"; echo "--- prometheus log"; tail -15 "$tmp/prometheus.log"
    bad "Prometheus end to end"
fi

if python3 - "$PROM_PORT" <<'PY'
import json, math, sys, time, urllib.parse, urllib.request
port = sys.argv[1]
def workload(w):
    base, step, mult = (1_000, 10, 7_919) if w == 1 else (50_000, 100, 104_729)
    return [base + (i * mult % 10_000) * step for i in range(10_000)]
merged = sorted(workload(1) + workload(2))
exact = merged[math.ceil(0.99 * len(merged)) - 1]  # nearest rank, in ns
# The exposition's bounds: le = b - 1 ns for b in 2^k and 1.5·2^k, 32 ns .. 2^36 ns.
bounds = sorted({b for k in range(5, 37) for b in (1 << k, 3 << (k - 1)) if b <= 1 << 36})
les = [b - 1 for b in bounds]
hi = next(le for le in les if exact <= le)
lo = max([le for le in les if le < exact], default=0)
def query(expr):
    q = urllib.parse.quote(expr)
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/query?query={q}", timeout=2) as r:
        return json.load(r)["data"]["result"]
count = 'sum(perftrack_operation_duration_seconds_count{operation="fleet_request"})'
expr = 'histogram_quantile(0.99, sum by (le) (perftrack_operation_duration_seconds_bucket{operation="fleet_request"}))'
deadline = time.time() + 60
while time.time() < deadline:
    try:
        c = query(count)
        if c and float(c[0]["value"][1]) == 20_000:
            got = float(query(expr)[0]["value"][1]) * 1e9
            print(f"fleet p99: exact {exact} ns, histogram_quantile {got:.0f} ns "
                  f"({(got - exact) / exact:+.1%}), exposition bucket ({lo}, {hi}] ns")
            sys.exit(0 if lo < got <= hi + 1e-3 else 1)
    except Exception as e:
        last = e
    time.sleep(1)
print("timed out waiting for Prometheus to scrape both fleet endpoints")
sys.exit(1)
PY
then
    ok "fleet: histogram_quantile over two processes lands in the exact p99's exposition bucket"
else
    echo "--- endpoint logs"; tail -3 "$tmp/app.log" "$tmp/app2.log"; echo "--- prometheus log"; tail -15 "$tmp/prometheus.log"
    bad "fleet histogram_quantile"
fi
tally export
