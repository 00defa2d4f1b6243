"""`acar dis` of .pyc files and marshal data against each Python's own dis.

  tables    tools/gen_opcode_tables.py --check: the committed opcode tables
            are what the pyenv Pythons' opcode and dis modules give (when
            they are there)
  fixtures  tests/fixtures/pyc/X.Y/*.pyc (and 3.11's all_py3.marshal): the
            listing of `acar dis` is that version's saved dis listing
            (X.Y/dis.txt) line for line, once code addresses are taken out
            of reprs ("<code object f at 0x7f..., file" -> "<code object f,
            file"); 2.7 and 3.6 listed the top code object alone.  For
            every instruction line, the name and argument are checked
            first, so a failure names the instruction.  Runs everywhere.
  stdlib    (pyenv) every .pyc under each Python's lib/ (__pycache__, and
            the .pyc beside the .py for 2.7), read in place: a script run
            by that Python lists, per code object in dis order, each
            instruction's name and argument as that Python's dis walks
            them; tests/tools/pyc_dis_batch lists acar's walk of the same
            files (and runs acar_code_dis on each, which must succeed).
            Every plain .pyc by default, and one in 8 of the .opt-1 and
            .opt-2 ones (ACAR_PYC_DIS_OPT=N: one in N; 1: all 55,000 files
            of the nine versions); ACAR_PYC_DIS_SAMPLE=N checks a spread
            sample of N files per version for a quick run
            (ACAR_PYC_DIS_VERSIONS=2.7,3.6 limits the versions).
  text      (pyenv) for ACAR_PYC_DIS_TEXT files per version (default 60,
            spread; 12 with a sample), the whole `acar dis`
            listing equals that Python's dis.dis text (3.13 also with
            show_offsets=True against `acar dis --show-offsets`).
  malformed hand-made Python 3.11 code objects with broken bytecode: exit
            status 1, a message naming the fault, the listing up to it.
  cli       several files in one run, --from pyc|marshal, pickles still
            listed as pickletools does, raw marshal data with no code.

Usage: python3 test_pyc_dis.py PATH/TO/acar PATH/TO/TOOLS_DIR (cwd tests/)
Prints what it checked per version; exits 1 on any failure.
python3 test_pyc_dis.py --corpus fuzz/corpus/marshal writes the malformed
cases as fuzz seeds (dis-*).
"""
import os
import re
import struct
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TESTS = os.path.dirname(HERE)
ROOT = os.path.dirname(TESTS)
FIX = os.path.join(TESTS, "fixtures", "pyc")
VERSIONS = ["2.7", "3.6", "3.7", "3.8", "3.9", "3.10", "3.11", "3.12", "3.13"]
ADDR = re.compile(r" at 0x[0-9a-fA-F]+, file ")
OPNAME = re.compile(r"^(?:[A-Z_][A-Z0-9_]*|<\d+>)$")
ARG = re.compile(r"^-?\d+L?$")
EXC_LINE = re.compile(r"^  (?:L\d+ to L\d+ -> L\d+|\d+ to -?\d+ -> \d+) \[\d+\]( lasti)?$")

failures = []
notes = []


def fail(what):
    failures.append(what)
    if len(failures) <= 20:
        print("FAIL " + what)


def instructions(text):
    """(name, arg) of each instruction line of a listing, in order."""
    out = []
    for line in text.split("\n"):
        if not line or line.startswith("Disassembly of ") or line == "ExceptionTable:" or EXC_LINE.match(line):
            continue
        toks = line.split()
        for i, t in enumerate(toks):
            if OPNAME.match(t):
                arg = toks[i + 1] if i + 1 < len(toks) and ARG.match(toks[i + 1]) else None
                out.append((t, arg))
                break
    return out


def compare_listing(label, want, got):
    """want, got: listing texts.  Returns the number of instructions checked."""
    wi, gi = instructions(want), instructions(got)
    for k, (w, g) in enumerate(zip(wi, gi)):
        if w != g:
            fail("%s: instruction %d is %s %s in dis, %s %s in acar" % (label, k, w[0], w[1] or "", g[0], g[1] or ""))
            return k
    if len(wi) != len(gi):
        fail("%s: dis lists %d instructions, acar %d" % (label, len(wi), len(gi)))
        return min(len(wi), len(gi))
    if want != got:
        wl, gl = want.split("\n"), got.split("\n")
        if len(wl) != len(gl):
            fail("%s: dis has %d lines, acar %d" % (label, len(wl), len(gl)))
        for n, (a, b) in enumerate(zip(wl, gl)):
            if a == b:
                continue
            if unescape(a) == unescape(b):
                # which characters repr escapes follows the Unicode
                # version of each Python; acar's repr follows 3.11's
                notes.append("%s: line %d: a character printable in one Unicode version only: dis %r, acar %r"
                             % (label, n + 1, a[-60:], b[-60:]))
                continue
            fail("%s: line %d differs:\n  dis:  %r\n  acar: %r" % (label, n + 1, a, b))
            break
    return len(wi)


NONASCII_ESCAPE = re.compile(r"\\x([89a-f][0-9a-f])|\\u([0-9a-f]{4})|\\U([0-9a-f]{8})")


def unescape(line):
    """line with the escapes of non-ASCII characters written out."""
    return NONASCII_ESCAPE.sub(lambda m: chr(int(m.group(1) or m.group(2) or m.group(3), 16)), line)


def run(cmd, data=None):
    p = subprocess.run(cmd, input=data, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    return p.returncode, p.stdout.decode("utf-8", "surrogateescape"), p.stderr.decode("utf-8", "replace")


def split_files(text):
    """'== PATH' sections of a listing of several files."""
    parts = re.split(r"^== (.*)\n", text, flags=re.M)
    return dict(zip(parts[1::2], parts[2::2]))


def top_only(text):
    """The top code object's listing (2.7 and 3.6 dis.dis stop there)."""
    return text.split("\nDisassembly of ")[0]


FROZENSET = re.compile(r"frozenset\(\{([^{}]*)\}\)")


def norm(text):
    """Without code addresses; frozenset items sorted: Python prints them in
    the order of its hash table, which depends on the process's str hash
    seed, and acar in the order the marshal data holds them."""
    text = ADDR.sub(", file ", text)
    text = FROZENSET.sub(lambda m: "frozenset({%s})" % ", ".join(sorted(m.group(1).split(", "))), text)
    return text.rstrip("\n") + "\n"


# ---- fixtures ----

def check_fixtures(acar):
    counts = {}
    for v in VERSIONS:
        d = os.path.join(FIX, v)
        if not os.path.isdir(d):
            continue
        with open(os.path.join(d, "dis.txt"), encoding="utf-8", errors="surrogateescape") as f:
            saved = split_files(f.read())
        files = ninstr = 0
        targets = sorted(n for n in os.listdir(d) if n.endswith(".pyc") or n.endswith(".marshal"))
        for n in targets:
            stem = n.split(".")[0]
            want = saved.get("src/%s.py" % stem)
            if want is None:
                fail("%s/%s: no saved listing for src/%s.py" % (v, n, stem))
                continue
            cmd = [acar, "dis", os.path.join(d, n)] + (["--from", "marshal"] if n.endswith(".marshal") else [])
            rc, out, err = run(cmd)
            if rc != 0:
                fail("%s/%s: exit %d: %s" % (v, n, rc, err.strip()))
                continue
            if v in ("2.7", "3.6"):
                out = top_only(out)
            ninstr += compare_listing("%s/%s" % (v, n), norm(want), norm(out))
            files += 1
        counts[v] = (files, ninstr)
    print("fixtures: " + ", ".join("%s %d files %d instructions" % (v, f, i) for v, (f, i) in counts.items()))
    if len(counts) != len(VERSIONS) or any(f == 0 for f, _ in counts.values()):
        fail("fixtures: a version has no fixture")


# ---- pyenv ----

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
        full = sorted((x for x in os.listdir(vdir) if x.startswith(v + ".") and x[len(v) + 1:].isdigit()),
                      key=lambda x: int(x.rsplit(".", 1)[1]))
        if full:
            py = os.path.join(vdir, full[-1], "bin", "python")
            if os.path.exists(py):
                found[v] = (full[-1], py, os.path.join(vdir, full[-1]))
    return found


# Runs under the Python being compared (2.7-compatible): paths on stdin;
# per file "== PATH" then one line per code object (dis order): NAME or
# NAME:ARG as that Python's dis walks the bytecode; "! ERROR" when that
# Python cannot load it.
WALK = r'''
import dis, marshal, sys
V = sys.version_info[:2]
HEAD = 8 if V < (3, 3) else 12 if V < (3, 7) else 16
NAMES = getattr(dis, "_all_opname", dis.opname)

def ops27(co):
    code = co.co_code
    i, n, ext = 0, len(code), 0
    while i < n:
        op = ord(code[i])
        if op >= dis.HAVE_ARGUMENT:
            arg = ord(code[i + 1]) + ord(code[i + 2]) * 256 + ext
            ext = arg * 65536 if op == dis.EXTENDED_ARG else 0
            yield op, arg
            i += 3
        else:
            yield op, None
            i += 1

def ops(co):
    if V < (3, 0):
        return ops27(co)
    return ((t[-2], t[-1]) for t in dis._unpack_opargs(co.co_code))

def walk(co, out):
    out.append(" ".join(NAMES[op] if arg is None else "%s:%d" % (NAMES[op], arg) for op, arg in ops(co)))
    for c in co.co_consts:
        if hasattr(c, "co_code"):
            walk(c, out)

for path in sys.stdin.read().split("\n"):
    if not path:
        continue
    sys.stdout.write("== " + path + "\n")
    try:
        with open(path, "rb") as f:
            code = marshal.loads(f.read()[HEAD:])
        out = []
        walk(code, out)
        sys.stdout.write("\n".join(out) + "\n")
    except Exception as e:
        sys.stdout.write("! %s\n" % type(e).__name__)
'''

# Runs under the Python being compared: the dis.dis text of each file,
# nested code objects included (2.7 and 3.6 do not recurse: done here as
# 3.7's dis does); "--offsets": 3.13's show_offsets=True.
TEXT = r'''
import dis, marshal, sys
V = sys.version_info[:2]
HEAD = 8 if V < (3, 3) else 12 if V < (3, 7) else 16
offsets = "--offsets" in sys.argv
if V < (3, 0):
    import cStringIO as io
    StringIO = io.StringIO
else:
    from io import StringIO

def rec(co):
    dis.disassemble(co)
    for c in co.co_consts:
        if hasattr(c, "co_code"):
            sys.stdout.write("\nDisassembly of %r:\n" % (c,))
            rec(c)

out = sys.stdout
for path in sys.stdin.read().split("\n"):
    if not path:
        continue
    with open(path, "rb") as f:
        code = marshal.loads(f.read()[HEAD:])
    buf = StringIO()
    sys.stdout = buf
    try:
        if V < (3, 7):
            rec(code)
        elif offsets:
            dis.dis(code, show_offsets=True)
        else:
            dis.dis(code)
    finally:
        sys.stdout = out
    text = buf.getvalue()
    if V >= (3, 0):
        text = text.encode("utf-8", "surrogateescape")
    if hasattr(out, "buffer"):
        out.buffer.write(b"== " + path.encode() + b"\n" + text)
        out.flush()
    else:
        out.write("== " + path + "\n" + text)
'''


def spread(items, n):
    if len(items) <= n:
        return list(items)
    step = len(items) / float(n)
    return [items[int(i * step)] for i in range(n)]


def check_stdlib(acar, tools, found):
    sample = int(os.environ.get("ACAR_PYC_DIS_SAMPLE", "0"))
    everything = sample <= 0
    ntext = int(os.environ.get("ACAR_PYC_DIS_TEXT", "60" if everything else "12"))
    opt_every = max(1, int(os.environ.get("ACAR_PYC_DIS_OPT", "8")))
    driver = os.path.join(tools, "pyc_dis_batch")
    only = os.environ.get("ACAR_PYC_DIS_VERSIONS")
    for v in VERSIONS:
        if only and v not in only.split(","):
            continue
        if v not in found:
            print("stdlib %s: no Python %s under pyenv" % (v, v))
            continue
        full, py, prefix = found[v]
        t0 = time.time()
        pycs = []
        for d, _, files in os.walk(os.path.join(prefix, "lib")):
            pycs.extend(os.path.join(d, f) for f in files if f.endswith(".pyc"))
        pycs.sort()
        if not pycs:
            fail("stdlib %s: no .pyc under %s" % (full, prefix))
            continue
        if everything:
            # the -O and -OO compilations (.opt-1.pyc, .opt-2.pyc) are half
            # the files and differ from the plain ones only by dropped
            # asserts and docstrings: one in opt_every of them is checked
            plain = [p for p in pycs if ".opt-" not in os.path.basename(p)]
            opt = [p for p in pycs if ".opt-" in os.path.basename(p)]
            chosen = sorted(plain + opt[::opt_every])
        else:
            chosen = spread(pycs, sample)
        data = ("\n".join(chosen) + "\n").encode("utf-8", "surrogateescape")
        # both sides at once, the Python walk and the acar driver: the
        # driver's communicate in a thread of its own (one after the other,
        # the driver got its input only when the walk had finished)
        pp = subprocess.Popen([py, "-c", WALK], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        pa = subprocess.Popen([driver], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        acar_side = {}
        th = threading.Thread(target=lambda: acar_side.update(out=pa.communicate(data)))
        th.start()
        want_raw, _ = pp.communicate(data)
        th.join()
        got_raw, got_err = acar_side["out"]
        if pa.returncode != 0:
            fail("stdlib %s: driver exit %d: %s" % (full, pa.returncode, got_err.decode("utf-8", "replace")[-500:]))
            continue
        want = split_files(want_raw.decode("utf-8", "surrogateescape"))
        got_text = got_raw.decode("utf-8", "surrogateescape")
        tail = re.search(r"^# (\d+) (\d+) (\d+)$", got_text, re.M)
        got = split_files(got_text[:tail.start()] if tail else got_text)
        files = skipped = ninstr = nobj = 0
        for path in chosen:
            w, g = want.get(path, ""), got.get(path, "")
            if w.startswith("! "):
                skipped += 1  # that Python cannot load it either
                continue
            if g.startswith("! "):
                fail("stdlib %s: %s: acar: %s" % (full, path, g[2:].strip()))
                continue
            if w == g:
                # the usual case, counted without splitting 200 MB of text
                # into lines and words: a line per code object, its
                # instructions one word more than its spaces
                ninstr += w.count(" ") + w.count("\n") - w.count("\n\n")
                nobj += w.count("\n")
                files += 1
                continue
            wl, gl = w.rstrip("\n").split("\n"), g.rstrip("\n").split("\n")
            if len(wl) != len(gl):
                fail("stdlib %s: %s: %d code objects in dis, %d in acar" % (full, path, len(wl), len(gl)))
                continue
            for k, (a, b) in enumerate(zip(wl, gl)):
                if a != b:
                    at, bt = a.split(), b.split()
                    j = next((i for i, (x, y) in enumerate(zip(at, bt)) if x != y), min(len(at), len(bt)))
                    fail("stdlib %s: %s: code object %d, instruction %d: dis %s, acar %s" % (
                        full, path, k, j, at[j] if j < len(at) else "(end)", bt[j] if j < len(bt) else "(end)"))
                    break
                ninstr += len(a.split()) if a else 0
            nobj += len(wl)
            files += 1
        if files == 0:
            fail("stdlib %s: no file compared" % full)
        # the whole listing, as text, for a spread sample
        tfiles = [p for p in spread(chosen, ntext) if not want.get(p, "").startswith("! ")]
        tinstr = 0
        modes = [[]] + ([["--offsets"]] if v == "3.13" else [])
        for mode in modes:
            rc, wtext, err = run([py, "-c", TEXT] + mode, ("\n".join(tfiles) + "\n").encode())
            if rc != 0:
                fail("stdlib %s: dis text failed: %s" % (full, err[-300:]))
                continue
            rc, gtext, err = run([acar, "dis"] + (["--show-offsets"] if mode else []) + tfiles + [tfiles[0]])
            if rc != 0:
                fail("stdlib %s: acar dis exit %d: %s" % (full, rc, err[-300:]))
                continue
            ws, gs = split_files(wtext), split_files(gtext)
            for path in tfiles:
                tinstr += compare_listing("text %s %s%s" % (full, path, " --show-offsets" if mode else ""),
                                          norm(ws.get(path, "")), norm(gs.get(path, "")))
        print("stdlib %s: %d of %d .pyc files compared, %d code objects' %d instructions same as dis (%d it cannot load); "
              "whole listing of %d files (%d instructions) same as dis.dis; %.1f s" % (
                  full, files, len(pycs), nobj, ninstr, skipped, len(tfiles), tinstr, time.time() - t0))


# ---- malformed code objects (Python 3.11 marshal, made here) ----

def m_int(n):
    return b"i" + struct.pack("<i", n)


def m_bytes(b):
    return b"s" + struct.pack("<i", len(b)) + b


def m_str(s):
    b = s.encode()
    return b"z" + bytes([len(b)]) + b


def m_tuple(items):
    return b")" + bytes([len(items)]) + b"".join(items)


def code311(co_code, consts=(b"N",), names=(), localsplus=(), linetable=b"", exctable=b""):
    """A Python 3.11 code object in marshal, field by field."""
    return (b"c" + struct.pack("<iiiii", 0, 0, 0, 4, 0) + m_bytes(co_code) + m_tuple(list(consts)) +
            m_tuple([m_str(n) for n in names]) + m_tuple([m_str(n) for n in localsplus]) +
            m_bytes(bytes([0x20] * len(localsplus))) + m_str("bad.py") + m_str("f") + m_str("f") +
            struct.pack("<i", 1) + m_bytes(linetable) + m_bytes(exctable))


# 3.11 opcodes (opcode_tables.c): RESUME 151, LOAD_CONST 100, LOAD_NAME 101,
# RETURN_VALUE 83, EXTENDED_ARG 144, LOAD_GLOBAL 116 (5 caches), LOAD_FAST
# 124, NOP 9, COMPARE_OP 107, BINARY_OP 122.
MALFORMED = [
    ("odd length", bytes([151, 0, 100, 0, 83]), {}, "odd length", "RETURN_VALUE"),
    ("EXTENDED_ARG at the end", bytes([151, 0, 100, 0, 144, 1]), {}, "ends with EXTENDED_ARG", "EXTENDED_ARG"),
    ("const out of range", bytes([151, 0, 100, 7, 83, 0]), {}, "LOAD_CONST argument 7 is out of range of co_consts",
     "RETURN_VALUE"),
    ("name out of range", bytes([151, 0, 101, 3, 83, 0]), {"names": ["x"]},
     "LOAD_NAME argument 3 is out of range of co_names", "LOAD_NAME"),
    ("local out of range", bytes([151, 0, 124, 2, 83, 0]), {"localsplus": ["a"]},
     "LOAD_FAST argument 2 is out of range of co_localsplusnames", "LOAD_FAST"),
    ("compare out of range", bytes([151, 0, 107, 40, 0, 0, 0, 0, 83, 0]), {},
     "COMPARE_OP argument 40 is out of range of cmp_op", "COMPARE_OP"),
    ("binary op out of range", bytes([151, 0, 122, 99, 0, 0, 83, 0]), {},
     "BINARY_OP argument 99 is out of range of the binary operators", "BINARY_OP"),
    ("unknown opcode", bytes([151, 0, 255, 0, 83, 0]), {}, "unknown opcode 255", "<255>"),
    ("cut-off cache", bytes([151, 0, 116, 0, 0, 0]), {"names": ["g"]}, "inline cache", "LOAD_GLOBAL"),
    ("huge EXTENDED_ARG chain", bytes([144, 255] * 9 + [9, 0]), {}, None, "NOP"),
    ("garbage tables", bytes([151, 0, 100, 0, 83, 0]), {"linetable": bytes(range(200, 256)) * 3,
                                                        "exctable": bytes([0x7f] * 40 + [5])}, None, "LOAD_CONST"),
    ("empty", b"", {}, None, None),
    # an argument whose meaning is empty, first in the listing (once a
    # zero-byte write to a buffer without memory: regress-dis-empty-meaning)
    ("empty meaning first", bytes([151, 0, 155, 0, 83, 0]), {}, None, "FORMAT_VALUE"),
]


# The cases Python 3.11's marshal.loads and dis take without an exception
# (the others: IndexError in dis, or a code object it refuses to make; an
# unknown opcode it shows as CACHE, from its own copy of the bytecode).
SAME_AS_DIS = {"EXTENDED_ARG at the end", "cut-off cache", "huge EXTENDED_ARG chain", "garbage tables", "empty",
               "empty meaning first"}


def check_malformed(acar):
    n = 0
    for label, co_code, kw, message, listed in MALFORMED:
        data = code311(co_code, **kw)
        rc, out, err = run([acar, "dis", "--from", "marshal", "-"], data)
        if rc < 0 or rc > 1 or "AddressSanitizer" in err or "runtime error" in err:
            fail("malformed %s: exit %d %s" % (label, rc, err[-400:]))
            continue
        if message is not None and (rc != 1 or message not in err):
            fail("malformed %s: want exit 1 and %r, got exit %d, %r" % (label, message, rc, err.strip()))
            continue
        if listed and listed not in out:
            fail("malformed %s: %s is not listed: %r" % (label, listed, out))
            continue
        if sys.version_info[:2] == (3, 11) and label in SAME_AS_DIS:
            # where this Python's dis lists the code object, acar lists the same
            import dis
            import io
            import marshal
            buf = io.StringIO()
            dis.dis(marshal.loads(data), file=buf)
            if buf.getvalue() != out:
                fail("malformed %s: dis lists\n%s\nacar\n%s" % (label, buf.getvalue(), out))
                continue
        n += 1
    # the same, as a .pyc of 3.11 (magic 3495)
    pyc = struct.pack("<H", 3495) + b"\r\n" + bytes(12) + code311(bytes([151, 0, 100, 9, 83, 0]))
    rc, out, err = run([acar, "dis", "-"], pyc)
    if rc != 1 or "out of range of co_consts" not in err or "RESUME" not in out:
        fail("malformed .pyc: exit %d %r %r" % (rc, out, err))
    else:
        n += 1
    print("malformed: %d cases" % n)


def check_cli(acar):
    a = os.path.join(FIX, "3.11", "py38.pyc")
    b = os.path.join(FIX, "3.10", "py310.pyc")
    rc, both, err = run([acar, "dis", a, b])
    rc1, one, _ = run([acar, "dis", a])
    rc2, two, _ = run([acar, "dis", "--from", "pyc", b])
    if rc or rc1 or rc2 or both != "== %s\n%s== %s\n%s" % (a, one, b, two):
        fail("cli: two files in one run are not the two listings under '== FILE' lines (%d %s)" % (rc, err))
    # a marshal tuple of two code objects, an int alone
    t = b")\x02" + code311(bytes([151, 0, 100, 0, 83, 0])) + code311(bytes([151, 0, 9, 0, 83, 0]))
    rc, out, err = run([acar, "dis", "--from", "marshal", "-"], t)
    if rc != 0 or out.count("RESUME") != 2 or "Disassembly of <code object f, file \"bad.py\", line 1>:" not in out:
        fail("cli: marshal tuple of code objects: %d %r %r" % (rc, out, err))
    rc, out, err = run([acar, "dis", "--from", "marshal", "-"], m_int(5))
    if rc != 1 or "no code object" not in err:
        fail("cli: marshal int: %d %r" % (rc, err))
    # pickles are still listed as pickletools lists them
    import io
    import pickle
    import pickletools
    p = pickle.dumps({"a": [1, 2.5, None]}, 2)
    buf = io.StringIO()
    pickletools.dis(p, out=buf)
    rc, out, err = run([acar, "dis", "-"], p)
    if rc != 0 or out != buf.getvalue():
        fail("cli: pickle listing changed: %r" % out[:200])
    print("cli: checked")


def write_corpus(out):
    """fuzz/corpus/marshal seeds for the dis path: the malformed cases as
    Python 3 marshal (mode byte 0, or 4: offsets shown) and as a 3.11 .pyc
    (mode 2)."""
    for i, (label, co_code, kw, _, _) in enumerate(MALFORMED):
        data = code311(co_code, **kw)
        name = "regress-dis-empty-meaning" if label == "empty meaning first" else "dis-%02d" % i
        with open(os.path.join(out, name), "wb") as f:
            f.write(bytes([4 if i % 2 else 0]) + data)
    pyc = struct.pack("<H", 3495) + b"\r\n" + bytes(12) + code311(bytes([151, 0, 100, 9, 83, 0]))
    with open(os.path.join(out, "dis-pyc"), "wb") as f:
        f.write(b"\x02" + pyc)


def main():
    if sys.argv[1] == "--corpus":
        write_corpus(sys.argv[2])
        return 0
    acar = os.path.abspath(sys.argv[1])
    tools = os.path.abspath(sys.argv[2]) if len(sys.argv) > 2 else os.path.dirname(acar)
    t0 = time.time()
    found = pythons()
    if found:
        p = subprocess.run([sys.executable, os.path.join(ROOT, "tools", "gen_opcode_tables.py"), "--check"],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        print(p.stdout.decode().strip())
        if p.returncode != 0:
            fail("tables: src/marshal/opcode_tables.c is not what tools/gen_opcode_tables.py makes")
    check_fixtures(acar)
    check_malformed(acar)
    check_cli(acar)
    if found:
        check_stdlib(acar, tools, found)
        if len(found) == 0:
            fail("pyenv is there but has none of the Pythons")
    else:
        print("no pyenv: stdlib sweep skipped (fixtures checked)")
    for n in notes[:10]:
        print("note: " + n)
    print("%.1f s; %d notes; %d failed" % (time.time() - t0, len(notes), len(failures)))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
