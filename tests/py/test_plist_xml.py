"""Differential test of acar's XML plist writer and reader against CPython.

For thousands of seeded values and documents:

  write   a value (pickled by CPython, read by acar) written by acar as an
          XML plist is byte for byte plistlib.dumps(value, fmt=FMT_XML) with
          sort_keys=True and False, skipkeys=False and True; where dumps
          raises (unsupported types, ints out of range, non-str keys,
          control characters, recursion), acar refuses; where dumps writes
          what plistlib.loads cannot read back (lone surrogates, U+FFFE,
          U+FFFF), acar refuses.
  read    for documents made by dumps and then mutated (elements renamed,
          fragments spliced in, bytes flipped, truncated), acar accepts
          exactly what plistlib.loads(data, fmt=FMT_XML) accepts and the
          repr of the root agrees; for XML syntax errors line and column are
          expat's.
  leaks   no bytes stay held through the document's allocator.
  cli     `acar show --from plist` and `acar convert --to plist`.

Usage: python3 test_plist_xml.py PATH/TO/acar PATH/TO/TOOLS_DIR
Environment: ACAR_TEST_SCALE (default 1), ACAR_TEST_SEED, ACAR_TEST_VERBOSE=1.
Prints `N passed, N failed`; exits 1 on any failure.
"""

import datetime
import os
import pickle
import plistlib
import random
import subprocess
import sys
import tempfile

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import xmlcases  # noqa: E402
from xmlcases import (ACAR_WRITE_NO_SORT_KEYS, ACAR_WRITE_SKIPKEYS, SEED, SCALE, Gen,  # noqa: E402
                      Report, compare_reads, find_tool, random_tree, run_batch)


class PGen(Gen):
    """Values for plists: ints to 64 bits, no None, some refused types."""

    def scalar(self):
        r = self.r
        k = r.randrange(14)
        if k == 0:
            return r.choice([2**63 - 1, -2**63, 2**64 - 1, 2**63, 2**32, -2**31 - 1])
        if k == 1 and r.random() < self.bad * 5:
            return r.choice([2**64, -2**63 - 1, 10**30, None, {1}, 1j])
        if k == 2:
            return r.randrange(-2**70, 2**70) if r.random() < self.bad * 5 else r.randrange(-2**63, 2**64)
        v = Gen.scalar(self)
        if v is None and r.random() > self.bad * 10:
            return "none"
        return v


def py_dumps(value, sort_keys, skipkeys):
    try:
        b = plistlib.dumps(value, fmt=plistlib.FMT_XML, sort_keys=sort_keys, skipkeys=skipkeys)
    except (TypeError, OverflowError, ValueError, UnicodeEncodeError, RecursionError):
        return None
    try:
        plistlib.loads(b, fmt=plistlib.FMT_XML)
    except Exception:
        return None
    return b


def check_writes(tool, rnd, rep, n):
    gen = PGen(rnd)
    reqs, exps = [], []
    for i in range(n):
        v = gen.value()
        if rnd.random() < 0.02:
            v = [v, "x"]
            v.append(v)
        sort_keys = rnd.random() < 0.6
        skipkeys = rnd.random() < 0.2
        flags = (0 if sort_keys else ACAR_WRITE_NO_SORT_KEYS) | (ACAR_WRITE_SKIPKEYS if skipkeys else 0)
        try:
            pk = pickle.dumps(v, 4)
        except RecursionError:
            continue
        reqs.append((4, flags, b"", 0, pk))
        exps.append((v, flags, py_dumps(v, sort_keys, skipkeys)))
    for (v, flags, exp), a in zip(exps, run_batch(tool, reqs)):
        what = "value=%s flags=%#x" % (repr(v)[:300], flags)
        if not rep.ok(a is not None, "write: driver died", what):
            break
        rep.ok(a.leaked == 0, "write: leak", what)
        if exp is None:
            rep.ok(a.code != 0, "write: acar wrote what CPython refuses or cannot read back",
                   what + "\n acar: %r" % a.out[:300])
        elif rep.ok(a.code == 0, "write: acar refused", what + "\n acar: %s" % a.msg):
            rep.ok(a.out == exp, "write: bytes differ",
                   what + "\n CPython: %r\n acar:    %r" % (exp[:600], a.out[:600]))


FRAGMENTS = [
    b"<string>a</string>", b"<string/>", b"<integer>12</integer>", b"<integer> 12 </integer>",
    b"<integer>0x1F</integer>", b"<integer>0X_1f</integer>", b"<integer>0x</integer>",
    b"<integer>-0x10</integer>", b"<integer>1_000</integer>", b"<integer>99999999999999999999999</integer>",
    b"<integer>x</integer>", b"<integer></integer>", b"<integer>\xd9\xa3</integer>",
    b"<real>1.5</real>", b"<real>nan</real>", b"<real>-inf</real>", b"<real> 1e5 </real>", b"<real>1_0.5</real>",
    b"<real>abc</real>", b"<true/>", b"<false/>", b"<true>junk</true>", b"<data>Zm9v</data>",
    b"<data>Zg=</data>", b"<data>Z</data>", b"<data>Zg==rest</data>", b"<data>\xc3\xa9Zm9v</data>",
    b"<date>2020-01-02T03:04:05Z</date>", b"<date>2020-01-02Z</date>", b"<date>2020-01Z</date>",
    b"<date>2020Z</date>", b"<date>2020-01-02T03Z</date>", b"<date>2020-01-02T03:04Zjunk</date>",
    b"<date>2020-02-30T00:00:00Z</date>", b"<date>0000-01-01T00:00:00Z</date>",
    b"<date>2020-01-02T03:04:05</date>", b"<date>2020-01-02T3:04:05Z</date>",
    b"<dict/>", b"<array/>", b"<dict><key>a</key><integer>1</integer></dict>",
    b"<dict><key>a</key></dict>", b"<dict><key></key></dict>", b"<dict><key></key><key>b</key><true/></dict>",
    b"<dict><integer>1</integer></dict>", b"<dict><key>a</key><key>b</key></dict>",
    b"<array><key>a</key></array>", b"<key>loose</key>", b"<unknown>1</unknown>", b"<plist/>",
    b"<dict><key>a</key><integer>1</integer><key>a</key><integer>2</integer></dict>",
    b"<string>a<b/>c</string>", b"<string>&lt;&#233;</string>", b"<string><![CDATA[x]]></string>",
    b"<string>\xef\xbf\xbe</string>", b"<!ENTITY e 'x'>", b"<x:dict/>",
    b"<integer>0x\xd9\xa1</integer>", b"<integer>\xef\xbc\x91</integer>", b"<integer>0x1 </integer>",
    b"<integer> 0x1</integer>", b"<integer>0x" + b"f" * 5000 + b"</integer>", b"<integer>" + b"1" * 4301 + b"</integer>",
    b"<date>\xd9\xa1020-01-01Z</date>", b"<date>2020-01-01T00:00:60Z</date>", b"<date>2020-01-01T00:00:0Z</date>",
    b"<data>Zm9v\x0bYmFy</data>", b"<data>&#233;Zg==</data>", b"<key>k</key>",
]

TAGS = [b"dict", b"array", b"key", b"string", b"integer", b"real", b"true", b"false", b"data", b"date",
        b"plist", b"zzz"]


def mutate(rnd, doc):
    return xmlcases.mutate(rnd, doc, TAGS, FRAGMENTS, b"<plist version=\"1.0\">", FRAGMENTS,
                           [b"", b"<?xml version='1.0' encoding='latin-1'?>\n", b"\xef\xbb\xbf",
                            b"<?xml version='1.0' encoding='cp1252'?>\n",
                            b"<?xml version='1.0' encoding='l1'?>\n",
                            b"<!DOCTYPE x [<!ENTITY e 'ent'>]>", b"<!DOCTYPE x [<!ELEMENT x ANY>]>"])


def py_loads(data):
    try:
        return ("ok", repr(plistlib.loads(data, fmt=plistlib.FMT_XML)))
    except RecursionError:
        return ("skip", None)
    except Exception as e:
        return ("err", e)


def check_reads(tool, rnd, rep, n):
    gen = PGen(rnd, bad=0)
    docs = []
    for i in range(n):
        v = gen.value()
        try:
            d = plistlib.dumps(v, fmt=plistlib.FMT_XML)
        except Exception:
            continue
        for _ in range(rnd.choice([0, 1, 1, 2, 3])):
            d = mutate(rnd, d)
        docs.append(d)
    for i in range(n // 4):
        docs.append(random_tree(rnd, TAGS + [b"x:dict"]))
    docs += [b"<plist>" + f + b"</plist>" for f in FRAGMENTS]
    docs += [b"<plist><array>" + f + b"</array></plist>" for f in FRAGMENTS]
    docs += [b"<plist><dict><key>k</key>" + f + b"</dict></plist>" for f in FRAGMENTS]
    reqs = [(2, 0, b"", 0, d) for d in docs]
    compare_reads(rep, docs, run_batch(tool, reqs), py_loads, lambda out: out.decode("utf-8", "surrogatepass"))


def check_deep(tool, rep):
    depth = 100000
    doc = b"<plist>" + b"<array>" * depth + b"</array>" * depth + b"</plist>"
    a, b = run_batch(tool, [(2, 0, b"", 0, doc), (2, 0, b"", 1000, doc)])
    rep.ok(a is not None and a.code == 0 and a.out.startswith(b"[[[["), "deep: 100000 arrays", a and a.msg)
    rep.ok(b is not None and b.code == 4 and "max_depth" in b.msg, "deep: max_depth refused", b and b.msg)
    # and written back: a deep list through pickle -> plist
    v = []
    for _ in range(400):
        v = [v]
    pk = pickle.dumps(v, 4)
    c, = run_batch(tool, [(4, 0, b"", 0, pk)])
    rep.ok(c is not None and c.code == 0 and c.out == plistlib.dumps(v), "deep: write 400", c and c.msg)


def check_cli(acar, rep):
    value = {"b": [1, 2.5, True, b"\x00" * 100], "a": datetime.datetime(2001, 2, 3, 4, 5, 6), "c": "x<y"}
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "v.plist")
        with open(path, "wb") as f:
            f.write(plistlib.dumps(value))
        p = subprocess.run([acar, "show", path, "--from", "plist"], stdout=subprocess.PIPE)
        exp = repr(plistlib.loads(plistlib.dumps(value))) + "\n"
        rep.ok(p.returncode == 0 and p.stdout.decode() == exp, "cli: show", repr(p.stdout))
        for extra, kw in (([], {}), (["--no-sort-keys"], {"sort_keys": False})):
            p = subprocess.run([acar, "convert", path, "--from", "plist", "--to", "plist"] + extra,
                               stdout=subprocess.PIPE)
            want = plistlib.dumps(plistlib.loads(plistlib.dumps(value)), **kw)
            rep.ok(p.returncode == 0 and p.stdout == want, "cli: convert", repr(p.stdout[:300]))


def main():
    if len(sys.argv) < 3:
        raise SystemExit(__doc__)
    acar, tools = sys.argv[1], sys.argv[2]
    tool = find_tool(tools, "xml_batch")
    rnd = random.Random(SEED + 1)
    rep = Report()
    check_writes(tool, rnd, rep, int(3000 * SCALE))
    check_reads(tool, rnd, rep, int(4000 * SCALE))
    check_deep(tool, rep)
    check_cli(acar, rep)
    return rep.done()


if __name__ == "__main__":
    sys.exit(main())
