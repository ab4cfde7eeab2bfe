#!/usr/bin/env bash
# The flamegraph example end to end: it runs, inferno draws its SVG, a
# headless Chromium renders that SVG to a PNG, and scripts/flamegraph_check.py
# checks the PNG is drawn and each child frame's width matches its share of
# its parent's time (within 5%). flamegraph.pl, where installed (on PATH or
# FLAMEGRAPH_PL=path), must accept the same folded file.
#
# Prints PASS/FAIL/SKIPPED lines; leaves its tally in target/flamegraph-tally.
set -uo pipefail
source "$(dirname "$0")/lib.sh"
out="$ROOT/target/flamegraph"
rm -rf "$out" && mkdir -p "$out" && cd "$out"

if cargo run --quiet --release --example flamegraph --features flamegraph -- flamegraph.svg >report.txt 2>err.txt \
    && grep -q '^Call tree' report.txt && grep -q '<svg' flamegraph.svg; then
    ok "example flamegraph: report with its call tree, flamegraph.folded, flamegraph.svg (inferno)"
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

browser=$(command -v chromium || command -v chromium-browser || command -v google-chrome || true)
if [ -z "$browser" ]; then
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; } >/dev/null 2>&1 || true
    browser=$(command -v chromium || true)
fi
if [ -z "$browser" ]; then
    skip "flamegraph rendered in headless Chromium" "chromium not installed and apt-get install failed"
    tally flamegraph; exit
fi
height=$(sed -n 's/.*<svg [^>]*height="\([0-9]*\)".*/\1/p' flamegraph.svg | head -1)
timeout 120 "$browser" --headless --no-sandbox --disable-gpu --hide-scrollbars --screenshot="$out/flamegraph.png" \
    --window-size="1200,${height:-400}" "file://$out/flamegraph.svg" >chromium.log 2>&1
if [ -s flamegraph.png ] && python3 "$ROOT/scripts/flamegraph_check.py" flamegraph.svg flamegraph.png report.txt; then
    ok "flamegraph rendered in headless Chromium: the PNG is drawn, child widths within 5% of their time shares"
else
    tail -5 chromium.log; bad "flamegraph rendered in headless Chromium"
fi
tally flamegraph
