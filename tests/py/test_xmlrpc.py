"""Differential test of acar's XML-RPC writer and reader against CPython.

For thousands of seeded values and documents:

  write   a params tuple (pickled by CPython, read by acar) written by acar
          as XML-RPC with every option (plain, methodname, methodresponse,
          fault, allow_none) is byte for byte xmlrpc.client.dumps(...)
          encoded as UTF-8; where dumps raises, acar refuses; where dumps
          writes what no parser reads back (control characters, lone
          surrogates, U+FFFE/U+FFFF), acar refuses.
  read    for documents made by dumps and then mutated (tags renamed,
          fragments spliced in, bytes flipped, truncated), acar accepts
          exactly what xmlrpc.client.loads(data, use_builtin_types=True)
          accepts; the repr of the root, the kind (call, response, fault)
          and the method name agree; for XML syntax errors the line and
          column are expat's (ExpatError.lineno, .offset + 1).
  leaks   no bytes stay held through the document's allocator.
  cli     a few cases through `acar show --from xmlrpc` and
          `acar convert --to xmlrpc --method ...`.

Usage: python3 test_xmlrpc.py PATH/TO/acar PATH/TO/TOOLS_DIR
Environment: ACAR_TEST_SCALE (default 1), ACAR_TEST_SEED, ACAR_TEST_VERBOSE=1.
Prints `N passed, N failed`; exits 1 on any failure.
"""

import datetime
import decimal
import os
import pickle
import random
import subprocess
import sys
import tempfile
import xml.parsers.expat
import xmlrpc.client

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import xmlcases  # noqa: E402
from xmlcases import (ACAR_WRITE_ALLOW_NONE, ACAR_WRITE_FAULT, ACAR_WRITE_RESPONSE, SEED, SCALE,  # noqa: E402
                      Gen, Report, compare_reads, find_tool, random_tree, run_batch)

# ---------------------------------------------------------------------------
# Values


def pyrepr(v):
    """repr() with decimal.Decimal printed as acar prints the object a
    pickle holds for it, decimal.Decimal('...') (acar_repr prints globals
    with their module; see also acar_text)."""
    if isinstance(v, decimal.Decimal):
        return "decimal.Decimal(%r)" % str(v)
    if isinstance(v, list):
        return "[" + ", ".join(pyrepr(x) for x in v) + "]"
    if isinstance(v, tuple):
        if len(v) == 1:
            return "(" + pyrepr(v[0]) + ",)"
        return "(" + ", ".join(pyrepr(x) for x in v) + ")"
    if isinstance(v, dict):
        return "{" + ", ".join(pyrepr(k) + ": " + pyrepr(x) for k, x in v.items()) + "}"
    return repr(v)


def acar_text(out):
    """acar's repr output as text; a repr printer that prints Decimal as
    CPython does (Decimal('1.5')) is accepted too."""
    t = out.decode("utf-8", "surrogatepass")
    if "Decimal('" in t and "decimal.Decimal('" not in t:
        t = t.replace("Decimal('", "decimal.Decimal('")
    return t


def expat_ok(data):
    p = xml.parsers.expat.ParserCreate()
    try:
        p.Parse(data, True)
        return True
    except xml.parsers.expat.ExpatError:
        return False


def py_dumps(params, method, response, allow_none, fault):
    """CPython's bytes, or None when acar must refuse."""
    try:
        if fault:
            obj = xmlrpc.client.Fault(params["faultCode"], params["faultString"])
        else:
            obj = params
        s = xmlrpc.client.dumps(obj, methodname=method, methodresponse=response or None,
                                allow_none=allow_none)
        b = s.encode("utf-8")
    except (TypeError, OverflowError, AssertionError, UnicodeEncodeError, RecursionError):
        return None
    if not expat_ok(b if (method or response or fault) else b"<r>" + b + b"</r>"):
        return None
    return b


def check_writes(tool, rnd, rep, n):
    gen = Gen(rnd)
    reqs, exps = [], []
    for i in range(n):
        params = gen.params()
        opt = rnd.randrange(5)
        method = response = allow_none = fault = None
        flags = 0
        if opt == 1:
            method = rnd.choice(["m", "system.listMethods", "a.b_c", "méthode", "x<y", "", "a&b"])
        elif opt == 2:
            response = True
            flags |= ACAR_WRITE_RESPONSE
            if rnd.random() < 0.9:
                params = params[:1] if params else (gen.value(),)
        elif opt == 3:
            fault = True
            flags |= ACAR_WRITE_FAULT
            params = {"faultCode": gen.value() if rnd.random() < 0.2 else rnd.randrange(-5, 100),
                      "faultString": gen.text()}
            if rnd.random() < 0.3:
                method = "m"
        if rnd.random() < 0.3:
            allow_none = True
            flags |= ACAR_WRITE_ALLOW_NONE
        try:
            pk = pickle.dumps(params, 4)
        except RecursionError:
            continue
        exp = py_dumps(params, method, response, allow_none, fault)
        if method == "":
            method = None if rnd.random() < 0.5 else ""
        m = (method or "").encode("utf-8", "surrogatepass")
        reqs.append((3, flags, m, 0, pk))
        exps.append((params, method, flags, exp))
    for (params, method, flags, exp), a in zip(exps, run_batch(tool, reqs)):
        what = "params=%s method=%r flags=%#x" % (repr(params)[:300], method, flags)
        if not rep.ok(a is not None, "write: driver died", what):
            break
        rep.ok(a.leaked == 0, "write: leak", what)
        if exp is None:
            rep.ok(a.code != 0, "write: acar wrote what CPython refuses or cannot read back",
                   what + "\n acar: %r" % a.out[:300])
        else:
            if rep.ok(a.code == 0, "write: acar refused", what + "\n acar: %s" % a.msg):
                rep.ok(a.out == exp, "write: bytes differ",
                       what + "\n CPython: %r\n acar:    %r" % (exp[:400], a.out[:400]))


# ---------------------------------------------------------------------------
# Documents to read


FRAGMENTS = [
    b"<value>abc</value>", b"<value></value>", b"<value/>", b"<value><i4> 12 </i4></value>",
    b"<value><int>+7</int></value>", b"<value><i8>1_000</i8></value>", b"<value><i1>x</i1></value>",
    b"<value><biginteger>123456789012345678901234567890</biginteger></value>",
    b"<value><double> 1.5 </double></value>", b"<value><float>nan</float></value>",
    b"<value><double>-Infinity</double></value>", b"<value><double>1_0.5</double></value>",
    b"<value><double>1__0</double></value>", b"<value><bigdecimal>1.50</bigdecimal></value>",
    b"<value><bigdecimal> -0.0000001 </bigdecimal></value>", b"<value><bigdecimal>1e5</bigdecimal></value>",
    b"<value><bigdecimal>snan12</bigdecimal></value>", b"<value><bigdecimal>1_2.5_0</bigdecimal></value>",
    b"<value><bigdecimal>x</bigdecimal></value>", b"<value><bigdecimal>1e999999999999999999</bigdecimal></value>",
    b"<value><boolean>1</boolean></value>", b"<value><boolean>2</boolean></value>",
    b"<value><boolean> 1</boolean></value>", b"<value><nil/></value>", b"<value><ex:nil/></value>",
    b"<value><ex:i4>5</ex:i4></value>", b"<value><base64>Zm9v</base64></value>",
    b"<value><base64>Zg==</base64></value>", b"<value><base64>Zg=</base64></value>",
    b"<value><base64>Z</base64></value>", b"<value><base64>Zg=a=rest</base64></value>",
    b"<value><base64>Z m 9 v!</base64></value>", b"<value><base64>=Zm9v</base64></value>",
    b"<value><base64>\xc3\xa9Zm9v</base64></value>",
    b"<value><dateTime.iso8601>20200102T03:04:05</dateTime.iso8601></value>",
    b"<value><dateTime.iso8601>2020012T3:4:5</dateTime.iso8601></value>",
    b"<value><dateTime.iso8601>2020111T1:2:3</dateTime.iso8601></value>",
    b"<value><dateTime.iso8601>20201 1T01:02:03</dateTime.iso8601></value>",
    b"<value><dateTime.iso8601>20200230T00:00:00</dateTime.iso8601></value>",
    b"<value><dateTime.iso8601>20200101t00:00:61</dateTime.iso8601></value>",
    b"<value><dateTime.iso8601>20200101T24:00:00</dateTime.iso8601></value>",
    b"<value><dateTime.iso8601>20200101T00:00:00Z</dateTime.iso8601></value>",
    b"<value><dateTime.iso8601>00000101T00:00:00</dateTime.iso8601></value>",
    b"<value><dateTime.iso8601>\xd9\xa2020" b"0101T00:00:00</dateTime.iso8601></value>",
    b"<value><array><data><value>1</value></data></array></value>",
    b"<value><array><data></data></array></value>", b"<value><struct></struct></value>",
    b"<value><struct><member><name>a</name><value>1</value></member></struct></value>",
    b"<value><struct><member><name>a</name></member></struct></value>",
    b"<value><struct><value><i4>1</i4></value><value>x</value></struct></value>",
    b"<value><struct><value><array><data/></array></value><value>x</value></struct></value>",
    b"<value><unknown>1</unknown></value>", b"<value><member/></value>", b"<foo>bar</foo>",
    b"<value><value>inner</value></value>", b"<name>loose</name>", b"<int>3</int>",
    b"<value><string>a</string>junk</value>", b"<value>a<!-- c -->b</value>",
    b"<value><![CDATA[<x>]]></value>", b"<value>&lt;&#233;&#x1F600;</value>",
    b"<value>\xef\xbf\xbe</value>", b"<value>&#1;</value>", b"<value>&undefined;</value>",
    b"<fault><value><struct><member><name>faultCode</name><value>1</value></member><member><name>"
    b"faultString</name><value>x</value></member><member><name>self</name><value>1</value></member>"
    b"</struct></value></fault>",
    b"<fault><value><struct><member><name>faultCode</name><value>1</value></member><member><name>"
    b"faultString</name><value>x</value></member><member><name>extra</name><value>1</value></member>"
    b"</struct></value></fault>",
    b"<params/>", b"<fault/>", b"<methodName>m2</methodName>", b"<methodName/>",
    b"<value><i4>99999999999999999999999</i4></value>", b"<value><int>\xd9\xa3</int></value>",
    b"<value><double>\xe2\x80\x831.5</double></value>", b"<value><i4>" + b"9" * 4301 + b"</i4></value>",
    b"<value><i4>" + b"0" * 4300 + b"1</i4></value>", b"<value><i4>\xef\xbc\x91\xef\xbc\x92</i4></value>",
    b"<value><double>\xc2\xa0\xef\xbc\x91.5</double></value>", b"<value><double>1\xe2\x80\x8b</double></value>",
    b"<value><bigdecimal>\xc2\xa0\xd9\xa1_2\xe3\x80\x80</bigdecimal></value>",
    b"<value><bigdecimal>1\xc2\xa02</bigdecimal></value>", b"<value><bigdecimal>1e-1999999999999999997</bigdecimal></value>",
    b"<value><bigdecimal>0e1000000000000000000</bigdecimal></value>", b"<value><bigdecimal>.5E+</bigdecimal></value>",
    b"<value><bigdecimal>-Inf</bigdecimal></value>", b"<value><bigdecimal>infinit</bigdecimal></value>",
    b"<value><dateTime.iso8601>\xef\xbc\x92020" b"0101T00:00:00</dateTime.iso8601></value>",
    b"<value><dateTime.iso8601>20200101T0\xd9\xa1:00:00</dateTime.iso8601></value>",
    b"<value><dateTime.iso8601>2020010 T00:00:00</dateTime.iso8601></value>",
    b"<value><dateTime.iso8601>2020 101T00:00:00</dateTime.iso8601></value>",
    b"<value><dateTime.iso8601>20201231T23:59:59 </dateTime.iso8601></value>",
]

TAGS = [b"value", b"i4", b"int", b"string", b"array", b"data", b"struct", b"member", b"name",
        b"params", b"param", b"fault", b"methodName", b"methodCall", b"methodResponse", b"boolean",
        b"double", b"base64", b"nil", b"dateTime.iso8601", b"bigdecimal", b"zzz", b"ex:value"]


def mutate(rnd, doc):
    return xmlcases.mutate(rnd, doc, TAGS, FRAGMENTS, b"<value>", [b" ", b"x", b"\n", b"&amp;"],
                           [b"", b"<?xml version='1.0' encoding='latin-1'?>\n", b"\xef\xbb\xbf",
                            b"<?xml version='1.0' encoding='windows-1252'?>\n",
                            b"<?xml version='1.0' encoding='us'?>\n", b"<?xml version='1.0' encoding='utf8'?>\n",
                            b"<!DOCTYPE x [<!ENTITY e 'ent'>]>"])


def py_loads(data):
    """('ok', repr, kind, method) or ('err', exc) as CPython reads data."""
    p, u = xmlrpc.client.getparser(use_builtin_types=True)
    try:
        p.feed(data)
        p.close()
        params = u.close()
    except xmlrpc.client.Fault:
        return ("ok", pyrepr(u._stack[0]), 3, None)
    except RecursionError:
        return ("skip", None)
    except Exception as e:  # every other exception is a refusal
        return ("err", e)
    method = u.getmethodname()
    return ("ok", pyrepr(params), 1 if method is not None else 2, method)


def check_reads(tool, rnd, rep, n):
    gen = Gen(rnd, bad=0)
    docs = []
    for i in range(n):
        params = gen.params()
        k = rnd.randrange(4)
        try:
            if k == 0:
                d = xmlrpc.client.dumps(params, methodname="m%d" % i, allow_none=True)
            elif k == 1:
                d = xmlrpc.client.dumps(params[:1] or (1,), methodresponse=True, allow_none=True)
            elif k == 2:
                d = xmlrpc.client.dumps(xmlrpc.client.Fault(rnd.randrange(100), gen.text()))
            else:
                d = xmlrpc.client.dumps(params, allow_none=True)
            d = d.encode("utf-8")
        except Exception:
            continue
        for _ in range(rnd.choice([0, 1, 1, 2, 3])):
            d = mutate(rnd, d)
        docs.append(d)
    tags = TAGS + [b"i8", b"double", b"ex:nil", b"x:struct"]
    for i in range(n // 4):
        docs.append(random_tree(rnd, tags))
    docs += [b"<methodResponse>" + f + b"</methodResponse>" for f in FRAGMENTS if f.startswith(b"<fault>")]
    docs += [b"<params>" + f + b"</params>" for f in FRAGMENTS]
    docs += [b"<params><param>" + f + b"</param></params>" for f in FRAGMENTS]
    reqs = [(1, 0, b"", 0, d) for d in docs]

    def kind_and_method(rep, a, exp, what):
        rep.ok(a.kind == exp[2], "read: kind differs", what + " %d vs %d" % (a.kind, exp[2]))
        if exp[3] is not None:
            rep.ok(a.method.decode("utf-8") == exp[3], "read: method differs", what)

    compare_reads(rep, docs, run_batch(tool, reqs), py_loads, acar_text, kind_and_method)


def check_deep(tool, rep):
    """100000-deep arrays read, refused past max_depth, and written back."""
    depth = 100000
    doc = (b"<params><param>" + b"<value><array><data>" * depth + b"</data></array></value>" * depth
           + b"</param></params>")
    lol = '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    for i in range(1, 10):
        lol += '<!ENTITY lol%d "%s">' % (i, ("&lol%s;" % ("" if i == 1 else i - 1)) * 10)
    lol = (lol + "]><params><param><value>&lol9;</value></param></params>").encode()
    c, = run_batch(tool, [(1, 0, b"", 0, lol)])
    rep.ok(c is not None and c.code == 4 and "amplification" in c.msg, "billion laughs refused (expat's limit)",
           c and c.msg)
    a, b = run_batch(tool, [(1, 0, b"", 0, doc), (1, 0, b"", 1000, doc)])
    rep.ok(a is not None and a.code == 0 and a.out.startswith(b"([[[["), "deep: 100000 arrays",
           a and a.msg)
    rep.ok(b is not None and b.code == 4 and "max_depth" in b.msg, "deep: max_depth refused", b and b.msg)


def check_cli(acar, rep):
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "call.xml")
        params = (1, "a<b", [1.5, True], {"k": b"xyz" * 30}, datetime.datetime(2020, 1, 2, 3, 4, 5))
        with open(path, "wb") as f:
            f.write(xmlrpc.client.dumps(params, methodname="do.it").encode())
        p = subprocess.run([acar, "show", path, "--from", "xmlrpc"], stdout=subprocess.PIPE)
        rep.ok(p.returncode == 0 and p.stdout.decode() == repr(params) + "\n", "cli: show", repr(p.stdout))
        # a call read keeps its method name unless --method gives another
        for extra, kw in (([], {"methodname": "do.it"}), (["--method", "x.y"], {"methodname": "x.y"})):
            p = subprocess.run([acar, "convert", path, "--from", "xmlrpc", "--to", "xmlrpc"] + extra,
                               stdout=subprocess.PIPE)
            rep.ok(p.returncode == 0 and p.stdout == xmlrpc.client.dumps(params, **kw).encode(),
                   "cli: convert", repr(p.stdout[:200]))
        # <bigdecimal> is the object a pickle of decimal.Decimal holds
        dec = (b"<params><param><value><bigdecimal> 1_2.50 </bigdecimal></value></param><param><value>"
               b"<bigdecimal>-1e5</bigdecimal></value></param><param><value><bigdecimal>snan7</bigdecimal>"
               b"</value></param></params>")
        with open(path, "wb") as f:
            f.write(dec)
        for proto in (0, 2, 4):
            p = subprocess.run([acar, "convert", path, "--from", "xmlrpc", "--to", "pickle:%d" % proto],
                               stdout=subprocess.PIPE)
            want = pickle.dumps(xmlrpc.client.loads(dec)[0], proto)
            rep.ok(p.returncode == 0 and p.stdout == want, "cli: Decimal as pickle", repr(p.stdout))
        with open(path, "wb") as f:
            f.write(b"<params><param><value><i4>1</i4></value>\n<oops></param></params>")
        p = subprocess.run([acar, "show", path, "--from", "xmlrpc"], stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE)
        rep.ok(p.returncode == 1 and b"mismatched tag" in p.stderr, "cli: error", repr(p.stderr))


def main():
    if len(sys.argv) < 3:
        raise SystemExit(__doc__)
    acar, tools = sys.argv[1], sys.argv[2]
    tool = find_tool(tools, "xml_batch")
    rnd = random.Random(SEED)
    rep = Report()
    check_writes(tool, rnd, rep, int(3000 * SCALE))
    check_reads(tool, rnd, rep, int(4000 * SCALE))
    check_deep(tool, rep)
    check_cli(acar, rep)
    return rep.done()


if __name__ == "__main__":
    sys.exit(main())
