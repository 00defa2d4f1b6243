"""Canonical text of the code objects in .pyc files, as THIS Python loads them.

Run under any Python 2.7 or 3.6+ (it is the oracle of tests/py/test_pyc.py
and tests/gen/gen_pyc_fixtures.py):

    PYTHON pyc_canon.py [--raw] < list-of-pyc-paths

For each path it prints one line: "OK<TAB>text" where text is the canonical
text of marshal.loads(body) (body: the file after the header of this
Python's .pyc format; --raw: the files are bare marshal data, no header),
or "ERR<TAB>message".  The text is the one
tests/unit/test_pyc.c makes from acar's nodes:

  None N, True T, False F, Ellipsis E, StopIteration S, int i<decimal>,
  float f<hex of the 8 little-endian bytes>, complex c<hex><hex>,
  str u<hex of UTF-8 (surrogatepass)>, bytes b<hex> (Python 2 str: b,
  unicode: u), tuple (a,b), list [a,b], frozenset {sorted items},
  set <sorted items>, code object code(co_x=value;...) with the fields of
  this Python's marshal layout, in order; from 3.11 co_localspluskinds is
  given as co_varnames, co_cellvars, co_freevars.
"""
import binascii
import marshal
import struct
import sys

PY2 = sys.version_info[0] == 2
V = sys.version_info[:2]

if V < (3, 0):
    FIELDS = ("argcount nlocals stacksize flags code consts names varnames freevars cellvars "
              "filename name firstlineno lnotab")
elif V < (3, 8):
    FIELDS = ("argcount kwonlyargcount nlocals stacksize flags code consts names varnames "
              "freevars cellvars filename name firstlineno lnotab")
elif V < (3, 10):
    FIELDS = ("argcount posonlyargcount kwonlyargcount nlocals stacksize flags code consts "
              "names varnames freevars cellvars filename name firstlineno lnotab")
elif V < (3, 11):
    FIELDS = ("argcount posonlyargcount kwonlyargcount nlocals stacksize flags code consts "
              "names varnames freevars cellvars filename name firstlineno linetable")
else:
    FIELDS = ("argcount posonlyargcount kwonlyargcount stacksize flags code consts names "
              "localsplusnames KINDS filename name qualname firstlineno linetable "
              "exceptiontable")
FIELDS = FIELDS.split()
HEADER = 8 if V < (3, 3) else 12 if V < (3, 7) else 16
CODE = type(compile("1", "x", "eval"))


def hx(b):
    return binascii.hexlify(b).decode("ascii")


def localsplusnames(c):
    names = []
    while True:
        try:
            names.append(c._varname_from_oparg(len(names)))
        except IndexError:
            return tuple(names)


def canon(v):
    if v is None:
        return "N"
    if v is True:
        return "T"
    if v is False:
        return "F"
    if v is Ellipsis:
        return "E"
    if v is StopIteration:
        return "S"
    t = type(v)
    if PY2 and t is long:  # noqa: F821 (Python 2)
        return "i%d" % v
    if t is int:
        return "i%d" % v
    if t is float:
        return "f" + hx(struct.pack("<d", v))
    if t is complex:
        return "c" + hx(struct.pack("<dd", v.real, v.imag))
    if PY2:
        if t is unicode:  # noqa: F821 (Python 2)
            return "u" + hx(v.encode("utf-8"))
        if t is str:
            return "b" + hx(v)
    else:
        if t is str:
            return "u" + hx(v.encode("utf-8", "surrogatepass"))
        if t is bytes:
            return "b" + hx(v)
    if t is tuple:
        return "(" + ",".join(canon(x) for x in v) + ")"
    if t is list:
        return "[" + ",".join(canon(x) for x in v) + "]"
    if t is frozenset:
        return "{" + ",".join(sorted(canon(x) for x in v)) + "}"
    if t is set:
        return "<" + ",".join(sorted(canon(x) for x in v)) + ">"
    if t is CODE:
        parts = []
        for f in FIELDS:
            if f == "KINDS":
                for g in ("varnames", "cellvars", "freevars"):
                    parts.append("co_%s=%s" % (g, canon(getattr(v, "co_" + g))))
            elif f == "localsplusnames":
                parts.append("co_localsplusnames=" + canon(localsplusnames(v)))
            else:
                parts.append("co_%s=%s" % (f, canon(getattr(v, "co_" + f))))
        return "code(" + "".join(p + ";" for p in parts) + ")"
    return "?"


def main():
    header = 0 if "--raw" in sys.argv[1:] else HEADER
    out = sys.stdout
    for line in sys.stdin:
        path = line.rstrip("\r\n")
        if not path:
            continue
        try:
            with open(path, "rb") as f:
                data = f.read()
            out.write("OK\t" + canon(marshal.loads(data[header:])) + "\n")
        except Exception as e:
            out.write("ERR\t%s: %s\n" % (type(e).__name__, e))
        out.flush()


if __name__ == "__main__":
    main()
