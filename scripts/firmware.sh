#!/usr/bin/env bash
# Builds the Cortex-M3 firmware in examples/cortex-m-qemu, runs it under QEMU
# (lm3s6965evb) with a 60 s bound, and checks its exit status and output.
# Then the defmt build: its log is decoded with defmt-print and checked.
# Also prints the footprint figures docs/GUIDE.md quotes.
#
# Prints PASS/FAIL/SKIPPED lines; leaves its tally in target/firmware-tally.
set -uo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT/examples/cortex-m-qemu"

QEMU=(qemu-system-arm -cpu cortex-m3 -machine lm3s6965evb -nographic -semihosting-config enable=on,target=native -kernel)
ELF=target/thumbv7m-none-eabi/release/perftrack-cortex-m-qemu

if ! { rustup target list --installed | grep -qx thumbv7m-none-eabi || rustup target add thumbv7m-none-eabi >/dev/null 2>&1; }; then
    skip "firmware under QEMU" "rustup target add thumbv7m-none-eabi failed"; tally firmware; exit
fi
if ! command -v qemu-system-arm >/dev/null; then
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq qemu-system-arm; } >/dev/null 2>&1 || true
fi

# ---------------------------------------------------------------- text firmware
if cargo build --quiet --release; then ok "firmware builds (thumbv7m-none-eabi)"; else bad "firmware builds"; tally firmware; exit; fi
if command -v qemu-system-arm >/dev/null; then
    out=$(timeout 60 "${QEMU[@]}" "$ELF" 2>&1); rc=$?
    echo "$out"
    if [ "$rc" = 0 ] && grep -q '^perftrack-firmware: OK' <<<"$out" && grep -q '^=== Performance Report ===$' <<<"$out" \
        && grep -q '^shared ' <<<"$out" && grep -q '^systick ' <<<"$out" && grep -q '^main_loop ' <<<"$out" \
        && grep -q '^frame;filter 500$' <<<"$out" && grep -q '^  filter ' <<<"$out"; then
        ok "firmware runs under QEMU: exit 0, report and call tree printed, exact totals and folded stacks asserted"
    else
        bad "firmware under QEMU (exit $rc, or expected lines missing)"
    fi
else
    skip "firmware under QEMU" "qemu-system-arm not installed and apt-get install failed"
fi

# ---------------------------------------------------------------- footprint figures
sysroot=$(rustc --print sysroot)
tools="$sysroot/lib/rustlib/$(rustc -vV | sed -n 's/^host: //p')/bin"
[ -x "$tools/llvm-size" ] || rustup component add llvm-tools >/dev/null 2>&1 || true
if [ -x "$tools/llvm-size" ]; then
    echo "footprint of the firmware ELF (llvm-size -A, release, opt-level=s, LTO):"
    "$tools/llvm-size" -A "$ELF" | grep -E '^\.(text|rodata|data|bss)\s' || true
    echo "record path (record_once wraps Operation::record, which inlines into OpSlot::record_as; sizes in hex bytes):"
    "$tools/llvm-nm" --print-size --size-sort -C "$ELF" \
        | grep -E ' record_once$| perftrack::record::slot::OpSlot.*::record_as| perftrack::record::aggregate::Aggregate::record' || true
    "$tools/llvm-nm" --print-size -C "$ELF" | grep -E 'TRACKER$' || true
else
    skip "ELF footprint figures" "llvm-tools component not available"
fi

# ---------------------------------------------------------------- defmt firmware
if cargo build --quiet --release --features defmt; then ok "defmt firmware builds"; else bad "defmt firmware builds"; tally firmware; exit; fi
DEFMT_PRINT=$(command -v defmt-print || echo "$ROOT/target/tools/bin/defmt-print")
if [ ! -x "$DEFMT_PRINT" ]; then
    cargo install --quiet --locked --root "$ROOT/target/tools" defmt-print >/dev/null 2>&1 || true
fi
if ! command -v qemu-system-arm >/dev/null; then
    skip "defmt log under QEMU" "qemu-system-arm not installed"
elif [ ! -x "$DEFMT_PRINT" ]; then
    skip "defmt log decoded by defmt-print" "cargo install defmt-print failed"
else
    raw=$(mktemp)
    timeout 60 "${QEMU[@]}" "$ELF" > "$raw"; rc=$?
    decoded=$("$DEFMT_PRINT" -e "$ELF" < "$raw" 2>&1)
    rm -f "$raw"
    echo "$decoded"
    if [ "$rc" = 0 ] && grep -q 'perftrack-firmware: OK' <<<"$decoded" && grep -q 'summary shared: count=' <<<"$decoded"; then
        ok "defmt firmware under QEMU, decoded by defmt-print"
    else
        bad "defmt firmware under QEMU (exit $rc, or decoded lines missing)"
    fi
fi
tally firmware
