#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""bench/plot.py RUN-OUTPUT SVG: the latency distributions of a benchmark
run (its "latency PATH FIGURE NS" lines) as cumulative distributions, one
panel per figure, every path in each."""
import sys

import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

TITLES = {"P1": "sequential handshakes", "P2": "at concurrency 64"}
PATHS = (("kernel", "-", "kernel path (handshake.ko + handshaked)"),
         ("baseline", "--", "baseline (GnuTLS in user space)"),
         ("baseline-ktls", ":", "baseline+kTLS (GnuTLS, then kTLS TX and RX)"))


def main():
    src, dst = sys.argv[1:3]
    lat = {}
    for line in open(src):
        if line.startswith("latency "):
            _, path, fig, ns = line.split()
            lat.setdefault(fig, {}).setdefault(path, []).append(int(ns) / 1e3)
    if not lat:
        sys.exit("plot: no latency lines in " + src)
    figs = sorted(lat)
    fig, axes = plt.subplots(1, len(figs), figsize=(6 * len(figs), 4), squeeze=False)
    for ax, name in zip(axes[0], figs):
        for path, style, label in PATHS:
            xs = sorted(lat[name].get(path, []))
            if xs:
                ys = [(i + 1) / len(xs) for i in range(len(xs))]
                ax.step([x / 1e3 for x in xs], ys, style, where="post",
                        label="%s, n=%d" % (label, len(xs)))
        ax.set_title("%s: %s" % (name, TITLES.get(name, "")))
        ax.set_xlabel("handshake latency (ms)")
        ax.set_ylabel("fraction of handshakes")
        ax.grid(True, alpha=0.3)
        ax.legend(loc="lower right", fontsize="small")
    fig.tight_layout()
    fig.savefig(dst)


if __name__ == "__main__":
    main()
