"""ctest examples/NAME: runs one program of examples/ and checks it against CPython.

  python3 tests/install/check_examples.py NAME PATH_TO_PROGRAM

read_pickle     its walk of the bundled pickles equals the same walk done in
                Python over pickle.load of the same file
write_pickle    the pickle it writes at each protocol is pickle.dumps of the
                value it says it builds, byte for byte
json_to_pickle  for each JSON text below, the pickle it writes is
                pickle.dumps(json.loads(text), protocol); invalid JSON gets
                exit status 1 and json.loads' line and column
list_pyc        for a module compiled by each Python under pyenv (2.7,
                3.6-3.13; timestamp and hash-based pycs), its listing is the
                one that Python makes of its own marshal.loads of the file

Exit status 77 (ctest: skipped) when the API an example needs has not landed
in the library yet; the message says so.
"""

import json
import os
import pickle
import subprocess
import sys
import tempfile

SKIP = 77
failures = []


def fail(msg):
    failures.append(msg)
    print("FAIL:", msg)


def run(args, **kw):
    return subprocess.run(args, capture_output=True, timeout=60, **kw)


# ---- read_pickle ----

def walk(value):
    """The lines examples/read_pickle.c prints, made by Python."""
    out, seen = [], set()

    def visit(path, x):
        if type(x) in (list, tuple, dict):
            again = id(x) in seen
            seen.add(id(x))
            out.append("%s: %s of %d%s" % (path, type(x).__name__, len(x),
                                           " (seen before)" if again else ""))
            if not again:
                items = x.items() if type(x) is dict else enumerate(x)
                for k, c in items:
                    visit("%s[%r]" % (path, k), c)
        else:
            out.append("%s = %r" % (path, x))

    visit("value", value)
    return "\n".join(out) + "\n"


def check_read_pickle(exe):
    # Pickles whose classes Python can load here: compare line by line.
    for name in ("config.pkl", "shared.pkl"):
        with open(name, "rb") as f:
            data = f.read()
        want = walk(pickle.loads(data))
        r = run([exe, name])
        got = r.stdout.decode("utf-8", "replace")
        if r.returncode != 0 or got != want:
            fail("read_pickle %s: status %d\n--- got\n%s--- want (Python)\n%s%s"
                 % (name, r.returncode, got, want, r.stderr.decode()))
    # Pickles naming classes this Python does not have: they are printed,
    # never imported.
    for name in ("records.pkl", "py2.pkl"):
        r = run([exe, name])
        if r.returncode != 0 or not r.stdout.startswith(b"value: "):
            fail("read_pickle %s: status %d, %r" % (name, r.returncode, r.stderr))
    # A broken pickle: status 1 and where it broke.
    with tempfile.TemporaryDirectory() as tmp:
        cut = os.path.join(tmp, "cut.pkl")
        with open("config.pkl", "rb") as f:
            data = f.read()
        with open(cut, "wb") as f:
            f.write(data[:len(data) // 2])
        r = run([exe, cut])
        if r.returncode != 1 or b"offset" not in r.stderr:
            fail("read_pickle on a truncated pickle: status %d, %r" % (r.returncode, r.stderr))


# ---- write_pickle ----

# What examples/write_pickle.c builds.
WRITTEN = {'name': 'acar', 'version': (0, 1, 0), 'tags': ['fast', 'safe'], 'ratio': 0.5,
           'big': 2 ** 100, 'blob': b'\x00\xff', 'nothing': None, 'ok': True}


def check_write_pickle(exe):
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "out.pkl")
        for proto in range(6):
            args = [exe, out] + ([] if proto == 4 else [str(proto)])
            r = run(args)
            if r.returncode != 0:
                fail("write_pickle protocol %d: status %d, %r" % (proto, r.returncode, r.stderr))
                continue
            with open(out, "rb") as f:
                data = f.read()
            if pickle.loads(data) != WRITTEN:
                fail("write_pickle protocol %d: loads to %r" % (proto, pickle.loads(data)))
            if data != pickle.dumps(WRITTEN, proto):
                fail("write_pickle protocol %d: %r, CPython writes %r"
                     % (proto, data, pickle.dumps(WRITTEN, proto)))


# ---- json_to_pickle ----

JSON_TEXTS = [
    '{"id": 7, "tags": ["a", "b"], "score": 0.5}',
    '[1, -2, 3.25, 1e300, -0.0, 123456789012345678901234567890, true, false, null]',
    '{"caf\\u00e9": "\\ud83d\\ude00 \\n\\t\\"", "nested": {"deep": [[[{}]]], "empty": []}}',
    '"just a string"',
    '  [ ]  ',
    '{"a": 1, "a": 2}',
    '[NaN, Infinity, -Infinity]',
    '[{"k": 1, "v": "xy"}, {"k": 2, "v": "xy"}]',
    # CPython keeps one object for "" and for each 1-character Latin-1
    # string, so pickle.dumps memoizes the second "x" (BINGET): so must acar.
    '[{"k": 1, "v": "x"}, {"k": 2, "v": "x"}, "", "", "\u00e9", "\u00e9"]',
]
JSON_BAD = ['{"a": 1,}', '[1, 2', '{"a" 1}', '[\n  1,\n  tru\n]']


def check_json_to_pickle(exe):
    with tempfile.TemporaryDirectory() as tmp:
        src = os.path.join(tmp, "in.json")
        out = os.path.join(tmp, "out.pkl")
        with open(src, "w") as f:
            f.write(JSON_TEXTS[0])
        r = run([exe, src, out])
        if r.returncode != 0 and b"not yet" in r.stderr:
            print("SKIP: the JSON reader has not landed yet (%s)" % r.stderr.decode().strip())
            return SKIP
        for i, text in enumerate(JSON_TEXTS):
            value = json.loads(text)
            for proto in (0, 2, 4, 5):
                with open(src, "w", encoding="utf-8") as f:
                    f.write(text)
                r = run([exe, src, out, str(proto)])
                if r.returncode != 0:
                    fail("json_to_pickle %r protocol %d: status %d, %r"
                         % (text, proto, r.returncode, r.stderr))
                    continue
                with open(out, "rb") as f:
                    data = f.read()
                want = pickle.dumps(value, proto)
                if data != want:
                    fail("json_to_pickle %r protocol %d: %r, CPython writes %r"
                         % (text, proto, data, want))
        # Standard input and output.
        r = run([exe, "-", "-"], input=JSON_TEXTS[0].encode())
        if r.returncode != 0 or r.stdout != pickle.dumps(json.loads(JSON_TEXTS[0]), 4):
            fail("json_to_pickle - -: status %d, %r" % (r.returncode, r.stdout))
        for text in JSON_BAD:
            try:
                json.loads(text)
                raise AssertionError("json.loads accepted %r" % text)
            except json.JSONDecodeError as e:
                where = b"line %d, column %d:" % (e.lineno, e.colno)
            with open(src, "w") as f:
                f.write(text)
            r = run([exe, src, out])
            if r.returncode != 1 or where not in r.stderr:
                fail("json_to_pickle %r: status %d, %r; json.loads says %s"
                     % (text, r.returncode, r.stderr, where.decode()))
    return 0


# ---- list_pyc ----

MODULE = """\
import os
def f(x, y=2):
    return [i * x for i in range(y)]
class C:
    def g(self):
        return lambda: self
    class D:
        pass
"""

# Runs under the Python being tested (2.7 and 3.x): compiles MODULE and
# prints what examples/list_pyc.c prints, from its own marshal.loads.
LISTING = r"""
import marshal, py_compile, struct, sys, types
src, pyc, mode = sys.argv[1], sys.argv[2], sys.argv[3]
if mode == "hash":
    py_compile.compile(src, cfile=pyc, doraise=True,
                       invalidation_mode=py_compile.PycInvalidationMode.CHECKED_HASH)
else:
    py_compile.compile(src, cfile=pyc, doraise=True)
data = open(pyc, "rb").read()
v = sys.version_info
hsize = 16 if v >= (3, 7) else 12 if v >= (3, 3) else 8
flags = struct.unpack("<I", data[4:8])[0] if v >= (3, 7) else 0
head = "Python %d.%d, " % (v[0], v[1])
if flags & 1:
    head += "hash-based pyc" + (" (checked)" if flags & 2 else "")
elif hsize >= 12:
    head += "timestamp pyc: source mtime %d, size %d" % struct.unpack("<II", data[hsize - 8:hsize])
else:
    head += "timestamp pyc: source mtime %d" % struct.unpack("<I", data[4:8])
out = [head]
stack = [(marshal.loads(data[hsize:]), 0)]
while stack:
    c, d = stack.pop()
    out.append("%s%s (line %d, %d args)" % ("  " * d, getattr(c, "co_qualname", c.co_name),
                                          c.co_firstlineno, c.co_argcount))
    stack.extend(reversed([(k, d + 1) for k in c.co_consts if isinstance(k, types.CodeType)]))
sys.stdout.write("\n".join(out) + "\n")
"""


def pythons():
    """(version, interpreter) for python3 and each Python under pyenv."""
    found = [("%d.%d" % sys.version_info[:2], sys.executable)]
    try:
        root = subprocess.run(["pyenv", "root"], capture_output=True, text=True,
                              timeout=30).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        root = ""
    vdir = os.path.join(root, "versions") if root else ""
    for v in sorted(os.listdir(vdir)) if vdir and os.path.isdir(vdir) else []:
        exe = os.path.join(vdir, v, "bin", "python")
        short = ".".join(v.split(".")[:2])
        if os.path.exists(exe) and short not in [f[0] for f in found]:
            found.append((short, exe))
    return found


def check_list_pyc(exe):
    env = dict(os.environ)
    env.pop("SOURCE_DATE_EPOCH", None)  # it would make py_compile write hash-based pycs
    with tempfile.TemporaryDirectory() as tmp:
        src = os.path.join(tmp, "m.py")
        with open(src, "w") as f:
            f.write(MODULE)
        first = True
        for version, python in pythons():
            # Hash-based pycs (PEP 552) exist from 3.7.
            hashed = tuple(int(p) for p in version.split(".")) >= (3, 7)
            modes = ["timestamp", "hash"] if hashed else ["timestamp"]
            for mode in modes:
                pyc = os.path.join(tmp, "m-%s-%s.pyc" % (version, mode))
                r = run([python, "-c", LISTING, src, pyc, mode], env=env)
                if r.returncode != 0:
                    fail("Python %s could not compile: %r" % (version, r.stderr))
                    continue
                want = r.stdout.decode()
                r = run([exe, pyc])
                if first and r.returncode != 0 and b"not supported yet" in r.stderr:
                    print("SKIP: reading .pyc has not landed yet (%s)" % r.stderr.decode().strip())
                    return SKIP
                first = False
                got = r.stdout.decode("utf-8", "replace")
                if r.returncode != 0 or got != want:
                    fail("list_pyc, Python %s, %s: status %d\n--- got\n%s--- want\n%s%s"
                         % (version, mode, r.returncode, got, want, r.stderr.decode()))
                else:
                    print("ok: Python %s, %s pyc" % (version, mode))
        # Not a .pyc: status 1 and an offset.
        r = run([exe, src])
        if r.returncode != 1 or b"offset" not in r.stderr:
            fail("list_pyc on a .py file: status %d, %r" % (r.returncode, r.stderr))
    return 0


# ---- scan_pickle ----

def check_scan_pickle(exe):
    """Every bundled example is plain data; a pickle that calls os.system
    (written by hand, never loaded) and one that breaks after its call are
    not, and the call's offset is where pickletools puts the REDUCE."""
    import pickletools
    import tempfile
    # plain data, or data with the classes of the program that wrote it
    # (never imported by acar, but Python's pickle would run their code)
    want = {"config.pkl": (0, "safe", None), "shared.pkl": (0, "safe", None),
            "records.pkl": (1, "unknown", "inventory.Item"),
            "py2.pkl": (1, "unknown", "__main__.Account")}
    for f, (status, verdict, cls) in sorted(want.items()):
        r = run([exe, f])
        out = r.stdout.decode() if isinstance(r.stdout, bytes) else r.stdout
        if r.returncode != status or out.splitlines()[0] != "%s: %s" % (f, verdict) \
                or (cls and "call of %s" % cls not in out):
            fail("scan_pickle %s: status %d, %r" % (f, r.returncode, out))
    evil = b"cos\nsystem\n(S'echo hi'\ntR."
    reduce_at = [pos for op, arg, pos in pickletools.genops(evil) if op.name == "REDUCE"][0]
    with tempfile.TemporaryDirectory() as d:
        for name, data in (("evil.pkl", evil), ("evil-broken.pkl", evil[:-1] + b"\xff")):
            path = os.path.join(d, name)
            with open(path, "wb") as fh:
                fh.write(data)
            r = run([exe, path])
            out = r.stdout.decode() if isinstance(r.stdout, bytes) else r.stdout
            if r.returncode != 1 or "dangerous" not in out.splitlines()[0] \
                    or "call of os.system at offset %d" % reduce_at not in out:
                fail("scan_pickle %s: status %d, %r" % (name, r.returncode, out))
    return 0


CHECKS = {
    "scan_pickle": check_scan_pickle,
    "list_pyc": check_list_pyc,
    "read_pickle": check_read_pickle,
    "write_pickle": check_write_pickle,
    "json_to_pickle": check_json_to_pickle,
}


def main():
    name, exe = sys.argv[1], os.path.abspath(sys.argv[2])
    # The bundled pickles are read from examples/.
    os.chdir(os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(
        os.path.abspath(__file__)))), "examples"))
    check = CHECKS.get(name)
    if not check:
        print("FAIL: no check for examples/%s.c: add one to tests/install/check_examples.py" % name)
        return 1
    if check(exe) == SKIP:
        return SKIP
    print("%s: %d failures" % (name, len(failures)))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
