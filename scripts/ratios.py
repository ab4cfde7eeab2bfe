"""Prints criterion medians per group, with ratios to the group's cheapest peer.

A peer (or baseline) is any benchmark whose name does not start with "perftrack",
"AtomicU64" or "Timer": those are perftrack itself and a bare reference point.
"""
import glob
import json
import os
import sys

root = sys.argv[1] if len(sys.argv) > 1 else "target/criterion"
groups = {}
for bench in glob.glob(os.path.join(root, "*", "*", "new", "benchmark.json")):
    with open(bench) as f:
        meta = json.load(f)
    with open(os.path.join(os.path.dirname(bench), "estimates.json")) as f:
        est = json.load(f)
    groups.setdefault(meta["group_id"], []).append((meta["function_id"], est["median"]["point_estimate"]))

REFERENCE = ("perftrack", "AtomicU64", "Timer")
for group, rows in sorted(groups.items()):
    rows.sort(key=lambda r: r[1])
    peers = [t for name, t in rows if not name.startswith(REFERENCE)]
    base = min(peers) if peers else rows[0][1]
    label = "cheapest peer/baseline" if peers else "fastest"
    print(f"\n### {group}\n")
    print(f"| benchmark | median ns | × {label} |")
    print("|---|---:|---:|")
    for name, t in rows:
        print(f"| {name} | {t:.2f} | {t / base:.2f} |")
