"""Seeded generator of JSON texts, valid and invalid, for the reader tests.

cases(seed, scale) yields Case(name, data, flags, mode) tuples:
  data   the bytes to read
  flags  acar_read_opts.flags (READ_* below)
  mode   0 JSON, 1 JSON Lines
  depth  max_depth for the doc (0: default)
  expect None (CPython's json.loads is the oracle) or the repr acar must
         print (deep nesting, which CPython's recursive reader refuses)

What it makes: fixed edge cases (every escape, every number shape, every
json.loads error message, whitespace, BOMs, literals); random texts from a
token-level generator (random whitespace, number shapes, escapes, every
Unicode plane, lone surrogates raw and escaped, duplicate keys); json.dumps
output of random values with random options; every truncation of small
texts and a sample of truncations of larger ones; random byte mutations;
each in UTF-8, UTF-8 with BOM, UTF-16 and UTF-32 of either endianness with
and without BOM; deep nesting; big ints around the 4300-digit limit; and
the reader flags (strict, allow-control, no-dup-keys, allow-trailing).

Run as a script it prints a summary of what it makes (counts by kind);
`json_cases.py --corpus fuzz/corpus/json` writes the fuzz seed corpus and
`json_cases.py --unit-table` the error table of tests/unit/test_json_read.c.
"""

import json
import random
import sys
from collections import namedtuple

READ_BORROW = 1 << 0
READ_ALLOW_TRAILING = 1 << 3
READ_NO_TRAILING = 1 << 4
READ_STRICT = 1 << 5
READ_ALLOW_CONTROL = 1 << 6
READ_NO_DUP_KEYS = 1 << 7

Case = namedtuple("Case", "name data flags mode depth expect")


def case(name, data, flags=0, mode=0, depth=0, expect=None):
    return Case(name, data, flags, mode, depth, expect)


ESCAPES = ['\\"', '\\\\', '\\/', '\\b', '\\f', '\\n', '\\r', '\\t']

# Characters from every plane and the edges of UTF-8's ranges.
CHAR_POOLS = [
    [chr(c) for c in range(0x20, 0x7f) if c not in (0x22, 0x5c)],
    [chr(c) for c in range(0xa0, 0x100)],
    ['\u0100', '\u07ff', '\u0800', '\u0fff', '\u1000', '\u4e2d', '\u6587', '\ud7ff', '\ue000',
     '\ufeff', '\ufffd', '\uffff'],
    ['\U00010000', '\U0001f600', '\U0001f4a9', '\U00020000', '\U0002a6d6', '\U000e0001',
     '\U000f0000', '\U0010fffd', '\U0010ffff'],
    ['\ud800', '\udbff', '\udc00', '\udfff', '\ud83d', '\ude00'],   # lone surrogates, raw
]

INTERESTING_BYTES = b'"\\,:[]{} \t\n\r\x00\x1f\x7f\x80\xbf\xc0\xed\xef\xf0\xf4\xf5\xff.-+eE0119aNIntfu/'

FLOATS = ['1E400', '-1E400', '1e-400', '-1e-400', '4.9e-324', '5e-324', '2.4703282292062327e-324',
          '2.4703282292062328e-324', '2.2250738585072011e-308', '2.2250738585072014e-308',
          '1.7976931348623157e308', '1.7976931348623158e308', '1.7976931348623159e308',
          '9007199254740993', '9007199254740993.0', '0.1', '0.30000000000000004', '123.456e-7',
          '1e22', '1e23', '8.98846567431158e307', '0.000000000000000000000000000001',
          '3.141592653589793238462643383279502884197169399375105820974944',
          '1' * 400 + '.5', '0.' + '0' * 350 + '1', '1.0e-2147483648', '1e2147483648',
          '1e99999999999999999999', '1e-99999999999999999999', '-0.0', '0.0', '-0e0', '0E-0',
          '2.5', '-2.5e+3', '1E+2', '1e-0', '7.0e+00', '4503599627370496.5',
          '4503599627370497.5', '9007199254740992.9999999999999999999']

INTS = ['0', '-0', '1', '-1', '9', '10', '123456789012345678', '999999999999999999',
        '1000000000000000000', '9223372036854775807', '9223372036854775808',
        '-9223372036854775808', '-9223372036854775809', '18446744073709551615',
        '18446744073709551616', '12345678901234567890', '-12345678901234567890',
        '1' * 40, '9' * 100, '-' + '7' * 300, '1' * 4299, '1' * 4300, '-' + '1' * 4300]

BAD_NUMBERS = ['01', '-', '1.', '.5', '+1', '1e', '1e+', '1E-', '-a', '0x10', '1.e5', '00', '-01',
               '--1', '1..2', '1.2.3', '1e5e5', '1ee5', '- 1', '1 2', '0.', '-.5', '-0.', '1e+-2',
               '-Infinity1', '-Inf', 'Inf', 'infinity', 'nan', '-NaN', 'NaN1', '1_000', '١',
               '-' + '1' * 4301, '1' * 4301, '2' * 5000]

LITERALS = ['true', 'false', 'null', 'NaN', 'Infinity', '-Infinity']
BAD_LITERALS = ['tru', 'True', 'fals', 'nul', 'NULL', 'Na', 'Infinit', 'nulll', 'truex', 'undefined',
                't', 'f', 'n', 'N', 'I']


class TextGen:
    """Random JSON text with random whitespace and spelling."""

    def __init__(self, rnd, allow_controls=False):
        self.r = rnd
        self.left = 50  # values a text may still get
        self.controls = allow_controls

    def ws(self):
        r = self.r
        k = r.random()
        if k < 0.6:
            return ''
        if k < 0.9:
            return r.choice([' ', '\n', '  ', '\n    ', '\t', '\r\n'])
        return ''.join(r.choice(' \t\n\r') for _ in range(r.randrange(1, 6)))

    def char(self):
        r = self.r
        k = r.random()
        if k < 0.55:
            return r.choice(CHAR_POOLS[0])
        if k < 0.65:
            return r.choice(ESCAPES)
        if k < 0.72:
            cp = r.choice([r.randrange(0, 0x80), r.randrange(0x80, 0x800), r.randrange(0x800, 0x10000),
                           r.choice([0xd800, 0xdbff, 0xdc00, 0xdfff, 0xd83d, 0xde00, 0xfeff, 0x2028])])
            return '\\u' + (('%04x' if r.random() < 0.5 else '%04X') % cp)
        if k < 0.76:
            # an escaped surrogate pair, sometimes broken
            hi = r.randrange(0xd800, 0xdc00)
            lo = r.randrange(0xdc00, 0xe000)
            k2 = r.random()
            if k2 < 0.7:
                return '\\u%04x\\u%04x' % (hi, lo)
            if k2 < 0.8:
                return '\\u%04x\\u%04x' % (hi, hi)
            if k2 < 0.9:
                return '\\u%04x%s' % (hi, r.choice(CHAR_POOLS[3]))
            return '\\u%04x\\n' % hi
        if k < 0.9:
            return r.choice(CHAR_POOLS[1] + CHAR_POOLS[2])
        if k < 0.97:
            return r.choice(CHAR_POOLS[3])
        if k < 0.99:
            return r.choice(CHAR_POOLS[4])
        if self.controls:
            return chr(r.randrange(0, 0x20))
        return r.choice(CHAR_POOLS[0])

    def string(self):
        r = self.r
        n = r.choice([0, 1, 2, 3, 5, 8, 13, 20, 40, r.randrange(0, 200)])
        if r.random() < 0.3:  # long plain runs exercise the vector scan
            return '"' + ''.join(r.choice(CHAR_POOLS[0]) for _ in range(n)) + '"'
        return '"' + ''.join(self.char() for _ in range(n)) + '"'

    def number(self):
        r = self.r
        k = r.random()
        if k < 0.15:
            return r.choice(INTS[:20])
        if k < 0.25:
            return r.choice(FLOATS[:30])
        s = '-' if r.random() < 0.3 else ''
        nd = r.choice([1, 1, 2, 3, 5, 9, 15, 16, 17, 18, 19, 20, 25])
        s += r.choice('123456789') + ''.join(r.choice('0123456789') for _ in range(nd - 1))
        if r.random() < 0.15:
            s = s.rstrip('0123456789') + '0'
        if r.random() < 0.5:
            s += '.' + ''.join(r.choice('0123456789') for _ in range(r.choice([1, 2, 3, 6, 10, 17, 25])))
        if r.random() < 0.4:
            s += r.choice('eE') + r.choice(['', '+', '-']) + str(r.choice([0, 1, 5, 22, 23, 100, 300, 308, 309,
                                                                            324, 325, 400, r.randrange(0, 400)]))
        return s

    def key(self, keys):
        if keys and self.r.random() < 0.15:
            return self.r.choice(keys)  # a duplicate
        k = self.string() if self.r.random() < 0.5 else '"' + self.r.choice(
            ['a', 'b', 'id', 'name', 'x' * 9, 'key', '\u00e9', '\\u00e9', 'a\\nb', '']) + '"'
        keys.append(k)
        return k

    def value(self, depth=0):
        r = self.r
        k = r.random()
        self.left -= 1
        if self.left <= 0:
            k = 0.5 + k / 2  # budget spent: scalars only
        if depth < 6 and k < 0.25:
            n = r.choice([0, 1, 2, 3, 5, 9, 10, 17, r.randrange(0, 40)])
            keys = []
            parts = [self.ws() + self.key(keys) + self.ws() + ':' + self.ws() + self.value(depth + 1) + self.ws()
                     for _ in range(n)]
            return '{' + (','.join(parts) if parts else self.ws()) + '}'
        if depth < 6 and k < 0.45:
            n = r.choice([0, 1, 2, 3, 5, 8, r.randrange(0, 30)])
            parts = [self.ws() + self.value(depth + 1) + self.ws() for _ in range(n)]
            return '[' + (','.join(parts) if parts else self.ws()) + ']'
        if k < 0.7:
            return self.string()
        if k < 0.93:
            return self.number()
        return r.choice(LITERALS)

    def text(self):
        self.left = self.r.choice([1, 3, 10, 30, 80, 200])
        return self.ws() + self.value() + self.ws()

    # Keys the reader predicts from the dicts before (parse_key), and texts
    # next to them: a key one byte longer or shorter, the same key escaped,
    # a quote or backslash after it, a lone surrogate, a raw control byte.
    RECORD_KEYS = ['id', 'name', 'names', 'nam', 'url', 'created_at', 'user_mentions_and_more_x',
                   'n\\u0061me', 'na\\"me', 'name\\\\', '\\ud800', '\u00e9t\u00e9', 'x' * 40,
                   'x' * 41, '\\u00e9t\\u00e9', 'a\\nb', 'a\nb']

    def record(self, depth):
        """A dict whose keys mostly follow one of a few orders."""
        r = self.r
        order = self.orders[r.randrange(len(self.orders))]
        keys = list(order)
        if r.random() < 0.3:  # one key changed, dropped or repeated
            i = r.randrange(len(keys))
            k = r.random()
            if k < 0.4:
                keys[i] = r.choice(self.RECORD_KEYS)
            elif k < 0.7:
                del keys[i]
            else:
                keys.insert(i, keys[r.randrange(len(keys))])
        parts = []
        for k in keys:
            if not self.controls and '\n' in k and '\\n' not in k:
                k = 'ab'
            nested = depth < 3 and self.budget > 0 and r.random() < 0.2
            v = self.records_value(depth + 1) if nested else self.value(6)
            parts.append(self.ws() + '"' + k + '"' + self.ws() + ':' + self.ws() + v + self.ws())
        return '{' + ','.join(parts) + '}'

    def records_value(self, depth=0):
        r = self.r
        self.budget -= 1
        if r.random() < 0.5:
            return self.record(depth)
        return '[' + ','.join(self.ws() + self.record(depth) for _ in range(r.randrange(1, 6))) + ']'

    def records(self):
        r = self.r
        self.left = 0
        self.budget = r.choice([1, 3, 10])  # nested dicts and lists of them
        self.orders = [[r.choice(self.RECORD_KEYS) for _ in range(r.randrange(1, 7))] for _ in range(3)]
        if r.random() < 0.3:  # enough keys to grow the reader's key memo mid-dict
            self.orders.append(['k%d' % i for i in range(r.randrange(65, 100))])
        return self.ws() + self.records_value() + self.ws()


def pyvalue(r, depth=0, left=None):
    """A random value json.dumps can write."""
    if left is None:
        left = [r.choice([1, 5, 20, 60])]
    left[0] -= 1
    k = r.random() if left[0] > 0 else 0.35 + r.random() * 0.65
    if depth < 5 and k < 0.2:
        return {r.choice(['a', 'b', 'c', 'é', '名前', '\U0001f600', 'k%d' % r.randrange(50)]): pyvalue(r, depth + 1, left)
                for _ in range(r.randrange(0, 12))}
    if depth < 5 and k < 0.35:
        return [pyvalue(r, depth + 1, left) for _ in range(r.randrange(0, 10))]
    if k < 0.5:
        return ''.join(r.choice(r.choice(CHAR_POOLS[:4])) for _ in range(r.randrange(0, 20)))
    if k < 0.65:
        return r.choice([0, -1, 2 ** 63, -2 ** 64, 10 ** 30, r.randrange(-10 ** 6, 10 ** 6)])
    if k < 0.85:
        return r.choice([0.0, -0.0, 1.5, 1e300, 5e-324, float('inf'), float('-inf'), float('nan'),
                         r.uniform(-1e6, 1e6), r.random() * 10 ** r.randrange(-300, 300)])
    return r.choice([None, True, False])


def encodings(r, text_bytes_utf8, s):
    """The same text in the other encodings json.loads detects."""
    out = []
    for enc, bom in (('utf-16-le', b'\xff\xfe'), ('utf-16-be', b'\xfe\xff'),
                     ('utf-32-le', b'\xff\xfe\x00\x00'), ('utf-32-be', b'\x00\x00\xfe\xff')):
        try:
            body = s.encode(enc, 'surrogatepass')
        except UnicodeEncodeError:
            continue
        out.append((enc, body))
        out.append((enc + '+bom', bom + body))
    out.append(('utf-8-sig', b'\xef\xbb\xbf' + text_bytes_utf8))
    return out


def mutate(r, data):
    data = bytearray(data)
    for _ in range(r.choice([1, 1, 1, 2, 3])):
        op = r.random()
        i = r.randrange(len(data) + 1)
        if op < 0.35 and data:
            data[min(i, len(data) - 1)] = r.choice(INTERESTING_BYTES)
        elif op < 0.65:
            data[i:i] = bytes([r.choice(INTERESTING_BYTES)])
        elif data:
            del data[min(i, len(data) - 1)]
    return bytes(data)


def nest(kind, n, inner='1'):
    if kind == 'list':
        return ('[' * n + inner + ']' * n, '[' * n + inner + ']' * n)
    text = '{"a":' * n + inner + '}' * n
    return text, "{'a': " * n + inner + '}' * n


def fixed_cases():
    # Every json.loads error message, every literal and number shape.
    texts = []
    texts += LITERALS + BAD_LITERALS
    texts += INTS + FLOATS + BAD_NUMBERS
    texts += ['[' + t + ']' for t in INTS[:20] + FLOATS + BAD_NUMBERS[:30] + LITERALS + BAD_LITERALS]
    texts += ['"' + e + '"' for e in ESCAPES]
    texts += ['"\\' + chr(c) + '"' for c in range(0x20, 0x7f)]
    texts += ['"\\u%s"' % h for h in ['0000', '001f', '0020', '007f', '0080', '00e9', '07ff', '0800', 'FFFF',
                                      'fffe', 'd800', 'DBFF', 'dc00', 'dfff', 'D83D', 'abcd', 'ABCD', 'aBcD']]
    texts += ['"\\u%s' % h for h in ['', '1', '12', '123', '1234', '12345', 'd800', 'd800\\', 'd800\\u',
                                     'd800\\udc0', 'd800\\udc00', 'd800\\udc00"']]
    texts += ['"\\u12G4"', '"\\uG234"', '"\\u-123"', '"\\u 123"', '"\\U1234"', '"\\x41"', '"\\0"',
              '"\\ud800\\u12G4"', '"\\ud800\\uZZZZ"', '"\\ud800\\x"', '"\\ud800\\"', '"\\ud800\\\\"',
              '"\\ud800\\ud800"', '"\\udc00\\ud800"', '"\\ud83d\\ude00"', '"\\ud83d\\ude00x"',
              '"\\ud83d\\u0041"', '"\\ud83d"', '"\\ude00"', '"a\\', '"\\', '"', '"abc', '"\\"']
    texts += ['"a%sb"' % chr(c) for c in range(0, 0x20)] + ['"\x7f"']
    texts += ['', ' ', '\n', '\t\r\n ', '\x0b1', '\x0c1', '1\x0b', '\xa01', '\u20281', '1\u2028',
              ' 1 ', '\n\n[\n1\n,\n2\n]\n\n', '[1,2', '[1,2,', '[1 2]', '[,1]', '[1,,2]', '[1,]', '[', ']',
              '{', '}', '{"a"', '{"a":', '{"a":1', '{"a":1,', '{"a":1,}', '{"a" 1}', '{"a",1}', '{1:1}',
              "{'a':1}", '{"a":1 "b":2}', '{,}', '{"a":}', '[}', '{]', '[[[]]', '[]]', '{}}', '1 1',
              '"a" "b"', '[] []', '{}x', 'nullx', '[1]x', '\n\n  x', '[\n1,\n2\n', '{\n"a"\n:\n}',
              '{"a":1, "a":2}', '{"a":1, "b":2, "a":3}', '{"x":[{"y":{}}], "x":null}',
              '{%s}' % ','.join('"k%d":%d' % (i % 7, i) for i in range(40)),
              '{%s}' % ','.join('"k%d":%d' % (i, i) for i in range(100)),
              '{"":0, "":1}', '{"\\u00e9":1, "\u00e9":2}', '{"a\\u0000":1, "a":2}',
              '[' + ','.join(str(i) for i in range(1000)) + ']',
              '["' + 'x' * 100000 + '"]', '"' + 'a' * 15 + '\\n' + 'b' * 17 + '"',
              '"' + '\u00e9' * 50 + '"', '"' + '\U0001f600' * 30 + '\\u0041' + '"']
    out = []
    for t in texts:
        out.append(case('fixed', t.encode('utf-8', 'surrogatepass')))
    raw = [b'\xff', b'"\xff"', b'"\xc3"', b'"\xc3\x28"', b'"\xe2\x82"', b'"\xe2\x82\x28"', b'"\xf0\x9f\x98"',
           b'"\xf0\x9f\x98\x80"', b'"\xed\xa0\x80"', b'"\xed\xbf\xbf"', b'"\xed\xa0\xbd\xed\xb8\x80"',
           b'"\xc0\x80"', b'"\xc1\xbf"', b'"\xe0\x80\x80"', b'"\xe0\x9f\xbf"', b'"\xf0\x8f\xbf\xbf"',
           b'"\xf4\x90\x80\x80"', b'"\xf5\x80\x80\x80"', b'"\xf8\x88\x80\x80\x80"', b'"\x80"', b'"\xbf"',
           b'1 \xff', b'[1,\xff]', b'[\xc3\xa9]', b'\xef\xbb\xbf1', b'\xef\xbb\xbf\xef\xbb\xbf1',
           b'\xef\xbb\xbf', b'\xef\xbb', b'\xef\xbb\xbf"\xff"', b'\xef\xbb\xbf[1,', b'"\xed\xa0"',
           b'"\xed"', b'"a\xe4', b'"a\xf0\x9f', b'\x00', b'\x00\x00', b'\x00\x00\x00', b'1\x00', b'\x001',
           b'1\x00\x00\x00', b'\x00\x00\x001', b'\x00\x00\x00\x00', b'\xff\xfe', b'\xfe\xff',
           b'\xff\xfe\x00\x00', b'\x00\x00\xfe\xff', b'\xff\xfe1', b'\xff\xfe1\x00\x00', b'\xfe\xff\x001\x00',
           b'\xff\xfe\x00\xd8', b'\xff\xfe"\x00\x00\xd8"\x00', b'\xff\xfe"\x00\x3d\xd8\x00\xde"\x00',
           b'\xff\xfe"\x00\x00\xdc"\x00', b'"\x00\x00\xd8"\x00', b'\xff\xfe\x00\x00"\x00\x00\x00\x00\xd8\x00\x00"\x00\x00\x00',
           b'\xff\xfe\x00\x00"\x00\x00\x00\x00\x00\x11\x00"\x00\x00\x00', b'1\x00\x00\x00\x00\x00\x11\x00',
           b'[\x00]\x00', b'\x00[\x00]', b'[\x00\x00\x00]\x00\x00\x00', b'\x00\x00\x00[\x00\x00\x00]',
           b'\xff\xfe\xff\xfe1\x00', b'\xef\xbb\xbf\x00\x00\x001', b'\x001\x00', b'1\x00 ',
           b'\xff\xfe\x00\x00\xff\xfe\x00\x001\x00\x00\x00']
    out += [case('raw', b) for b in raw]
    out += utf8_block_cases()
    return out


def utf8_block_cases():
    # Two- and three-byte text (checked in the reader's scan, 16 bytes at a
    # time) with one defect or edge at each place around the first two
    # block ends: a lead cut by the closing quote or an escape, a lone
    # continuation, an overlong, surrogate or four-byte sequence, a lead
    # ending a block whose continuations begin the next.  About 3,000 cases.
    out = []
    edges = [b'\xc3', b'\xa9', b'\xc0\xa9', b'\xc1\xbf', b'\xe2\x82\xac', b'\xed\xa0\x80', b'\xf0\x9f\x98\x80',
             b'\xc3\xc3\xa9', b'\xdf\xbf', b'\xc2\x80', b'\xc3\x7f', b'\xc3\\n', b'\xc3\x01', b'\xff',
             b'\xe2', b'\xe2\x82', b'\xe2\x82\\n', b'\xe2\xc3\xa9', b'\xe0\xa0\x80', b'\xe0\x9f\xbf',
             b'\xed\x9f\xbf', b'\xef\xbf\xbf', b'\xee\x80\x80', b'\xe1\x80\x80\x80', b'\xe1\x80']
    cut = (b'\xc3', b'\xa9', b'\xc3\\n', b'\xe2', b'\xe2\x82', b'\xe2\x82\\n', b'\xe1\x80\x80\x80')
    for text in ('\u0416' * 20, '\u65e5\u672c' * 10):  # Cyrillic Zhe (2 bytes); Japanese (3 bytes)
        for pre in range(0, 36):
            body = text.encode()[:pre]  # may cut a sequence
            for e in edges:
                for tail in (b'', b'\xd0\xb6' * 5, b'\xe6\x97\xa5' * 4, b'ab'):
                    b = b'"' + body + e + tail + b'"'
                    if (pre % 4 == 0 and tail != b'ab') or e in cut:
                        out.append(case('utf8-blocks', b))
            out.append(case('utf8-blocks', b'["' + body + b'"]'))
            out.append(case('utf8-blocks', b'{"' + body + b'\xe2": 1}'))
    return out


def flag_cases(r, gen):
    out = []
    strict_texts = ['NaN', '-Infinity', 'Infinity', '[1, NaN]', '"\\ud800"', '"\\ud83d\\ude00"', '"\\udc00"',
                    '{"\\udfff": 1}', '1E400', '"ok"', '[1, 2]', '"\\ud800\\u0041"']
    for t in strict_texts:
        out.append(case('strict', t.encode(), READ_STRICT))
    out.append(case('strict', b'"\xed\xa0\x80"', READ_STRICT))
    out.append(case('strict', b'"a\xf0\x9f\x98\x80"', READ_STRICT))
    out.append(case('strict', b'"a\x01"', READ_STRICT | READ_ALLOW_CONTROL))
    for c in range(0, 0x20):
        out.append(case('control', b'"a' + bytes([c]) + b'b"', READ_ALLOW_CONTROL))
        out.append(case('control', b'{"k' + bytes([c]) + b'": 1}', READ_ALLOW_CONTROL))
    for t in ['{"a":1, "a":2}', '{"a":1, "b":2}', '{%s}' % ','.join('"k%d":1' % (i % 11) for i in range(20)),
              '{%s}' % ','.join('"k%d":1' % i for i in range(20)), '[{"a":1}, {"a":2}]', '{"\\u0061":1, "a":2}']:
        out.append(case('nodup', t.encode(), READ_NO_DUP_KEYS))
    for t in ['1 2', '[1] x', '{} {}', '"a"b', '1', ' 1 ', '[1,', 'nullx', '1.5e3e', '  "x"  \n  [',
              '-', 'tru', '[] \xff']:
        out.append(case('trailing', t.encode('utf-8', 'surrogatepass') if t != '[] \xff' else b'[] \xff',
                        READ_ALLOW_TRAILING))
    for _ in range(200):
        t = gen.text()
        f = r.choice([READ_STRICT, READ_NO_DUP_KEYS, READ_ALLOW_CONTROL, READ_BORROW, READ_ALLOW_TRAILING,
                      READ_NO_TRAILING, READ_STRICT | READ_NO_DUP_KEYS])
        b = t.encode('utf-8', 'surrogatepass')
        if f == READ_ALLOW_TRAILING:
            b += r.choice([b'', b' ', b'x', b'1', b'[]', b' {"a":1}'])
        out.append(case('flags', b, f))
    return out


def deep_cases():
    out = []
    for kind in ('list', 'dict'):
        for n in (100, 900):
            t, _ = nest(kind, n)
            out.append(case('deep', t.encode()))
        for n in (5000, 100000):
            t, rep = nest(kind, n)
            out.append(case('deep', t.encode(), expect=rep))
        t, _ = nest(kind, 100001)
        out.append(case('deep-limit', t.encode(), expect='LIMIT'))
        t, rep = nest(kind, 50)
        out.append(case('deep-limit', t.encode(), depth=50, expect=rep))
        t, _ = nest(kind, 51)
        out.append(case('deep-limit', t.encode(), depth=50, expect='LIMIT'))
        out.append(case('deep', ('[' * 3000).encode()))
        out.append(case('deep', ('{"a":' * 3000).encode()))
    return out


def indent_cases(r):
    # Indented text at every depth to 9 with indents of 1 to 8 spaces and
    # tabs: whitespace runs of 1 to 73 bytes, against the runs the reader
    # keeps per depth to compare the next one with (up to 32 bytes).  Then
    # one whitespace byte changed (to another whitespace byte or to 'x'),
    # or dropped, or one added, at a random place: a run that is almost
    # the kept one, at every offset of it.
    out = []
    for indent in (1, 2, 3, 4, 5, 6, 7, 8, '\t', '\t\t'):
        for depth in range(1, 10):
            v = 1
            for d in range(depth):
                v = r.choice([[v, d, 'a' * d], {'k%d' % d: v, 'x': [d] * (d % 3), 'y': {}}])
            t = json.dumps([v, v], indent=indent)
            out.append(case('indent', t.encode()))
            ws = [i for i, c in enumerate(t) if c in ' \t\n']
            for _ in range(6):
                i = r.choice(ws)
                op = r.randrange(4)
                if op == 0:
                    m = t[:i] + r.choice(' \t\r\n') + t[i + 1:]
                elif op == 1:
                    m = t[:i] + 'x' + t[i + 1:]
                elif op == 2:
                    m = t[:i] + t[i + 1:]
                else:
                    m = t[:i] + r.choice(' \t\r\n') + t[i:]
                out.append(case('indent', m.encode()))
    return out


def colon_cases(r):
    # The bytes between a key and its value vary from key to key: the
    # reader checks each key's against the last ones it met first (':',
    # ': ', ' : ' and longer runs, up to 7 bytes kept), so the same ones
    # repeated, then one more or one less whitespace byte, another
    # whitespace byte, no colon or two, near the end of the text too.
    seps = [':', ': ', ' : ', ':  ', ' :', '\t:\t', ':\n  ', '  :  ', ':\r\n', ' \t: ', ':' + ' ' * 6,
            ' ' * 7 + ':', '', '::', ': :', 'x', ': x']
    out = []
    for _ in range(400):
        n = r.randrange(1, 7)
        run = r.choice(seps[:12])
        parts = []
        for i in range(n):
            sep = run if r.random() < 0.6 else r.choice(seps if r.random() < 0.2 else seps[:12])
            val = r.choice(['1', '"v"', '[]', '{"k":2}', 'null', '-0.5', '{"k" : [1]}'])
            parts.append('"k%d"%s%s' % (i, sep, val))
        t = '{' + r.choice([',', ', ', ',\n ']).join(parts) + '}'
        if r.random() < 0.3:
            t = '[' + t + ', ' + t + ']'
        out.append(case('colon', t.encode()))
    return out


def escape_run_cases(r):
    # Runs of \\uXXXX escapes, as json.dumps(ensure_ascii=True) writes
    # text in other scripts: the reader takes a run of escapes of
    # characters from U+0080 up, not surrogates, in a loop of its own.  A
    # run of every length to 200 (past the string buffer's first 256
    # bytes), broken by each thing that ends it: an ASCII or two-character
    # escape, a surrogate pair, a lone surrogate, plain text, bad hex, the
    # closing quote, the end of the text.
    enders = ['\\u0041', '\\n', '\\ud83d\\ude00', '\\ud800', '\\udc00x', 'x', '\\u12G4', '\\u00e9',
              '\\uffff', '\\u0800', '\\u07ff', '\\u0080', '\\u007f', '\\u']
    out = []
    for n in list(range(0, 40)) + [85, 86, 87, 127, 128, 200]:
        cps = [r.choice([r.randrange(0x80, 0x800), r.randrange(0x800, 0xd800), r.randrange(0xe000, 0x10000)])
               for _ in range(n)]
        run = ''.join('\\u%04x' % c if r.random() < 0.5 else '\\u%04X' % c for c in cps)
        for ender in r.sample(enders, 4):
            tail = r.choice(['"', '"]', ' "', run[:12] + '"'])
            out.append(case('escape-run', ('["' + run + ender + tail + ']').encode()))
            out.append(case('escape-run', ('"' + run + ender + '"').encode()))
            out.append(case('escape-run-strict', ('"' + run + ender + '"').encode(), READ_STRICT))
        out.append(case('escape-run', ('"' + run).encode()))
        for cut in (1, 2, 3, 5, 6, 7):
            out.append(case('escape-run', ('"' + run + '\\u20ac"')[:-cut].encode()))
    return out


def digit_run_cases(r):
    # Every length of integer part and of fraction up to 25 digits (the
    # reader converts eight at a time and keeps the value while at most 19
    # digits have come), with and without an exponent, ending the text (a
    # digit run that meets the end of the input inside a word), followed by
    # one to eight more bytes, and as the fraction of '0.' after leading
    # zeros (which makes 'Extra data' of a number that had a fraction).
    out = []
    for ni in range(1, 26):
        for nf in [None] + list(range(1, 26)):
            s = ('-' if r.random() < 0.3 else '') + r.choice('123456789')
            s += ''.join(r.choice('0123456789') for _ in range(ni - 1))
            if nf is not None:
                s += '.' + ''.join(r.choice('0123456789') for _ in range(nf))
            if r.random() < 0.3:
                s += 'e' + str(r.choice([-330, -22, -1, 1, 22, 300]))
            out.append(case('digits', s.encode()))
            out.append(case('digits', ('[' + s + ']' + ' ' * r.randrange(8)).encode()))
            out.append(case('digits', ('0.' + '0' * (ni - 1) + s.lstrip('-')).encode()))
    return out


def jsonl_cases(r, gen):
    out = []
    fixed = [b'', b'\n', b'1', b'1\n', b'1\n2\n', b'1\n\n2', b'1\r\n2\r\n', b'  \n1\n  \n', b'[1,\n2]',
             b'{"a":1}\n{"a":2}\n', b'1 2\n', b'1\nx\n', b'\xef\xbb\xbf1\n2', b'1\n\xff\n', b'"a\n"',
             b'{"a": [1, 2]}\n[3]\n"x"\nnull\n', b'\n\n\n', b' ', b'1\n"\\ud800"\n', b'1\n  [1,,2]\n']
    for b in fixed:
        out.append(case('jsonl', b, mode=1))
        out.append(case('jsonl-strict', b, READ_STRICT, mode=1))
    out.append(case('jsonl', b'"a\x01b"\n"\n"', READ_ALLOW_CONTROL, mode=1))
    for _ in range(150):
        gen.left = 20
        lines = [gen.value(3) for _ in range(r.randrange(0, 8))]
        if r.random() < 0.3:
            lines.insert(r.randrange(len(lines) + 1), r.choice(['', '  ', '\r']))
        text = '\n'.join(lines) + r.choice(['', '\n', '\r\n'])
        b = text.encode('utf-8', 'surrogatepass')
        if r.random() < 0.3 and b:
            b = mutate(r, b)
        out.append(case('jsonl', b, mode=1))
    return out


def cases(seed, scale=1):
    r = random.Random(seed)
    gen = TextGen(r)
    out = fixed_cases()
    valid = []
    for _ in range(int(1500 * scale)):
        t = gen.text()
        valid.append(t)
        out.append(case('random', t.encode('utf-8', 'surrogatepass')))
    for _ in range(int(300 * scale)):
        t = gen.records()
        valid.append(t)
        out.append(case('records', t.encode('utf-8', 'surrogatepass')))
    for _ in range(int(400 * scale)):
        v = pyvalue(r)
        kw = r.choice([{}, {'indent': 2}, {'indent': '\t'}, {'separators': (',', ':')}, {'ensure_ascii': False},
                       {'indent': 0, 'ensure_ascii': False}, {'sort_keys': True}])
        t = json.dumps(v, **kw)
        valid.append(t)
        out.append(case('dumps', t.encode('utf-8', 'surrogatepass')))
    # Encodings of valid and broken texts.
    for t in r.sample(valid, min(len(valid), int(250 * scale))):
        b = t.encode('utf-8', 'surrogatepass')
        for name, eb in encodings(r, b, t):
            out.append(case('enc-' + name, eb))
            if r.random() < 0.3 and len(eb) > 1:
                out.append(case('enc-trunc-' + name, eb[:r.randrange(1, len(eb))]))
    # Truncations: every prefix of small texts, a sample of larger ones.
    for t in r.sample(valid, min(len(valid), int(300 * scale))):
        b = t.encode('utf-8', 'surrogatepass')
        cuts = range(len(b)) if len(b) <= 60 else sorted(r.sample(range(len(b)), 25))
        for i in cuts:
            out.append(case('trunc', b[:i]))
    # Random mutations.
    for _ in range(int(3000 * scale)):
        b = r.choice(valid).encode('utf-8', 'surrogatepass')
        out.append(case('mutate', mutate(r, b)))
    # Texts with raw control characters, read as json.loads(strict=False).
    cgen = TextGen(r, allow_controls=True)
    for _ in range(int(150 * scale)):
        out.append(case('control', cgen.text().encode('utf-8', 'surrogatepass'), READ_ALLOW_CONTROL))
    for _ in range(int(50 * scale)):
        out.append(case('control-records', cgen.records().encode('utf-8', 'surrogatepass'), READ_ALLOW_CONTROL))
    out += flag_cases(r, gen)
    out += deep_cases()
    out += digit_run_cases(r)
    out += indent_cases(r)
    out += colon_cases(r)
    out += escape_run_cases(r)
    out += jsonl_cases(r, gen)
    return out


# Error cases pinned in tests/unit/test_json_read.c: code, byte offset,
# line, column and message, all from CPython (print_unit_table writes the
# table from json.loads; the C test never takes values from acar).
UNIT_ERRORS = [
    b'', b' ', b'\n\n', b'[', b'[1', b'[1,', b'[1,]', b'[1 2]', b'{', b'{"a"', b'{"a":', b'{"a":1',
    b'{"a":1,', b'{"a":1,}', b'{"a" 1}', b'{1:2}', b'{"a":1 "b":2}', b']', b'}', b'x', b'-', b'-x', b'-Inf',
    b'nul', b'tru', b'fals', b'NaNa', b'1 2', b'[] x', b'01', b'1.', b'1e', b'1e+', b'.5', b'+1',
    b'"abc', b'"\\', b'"\\q"', b'"\\u12"', b'"\\u12G4"', b'"\\ud800\\u12G4"', b'"\\u0041',
    b'"a\x01b"', b'"a\nb"', b'"\x1f"', b'[\n  1,\n  2,\n]', b'{\n  "a": 1\n  "b": 2\n}',
    b'"\xc3\xa9" x', b'["\xf0\x9f\x98\x80", x]', b'\xef\xbb\xbf[1,]', b'\xef\xbb\xbf\xef\xbb\xbf1',
    b'"\xff"', b'"\xc3"', b'[1, 2] \xe4', b'"\xed\xa0"', b'"\xe2\x82("',
    '[1,]'.encode('utf-16-le'), '[1,]'.encode('utf-16'), '{"\U0001f600": x}'.encode('utf-16-be'),
    '[1,]'.encode('utf-32-le'), '[1,]'.encode('utf-32'), b'[\x00\x001\x00', b'\xff\xfe1\x00\x00\x00',
]


def c_bytes(b):
    out = ''
    for ch in b:
        if ch in b'"\\':
            out += '\\' + chr(ch)
        elif 0x20 <= ch < 0x7f:
            out += chr(ch)
        else:
            out += '\\x%02x""' % ch
    return '"' + out + '"'


def print_unit_table():
    codes = {'MALFORMED': 2, 'TRUNCATED': 3, 'LIMIT': 4}
    for b in UNIT_ERRORS:
        try:
            json.loads(b)
            raise SystemExit('accepted: %r' % b)
        except json.JSONDecodeError as e:
            enc = json.detect_encoding(b)
            bom = 3 if enc == 'utf-8-sig' and b.startswith(b'\xef\xbb\xbf') else \
                2 if enc == 'utf-16' else 4 if enc == 'utf-32' else 0
            head = e.doc[:e.pos]
            if enc.startswith('utf-8'):
                off = bom + len(head.encode('utf-8', 'surrogatepass'))
            elif enc.startswith('utf-16'):
                off = bom + len(head.encode('utf-16-le', 'surrogatepass'))
            else:
                off = bom + 4 * len(head)
            code = 'TRUNCATED' if e.pos == len(e.doc) or e.msg.startswith('Unterminated') else 'MALFORMED'
            print('    {%s, %d, ACAR_ERR_%s, %d, %d, %d, "%s"},'
                  % (c_bytes(b), len(b), code, off, e.lineno, e.colno, e.msg.replace('\\', '\\\\')))
        except UnicodeDecodeError as e:
            print('    {%s, %d, ACAR_ERR_MALFORMED, %d, 0, 0, "%s"},'
                  % (c_bytes(b), len(b), e.start + (3 if b.startswith(b'\xef\xbb\xbf') else 0), str(e)))
        except ValueError as e:
            print('    {%s, %d, ACAR_ERR_LIMIT, %d, 0, 0, "%s"},'
                  % (c_bytes(b), len(b), b.index(b[-1:] if b[0:1] != b'[' else b'9'), str(e).split(';')[0]))


def write_corpus(directory, seed=1, n=200):
    """The fuzz seed corpus: a spread of small cases (fuzz/corpus/json)."""
    import os
    import zlib
    r = random.Random(seed)
    every = cases(seed, 0.2)
    small = [c for c in every if len(c.data) <= 2048 and not c.mode]
    # dicts repeating their keys' order, for the key prediction
    records = [c for c in every if c.name == 'records' and len(c.data) <= 8192][:20]
    pick = fixed_cases()[:120] + r.sample(small, min(n, len(small))) + records
    os.makedirs(directory, exist_ok=True)
    seen = set()
    for i, c in enumerate(pick):
        if c.data in seen:
            continue
        seen.add(c.data)
        name = 'j-%s-%08x' % (c.name, zlib.crc32(c.data))
        with open(os.path.join(directory, name), 'wb') as f:
            f.write(c.data)


if __name__ == '__main__':
    from collections import Counter
    if len(sys.argv) > 1 and sys.argv[1] == '--unit-table':
        print_unit_table()
        sys.exit(0)
    if len(sys.argv) > 2 and sys.argv[1] == '--corpus':
        write_corpus(sys.argv[2])
        sys.exit(0)
    cs = cases(int(sys.argv[1]) if len(sys.argv) > 1 else 1)
    print(len(cs), 'cases;', sum(len(c.data) for c in cs), 'bytes')
    for k, n in sorted(Counter(c.name for c in cs).items()):
        print('%6d %s' % (n, k))
