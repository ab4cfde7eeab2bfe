#!/usr/bin/env bash
# The flamegraph example end to end: it runs, inferno draws its two SVGs (by
# wall time and by time on a thread), a headless Chromium renders each to a
# PNG, and scripts/flamegraph_check.py checks that each PNG is drawn; that in
# the wall-time graph each child frame's width matches its share of its
# parent's time in the report (within 5%); and that in the busy graph each
# frame's width matches its busy time, the waiting async calls shrink to
# less than half their wall-time width, and tooltips read in µs, ms or s.
# flamegraph.pl, where installed (on PATH or FLAMEGRAPH_PL=path), must accept
# the same folded file.
#
# Prints PASS/FAIL/SKIPPED lines; leaves its tally in target/flamegraph-tally.
set -uo pipefail
source "$(dirname "$0")/lib.sh"
out="$ROOT/target/flamegraph"
rm -rf "$out" && mkdir -p "$out" && cd "$out"

if cargo run --quiet --release --example flamegraph --features flamegraph -- flamegraph.svg flamegraph-busy.svg \
        >report.txt 2>err.txt \
    && grep -q '^Call tree' report.txt && grep -q '<svg' flamegraph.svg && grep -q '<svg' flamegraph-busy.svg; then
    ok "example flamegraph: report with its call tree, the folded stacks and both SVGs, wall and busy (inferno)"
else
    cat err.txt report.txt; bad "example flamegraph"; tally flamegraph; exit
fi

pl=${FLAMEGRAPH_PL:-$(command -v flamegraph.pl || true)}
if [ -n "$pl" ] && [ -f "$pl" ]; then
    if perl "$pl" --countname ns flamegraph.folded >pl.svg 2>pl.err && grep -q '<title>tokenize' pl.svg; then
        ok "flamegraph.pl accepts the folded stacks"
    else
        cat pl.err; bad "flamegraph.pl on the folded stacks"
    fi
else
    skip "flamegraph.pl on the folded stacks" "flamegraph.pl not installed: Debian has no package for it; set FLAMEGRAPH_PL"
fi

browser=$(find_browser)
if [ -z "$browser" ]; then
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; } >/dev/null 2>&1 || true
    browser=$(command -v chromium || true)
fi
if [ -z "$browser" ]; then
    skip "flamegraph rendered in headless Chromium" "chromium not installed and apt-get install failed"
    tally flamegraph; exit
fi
render() { # SVG PNG
    local height
    height=$(sed -n 's/.*<svg [^>]*height="\([0-9]*\)".*/\1/p' "$1" | head -1)
    timeout 120 "$browser" --headless --no-sandbox --disable-gpu --hide-scrollbars --disable-background-networking \
        --screenshot="$out/$2" --window-size="1200,${height:-400}" "file://$out/$1" >>chromium.log 2>&1
    [ -s "$2" ]
}
if render flamegraph.svg flamegraph.png && python3 "$ROOT/scripts/flamegraph_check.py" flamegraph.svg flamegraph.png report.txt; then
    ok "flamegraph rendered in headless Chromium: the PNG is drawn, child widths within 5% of their time shares"
else
    tail -5 chromium.log; bad "flamegraph rendered in headless Chromium"
fi
if render flamegraph-busy.svg flamegraph-busy.png \
    && python3 "$ROOT/scripts/flamegraph_check.py" --busy flamegraph-busy.svg flamegraph-busy.png flamegraph-busy.folded flamegraph.svg; then
    ok "busy flamegraph rendered in headless Chromium: widths within 5% of busy time, the waiting calls shrunk, readable tooltips"
else
    tail -5 chromium.log; bad "busy flamegraph (Weight::Busy) rendered in headless Chromium"
fi
# PERFTRACK_OUT=svg=PATH: the flamegraph #[perftrack::main] writes at exit.
if PERFTRACK_OUT="svg=$out/exit.svg" cargo run --quiet --release --example measured --features flamegraph \
        >/dev/null 2>exit.err && grep -q '<title>handle' exit.svg && render exit.svg exit.png \
    && python3 "$ROOT/scripts/flamegraph_check.py" --png exit.png; then
    ok "PERFTRACK_OUT=svg: the flamegraph written at exit renders in headless Chromium"
else
    tail -5 exit.err; bad "PERFTRACK_OUT=svg: the flamegraph written at exit"
fi
# The timeline the example writes (flamegraph.trace.json): the 400
# concurrent async calls on 400 tracks of their own, and the trace drawn by
# speedscope in headless Chromium (tests/timeline.rs checks its structure).
if python3 - "$out/flamegraph.trace.json" <<'PY'
import json, sys
events = json.load(open(sys.argv[1]))["traceEvents"]
tracks = [e["args"]["name"] for e in events if e["ph"] == "M"]
serve = [t for t in tracks if t.startswith("serve (task ")]
spans = sum(1 for e in events if e["ph"] == "X")
print(f"{len(tracks)} tracks ({len(serve)} of them serve tasks), {spans} spans")
sys.exit(0 if len(serve) == 400 and len(set(serve)) == 400 else 1)
PY
then
    ok "timeline of the example: its 400 concurrent async calls on 400 tracks of their own"
else
    bad "timeline of the example: 400 task tracks"
fi
scripts_dir="$ROOT/scripts"
"$scripts_dir/speedscope_check.sh" "$out/flamegraph.trace.json" "$out/timeline.png"
case $? in
    0) ok "the example's trace opened in speedscope (npm package, served from disk) in headless Chromium: its flame chart drawn" ;;
    3) skip "the trace in speedscope" "npm or chromium could not be installed" ;;
    *) bad "the example's trace in speedscope in headless Chromium" ;;
esac
# PERFTRACK_OUT=trace=PATH: #[perftrack::main] turns the timeline on and
# writes it at exit, with no other line in the program.
if PERFTRACK_OUT="trace=$out/exit-trace.json" cargo run --quiet --release --example measured \
        >/dev/null 2>exit-trace.err \
    && python3 -c 'import json, sys
e = json.load(open(sys.argv[1]))["traceEvents"]
names = {x["name"] for x in e if x["ph"] == "X"}
print("PERFTRACK_OUT=trace:", len(e), "events of", sorted(names))
sys.exit(0 if {"handle", "tokenize", "checksum", "format_request"} <= names else 1)' "$out/exit-trace.json"; then
    ok "PERFTRACK_OUT=trace: #[perftrack::main] records the timeline and writes it at exit"
else
    tail -5 exit-trace.err; bad "PERFTRACK_OUT=trace: the timeline written at exit"
fi
tally flamegraph
