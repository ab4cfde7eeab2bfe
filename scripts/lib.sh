# Shared by the sub-suites that scripts/test.sh runs (cross.sh, firmware.sh,
# export.sh): PASS/FAIL/SKIPPED lines, and a tally file test.sh folds into
# its own count. Source it; it defines ROOT, the repository root.
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
P=0 F=0 S=0
ok() { P=$((P + 1)); echo "PASS: $1"; }
bad() { F=$((F + 1)); echo "FAIL: $1"; }
skip() { S=$((S + 1)); echo "SKIPPED: $1 ($2)"; }
# The headless browser the rendering checks use, or nothing.
find_browser() { command -v chromium || command -v chromium-browser || command -v google-chrome || true; }
# tally NAME: writes "passed failed skipped" to target/NAME-tally, prints the
# count, and returns non-zero if anything failed.
tally() {
    mkdir -p "$ROOT/target"
    echo "$P $F $S" > "$ROOT/target/$1-tally"
    echo "$1: $P passed, $F failed, $S skipped"
    [ "$F" = 0 ]
}
