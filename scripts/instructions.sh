#!/usr/bin/env bash
# Instructions per call of each row of the instrument bench (the bare fn,
# the limit, #[perftrack::measure], an op.time() guard, Timer::new -> record,
# and two Instant::now + a record by name), counted by callgrind, and each
# row's ratio to the limit's.
#
#   scripts/instructions.sh
#
# Each row runs alone twice (PERFTRACK_ONLY, see benches/instrument.rs),
# CALLS_LO and CALLS_HI calls (default 10^4 and 10^5); a call's count is the
# difference over the difference in calls, so the process's start, exit
# and first calls drop out. The count moves by less than one instruction
# from run to run, so it shows a change of a few instructions that a timed
# run on a noisy host cannot; it does not weigh instructions (an rdtsc
# counts as one), so speed is still read from the timed instrument bench
# (docs/BENCHMARKS.md). Needs valgrind (installed with apt-get when missing
# and possible; SKIPPED otherwise).
set -euo pipefail
cd "$(dirname "$0")/.."
lo=${CALLS_LO:-10000} hi=${CALLS_HI:-100000}
[[ "$lo" =~ ^[0-9]+$ && "$hi" =~ ^[0-9]+$ ]] && [ "$hi" -gt "$lo" ] \
    || { echo "scripts/instructions.sh: CALLS_LO ($lo) and CALLS_HI ($hi) must be counts, CALLS_HI the larger" >&2; exit 2; }
if ! command -v valgrind >/dev/null; then
    if command -v apt-get >/dev/null && [ "$(id -u)" = 0 ]; then
        { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq valgrind; } >/dev/null 2>&1 || true
    fi
    command -v valgrind >/dev/null || { echo "SKIPPED: instruction counts (valgrind not installed, and apt-get could not install it)"; exit 0; }
fi
bin=$(cargo bench -p perftrack-bench --bench instrument --no-run 2>&1 | sed -n 's/.*Executable .*(\(.*\))$/\1/p' | tail -1)
[ -x "$bin" ] || { echo "scripts/instructions.sh: could not build the instrument bench" >&2; exit 1; }
mapfile -t rows < <(PERFTRACK_ONLY=list "$bin")

# Total instructions of one run of row $1, $2 calls (callgrind's "I refs").
refs() {
    PERFTRACK_ONLY=$1 PERFTRACK_CALLS=$2 valgrind --tool=callgrind --callgrind-out-file=/dev/null "$bin" 2>&1 \
        | sed -n 's/.*I *refs: *\([0-9,]*\).*/\1/p' | tr -d ,
}
per=()
for i in "${!rows[@]}"; do
    a=$(refs "$i" "$lo") b=$(refs "$i" "$hi")
    [ -n "$a" ] && [ -n "$b" ] || { echo "scripts/instructions.sh: no count from callgrind for '${rows[$i]}'" >&2; exit 1; }
    per[i]=$(awk -v a="$a" -v b="$b" -v n=$((hi - lo)) 'BEGIN { printf "%.1f", (b - a) / n }')
done
echo "# $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1); $(rustc --version); $(date -u +%F)"
echo "# instructions per call: (run of $hi calls - run of $lo calls) / $((hi - lo)), by callgrind"
echo "| row | instructions per call | × limit |"
echo "|---|---:|---:|"
for i in "${!rows[@]}"; do
    printf '| %s | %s | %s |\n' "${rows[$i]}" "${per[$i]}" "$(awk -v p="${per[$i]}" -v l="${per[1]}" 'BEGIN { printf "%.2f", p / l }')"
done
