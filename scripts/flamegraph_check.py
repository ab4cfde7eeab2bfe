#!/usr/bin/env python3
"""Checks the example's flamegraph as a browser drew it.

    flamegraph_check.py SVG PNG REPORT
    flamegraph_check.py --busy SVG PNG FOLDED WALL_SVG
    flamegraph_check.py --png PNG

* PNG (headless Chromium's screenshot of SVG) is not blank: decoded here with
  zlib alone (no imaging library on a bare machine), it must have many
  non-white pixels and several colours.
* Each child frame's width in SVG, as a share of its parent frame's width,
  is within 5% of the child's share of the parent's time in the report's call
  tree (the tracker's own path totals, counted apart from the folded self
  times the SVG was drawn from).

With --busy, SVG is the flamegraph weighted by time on a thread:
* PNG is drawn, as above;
* each frame's width, as a share of the whole, is within 5% (or 0.5 points)
  of its path's share of the busy totals in FOLDED;
* the async `serve` frame is less than half as wide as in WALL_SVG, where its
  calls' waiting fills the width;
* tooltips give times in a readable unit, not a raw count of nanoseconds.
With --png, only that PNG is drawn (the SVG that #[perftrack::main] writes
at exit for PERFTRACK_OUT=svg=PATH).
Prints one line per check; exits 1 on the first failure.
"""
import re
import struct
import sys
import zlib


def png_pixels(path):
    data = open(path, "rb").read()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat, w = 8, b"", None
    while pos < len(data):
        (n,), kind = struct.unpack(">I", data[pos:pos + 4]), data[pos + 4:pos + 8]
        body = data[pos + 8:pos + 8 + n]
        if kind == b"IHDR":
            w, h, depth, color = struct.unpack(">IIBB", body[:10])
            assert depth == 8 and color in (2, 6), f"unexpected PNG format: depth {depth}, colour type {color}"
            bpp = 3 if color == 2 else 4
        elif kind == b"IDAT":
            idat += body
        pos += 12 + n
    raw, stride = zlib.decompress(idat), w * bpp
    rows, prev = [], bytearray(stride)
    for y in range(h):
        f, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b, c = prev[i], prev[i - bpp] if i >= bpp else 0
            if f == 1:
                line[i] = (line[i] + a) & 255
            elif f == 2:
                line[i] = (line[i] + b) & 255
            elif f == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(bytes(line))
        prev = line
    return w, h, bpp, rows


def fail(msg):
    print(f"FAIL: {msg}")
    sys.exit(1)


def check_png(png_path):
    w, h, bpp, rows = png_pixels(png_path)
    pixels = [r[i:i + 3] for r in rows for i in range(0, len(r), bpp)]
    colours = set(pixels)
    # The frames are saturated colours (a channel under 120); inferno's
    # background gradient never goes below 176 in any channel.
    ink = sum(1 for p in pixels if min(p) < 120)
    share = ink / len(pixels)
    if len(colours) < 8 or share < 0.10:
        fail(f"the PNG looks blank: {len(colours)} colours, {share:.1%} of {w}x{h} pixels inked")
    print(f"ok: PNG {w}x{h} is drawn: {len(colours)} colours, {share:.1%} of pixels inked")


def frame_widths(svg):
    """Each frame's width in percent of the graph, by its name."""
    return {m.group(1): float(m.group(2)) for m in
            re.finditer(r'<title>([^ <]+) \([^)]*\)</title><rect x="[0-9.]+%" y="[0-9.]+" width="([0-9.]+)%"', svg)}


def main(svg_path, png_path, report_path):
    check_png(png_path)
    svg = open(svg_path).read()
    frames = frame_widths(svg)
    totals, stack = {}, []
    units = {"ns": 1, "µs": 1e3, "ms": 1e6, "s": 1e9}
    lines = open(report_path).read().splitlines()
    tree = lines[next(i for i, l in enumerate(lines) if l.startswith("Call tree")) + 2:]
    for line in tree:
        if not line.strip() or line.startswith("("):
            break
        depth = (len(line) - len(line.lstrip())) // 2
        f = line.split()
        name, total = f[0], float(f[2]) * units[f[3]]
        del stack[depth:]
        totals[name] = (total, stack[-1] if stack else None)
        stack.append(name)
    checked = 0
    for name, (total, parent) in totals.items():
        if parent is None:
            continue
        if name not in frames or parent not in frames:
            fail(f"frame {name} or {parent} missing from the SVG")
        want = total / totals[parent][0]
        got = frames[name] / frames[parent]
        if abs(got - want) > 0.05 * want:
            fail(f"{name}: {got:.3f} of {parent}'s width in the SVG, {want:.3f} of its time in the report")
        print(f"ok: {name} is {got:.3f} of {parent}'s width, {want:.3f} of its time")
        checked += 1
    if checked < 3:
        fail(f"only {checked} child frames checked")


def busy(svg_path, png_path, folded_path, wall_svg_path):
    check_png(png_path)
    svg = open(svg_path).read()
    frames = frame_widths(svg)
    totals = {}
    for line in open(folded_path).read().splitlines():
        path, count = line.rsplit(" ", 1)
        parts = path.split(";")
        for depth in range(1, len(parts) + 1):
            totals[";".join(parts[:depth])] = totals.get(";".join(parts[:depth]), 0) + int(count)
    whole = sum(c for p, c in totals.items() if ";" not in p)
    checked = 0
    for path, total in totals.items():
        name = path.split(";")[-1]
        if name not in frames:
            fail(f"frame {name} missing from the busy SVG")
        want, got = 100.0 * total / whole, frames[name]
        if abs(got - want) > max(0.05 * want, 0.5):
            fail(f"{name}: {got:.2f}% of the busy SVG's width, {want:.2f}% of the busy time")
        print(f"ok: {name} is {got:.2f}% of the busy SVG's width, {want:.2f}% of the busy time")
        checked += 1
    if checked < 5:
        fail(f"only {checked} frames checked")
    wall = frame_widths(open(wall_svg_path).read())
    if not ("serve" in wall and frames["serve"] < wall["serve"] / 2):
        fail(f"serve is {frames['serve']:.2f}% wide by busy time and {wall.get('serve')}% by wall time: "
             "the waiting was not left out")
    print(f"ok: serve is {frames['serve']:.2f}% wide by busy time, {wall['serve']:.2f}% by wall time")
    raw = re.findall(r"\(\d{1,3}(?:,\d{3})+ ns, ", svg)
    if raw or not re.search(r"<title>[^<]* \([0-9.]+ (?:µs|ms|s), [0-9.]+%\)</title>", svg):
        fail(f"tooltips are not in readable units: {raw[:3]}")
    print("ok: tooltips read in µs, ms or s")


if __name__ == "__main__":
    if sys.argv[1] == "--busy":
        busy(*sys.argv[2:6])
    elif sys.argv[1] == "--png":
        check_png(sys.argv[2])
    else:
        main(*sys.argv[1:4])
