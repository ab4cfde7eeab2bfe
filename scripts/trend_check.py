#!/usr/bin/env python3
"""Checks `perftrack trend`'s chart as headless Chromium drew it.

    trend_check.py PNG
    trend_check.py --speedscope PNG speedscope showing a profile: its flame
                                    chart band (rows 40 to 120) mostly drawn,
                                    in many colours (its welcome page is white
                                    there)

The PNG must show the chart: some of it inked, and each of its three
colours drawn: the p50 line (blue), the p99 line (orange) and a change
point's dashed line (red). Decoded with zlib alone (flamegraph_check.py's
decoder). Exits 1 with the reason otherwise.
"""
import sys

from flamegraph_check import png_pixels

COLOURS = {"p50 line (blue)": (31, 119, 180), "p99 line (orange)": (255, 127, 14), "change point (red)": (214, 39, 40)}


def speedscope(path):
    w, h, bpp, rows = png_pixels(path)
    band = rows[40:120]
    inked, colours = 0, set()
    for row in band:
        for x in range(w):
            px = tuple(row[x * bpp:x * bpp + 3])
            if min(px) < 245:
                inked += 1
                colours.add(px)
    share = inked / (w * len(band))
    print(f"{path}: {w}x{h}; the flame chart band is {share:.0%} drawn, in {len(colours)} colours")
    if share < 0.3 or len(colours) < 20:
        sys.exit("speedscope shows no profile (its welcome page, or an error)")


def main(path):
    w, h, bpp, rows = png_pixels(path)
    inked, seen = 0, {name: 0 for name in COLOURS}
    for row in rows:
        for x in range(w):
            r, g, b = row[x * bpp:x * bpp + 3]
            if r < 240 or g < 240 or b < 240:
                inked += 1
            for name, (cr, cg, cb) in COLOURS.items():
                if abs(r - cr) + abs(g - cg) + abs(b - cb) < 60:
                    seen[name] += 1
    share = inked / (w * h)
    print(f"trend chart {w}x{h}: {share:.1%} of pixels inked; " + ", ".join(f"{k}: {v} px" for k, v in seen.items()))
    if share < 0.01:
        sys.exit("the chart looks blank")
    missing = [k for k, v in seen.items() if v < 20]
    if missing:
        sys.exit(f"not drawn: {', '.join(missing)}")


if __name__ == "__main__":
    if sys.argv[1] == "--speedscope":
        speedscope(sys.argv[2])
    else:
        main(sys.argv[1])
