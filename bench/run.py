#!/usr/bin/env python3
"""run.py -- acar's pickle benchmark against CPython's pickle, in one run.

Inputs, made here with CPython (nothing is copied into the repository):
  * every JSON file in ../shared/bench-data/json (relative to the repository),
    loaded with json.load and pickled at protocols 2, 4 and 5;
  * ints_1e6   = list(range(1_000_000))       (BININT1 / BININT2 / BININT)
  * strs_1e5   = 100_000 random ASCII strings of 1-16 letters
  * floats_1e5 = 100_000 random floats (BINFLOAT)
    the last three also at protocols 2, 4 and 5.

For each pickle P of value V at protocol N it measures:
  * CPython: pickle.loads(P) and pickle.dumps(V, N) timed as timeit does
    (fastest of --repeat batches, each batch at least --min-time seconds,
    garbage collector off), V being pickle.loads(P) (which CPython writes
    back as P: checked);
  * acar: acar_read and acar_write via the C driver bench_pickle (same
    batching; see bench_pickle.c), right after CPython; each side in a
    fresh process per pickle (see measure);
  * whether acar's re-written bytes equal P (= pickle.dumps(V, N)); a
    difference is reported loudly, with the first differing opcode, and makes
    the run fail: speed of a writer that writes the wrong bytes is no result;
  * memory: acar_doc_memory of the document after one read, against len(P);
    for context, the peak tracemalloc sees during pickle.loads(P).

MB/s is len(P) / 1e6 / seconds for reading and writing alike.  It prints a
table and writes BENCHMARKS.md (--out) with the machine, the date and the
command.  Usually run through `cmake --build build --target bench`.
"""
import argparse
import datetime
import gc
import io
import itertools
import json
import math
import os
import pickle
import pickletools
import platform
import random
import re
import shlex
import string
import subprocess
import sys
import tempfile
import time
import tracemalloc

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import report as bench_report  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
DATA_REL = os.path.join('..', 'shared', 'bench-data', 'json')
PROTOCOLS = (2, 4, 5)
TARGET_SPEED = 3.0    # acar / CPython, reading and writing, every input
TARGET_MEMORY = 3.0   # document memory / pickle size, JSON-derived inputs


def _ints():
    return list(range(1_000_000))


def _strs():
    rng = random.Random(1)
    return [''.join(rng.choices(string.ascii_letters, k=rng.randint(1, 16))) for _ in range(100_000)]


def _floats():
    rng = random.Random(2)
    return [rng.uniform(-1e6, 1e6) for _ in range(100_000)]


# The synthetic inputs: (name, description, function making the value).
SYNTHETIC = [
    ('ints_1e6', 'list(range(1_000_000))', _ints),
    ('strs_1e5', '100,000 random ASCII str of 1-16 letters', _strs),
    ('floats_1e5', '100,000 random.uniform(-1e6, 1e6) floats', _floats),
]


def _batch(fn, number):
    """Wall and thread-CPU seconds of `number` calls of fn."""
    it = itertools.repeat(None, number)
    c0 = time.thread_time()
    t0 = time.perf_counter()
    for _ in it:
        fn()
    t = time.perf_counter() - t0
    return t, time.thread_time() - c0


def best_time(fn, repeat, min_time):
    """Fastest (wall, CPU) seconds per call: batches of 1, 2, 5, 10, ... calls
    until one takes min_time, then the best of `repeat` batches of that size,
    with the garbage collector off as timeit does (bench_pickle.c batches the
    same way)."""
    gc_was = gc.isenabled()
    gc.disable()
    try:
        k = 0
        while True:
            number = (1, 2, 5)[k % 3] * 10 ** (k // 3)
            t, c = _batch(fn, number)
            if t >= min_time:
                break
            k += 1
        best_t, best_c = t, c
        for _ in range(repeat - 1):
            t, c = _batch(fn, number)
            best_t, best_c = min(best_t, t), min(best_c, c)
    finally:
        if gc_was:
            gc.enable()
    return best_t / number, best_c / number


def cpython_peak(data):
    """Peak bytes tracemalloc sees while pickle.loads(data) builds its value."""
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        base = tracemalloc.get_traced_memory()[0]
        value = pickle.loads(data)
        peak = tracemalloc.get_traced_memory()[1] - base
        del value
    finally:
        tracemalloc.stop()
    return peak


def first_difference(expected, got):
    """Where two pickles part: '(offset N) CPython OPCODE arg | acar OPCODE arg'."""
    def ops(data):
        out = []
        try:
            for op, arg, pos in pickletools.genops(data):
                out.append((pos, op.name, arg))
        except Exception as e:  # acar's bytes may not even parse
            out.append((None, 'unparsable: %s' % e, None))
        return out
    a, b = ops(expected), ops(got)
    for x, y in zip(a, b):
        if x != y:
            def fmt(t):
                if t[0] is None:
                    return t[1]
                arg = '' if t[2] is None else ' ' + repr(t[2])
                return t[1] + arg[:60] + ('...' if len(arg) > 60 else '')
            return 'at opcode offset %s: CPython %s | acar %s' % (x[0], fmt(x), fmt(y))
    if len(a) != len(b):
        return 'CPython has %d opcodes, acar %d' % (len(a), len(b))
    return 'same opcodes, different bytes'


def machine():
    model = 'unknown'
    try:
        with open('/proc/cpuinfo') as f:
            for line in f:
                if line.startswith('model name'):
                    model = line.split(':', 1)[1].strip()
                    break
    except OSError:
        pass
    # the machine's CPUs, not the one run.py is pinned to (nproc counts those)
    nproc = str(os.cpu_count() or 'unknown')
    try:
        load = '%.2f %.2f %.2f' % os.getloadavg()
    except OSError:
        load = 'unknown'
    return {'cpu': model, 'nproc': nproc, 'kernel': platform.system() + ' ' + platform.release(),
            'load': load, 'python': sys.version.split()[0], 'python_impl': platform.python_implementation()}


def git_version():
    try:
        head = subprocess.run(['git', '-C', REPO, 'rev-parse', '--short', 'HEAD'],
                              capture_output=True, text=True, check=True).stdout.strip()
        dirty = subprocess.run(['git', '-C', REPO, 'status', '--porcelain', '--untracked-files=no'],
                               capture_output=True, text=True).stdout.strip()
        untracked = subprocess.run(['git', '-C', REPO, 'status', '--porcelain'],
                                   capture_output=True, text=True).stdout.strip()
        if dirty or untracked:
            head += ' + uncommitted changes'
        return head
    except (OSError, subprocess.CalledProcessError):
        return 'unknown'


def cpython_worker(path, proto, repeat, min_time):
    """The CPython side for one pickle, in its own process (see measure):
    prints a JSON object with the timings and the tracemalloc peak.  The
    value dumped is pickle.loads(P), which CPython writes back as P (the
    parent checks)."""
    with open(path, 'rb') as f:
        data = f.read()
    peak = cpython_peak(data)
    value = pickle.loads(data)
    loads, dumps = pickle.loads, pickle.dumps
    read_s, read_cpu_s = best_time(lambda: loads(data), repeat, min_time)
    write_s, write_cpu_s = best_time(lambda: dumps(value, proto), repeat, min_time)
    print(json.dumps({'peak': peak, 'read_s': read_s, 'read_cpu_s': read_cpu_s,
                      'write_s': write_s, 'write_cpu_s': write_cpu_s}))


# glibc's malloc told, through the environment, to keep what is freed: no
# trim of the heap's top, no mmap for blocks up to 32 MiB.  With its
# defaults each call can fault its pages in again, and a page fault cost
# 11-16 us on the development VM: json.loads of twitter.json ran at 63 MB/s
# with its defaults and 273 with these (bench_keep_memory in
# bench_child.h, the C drivers' copy of this).  Both sides are then
# timed on memory their process already holds, as in a long-running
# program.  Other C libraries ignore these variables.
KEEP_MEMORY = {'MALLOC_TRIM_THRESHOLD_': '1073741824', 'MALLOC_MMAP_THRESHOLD_': '33554432',
               'MALLOC_TOP_PAD_': '67108864'}


def child_env():
    return dict(os.environ, **KEEP_MEMORY)


def pin_cpu(cpu):
    """Puts this process, and so the children it starts, on one CPU: cpu,
    or the one it is running on when None.  The development VM's two CPUs
    ran at different speeds for minutes at a time, so the two sides of a
    ratio on different CPUs compared the CPUs too.  Returns the CPU, or None
    where it could not (not Linux)."""
    if not hasattr(os, 'sched_setaffinity'):
        return None
    if cpu is None:
        try:
            with open('/proc/self/stat') as f:
                cpu = int(f.read().rsplit(')', 1)[1].split()[36])
        except (OSError, ValueError, IndexError):
            return None
    try:
        os.sched_setaffinity(0, {cpu})
    except (OSError, ValueError) as e:
        sys.exit('run.py: cannot run on CPU %d (%s)' % (cpu, e))
    return cpu


def run_cpython(args, path, proto):
    cmd = [sys.executable, os.path.abspath(__file__), '--cpython-worker', path, str(proto),
           str(args.repeat), str(args.min_time)]
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, text=True, env=child_env())
    if proc.returncode != 0:
        sys.exit('run.py: %s failed (exit %d)' % (' '.join(cmd), proc.returncode))
    return json.loads(proc.stdout)


def run_driver(args, files, save_dir):
    cmd = [args.driver, '--repeat', str(args.repeat), '--min-time', str(args.min_time),
           '--save-mismatch', save_dir] + (['--reuse'] if args.reuse else []) + files
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, text=True, env=child_env())
    info, rows = None, {}
    for line in proc.stdout.splitlines():
        obj = json.loads(line)
        if 'driver' in obj:
            info = obj
        else:
            rows[obj['file']] = obj
    if proc.returncode == 2 or info is None:
        sys.exit('run.py: %s failed (exit %d)' % (' '.join(cmd), proc.returncode))
    return info, rows


def machine_pace():
    """Milliseconds of thread CPU time a fixed loop of Python takes, the
    fastest of three.  This machine has slow phases of minutes in which the
    same loop takes twice as long (CPU time too), and acar's figures fall
    further than CPython's in them: the report gives the range over the
    rounds, so that runs of this section can be compared."""
    best = None
    for _ in range(3):
        t = time.thread_time()
        x = 0
        for i in range(1_000_000):
            x += i
        dt = time.thread_time() - t
        best = dt if best is None else min(best, dt)
    return best * 1000


def mbps(size, seconds):
    return size / 1e6 / seconds if seconds else 0.0


class Row:
    pass


def prepare_input(name, kind, value, protocols, work):
    """Pickles value at each protocol into work; one Row per pickle."""
    rows = []
    for proto in protocols:
        data = pickle.dumps(value, proto)
        path = os.path.join(work, '%s.p%d.pickle' % (name, proto))
        with open(path, 'wb') as f:
            f.write(data)
        r = Row()
        r.name, r.kind, r.proto, r.size, r.path = name, kind, proto, len(data), path
        r.oracle_roundtrip = pickle.dumps(pickle.loads(data), proto) == data
        r.py, r.got = None, None
        rows.append(r)
    return rows


def measure(args, r, save_dir):
    """Times CPython, then acar, on r's pickle, each side keeping its fastest
    figures over the calls; returns the driver's description.

    CPython and acar each time every pickle in a fresh process, one right
    after the other: malloc adapts its mmap and trim thresholds to what was
    freed before, so in a shared process an earlier input made a later acar
    read up to 3x faster (no page faults) and a CPython one 25% faster;
    fresh processes keep the figures independent of the order of the
    inputs.  With --rounds N, main() times every pickle once per round,
    round after round over all the inputs: a machine slowed by its
    neighbours for minutes at a time then shows in no more than some of an
    input's rounds (rounds of one input back to back all fell in the same
    slow minutes)."""
    p = run_cpython(args, r.path, r.proto)
    r.py = p if r.py is None else {k: min(v, p[k]) if k.endswith('_s') else v for k, v in r.py.items()}
    info, g = run_driver(args, [r.path], save_dir)
    c = g.get(r.path)
    if r.got is not None and 'error' in r.got:
        return info  # an error in any round stands
    if r.got is not None and c is not None and 'error' not in c:
        c = {k: min(v, c[k]) if k.endswith('_s') and k in c else v for k, v in r.got.items()}
    r.got = c
    return info


def finish_row(args, r, save_dir):
    """Fills r's figures from its timings."""
    py, c = r.py, r.got
    r.py_peak = py['peak']
    r.py_read, r.py_read_cpu = py['read_s'], py['read_cpu_s']
    r.py_write, r.py_write_cpu = py['write_s'], py['write_cpu_s']
    r.error = None
    if c is None:
        r.error = 'no result from the driver'
    elif 'error' in c:
        e = c['error']
        r.error = 'acar %s failed: %s at offset %s: %s' % (e['in'], e['code'], e['offset'], e['msg'])
    r.acar = c or {}
    r.equal = bool(c and c.get('equal'))
    r.diff = None
    if c and 'equal' in c and not r.equal:
        saved = os.path.join(save_dir, os.path.basename(r.path) + '.acar')
        try:
            with open(saved, 'rb') as f:
                got = f.read()
            with open(r.path, 'rb') as f:
                data = f.read()
            r.diff = ('%d bytes vs CPython %d, first byte difference at %d; %s; saved as %s'
                      % (len(got), r.size, c.get('first_diff', -1),
                         first_difference(data, got), saved))
        except OSError:
            r.diff = 'first byte difference at %s' % c.get('first_diff')
    r.read = c.get('read_s') if c else None
    r.write = c.get('write_s') if c else None
    r.read_cpu = c.get('read_cpu_s') if c else None
    r.write_cpu = c.get('write_cpu_s') if c else None
    r.busy = [wall / cpu for wall, cpu in ((r.read, r.read_cpu), (r.write, r.write_cpu),
                                            (r.py_read, r.py_read_cpu), (r.py_write, r.py_write_cpu))
              if wall and cpu]
    if args.clock == 'cpu':
        r.read, r.write = r.read_cpu, r.write_cpu
        r.py_read, r.py_write = r.py_read_cpu, r.py_write_cpu
    r.doc_memory = c.get('doc_memory') if c else None
    r.alloc_peak = c.get('alloc_peak') if c else None
    r.model_floor = c.get('model_floor') if c else None


def ratio(acar_s, py_s):
    return py_s / acar_s if acar_s else None


def fmt_ratio(x, ok=True):
    if x is None:
        return '—'
    s = '%.2f×' % (math.floor(x * 100) / 100)  # truncated: 2.996 is not 3.00
    return s if ok else '**%s** ✗' % s


def summarize(rows):
    lines = []
    good = [r for r in rows if r.read and not r.error]
    rr = [ratio(r.read, r.py_read) for r in good]
    wr = [ratio(r.write, r.py_write) for r in good if r.equal]
    mem = [(r.doc_memory / r.size, r) for r in good if r.kind == 'json' and r.doc_memory]

    def geo(xs):
        if not xs:
            return float('nan')
        p = 1.0
        for x in xs:
            p *= x
        return p ** (1 / len(xs))
    n = len(rows)
    lines.append('- inputs: %d pickles (%d read and written by acar without error, %d written back byte for byte)'
                 % (n, len(good), sum(1 for r in good if r.equal)))
    if rr:
        lines.append('- read, acar/CPython: geometric mean %.2f×, min %.2f×, max %.2f×; '
                     '%d of %d at or above the %.0f× target'
                     % (geo(rr), min(rr), max(rr), sum(1 for x in rr if x >= TARGET_SPEED), n, TARGET_SPEED))
    if wr:
        lines.append('- write, acar/CPython (byte-identical outputs only): geometric mean %.2f×, min %.2f×, '
                     'max %.2f×; %d of %d at or above the %.0f× target'
                     % (geo(wr), min(wr), max(wr), sum(1 for x in wr if x >= TARGET_SPEED), n, TARGET_SPEED))
    if mem:
        worst = max(mem, key=lambda t: t[0])
        lines.append('- document memory / pickle size on the JSON-derived inputs: max %.2f (%s, protocol %d); '
                     '%d of %d at or below the %.0f target'
                     % (worst[0], worst[1].name, worst[1].proto, sum(1 for m, _ in mem if m <= TARGET_MEMORY),
                        sum(1 for r in rows if r.kind == 'json'), TARGET_MEMORY))
    floor = [r for r in good if r.kind == 'json' and r.model_floor and r.model_floor / r.size > TARGET_MEMORY]
    if mem:
        lines.append('- model floor above %.0f (no document of 16-byte nodes and item pointers can meet the target) '
                     'on %d of the %d JSON-derived inputs: %s'
                     % (TARGET_MEMORY, len(floor), sum(1 for r in rows if r.kind == 'json'),
                        ', '.join(sorted({r.name for r in floor})) or 'none'))
    bad = [r for r in rows if r.error or not r.equal]
    if bad:
        lines.append('- **%d of %d inputs FAILED** (acar error or bytes differ from CPython): see "Failures" below'
                     % (len(bad), n))
    return lines


def table(rows, markdown):
    head = ['input', 'proto', 'pickle KB', 'read acar MB/s', 'read CPython MB/s', 'read ×',
            'write acar MB/s', 'write CPython MB/s', 'write ×', 'doc mem / size',
            'model floor / size', 'CPython mem / size', 'bytes']
    body = []
    for r in rows:
        rr = ratio(r.read, r.py_read)
        wr = ratio(r.write, r.py_write) if r.equal else None
        mem = r.doc_memory / r.size if r.doc_memory else None
        mem_ok = mem is None or r.kind != 'json' or mem <= TARGET_MEMORY
        if r.error:
            status = 'ERROR'
        elif not r.equal:
            status = 'DIFFER'
        else:
            status = 'same'
        mark = markdown
        body.append([
            r.name, str(r.proto), '%.1f' % (r.size / 1000),
            '%.1f' % mbps(r.size, r.read) if r.read else '—',
            '%.1f' % mbps(r.size, r.py_read),
            fmt_ratio(rr, rr is None or rr >= TARGET_SPEED or not mark) if r.read else '—',
            ('%.1f' % mbps(r.size, r.write) + ('' if r.equal else ' (wrong bytes)')) if r.write else '—',
            '%.1f' % mbps(r.size, r.py_write),
            fmt_ratio(wr, wr is None or wr >= TARGET_SPEED or not mark),
            ('%.2f' % mem if mem_ok or not mark else '**%.2f** ✗' % mem) if mem else '—',
            '%.2f' % (r.model_floor / r.size) if r.model_floor else '—',
            '%.2f' % (r.py_peak / r.size),
            status if status == 'same' or not mark else '**%s**' % status,
        ])
    if markdown:
        out = ['| ' + ' | '.join(head) + ' |',
               '|' + '|'.join(['---'] + ['---:'] * (len(head) - 2) + [':---:']) + '|']
        out += ['| ' + ' | '.join(b) + ' |' for b in body]
        return '\n'.join(out)
    short = ['input', 'p', 'KB', 'rd acar', 'rd py', 'rd x', 'wr acar', 'wr py', 'wr x',
             'mem/sz', 'floor/sz', 'py mem/sz', 'bytes']
    widths = [max(len(short[i]), *(len(b[i]) for b in body)) if body else len(short[i])
              for i in range(len(short))]
    out = ['  '.join(short[i].rjust(widths[i]) if i else short[i].ljust(widths[i]) for i in range(len(short)))]
    for b in body:
        out.append('  '.join(b[i].rjust(widths[i]) if i else b[i].ljust(widths[i]) for i in range(len(b))))
    return '\n'.join(out)


def report(args, info, mach, rows, started, command, produced_by):
    failures = [r for r in rows if r.error or not r.equal]
    data_rel = os.path.relpath(args.data, REPO)
    md = io.StringIO()
    w = md.write
    w('## Pickle: acar vs CPython %s `pickle` (C accelerator)\n\n' % mach['python'])
    w('`bench/run.py` (run by the `bench` target) makes the inputs with CPython, times both '
      'sides with `bench/bench_pickle.c` and rewrites this section. Faster partial runs: '
      '`python3 bench/run.py --driver build/bench/release/bench/bench_pickle '
      '--quick --only canada --out -` (`--clock cpu` on a busy machine). The pickles stay in '
      '`build/bench/data`; to profile one: `perf record build/bench/release/bench/bench_pickle '
      '--only read --min-time 1 build/bench/data/canada.p4.pickle` (`bench_pickle --help`).\n\n')
    w('This run: `%s`' % command)
    if produced_by != command:
        w(', which ran `%s`' % produced_by)
    w('.\n\n')
    w('- date: %s\n' % started)
    w('- machine: %s, nproc %s, %s, load average at start %s\n'
      % (mach['cpu'], mach['nproc'], mach['kernel'], mach['load']))
    w('- acar %s (git %s); compiler: %s; library flags: %s\n'
      % (info.get('acar'), git_version(), info.get('compiler'), ' '.join(str(info.get('flags')).split())))
    w('- CPython %s (%s)\n' % (mach['python'], sys.executable))
    if args.reuse:
        w('- **what-if run (`--reuse`)**: acar\'s timed reads go through an allocator that keeps freed '
          'blocks and its writes append to one kept buffer; this is not what the default API does\n')
    w('- timing: fastest of %d batches, each batch at least %g s (calls per batch 1, 2, 5, 10, ...)%s, '
      '%s for both (the same clock in C and Python), CPython\'s garbage collector off as timeit does\n'
      % (args.repeat, args.min_time,
         '' if args.rounds == 1 else
         '; %d rounds over all the inputs, each pickle timed once a round (CPython, then acar), '
         'the fastest of each side kept (`--rounds %d`)'
         % (args.rounds, args.rounds),
         'wall time (CLOCK_MONOTONIC)' if args.clock == 'wall' else
         'thread CPU time (CLOCK_THREAD_CPUTIME_ID; `--clock cpu`, for a busy machine)'))
    w('- both sides %s, each in a process whose malloc keeps what it frees (glibc, `KEEP_MEMORY` in run.py: '
      'no page faults after the first call)\n'
      % ('on CPU %d' % args.pinned if args.pinned is not None else 'on any CPU (not pinned)'))
    busy = sorted(b for r in rows for b in getattr(r, 'busy', []))
    if busy:
        w('- machine noise: wall time / CPU time of the fastest batches, median %.2f, max %.2f%s\n'
          % (busy[len(busy) // 2], busy[-1],
             ' (**busy machine: other processes took CPU time; treat ratios with care**)'
             if busy[len(busy) // 2] > 1.05 else ''))
    paces = getattr(args, 'paces', [])
    if paces:
        w('- machine pace: a fixed loop of Python (`machine_pace` in run.py) took %.0f-%.0f ms of CPU '
          'time before each round and after the last (the development machine has slow phases of minutes '
          'in which it takes twice as long, and acar\'s ratios to CPython fall in them)\n'
          % (min(paces), max(paces)))
    w('\n')
    w('What is measured. Inputs: every JSON file in `%s`, loaded with `json.load` and pickled at '
      'protocols %s, and three synthetic lists: %s. '
      '*read* is `pickle.loads(P)` against `acar_doc_new` + `acar_read` + `acar_doc_free`; '
      '*write* is `pickle.dumps(V, N)` of `V = pickle.loads(P)` against `acar_write` of the read document into a fresh buffer. '
      'MB/s is the pickle\'s size in 10^6 bytes per second, for both. *×* is acar\'s speed over '
      'CPython\'s (higher is better). Each pickle is timed by CPython and then by acar, each in a fresh '
      'process (malloc adapts its mmap/trim thresholds to earlier frees, which made results depend on '
      'the order of the inputs: up to 3× for acar, 25%% for CPython). *doc mem / size* is `acar_doc_memory` after the read '
      '(every byte the arena took, slack included) over the pickle\'s size; *model floor / size* is '
      'the least any document of acar\'s node model takes for the value, over the pickle\'s size: '
      '16 bytes a node (shared nodes once; None, True and False are the document\'s own), 8 a list '
      'item and 16 a dict pair, and the bytes of each str; no slack, map headers or hash indexes '
      '(`model_floor` in bench_pickle.c). Where it is above 3, no arrangement of the arena meets the '
      'memory target: the 16-byte node and the pointer per item do not fit. *CPython mem / size* is '
      'the peak tracemalloc sees during `pickle.loads`, for context. *bytes* says whether acar '
      'wrote back exactly `pickle.dumps(V, N)`; where it did not, the write speed means nothing.\n\n'
      % (data_rel, ', '.join(map(str, args.protocols)),
         '; '.join('`%s` = %s' % (n, d) for n, d, _ in SYNTHETIC)))
    w('Targets: read ≥ %.0f× and write ≥ %.0f× CPython on every input; document memory ≤ %.0f× the '
      'pickle on the JSON-derived inputs. Cells that miss a target are **bold** with ✗.\n\n'
      % (TARGET_SPEED, TARGET_SPEED, TARGET_MEMORY))
    w('### Summary\n\n')
    w('\n'.join(summarize(rows)) + '\n\n')
    w('### Results\n\n')
    w(table(rows, True) + '\n\n')
    if failures:
        w('### Failures\n\n')
        for r in failures:
            w('- `%s` protocol %d: %s\n' % (r.name, r.proto, r.error or ('bytes differ: ' + (r.diff or ''))))
        w('\n')
    odd = [r for r in rows if not r.oracle_roundtrip]
    if odd:
        w('Note: CPython itself does not write back the same bytes for: %s.\n\n'
          % ', '.join('%s p%d' % (r.name, r.proto) for r in odd))
    return md.getvalue()


def main():
    if len(sys.argv) == 6 and sys.argv[1] == '--cpython-worker':
        cpython_worker(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5]))
        return 0
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--driver', required=True, help='path of the bench_pickle program')
    ap.add_argument('--data', default=os.path.join(REPO, DATA_REL),
                    help='folder of JSON inputs [%s, relative to the repository]' % DATA_REL)
    ap.add_argument('--work-dir', help='where the pickles are written [a temporary folder]')
    ap.add_argument('--out', default=os.path.join(REPO, 'BENCHMARKS.md'),
                    help='report to write, - for none [BENCHMARKS.md at the top of the repository]')
    ap.add_argument('--repeat', type=int, default=7, help='batches per measurement [7]')
    ap.add_argument('--min-time', type=float, default=0.05, help='least seconds per batch [0.05]')
    ap.add_argument('--quick', action='store_true', help='--repeat 3 --min-time 0.01')
    ap.add_argument('--rounds', type=int, default=1,
                    help='time every pickle once a round, CPython then acar, round after round over all '
                         'the inputs, and keep each side\'s fastest (for a machine slowed now and then '
                         'by its neighbours) [1]')
    ap.add_argument('--protocols', default=','.join(map(str, PROTOCOLS)), help='[2,4,5]')
    ap.add_argument('--only', help='regular expression: inputs whose name matches')
    ap.add_argument('--clock', choices=('wall', 'cpu'), default='wall',
                    help='figure the table uses: CLOCK_MONOTONIC (wall) or thread CPU time, for '
                    'busy machines [wall]')
    ap.add_argument('--cpu', type=int, help='the CPU both sides run on [the one run.py starts on]')
    ap.add_argument('--reuse', action='store_true',
                    help='what-if, not for BENCHMARKS.md: acar reads through an allocator that keeps '
                    'freed blocks and writes into a kept buffer (bench_pickle --reuse)')
    ap.add_argument('--command', help='the command that ran this script, for the report')
    args = ap.parse_args()
    args.pinned = pin_cpu(args.cpu)
    if args.quick:
        args.repeat, args.min_time = 3, 0.01
    args.protocols = [int(p) for p in args.protocols.split(',')]
    if not os.path.exists(args.driver):
        alt = os.path.join(os.path.dirname(args.driver), 'Release', os.path.basename(args.driver))
        if os.path.exists(alt):
            args.driver = alt
        else:
            sys.exit('run.py: no driver at %s' % args.driver)
    if sys.version_info[:2] != (3, 11):
        print('run.py: WARNING: the oracle is CPython 3.11; this is %s' % sys.version.split()[0],
              file=sys.stderr)
    started = datetime.datetime.now(datetime.timezone.utc).strftime('%Y-%m-%d %H:%M UTC')
    produced_by = ' '.join(shlex.quote(a) for a in
                           ['python3', os.path.relpath(os.path.abspath(__file__), os.getcwd())] + sys.argv[1:])
    command = args.command or produced_by
    mach = machine()
    work = args.work_dir or tempfile.mkdtemp(prefix='acar-bench-')
    os.makedirs(work, exist_ok=True)
    save_dir = os.path.join(work, 'mismatch')
    os.makedirs(save_dir, exist_ok=True)

    inputs = []
    for fn in sorted(os.listdir(args.data)):
        if fn.endswith('.json'):
            inputs.append((fn[:-5], 'json', os.path.join(args.data, fn)))
    if not inputs:
        sys.exit('run.py: no JSON files in %s' % args.data)
    inputs += [(n, 'synthetic', make) for n, _, make in SYNTHETIC]
    if args.only:
        inputs = [i for i in inputs if re.search(args.only, i[0])]

    rows, info = [], {}
    for name, kind, source in inputs:
        if kind == 'json':
            with open(source, encoding='utf-8') as f:
                value = json.load(f)
        else:
            value = source()
        rows += prepare_input(name, kind, value, args.protocols, work)
        del value
    args.paces = []
    for k in range(args.rounds):
        args.paces.append(machine_pace())
        for r in rows:
            print('run.py: round %d of %d: %s protocol %d' % (k + 1, args.rounds, r.name, r.proto),
                  file=sys.stderr, flush=True)
            info = measure(args, r, save_dir)
    args.paces.append(machine_pace())
    for r in rows:
        finish_row(args, r, save_dir)
        if r.error or not r.equal:
            print('\n' + '!' * 72 + '\nrun.py: FAILURE %s protocol %d: %s\n' % (
                  r.name, r.proto, r.error or 'acar wrote different bytes: ' + (r.diff or ''))
                  + '!' * 72 + '\n', file=sys.stderr, flush=True)

    print(table(rows, False))
    print()
    print('\n'.join(summarize(rows)))
    busy = sorted(b for r in rows for b in r.busy)
    if busy:
        print('- machine noise (wall / CPU time of the fastest batches): median %.2f, max %.2f'
              % (busy[len(busy) // 2], busy[-1]))
    print('- machine pace (machine_pace: a fixed Python loop, before each round and after the last): '
          '%.0f-%.0f ms' % (min(args.paces), max(args.paces)))
    text = report(args, info, mach, rows, started, command, produced_by)
    if args.out != '-':
        bench_report.write_section(args.out, 'pickle', text)
        print('run.py: wrote the pickle section of %s' % args.out, file=sys.stderr)
    failures = [r for r in rows if r.error or not r.equal]
    if failures:
        print('run.py: %d of %d inputs FAILED (acar error or bytes differ from CPython)'
              % (len(failures), len(rows)), file=sys.stderr)
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
