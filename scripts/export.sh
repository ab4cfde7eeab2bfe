#!/usr/bin/env bash
# Export checks:
#  1. `promtool check metrics` accepts the OpenMetrics output of a tracker
#     whose names carry quotes, backslashes, a newline, spaces and non-ASCII.
#  2. End to end: examples/prometheus_endpoint serves /metrics on 127.0.0.1,
#     a real `prometheus` server scrapes it every second, and its HTTP API
#     (/api/v1/query) must report perftrack_operation_duration_seconds_count > 0.
#  3. A fleet on classic buckets: two endpoint processes, each with its own
#     fixed workload of `fleet_request` records. Prometheus's
#     histogram_quantile(0.99, sum by (le) (…_bucket)) over both must lie in
#     the exposition bucket that holds the exact p99 of the two workloads
#     merged (computed here from the same formula as the example's).
#  4. The fleet on native histograms: a second Prometheus, with
#     --enable-feature=native-histograms (so it asks for protobuf, and the
#     endpoint negotiates it), scrapes six endpoint processes: two for each
#     of three workload shapes (uniform, lognormal, bimodal), each replaying
#     its own file of 20,000 durations. For every shape,
#     histogram_quantile(q, sum(…{operation="fleet_request"})) must be within
#     one schema-4 bucket (4.43%) of the exact merged quantile for q = 0.5,
#     0.9, 0.99, 0.999, and histogram_count and histogram_sum exact.
#  5. A real service: the axum example (examples/axum-service) sends itself
#     a fixed mix of requests through perftrack::axum::layer, which labels
#     each by method, matched route and status, and answers /metrics on its
#     own port (perftrack::axum::metrics).
#     The same Prometheus scrapes it: histogram_count by route and by status,
#     and the response-bytes counter, must equal what was sent, exactly.
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
    # promtool 2.42 lints with the Prometheus 0.0.4 text parser, which reads
    # an OpenMetrics counter's `_total` sample as a metric of its own and
    # says "<name>_total no help text". That message, for a family the input
    # declares a counter, is the only one accepted; any other fails.
    target/debug/examples/openmetrics > "$ROOT/target/openmetrics.txt"
    out=$(promtool check metrics < "$ROOT/target/openmetrics.txt" 2>&1); rc=$?
    counters=$(sed -n 's/^# TYPE \(.*\) counter$/\1/p' "$ROOT/target/openmetrics.txt")
    rest=$(grep -v -x -F -f <(for c in $counters; do echo "${c}_total no help text"; done) <<<"$out" || true)
    if [ "$rc" = 0 ] || { [ "$rc" = 3 ] && [ -z "$rest" ] && [ -n "$counters" ]; }; then
        ok "promtool check metrics accepts the OpenMetrics output (labelled series, counters, gauges)"
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
# The exposition's default bounds: every power of 4 seconds, 2^k s for even
# k in -20..=6, each le the largest whole nanosecond within it:
# floor(10^9 · 2^k).
def le(k):
    return 10**9 * 2**k if k >= 0 else 10**9 // 2**(-k)
les = [le(k) for k in range(-20, 7, 2)]
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
# ---------------------------------------------------------------- native fleet
python3 - "$tmp" <<'PY'
import math, random, sys
tmp = sys.argv[1]
rng = random.Random(20261202)
shapes = {
    "uniform": [lambda: rng.uniform(1e3, 1e6), lambda: rng.uniform(2e5, 5e6)],
    "lognormal": [lambda: 5e4 * math.exp(rng.gauss(0, 1.0)), lambda: 4e5 * math.exp(rng.gauss(0, 0.7))],
    "bimodal": [lambda: rng.uniform(1.8e3, 2.2e3) if rng.random() < 0.95 else rng.uniform(8e6, 1.2e7),
                lambda: rng.uniform(1.5e4, 2.5e4) if rng.random() < 0.8 else rng.uniform(8e5, 1.2e6)],
}
for shape, gens in shapes.items():
    for k, gen in enumerate(gens):
        with open(f"{tmp}/{shape}{k}.ns", "w") as f:
            f.write("".join(f"{max(1, round(gen()))}\n" for _ in range(20_000)))
PY
NPROM_PORT=$(free_port)
targets=()
SERVICE_PORT=$(free_port)
if cargo build --quiet -p perftrack-axum-example; then
    timeout 120 target/debug/perftrack-axum-example --load "127.0.0.1:$SERVICE_PORT" 110 > "$tmp/service.log" 2>"$tmp/service.err" &
    pids+=($!)
    targets+=("service:127.0.0.1:$SERVICE_PORT")
else
    bad "the axum service builds"
fi
for shape in uniform lognormal bimodal; do
    for k in 0 1; do
        port=$(free_port)
        timeout 120 target/debug/examples/prometheus_endpoint "127.0.0.1:$port" 110 "$tmp/$shape$k.ns" > "$tmp/$shape$k.log" 2>&1 &
        pids+=($!)
        targets+=("$shape:127.0.0.1:$port")
    done
done
{
    echo "global: {scrape_interval: 1s, evaluation_interval: 1s}"
    echo "scrape_configs:"
    for shape in uniform lognormal bimodal service; do
        echo "  - job_name: $shape"
        echo "    scrape_interval: 1s"
        echo "    static_configs:"
        echo "      - targets: [$(printf '%s\n' "${targets[@]}" | grep "^$shape:" | cut -d: -f2- | sed 's/.*/"&"/' | paste -sd,)]"
    done
} > "$tmp/native.yml"
timeout 120 prometheus --enable-feature=native-histograms --config.file="$tmp/native.yml" \
    --storage.tsdb.path="$tmp/native-data" --web.listen-address="127.0.0.1:$NPROM_PORT" > "$tmp/native-prometheus.log" 2>&1 &
pids+=($!)
if python3 - "$NPROM_PORT" "$tmp" <<'PY'
import json, math, sys, time, urllib.parse, urllib.request
port, tmp = sys.argv[1], sys.argv[2]
width = 2 ** (1 / 16) - 1  # one schema-4 bucket: 4.43%
def query(expr):
    q = urllib.parse.quote(expr)
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/query?query={q}", timeout=2) as r:
        return json.load(r)["data"]["result"]
failed = False
for shape in ["uniform", "lognormal", "bimodal"]:
    values = sorted(int(l) for k in (0, 1) for l in open(f"{tmp}/{shape}{k}.ns"))
    sel = f'sum(perftrack_operation_duration_seconds{{operation="fleet_request",job="{shape}"}})'
    deadline, count = time.time() + 60, None
    while time.time() < deadline:
        try:
            r = query(f"histogram_count({sel})")
            if r and float(r[0]["value"][1]) == len(values):
                count = len(values)
                break
        except Exception:
            pass
        time.sleep(1)
    if count is None:
        print(f"{shape}: timed out waiting for Prometheus to scrape both native histograms"); failed = True; continue
    total = float(query(f"histogram_sum({sel})")[0]["value"][1])
    exact_sum = sum(values) / 1e9
    ok_sum = abs(total - exact_sum) <= 1e-9 * exact_sum
    print(f"{shape}: histogram_count {count} (exact), histogram_sum {total:.9f} s vs {exact_sum:.9f} s {'ok' if ok_sum else 'WRONG'}")
    failed |= not ok_sum
    for q in [0.5, 0.9, 0.99, 0.999]:
        exact = values[math.ceil(q * len(values)) - 1]
        got = float(query(f"histogram_quantile({q}, {sel})")[0]["value"][1]) * 1e9
        err = (got - exact) / exact
        good = abs(err) <= width
        print(f"  q={q}: exact {exact} ns, histogram_quantile {got:.0f} ns ({err:+.2%}) {'ok' if good else 'OUTSIDE one bucket'}")
        failed |= not good
sys.exit(1 if failed else 0)
PY
then
    ok "native fleet: histogram_quantile within one bucket (4.43%) of the exact merged quantile, count and sum exact, 3 shapes"
else
    echo "--- endpoint logs"; tail -n 3 "$tmp"/*0.log; echo "--- prometheus log"; tail -15 "$tmp/native-prometheus.log"
    bad "native fleet histogram_quantile"
fi
if python3 - "$NPROM_PORT" "$tmp/service.log" <<'PY'
import json, sys, time, urllib.parse, urllib.request
port, log = sys.argv[1], sys.argv[2]
def query(expr):
    q = urllib.parse.quote(expr)
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/query?query={q}", timeout=2) as r:
        return json.load(r)["data"]["result"]
deadline = time.time() + 60
sent = None
while time.time() < deadline and sent is None:
    try:
        sent = json.loads(open(log).readline())
    except Exception:
        time.sleep(0.5)
if sent is None:
    print("the service never printed what it sent"); sys.exit(1)
total = sum(sent["route"].values())
sel = 'perftrack_operation_duration_seconds{job="service",operation="http_request"}'
while time.time() < deadline:
    try:
        r = query(f"histogram_count(sum({sel}))")
        if r and float(r[0]["value"][1]) == total:
            break
    except Exception:
        pass
    time.sleep(1)
ok = True
for by in ["route", "status"]:
    got = {m["metric"][by]: float(m["value"][1]) for m in query(f"histogram_count(sum by ({by}) ({sel}))")}
    want = {k: float(v) for k, v in sent[by].items()}
    print(f"sum by ({by}): Prometheus {got}, sent {want}")
    ok &= got == want
bytes_ = {m["metric"]["route"]: float(m["value"][1]) for m in query('sum by (route) (http_response_bytes_total{job="service"})')}
print(f"response bytes by route: {bytes_}")
ok &= set(bytes_) == set(sent["route"]) and all(v > 0 for v in bytes_.values())
sys.exit(0 if ok else 1)
PY
then
    ok "a real service: Prometheus's counts by route and by status equal the requests sent, exactly"
else
    echo "--- service log"; tail -5 "$tmp/service.log" "$tmp/service.err"; echo "--- prometheus log"; tail -15 "$tmp/native-prometheus.log"
    bad "the axum service end to end"
fi
tally export
