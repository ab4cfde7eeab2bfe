#!/usr/bin/env bash
# The verdict study on real runs: `examples/diff_workload` (four
# instrumented functions) built once, run many times through `perftrack ab`
# (interleaved, RUNS a side), and each pair of files compared by `perftrack
# diff`. Three kinds of comparison, COMPARISONS of each:
#
#   A/A     the same binary on both sides;
#   A/B     the head's `sort` 25% slower (PERFTRACK_WORKLOAD_SLOW=sort);
#   A/A'    a second build of the same source as the head (full study only).
#
# and, from each A/B pair of files, the one-run-a-side diff (`--last 1`).
# Prints the tallies against the targets (docs/BENCHMARKS.md, "Verdicts over
# real runs") and the run-to-run spread of each function's p50 and mean.
#
#   scripts/diff_study.sh [COMPARISONS [RUNS]]   the full study (default 100, 5)
#   scripts/diff_study.sh --check                the test command's version: 30
#                                                comparisons of A/A and A/B, asserted
#
# Prints PASS/FAIL lines; leaves its tally in target/diff-study-tally.
set -uo pipefail
source "$(dirname "$0")/lib.sh"
CHECK=0
if [ "${1:-}" = "--check" ]; then CHECK=1; shift; fi
N=${1:-$([ "$CHECK" = 1 ] && echo 30 || echo 100)}
RUNS=${2:-5}
out="$ROOT/target/diff-study"
rm -rf "$out/work" && mkdir -p "$out/work"
cd "$ROOT"

if ! cargo build --quiet --release --example diff_workload --features serde \
    || ! cargo build --quiet --release -p perftrack-cli; then
    bad "diff study: the workload and the perftrack command build"; tally diff-study; exit
fi
cp target/release/examples/diff_workload "$out/bin1"
PT="$ROOT/target/release/perftrack"
BIN1="$out/bin1"
KINDS="aa ab"
if [ "$CHECK" = 0 ]; then
    # A second build of the same source, from a target directory of its own.
    CARGO_TARGET_DIR="$out/build2" cargo build --quiet --release --example diff_workload --features serde \
        && cp "$out/build2/release/examples/diff_workload" "$out/bin2" && KINDS="aa ab aa2"
fi
head_of() {
    case $1 in
        aa) echo "$BIN1 2>/dev/null" ;;
        ab) echo "PERFTRACK_WORKLOAD_SLOW=sort $BIN1 2>/dev/null" ;;
        aa2) echo "$out/bin2 2>/dev/null" ;;
    esac
}
t0=$SECONDS
for i in $(seq 1 "$N"); do
    for kind in $KINDS; do
        w="$out/work/$kind-$i"
        "$PT" ab -n "$RUNS" --base "$BIN1 2>/dev/null" --head "$(head_of "$kind")" \
            --base-out "$w.base.jsonl" --head-out "$w.head.jsonl" 2>/dev/null || { echo "ab failed: $kind $i"; continue; }
        "$PT" diff "$w.base.jsonl" "$w.head.jsonl" --format json >"$w.diff.json"
        echo $? >"$w.rc"
        if [ "$kind" = ab ]; then
            "$PT" diff "$w.base.jsonl" "$w.head.jsonl" --last 1 --format json >"$w.one.json"
            echo $? >"$w.one.rc"
        fi
    done
done
echo "diff study: $N comparisons of each of: $KINDS; $RUNS runs a side; $((SECONDS - t0)) s of runs"
python3 - "$out/work" "$N" "$KINDS" "$CHECK" <<'PY'
import json, os, statistics, sys
work, n, kinds, check = sys.argv[1], int(sys.argv[2]), sys.argv[3].split(), sys.argv[4] == "1"
def load(kind, i, what="diff"):
    p = f"{work}/{kind}-{i}.{what}.json"
    rc = f"{work}/{kind}-{i}.{'rc' if what == 'diff' else 'one.rc'}"
    if not os.path.exists(p) or os.path.getsize(p) == 0:
        return None, None
    return json.load(open(p)), int(open(rc).read())
def verdicts(d):
    return {o["name"]: o["verdict"] for o in d["operations"]}
lines, ok = [], True
# The check asserts 25 of 30 where the full study's target is 95 of 100: a
# tool that meets 95% fails 25 of 30 by chance in 0.3% of checks (9% for 9
# of 10, which failed real CI runs), and one that fell to 60% passes in
# 0.6%.
needed = 25 / 30 if check else 0.95
def target(name, hits, total, need):
    global ok
    share = hits / total if total else 0.0
    met = total > 0 and share >= need
    ok &= met
    lines.append(f"{'PASS' if met else 'FAIL'}: {name}: {hits} of {total} ({share:.0%}; target >= {need:.0%})")
for kind in kinds:
    rows = [load(kind, i) for i in range(1, n + 1)]
    rows = [r for r in rows if r[0] is not None]
    if kind in ("aa", "aa2"):
        clean = sum(1 for d, rc in rows if rc == 0 and "Regressed" not in verdicts(d).values())
        inconclusive = sum(1 for d, rc in rows if "Inconclusive" in verdicts(d).values())
        label = "A/A, one binary" if kind == "aa" else "A/A', a second build of the same source"
        target(f"{label}: no operation regressed and exit 0", clean, len(rows), needed)
        lines.append(f"      ({inconclusive} of {len(rows)} had an inconclusive operation)")
    else:
        caught = sum(1 for d, rc in rows if verdicts(d).get("sort") == "Regressed" and rc == 1)
        others = sum(1 for d, rc in rows if all(v != "Regressed" for k, v in verdicts(d).items() if k != "sort"))
        target("A/B, sort 25% slower: sort regressed (exit 1)", caught, len(rows), needed)
        target("A/B: no other function regressed", others, len(rows), needed)
        ones = [load(kind, i, "one") for i in range(1, n + 1)]
        ones = [r for r in ones if r[0] is not None]
        never = sum(1 for d, rc in ones if rc == 0 and "Regressed" not in verdicts(d).values())
        target("one run a side (--last 1 of each A/B): never regressed", never, len(ones), 1.0)
# The run-to-run spread, from the A/A files' base runs: each function's
# p50 and mean, coefficient of variation within each file's runs, median.
spread = {}
for i in range(1, n + 1):
    p = f"{work}/aa-{i}.base.jsonl"
    if not os.path.exists(p):
        continue
    per = {}
    for line in open(p):
        s = json.loads(line)
        for m in s["summaries"]:
            per.setdefault(m["name"], {"p50": [], "mean": []})
            per[m["name"]]["p50"].append(m["p50_ns"])
            per[m["name"]]["mean"].append(m["total_duration_ns"] / m["count"])
    for name, figs in per.items():
        for fig, v in figs.items():
            if len(v) > 1:
                spread.setdefault((name, fig), []).append(statistics.stdev(v) / statistics.mean(v))
lines.append("run-to-run spread within a side (coefficient of variation, median over files):")
for (name, fig), cvs in sorted(spread.items()):
    lines.append(f"      {name:<6} {fig:<4} {statistics.median(cvs):.1%}  (max {max(cvs):.1%})")
print("\n".join(lines))
sys.exit(0 if ok else 1)
PY
rc=$?
if [ "$rc" = 0 ]; then ok "diff study on real runs: every target met"; else bad "diff study on real runs"; fi

# perftrack trend over the study's runs: the A/A base runs, then the A/B
# head runs (sort 25% slower), so that sort's p50 steps where they meet.
# The planted step must be found within two runs of where it was planted,
# as a rise of at least half its 25%. The machine drifts too, and the tool is
# right to find a real level shift: one that moves every function (a +9%
# shift of all four was found in a real series) or one function alone (a
# -8% shift of sort's alone was found in another). So a change point of
# sort's other than the planted one passes where a control function (parse,
# hash, index: no step planted) has one within two runs, or where it is
# under half the planted step; one of at least half its size that the
# controls lack fails the check, and so does a planted step not found.
series="$out/work/trend.jsonl"
cat "$out"/work/aa-*.base.jsonl >"$series"
before=$("$PT" trend "$series" --op hash | head -1 | cut -d' ' -f1)
cat "$out"/work/ab-*.head.jsonl >>"$series"
"$PT" trend "$series" >"$out/trend-all.txt" || true
if "$PT" trend "$series" --op sort --svg "$out/trend.svg" >"$out/trend.txt" \
    && python3 - "$out" "$before" <<'PY'
import re, sys
out, step = sys.argv[1], int(sys.argv[2]) + 1
# Each change point of the p50 row: its run and its step in percent.
def p50_steps(text):
    p50 = text.split("  p50", 1)[1].split("  p99", 1)[0] if "  p50" in text else ""
    return [(int(r), float(pc)) for r, pc in re.findall(r"change at run (\d+): .*?\(([-+][\d.]+)%", p50)]
def p50_changes(text):
    return [r for r, _ in p50_steps(text)]
# Every operation's section of the all-operations trend: its name on a
# line of its own, then its indented rows.
sections, op = {}, None
for line in open(f"{out}/trend-all.txt").read().split("\n")[1:]:
    if line and not line.startswith(" "):
        op = line.strip()
    elif op:
        sections[op] = sections.get(op, "") + line + "\n"
text = open(f"{out}/trend.txt").read()
steps = p50_steps(text)
controls = {op: p50_changes(sections.get(op, "")) for op in ("parse", "hash", "index")}
print(text)
near = lambda a, b: abs(a - b) <= 2
# Half the planted 25%: a step this large is the size of what was planted.
half = 12.5
planted = [r for r, pc in steps if near(r, step) and pc >= half]
others = [(r, pc) for r, pc in steps if not near(r, step)]
shared = lambda r: any(near(r, c) for cs in controls.values() for c in cs)
unexplained = [(r, pc) for r, pc in others if not shared(r) and abs(pc) >= half]
print(f"sort's p50 steps at run {step}; sort's change points: {steps}; the controls': {controls}")
for r, pc in others:
    why = ("also a control function's (the machine drifted)" if shared(r)
           else "under half the planted step (drift of sort's alone)" if abs(pc) < half
           else "at least half the planted step, and the controls lack it")
    print(f"sort's other change point at run {r} ({pc:+.1f}%): {why}")
missing = [op for op in controls if op not in sections]
if missing:
    print(f"no trend section for the controls {missing}")
sys.exit(0 if len(planted) == 1 and not unexplained and not missing else 1)
PY
then
    ok "perftrack trend: sort's 25% step found at the run it was planted, and no other step of its size that the control functions lack"
else
    bad "perftrack trend: sort's planted step"
fi
browser=$(find_browser)
if [ -z "$browser" ]; then
    skip "trend chart rendered in headless Chromium" "chromium not installed"
elif grep -q 'class="change-point"' "$out/trend.svg" \
    && timeout 120 "$browser" --headless --no-sandbox --disable-gpu --hide-scrollbars --disable-background-networking \
        --screenshot="$out/trend.png" --window-size=960,300 "file://$out/trend.svg" >"$out/chromium.log" 2>&1 \
    && python3 "$ROOT/scripts/trend_check.py" "$out/trend.png"; then
    ok "trend chart (SVG) rendered in headless Chromium: drawn, with its change point marked"
else
    tail -5 "$out/chromium.log"; bad "trend chart rendered in headless Chromium"
fi
tally diff-study
