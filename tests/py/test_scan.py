"""`acar scan` against CPython itself.

CPython is the oracle: an unpickler whose find_class records every name it
is asked for, hands out inert stand-ins (pyvalues.InertUnpickler) and raises
on the names this test calls dangerous (its own short list below, not
acar's table), so nothing runs.  "CPython reaches a dangerous name" is then
exactly "find_class was asked for it before the load ended".

  fixtures   tests/fixtures/scan (made by make_fixtures.py): for every d_/m_
             fixture acar's verdict is dangerous exactly when CPython
             reaches a dangerous name (containers opened as torch, numpy
             and joblib open them); u_ fixtures (EXT codes) are unknown;
             s_ fixtures are safe; offsets of imports and calls are those
             of a GLOBAL/STACK_GLOBAL/INST resp. REDUCE/NEWOBJ/... opcode
             in pickletools.genops.
  benign     thousands of pyvalues values at protocols 0-5: safe, except
             those whose load asks find_class for the test's own classes
             (module pyvalues), which are unknown.
  mutants    seeded byte mutations and every truncation of the exploit
             fixtures: dangerous exactly when CPython reaches a dangerous
             name; never safe when it does.
  cli        exit status (0 safe, 1 unsafe, 2 error), --allow, --allow-file,
             --json, the one-line text verdict.

The generated pickles go to acar as members of zip archives (200 a piece;
each member is scanned as a pickle stream, as a file is), because creating
thousands of files cost more than everything else together.

Usage: python3 test_scan.py PATH/TO/acar [TOOLS_DIR]
Environment: ACAR_TEST_SCALE scales the generated cases.
"""

import ast
import copyreg
import io
import json
import os
import pickle
import pickletools
import random
import shutil
import struct
import subprocess
import sys
import tempfile
import zipfile

sys.setrecursionlimit(20000)
sys.dont_write_bytecode = True
import pyvalues as pv  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.join(HERE, "..", "fixtures", "scan")
SEED = int(os.environ.get("ACAR_TEST_SEED", "6061"))

# The names this test treats as dangerous: whole modules, or module.name.
ORACLE_MODULES = {"os", "posix", "nt", "subprocess", "sys", "socket", "shutil", "runpy",
                  "importlib", "pickle", "_pickle", "marshal", "webbrowser", "pty", "code",
                  "ctypes", "multiprocessing"}
ORACLE_NAMES = {("builtins", "eval"), ("builtins", "exec"), ("builtins", "compile"),
                ("builtins", "open"), ("builtins", "__import__"), ("builtins", "setattr"),
                ("operator", "attrgetter"), ("operator", "methodcaller")}
# (builtins.getattr and functools.partial are not here: CPython itself
# writes getattr(Class, 'name') and partial(Class.__new__, ...) below
# protocol 4; the fixtures that abuse them also reach a name above)
# EXT codes the oracle's "application" registered (make_fixtures.py: 0xF1)
ORACLE_EXT = [("posix", "system", 0xF1)]

failures = []
passed = 0


def check(cond, what):
    global passed
    if cond:
        passed += 1
    else:
        failures.append(what)


class Reached(Exception):
    pass


def dangerous_name(module, name):
    return module.split(".")[0] in ORACLE_MODULES or (module, name.split(".")[0]) in ORACLE_NAMES


class Recorder(pv.InertUnpickler):
    """CPython's unpickler: records find_class, raises on dangerous names."""

    def __init__(self, data, **kw):
        super().__init__(data, native=False, encoding="latin1", **kw)
        self.names = []

    def find_class(self, module, name):
        m, n = module, name
        if self.proto < 3 and self.fix_imports:
            import _compat_pickle
            if (m, n) in _compat_pickle.NAME_MAPPING:
                m, n = _compat_pickle.NAME_MAPPING[(m, n)]
            elif m in _compat_pickle.IMPORT_MAPPING:
                m = _compat_pickle.IMPORT_MAPPING[m]
        self.names.append((m, n))
        if dangerous_name(m, n):
            raise Reached("%s.%s" % (m, n))
        return super().find_class(module, name)


def oob():
    i = 0
    while True:
        yield pv.InertOOB(i)
        i += 1


def oracle_stream(data):
    """Loads pickles one after another, as torch's legacy format and joblib
    read them: reached a dangerous name in any of them?"""
    with_ext(True)
    try:
        f = io.BytesIO(data)
        names = []
        while f.tell() < len(data):
            start = f.tell()
            r = Recorder(b"")
            pickle.Unpickler.__init__(r, f, encoding="latin1", buffers=oob())
            r.proto = data[start + 1] if len(data) > start + 1 and data[start] == 0x80 else 0
            try:
                r.load()
            except Reached:
                return True, names + r.names
            except Exception:
                return False, names + r.names
            finally:
                names += r.names
            if f.tell() == start:
                break
        return False, names
    finally:
        with_ext(False)


def with_ext(on):
    for m, n, c in ORACLE_EXT:
        if on:
            copyreg.add_extension(m, n, c)
        else:
            copyreg.remove_extension(m, n, c)


def npy_pickle(data):
    """The pickle of an object-dtype .npy (None for plain arrays)."""
    major = data[6]
    hl, start = (struct.unpack("<H", data[8:10])[0], 10) if major == 1 else (struct.unpack("<I", data[8:12])[0], 12)
    header = ast.literal_eval(data[start:start + hl].decode("latin1"))
    if "O" not in str(header["descr"]):
        return None
    return data[start + hl:]


def oracle_file(name, data):
    """Reached for a fixture, opening it as the library that wrote it would."""
    if name.endswith((".pt", ".npz")):
        z = zipfile.ZipFile(io.BytesIO(data))
        for info in z.infolist():
            body = z.read(info)
            if info.filename.endswith(".pkl") and oracle_stream(body)[0]:
                return True
            if info.filename.endswith(".npy"):
                p = npy_pickle(body)
                if p is not None and oracle_stream(p)[0]:
                    return True
        return False
    if name.endswith(".npy"):
        p = npy_pickle(data)
        return p is not None and oracle_stream(p)[0]
    return oracle_stream(data)[0]


# ---------------------------------------------------------------------------
# Running acar


def scan(acar, files, extra=()):
    """{file: report} from one `acar scan --json` run over many files."""
    out = {}
    for i in range(0, len(files), 400):
        chunk = files[i:i + 400]
        p = subprocess.run([acar, "scan", "--json"] + list(extra) + chunk, capture_output=True)
        lines = p.stdout.decode().splitlines()
        if len(lines) != len(chunk):
            failures.append("acar scan printed %d lines for %d files (status %d): %s" %
                            (len(lines), len(chunk), p.returncode, p.stderr.decode()[-300:]))
            continue
        for f, line in zip(chunk, lines):
            out[f] = json.loads(line)
    return out


SEV = {"safe": 0, "unknown": 1, "dangerous": 2}


def scan_blobs(acar, tmp, blobs, extra=()):
    """{name: report} for many pickles at once: they go into zip archives
    (one stored .pkl member each, so each is scanned as a pickle stream,
    as a file would be) and each report is rebuilt from the findings that
    name its member.  Thousands of small files cost far more to create
    than to scan."""
    names = sorted(blobs)
    out = {}
    for c in range(0, len(names), 200):
        chunk = names[c:c + 200]
        path = os.path.join(tmp, "blobs%d.zip" % c)
        with zipfile.ZipFile(path, "w") as z:
            for n in chunk:
                z.writestr(n, blobs[n])
        rep = scan(acar, [path], extra).get(path)
        if rep is None:
            continue
        for n in chunk:
            out[n] = {"verdict": "safe", "malformed": False, "incomplete": False, "findings": []}
        for f in rep["findings"]:
            member = f["where"].split(" > ")[0]
            if member not in out:
                check(False, "finding outside any member: %r" % (f,))
                continue
            r = out[member]
            f = dict(f, where=f["where"][len(member) + 3:] if " > " in f["where"] else "")
            r["findings"].append(f)
            if SEV[f["severity"]] > SEV[r["verdict"]]:
                r["verdict"] = f["severity"]
            if f["kind"] == "malformed":
                r["malformed"] = True
            if f["kind"] == "incomplete":
                r["incomplete"] = True
                if r["verdict"] == "safe":
                    r["verdict"] = "unknown"
        check(not any(f["kind"] == "note" and "not listed" in f["message"] for f in rep["findings"]),
              "too many findings in one archive")
    return out


def opcode_at(data, offset):
    try:
        for op, arg, pos in pickletools.genops(data):
            if pos == offset:
                return op.name
            if pos > offset:
                return None
    except Exception:
        pass
    return None


IMPORT_OPS = {"GLOBAL", "STACK_GLOBAL", "INST", "REDUCE"}  # REDUCE: getattr(G, 'a') names G.a
CALL_OPS = {"REDUCE", "NEWOBJ", "NEWOBJ_EX", "INST", "OBJ"}


def check_fixtures(acar):
    names = sorted(n for n in os.listdir(FIXTURES) if n[:2] in ("d_", "m_", "u_", "s_"))
    paths = [os.path.join(FIXTURES, n) for n in names]
    reports = scan(acar, paths)
    zlib_missing = False
    for n, path in zip(names, paths):
        rep = reports.get(path)
        if rep is None:
            continue
        data = open(path, "rb").read()
        v = rep["verdict"]
        if any("built without zlib" in f["message"] for f in rep["findings"]):
            zlib_missing = True
            print("SKIP %s: acar built without zlib" % n)
            continue
        if n.endswith(".joblib"):
            reached = n.startswith("d_")  # the oracle cannot read joblib's inline arrays
        else:
            reached = oracle_file(n, data)
        kind = n[0]
        check(kind != "d" or reached, "%s: the fixture does not reach a dangerous name in CPython" % n)
        check(kind not in "ms" or not reached, "%s: the fixture reaches a dangerous name in CPython" % n)
        if kind == "u":
            check(v == "unknown" and any(f["kind"] == "ext" for f in rep["findings"]),
                  "%s: verdict %s, want unknown with an ext finding" % (n, v))
            continue
        check((v == "dangerous") == reached,
              "%s: acar says %s, CPython %s a dangerous name" % (n, v, "reaches" if reached else "does not reach"))
        if kind == "s":
            check(v == "safe" and not rep["malformed"], "%s: acar says %s, want safe" % (n, v))
        if kind == "m":
            check(rep["malformed"], "%s: not reported malformed" % n)
        # offsets point at the opcode that imports or calls
        if n.endswith(".pkl") and "concat" not in n and "garbage" not in n:
            for f in rep["findings"]:
                if f["where"] or f["kind"] not in ("import", "call"):
                    continue
                op = opcode_at(data, f["offset"])
                want = IMPORT_OPS if f["kind"] == "import" else CALL_OPS
                check(op in want, "%s: %s of %s.%s at offset %d is at %s" %
                      (n, f["kind"], f["module"], f["name"], f["offset"], op))
    return zlib_missing


def check_benign(acar, tmp):
    gen = pv.ValueGen(SEED)
    scale = 0.12 * pv.scale()
    cases = gen.cases(scale)
    blobs, expect = {}, {}
    for i, (label, v) in enumerate(cases):
        for proto in range(6):
            try:
                data = pickle.dumps(v, proto)
            except Exception:
                continue
            name = "b%05d_p%d.pkl" % (i, proto)
            blobs[name] = data
            reached, names = oracle_stream(data)
            unknown = any(m == "pyvalues" for m, _ in names)
            expect[name] = ("unknown" if unknown else "safe", label, proto, reached, names)
    files = sorted(blobs)
    reports = scan_blobs(acar, tmp, blobs)
    counts = {}
    for path in files:
        rep = reports.get(path)
        if rep is None:
            continue
        want, label, proto, reached, names = expect[path]
        check(not reached, "%s p%d: CPython reaches a dangerous name in a benign value: %s" % (label, proto, names))
        ok = rep["verdict"] == want and not rep["malformed"]
        counts[(want, ok)] = counts.get((want, ok), 0) + 1
        check(ok, "benign %s p%d: acar says %s%s, want %s (globals %s; findings %s)" %
              (label, proto, rep["verdict"], " (malformed)" if rep["malformed"] else "", want,
               sorted(set(names))[:6], [(f["module"], f["name"], f["message"]) for f in rep["findings"]][:4]))
    print("benign: %d files; %s" % (len(files), ", ".join("%s %s: %d" % (w, "ok" if o else "WRONG", c)
                                                          for (w, o), c in sorted(counts.items()))))


def map_py2(module, name):
    import _compat_pickle
    if (module, name) in _compat_pickle.NAME_MAPPING:
        return _compat_pickle.NAME_MAPPING[(module, name)]
    if module in _compat_pickle.IMPORT_MAPPING:
        return _compat_pickle.IMPORT_MAPPING[module], name
    return module, name


class RawRecorder(Recorder):
    """Records the names find_class gets, unmapped, and never raises."""

    def find_class(self, module, name):
        self.names.append((module, name))
        return self._inert(module, name)


def oracle_names(data):
    """Names CPython's find_class is asked for, pickle after pickle."""
    f = io.BytesIO(data)
    names = []
    while f.tell() < len(data):
        start = f.tell()
        r = RawRecorder(b"")
        pickle.Unpickler.__init__(r, f, encoding="latin1", buffers=oob())
        try:
            r.load()
        except Exception:
            names += r.names
            break
        names += r.names
        if f.tell() == start:
            break
    return names


def cheap_for_cpython(data):
    """False for mutants whose memo index makes CPython's memo huge (it
    grows to twice the index and walks all of it when freed: seconds)."""
    try:
        for op, arg, pos in pickletools.genops(data):
            if op.name in ("PUT", "BINPUT", "LONG_BINPUT") and isinstance(arg, int) and arg > 1 << 20:
                return False
    except Exception:
        pass
    return True


def check_tensor_fixtures(acar, tmp):
    """The NumPy and PyTorch files NumPy 1.24 and torch 1.13 wrote for the
    array tests (tests/fixtures/tensor, made by tests/gen/make_tensor_fixtures.py):
    plain data, so every one must scan safe."""
    here = os.path.dirname(os.path.abspath(__file__))
    d = os.path.join(here, "..", "fixtures", "tensor")
    files = sorted(os.path.join(d, f) for f in os.listdir(d)
                   if f.endswith((".pt", ".pkl", ".npy", ".npz")))
    check(len(files) > 50, "tensor fixtures: found only %d files" % len(files))
    for f, rep in scan(acar, files).items():
        check(rep["verdict"] == "safe", "%s (NumPy/PyTorch data): acar says %s: %s"
              % (os.path.basename(f), rep["verdict"], rep["findings"][:3]))


def check_mutants(acar, tmp):
    """Every name CPython's find_class is asked for is an import acar
    reports, and nothing else: the reader and CPython agree on how far
    each mutant gets and what it names on the way."""
    rng = random.Random(SEED)
    sources = sorted(n for n in os.listdir(FIXTURES) if n.startswith(("d_", "m_", "s_")) and n.endswith(".pkl"))
    files, cases, blobs = [], {}, {}
    k = 0
    n_mut = max(10, int(25 * pv.scale()))
    for n in sources:
        data = open(os.path.join(FIXTURES, n), "rb").read()
        variants = [data[:i] for i in range(0, len(data), max(1, len(data) // 40))]
        for _ in range(n_mut):
            b = bytearray(data)
            for _ in range(rng.randint(1, 2)):
                i = rng.randrange(len(b))
                r = rng.random()
                if r < 0.4:
                    b[i] = rng.randrange(256)
                elif r < 0.6:
                    del b[i]
                elif r < 0.8:
                    b.insert(i, rng.choice(b"()]}0123.NKRbhqcX\x80\x81\x85\x86\x8c\x93\x94\x95"))
                else:
                    j = rng.randrange(len(b))
                    b[i], b[j] = b[j], b[i]
            variants.append(bytes(b))
        for d in variants:
            if not cheap_for_cpython(d):
                continue
            path = "m%06d.pkl" % k
            k += 1
            blobs[path] = d
            files.append(path)
            cases[path] = (n, d)
    reports = scan_blobs(acar, tmp, blobs, ["--all"])
    agree = 0
    for path in files:
        rep = reports.get(path)
        if rep is None:
            continue
        n, d = cases[path]
        got = []
        ext_at = min([f["offset"] for f in rep["findings"] if f["kind"] == "ext"] + [len(d) + 1])
        stopped = rep["incomplete"]
        for f in rep["findings"]:
            if f["kind"] != "import" or f["where"] or f["offset"] >= ext_at:
                continue
            if opcode_at_any(d, f["offset"]) == "REDUCE":
                continue  # getattr(G, 'a'): acar names G.a, find_class is not asked
            got.append((f["module"], f["name"]))
        want = [x for x in oracle_names(d)]
        # compare as sets, accepting either spelling of Python 2 names
        wset = set(want)
        gset = set(got)
        missing = [w for w in wset if w not in gset and map_py2(*w) not in gset]
        extra = [g for g in gset if g not in wset and not any(map_py2(*w) == g for w in wset)]
        if ext_at <= len(d):
            missing = []  # CPython stops at an unregistered EXT code; acar goes on
        ok = not missing and (not extra or stopped)
        if ok and not extra:
            agree += 1
        check(ok or (stopped and not extra), "mutant of %s (%r): CPython names %s that acar misses, acar %s that "
              "CPython never asks for; findings %s" %
              (n, d, missing, extra,
               [(f["kind"], f["module"], f["name"], f["offset"], f["message"]) for f in rep["findings"]][:6]))
        reached = any(dangerous_name(*map_py2(*w)) for w in want)
        check(not (reached and rep["verdict"] == "safe"),
              "mutant of %s (%r): SAFE but CPython reaches a dangerous name" % (n, d))
    print("mutants: %d, names agree with CPython on %d" % (len(files), agree))


def opcode_at_any(data, offset):
    """The opcode at offset of a pickle stream (several pickles too)."""
    start = 0
    while start < len(data):
        try:
            last = start
            for op, arg, pos in pickletools.genops(data[start:]):
                if start + pos == offset:
                    return op.name
                last = start + pos
                if op.name == "STOP":
                    break
        except Exception:
            return None
        if last + 1 <= start:
            return None
        start = last + 1
    return None


def run(cmd, stdin=None):
    p = subprocess.run(cmd, capture_output=True, input=stdin)
    return p.returncode, p.stdout.decode(), p.stderr.decode()


def check_cli(acar, tmp):
    fx = lambda n: os.path.join(FIXTURES, n)  # noqa: E731
    evil = fx("d_reduce_os_system_p2.pkl")
    data = open(evil, "rb").read()
    ops = [(op.name, pos) for op, arg, pos in pickletools.genops(data)]
    g = [pos for name, pos in ops if name == "GLOBAL"][0]
    r = [pos for name, pos in ops if name == "REDUCE"][0]
    rc, out, err = run([acar, "scan", evil])
    check(rc == 1 and out == "%s: dangerous: posix.system imported at offset %d, called at offset %d\n" % (evil, g, r),
          "text verdict: %d %r %r" % (rc, out, err))
    rc, out, err = run([acar, "scan", fx("s_plain_p0.pkl"), fx("s_concat.pkl")])
    check(rc == 0 and out == "%s: safe\n%s: safe\n" % (fx("s_plain_p0.pkl"), fx("s_concat.pkl")),
          "safe files: %d %r %r" % (rc, out, err))
    rc, out, err = run([acar, "scan", fx("s_plain_p0.pkl"), evil])
    check(rc == 1 and len(out.splitlines()) == 2, "safe + dangerous: %d %r" % (rc, out))
    rc, out, err = run([acar, "scan", os.path.join(tmp, "no-such-file"), fx("s_plain_p0.pkl")])
    check(rc == 2 and "error" in out and out.endswith(": safe\n"), "missing file: %d %r %r" % (rc, out, err))
    rc, out, err = run([acar, "scan"])
    check(rc == 2 and err, "no file: %d %r" % (rc, err))
    rc, out, err = run([acar, "scan", "--bogus", evil])
    check(rc == 2 and err, "bad option: %d %r" % (rc, err))
    rc, out, err = run([acar, "scan", "--help"])
    check(rc == 0 and "usage: acar scan" in out, "--help: %d" % rc)
    rc, out, err = run([acar, "scan", "--allow", "posix.system", evil])
    check(rc == 0 and out.endswith(": safe\n"), "--allow: %d %r" % (rc, out))
    rc, out, err = run([acar, "scan", "--allow", "posix.*", evil])
    check(rc == 0, "--allow posix.*: %d %r" % (rc, out))
    rc, out, err = run([acar, "scan", "--allow", "posix", evil])
    check(rc == 2, "--allow without a dot: %d" % rc)
    af = os.path.join(tmp, "allow.txt")
    with open(af, "w") as f:
        f.write("# allowed\n  posix.system  # for the test\n\n")
    rc, out, err = run([acar, "scan", "--allow-file", af, evil])
    check(rc == 0, "--allow-file: %d %r %r" % (rc, out, err))
    rc, out, err = run([acar, "scan", "-"], stdin=data)
    check(rc == 1 and out.startswith("<stdin>: dangerous"), "stdin: %d %r" % (rc, out))
    # unknown globals
    unk = os.path.join(tmp, "unknown.pkl")
    with open(unk, "wb") as f:
        f.write(pickle.dumps(pv.Plain(a=1), 2))
    rc, out, err = run([acar, "scan", unk])
    check(rc == 1 and ": unknown globals: pyvalues.Plain (offset " in out, "unknown: %d %r" % (rc, out))
    rc, out, err = run([acar, "scan", "--json", unk])
    rep = json.loads(out)
    check(rep["verdict"] == "unknown" and rep["file"] == unk and
          any(f["module"] == "pyvalues" and f["name"] == "Plain" and f["kind"] == "import" for f in rep["findings"]),
          "json unknown: %r" % out)
    # a malformed pickle with nothing dangerous: exit 1, "malformed at offset N"
    rc, out, err = run([acar, "scan", fx("m_garbage_then_exploit.pkl")])
    check(rc == 1 and "malformed at offset 3: invalid load key" in out, "malformed: %d %r" % (rc, out))
    # a directory: every file under it, in name order
    d = os.path.join(tmp, "dir")
    os.makedirs(os.path.join(d, "sub"))
    shutil.copy(fx("s_plain_p0.pkl"), os.path.join(d, "a.pkl"))
    shutil.copy(evil, os.path.join(d, "sub", "b.pkl"))
    shutil.copy(fx("s_concat.pkl"), os.path.join(d, "c.pkl"))
    rc, out, err = run([acar, "scan", d])
    lines = out.splitlines()
    check(rc == 1 and [l.split(":")[0] for l in lines] ==
          [os.path.join(d, "a.pkl"), os.path.join(d, "c.pkl"), os.path.join(d, "sub", "b.pkl")] and
          "dangerous" in lines[2], "directory: %d %r" % (rc, out))
    # a name with a newline cannot forge a second line
    forged = os.path.join(tmp, "forged.pkl")
    with open(forged, "wb") as f:
        f.write(b"\x80\x04\x8c\x0cx\nfake: safe\x8c\x01y\x93.")
    rc, out, err = run([acar, "scan", forged])
    check(rc == 1 and len(out.splitlines()) == 1, "forged name: %r" % out)


def main():
    if len(sys.argv) < 2:
        print(__doc__)
        return 2
    pv.ensure_hashseed()
    acar = os.path.abspath(sys.argv[1])
    rc, out, err = run([acar, "scan", "--help"])
    if rc != 0:
        print("FAIL: `acar scan` is not there (status %d): %s" % (rc, err.strip()))
        return 1
    tmp = tempfile.mkdtemp(prefix="acar-scan-")
    try:
        import time
        for step in (check_fixtures, check_cli, check_benign, check_tensor_fixtures, check_mutants):
            t0 = time.time()
            step(acar, tmp) if step is not check_fixtures else step(acar)
            print("%s: %.1f s" % (step.__name__, time.time() - t0))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    for f in failures[:40]:
        print("FAIL:", f[:600])
    if len(failures) > 40:
        print("... and %d more" % (len(failures) - 40))
    print("%d passed, %d failed" % (passed, len(failures)))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
