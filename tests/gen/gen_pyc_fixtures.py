"""Makes tests/fixtures/pyc: .pyc files compiled by every pyenv Python.

    python3 tests/gen/gen_pyc_fixtures.py [--corpus]

For each Python X.Y of 2.7 and 3.6-3.13 found under `pyenv root`, it
compiles the modules of tests/fixtures/pyc/src that X.Y can compile (2.7:
all_py2.py; 3.x: all_py3.py and the pyXY.py files of its version and
older) with X.Y's own py_compile into tests/fixtures/pyc/X.Y/NAME.pyc, and
from 3.7 also all_py3 as checked and unchecked hash-based pycs
(NAME.checked.pyc, NAME.unchecked.pyc).  3.11 also writes
marshal.dumps(compile(all_py3)) as all_py3.marshal (bare marshal data of a
code object, acar's ACAR_FORMAT_MARSHAL).  Next to each file goes
NAME.canon (hash-based variants share it): the canonical text of the code object as X.Y's marshal.loads
gives it (tests/gen/pyc_canon.py), and X.Y/dis.txt: X.Y's dis listing of
every module, for the disassembler to come.  co_filename is "src/NAME.py"
(py_compile's dfile) so the files do not depend on where the tree lies.

--corpus writes fuzz seeds instead, into fuzz/corpus/marshal (the mode
byte first, see fuzz/fuzz_marshal.c): small .pyc files of every version
(mode 2, named pyc-X.Y-N), 3.11 marshal of code objects (mode 0, code-N)
and 2.7 marshal of code objects (mode 1, code27-N).
"""
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
FIX = os.path.join(ROOT, "tests", "fixtures", "pyc")
SRC = os.path.join(FIX, "src")
VERSIONS = ["2.7", "3.6", "3.7", "3.8", "3.9", "3.10", "3.11", "3.12", "3.13"]

# Runs under the target Python (2.7-compatible): argv = out_dir, sources...
COMPILE = r'''
import dis, marshal, os, py_compile, sys
out, srcs = sys.argv[1], sys.argv[2:]
V = sys.version_info[:2]
made = []
listing = []
for src in srcs:
    name = os.path.splitext(os.path.basename(src))[0]
    dfile = "src/" + os.path.basename(src)
    modes = [("", None)]
    if V >= (3, 7) and name == "all_py3":
        from py_compile import PycInvalidationMode as M
        modes += [(".checked", M.CHECKED_HASH), (".unchecked", M.UNCHECKED_HASH)]
    for suffix, mode in modes:
        cfile = os.path.join(out, name + suffix + ".pyc")
        if mode is None:
            py_compile.compile(src, cfile, dfile, True)
        else:
            py_compile.compile(src, cfile, dfile, True, invalidation_mode=mode)
        made.append(cfile)
    with open(src, "rb") as f:
        code = compile(f.read(), dfile, "exec")
    if V == (3, 11) and name == "all_py3":
        with open(os.path.join(out, name + ".marshal"), "wb") as f:
            f.write(marshal.dumps(code))
    listing.append("== " + dfile)
    if V >= (3, 2):
        import io
        buf = io.StringIO()
        dis.dis(code, file=buf)
    else:
        # Python 2's dis prints to sys.stdout
        import cStringIO
        buf, saved = cStringIO.StringIO(), sys.stdout
        sys.stdout = buf
        try:
            dis.dis(code)
        finally:
            sys.stdout = saved
    listing.append(buf.getvalue())
with open(os.path.join(out, "dis.txt"), "w") as f:
    f.write("\n".join(listing))
print("\n".join(made))
'''


# Runs under the target Python: prints hex of (pyc, marshal) per snippet.
SEEDS = r'''
import binascii, marshal, sys
V = sys.version_info[:2]
snippets = [
    "x = 1",
    "def f(a, b=2, *c, **d):\n    return [i for i in a if i]",
    "class C(object):\n    def m(self):\n        return self.x\n    y = 1.5, 2j, None, Ellipsis",
    "try:\n    import os\nexcept ImportError as e:\n    raise\nfinally:\n    pass",
    "def g(x):\n    def h():\n        return x\n    return h, {1, 2}, frozenset(), b'abc', u'\\xe9', 2 ** 80",
]
if V < (3, 0):
    import imp
    head = imp.get_magic() + b"\0\0\0\0"
else:
    import importlib.util
    head = importlib.util.MAGIC_NUMBER + (b"\0" * 12 if V >= (3, 7) else b"\0" * 8)
for s in snippets:
    m = marshal.dumps(compile(s, "s.py", "exec"))
    print(binascii.hexlify(head + m).decode() + " " + binascii.hexlify(m).decode())
'''


def corpus(root):
    out = os.path.join(ROOT, "fuzz", "corpus", "marshal")
    installed = sorted(os.listdir(os.path.join(root, "versions")))
    for v in VERSIONS:
        full = [x for x in installed if x == v or x.startswith(v + ".")]
        if not full:
            continue
        py = os.path.join(root, "versions", full[-1], "bin", "python")
        lines = subprocess.check_output([py, "-c", SEEDS]).decode().split("\n")
        for i, line in enumerate(l for l in lines if l):
            pyc, m = [bytes(bytearray.fromhex(x)) for x in line.split()]
            with open(os.path.join(out, "pyc-%s-%d" % (v, i)), "wb") as f:
                f.write(b"\x02" + pyc)
            if v in ("2.7", "3.11"):
                name = "code27-%d" % i if v == "2.7" else "code-%d" % i
                with open(os.path.join(out, name), "wb") as f:
                    f.write((b"\x01" if v == "2.7" else b"\x00") + m)
    print("seeds written to " + out)


def sources_for(v):
    if v == "2.7":
        return ["all_py2.py"]
    major, minor = map(int, v.split("."))
    names = ["all_py3.py"]
    for n in sorted(os.listdir(SRC)):
        if n.startswith("py3") and n.endswith(".py") and int(n[3:-3]) <= minor:
            names.append(n)
    return names


def main():
    root = subprocess.check_output(["pyenv", "root"]).decode().strip()
    if "--corpus" in sys.argv[1:]:
        corpus(root)
        return
    installed = sorted(os.listdir(os.path.join(root, "versions")))
    for v in VERSIONS:
        full = [x for x in installed if x == v or x.startswith(v + ".")]
        if not full:
            print("no Python %s under pyenv: skipped" % v)
            continue
        py = os.path.join(root, "versions", full[-1], "bin", "python")
        out = os.path.join(FIX, v)
        if not os.path.isdir(out):
            os.makedirs(out)
        srcs = [os.path.join(SRC, n) for n in sources_for(v)]
        made = subprocess.check_output([py, "-c", COMPILE, out] + srcs, cwd=SRC).decode().split()
        canon = subprocess.run([py, os.path.join(HERE, "pyc_canon.py")], input="\n".join(made).encode(),
                               stdout=subprocess.PIPE, check=True).stdout.decode().splitlines()
        for path, line in zip(made, canon):
            if path.endswith("hecked.pyc"):
                continue  # the same body as NAME.pyc: NAME.canon serves
            with open(path[:-4] + ".canon", "w") as f:
                f.write(line + "\n")
        raw = os.path.join(out, "all_py3.marshal")
        if os.path.exists(raw):
            line = subprocess.run([py, os.path.join(HERE, "pyc_canon.py"), "--raw"], input=raw.encode(),
                                  stdout=subprocess.PIPE, check=True).stdout.decode()
            with open(raw + ".canon", "w") as f:
                f.write(line)
        print("%s: %d files" % (full[-1], len(made)))


if __name__ == "__main__":
    main()
