#!/usr/bin/env bash
# no_std cross-builds of the library (--no-default-features).
#
# * thumbv7em-none-eabihf (Cortex-M4F): has 32-bit CAS, no 64-bit atomics;
#   builds plainly (portable-atomic's spin-lock fallback gives the 64-bit
#   atomics), and with unsafe-assume-single-core (interrupt-safe ones).
# * thumbv6m-none-eabi (Cortex-M0) and riscv32imc-unknown-none-elf: no CAS at
#   all. A plain build must FAIL with portable-atomic's clear message (its
#   `require-cas` feature); with a pass-through feature of perftrack's, or
#   with portable-atomic's own feature enabled directly (as its docs tell a
#   final binary to), it builds.
# Each is also built with `defmt`. Leaves its tally in target/cross-tally.
set -uo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
build() { cargo build --quiet --lib --no-default-features --target "$@"; }

for target in thumbv6m-none-eabi thumbv7em-none-eabihf riscv32imc-unknown-none-elf; do
    echo "==> no_std: $target"
    if ! { rustup target list --installed | grep -qx "$target" || rustup target add "$target" >/dev/null 2>&1; }; then
        skip "$target" "rustup target add $target failed"; continue
    fi
    case $target in
        thumbv7em-none-eabihf)
            if build "$target"; then ok "$target plain"; else bad "$target plain"; fi
            if build "$target" --features defmt; then ok "$target defmt"; else bad "$target defmt"; fi
            # What a Cortex-M4 that records from interrupts needs (README, "Feature flags").
            if build "$target" --features unsafe-assume-single-core; then ok "$target +unsafe-assume-single-core"; else bad "$target +unsafe-assume-single-core"; fi
            ;;
        *)
            if out=$(build "$target" 2>&1); then
                bad "$target plain should fail without a CAS choice, but built"
            elif grep -q "dependents require atomic CAS but not available on this target" <<<"$out"; then
                ok "$target plain fails with portable-atomic's require-cas message"
            else
                echo "$out" | tail -20; bad "$target plain failed for another reason"
            fi
            for feat in unsafe-assume-single-core critical-section "unsafe-assume-single-core,defmt" \
                portable-atomic/unsafe-assume-single-core portable-atomic/critical-section; do
                if build "$target" --features "$feat"; then ok "$target +$feat"; else bad "$target +$feat"; fi
            done
            ;;
    esac
done
tally cross
