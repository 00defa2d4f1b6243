"""bench_scan.py -- `acar scan` over a directory of pickles against CPython's
pickletools.genops walking the same files (what pickletools-based scanners
do), and writes the "scan" section of BENCHMARKS.md.

    python3 bench/bench_scan.py --acar build/bench/release/acar [--out BENCHMARKS.md]

The directory: every JSON file of ../shared/bench-data/json loaded with
json.load and pickled at protocols 0, 2, 4 and 5, plus two files of objects
(300,000 naive datetimes at protocol 2; 200,000 OrderedDicts at protocol 4),
where every item is a global call for the scanner to classify.  Times are
the fastest of --repeat runs: one `acar scan DIR` process (its whole run,
start-up included) against one loop over the files in this process
(reading each file and exhausting genops over it).
"""

import argparse
import collections
import datetime
import json
import os
import pickle
import pickletools
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import report  # noqa: E402


def make_corpus(data_dir, out_dir):
    files = []
    for fn in sorted(os.listdir(data_dir)):
        if not fn.endswith(".json"):
            continue
        with open(os.path.join(data_dir, fn), encoding="utf-8") as f:
            v = json.load(f)
        for proto in (0, 2, 4, 5):
            path = os.path.join(out_dir, "%s.p%d.pickle" % (fn[:-5], proto))
            with open(path, "wb") as f:
                f.write(pickle.dumps(v, proto))
            files.append(path)
    base = datetime.datetime(2020, 1, 1)
    objects = [("datetimes.p2.pickle", [base + datetime.timedelta(seconds=i) for i in range(300000)], 2),
               ("ordereddicts.p4.pickle",
                [collections.OrderedDict([("a", i), ("b", str(i))]) for i in range(200000)], 4)]
    for name, v, proto in objects:
        path = os.path.join(out_dir, name)
        with open(path, "wb") as f:
            f.write(pickle.dumps(v, proto))
        files.append(path)
    return files


def best(fn, repeat):
    t = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        t.append(time.perf_counter() - t0)
    return min(t)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--acar", required=True, help="a Release build of the acar command")
    ap.add_argument("--data", default=os.path.join(HERE, "..", "..", "shared", "bench-data", "json"))
    ap.add_argument("--out", default=os.path.join(HERE, "..", "BENCHMARKS.md"), help="- for none")
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="acar-bench-scan-") as d:
        files = make_corpus(args.data, d)
        total = sum(os.path.getsize(f) for f in files)

        def acar_dir():
            p = subprocess.run([args.acar, "scan", d], capture_output=True)
            if p.returncode not in (0, 1):
                raise SystemExit("acar scan failed: %s" % p.stderr.decode()[-300:])

        def genops_dir():
            for f in files:
                with open(f, "rb") as fh:
                    for _ in pickletools.genops(fh.read()):
                        pass

        def per_file(f):
            with open(f, "rb") as fh:
                data = fh.read()
            ta = best(lambda: subprocess.run([args.acar, "scan", f], capture_output=True), args.repeat)
            tg = best(lambda: [None for _ in pickletools.genops(data)], max(1, args.repeat // 2))
            return ta, tg

        verdicts = subprocess.run([args.acar, "scan", d], capture_output=True).stdout.decode().splitlines()
        unsafe = [v for v in verdicts if not v.endswith(": safe")]
        ta = best(acar_dir, args.repeat)
        tg = best(genops_dir, max(1, args.repeat // 2))
        rows = []
        for name in ("citm_catalog.p4.pickle", "twitter.p0.pickle", "canada.p2.pickle",
                     "datetimes.p2.pickle", "ordereddicts.p4.pickle"):
            f = os.path.join(d, name)
            if os.path.exists(f):
                a, g = per_file(f)
                rows.append((name, os.path.getsize(f), a, g))
    lines = ["## acar scan: against `pickletools.genops`", "",
             "Command: `python3 bench/bench_scan.py --acar ACAR` with `%s` a Release build of the command. "
             % os.path.basename(args.acar) + __doc__.split("\n\n")[2].replace("\n", " ") +
             " On single small files the acar side is mostly process start-up (about 2 ms).", "",
             "- %d files, %.1f MB; verdicts: %d safe, %d not safe (%s)" %
             (len(files), total / 1e6, len(verdicts) - len(unsafe), len(unsafe),
              "; ".join(unsafe) if unsafe else "none"),
             "- whole directory: `acar scan DIR` %.3f s, genops %.3f s: **%.1fx**" % (ta, tg, tg / ta), "",
             "| file | MB | acar scan (process) s | genops s | x |", "|---|---:|---:|---:|---:|"]
    for name, size, a, g in rows:
        lines.append("| %s | %.1f | %.4f | %.4f | %.1fx |" % (name, size / 1e6, a, g, g / a))
    text = "\n".join(lines) + "\n"
    print(text)
    if args.out != "-":
        report.write_section(args.out, "scan", text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
