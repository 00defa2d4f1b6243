"""Differential test of acar_dis / `acar dis` against pickletools.dis.

The oracle is CPython 3.11's pickletools.dis(data, out=StringIO,
annotate=A, indentlevel=I).  For every input, acar's listing must equal
what pickletools printed, byte for byte (also when it raised: the prefix it
printed before raising), acar must fail exactly when pickletools raises, and
acar's message must be the text of pickletools' exception (compared on the
first bytes when acar's message is cut at ACAR_ERR_MSG_MAX) and its offset
that of the opcode at fault (error_offset).

Inputs:
  values       pyvalues.ValueGen values pickled by CPython at protocols 0-5
               (the corpus of test_pickle_diff.py; of the pickles over BIG
               bytes a seeded BIG_SHARE, pickletools being slow), annotate 0;
  options      a seeded share of them again with annotate 1/28/60/-3/120
               and indentlevel 0 (pickletools' 0 is acar's -1), 2, 4, 7;
  py2          tests/fixtures/py2/*.pkl (pickles Python 2.7 wrote);
  truncations  every proper prefix of small pickles of every protocol;
  mutations    seeded random mutations (byte set, bit flip, insert, delete,
               slice duplicated, byte replaced by an opcode);
  syntax       seeded INT/FLOAT/LONG/STRING/PERSID/GLOBAL/UNICODE lines and
               SHORT_BINUNICODE bytes from small alphabets of tricky bytes;
  hand         hand-written pickles for each of pickletools' complaints
               (MARK, memo, stack, argument readers, int/float/escape/UTF-8
               decoding, int digit limit).
  cli          `acar dis FILE [--annotate N] [--indentlevel N]` prints the
               listing; a broken pickle prints its prefix, exits 1 and says
               "acar: FILE: offset N: MESSAGE" on stderr.
Every complaint kind in KINDS must be seen at least once (a test that never
reaches an error path proves nothing about it).  The batch driver
tests/tools/dis_batch.c runs the inputs, many per process.

Usage: python3 test_dis.py PATH/TO/acar PATH/TO/TOOLS_DIR
Environment: ACAR_TEST_SCALE (default 1), ACAR_TEST_SEED,
ACAR_TEST_VERBOSE=1 lists every failure.
Prints a summary and `N passed, N failed`; exits 1 on any failure.
"""

import collections
import concurrent.futures
import io
import os
import pickle
import pickletools
import random
import subprocess
import sys
import tempfile
import time
import warnings

sys.setrecursionlimit(20000)
sys.dont_write_bytecode = True  # no __pycache__ in the source tree
warnings.simplefilter("ignore")  # escape_decode warns on bad escapes in STRING arguments
import pyvalues as pv  # noqa: E402

SEED = int(os.environ.get("ACAR_TEST_SEED", "4207"))
MSG_MAX = 159  # ACAR_ERR_MSG_MAX - 1 bytes of message
BIG, BIG_SHARE = 16384, 0.05  # values pickled larger than BIG bytes: this share is run
FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures", "py2")

# pickletools' complaints (message starts) that the run must reach.
KINDS = [
    "pickle exhausted before seeing STOP",
    "at position",                      # opcode unknown
    "no MARK exists on stack",
    "memo key",                         # never stored / already defined
    "stack is empty -- can't store into memo",
    "can't store markobject in the memo",
    "tries to pop",
    "stack not empty after STOP",
    "list index out of range",          # a MARK taken off the stack by another opcode
    "not enough data in stream to read",
    "expected ",                        # counted strings short
    "no newline found",
    "no string quotes around",
    "strinq quote",
    "invalid literal for int()",
    "could not convert string to float",
    "Exceeds the limit",
    "invalid \\x escape",
    "Trailing \\ in string",
    "'ascii' codec",
    "'utf-8' codec",
    "'rawunicodeescape' codec",
    "string4 byte count < 0",
    "long4 byte count < 0",
    "byte count > sys.maxsize",
]


# ---------------------------------------------------------------------------
# The oracle.

def oracle(job):
    """(listing, exception text or None, error offset or None) of
    pickletools.dis."""
    data, annotate, indent = job
    f = io.StringIO()
    try:
        pickletools.dis(data, out=f, annotate=annotate, indentlevel=indent)
        err = None
    except Exception as e:  # noqa: BLE001 - any exception is the verdict
        err = "%s: %s" % (type(e).__name__, e)
    listing = f.getvalue()
    return listing.encode("utf-8", "surrogatepass"), err, error_offset(data, listing, err)


def error_offset(data, listing, err):
    """Where acar must say the error is: the offset of the opcode it is
    about.  An argument that cannot be read (or a missing/unknown opcode)
    is pickletools' opcode reader failing: the opcode after the last one it
    read whole.  Any other complaint comes after dis printed the offset of
    the opcode at fault: the last offset in the listing."""
    if err is None:
        return None
    end, gen_err = 0, None
    try:
        for _op, _arg, _pos, end in pickletools._genops(data, yield_end_pos=True):
            pass
    except Exception as e:  # noqa: BLE001
        gen_err = "%s: %s" % (type(e).__name__, e)
    if gen_err == err:
        return end
    last = listing.rfind("\n", 0, len(listing) - 1) + 1 if not listing.endswith(": ") else \
        listing.rfind("\n") + 1
    if listing.startswith("highest", last):  # stack not empty after STOP
        last = listing.rfind("\n", 0, last - 1) + 1
    return int(listing[last:listing.index(":", last)])


def oracles(jobs):
    """Oracle answers for many jobs, in processes (pickletools is slow)."""
    n = max(1, min(4, os.cpu_count() or 1))
    if n == 1 or len(jobs) < 200:
        return [oracle(j) for j in jobs]
    with concurrent.futures.ProcessPoolExecutor(n) as pool:
        return list(pool.map(oracle, jobs, chunksize=64))


# ---------------------------------------------------------------------------
# Inputs.

def le(n, size):
    return (n % (1 << (8 * size))).to_bytes(size, "little")


def mutate(rng, data):
    b = bytearray(data)
    k = rng.randrange(6)
    i = rng.randrange(len(b)) if b else 0
    if k == 0 and b:
        b[i] = rng.randrange(256)
    elif k == 1 and b:
        b[i] ^= 1 << rng.randrange(8)
    elif k == 2:
        b.insert(i, rng.randrange(256))
    elif k == 3 and b:
        del b[i]
    elif k == 4 and b:
        j = rng.randrange(i, min(len(b), i + 40) + 1)
        b[j:j] = b[i:j]
    elif b:
        b[i] = rng.choice(b"()]}atlsdeuhjqrgpKJMIN.0123\x80\x81\x85\x86\x87\x88\x89\x8c\x8f"
                          b"\x90\x91\x92\x93\x94\x95\x97\x98RbcCBXUTSVFGLPQio\x8a\x8b\x8d\x8e\x96")
    if rng.random() < 0.3:
        return mutate(rng, bytes(b))
    return bytes(b)


def hand_cases():
    """(name, pickle) for each complaint and each argument reader."""
    big = (1 << 64) - 1
    c = [
        ("empty", b""),
        ("no stop", b"K\x01"),
        ("unknown opcode", b"K\x01\xff."),
        ("unknown quote opcode", b"'."),
        ("no mark tuple", b"K\x01t."),
        ("no mark pop_mark", b"1."),
        ("no mark setitems", b"}K\x01K\x02u."),
        ("mark pop", b"(0N."),
        ("mark mark", b"((ll."),
        ("mark dup", b"(2t."),
        ("mark taken by append", b"](aK\x01t."),
        ("mark taken by stop", b"(."),
        ("mark taken deeper", b"((2K\x01t."),
        ("memo get missing", b"h\x05."),
        ("memo long get missing", b"j\x05\x00\x00\x00."),
        ("memo GET missing", b"g7\n."),
        ("memo GET bool", b"N"b"p1\n"b"g01\n0."),
        ("memo GET big", b"Np123456789012345678901234567890\ng123456789012345678901234567890\n0."),
        ("memo GET spaces", b"Np 7\ng+0_7 \n0."),
        ("memo GET long missing", b"N" + b"g" + b"7" * 300 + b"\n."),
        ("memo PUT long twice", b"N" + (b"p" + b"7" * 300 + b"\n") * 2 + b"."),
        ("memo put twice", b"Nq\x01q\x01."),
        ("memo PUT 01 then 1", b"Np01\np1\n."),
        ("memo put empty", b"q\x00N."),
        ("memo put mark", b"(q\x00t."),
        ("memoize twice", b"\x80\x04Nq\x00\x94."),
        ("memoize empty", b"\x94N."),
        ("memoize mark", b"(\x94t."),
        ("memoize ok", b"\x80\x04]\x94h\x00\x94\x86."),
        ("get type", b"]q\x00h\x00K\x01\x86."),
        ("underflow append", b"K\x01a."),
        ("underflow stop", b"."),
        ("underflow setitem", b"K\x01K\x02s."),
        ("underflow reduce", b"NR."),
        ("stack left", b"NN."),
        ("stack left many", b"(" * 30 + b"N" * 30 + b"."),
        ("uint1 short", b"K"),
        ("uint2 short", b"M\x01"),
        ("int4 short", b"J\x01\x02"),
        ("uint4 short", b"j\x01"),
        ("uint8 short", b"\x95\x01\x00"),
        ("float8 short", b"G\x01\x02"),
        ("long1 short", b"\x8a\x05\x01\x02"),
        ("long1 count short", b"\x8a"),
        ("long4 short", b"\x8b\x05\x00\x00\x00\x01"),
        ("long4 negative", b"\x8b\xff\xff\xff\xff"),
        ("long4 huge repr", b"\x8b" + le(2000, 4) + b"\x01" * 2000 + b"."),
        ("long4 4300 digits", b"\x8b" + le(1786, 4) + (10 ** 4300 - 1).to_bytes(1786, "little", signed=True) + b"."),
        ("long4 4301 digits", b"\x8b" + le(1786, 4) + (10 ** 4300).to_bytes(1786, "little", signed=True) + b"."),
        ("long4 -4300 digits", b"\x8b" + le(1786, 4) + (-(10 ** 4300 - 1)).to_bytes(1786, "little", signed=True) + b"."),
        ("long1 values", b"(\x8a\x00\x8a\x01\xff\x8a\x02\xff\x00\x8a\x02\x00\x80\x8a\x09" + b"\xff" * 8 + b"\x7ft."),
        ("string1 short", b"U\x05ab"),
        ("string4 short", b"T\x05\x00\x00\x00ab"),
        ("string4 negative", b"T\xff\xff\xff\xff"),
        ("string latin1", b"U\x04\x00\x80\xad\xffT\x03\x00\x00\x00'\"\\t."),
        ("bytes1 short", b"C\x05ab"),
        ("bytes4 short", b"B\x05\x00\x00\x00ab"),
        ("bytes8 short", b"\x8e\x05\x00\x00\x00\x00\x00\x00\x00ab"),
        ("bytes8 huge", b"\x8e" + le(big, 8) + b"ab"),
        ("bytes8 maxsize", b"\x8e" + le((1 << 63) - 1, 8) + b"ab"),
        ("bytearray8 huge", b"\x96" + le(1 << 63, 8)),
        ("bytearray8 short", b"\x96" + le(9, 8) + b"ab"),
        ("unicode1 short", b"\x8c\x05ab"),
        ("unicode4 short", b"X\x05\x00\x00\x00ab"),
        ("unicode8 short", b"\x8d\x05\x00\x00\x00\x00\x00\x00\x00ab"),
        ("unicode8 huge", b"\x8d" + le(big, 8)),
        ("bytes quotes", b"(C\x01'C\x01\"C\x02'\"C\x03\\\x00\x7f\x96\x01\x00\x00\x00\x00\x00\x00\x00't."),
        ("no newline int", b"I12"),
        ("no newline unicode", b"Vabc"),
        ("no newline string", b"S'abc'"),
        ("no newline global", b"cmod\nname"),
        ("no newline persid", b"Pabc"),
        ("int bool", b"(I00\nI01\nI02\nI-0\nI 12 \nI1_000\nI007\nt."),
        ("int bad", b"I1x\n."),
        ("int bad underscore", b"I1__0\n."),
        ("int trailing underscore", b"I1_\n."),
        ("int leading underscore", b"I_1\n."),
        ("int sign underscore", b"I-_1\n."),
        ("int empty", b"I\n."),
        ("int nul", b"I1\x00\n."),
        ("int non ascii", b"I\xd9\xa1\n."),
        ("int 4300 digits", b"I" + b"9" * 4300 + b"\n."),
        ("int 4301 digits", b"I" + b"9" * 4301 + b"\n."),
        ("int 4301 zeros", b"I" + b"0" * 4301 + b"\n."),
        ("int 4301 digits junk", b"I" + b"9" * 4301 + b"x\n."),
        ("long L", b"(L12L\nL-0L\nL12\nL 5 L\nt."),
        ("long bad", b"LxL\n."),
        ("long only L", b"LL\n."),
        ("float forms", b"(F1.5\nF 2 \nF1_0.5\nFinf\nF-Infinity\nFnan\nF-nan\nF.5\nF5.\nF1e5\nF1E-5_0\nt."),
        ("float bad", b"F1e\n."),
        ("float bad underscore", b"F1_e5\n."),
        ("float dot", b"F.\n."),
        ("float nul", b"F1\x00\n."),
        ("float hex", b"F0x1p3\n."),
        ("float empty", b"F\n."),
        ("float8 values", b"(G\x7f\xf8\x00\x00\x00\x00\x00\x00G\xff\xf0\x00\x00\x00\x00\x00\x00G\x80" + b"\x00" * 7 + b"t."),
        ("string escapes", b"(S'a\\nb\\x41\\101\\777\\q\\'\\\"\\\\'\nS\"x'y\"\nS''\nS\"\n"
                           b"S'\\a\\b\\f\\v\\t\\r\\0'\nt."),
        ("string quote mismatch", b"S'abc\"\n."),
        ("string single quote", b"S'\n."),
        ("string no quotes", b"Sabc\n."),
        ("string empty", b"S\n."),
        ("string bad hex", b"S'\\x4'\n."),
        ("string bad hex 2", b"S'ab\\xzz'\n."),
        ("string trailing backslash", b"S'a\\'\n."),
        ("string non ascii", b"S'\xe9'\n."),
        ("string non ascii escape", b"S'ab\\xe9'\n."),
        ("persid escapes", b"Pa\\tb\\x41\n."),
        ("persid bad", b"P\\x4\n."),
        ("global pair", b"cmod\nna\\x41me\n."),
        ("global bad first", b"cmo\xe9d\nname\n."),
        ("global bad second", b"cmod\nna\\\n."),
        ("inst", b"(K\x01imod\ncls\n."),
        ("unicode raw escapes", b"(Va\\u00e9\\U0001F600\\\\u0041\\x\\ud800\\\nV\xe9\xff\nt."),
        ("unicode raw trunc", b"Vab\\u12\n."),
        ("unicode raw trunc U", b"V\\U0001F60\n."),
        ("unicode raw range", b"V\\U00110000\n."),
        ("unicode raw bad hex", b"V\\u12g4\n."),
        ("utf8 ok", b"(X\x06\x00\x00\x00a\xc3\xa9\xe2\x82\xac\x8c\x04\xf0\x9f\x98\x80\x8c\x03\xed\xa0\x80t."),
        ("utf8 invalid start", b"\x8c\x02a\xff."),
        ("utf8 invalid start 80", b"\x8c\x02\x80a."),
        ("utf8 overlong c0", b"\x8c\x02\xc0\x80."),
        ("utf8 bad continuation", b"\x8c\x02\xc3a."),
        ("utf8 end", b"\x8c\x02a\xc3."),
        ("utf8 3 end", b"\x8c\x02\xe2\x82."),
        ("utf8 3 bad 2", b"\x8c\x03\xe2\x82a."),
        ("utf8 e0 overlong", b"\x8c\x03\xe0\x80\x80."),
        ("utf8 surrogate end", b"\x8c\x02\xed\xa0."),
        ("utf8 surrogate bad", b"\x8c\x03\xed\xa0a."),
        ("utf8 4 end", b"\x8c\x03\xf0\x9f\x98."),
        ("utf8 4 bad 3", b"\x8c\x04\xf0\x9f\x98a."),
        ("utf8 4 bad 2", b"\x8c\x04\xf0\x9fa\x80."),
        ("utf8 f0 overlong", b"\x8c\x04\xf0\x80\x80\x80."),
        ("utf8 f4 range", b"\x8c\x04\xf4\x90\x80\x80."),
        ("utf8 f5", b"\x8c\x04\xf5\x80\x80\x80."),
        ("utf8 4 end short bad", b"\x8c\x03\xf0\x9fa."),
        ("utf8 two surrogates", b"X\x06\x00\x00\x00\xed\xb0\x80\xed\xa0\x80."),
        ("proto frame", b"\x80\x05\x95\x02\x00\x00\x00\x00\x00\x00\x00N."),
        ("buffers", b"\x80\x05(\x97\x98\x96\x02\x00\x00\x00\x00\x00\x00\x00ab\x91."),
        ("sets", b"\x80\x04\x8f(K\x01\x90\x91(\x91."),
        ("obj newobj", b"(cm\nC\nK\x01o)\x81N\x92}bQ0N."),
        ("long names", b"\x80\x04\x8c\x01a\x8c\x01b\x93\x8c\x01a\x8c\x01b\x93\x86."),
        ("ext", b"(\x82\x01\x83\x01\x02\x84\x01\x02\x03\x04\x84\xff\xff\xff\xfft."),
        ("pop mark ok", b"(K\x01K\x021N."),
        ("trailing", b"N.garbage"),
        ("deep marks", b"(" * 300 + b"t" * 300 + b"."),
        ("wide code", b"\x80\x02\x88\x89\x85\x86."),
    ]
    return c


def syntax_cases(rng, n):
    """Seeded argument texts from small alphabets, so that int(), float(),
    the escape decoders and the UTF-8 decoder meet their corner cases."""
    out = []
    num = b"0123456789_.eE+- \t\x0b\x0c\r\x1cinfatyINFATYx\x00"
    esc = b"\\\\\\\\'\"abfnrtvx01234567uUN{}89AFaf\x80\xff\n"
    for _ in range(n):
        k = rng.randrange(7)
        if k in (0, 1, 2):
            t = bytes(rng.choice(num) for _ in range(rng.randrange(8)))
            t = t.replace(b"\n", b"")
            if k == 0:
                out.append(b"I" + t + b"\n.")
            elif k == 1:
                out.append(b"F" + t + b"\n.")
            else:
                out.append(b"(L" + t + b"L\nt.")
        elif k == 3:
            t = bytes(rng.choice(esc) for _ in range(rng.randrange(10))).replace(b"\n", b"")
            q = rng.choice((b"'", b'"'))
            out.append(b"S" + q + t + q + b"\n.")
        elif k == 4:
            t = bytes(rng.choice(esc) for _ in range(rng.randrange(10))).replace(b"\n", b"")
            out.append(rng.choice((b"P", b"c", b"V")) + t + b"\n" + t[::-1] + b"\n.")
        else:
            t = bytes(rng.choice(b"a\x7f\x80\x9f\xa0\xbf\xc0\xc2\xdf\xe0\xed\xef\xf0\xf4\xf5\xff")
                      for _ in range(rng.randrange(6)))
            out.append(b"\x8c" + bytes([len(t)]) + t + b".")
    return out


# ---------------------------------------------------------------------------
# Checking.

def kind_of(err):
    """The KINDS entry an exception text belongs to."""
    if err is None:
        return None
    msg = err.split(": ", 1)[1] if ": " in err else err
    for k in KINDS:
        if msg.startswith(k) or (k == "byte count > sys.maxsize" and k in msg):
            return k
    return "other: " + msg[:60]


def compare(exp, res):
    """(ok, cause, detail)."""
    listing, err, offset = exp
    if res.crash is not None:
        return False, "crash", res.crash
    sec = res.out.get(0)
    got = sec[1] if sec else b""
    if got != listing:
        i = next((k for k in range(min(len(got), len(listing))) if got[k] != listing[k]),
                 min(len(got), len(listing)))
        line = listing.count(b"\n", 0, i)
        return False, "listing differs", (
            "first difference at byte %d (line %d)\n  pickletools: %r\n  acar:        %r\n  (%s)"
            % (i, line + 1, listing[max(0, i - 80):i + 80], got[max(0, i - 80):i + 80],
               err or "no error"))
    if err is None and res.code != 0:
        return False, "acar failed, pickletools did not", "acar: code %d offset %d: %s" % (
            res.code, res.offset, res.msg)
    if err is not None and res.code == 0:
        return False, "pickletools failed, acar did not", err
    if err is not None:
        pymsg = err.split(": ", 1)[1].encode("utf-8", "surrogatepass")
        am = res.msg.encode("utf-8", "surrogatepass")
        same = am == pymsg or (len(am) >= MSG_MAX - 4 and pymsg.startswith(am[:MSG_MAX - 4]))
        if not same:
            return False, "message differs (%s)" % kind_of(err), "pickletools: %s\nacar:        %s" % (
                err, res.msg)
        if res.offset != offset:
            return False, "offset differs (%s)" % kind_of(err), "expected offset %d, acar %d: %s" % (
                offset, res.offset, err)
    return True, None, None


def run_cli(acar, cases):
    """(name, ok, detail) for `acar dis` runs."""
    out = []
    with tempfile.TemporaryDirectory() as tmp:
        for i, (data, args, exp) in enumerate(cases):
            path = os.path.join(tmp, "case%d.pkl" % i)
            with open(path, "wb") as f:
                f.write(data)
            p = subprocess.run([acar, "dis", path] + args, capture_output=True, timeout=60)
            listing, err, _ = exp
            name = "cli %s %s" % (" ".join(args) or "(defaults)", "broken" if err else "ok")
            if p.stdout != listing:
                out.append((name, False, "stdout differs:\n%r\n%r" % (p.stdout[:300], listing[:300])))
                continue
            if err is None:
                ok = p.returncode == 0 and p.stderr == b""
                out.append((name, ok, "exit %d, stderr %r" % (p.returncode, p.stderr)))
            else:
                pymsg = err.split(": ", 1)[1]
                want = "acar: %s: offset " % path
                e = p.stderr.decode("utf-8", "replace")
                ok = p.returncode == 1 and e.startswith(want) and e.rstrip("\n").endswith(
                    pymsg[:60] if len(pymsg) < 60 else "") and pymsg[:40] in e and e.count("\n") == 1
                out.append((name, ok, "exit %d, stderr %r (pickletools: %s)" % (p.returncode, e, err)))
        # a bad option is a usage error
        p = subprocess.run([acar, "dis", "--annotate"], capture_output=True, timeout=60)
        out.append(("cli usage", p.returncode == 2, "exit %d" % p.returncode))
    return out


def main():
    pv.ensure_hashseed()
    if len(sys.argv) < 3:
        raise SystemExit("usage: test_dis.py ACAR TOOLS_DIR")
    acar, tools = sys.argv[1], sys.argv[2]
    verbose = os.environ.get("ACAR_TEST_VERBOSE") == "1"
    scale = pv.scale()
    rng = random.Random(SEED)
    t0 = time.time()

    # (group, data, annotate, indentlevel as pickletools takes it)
    work = []
    smalls = []
    for label, obj in pv.ValueGen(20240611).cases(scale):
        for proto in range(6):
            try:
                d = pickle.dumps(obj, proto)
            except Exception:  # noqa: BLE001 - e.g. __slots__ before protocol 2
                continue
            if len(d) > BIG and rng.random() > BIG_SHARE:
                continue  # pickletools is slow: a seeded few of the big ones
            work.append(("values/p%d" % proto, d, 0, 4))
            if rng.random() < 0.08:
                work.append(("options", d, rng.choice((1, 28, 60, -3, 120)), rng.choice((0, 2, 4, 7))))
            if len(d) <= 300:
                smalls.append(d)
    n_values = len(work)
    for name in sorted(os.listdir(FIXTURES)):
        if name.endswith(".pkl"):
            with open(os.path.join(FIXTURES, name), "rb") as f:
                d = f.read()
            work.append(("py2", d, 0, 4))
            if len(d) <= 300:
                smalls.append(d)
    hands = hand_cases()
    for name, d in hands:
        work.append(("hand", d, 0, 4))
        work.append(("hand/annotate", d, 40, 2))
    for d in syntax_cases(rng, int(4000 * scale)):
        work.append(("syntax", d, 0, 4))
    rng.shuffle(smalls)
    budget = int(16000 * scale)
    for d in smalls:
        if budget <= 0:
            break
        budget -= len(d)
        for k in range(len(d)):
            work.append(("truncations", d[:k], 0, 4))
    seeds = smalls[:400] + [d for _, d in hands]
    for _ in range(int(8000 * scale)):
        work.append(("mutations", mutate(rng, rng.choice(seeds)), rng.choice((0, 0, 0, 30)), 4))
    t_gen = time.time()

    expected = oracles([(d, a, i) for _, d, a, i in work])
    t_oracle = time.time()

    reqs = [pv.Request(d, a & 0xffffffff, (-1 if i == 0 else 0 if i == 4 else i) & 0xffffffff)
            for _, d, a, i in work]
    exe = next((os.path.join(tools, n) for n in ("dis_batch", "dis_batch.exe")
                if os.path.exists(os.path.join(tools, n))), None)
    if not exe:
        raise SystemExit("no dis_batch driver in %s (build tests/tools/dis_batch.c)" % tools)
    batch = pv.Batch(exe)
    results = batch.run(reqs)
    t_acar = time.time()

    counts = collections.defaultdict(lambda: [0, 0])
    causes = collections.Counter()
    kinds = collections.Counter()
    failures = []
    acar_nanos = 0
    for (group, d, a, i), exp, res in zip(work, expected, results):
        ok, cause, detail = compare(exp, res)
        counts[group][0 if ok else 1] += 1
        acar_nanos += res.nanos
        k = kind_of(exp[1])
        if k:
            kinds[k] += 1
        if not ok:
            causes[cause] += 1
            failures.append((group, cause, d, a, i, detail))

    # every complaint kind reached
    for k in KINDS:
        ok = kinds[k] > 0
        counts["kinds"][0 if ok else 1] += 1
        if not ok:
            causes["complaint never reached: " + k] += 1
            failures.append(("kinds", "complaint never reached", b"", 0, 0, k))

    # the command
    cli_cases = []
    picks = [w for w in work if w[0] in ("values/p0", "values/p2", "values/p5", "py2")]
    rng.shuffle(picks)
    for _, d, _, _ in picks[:4]:
        cli_cases.append((d, [], oracle((d, 0, 4))))
    d = pickle.dumps([1, (2, "x")], 1)
    cli_cases.append((d, ["--annotate", "30", "--indentlevel", "2"], oracle((d, 30, 2))))
    for name, d in hands:
        if name in ("memo get missing", "string4 short", "no mark tuple", "stack left"):
            cli_cases.append((d, [], oracle((d, 0, 4))))
    for name, ok, detail in run_cli(acar, cli_cases):
        counts["cli"][0 if ok else 1] += 1
        if not ok:
            causes[name] += 1
            failures.append(("cli", name, b"", 0, 0, detail))
    for p in batch.problems:
        counts["process"][1] += 1
        failures.append(("process", "batch process failed", b"", 0, 0, p))

    print("test_dis: %d inputs (%d from values), generated in %.1f s, pickletools %.1f s, "
          "acar %.1f s wall (%.2f s in acar_dis)" % (
              len(work), n_values, t_gen - t0, t_oracle - t_gen, t_acar - t_oracle, acar_nanos / 1e9))
    for group in sorted(counts):
        p, f = counts[group]
        print("  %-14s %7d passed %6d failed" % (group, p, f))
    print("  pickletools complaints seen:")
    for k, n in sorted(kinds.items(), key=lambda kv: -kv[1]):
        print("    %6d  %s" % (n, k))
    if causes:
        print("failure causes:")
        for c, n in causes.most_common():
            print("  %6d  %s" % (n, c))
    shown = set()
    for group, cause, d, a, i, detail in failures:
        if not verbose and cause in shown:
            continue
        shown.add(cause)
        print("--- %s: %s (annotate=%d indentlevel=%d) input %r" % (group, cause, a, i, d[:200]))
        print(detail)
    passed = sum(p for p, _ in counts.values())
    failed = sum(f for _, f in counts.values())
    print("%d passed, %d failed" % (passed, failed))
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
