"""Makes tests/fixtures/py2/: pickles written by Python 2.7, with what
Python 3 makes of them.

Python 2.7 (pyenv: $(pyenv root)/versions/2.7.18/bin/python, or $PYTHON2)
pickles a set of values with both `pickle` and `cPickle` at protocols 0, 1
and 2 (a cPickle file identical to the pickle one is not kept).  Then this
Python 3 loads each file with every `encoding` acar offers (ASCII, latin1,
utf-8, bytes) and records in index.json:

  file, py2 module, protocol, value name, whether it holds sets, and per
  encoding either
    {"ok": false, "kind": K, "error": "..."}      CPython 3 refuses it, or
    {"ok": true, "repr": ..., "pickles": {...}}   what `acar show` must print
        (for instances of the Python 2 classes: the repr of the inert load,
        pyvalues.InertUnpickler, which is acar's form of objects; "repr_as":
        ENC when it is the same as for encoding ENC) and, for values of
        builtin types only, "LENGTH:SHA256[:16]" of pickle.dumps(value, N)
        for N in 0..5 (what acar must write after reading the file; the
        test recomputes the bytes with CPython to show a difference;
        "pickles_as" like "repr_as").

Run from anywhere with Python 3.11 and PYTHONHASHSEED=0 (set orders);
the script re-executes itself to get that.  Commit the output.
"""

import glob
import hashlib
import json
import os
import pickle
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
TESTS = os.path.dirname(HERE)
OUT = os.path.join(TESTS, "fixtures", "py2")
sys.path.insert(0, os.path.join(TESTS, "py"))
sys.dont_write_bytecode = True  # no __pycache__ in the source tree
import pyvalues as pv  # noqa: E402

ENCODINGS = ["ASCII", "latin1", "utf-8", "bytes"]
# Values holding sets: Python 3 iterates (and so re-pickles) them in its
# own hash order, not the stored one; the test compares those by value.
SET_VALUES = {"set", "frozenset", "empty_sets"}

# Runs under Python 2.7: writes NAME_pPROTO_MODULE.pkl into argv[1].
PY2_SCRIPT = r'''
# -*- coding: utf-8 -*-
import sys, os, pickle, cPickle

class Old:
    pass

class New(object):
    pass

class WithState(object):
    def __getstate__(self):
        return ('state', self.v)
    def __setstate__(self, st):
        self.v = st[1]

class Red(object):
    def __init__(self, a, b):
        self.a, self.b = a, b
    def __reduce__(self):
        return (Red, (self.a, self.b))

class OldArgs:
    def __init__(self, x):
        self.x = x
    def __getinitargs__(self):
        return (self.x,)

def old(**kw):
    o = Old()
    o.__dict__.update(kw)
    return o

def new(**kw):
    o = New()
    o.__dict__.update(kw)
    return o

shared = [1, 'two']
cyc = [1]
cyc.append(cyc)
dcyc = {}
dcyc['me'] = [dcyc]
ws = WithState()
ws.v = u'x'
V = [
    ('ints', [0, 1, -1, 255, 256, 65535, 65536, 2**31 - 1, -2**31, 2**31, -2**31 - 1,
              2**63 - 1, 2**63, -2**63 - 1, 2**64, 10**40, -10**40, 0L, 1L, -1L]),
    ('floats', [0.0, -0.0, 1.5, 1e16, 1e-5, 0.1, 5e-324, 1.7976931348623157e308,
                float('inf'), float('-inf'), 123456789.125]),
    ('nan', float('nan')),
    ('str_ascii', 'hello world'),
    ('str_quotes', 'it\'s "q" \\ back'),
    ('str_ctrl', '\x00\n\r\t\x7f'),
    ('str_latin1', '\xe9\xff\x80 caf\xe9'),
    ('str_utf8', 'caf\xc3\xa9 \xe2\x82\xac'),
    ('str_empty', ''),
    ('str_long', 'x' * 300),
    ('unicode', u'caf\xe9 \u20ac \U0001f600'),
    ('unicode_escapes', u'a\\b\nc\r\x00\x1a "\''),
    ('unicode_surrogate', u'\ud800 \udfff'),
    ('unicode_empty', u''),
    ('tuples', [(), (1,), (1, 2), (1, 2, 3), (1, 2, 3, 4)]),
    ('list_mixed', [1, 'a', u'b', 2.5, None, True, False, [], {}]),
    ('dict_keys', {'s': 1, u'u': 2, 3: 'three', (1, 2): 'tuple', None: 'none', 2.5: 'f'}),
    ('set', set([1, 2, 3, 'a', u'b', (1, 2)])),
    ('frozenset', frozenset([10, 20, 'x'])),
    ('empty_sets', [set(), frozenset()]),
    ('complex', [1j, 1.5 - 2j, complex(0.0, -0.0)]),
    ('bytearray', bytearray('ab\xff\x00')),
    ('bytearray_empty', bytearray()),
    ('bools_none', [True, False, None]),
    ('nested', {'a': [1, (2, 3, {'b': [4, 5]})], 'c': {'d': {'e': u'f'}}}),
    ('shared', [shared, shared, {'k': shared}]),
    ('cyclic_list', cyc),
    ('cyclic_dict', dcyc),
    ('big_list', range(1001)),
    ('big_dict', dict((i, -i * i) for i in range(1001))),
    ('old_instance', old(a=1, b='two', c=[3])),
    ('old_instance_args', OldArgs(42)),
    ('new_instance', new(x=1, y=u'y', z=(1, 2))),
    ('with_state', ws),
    ('reduce', Red(1, 'b')),
    ('class_refs', [Old, New, len]),
    ('instances_mixed', [old(n=1), new(n=2), Red(3, 4), old(n=1)]),
]

outdir = sys.argv[1]
for name, value in V:
    for proto in (0, 1, 2):
        for modname, mod in (('pickle', pickle), ('cPickle', cPickle)):
            try:
                data = mod.dumps(value, proto)
            except Exception as e:
                sys.stderr.write('skip %s p%d %s: %s\n' % (name, proto, modname, e))
                continue
            f = open(os.path.join(outdir, '%s_p%d_%s.pkl' % (name, proto, modname)), 'wb')
            f.write(data)
            f.close()
'''


def python2():
    if os.environ.get("PYTHON2"):
        return os.environ["PYTHON2"]
    root = subprocess.run(["pyenv", "root"], capture_output=True, text=True,
                          check=True).stdout.strip()
    return os.path.join(root, "versions", "2.7.18", "bin", "python")


def refusal(e):
    """CPython's refusal; "semantic" when it came from calling a class with
    arguments it does not take (acar, which calls nothing, may keep the
    object instead)."""
    kind = "semantic" if isinstance(e, (TypeError, AttributeError)) else "structural"
    return {"ok": False, "kind": kind, "error": "%s: %s" % (type(e).__name__, e)}


def builtin_only(v):
    return "inst" not in pv.classify(v)


def expectation(data, encoding):
    try:
        value = pickle.loads(data, encoding=encoding)
        native = True
    except pickle.UnpicklingError:
        raise
    except (AttributeError, ModuleNotFoundError, ImportError):
        native = False  # names a Python 2 class: only the inert load can say
    except Exception as e:
        return refusal(e)
    try:
        inert = pv.inert_loads(data, encoding=encoding)
    except Exception as e:
        return refusal(e)
    out = {"ok": True, "repr": repr(inert)}
    if native and builtin_only(value):
        if repr(value) != out["repr"]:
            raise SystemExit("inert and real loads disagree on %r" % data[:60])
        out["pickles"] = []
        for p in range(6):
            try:
                d = pickle.dumps(value, p)
                out["pickles"].append("%d:%s" % (len(d), hashlib.sha256(d).hexdigest()[:16]))
            except Exception:
                out["pickles"].append(None)
    return out


def dedupe(loads):
    """Later encodings with the same repr as an earlier one say so."""
    for i, enc in enumerate(ENCODINGS):
        for prev in ENCODINGS[:i]:
            a, b = loads[enc], loads[prev]
            if a.get("ok") and b.get("ok") and "repr" in b and a["repr"] == b["repr"]:
                del a["repr"]
                a["repr_as"] = prev
                break
        for prev in ENCODINGS[:i]:
            a, b = loads[enc], loads[prev]
            if "pickles" in a and "pickles" in b and a["pickles"] == b["pickles"]:
                del a["pickles"]
                a["pickles_as"] = prev
                break
    return loads


def main():
    pv.ensure_hashseed()
    os.makedirs(OUT, exist_ok=True)
    for old in glob.glob(os.path.join(OUT, "*.pkl")):
        os.remove(old)
    with tempfile.TemporaryDirectory() as tmp:
        script = os.path.join(tmp, "make.py")
        with open(script, "w") as f:
            f.write(PY2_SCRIPT)
        subprocess.run([python2(), script, tmp], check=True)
        made = sorted(p for p in os.listdir(tmp) if p.endswith(".pkl"))
        index, seen = [], {}
        for fname in made:
            with open(os.path.join(tmp, fname), "rb") as f:
                data = f.read()
            stem = fname[:-4]
            value, proto, module = stem.rsplit("_", 2)
            digest = hashlib.sha256(data).hexdigest()
            if digest in seen:  # cPickle wrote the same bytes as pickle
                continue
            seen[digest] = fname
            out_name = "y_" + fname
            with open(os.path.join(OUT, out_name), "wb") as f:
                f.write(data)
            index.append({
                "file": out_name,
                "sets": value in SET_VALUES,
                "py2": module,
                "protocol": int(proto[1:]),
                "value": value,
                "loads": dedupe({enc: expectation(data, enc) for enc in ENCODINGS}),
            })
    index.sort(key=lambda e: e["file"])
    with open(os.path.join(OUT, "index.json"), "w") as f:
        json.dump({"about": "Pickles made by Python 2.7 (tests/gen/gen_py2_fixtures.py) "
                            "and what Python 3.11 makes of them per encoding",
                   "python3": sys.version.split()[0], "fixtures": index}, f, indent=1,
                  ensure_ascii=True)
        f.write("\n")
    print("%d fixtures in %s" % (len(index), OUT))


if __name__ == "__main__":
    main()
