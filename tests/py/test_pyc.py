"""Differential test of acar's .pyc and code object support against CPython.

For every Python of 2.7 and 3.6-3.13 found under `pyenv root`:

  stdlib   .pyc files of that Python's own library, read in place (a spread
           sample of ACAR_PYC_SAMPLE per version, default 300; every one
           with ACAR_PYC_ALL=1): acar reads each and writes it back byte
           for byte.  Fails when pyenv is there but no .pyc is found.
  fields   for part of that sample, and for the test modules of
           tests/fixtures/pyc/src compiled now by that Python with its
           py_compile (timestamp, checked-hash and unchecked-hash pycs):
           every field of every code object as acar reads it equals what
           that Python's marshal.loads gives (tests/gen/pyc_canon.py runs
           under that Python; tests/unit/test_pyc.c --check --canon prints
           acar's side in the same canonical text)
  source   acar_pyc_check_source on the fresh pycs against their source:
           a match; after the source changes (one byte), stale
  hash     acar_pyc_source_hash == importlib.util.source_hash of that
           Python for seeded random sources of 0..300 bytes (3.7+)
  mutate   seeded byte mutations of pycs: acar answers for every file (no
           crash, ASan clean); where that Python's marshal.loads reads the
           body, acar reads it too, to the same fields; where acar reads
           and CPython does not, it is counted as a note (CPython checks
           more of a code object, docs/pyc.md)
  trunc    prefixes of pycs: a truncation error, every time
  py2      Python 2.7's marshal.dumps(v, V), V = 0..2, of seeded random
           values (ints, longs, floats, str, interned str, unicode, all
           containers): read in the Python 2 dialect and written back by
           the Python 2 writer, byte for byte
  cli      `acar show F.pyc`, `acar convert F.pyc --to pyc`, `acar check
           F.pyc --source F.py`, once the command knows them (else notes)

Usage: python3 test_pyc.py PATH/TO/acar PATH/TO/TOOLS_DIR (cwd tests/)
The driver is the unit test binary tests/unit/test_pyc.c in its --check
mode, found next to the tools directory (BUILD/tests/test_pyc).
Environment: ACAR_PYC_SAMPLE, ACAR_PYC_ALL, ACAR_TEST_SEED, ACAR_TEST_VERBOSE.
Prints a summary and `N passed, N failed`; exits 1 on any failure.
"""
import collections
import os
import re
import random
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TESTS = os.path.dirname(HERE)
SRC = os.path.join(TESTS, "fixtures", "pyc", "src")
CANON = os.path.join(TESTS, "gen", "pyc_canon.py")
VERSIONS = ["2.7", "3.6", "3.7", "3.8", "3.9", "3.10", "3.11", "3.12", "3.13"]
VERBOSE = os.environ.get("ACAR_TEST_VERBOSE") == "1"


class Report:
    def __init__(self):
        self.passed = collections.Counter()
        self.failed = collections.Counter()
        self.notes = collections.Counter()
        self.shown = collections.Counter()

    def check(self, area, ok, what="", detail=""):
        if ok:
            self.passed[area] += 1
            return True
        self.failed[area] += 1
        if self.shown[area] < 8 or VERBOSE:
            self.shown[area] += 1
            print("FAIL %s: %s %s" % (area, what, detail[:400]))
        return False


def run_lines(cmd, lines, preexec=None):
    """Feeds lines to cmd and returns its answer lines."""
    p = subprocess.run(cmd, input=("\n".join(lines) + "\n").encode("utf-8", "surrogateescape"),
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, preexec_fn=preexec)
    out = p.stdout.decode("utf-8", "surrogateescape").splitlines()
    return p.returncode, out, p.stderr.decode("utf-8", "replace")


def pythons():
    try:
        root = subprocess.check_output(["pyenv", "root"], stderr=subprocess.DEVNULL).decode().strip()
    except (OSError, subprocess.CalledProcessError):
        return None
    vdir = os.path.join(root, "versions")
    if not os.path.isdir(vdir):
        return None
    found = {}
    for v in VERSIONS:
        full = sorted(x for x in os.listdir(vdir) if x.startswith(v + "."))
        if full:
            py = os.path.join(vdir, full[-1], "bin", "python")
            if os.path.exists(py):
                found[v] = (full[-1], py, os.path.join(vdir, full[-1]))
    return found


def sources_for(v):
    if v == "2.7":
        return ["all_py2.py"]
    minor = int(v.split(".")[1])
    names = ["all_py3.py"]
    for n in sorted(os.listdir(SRC)):
        if n.startswith("py3") and n.endswith(".py") and int(n[3:-3]) <= minor:
            names.append(n)
    return names


COMPILE = r'''
import os, py_compile, sys
out, srcs = sys.argv[1], sys.argv[2:]
V = sys.version_info[:2]
for src in srcs:
    name = os.path.splitext(os.path.basename(src))[0]
    modes = [("ts", None)]
    if V >= (3, 7):
        from py_compile import PycInvalidationMode as M
        modes += [("checked", M.CHECKED_HASH), ("unchecked", M.UNCHECKED_HASH)]
    for tag, mode in modes:
        cfile = os.path.join(out, "%s.%s.pyc" % (name, tag))
        if mode is None:
            py_compile.compile(src, cfile, None, True)
        else:
            py_compile.compile(src, cfile, None, True, invalidation_mode=mode)
        print(cfile + "\t" + src)
'''

HASHES = r'''
import importlib.util, sys
for line in sys.stdin:
    with open(line.rstrip("\n"), "rb") as f:
        print(importlib.util.source_hash(f.read()).hex())
print(int.from_bytes(importlib.util.MAGIC_NUMBER[:2], "little"))
'''


NO_CODE = re.compile(r"co_code=b[0-9a-f]*;")


def limit_memory():
    """CPython allocates the counts it reads before the items: a mutated count
    of 2^30 must fail fast (MemoryError) instead of paging for a minute."""
    try:
        import resource
        resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))
    except (ImportError, ValueError, OSError):
        pass


def mutate(data, r, header):
    b = bytearray(data)
    for _ in range(r.randint(1, 4)):
        i = r.randrange(header, len(b)) if len(b) > header else 0
        k = r.random()
        if k < 0.45:
            b[i] = r.randrange(256)
        elif k < 0.7:
            b[i] ^= 0x80
        elif k < 0.85:
            b[i:i] = bytes([r.randrange(256)])
        else:
            del b[i]
    return bytes(b)


# Runs under Python 2.7: seeded random values dumped at versions 0..2 into
# files; prints "V<TAB>path" for each.
PY2_VALUES = r'''
import marshal, random, sys
r = random.Random(int(sys.argv[2]))
out = sys.argv[1]
def scalar():
    k = r.randrange(14)
    if k == 0: return r.randrange(-2**31, 2**31)
    if k == 1: return r.choice([2**31, -2**31 - 1, 2**40, -2**62, 2**63 - 1, -2**63])
    if k == 2: return long(r.randrange(-2**70, 2**70)) * r.choice([1, 2**40])
    if k == 3: return r.choice([0L, 5L, -1L])
    if k == 4: return r.choice([0.0, -0.0, 1.5, 0.1, 1e300, -1e-300, float("inf"), float("nan"), r.random() * 10 ** r.randrange(-30, 30)])
    if k == 5: return complex(r.random(), -r.random())
    if k == 6: return "".join(chr(r.randrange(256)) for _ in range(r.randrange(6)))
    if k == 7: return intern(r.choice(["a", "bc", "name", "x_1", ""]))
    if k == 8: return u"".join(unichr(r.choice([r.randrange(128), r.randrange(0x800), r.randrange(0xd800), 0x10000 + r.randrange(0x1000)])) for _ in range(r.randrange(5)))
    if k == 9: return r.choice([None, True, False, Ellipsis, StopIteration])
    if k == 10: return bytearray(b"xy")
    if k == 11: return r.choice(["__init__", "self", "os"])
    return r.randrange(100)
def value(d=0):
    k = r.randrange(8) if d < 4 else 7
    n = r.randrange(5)
    if k == 0: return tuple(value(d + 1) for _ in range(n))
    if k == 1: return [value(d + 1) for _ in range(n)]
    if k == 2: return dict((scalar_key(), value(d + 1)) for _ in range(n))
    if k == 3: return set(scalar_key() for _ in range(n))
    if k == 4: return frozenset(scalar_key() for _ in range(n))
    if k == 5: s = intern("shared"); return (s, s, [s])
    return scalar()
def scalar_key():
    while True:
        v = scalar()
        if not isinstance(v, bytearray):
            try:
                hash(v)
                if v == v: return v
            except TypeError:
                pass
i = 0
for case in range(int(sys.argv[3])):
    v = value()
    for V in (0, 1, 2):
        path = "%s/p2-%d-%d" % (out, case, V)
        with open(path, "wb") as f:
            f.write(marshal.dumps(v, V))
        print("%d\t%s" % (V, path))
'''


def run_py2(driver, py, tmp, seed, rep):
    """Python 2.7's marshal.dumps(v, V) read in the Python 2 dialect and
    written back by the Python 2 writer: the same bytes."""
    d = os.path.join(tmp, "py2vals")
    os.makedirs(d)
    lines = subprocess.check_output([py, "-c", PY2_VALUES, d, str(seed), "400"]).decode().splitlines()
    rc, out, err = run_lines([driver, "--py2"], lines)
    rep.check("py2", rc == 0 and len(out) == len(lines), "driver died", err[-300:])
    for l, a in zip(lines, out):
        rep.check("py2", a == "OK", l, a)


def run_cli(acar, rep):
    """The command line, where it knows pyc (the lead wires it; until then
    each missing piece is a note)."""
    fx = os.path.join(TESTS, "fixtures", "pyc", "3.11", "all_py3.pyc")
    head = b'<code object <module>, file "src/all_py3.py", line 1>'
    p = subprocess.run([acar, "show", fx], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if p.returncode == 0:
        out = p.stdout
        if out.startswith(b"#"):  # acar_code_show: the header line first
            rep.check("cli", out.startswith(b"# Python 3.11 .pyc, magic 3495, "), "acar show header", out[:100])
            out = out.split(b"\n", 1)[1]
        rep.check("cli", out.startswith(head), "acar show", out[:200].decode("utf-8", "replace"))
    else:
        rep.notes["cli: `acar show F.pyc` not wired yet: %s" % p.stderr.decode()[:80].strip()] += 1
    with open(fx, "rb") as f:
        want = f.read()
    p = subprocess.run([acar, "convert", fx, "--to", "pyc"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if p.returncode == 0:
        rep.check("cli", p.stdout == want, "acar convert --to pyc: not the same bytes")
    else:
        rep.notes["cli: `acar convert --to pyc` not wired yet"] += 1
    h = subprocess.run([acar, "check", "--help"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    if b"--source" in h.stdout:
        chk = os.path.join(TESTS, "fixtures", "pyc", "3.11", "all_py3.checked.pyc")
        good = os.path.join(SRC, "all_py3.py")
        bad = os.path.join(SRC, "py38.py")
        p = subprocess.run([acar, "check", chk, "--source", good], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        rep.check("cli", p.returncode == 0, "acar check --source (up to date)", p.stderr.decode()[:200])
        p = subprocess.run([acar, "check", chk, "--source", bad], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        rep.check("cli", p.returncode == 1 and b"stale" in p.stderr, "acar check --source (stale)",
                  "exit %d: %s" % (p.returncode, p.stderr.decode()[:200]))
    else:
        rep.notes["cli: `acar check --source` not wired yet"] += 1


def main():
    acar = sys.argv[1] if len(sys.argv) > 1 else None
    tools = sys.argv[2] if len(sys.argv) > 2 else None
    driver = None
    for cand in ([os.path.join(os.path.dirname(tools), "tests", "test_pyc")] if tools else []) + \
            [os.path.join(os.path.dirname(acar), "tests", "test_pyc")] if acar else []:
        if os.path.exists(cand):
            driver = cand
            break
    if not driver:
        print("test_pyc driver not found next to %s" % tools)
        return 1
    seed = int(os.environ.get("ACAR_TEST_SEED", "20261126"))
    sample = int(os.environ.get("ACAR_PYC_SAMPLE", "300"))
    everything = os.environ.get("ACAR_PYC_ALL") == "1"
    r = random.Random(seed)
    rep = Report()
    found = pythons()
    if found is None:
        print("no pyenv: only the committed fixtures are checked (unit/test_pyc)")
        print("0 passed, 0 failed")
        return 0
    tmp = tempfile.mkdtemp(prefix="acar_pyc_")
    timing = {}
    totals = collections.Counter()
    try:
        for v in VERSIONS:
            if v not in found:
                rep.notes["Python %s not under pyenv: skipped" % v] += 1
                continue
            full, py, prefix = found[v]
            t0 = time.time()
            header = 8 if v == "2.7" else 12 if v == "3.6" else 16
            # ---- stdlib, in place ----
            pycs = []
            for d, _, files in os.walk(os.path.join(prefix, "lib")):
                pycs.extend(os.path.join(d, f) for f in files if f.endswith(".pyc"))
            pycs.sort()
            rep.check("stdlib", len(pycs) > 0, "Python %s: no .pyc found under %s" % (full, prefix))
            if not everything and len(pycs) > sample:
                step = len(pycs) / float(sample)
                pycs = [pycs[int(i * step)] for i in range(sample)]
            rc, out, err = run_lines([driver, "--check"], pycs)
            rep.check("stdlib", rc == 0 and len(out) == len(pycs), "driver died", err[-300:])
            for path, line in zip(pycs, out):
                rep.check("stdlib", line == "OK", "%s: %s" % (full, path), line)
            totals["stdlib " + v] = len(pycs)
            # ---- fresh compiles of the test modules ----
            vdir = os.path.join(tmp, v)
            os.makedirs(vdir)
            srcs = []
            for n in sources_for(v):
                shutil.copy(os.path.join(SRC, n), os.path.join(vdir, n))
                srcs.append(os.path.join(vdir, n))
            made = subprocess.check_output([py, "-c", COMPILE, vdir] + srcs).decode().splitlines()
            fresh = [m.split("\t") for m in made]
            # ---- fields against this Python's marshal.loads ----
            canon_set = pycs[:: max(1, len(pycs) // 40)] + [p for p, _ in fresh]
            rc, mine, err = run_lines([driver, "--check", "--canon"], canon_set)
            rc2, theirs, err2 = run_lines([py, CANON], canon_set)
            rep.check("fields", len(mine) == len(canon_set) and len(theirs) == len(canon_set),
                      "Python %s: answers missing" % full, err + err2)
            for path, a, b in zip(canon_set, mine, theirs):
                rep.check("fields", b.startswith("OK\t") and a == b, "%s: %s" % (full, path),
                          "acar %s / CPython %s" % (a[:120], b[:120]))
            totals["fields " + v] = len(canon_set)
            # ---- source checks ----
            lines = ["%s\t%s" % (p, s) for p, s in fresh]
            rc, out, err = run_lines([driver, "--source"], lines)
            for l, ans in zip(lines, out):
                rep.check("source", ans == "MATCH", "%s: %s" % (full, l), ans)
            for _, s in fresh:
                with open(s, "ab") as f:
                    f.write(b"\n")
            rc, out, err = run_lines([driver, "--source"], lines)
            rep.check("source", len(out) == len(lines), "answers missing", err)
            for l, ans in zip(lines, out):
                if ".unchecked." in l or ".checked." in l or v != "2.7":
                    rep.check("source", ans.startswith("STALE ") and "stale" in ans, "%s: %s" % (full, l), ans)
                else:
                    # Python 2.7 pycs record no size; the mtime may not move
                    # within the second the test runs in.
                    rep.check("source", ans.startswith(("STALE", "MATCH")), "%s: %s" % (full, l), ans)
            # ---- the source hash ----
            if v not in ("2.7", "3.6"):
                blobs = []
                for i in range(24):
                    n = r.choice([0, 1, 7, 8, 9, 15, 16, 17, r.randrange(300)])
                    path = os.path.join(vdir, "blob%d" % i)
                    with open(path, "wb") as f:
                        f.write(bytes(r.randrange(256) for _ in range(n)))
                    blobs.append(path)
                blobs += [s for _, s in fresh[:1]]
                rc, theirs, err = run_lines([py, "-c", HASHES], blobs)
                magic = theirs[-1]
                rc, mine, err2 = run_lines([driver, "--hash", magic], blobs)
                rep.check("hash", len(mine) == len(blobs), "answers missing", err2)
                for b, a, t in zip(blobs, mine, theirs):
                    rep.check("hash", a == t, "%s: %s" % (full, b), "acar %s, CPython %s" % (a, t))
            # ---- mutations and truncations ----
            victims = [p for p, _ in fresh] + pycs[:: max(1, len(pycs) // 8)]
            mdir = os.path.join(vdir, "mut")
            os.makedirs(mdir)
            mpaths = []
            tpaths = []
            for k in range(160):
                src = r.choice(victims)
                with open(src, "rb") as f:
                    data = f.read()
                path = os.path.join(mdir, "m%d.pyc" % k)
                with open(path, "wb") as f:
                    f.write(mutate(data, r, header))
                mpaths.append(path)
                if k < 40 and len(data) > 1:
                    tpath = os.path.join(mdir, "t%d.pyc" % k)
                    with open(tpath, "wb") as f:
                        f.write(data[: r.randrange(len(data))])
                    tpaths.append(tpath)
            rc, mine, err = run_lines([driver, "--check", "--canon"], mpaths)
            rep.check("mutate", rc == 0 and len(mine) == len(mpaths), "Python %s: driver died" % full, err[-500:])
            rc2, theirs, _ = run_lines([py, CANON], mpaths, preexec=limit_memory)
            for path, a, b in zip(mpaths, mine, theirs):
                if b.startswith("OK\t"):
                    if a.startswith("DIFF"):
                        # acar reads it; its own writer's forms may differ from
                        # a mutated file (an ASCII 'u' string is written 'z')
                        rep.notes["mutate: read, written back in acar's own forms"] += 1
                        rep.passed["mutate"] += 1
                        continue
                    if a != b and v not in ("2.7", "3.6", "3.7", "3.8", "3.9", "3.10") and \
                            NO_CODE.sub("", a) == NO_CODE.sub("", b):
                        # 3.11+ show co_code with inline caches zeroed and
                        # specialized opcodes undone; the file holds the bytes
                        rep.notes["mutate: co_code differs in cache entries (3.11+ deoptimize it)"] += 1
                        rep.passed["mutate"] += 1
                        continue
                    rep.check("mutate", a == b, "%s: CPython reads %s" % (full, path),
                              "acar %s / CPython %s" % (a[:160], b[:160]))
                elif a.startswith("RERR"):
                    rep.check("mutate", a.split()[1] in ("2", "3", "4", "5"), "%s: %s" % (full, path), a)
                else:
                    rep.notes["mutate: acar reads it, CPython refuses (%s)" % b.split(":")[0][3:]] += 1
                    rep.passed["mutate"] += 1
            rc, mine, err = run_lines([driver, "--check"], tpaths)
            rep.check("trunc", rc == 0 and len(mine) == len(tpaths), "driver died", err[-300:])
            for path, a in zip(tpaths, mine):
                rep.check("trunc", a.startswith("RERR 3 "), "%s: %s" % (full, path), a)
            if v == "2.7":
                run_py2(driver, py, tmp, seed, rep)
            timing[full] = time.time() - t0
        # ---- the command line ----
        run_cli(acar, rep)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    for k in sorted(timing):
        print("  %-8s %5.1f s" % (k, timing[k]))
    print("  checked: " + ", ".join("%s %d" % kv for kv in sorted(totals.items())))
    for area in sorted(set(rep.passed) | set(rep.failed)):
        print("  %-8s %6d passed %5d failed" % (area, rep.passed[area], rep.failed[area]))
    for note, n in sorted(rep.notes.items()):
        print("  note: %s: %d" % (note, n))
    npass, nfail = sum(rep.passed.values()), sum(rep.failed.values())
    print("%d passed, %d failed" % (npass, nfail))
    return 1 if nfail else 0


if __name__ == "__main__":
    sys.exit(main())
