#!/usr/bin/env python3
"""Makes tests/unit/alloc_fail_inputs.h: small, feature-rich inputs made by
CPython for tests/unit/test_alloc_fail.c, which reads (and writes back)
each of them while failing every allocation in turn.

Each input is meant to reach many allocation sites with few bytes: memo
entries, globals, objects of every build kind, sets, big ints, protocol 5
buffers, code objects, escapes, nested containers.  Run with CPython 3.11:

    python3 tests/gen/gen_alloc_fail_inputs.py
"""
import collections
import datetime
import decimal
import fractions
import importlib._bootstrap_external as ext
import json
import marshal
import os
import pickle
import plistlib
import sys
import xmlrpc.client

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'unit', 'alloc_fail_inputs.h')


class Point:
    """An instance pickled by NEWOBJ + BUILD (and INST/OBJ at protocols 0-1)."""

    def __init__(self, x, y):
        self.x, self.y = x, y


class Slots:
    """State as (None, slots dict): BUILD with a 2-tuple."""
    __slots__ = ('a', 'b')

    def __init__(self):
        self.a, self.b = 1, [2]


class Kw:
    """NEWOBJ_EX at protocol 4+ (keyword arguments to __new__)."""

    def __new__(cls, *, k):
        o = object.__new__(cls)
        o.k = k
        return o

    def __getnewargs_ex__(self):
        return (), {'k': self.k}


class L(list):
    """A list subclass: APPENDS into an object."""


class D(dict):
    """A dict subclass: SETITEMS into an object."""


for c in (Point, Slots, Kw, L, D):
    c.__module__ = 'mod'
    c.__qualname__ = c.__name__
sys.modules['mod'] = sys.modules[__name__]


def pickle_value(proto):
    shared = ['shared', 1.5]
    rec = [1]
    rec.append(rec)
    l = L([1, 2])
    d = D(a=1)
    return {
        'ints': [0, -1, 255, 65535, -2**31, 2**31, 2**63, -2**100, 10**40],
        'floats': (0.0, -1.5, 1e300, float('inf')),
        'complex': 1 + 2j,
        'str': ['', 'a', 'é', '\u20ac' * 3, '\U0001f600', 'x' * 300],
        'bytes': [b'', b'\x00\xff', bytearray(b'ba')],
        'none': [None, True, False, ..., NotImplemented],
        'shared': (shared, shared, shared),
        'rec': rec,
        'sets': [{1, 2, 'three'}, frozenset({(1, 2)}), set()],
        'tuples': [(), (1,), (1, 2), (1, 2, 3), (1, 2, 3, 4)],
        'globals': [collections.OrderedDict([('k', 1)]), len, datetime.datetime(2020, 1, 2, 3, 4, 5, 6),
                    datetime.date(2020, 1, 2), decimal.Decimal('1.25'), fractions.Fraction(1, 3)],
        'objects': [Point(1, 'y'), l, d] + ([Slots()] if proto >= 2 else []),
        'nested': [[[[{'deep': [1]}]]]],
        ('tuple', 'key'): 1,
        1.5: 'float key',
    }


def pickle_value_at(proto):
    v = pickle_value(proto)
    if proto >= 4:
        v['kw'] = Kw(k=3)
    return v


def p5_value():
    return {
        'inband': pickle.PickleBuffer(bytearray(b'in band')),
        'ro': pickle.PickleBuffer(b'read only'),
        'list': [pickle.PickleBuffer(bytearray(b'x')), 1],
    }


def code_value():
    src = '''
def f(a, b=2, *args, c, **kw):
    """doc"""
    x = [i * a for i in range(b)]
    try:
        return {k: v for k, v in kw.items()}, x, 1.5, 2j, None, ..., b"b", (1, "t")
    except ValueError as e:
        raise
class C:
    def m(self): return f
'''
    return compile(src, 'alloc.py', 'exec')


def marshal_value():
    return {'i': [0, 2**31, -2**70, 10**30], 'f': 1.5, 'c': 2 - 1j, 's': ['a', 'é', 'a' * 300],
            'b': b'\x00', 't': (1, (2, 3)), 'set': {1, 'two'}, 'fs': frozenset({3}), 'n': [None, True, ...,
            StopIteration]}


def json_value():
    return {'s': 'plain \u00e9 \u20ac \U0001f600 "q" \\ \n\t\x01', 'i': [0, -1, 10**30, -(2**70)],
            'f': [0.1, -1e300, 1.5e-10, 12345.678], 'b': [True, False, None], 'n': [[], {}, [[{'a': [1]}]]],
            'k' * 40: 'long key'}


def xmlrpc_value():
    return ({'int': 1, 'big': 2**31 - 1, 'float': 1.5, 'str': 'a<b&c\u00e9', 'bool': True,
             'date': xmlrpc.client.DateTime(datetime.datetime(2020, 1, 2, 3, 4, 5)),
             'bin': xmlrpc.client.Binary(b'\x00binary\xff'), 'list': [1, [2, ['three']]], 'none': None,
             'nested': {'a': {'b': []}}}, 'second')


def plist_value():
    return {'int': 1, 'neg': -5, 'big': 2**63 - 1, 'float': 1.5, 'str': 'a<b&c\u00e9\U0001f600', 'bool': True,
            'date': datetime.datetime(2020, 1, 2, 3, 4, 5), 'data': b'\x00data\xff' * 5,
            'list': [1, [2, ['three']], {'x': 'y'}], 'nested': {'a': {'b': []}}, 'shared': ['s', 's', 's'],
            'uid': plistlib.UID(7)}


def deep(n):
    """Nesting n deep through lists, tuples of four and dicts: the readers'
    stacks and mark stacks grow past their first room."""
    v = 'bottom'
    for i in range(n):
        v = [v] if i % 3 == 0 else (1, 2, 3, v) if i % 3 == 1 else {'k%d' % (i % 5): v}
    return v


def deep_plain(n):
    """As deep(), with lists and str-keyed dicts only (JSON, XML-RPC, plists)."""
    v = 'bottom'
    for i in range(n):
        v = [i, v] if i % 2 == 0 else {'k%d' % (i % 5): v, 'i': i}
    return v


def many():
    """Many distinct small values: memo and object tables grow."""
    return {'s%d' % i: [i, 'v%d' % i, i * 1.5] for i in range(150)}


def inputs():
    out = []
    for p in range(6):
        out.append(('pickle_p%d' % p, 'ACAR_FORMAT_PICKLE', pickle.dumps(pickle_value_at(p), protocol=p)))
    out.append(('pickle_p5_buffers', 'ACAR_FORMAT_PICKLE', pickle.dumps(p5_value(), protocol=5)))
    # a long memo: BINPUT then LONG_BINPUT indices, many BINGETs
    strs = ['s%d' % i for i in range(300)]
    out.append(('pickle_memo', 'ACAR_FORMAT_PICKLE', pickle.dumps([strs, strs[::-1]], protocol=2)))
    # dicts of one shape, which share a table of keys (split dicts): small,
    # and past 8 keys with the table's index; the first one of each made
    # split when the second comes
    rows = [{'id': i, 'name': 'n%d' % i, 'tags': [i]} for i in range(3)]
    rows += [{'k%d' % j: j * i for j in range(12)} for i in range(3)]
    out.append(('pickle_shapes_p4', 'ACAR_FORMAT_PICKLE', pickle.dumps(rows, protocol=4)))
    # repeated numbers, which the reader gives one node each once its first
    # progress report is past, then a float memoized (BINPUT, BINGET) and
    # an int DUPed: each of those gets a node of its own
    nums = pickle.dumps([1.5, 70000, 2**40] * 40, protocol=2)
    tail = b'G?\xf8\x00\x00\x00\x00\x00\x00q\x01h\x01J\x70\x11\x01\x002'
    out.append(('pickle_numbers_p2', 'ACAR_FORMAT_PICKLE', nums[:-2] + tail + nums[-2:]))
    out.append(('pickle_deep_p0', 'ACAR_FORMAT_PICKLE', pickle.dumps(deep(150), protocol=0)))
    out.append(('pickle_deep_p4', 'ACAR_FORMAT_PICKLE', pickle.dumps(deep(150), protocol=4)))
    out.append(('pickle_many_p4', 'ACAR_FORMAT_PICKLE', pickle.dumps(many(), protocol=4)))
    out.append(('pickle_escapes_p0', 'ACAR_FORMAT_PICKLE',
                pickle.dumps(['\\u00e9\u20ac\n' * 200, b'\x00\xff\n' * 200], protocol=0)))
    out.append(('marshal_deep', 'ACAR_FORMAT_MARSHAL', marshal.dumps(deep(150))))
    out.append(('marshal_many', 'ACAR_FORMAT_MARSHAL', marshal.dumps(many())))
    out.append(('marshal', 'ACAR_FORMAT_MARSHAL', marshal.dumps(marshal_value())))
    out.append(('marshal_v2', 'ACAR_FORMAT_MARSHAL', marshal.dumps(marshal_value(), 2)))
    out.append(('marshal_code', 'ACAR_FORMAT_MARSHAL', marshal.dumps(code_value())))
    out.append(('pyc', 'ACAR_FORMAT_PYC', bytes(ext._code_to_timestamp_pyc(code_value(), 1600000000, 123))))
    out.append(('json', 'ACAR_FORMAT_JSON', json.dumps(json_value()).encode()))
    out.append(('json_indent', 'ACAR_FORMAT_JSON', json.dumps(json_value(), indent=2, ensure_ascii=False).encode()))
    out.append(('jsonl', 'ACAR_FORMAT_JSONL',
                ''.join(json.dumps(x) + '\n' for x in [json_value(), [1, 2], 'x', None]).encode()))
    out.append(('json_deep', 'ACAR_FORMAT_JSON', json.dumps(deep_plain(150)).encode()))
    out.append(('json_many', 'ACAR_FORMAT_JSON', json.dumps(many()).encode()))
    out.append(('json_escapes', 'ACAR_FORMAT_JSON', json.dumps(['\u00e9\u20ac\n\U0001f600' * 300]).encode()))
    out.append(('xmlrpc_deep', 'ACAR_FORMAT_XMLRPC', xmlrpc.client.dumps((deep_plain(60),), methodname='d').encode()))
    out.append(('plist_deep', 'ACAR_FORMAT_PLIST', plistlib.dumps({'d': deep_plain(60)})))
    out.append(('bplist_many', 'ACAR_FORMAT_BPLIST', plistlib.dumps(many(), fmt=plistlib.FMT_BINARY)))
    out.append(('xmlrpc_call', 'ACAR_FORMAT_XMLRPC',
                xmlrpc.client.dumps(xmlrpc_value(), methodname='m.f', allow_none=True).encode()))
    out.append(('xmlrpc_fault', 'ACAR_FORMAT_XMLRPC',
                xmlrpc.client.dumps(xmlrpc.client.Fault(4, 'too many <params>')).encode()))
    pv = dict(plist_value())
    del pv['uid']  # UID is binary only
    out.append(('plist', 'ACAR_FORMAT_PLIST', plistlib.dumps(pv)))
    out.append(('bplist', 'ACAR_FORMAT_BPLIST', plistlib.dumps(plist_value(), fmt=plistlib.FMT_BINARY)))
    return out


def main():
    lines = ['/* alloc_fail_inputs.h -- inputs for test_alloc_fail.c, generated by',
             ' * tests/gen/gen_alloc_fail_inputs.py with CPython %d.%d.%d; do not edit. */' % sys.version_info[:3],
             '#ifndef ACAR_ALLOC_FAIL_INPUTS_H', '#define ACAR_ALLOC_FAIL_INPUTS_H', '']
    table = []
    for name, fmt, data in inputs():
        body = ','.join(str(b) for b in data)
        text, cur = [], ''
        for part in body.split(','):
            if len(cur) + len(part) + 1 > 100:
                text.append(cur)
                cur = ''
            cur += part + ','
        text.append(cur)
        lines.append('static const unsigned char in_%s[%d] = {' % (name, len(data)))
        lines += ['    ' + t for t in text]
        lines.append('};')
        table.append('    {"%s", %s, in_%s, sizeof in_%s},' % (name, fmt, name, name))
    # pickletools.genops: how many opcodes each pickle runs and where the
    # last (STOP) is, for the max_ops test
    import pickletools
    ops = []
    for name, fmt, data in inputs():
        if fmt == 'ACAR_FORMAT_PICKLE':
            g = list(pickletools.genops(data))
            ops.append('    {"%s", %d, %d},' % (name, len(g), g[-1][2]))
    lines += ['', 'typedef struct af_input { const char *name; acar_format format; const unsigned char *data; size_t len; } af_input;',
              'static const af_input af_inputs[] = {'] + table + ['};', '',
              'typedef struct af_ops { const char *name; size_t nops, stop; } af_ops;',
              'static const af_ops af_pickle_ops[] = {'] + ops + ['};', '', '#endif', '']
    with open(OUT, 'w') as f:
        f.write('\n'.join(lines))


if __name__ == '__main__':
    if os.environ.get('PYTHONHASHSEED') != '0':
        # the same bytes on every run (set order follows str hashes)
        os.environ['PYTHONHASHSEED'] = '0'
        os.execv(sys.executable, [sys.executable] + sys.argv)
    main()
