#!/usr/bin/env bash
# Opens a Trace Event JSON file in speedscope (its npm package, served from
# disk) in headless Chromium, screenshots it, and checks that the picture is
# drawn: speedscope shows one thread or track at a time, and draws it with
# WebGL, which headless Chromium gives through SwiftShader.
#
#   scripts/speedscope_check.sh TRACE.json OUT.png
#
# Exit 0 drawn, 1 blank or failed, 3 a tool missing (npm, chromium): the
# caller prints SKIPPED for 3.
set -uo pipefail
source "$(dirname "$0")/lib.sh"
trace=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
png=$2
tools="$ROOT/target/tools"
mkdir -p "$tools"
page="$tools/speedscope/package/dist/release/index.html"
if [ ! -f "$page" ]; then
    command -v npm >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq npm; } >/dev/null 2>&1
    command -v npm >/dev/null || { echo "npm is not installed"; exit 3; }
    rm -rf "$tools/speedscope" && mkdir -p "$tools/speedscope"
    (cd "$tools/speedscope" && npm pack --silent speedscope@1 >/dev/null 2>&1 && tar xzf speedscope-*.tgz) \
        || { echo "npm pack speedscope failed"; exit 3; }
fi
browser=$(find_browser)
[ -n "$browser" ] || { echo "chromium is not installed"; exit 3; }
# speedscope reads the profile from a URL; a page from file:// waits for
# ever on a file:// fetch in headless Chromium, so both are served from
# disk over HTTP on the loopback, by Python's http.server.
dir=$(dirname "$page")
name="perftrack-trace-$$.json"
cp "$trace" "$dir/$name"
(cd "$dir" && exec python3 -m http.server 0 --bind 127.0.0.1) >"$png.http" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null; rm -f "$dir/$name"' EXIT
port=""
for _ in $(seq 50); do
    port=$(sed -n 's/.*port \([0-9]*\).*/\1/p' "$png.http" | head -1)
    [ -n "$port" ] && break
    sleep 0.1
done
[ -n "$port" ] || { echo "the local HTTP server did not start"; cat "$png.http"; exit 1; }
url="http://127.0.0.1:$port/index.html#profileURL=http://127.0.0.1:$port/$name&title=perftrack"
timeout 120 "$browser" --headless --no-sandbox --enable-unsafe-swiftshader --hide-scrollbars \
    --disable-background-networking --window-size=1200,700 --virtual-time-budget=10000 --screenshot="$png" "$url" \
    >"$png.log" 2>&1
[ -s "$png" ] || { tail -5 "$png.log"; exit 1; }
grep -q "GET /$name" "$png.http" || { echo "speedscope never fetched the trace"; exit 1; }
python3 "$ROOT/scripts/trend_check.py" --speedscope "$png"
