"""bench_tensor.py -- opening a 1 GiB PyTorch checkpoint and listing its
tensors: `acar tensors FILE` against `torch.load(FILE, weights_only=True)`
(with `mmap=True` when the installed torch has it), and writes the "tensor"
section of BENCHMARKS.md.

    python3 bench/bench_tensor.py --acar build/bench/release/acar [--out BENCHMARKS.md]

The checkpoint: a state dict of 256 float32 tensors of 1024 x 1024 (1 GiB of
storages) written by torch.save (zip format) with the torch of --torch-python
(default /usr/bin/python3).  Each round runs, alternately, one `acar tensors
FILE` process and one Python process that imports torch, then loads the file
and lists every tensor's name, dtype, shape and byte size.  CPU time is
user + system time: the whole acar process (start-up included) against the
load-and-list part of the Python process only (import torch excluded), the
fastest of --repeat rounds.  Peak memory is the peak resident set size of
each process as GNU time reports it (/usr/bin/time -f %M, from a
second run of the same command: wait4 in this script would count the
Python process that forked the child); for torch the peak of a process that only
imports torch is shown too, so the load's own share can be seen.  The page
cache is warm (the file was just written and is read once before timing).
"""

import argparse
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import report  # noqa: E402

MAKE = r"""
import collections, sys, torch
n, side = int(sys.argv[2]), int(sys.argv[3])
sd = collections.OrderedDict()
g = torch.Generator().manual_seed(8)
for i in range(n):
    sd['layers.%d.weight' % i] = torch.rand(side, side, generator=g)
torch.save(sd, sys.argv[1])
"""

# Prints the load's own CPU time (user + system of this process, around the
# load and the listing) on stderr; the listing goes to stdout.
LOAD = r"""
import os, sys, inspect
import torch
t = os.times()
t0 = t.user + t.system
kw = {'weights_only': True}
if 'mmap' in inspect.signature(torch.load).parameters:
    kw['mmap'] = True
sd = torch.load(sys.argv[1], **kw)
out = []
for k, v in sd.items():
    out.append('%s  %s  %s  %d' % (k, str(v.dtype).replace('torch.', ''), tuple(v.shape),
                                   v.numel() * v.element_size()))
sys.stdout.write('\n'.join(out) + '\n')
t = os.times()
sys.stderr.write('%.6f %s\n' % (t.user + t.system - t0, 'mmap' if 'mmap' in kw else 'nommap'))
"""

IMPORT_ONLY = "import torch\n"


def run(cmd):
    """(stdout, stderr, cpu seconds, peak RSS bytes) of one process."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        p = subprocess.Popen(cmd, stdout=out, stderr=err)
        _, status, ru = os.wait4(p.pid, 0)
        p.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        o, e = out.read().decode(), err.read().decode()
    if p.returncode != 0:
        raise SystemExit("%s failed (%d): %s" % (cmd[0], p.returncode, e[-500:]))
    return o, e, ru.ru_utime + ru.ru_stime, ru.ru_maxrss * 1024


def peak_rss(cmd):
    """Peak RSS in bytes of cmd run under GNU time (a small parent)."""
    with tempfile.NamedTemporaryFile(mode="r") as f:
        run(["/usr/bin/time", "-f", "%M", "-o", f.name] + cmd)
        return int(f.read().split()[-1]) * 1024


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--acar", required=True, help="a Release build of the acar command")
    ap.add_argument("--torch-python", default="/usr/bin/python3", help="a Python with torch")
    ap.add_argument("--tensors", type=int, default=256)
    ap.add_argument("--side", type=int, default=1024)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--file", help="keep the checkpoint here (default: a temporary file)")
    ap.add_argument("--out", default=os.path.join(HERE, "..", "BENCHMARKS.md"), help="- for none")
    args = ap.parse_args()
    tmp = None
    path = args.file
    if not path:
        tmp = tempfile.TemporaryDirectory(prefix="acar-bench-tensor-")
        path = os.path.join(tmp.name, "big.pt")
    try:
        if not os.path.exists(path):
            subprocess.run([args.torch_python, "-c", MAKE, path, str(args.tensors), str(args.side)], check=True)
        size = os.path.getsize(path)
        with open(path, "rb") as f:  # warm the page cache
            while f.read(1 << 24):
                pass
        tv = subprocess.run([args.torch_python, "-c", "import torch; print(torch.__version__)"],
                            capture_output=True, text=True, check=True).stdout.strip()
        acar_t, torch_t, torch_proc_t, acar_m, torch_m = [], [], [], [], []
        listing = None
        mode = ""
        for _ in range(args.repeat):
            o, e, cpu, _ = run([args.acar, "tensors", path])
            acar_t.append(cpu)
            acar_m.append(peak_rss([args.acar, "tensors", path]))
            got = [l.split("  ")[:4] for l in o.splitlines()]
            o, e, cpu, _ = run([args.torch_python, "-c", LOAD, path])
            load_cpu, mode = e.split()[-2:]
            torch_t.append(float(load_cpu))
            torch_proc_t.append(cpu)
            torch_m.append(peak_rss([args.torch_python, "-c", LOAD, path]))
            want = [l.split("  ") for l in o.splitlines()]
            # same names, dtypes, shapes and sizes as torch lists
            mine = [[n, d, s, b] for n, d, s, b in got]
            theirs = [[n, d, s, b] for n, d, s, b in want]
            if mine != theirs:
                raise SystemExit("acar and torch list different tensors:\n%s\n---\n%s" % (mine[:3], theirs[:3]))
            listing = len(mine)
        _, _, imp_cpu, _ = run([args.torch_python, "-c", IMPORT_ONLY])
        imp_rss = peak_rss([args.torch_python, "-c", IMPORT_ONLY])
    finally:
        if tmp:
            tmp.cleanup()
    a, t, tp = min(acar_t), min(torch_t), min(torch_proc_t)
    am, tm = min(acar_m), min(torch_m)
    lines = ["## PyTorch checkpoint: `acar tensors` against `torch.load(weights_only=True)`", "",
             "Command: `python3 bench/bench_tensor.py --acar ACAR` with ACAR a Release build of the command. " +
             " ".join(__doc__.split("\n\n")[2].split()), "",
             "- checkpoint: %d float32 tensors of %d x %d, %.2f GiB (torch %s, `torch.load(..., weights_only=True%s)`"
             "; this torch has %s `mmap=`); both list the same %d names, dtypes, shapes and sizes"
             % (args.tensors, args.side, args.side, size / 2 ** 30, tv, ", mmap=True" if mode == "mmap" else "",
                "" if mode == "mmap" else "no", listing),
             "- rounds: %d, fastest shown" % args.repeat, "",
             "| | CPU s | peak RSS MB |", "|---|---:|---:|",
             "| `acar tensors FILE` (whole process) | %.4f | %.1f |" % (a, am / 1e6),
             "| `torch.load` + listing (in process, import excluded) | %.4f | %.1f |" % (t, tm / 1e6),
             "| the torch process, whole | %.4f | %.1f |" % (tp, tm / 1e6),
             "| a process that only imports torch | %.4f | %.1f |" % (imp_cpu, imp_rss / 1e6), "",
             "acar is **%.0fx** faster than `torch.load` (%.0fx than the whole torch process) and peaks at "
             "**1/%.0f** of its memory (target: >= 10x and <= 1/10)." % (t / max(a, 1e-4), tp / max(a, 1e-4), tm / am)]
    text = "\n".join(lines) + "\n"
    print(text)
    if args.out != "-":
        report.write_section(args.out, "tensor", text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
