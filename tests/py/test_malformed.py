"""Malformed and hostile pickles: acar must refuse cleanly, never crash, and
agree with CPython on what is a pickle.

Inputs: every truncation (each proper prefix) of a set of valid pickles;
seeded random mutations of them (byte set, bit flip, insert, delete, slice
duplicated, byte replaced by an opcode); hand-written cases (stack underflow,
MARK misuse, memo indexes missing or huge, declared lengths up to 2^64-1,
bad text arguments, 100,000-deep nesting, large counts with few bytes,
shared-node amplification).

CPython's verdict on each input is pickle.Unpickler with inert globals
(pyvalues.InertUnpickler, native=False: nothing named by the data is
imported or called), and acar reads with ACAR_READ_ALLOW_TRAILING like
pickle.loads.  Strict failures:
  * a crash, hang or leak in the batch driver;
  * acar accepts an input CPython rejects for a structural reason
    (UnpicklingError, EOFError, ValueError, UnicodeDecodeError, unhashable
    keys/items), or accepts any truncation;
  * acar refuses with a malformed/truncated error an input CPython accepts;
  * acar and CPython disagree on where the pickle ends (bytes consumed);
  * acar writes (protocol 2 and 4) something CPython cannot load, or
    cannot write within the limits what it read within them;
  * memory (peak bytes through the doc's allocator) above
    MEM_FACTOR * len(input) + MEM_BASE.
Reported, not failed: acar refusing with a limit/unsupported/unresolved
error what CPython accepts; acar accepting what CPython rejects only by
calling code (TypeError, AttributeError, ...) or running out of memory;
repr differences on accepted mutants.

Usage: python3 test_malformed.py PATH/TO/acar PATH/TO/TOOLS_DIR
Environment: ACAR_TEST_SCALE (default 1), ACAR_TEST_SEED, ACAR_TEST_VERBOSE=1.
"""

import collections
import os
import io
import pickle
import pickletools
import random
import sys
import time
import warnings

sys.setrecursionlimit(20000)
sys.dont_write_bytecode = True  # no __pycache__ in the source tree
warnings.simplefilter("ignore")  # CPython warns on bad escapes in STRING arguments
import pyvalues as pv  # noqa: E402

SEED = int(os.environ.get("ACAR_TEST_SEED", "7031"))
# An empty list/dict/set from one opcode byte costs ~48 bytes of node and
# item array, and the arena's doubling chunks may leave up to half unused:
# ~100 bytes per input byte is the measured worst case for valid input.
MEM_FACTOR = 128     # peak allocator bytes per input byte ...
MEM_BASE = 1 << 20   # ... plus this much
SLOW_SECONDS = 5.0   # one case taking longer than this (times ACAR_TEST_TIMEOUT_SCALE) fails

ERR_NAMES = {0: "ok", 1: "nomem", 2: "malformed", 3: "truncated", 4: "limit", 5: "unsupported",
             6: "type", 7: "refused", 8: "arg", 9: "io", 10: "unresolved"}
ACAR_STRUCTURAL = (2, 3)          # codes that say "not a valid pickle"
ACAR_ALLOWED_REFUSALS = (4, 5, 10)  # limit, unsupported, unresolved

N_DEEP = 100000


# ---------------------------------------------------------------------------
# Inputs

def valid_corpus(rng, scale):
    """(name, pickle) pairs: small generated values at every protocol, plus
    hand-made pickles with the rarer opcodes."""
    out = []
    gen = pv.ValueGen(SEED)
    vals = [(label, v) for label, v in gen.cases(0.03)
            if label.split("/")[0] in ("nested", "inst", "cyclic", "shared", "empty-or-one",
                                       "dict", "complex", "bytearray", "str", "int", "float")]
    rng.shuffle(vals)
    budget = int(40000 * scale)  # bytes of corpus: every prefix is a case
    for label, v in vals:
        for proto in range(6):
            try:
                d = pickle.dumps(v, proto)
            except Exception:
                continue
            if len(d) > 1500 or budget <= 0:
                continue
            budget -= len(d)
            out.append(("%s/p%d" % (label, proto), d))
    out += [
        ("persid", b"(lp0\nPabc\np1\naI1\na."),
        ("binpersid", b"\x80\x02]q\x00(X\x01\x00\x00\x00aQK\x02e."),
        ("inst", b"(i__main__\nOld\n(dp0\nS'a'\nI1\nsb."),
        ("obj", b"\x80\x01(c__main__\nOld\nq\x00o}q\x01U\x01aK\x01sb."),
        ("newobj_ex", b"\x80\x04\x95\x1a\x00\x00\x00\x00\x00\x00\x00\x8c\x01m\x94\x8c\x01C"
                      b"\x94\x93\x94K\x01\x85}\x8c\x01b\x94K\x02s\x92\x94."),
        ("build+dict", b"\x80\x02cm\nC\n)\x81}X\x01\x00\x00\x00xK\x01sb."),
        ("pop/dup/popmark", b"\x80\x02K\x010K\x022(K\x03K\x041\x86."),
        ("longs", b"\x80\x02(\x8a\x00\x8a\x01\xff\x8b\x02\x00\x00\x00\x00\x80L12345678901234567890L\nt."),
        ("strings", b"(S'a\\x00b'\nU\x02\x00\x01T\x01\x00\x00\x00zt."),
        ("buffers", b"\x80\x05\x95\x10\x00\x00\x00\x00\x00\x00\x00(\x97\x97\x98\x96\x01\x00\x00"
                    b"\x00\x00\x00\x00\x00at."),
        ("wide", b"\x80\x04(\x8e\x02\x00\x00\x00\x00\x00\x00\x00ab\x8d\x01\x00\x00\x00\x00\x00"
                 b"\x00\x00ct."),
        ("sets", b"\x80\x04\x8f(K\x01K\x02\x90(K\x03\x91\x86."),
        ("memo", b"\x80\x04]\x94(K\x01h\x00j\x00\x00\x00\x00\x8c\x01s\x94h\x01e."),
        ("ext", b"\x80\x02\x82\x01."),
    ]
    return out


def mutate(rng, data):
    """One seeded mutation of data."""
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
        j = rng.randrange(i, len(b) + 1)
        b[j:j] = b[i:j]
    elif b:
        b[i] = rng.choice(b"()]}atlsdeuhjqrgpKJMIN.0123\x80\x81\x85\x86\x87\x88\x89\x8c\x8f"
                          b"\x90\x91\x92\x93\x94\x95\x97\x98RbcCBXUTSVFGL\x8a\x8b")
    if rng.random() < 0.3:  # sometimes a second one
        return mutate(rng, bytes(b))
    return bytes(b)


def le(n, size):
    return (n % (1 << (8 * size))).to_bytes(size, "little")


def hand_cases():
    """(name, bytes, want_repr) — want_repr False where a repr would be
    exponentially long (shared-node amplification)."""
    c = []

    def add(name, data, want_repr=True):
        c.append((name, data, want_repr))

    # Stack underflow: every opcode that pops, on an empty stack.
    for op in [b"a", b"0", b"2", b"t", b"\x85", b"\x86", b"\x87", b"s", b"R", b"b", b"\x81",
               b"\x92", b"\x93", b".", b"e", b"u", b"\x90", b"\x91", b"l", b"d", b"1", b"Q",
               b"\x94", b"p0\n", b"q\x00", b"r\x00\x00\x00\x00", b"\x98", b"o", b"i m\nc\n"]:
        add("underflow " + repr(op), op + b".")
        add("underflow p2 " + repr(op), b"\x80\x02" + op + b".")
    for data in [b"K\x01\x86.", b"K\x01K\x02\x87.", b"}K\x01s.", b"K\x01R.", b"\x8c\x01a\x93.",
                 b"K\x01b.", b"K\x01)\x92.", b")\x81."]:
        add("underflow " + repr(data), data)
    # MARK misuse.
    for data in [b"(.", b"(K\x01.", b"K\x01(0.", b"((t.", b"(t(t\x86.", b"(K\x01(K\x02u.",
                 b"(1.", b"K\x01(1.", b"(K\x01e.", b"(K\x01d.", b"}(K\x01u.", b"(]\x91.",
                 b"(\x85.", b"\x80\x02K\x01(K\x02s.", b"K\x01\x85(K\x01K\x02s.", b"](K\x01a.",
                 b"(K\x01(K\x02t\x86.", b"(((((.", b"(" * 1000 + b"N.", b"]((e.",
                 b"\x8f(\x90(K\x01\x90.", b"(K\x01\x94.", b"(2.", b"(\x94."]:
        add("mark " + repr(data[:20]), data)
    # Memo: missing, huge, negative, overwritten.
    for data in [b"h\x00.", b"j\xff\xff\xff\xff.", b"g0\n.", b"g99999999999999999999\n.",
                 b"g-1\n.", b"gx\n.", b"g\n.", b"K\x01p-1\n.", b"K\x01r\xff\xff\xff\xff.",
                 b"K\x01r\x00\x00\x10\x00.", b"K\x01p99999999999\n.", b"K\x01\x94h\x01.",
                 b"K\x01q\x00K\x02q\x00h\x00.", b"K\x01p1000000\ng1000000\n.",
                 b"K\x01r\x00\x00\x00\x80.", b"K\x01q\xffh\xfe."]:
        add("memo " + repr(data), data)
    # Declared lengths.
    counted = [(b"B", 4), (b"X", 4), (b"T", 4), (b"C", 1), (b"\x8c", 1), (b"U", 1),
               (b"\x8e", 8), (b"\x8d", 8), (b"\x96", 8), (b"\x8a", 1), (b"\x8b", 4),
               (b"\x95", 8)]
    for op, size in counted:
        for n in (255, 2**31 - 1, 2**31, 2**32 - 1, 2**63 - 1, 2**63, 2**64 - 1, -1):
            if size < 8 and n >= 1 << (8 * size) and n != -1:
                continue
            if size == 8 and 2**31 < n < 2**63:
                continue  # CPython would allocate the declared size before reading
            add("length %s %d" % (op, n), b"\x80\x04" + op + le(n, size) + b"ab.")
    add("proto 6", b"\x80\x06N.")
    add("proto 255", b"\x80\xffN.")
    add("proto twice", b"\x80\x02\x80\x03N.")
    add("proto late", b"N\x80\x02.")
    # Text arguments.
    for data in [b"I\n.", b"I1", b"Iabc\n.", b"I99999999999999999999999\n.", b"I00\n.",
                 b"I01\n.", b"I 1\n.", b"I1 \n.", b"I+1\n.", b"I1_0\n.", b"I-0\n.",
                 b"I" + b"9" * 5000 + b"\n.", b"L" + b"9" * 5000 + b"L\n.",
                 b"L" + b"9" * 4300 + b"L\n.", b"L" + b"9" * 4301 + b"L\n.", b"L12\n.",
                 b"L\n.", b"LL\n.", b"L-L\n.", b"F\n.", b"Fnan\n.", b"Fabc\n.", b"F1e500\n.",
                 b"F-inf\n.", b"F1_0\n.", b"F 1\n.", b"F0x10\n.", b"S\n.", b"S'abc\n.",
                 b"Sabc\n.", b"S'\\x'\n.", b"S\"a'\n.", b"S''\n.", b"S'\n.", b"Vabc",
                 b"V\\u12\n.", b"V\\U00110000\n.", b"V\\ud800\n.", b"c\n\n.", b"cfoo\n.",
                 b"c" + b"a" * 100000 + b"\nb\n.", b"cfoo\nbar", b"i\n\n.",
                 b"U\x01\xff.", b"T\x01\x00\x00\x00\xff.", b"X\x01\x00\x00\x00\xff.",
                 b"X\x03\x00\x00\x00\xed\xa0\x80.", b"X\x02\x00\x00\x00\xc0\x80.",
                 b"\x80\x04\x8c\x04\xf4\x90\x80\x80.", b"I1\r\n.", b"F1.5\r\n."]:
        add("text " + repr(data[:24]), data)
    # Globals, objects and other semantics.
    for data in [b"\x80\x04\x8c\x01a\x8c\x01b\x93.", b"\x80\x04K\x01K\x02\x93.",
                 b"\x80\x02cfoo\nbar\n)\x81.", b"\x80\x02K\x01)\x81.",
                 b"\x80\x02cfoo\nbar\nK\x01\x81.", b"cfoo\nbar\nK\x01R.", b"cfoo\nbar\n)R}b.",
                 b"cfoo\nbar\n)R}b}b.", b"]}b.", b"]Nb.", b"K\x01}b.", b"P1\n.", b"K\x01Q.",
                 b"\x82\x01.", b"\x83\x01\x00.", b"\x84\x01\x00\x00\x00.", b"\x80\x05\x97.",
                 b"\x80\x05\x97\x98.", b"\x80\x05K\x01\x98.", b"]K\x00K\x05s.",
                 b"\x80\x04\x8f]\x90.", b"}]K\x01s.", b"K\x01(K\x02e.", b"\x80\x04K\x01(K\x02\x90.",
                 b"cfoo\nbar\n)RK\x01a.", b"cfoo\nbar\n)R(K\x01K\x02u.",
                 b"\x80\x04cfoo\nbar\n)}\x92.", b"\x80\x04cfoo\nbar\n)K\x01\x92.",
                 b"\x80\x04K\x01)}\x92.", b"(cfoo\nbar\no.", b"(K\x01o.", b"(ifoo\nbar\n.",
                 b"c__builtin__\nset\n(K\x01tR.", b"c__builtin__\nset\n(]K\x01atR.",
                 b"c__builtin__\nset\n(](]atR.", b"c_codecs\nencode\n(X\x01\x00\x00\x00\xff"
                 b"X\x06\x00\x00\x00latin1tR.", b"c__builtin__\nbytes\n)R.",
                 b"c__builtin__\ncomplex\n(F1\nF2\ntR.", b"c__builtin__\ncomplex\n(S'x'\ntR."]:
        add("semantics " + repr(data[:24]), data)
    # Deep nesting.
    n = N_DEEP
    add("deep list", b"(" * n + b"l" * n + b".")
    add("deep list+1", b"(" * (n + 1) + b"l" * (n + 1) + b".")
    add("deep ]a", b"\x80\x02" + b"]" * (n + 1) + b"a" * n + b".")
    add("deep tuple", b"(" * n + b"t" * n + b".")
    add("deep tuple1", b"\x80\x02)" + b"\x85" * n + b".")
    add("deep dict", b"\x80\x02" + b"}K\x01" * n + b"}" + b"s" * n + b".")
    add("deep frozenset", b"\x80\x04" + b"(" * n + b"\x91" * n + b".")
    add("deep reduce", b"\x80\x02cm\nf\nq\x00" + b"h\x00" * n + b")R" + b"\x85R" * n + b".")
    add("deep build", b"\x80\x02cm\nf\nq\x00" + b"h\x00)R" * n + b"b" * (n - 1) + b".")
    add("deep marks", b"(" * 1000000 + b"N.")
    add("deep unclosed", b"(" * n + b"l" * (n - 1))
    # Large counts with few bytes, amplification.
    add("dup 1e6", b"\x80\x02]" + b"2" * 1000000 + b".")
    add("setitem 1e5", b"}" + b"K\x01K\x02s" * 100000 + b".")
    add("append 1e6 shared", b"\x80\x02]q\x00K\x01q\x01" + b"h\x01a" * 1000000 + b".")
    laughs = b"\x80\x02]q\x00" + b"(" + b"h\x00" * 10 + b"lq\x00" + (b"(" + b"h\x00" * 10 + b"lq\x00") * 29 + b"."
    add("laughs", laughs, want_repr=False)
    for op, proto in [(b"]", 2), (b"}", 2), (b"\x8f", 4), (b"\x94", 4), (b"\x8c\x00", 4),
                      (b"(", 2), (b"(\x91", 4), (b"C\x00", 4), (b"N", 2), (b"K\x01", 2)]:
        add("amplification %r x 1e5" % op, b"\x80" + bytes([proto]) + b"]" + op * 100000 + b".",
            want_repr=False)
    add("long4 1MB", b"\x80\x02\x8b\x00\x00\x10\x00" + b"\x01" * (1 << 20) + b".")
    add("binbytes 1MB", b"\x80\x03B\x00\x00\x10\x00" + b"x" * (1 << 20) + b".")
    return c


# ---------------------------------------------------------------------------
# CPython's verdict

STRUCTURAL_EXC = (pickle.UnpicklingError, EOFError, ValueError)


# ---------------------------------------------------------------------------


def main():
    pv.ensure_hashseed()
    if len(sys.argv) < 3:
        raise SystemExit("usage: test_malformed.py ACAR TOOLS_DIR")
    tools = sys.argv[2]
    verbose = os.environ.get("ACAR_TEST_VERBOSE") == "1"
    scale = pv.scale()
    rng = random.Random(SEED)
    t0 = time.time()

    corpus = valid_corpus(rng, scale)
    cases = []  # (kind, name, data, want)
    want_full = pv.WANT_REPR | (1 << 2) | (1 << 4)
    for name, d in corpus:
        cases.append(("valid", name, d, want_full))
    for name, d in corpus:
        for k in range(len(d)):
            cases.append(("truncation", "%s[:%d]" % (name, k), d[:k], 0))
    n_mut = int(20000 * scale)
    for i in range(n_mut):
        name, d = corpus[rng.randrange(len(corpus))]
        cases.append(("mutation", "%s~%d" % (name, i), mutate(rng, d), want_full))
    for name, d, want_repr in hand_cases():
        cases.append(("hand", name, d, want_full if want_repr else (1 << 2) | (1 << 4)))
    t_gen = time.time()

    # CPython's verdicts (and where it stopped reading).
    # CPython prints (does not raise) "deallocated bytearray object has
    # exported buffers" after some READONLY_BUFFER mutants: keep it quiet.
    stderr, sys.stderr = sys.stderr, io.StringIO()
    try:
        verdicts = [_verdict(d) for _, _, d, _ in cases]
    finally:
        sys.stderr = stderr
    t_py = time.time()

    # Every other case reads with ACAR_READ_BORROW (strings point into the
    # input; the batch driver frees the doc before the input).
    reqs = [pv.Request(d, want, read=pv.READ_ALLOW_TRAILING | (pv.READ_BORROW if i % 2 else 0))
            for i, (_, _, d, want) in enumerate(cases)]
    # Trailing data: by default acar ignores it as pickle.loads does and says
    # where the pickle ended; with ACAR_READ_NO_TRAILING it refuses it.
    extra = []
    for name, d in corpus[:50]:
        extra.append(("trailing", name + "+junk", d + b"junk", 0, 0, 0, ("consumed", len(d))))
        extra.append(("trailing", name + "+junk strict", d + b"junk", pv.READ_NO_TRAILING, 0, 0,
                      "refuse"))
    for name, d, _ in hand_cases():
        if name.startswith("deep ") and not name.endswith("unclosed"):
            extra.append(("limit", name + " depth<=50", d, 0, 0, 50, "limit"))
    for name, d in [("binbytes 1MB", b"\x80\x03B\x00\x00\x10\x00" + b"x" * (1 << 20) + b"."),
                    ("big list", pickle.dumps(list(range(100000)), 4)),
                    ("big str", pickle.dumps("x" * 300000, 4))]:
        extra.append(("limit", name + " memory<=64KiB", d, 0, 65536, 0, "limit"))
    for kind, name, d, rd, mm, md, _ in extra:
        reqs.append(pv.Request(d, 0, read=rd, max_memory=mm, max_depth=md))

    batch = pv.Batch(pv.find_batch(tools), chunk=500)
    results = batch.run(reqs)
    t_run = time.time()

    # ---- compare ----
    fails = []      # (cause, kind, name, data, detail)
    notes = collections.Counter()
    examples = {}
    agree = collections.Counter()    # kind -> agreements
    total = collections.Counter()
    worst_mem = (0.0, None)
    slow = []
    slow_limit = SLOW_SECONDS * float(os.environ.get("ACAR_TEST_TIMEOUT_SCALE", "1"))

    def fail(cause, kind, name, data, detail):
        fails.append((cause, kind, name, data, detail))

    def note(cause, kind, name, data, detail):
        cause = cause.replace("\n", "\\n")
        notes[cause] += 1
        examples.setdefault(cause, (kind, name, data, detail))

    for (kind, name, d, want), verdict, res in zip(cases, verdicts, results):
        total[kind] += 1
        if res.crash is not None:
            fail("crash or hang", kind, name, d, res.crash)
            continue
        if res.leaked:
            fail("leak through the doc allocator", kind, name, d, "%d bytes" % res.leaked)
        bound = MEM_FACTOR * len(d) + MEM_BASE
        if res.peak > bound:
            fail("memory over %d x input + %d" % (MEM_FACTOR, MEM_BASE), kind, name, d,
                 "peak %d bytes for %d input bytes" % (res.peak, len(d)))
        if d and res.peak / len(d) > worst_mem[0] and len(d) >= 64:
            worst_mem = (res.peak / len(d), (kind, name, len(d), res.peak))
        if res.nanos / 1e9 > slow_limit:
            fail("slow (over %.0f s)" % slow_limit, kind, name, d, "%.1f s" % (res.nanos / 1e9))
        slow.append((res.nanos, kind, name, len(d)))

        acar_ok = res.code == 0
        cp_ok = verdict[0] == "accept"
        acar_desc = "accepted" if acar_ok else "%s at %d: %s" % (
            ERR_NAMES.get(res.code, res.code), res.offset, res.msg)
        if acar_ok == cp_ok:
            agree[kind] += 1
        if cp_ok and acar_ok:
            if res.consumed != verdict[2]:
                fail("stops at another byte than CPython", kind, name, d,
                     "acar consumed %d, CPython %d" % (res.consumed, verdict[2]))
            check_outputs(res, verdict, kind, name, d, fail, note)
        elif cp_ok and not acar_ok:
            if res.code in ACAR_ALLOWED_REFUSALS:
                note("acar refuses (%s) what CPython accepts" % ERR_NAMES.get(res.code),
                     kind, name, d, acar_desc)
            elif native_refusal(d) == res.msg:
                note("acar refuses what CPython accepts with inert globals, as CPython does with "
                     "the well-known ones real", kind, name, d, acar_desc)
            else:
                fail("acar refuses (%s) what CPython accepts" % ERR_NAMES.get(res.code, res.code),
                     kind, name, d, acar_desc)
        elif not cp_ok and acar_ok:
            why = verdict[1]
            if why == "structural" or kind == "truncation":
                fail("acar accepts what CPython rejects (structural)", kind, name, d,
                     "CPython: %s" % verdict[2])
            else:
                note("acar accepts what CPython rejects (%s)" % why, kind, name, d,
                     "CPython: %s" % verdict[2])
        else:
            if res.code not in ACAR_STRUCTURAL + ACAR_ALLOWED_REFUSALS + (1,):
                note("both reject; acar's code is %s" % ERR_NAMES.get(res.code, res.code),
                     kind, name, d, acar_desc)

    for (kind, name, d, rd, mm, md, expect), res in zip(extra, results[len(cases):]):
        total[kind] += 1
        if res.crash is not None:
            fail("crash or hang", kind, name, d, res.crash)
        elif expect == "refuse" and res.code == 0:
            fail("trailing bytes accepted with ACAR_READ_NO_TRAILING", kind, name, d, "")
        elif isinstance(expect, tuple) and (res.code != 0 or res.consumed != expect[1]):
            fail("trailing bytes: not read as pickle.loads reads them", kind, name, d,
                 "code %s consumed %s, want 0 and %d" % (res.code, res.consumed, expect[1]))
        elif expect == "limit" and res.code != 4:
            fail("limit not enforced", kind, name, d, "code %s: %s" % (res.code, res.msg))
        else:
            agree[kind] += 1
    t_end = time.time()

    # ---- report ----
    print("acar malformed-input test (seed %d, scale %g)" % (SEED, scale))
    print("cases: %d (%s)" % (sum(total.values()), ", ".join(
        "%s %d" % kv for kv in sorted(total.items()))))
    print("time: total %.1f s (generate %.1f, CPython %.1f, acar %.1f, compare %.1f); "
          "batch restarts: %d" % (t_end - t0, t_gen - t0, t_py - t_gen, t_run - t_py,
                                  t_end - t_run, batch.restarts))
    print("agreement with CPython on accept/reject:")
    for kind in sorted(total):
        print("  %-11s %6d of %6d (%.2f%%)" % (kind, agree[kind], total[kind],
                                               100.0 * agree[kind] / max(1, total[kind])))
    if worst_mem[1]:
        print("memory: worst peak/len = %.1f (%s %s, %d bytes -> %d)" % (worst_mem[0], *worst_mem[1]))
    slow.sort(reverse=True)
    print("slowest: " + "; ".join("%.3f s %s %s (%d bytes)" % (n / 1e9, k, nm[:30], ln)
                                  for n, k, nm, ln in slow[:3]))
    if notes:
        print("reported (not failures):")
        for cause, v in notes.most_common():
            kind, name, d, detail = examples[cause]
            print("  %6d  %s\n          e.g. %s %s: %s\n          %s"
                  % (v, cause, kind, name[:40], _short(d), detail[:200]))
    if fails:
        print()
        by = collections.Counter(f[0] for f in fails)
        print("failures by cause:")
        for cause, v in by.most_common():
            print("  %6d  %s" % (v, cause))
        shown = collections.Counter()
        for cause, kind, name, d, detail in sorted(fails, key=lambda f: (f[0], len(f[3]))):
            if not verbose and shown[cause] >= 5:
                continue
            shown[cause] += 1
            print("FAIL %s [%s %s]\n  input: %s\n  %s" % (cause, kind, name[:60], _short(d),
                                                        detail[:1500].replace("\n", "\n  ")))
    for prob in batch.problems:
        print("FAIL batch process: " + prob[:3000])
        fails.append(("batch process", "", "", b"", prob))
    checks = sum(total.values())
    n_fail = len(set((f[1], f[2], f[3]) for f in fails))
    print()
    print("%d passed, %d failed" % (checks - n_fail, n_fail))
    return 1 if fails else 0


def _short(d, n=120):
    r = repr(d)
    return r if len(r) <= n else r[:n] + "... (%d bytes)" % len(d)


MEMO_TAME = 100000
_MEMO_OPS = {"PUT", "BINPUT", "LONG_BINPUT", "GET", "BINGET", "LONG_BINGET"}


def tame_memo(data):
    """data with memo indexes above MEMO_TAME renamed to small unused ones
    (same byte length).  CPython grows its memo array to twice the largest
    PUT index and clears every slot, so one 5-byte LONG_BINPUT can make it
    touch gigabytes; the renaming keeps the pickle's meaning (indexes are
    only names) and CPython's verdict on everything else."""
    try:
        ops = []
        for op, arg, pos in pickletools.genops(data):
            ops.append((op, arg, pos))
    except Exception:
        pass  # CPython stops where genops stops; what comes before counts
    big = [(op, arg, pos) for op, arg, pos in ops
           if op.name in _MEMO_OPS and isinstance(arg, int) and arg > MEMO_TAME]
    if not big:
        return data
    used = {arg for op, arg, _ in ops if op.name in _MEMO_OPS and isinstance(arg, int)}
    names, nxt = {}, 0
    out = bytearray(data)
    for op, arg, pos in big:
        if arg not in names:
            while nxt in used:
                nxt += 1
            names[arg] = nxt
            used.add(nxt)
        new = names[arg]
        if op.name in ("LONG_BINPUT", "LONG_BINGET"):
            out[pos + 1:pos + 5] = new.to_bytes(4, "little")
        else:  # PUT/GET text: same width, zero padded
            end = data.index(b"\n", pos)
            width = end - pos - 1
            text = str(new).rjust(width, "0").encode()
            if len(text) == width:
                out[pos + 1:end] = text
    return bytes(out)


def _verdict(data):
    """CPython's verdict: ('accept', value, bytes consumed) or ('reject',
    kind, message), kind structural / semantic / resource."""
    data = tame_memo(data)
    f = WholeFile(data)
    u = _FileInert(f, data)
    try:
        v = u.load()
    except MemoryError:
        return ("reject", "resource", "MemoryError")
    except RecursionError as e:
        return ("reject", "resource", "RecursionError: %s" % e)
    except Exception as e:
        msg = "%s: %s" % (type(e).__name__, e)
        if "must be a type, not Inert" in msg:
            # The class is what a REDUCE returned: a real one may well be a
            # type (getattr(module, name) is how protocol 2 names a nested
            # class), the inert stand-in never is.
            return ("reject", "semantic", msg)
        if isinstance(e, STRUCTURAL_EXC) or "unhashable" in str(e):
            return ("reject", "structural", msg)
        return ("reject", "semantic", msg)
    return ("accept", v, f.pos)


def native_refusal(data):
    """CPython's message when it loads data with the well-known globals acar
    maps to native values real (pyvalues.NATIVE_GLOBALS: bytearray(),
    frozenset(), complex(), ...) and the rest inert, or None when it loads.
    _verdict's inert globals accept what such a value then refuses, calling
    a bytearray or setting an item of a frozenset, which acar and CPython
    both refuse."""
    try:
        pv.inert_loads(tame_memo(data), native=True)
    except Exception as e:  # noqa: BLE001 -- any refusal is compared by its message
        return str(e)
    return None


class WholeFile:
    """A file whose peek() returns everything left, so that the C unpickler
    buffers the whole input and behaves as pickle.loads(bytes) does (a plain
    BytesIO makes it refill its buffer at frame ends and refuse an opcode
    that straddles one).  After a load, pos is where the pickle ended."""

    def __init__(self, data):
        self.data = data
        self.pos = 0

    def peek(self, n=0):
        return self.data[self.pos:]

    def read(self, n=-1):
        end = len(self.data) if n is None or n < 0 else min(len(self.data), self.pos + n)
        out = self.data[self.pos:end]
        self.pos = end
        return out

    def readinto(self, b):
        out = self.read(len(b))
        b[:len(out)] = out
        return len(out)

    def readline(self):
        i = self.data.find(b"\n", self.pos)
        return self.read(-1 if i < 0 else i + 1 - self.pos)


class _FileInert(pv.InertUnpickler):
    """InertUnpickler (native=False) over a WholeFile."""

    def __init__(self, f, data):
        pickle.Unpickler.__init__(self, f, buffers=_oob())
        self.native = False
        self.inert = {}
        self.fix_imports = True
        self.proto = data[1] if len(data) >= 2 and data[0] == 0x80 else 0


def _oob():
    i = 0
    while True:
        yield pv.InertOOB(i)
        i += 1


def check_outputs(res, verdict, kind, name, d, fail, note):
    """acar accepted: what it wrote must load in CPython; repr compared for
    information."""
    for p in (2, 4):
        if p not in res.out:
            continue
        code, out = res.out[p]
        if code == 4:
            # The reader let it in under the same limits: the writer must cope.
            fail("read within the limits, but writing protocol %d exceeds one" % p, kind, name,
                 d, out.decode("utf-8", "replace"))
            continue
        if code != 0:
            note("write protocol %d refused: %s" % (p, out[:50].decode("utf-8", "replace")),
                 kind, name, d, out.decode("utf-8", "replace"))
            continue
        v = _verdict(out)
        if v[0] != "accept" and v[1] != "structural":
            note("CPython's inert load of acar's output fails (%s)" % v[1], kind, name, d, v[2])
        elif v[0] != "accept":
            fail("CPython cannot load what acar wrote (protocol %d)" % p, kind, name, d,
                 "%s\n  acar wrote %s" % (v[2], _short(out, 300)))
        elif v[2] != len(out):
            fail("acar's output has bytes after STOP (protocol %d)" % p, kind, name, d,
                 _short(out, 300))
    if pv.WANT_REPR in res.out:
        code, text = res.out[pv.WANT_REPR]
        if code != 0:
            note("repr refused: %s" % text[:50].decode("utf-8", "replace"), kind, name, d,
                 text.decode("utf-8", "replace"))
            return
        try:
            exp = repr(pv.inert_loads(d, native=True))
        except Exception:
            return  # CPython's native view fails (e.g. set(1)) or repr recursion
        got = text.decode("utf-8", "surrogateescape")
        if got != exp:
            off = pv.first_diff(exp, got)
            norm = got.replace("builtins.Ellipsis", "Ellipsis")
            why = ("Ellipsis" if norm == exp else "same characters, other order (sets?)"
                   if sorted(norm) == sorted(exp) else "other")
            note("repr differs from the inert load (%s): %s" % (kind, why), kind, name, d,
                 "at %d: CPython %r / acar %r" % (off, exp[max(0, off - 30):off + 30],
                                                   got[max(0, off - 30):off + 30]))


if __name__ == "__main__":
    sys.exit(main())
