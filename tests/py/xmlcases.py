"""What the XML-RPC and XML plist tests share (imported by test_xmlrpc.py
and test_plist_xml.py; not a test itself): the batch driver
tests/tools/xml_batch.c, the report, seeded values, random element trees,
document mutations and the comparison of acar's reads with CPython's.
"""

import datetime
import math
import os
import struct
import subprocess
import sys
import xml.parsers.expat

SEED = int(os.environ.get("ACAR_TEST_SEED", "20261126"))
SCALE = float(os.environ.get("ACAR_TEST_SCALE", "1"))
VERBOSE = os.environ.get("ACAR_TEST_VERBOSE") == "1"

ACAR_WRITE_SKIPKEYS = 1 << 3
ACAR_WRITE_RESPONSE = 1 << 5
ACAR_WRITE_ALLOW_NONE = 1 << 6
ACAR_WRITE_FAULT = 1 << 7
ACAR_WRITE_NO_SORT_KEYS = 1 << 8

# ---------------------------------------------------------------------------
# The batch driver (wire format in tests/tools/xml_batch.c)


class Answer:
    __slots__ = ("code", "offset", "line", "column", "kind", "method", "leaked", "msg", "out")


def find_tool(tools_dir, name):
    for cand in (os.path.join(tools_dir, name), os.path.join(tools_dir, name + ".exe")):
        if os.path.exists(cand):
            return cand
    raise SystemExit("cannot find %s in %s" % (name, tools_dir))


def run_batch(tool, requests):
    """requests: (op, flags, method bytes, max_depth, input bytes).  Returns
    the answers; a crash answers the rest with None."""
    buf = bytearray()
    for op, flags, method, depth, data in requests:
        buf += struct.pack("<IIIIQ", op, flags, len(method), depth, len(data)) + method + data
    proc = subprocess.run([tool], input=bytes(buf), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out = proc.stdout
    answers, pos = [], 0
    try:
        while len(answers) < len(requests):
            magic, code, offset, line, column, kind, mlen = struct.unpack_from("<IIQIIII", out, pos)
            if magic != 0x58524341:
                break
            pos += 32
            a = Answer()
            a.code, a.offset, a.line, a.column, a.kind = code, offset, line, column, kind
            a.method = out[pos:pos + mlen]
            pos += mlen
            a.leaked, = struct.unpack_from("<Q", out, pos)
            pos += 8
            n, = struct.unpack_from("<I", out, pos)
            a.msg = out[pos + 4:pos + 4 + n].decode("utf-8", "replace")
            pos += 4 + n
            n, = struct.unpack_from("<Q", out, pos)
            a.out = out[pos + 8:pos + 8 + n]
            pos += 8 + n
            answers.append(a)
    except struct.error:
        pass
    if len(answers) < len(requests):
        sys.stderr.write("xml_batch died at case %d (status %s): %s\n"
                         % (len(answers), proc.returncode, proc.stderr.decode("utf-8", "replace")[-2000:]))
    return answers + [None] * (len(requests) - len(answers))


class Report:
    def __init__(self):
        self.passed = 0
        self.failed = 0
        self.causes = {}

    def ok(self, cond, cause, detail=""):
        if cond:
            self.passed += 1
            return True
        self.failed += 1
        n = self.causes.get(cause, 0)
        self.causes[cause] = n + 1
        if VERBOSE or n < 3:
            print("FAIL %s: %s" % (cause, detail[:1500]))
        return False

    def done(self):
        for cause, n in sorted(self.causes.items()):
            print("  %d x %s" % (n, cause))
        print("%d passed, %d failed" % (self.passed, self.failed))
        return 1 if self.failed else 0


# ---------------------------------------------------------------------------
# Values and documents


TEXTS = ["", "a", "abc", "a<b>&c", "]]>", "tab\there", "line\nbreak", "cr\rlf\r\n", "é", "日本語",
         "\U0001f600", "\x00", "\x1f", "\x7f", "\ud800", "\udfff", "\ufffe", "\uffff", "&amp;",
         "   ", "0", "1", " 12 ", "faultCode", "x" * 100]


class Gen:
    def __init__(self, rnd, bad=0.02):
        self.r = rnd
        self.bad = bad  # chance of a value the format refuses

    def text(self):
        r = self.r
        if r.random() < 0.5:
            return r.choice(TEXTS)
        n = r.randrange(0, 40)
        pool = "abcXYZ 019_<>&\t\n\"'é日\U0001f600"
        if r.random() < self.bad:
            pool += "\x01\r\ud800\ufffe"
        return "".join(r.choice(pool) for _ in range(n))

    def scalar(self):
        r = self.r
        k = r.randrange(12)
        if k == 0:
            return r.choice([0, 1, -1, 2**31 - 1, -2**31, 42, -7])
        if k == 1:
            if r.random() < self.bad * 5:
                return r.choice([2**31, -2**31 - 1, 2**63, -2**64, 10**30])
            return r.randrange(-2**31, 2**31)
        if k == 2:
            return r.choice([True, False])
        if k == 3:
            return r.choice([0.0, -0.0, 1.5, 1e16, 1e-5, 0.1, math.inf, -math.inf, math.nan, 5e-324,
                             1.7976931348623157e308, 123.0])
        if k == 4:
            return r.uniform(-1e6, 1e6)
        if k in (5, 6):
            return self.text()
        if k == 7:
            n = r.choice([0, 1, 2, 3, 56, 57, 58, 100, 200])
            b = bytes(r.randrange(256) for _ in range(n))
            return bytearray(b) if r.random() < 0.2 else b
        if k == 8:
            return datetime.datetime(r.randrange(1, 10000), r.randrange(1, 13), r.randrange(1, 29),
                                     r.randrange(24), r.randrange(60), r.randrange(60),
                                     r.choice([0, 0, 123456]))
        if k == 9 and r.random() < 0.1:  # aware: written with the tzinfo ignored
            tz = r.choice([datetime.timezone.utc, datetime.timezone(datetime.timedelta(hours=-5))])
            return datetime.datetime(r.randrange(1, 10000), 2, 28, 23, 59, 59, 999, tzinfo=tz)
        if k == 9 and r.random() < self.bad * 10:
            return r.choice([None, {1, 2}, 1j, frozenset()])
        if k == 10 and r.random() < 0.3:
            return None
        return r.randrange(-1000, 1000)

    def value(self, depth=0):
        r = self.r
        if depth > 4 or r.random() < 0.45:
            return self.scalar()
        k = r.randrange(3)
        n = r.randrange(0, 5)
        if k == 0:
            return [self.value(depth + 1) for _ in range(n)]
        if k == 1:
            return tuple(self.value(depth + 1) for _ in range(n))
        d = {}
        for _ in range(n):
            key = self.text() if r.random() > self.bad * 3 else r.choice([1, 2.5, b"k", None])
            d[key] = self.value(depth + 1)
        return d

    def params(self):
        r = self.r
        n = r.choice([0, 1, 1, 1, 2, 3, 5])
        ps = [self.value() for _ in range(n)]
        if r.random() < 0.03 and ps:  # sharing and cycles
            shared = [1, "s"]
            ps.append([shared, shared])
            if r.random() < 0.5:
                cyc = [1]
                cyc.append(cyc)
                ps.append(cyc)
            else:
                d = {"a": 1}
                d["self"] = [d]
                ps.append(d)
        return tuple(ps)


TEXT_POOL = [b"", b"1", b"0", b"-12", b" 7 ", b"1_0", b"1.5", b"nan", b"x", b"Zm9v", b"Zg==", b"Zg=",
             b"20200102T03:04:05", b"2020111T1:2:3", b"1e5", b"\xd9\xa3", b"\xc2\xa01\xc2\xa0", b"a&amp;b",
             b"\xef\xbc\x91\xef\xbc\x92", b"faultCode", b"faultString", b"&#13;", b"sNaN"]


def random_tree(rnd, tags, depth=0):
    """A random well-formed element tree over the format's tag names:
    structure the writer never makes, to exercise the reader's leniency."""
    tag = rnd.choice(tags)
    if depth > 5 or rnd.random() < 0.35:
        if rnd.random() < 0.2:
            return b"<" + tag + b"/>"
        return b"<" + tag + b">" + rnd.choice(TEXT_POOL) + b"</" + tag + b">"
    kids = b"".join(random_tree(rnd, tags, depth + 1) for _ in range(rnd.randrange(4)))
    if rnd.random() < 0.2:
        kids = rnd.choice(TEXT_POOL) + kids
    return b"<" + tag + b">" + kids + b"</" + tag + b">"


def mutate(rnd, doc, tags, fragments, anchor, inserts, prefixes):
    """One random change: truncate, flip a byte, splice a fragment in after
    a tag, rename or drop a tag pair, insert one of inserts after anchor,
    prepend one of prefixes (XML declarations, BOM, DOCTYPE)."""
    k = rnd.randrange(10)
    if k == 0 and doc:  # truncate
        return doc[:rnd.randrange(len(doc))]
    if k == 1 and doc:  # flip a byte
        i = rnd.randrange(len(doc))
        return doc[:i] + bytes([rnd.randrange(256)]) + doc[i + 1:]
    if k in (2, 3, 4):  # splice a fragment in after a tag
        cuts = [i + 1 for i, c in enumerate(doc) if c == ord(">")]
        if cuts:
            i = rnd.choice(cuts)
            return doc[:i] + rnd.choice(fragments) + doc[i:]
    if k == 5:  # rename a tag pair
        a, b = rnd.choice(tags), rnd.choice(tags)
        return doc.replace(b"<" + a + b">", b"<" + b + b">", 1).replace(b"</" + a + b">", b"</" + b + b">", 1)
    if k == 6:  # drop an element's tags
        a = rnd.choice(tags)
        return doc.replace(b"<" + a + b">", b"", 1).replace(b"</" + a + b">", b"", 1)
    if k == 7:
        return doc.replace(anchor, anchor + rnd.choice(inserts), 1)
    if k == 8:
        return rnd.choice(prefixes) + doc
    return doc


def compare_reads(rep, docs, answers, py_loads, text, extra=None):
    """acar's answers for docs against py_loads(doc): ("ok", repr, ...),
    ("err", exception) or ("skip",).  Accept/refuse must agree, XML syntax
    errors at expat's line and column, text(answer.out) == repr; extra(rep,
    answer, expected, what) checks more of an accepted document."""
    for d, a in zip(docs, answers):
        what = "doc=%r" % d[:600]
        if not rep.ok(a is not None, "read: driver died", what):
            break
        rep.ok(a.leaked == 0, "read: leak", what)
        exp = py_loads(d)
        if exp[0] == "skip":
            continue
        if exp[0] == "err":
            e = exp[1]
            if rep.ok(a.code != 0, "read: acar accepts what CPython refuses",
                      what + "\n CPython: %r\n acar: %s" % (e, a.out[:300])):
                if isinstance(e, xml.parsers.expat.ExpatError):
                    rep.ok((a.line, a.column) == (e.lineno, e.offset + 1),
                           "read: XML error position differs",
                           what + "\n CPython: %s\n acar: line %d column %d: %s"
                           % (e, a.line, a.column, a.msg))
            continue
        if not rep.ok(a.code == 0, "read: acar refuses what CPython accepts",
                      what + "\n CPython: %s\n acar: %s" % (exp[1][:300], a.msg)):
            continue
        rep.ok(text(a.out) == exp[1], "read: repr differs",
               what + "\n CPython: %s\n acar:    %s" % (exp[1][:400], a.out[:400]))
        if extra:
            extra(rep, a, exp, what)
