"""Differential test of acar's pickle reader, writer and repr against CPython.

For thousands of seeded values (pyvalues.ValueGen) and every protocol N in
0..5, with P = pickle.dumps(value, N):

  repr     acar's repr of P == repr(value) (builtin values); == repr of
           CPython's load of P when sets are inside (set order after a load
           can differ from the order in P: counted and reported); == repr of
           the inert load (pyvalues.InertUnpickler) for class instances; an
           error naming the limit for ints repr() refuses.
  bytes    acar reading P and writing protocol N gives P, byte for byte.
  load     pickle.loads(acar's output) equals CPython's load of P in values,
           types, sharing and cycles (pyvalues.graph_diff).
  cross    the same for acar's output at another protocol (seeded choice).
  default  writing with the default version gives the protocol 4 bytes.
  raw      read with ACAR_READ_RAW_GLOBALS (builtins.set, _codecs.encode, ...
           kept as objects) where P names such globals: the repr is that of
           the inert load without native mapping, and writing protocol N
           still gives P byte for byte.
  cli      for a few cases, `acar show F` prints the repr and a newline and
           `acar convert F --to pickle:N` writes the same bytes as the
           library; a truncated file exits 1 with "acar: F: offset N: ...",
           a bad option exits 2.

Usage: python3 test_pickle_diff.py PATH/TO/acar PATH/TO/TOOLS_DIR
Environment: ACAR_TEST_SCALE (default 1) scales the random cases;
ACAR_TEST_SEED overrides the seed; ACAR_TEST_VERBOSE=1 lists every failure;
ACAR_TEST_SHRINK=1 shrinks the first failure of each cause to a small value.
Prints a summary and `N passed, N failed`; exits 1 on any failure.
"""

import collections
import io
import os
import pickle
import random
import sys
import time

sys.setrecursionlimit(20000)  # 500-deep values: CPython's own dumps/repr need room
sys.dont_write_bytecode = True  # no __pycache__ in the source tree
import pyvalues as pv  # noqa: E402

SEED = int(os.environ.get("ACAR_TEST_SEED", "20240611"))
CHECKS = ("repr", "bytes", "load", "cross", "default", "raw", "cli")
CLI_CASES = 12  # (value, protocol) cases also run through the acar command
ACAR_ERR_LIMIT = 4
SAFE_MODULES = {"builtins", "copyreg", "_codecs", "pyvalues", "functools", "datetime",
                "__builtin__", "copy_reg"}  # the last two: Python 2 names, mapped by loads
SET_ORDER = "set order (acar printed the pickle's order, CPython's load reorders)"


class SafeUnpickler(pickle.Unpickler):
    """Loads what acar wrote; only the modules the test values use."""

    def find_class(self, module, name):
        if module not in SAFE_MODULES:
            raise pickle.UnpicklingError("global %s.%s not allowed" % (module, name))
        return super().find_class(module, name)


def safe_loads(data):
    return SafeUnpickler(io.BytesIO(data)).load()


def bytes_detail(expected, got):
    off = pv.first_diff(expected, got)
    return ("first difference at byte %d (expected %d bytes, acar wrote %d)\n"
            "  CPython:\n%s\n  acar:\n%s"
            % (off, len(expected), len(got), pv.dis_context(expected, off),
               pv.dis_context(got, off)))


def bytes_cause(expected, got):
    """Names a byte difference by the opcodes where the streams part (after
    taking the FRAME opcodes out when they are where the streams part)."""
    off = pv.first_diff(expected, got)
    a, b = pv.op_at(expected, off), pv.op_at(got, off)
    if a == b == "FRAME":
        se, sg = pv.strip_frames(expected), pv.strip_frames(got)
        if se == sg:
            return "bytes differ: framing only"
        off = pv.first_diff(se, sg)
        a, b = pv.op_at(se, off), pv.op_at(sg, off)
    return "bytes differ: CPython %s, acar %s" % (a, b)


def _around(s, off, width=60):
    lo = max(0, off - width // 2)
    return ("..." if lo else "") + repr(s[lo:lo + width])[1:-1] + (
        "..." if lo + width < len(s) else "")


class Case:
    """One value: label, the value, its flags, expected reprs (made once)."""

    __slots__ = ("label", "obj", "flags", "value_repr", "last_proto")

    def __init__(self, label, obj):
        self.label = label
        self.obj = obj
        self.flags = pv.classify(obj)
        self.value_repr = None
        self.last_proto = None

    def repr_of_value(self):
        if self.value_repr is None:
            self.value_repr = repr(self.obj)
        return self.value_repr


def request_for(data, proto, other):
    want = pv.WANT_REPR | (1 << proto) | (1 << other)
    if proto == 4:
        want |= pv.WANT_DEFAULT
    return pv.Request(data, want)


def evaluate(case, proto, other, data, res, stats):
    """Checks one answer.  Returns (passed checks, [(check, cause, detail)]);
    detail may be a function (made only when shown)."""
    oks, fails = [], []
    flags = case.flags
    if res.crash is not None:
        return oks, [(c, "crash", res.crash) for c in CHECKS]
    if res.code != 0:
        detail = "read failed: code %d offset %d: %s" % (res.code, res.offset, res.msg)
        return oks, [(c, "read error: " + res.msg[:60], detail)
                     for c in ("repr", "bytes", "load", "cross")]

    # CPython's own load of P: the reference for repr (sets) and loads.
    ref = pickle.loads(data)
    if proto == case.last_proto and pv.same_graph(case.obj, ref) is not None:
        stats["oracle: loads(P) differs from the value (a CPython artifact)"] += 1

    # (a) repr
    rcode, rtext = res.out.get(pv.WANT_REPR, (-1, b""))
    if "bigrepr" in flags:
        if rcode == ACAR_ERR_LIMIT:
            oks.append("repr")
        else:
            fails.append(("repr", "int over the digit limit not refused",
                          "expected ACAR_ERR_LIMIT, got code %d: %r" % (rcode, rtext[:80])))
    else:
        if "inst" in flags:
            exp = repr(pv.inert_loads(data))
        elif "sets" in flags:
            exp = repr(ref)
            if exp != case.repr_of_value():
                stats["sets: repr(loads(P)) != repr(value): a load changed the order"] += 1
            else:
                stats["sets: repr(loads(P)) == repr(value)"] += 1
        else:
            exp = case.repr_of_value()
        got = rtext.decode("utf-8", "surrogateescape") if rcode == 0 else None
        if got == exp:
            oks.append("repr")
        elif got is None:
            fails.append(("repr", "repr error: " + rtext[:60].decode("utf-8", "replace"),
                          "code %d: %r" % (rcode, rtext[:200])))
        else:
            # Name the known causes; each stays a failure.
            cause = "repr differs"
            norm = got.replace("builtins.Ellipsis", "Ellipsis")
            if norm == exp:
                cause = "Ellipsis printed as the global builtins.Ellipsis"
            elif "sets" in flags and ("inst" not in flags and case.repr_of_value() == norm
                                      or sorted(norm) == sorted(exp)):
                # The pickle's order printed, or (objects) the same characters reordered.
                cause = SET_ORDER
            off = pv.first_diff(exp, got)
            fails.append(("repr", cause, "at char %d\n  CPython: %s\n  acar:    %s"
                          % (off, _around(exp, off), _around(got, off))))

    # (b) bytes, (c) load, cross
    for p, check in ((proto, "bytes"), (other, "cross")):
        wcode, wdata = res.out.get(p, (-1, b"<missing>"))
        if wcode != 0:
            cause = "write error: " + wdata[:60].decode("utf-8", "replace")
            if check == "bytes":
                fails.append(("bytes", cause, cause))
                fails.append(("load", cause, cause))
            else:
                fails.append(("cross", cause, "writing protocol %d: %s" % (p, cause)))
            continue
        if check == "bytes":
            if wdata == data:
                oks.append("bytes")
            else:
                fails.append(("bytes", bytes_cause(data, wdata),
                              lambda d=data, w=wdata: bytes_detail(d, w)))
            check = "load"
            if wdata == data:
                oks.append("load")  # loads(P) is the reference itself
                continue
        try:
            loaded = safe_loads(wdata)
        except Exception as e:
            fails.append((check, "CPython cannot load acar's output: %s" % type(e).__name__,
                          "protocol %d: %s: %s" % (p, type(e).__name__, e)))
            continue
        d = pv.same_graph(ref, loaded, nan_bits=p != 0)
        if d is None:
            oks.append(check)
        else:
            fails.append((check, "loaded value differs" + (" (sharing)" if "sharing" in d else ""),
                          "protocol %d: %s" % (p, d)))
    if proto == 4:
        dcode, ddata = res.out.get(pv.WANT_DEFAULT, (-1, b""))
        if dcode == 0 and ddata == res.out.get(4, (0, None))[1]:
            oks.append("default")
        else:
            fails.append(("default", "default version is not protocol 4",
                          "code %d, %d bytes" % (dcode, len(ddata))))
    return oks, fails


def _names_native_globals(data):
    return b"builtins" in data or b"__builtin__" in data or b"_codecs" in data


def evaluate_raw(data, proto, res, check_repr=True):
    """Yields (cause or None, detail) for the raw-globals read of data."""
    if res.crash is not None:
        yield ("crash", res.crash)
        return
    if res.code != 0:
        yield ("read error: " + res.msg[:60], "code %d offset %d" % (res.code, res.offset))
        return
    try:
        exp = repr(pv.inert_loads(data, native=False)) if check_repr else None
    except RecursionError:
        exp = None
    rcode, rtext = res.out.get(pv.WANT_REPR, (-1, b""))
    got = rtext.decode("utf-8", "surrogateescape")
    if exp is not None:
        if rcode == 0 and got == exp:
            yield (None, "")
        else:
            off = pv.first_diff(exp, got)
            yield ("repr differs", "at char %d\n  CPython: %s\n  acar:    %s"
                   % (off, _around(exp, off), _around(got, off)))
    wcode, wdata = res.out.get(proto, (-1, b""))
    if wcode == 0 and wdata == data:
        yield (None, "")
    elif wcode != 0:
        yield ("write error: " + wdata[:60].decode("utf-8", "replace"), "")
    else:
        yield (bytes_cause(data, wdata), lambda d=data, w=wdata: bytes_detail(d, w))


def run_cli(acar, work, results):
    """The acar command on a few cases: yields (check, proto, cause or None,
    detail)."""
    import re
    import subprocess
    import tempfile
    with tempfile.TemporaryDirectory() as tmp:
        for i, res in sorted(results.items()):
            ci, proto, other, data = work[i]
            if res.crash is not None or res.code != 0:
                continue
            path = os.path.join(tmp, "case%d.pkl" % i)
            with open(path, "wb") as f:
                f.write(data)
            r = subprocess.run([acar, "show", path], capture_output=True)
            rcode, rtext = res.out.get(pv.WANT_REPR, (-1, b""))
            if rcode == 0:
                ok = r.returncode == 0 and r.stdout == rtext + b"\n"
                yield ("cli", proto, None if ok else "acar show differs from the library repr",
                       "exit %d, stdout %r..., stderr %r" % (r.returncode, r.stdout[:80], r.stderr[:200]))
            r = subprocess.run([acar, "convert", path, "--to", "pickle:%d" % proto],
                               capture_output=True)
            wcode, wdata = res.out.get(proto, (-1, b""))
            if wcode == 0:
                ok = r.returncode == 0 and r.stdout == wdata
                yield ("cli", proto, None if ok else "acar convert --to pickle:N differs from the library",
                       "exit %d, %d bytes, stderr %r" % (r.returncode, len(r.stdout), r.stderr[:200]))
            if len(data) > 8:
                with open(path, "wb") as f:
                    f.write(data[:len(data) // 2])
                r = subprocess.run([acar, "show", path], capture_output=True)
                msg = r.stderr.decode("utf-8", "replace")
                ok = r.returncode == 1 and re.match(r"acar: .*: offset \d+: .+", msg)
                yield ("cli", proto, None if ok else "truncated input: not exit 1 with 'acar: F: offset N: ...'",
                       "exit %d, stderr %r" % (r.returncode, msg[:200]))
        r = subprocess.run([acar, "convert", "--to", "no-such-format"], capture_output=True)
        yield ("cli", 0, None if r.returncode == 2 else "usage error: not exit 2",
               "exit %d, stderr %r" % (r.returncode, r.stderr[:200]))


# ---------------------------------------------------------------------------
# Shrinking a failing value (ACAR_TEST_SHRINK=1): greedy, by pickle size.

def _children(v):
    t = type(v)
    if t in (list, tuple, set, frozenset):
        return list(v)
    if t is dict:
        return list(v.keys()) + list(v.values())
    if t in pv.BUILTIN_TYPES or isinstance(v, pv._OPAQUE):
        return []
    return [p for _, p in pv.inst_parts(v)]


def _smaller(v):
    """Variants of v one step smaller: its children, halves, one item less."""
    t = type(v)
    out = _children(v)
    if t in (list, tuple, str, bytes, bytearray):
        n = len(v)
        if n >= 2:
            out += [v[:n // 2], v[n // 2:]]
        if 2 <= n <= 24:
            out += [v[:i] + v[i + 1:] for i in range(n)]
    elif t is dict:
        items = list(v.items())
        n = len(items)
        if n >= 2:
            out += [dict(items[:n // 2]), dict(items[n // 2:])]
        if 2 <= n <= 24:
            out += [dict(items[:i] + items[i + 1:]) for i in range(n)]
    elif t in (set, frozenset):
        items = list(v)
        n = len(items)
        if n >= 2:
            out += [t(items[:n // 2]), t(items[n // 2:])]
        if 2 <= n <= 24:
            out += [t(items[:i] + items[i + 1:]) for i in range(n)]
    elif t is int and abs(v) > 256:
        out += [v >> (v.bit_length() // 2)]
    return out


def _candidates(v, limit=80):
    out = list(_smaller(v))
    # One level down: replace one child by a smaller variant of it.
    t = type(v)
    if t in (list, tuple):
        for i, c in enumerate(v):
            for s in _smaller(c)[:6]:
                out.append(t(list(v[:i]) + [s] + list(v[i + 1:])))
            if len(out) > limit:
                break
    elif t is dict:
        for k, c in v.items():
            for s in _smaller(c)[:6]:
                d = dict(v)
                d[k] = s
                out.append(d)
            if len(out) > limit:
                break
    return out[:limit]


_SEQS = (list, tuple, set, frozenset, dict)


def _slots(v, limit=20000):
    """Paths (tuples of item indices) of every item of every container in v;
    a shared container is entered once."""
    out, seen, stack = [], set(), [(v, ())]
    while stack and len(out) < limit:
        x, path = stack.pop()
        t = type(x)
        if t not in _SEQS or id(x) in seen:
            continue
        seen.add(id(x))
        items = list(x.values()) if t is dict else list(x)
        for i, it in enumerate(items):
            out.append(path + (i,))
            stack.append((it, path + (i,)))
    return out


def _rebuild(v, removed):
    """A copy of v without the items at the removed paths; sharing kept,
    leaves are the very same objects.  None when v has a cycle."""
    memo, busy = {}, set()

    def rec(x, path):
        t = type(x)
        if t not in _SEQS:
            return x
        if id(x) in memo:
            return memo[id(x)]
        if id(x) in busy:
            raise ValueError("cycle")
        busy.add(id(x))
        if t is dict:
            new = {k: rec(val, path + (i,)) for i, (k, val) in enumerate(x.items())
                   if path + (i,) not in removed}
        else:
            new = t(rec(it, path + (i,)) for i, it in enumerate(x) if path + (i,) not in removed)
        busy.discard(id(x))
        memo[id(x)] = new
        return new

    try:
        return rec(v, ())
    except ValueError:
        return None


def _family(cause):
    return cause.split(":")[0]


def _still_fails(batch, case, proto, other, check, cause, values):
    """The first of values (in order) that still fails the same way."""
    cands = []
    for c in values:
        try:
            d = pickle.dumps(c, proto)
            pickle.dumps(c, other)
        except Exception:
            continue
        cands.append((c, d))
    if not cands:
        return None
    results = batch.run([request_for(d, proto, other) for _, d in cands])
    for (c, d), res in zip(cands, results):
        sub = Case(case.label, c)
        sub.last_proto = -1
        try:
            _, fails = evaluate(sub, proto, other, d, res, collections.Counter())
        except RecursionError:
            continue
        if any(f[0] == check and _family(f[1]) == _family(cause) for f in fails):
            return c
    return None


def shrink(batch, case, proto, other, check, cause, rounds=60):
    """A small value that fails the same check the same way: ddmin over the
    items of the value's containers, then greedy steps to smaller parts."""
    cur = case.obj
    slots = _slots(cur)
    n = 2
    if _rebuild(cur, set()) is not None:
        while len(slots) >= 2 and rounds > 0:
            rounds -= 1
            size = (len(slots) + n - 1) // n
            chunks = [slots[i:i + size] for i in range(0, len(slots), size)]
            cands = [_rebuild(cur, set(ch)) for ch in chunks]
            found = _still_fails(batch, case, proto, other, check, cause,
                                 [c for c in cands if c is not None])
            if found is not None:
                cur = found
                slots = _slots(cur)
                n = max(n - 1, 2)
            elif n >= len(slots):
                break
            else:
                n = min(2 * n, len(slots))
    for _ in range(rounds):
        cur_len = len(pickle.dumps(cur, proto))
        cands = []
        for c in _candidates(cur):
            try:
                cands.append((len(pickle.dumps(c, proto)), c))
            except Exception:
                continue
        cands = [c for n_, c in sorted(cands, key=lambda x: x[0]) if n_ < cur_len][:40]
        found = _still_fails(batch, case, proto, other, check, cause, cands)
        if found is None:
            break
        cur = found
    return cur


# ---------------------------------------------------------------------------


def main():
    pv.ensure_hashseed()
    if len(sys.argv) < 3:
        raise SystemExit("usage: test_pickle_diff.py ACAR TOOLS_DIR")
    tools = sys.argv[2]
    verbose = os.environ.get("ACAR_TEST_VERBOSE") == "1"
    t_start = time.time()

    cases = [Case(label, obj) for label, obj in pv.ValueGen(SEED).cases(pv.scale())]
    rng = random.Random(SEED + 1)
    t_gen = time.time()

    # One request per (value, protocol) that CPython can pickle.
    reqs, work = [], []
    skipped = collections.Counter()
    for ci, case in enumerate(cases):
        dumps = {}
        for proto in range(6):
            try:
                dumps[proto] = pickle.dumps(case.obj, proto)
            except Exception as e:  # e.g. __slots__ before protocol 2
                skipped["%s: %s" % (type(e).__name__, str(e)[:60])] += 1
        for proto, data in dumps.items():
            # Another protocol CPython can write this value in (else the
            # cross check would ask acar for something CPython refuses).
            others = [p for p in dumps if p != proto]
            if not others:
                continue
            other = rng.choice(others)
            reqs.append(request_for(data, proto, other))
            work.append((ci, proto, other, data))
            case.last_proto = proto
    t_dump = time.time()

    counts = collections.defaultdict(lambda: [0, 0])  # (check, proto) -> [pass, fail]
    causes = collections.Counter()
    failures = []  # (check, proto, ci, other, data, cause, detail)
    stats = collections.Counter()
    worst = {"mem": (0.0, None), "peak": (0.0, None), "time": (0, None)}
    totals = {"nanos": 0, "bytes": 0}
    leaks = []

    cli_pick = set(rng.sample(range(len(work)), min(CLI_CASES, len(work))))
    cli_results = {}

    def on_chunk(start, results):
        for i, res in enumerate(results):
            if start + i in cli_pick:
                cli_results[start + i] = res
            ci, proto, other, data = work[start + i]
            case = cases[ci]
            totals["nanos"] += res.nanos
            totals["bytes"] += len(data)
            if res.crash is None:
                if res.leaked:
                    leaks.append((ci, proto, res.leaked))
                where = (case.label, proto, len(data))
                if len(data) >= 4096:
                    for key, val in (("mem", res.memory), ("peak", res.peak)):
                        if val / len(data) > worst[key][0]:
                            worst[key] = (val / len(data), where + (val,))
                if res.nanos > worst["time"][0]:
                    worst["time"] = (res.nanos, where)
            try:
                oks, fails = evaluate(case, proto, other, data, res, stats)
            except RecursionError as e:  # a CPython limit on our side, not acar's
                stats["skipped: RecursionError in the checker: %s" % e] += 1
                continue
            for c in oks:
                counts[(c, proto)][0] += 1
            for check, cause, detail in fails:
                counts[(check, proto)][1] += 1
                causes[(check, cause)] += 1
                failures.append((check, proto, ci, other, data, cause, detail))

    batch = pv.Batch(pv.find_batch(tools))
    batch.run(reqs, on_chunk)

    # raw: the same pickles with the well-known globals kept as objects.
    raw_work = [w for w in work if _names_native_globals(w[3])]
    raw_reqs = [pv.Request(d, pv.WANT_REPR | (1 << p), read=pv.READ_RAW_GLOBALS)
                for _, p, _, d in raw_work]
    for (ci, proto, _, data), res in zip(raw_work, batch.run(raw_reqs)):
        # Sets are real sets at protocol 4+, and a set holding a complex
        # (an object here) iterates in address order: no oracle for that repr.
        no_repr = proto >= 4 and "sets" in cases[ci].flags and any(
            type(o) is complex for o in pv.walk(cases[ci].obj))
        if no_repr:
            stats["raw: repr not checked (a set holds an object: address order)"] += 1
        for cause, detail in evaluate_raw(data, proto, res, not no_repr):
            if cause is None:
                counts[("raw", proto)][0] += 1
            else:
                counts[("raw", proto)][1] += 1
                causes[("raw", cause)] += 1
                failures.append(("raw", proto, ci, proto, data, cause, detail))
    for check, proto, cause, detail in run_cli(sys.argv[1], work, cli_results):
        if cause is None:
            counts[(check, proto)][0] += 1
        else:
            counts[(check, proto)][1] += 1
            causes[(check, cause)] += 1
            failures.append((check, proto, None, None, b"", cause, detail))
    t_end = time.time()

    # Sets: how often does a load reorder a set (each set of 2+ items once)?
    n_sets = n_moved = 0
    for case in cases:
        if "sets" in case.flags:
            for o in pv.walk(case.obj):
                if type(o) in (set, frozenset) and len(o) >= 2:
                    n_sets += 1
                    n_moved += list(o) != list(type(o)(list(o)))

    # ---- report ----
    labels = collections.Counter(c.label.split("/")[0] for c in cases)
    print("acar pickle differential test (seed %d, scale %g)" % (SEED, pv.scale()))
    print("values: %d (%s)" % (len(cases), ", ".join("%s %d" % kv for kv in sorted(labels.items()))))
    print("value x protocol cases: %d (%.1f MB of pickles); CPython could not pickle: %d"
          % (len(reqs), totals["bytes"] / 1e6, sum(skipped.values())))
    for k, v in sorted(skipped.items()):
        print("  skipped %5d  %s" % (v, k))
    print("time: total %.1f s (generate %.1f, dumps %.1f, acar+checks %.1f); acar itself %.1f s;"
          " batch restarts after a crash/hang: %d"
          % (t_end - t_start, t_gen - t_start, t_dump - t_gen, t_end - t_dump,
             totals["nanos"] / 1e9, batch.restarts))
    for key, what in (("mem", "acar_doc_memory"), ("peak", "peak allocator bytes")):
        ratio, where = worst[key]
        if where:
            print("memory: worst %s / len(P) = %.1f for inputs >= 4 KiB (%s, protocol %d, "
                  "%d bytes -> %d)" % (what, ratio, *where))
    if worst["time"][1]:
        print("slowest case: %.3f s (%s, protocol %d, %d bytes)"
              % (worst["time"][0] / 1e9, *worst["time"][1]))
    if leaks:
        print("LEAK: %d cases left bytes held through the doc allocator after acar_doc_free "
              "(first: value #%d protocol %d, %d bytes)" % (len(leaks), *leaks[0]))
    print("sets of 2+ items whose iteration order a load changes: %d of %d (%.1f%%)"
          % (n_moved, n_sets, 100.0 * n_moved / max(1, n_sets)))
    for k, v in sorted(stats.items()):
        print("note: %6d  %s" % (v, k))
    print()
    print("%-8s" % "check" + "".join("   proto %d     " % p for p in range(6)))
    for c in CHECKS:
        row = "%-8s" % c
        for p in range(6):
            ok, bad = counts.get((c, p), [0, 0])
            row += " %6d/%-7s" % (ok, ("-%d" % bad) if bad else "0")
        print(row)
    print("(passed/-failed)")
    n_fail = sum(v[1] for v in counts.values()) + len(leaks)
    if failures:
        print()
        print("failures by cause:")
        for (check, cause), v in causes.most_common():
            print("  %6d  %-7s %s" % (v, check, cause))
        print()
        shown = set()
        do_shrink = os.environ.get("ACAR_TEST_SHRINK") == "1"
        for check, proto, ci, other, data, cause, detail in failures:
            if not verbose and (check, cause) in shown:
                continue
            shown.add((check, cause))
            if ci is None:
                print("FAIL %s protocol %d %s\n  %s" % (check, proto, cause, detail))
                continue
            case = cases[ci]
            print("FAIL %s protocol %d [%s #%d] %s" % (check, proto, case.label, ci, cause))
            print("  value: %s" % pv.short_repr(case.obj))
            if len(data) <= 200:
                print("  P = %r" % (data,))
            if callable(detail):  # made only when shown: dis is slow
                detail = detail()
            print("  " + detail.replace("\n", "\n  ")[:3000])
            if do_shrink and cause != "crash":
                small = shrink(batch, case, proto, other, check, cause)
                sp = pickle.dumps(small, proto)
                res = batch.run([request_for(sp, proto, other)])[0]
                sub = Case(case.label, small)
                _, sfails = evaluate(sub, proto, other, sp, res, collections.Counter())
                print("  shrunk: %s\n  P = %r" % (pv.short_repr(small, 300), sp[:400]))
                for f in sfails:
                    if f[0] == check:
                        d = f[2]() if callable(f[2]) else f[2]
                        print("  shrunk %s: %s\n  %s" % (f[0], f[1], d.replace("\n", "\n  ")[:1500]))
                        break
            if not verbose and len(shown) >= 40:
                print("... (ACAR_TEST_VERBOSE=1 lists every failure)")
                break
    for prob in batch.problems:
        print("FAIL batch process: " + prob[:3000])
    n_fail += len(batch.problems)
    passed = sum(v[0] for v in counts.values())
    print()
    print("%d passed, %d failed" % (passed, n_fail))
    return 1 if n_fail else 0


if __name__ == "__main__":
    sys.exit(main())
