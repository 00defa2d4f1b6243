"""Differential test of acar's JSON reader against CPython's json.loads.

For every case of tests/gen/json_cases.py (thousands of seeded texts, valid
and invalid, in every encoding json.loads detects, with every read flag):

  accept   acar accepts exactly what json.loads(bytes) accepts (with the
           flag's oracle: strict=False for ALLOW_CONTROL, no NaN/Infinity and
           no lone surrogate for STRICT, a duplicate-refusing
           object_pairs_hook for NO_DUP_KEYS, raw_decode for ALLOW_TRAILING).
  repr     acar's repr of the value == repr(json.loads(data)).
  error    for a JSONDecodeError: acar's message == e.msg, its line and
           column == e.lineno and e.colno, its byte offset is where e.pos
           is in the input, and its code is TRUNCATED when the text ended
           (pos at the end, or an unterminated string), else MALFORMED.  A
           UnicodeDecodeError: MALFORMED, and for UTF-8 the same message; an
           int past 4300 digits (ValueError): LIMIT with CPython's words.
  deep     nesting CPython refuses (RecursionError) is read up to
           max_depth, and past it is a LIMIT error.
  pickle   pickle.dumps(json.loads(data), 4) == acar's protocol 4 pickle of
           its value: keys are shared as json.loads shares them.
  leak     the doc's allocator holds nothing after acar_doc_free.
  consumed opts.consumed is the byte offset where the value ended.
  jsonl    JSON Lines: the list of json.loads of each non-blank line; an
           error names the file's line and the column in it.
  cli      `acar show F --from json` prints the repr; a bad file exits 1.

Usage: python3 test_json_read.py PATH/TO/acar PATH/TO/TOOLS_DIR
Environment: ACAR_TEST_SEED, ACAR_TEST_SCALE (default 1), ACAR_TEST_VERBOSE=1.
"""

import json
import os
import pickle
import struct
import subprocess
import sys
import tempfile
import threading
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'gen'))
import json_cases as jc  # noqa: E402

SEED = int(os.environ.get('ACAR_TEST_SEED', '20261126'))
SCALE = float(os.environ.get('ACAR_TEST_SCALE', '1'))
VERBOSE = os.environ.get('ACAR_TEST_VERBOSE') == '1'
MALFORMED, TRUNCATED, LIMIT = 2, 3, 4
WANT_REPR, WANT_PICKLE = 0x100, 0x200


def detect(b):
    enc = json.detect_encoding(b)
    bom = 0
    if enc == 'utf-8-sig':
        bom = 3 if b.startswith(b'\xef\xbb\xbf') else 0
    elif enc in ('utf-16', 'utf-32'):
        bom = 2 if enc == 'utf-16' else 4
    return enc, bom


def byte_offset(b, s, pos):
    """Input byte offset of character pos of the decoded text s of b."""
    enc, bom = detect(b)
    head = s[:pos]
    if enc in ('utf-8', 'utf-8-sig'):
        return bom + len(head.encode('utf-8', 'surrogatepass'))
    if enc in ('utf-16', 'utf-16-le', 'utf-16-be'):
        return bom + len(head.encode('utf-16-le', 'surrogatepass'))
    return bom + 4 * len(head)


def has_surrogate(v):
    stack = [v]
    while stack:
        x = stack.pop()
        if isinstance(x, str):
            if any(0xd800 <= ord(c) <= 0xdfff for c in x):
                return True
        elif isinstance(x, list):
            stack.extend(x)
        elif isinstance(x, dict):
            stack.extend(x.keys())
            stack.extend(x.values())
    return False


def no_dup_hook(pairs):
    d = {}
    for k, v in pairs:
        if k in d:
            raise ValueError('duplicate key')
        d[k] = v
    return d


def no_constant(name):
    raise ValueError('constant ' + name)


class Expect:
    """What CPython does with a case."""

    def __init__(self, kind, **kw):
        self.kind = kind  # ok, jde, unicode, value, recursion, reject (flags: details not compared)
        self.__dict__.update(kw)


def oracle_json(b, flags):
    kw = {}
    if flags & jc.READ_ALLOW_CONTROL and not flags & jc.READ_STRICT:
        kw['strict'] = False
    if flags & jc.READ_STRICT:
        kw['parse_constant'] = no_constant
    if flags & jc.READ_NO_DUP_KEYS:
        kw['object_pairs_hook'] = no_dup_hook
    try:
        if flags & jc.READ_ALLOW_TRAILING:
            enc, bom = detect(b)
            try:
                s = b.decode(enc, 'surrogatepass')
            except UnicodeDecodeError as e:
                if enc not in ('utf-8', 'utf-8-sig'):
                    raise
                s = b[:e.start].decode(enc, 'surrogatepass')  # acar does not look past the value
            dec = json.JSONDecoder(**kw)
            idx = json.decoder.WHITESPACE.match(s, 0).end()
            v, end = dec.raw_decode(s, idx)
            return Expect('ok', value=v, consumed=byte_offset(b, s, end), flagged=True)
        v = json.loads(b, **kw)
    except json.JSONDecodeError as e:
        if flags & (jc.READ_STRICT | jc.READ_NO_DUP_KEYS | jc.READ_ALLOW_TRAILING):
            return Expect('reject')
        enc, _ = detect(b)
        return Expect('jde', msg=e.msg, line=e.lineno, col=e.colno,
                      offset=byte_offset(b, e.doc, e.pos),
                      code=TRUNCATED if e.pos == len(e.doc) or e.msg.startswith('Unterminated') else MALFORMED)
    except UnicodeDecodeError as e:
        return Expect('unicode', msg=str(e), enc=e.encoding)
    except RecursionError:
        return Expect('recursion')
    except ValueError as e:
        if str(e).startswith('Exceeds the limit'):
            return Expect('value', msg=str(e).split(';')[0])
        if flags & (jc.READ_STRICT | jc.READ_NO_DUP_KEYS):
            return Expect('reject')
        raise
    if flags & jc.READ_STRICT and has_surrogate(v):
        return Expect('reject')
    return Expect('ok', value=v, consumed=None, flagged=bool(flags))


def oracle_jsonl(b, flags):
    """JSON Lines as acar defines it (docs/json.md): json.loads per line."""
    strict = bool(flags & jc.READ_STRICT)
    allow = bool(flags & jc.READ_ALLOW_CONTROL) and not strict
    if b.startswith(b'\xef\xbb\xbf'):
        start = 3
    else:
        start = 0
    values = []
    lines = b[start:].split(b'\n')
    if lines and lines[-1] == b'':
        lines.pop()
    pos = start
    for i, line in enumerate(lines):
        line_start = pos
        pos += len(line) + 1
        if line.strip(b' \t\r') == b'':
            if strict:
                return Expect('reject')
            continue
        try:
            s = line.decode('utf-8', 'surrogatepass')
        except UnicodeDecodeError as e:
            return Expect('unicode', msg=None, enc='utf-8', line=i + 1)
        try:
            kw = {'strict': not allow}
            if strict:
                kw['parse_constant'] = no_constant
            v = json.loads(s, **kw)
        except json.JSONDecodeError as e:
            if strict:
                return Expect('reject')
            return Expect('jde', msg=e.msg, line=i + e.lineno, col=e.colno,
                          offset=line_start + len(s[:e.pos].encode('utf-8', 'surrogatepass')),
                          code=TRUNCATED if e.pos == len(s) or e.msg.startswith('Unterminated') else MALFORMED)
        except ValueError as e:
            if strict:
                return Expect('reject')
            return Expect('value', msg=str(e).split(';')[0])
        if strict and has_surrogate(v):
            return Expect('reject')
        values.append(v)
    return Expect('ok', value=values, consumed=len(b), flagged=True)


class Batch:
    def __init__(self, path):
        self.p = subprocess.Popen([path], stdin=subprocess.PIPE, stdout=subprocess.PIPE)

    def run(self, cases):
        def feed():
            try:
                for c in cases:
                    mode = c.mode | WANT_REPR | (WANT_PICKLE if c.mode == 0 and c.flags == 0 else 0)
                    self.p.stdin.write(struct.pack('<IIIIQ', c.flags, mode, c.depth, 0, len(c.data)) + c.data)
                self.p.stdin.close()
            except BrokenPipeError:
                pass
        t = threading.Thread(target=feed)
        t.start()
        out = self.p.stdout
        for c in cases:
            hdr = out.read(40)
            if len(hdr) < 40:
                t.join()
                raise RuntimeError('json_batch died on case %r (%d bytes): %r'
                                   % (c.name, len(c.data), c.data[:200]))
            magic, code, off, line, col, consumed = struct.unpack('<IIQQQQ', hdr)
            assert magic == 0x4a524341
            (ml,) = struct.unpack('<I', out.read(4))
            msg = out.read(ml).decode('utf-8', 'replace')
            (nout,) = struct.unpack('<I', out.read(4))
            secs = {}
            for _ in range(nout):
                what, scode, n = struct.unpack('<IIQ', out.read(16))
                secs[what] = (scode, out.read(n))
            (leaked,) = struct.unpack('<Q', out.read(8))
            yield c, dict(code=code, offset=off, line=line, col=col, consumed=consumed, msg=msg,
                          secs=secs, leaked=leaked)
        t.join()
        self.p.wait()


def check(c, a, fails, stats):
    def bad(check, detail):
        fails.append((check, c, detail))

    if a['leaked']:
        bad('leak', '%d bytes held after acar_doc_free' % a['leaked'])
    if c.expect is not None:
        if c.expect == 'LIMIT':
            if a['code'] != LIMIT:
                bad('deep', 'want a LIMIT error, got code %d %s' % (a['code'], a['msg']))
        else:
            got = a['secs'].get(1, (1, b''))[1].decode('utf-8', 'replace')
            if a['code'] != 0 or got != c.expect:
                bad('deep', 'code %d %s; repr %d chars' % (a['code'], a['msg'], len(got)))
        stats['deep'] += 1
        return
    e = oracle_jsonl(c.data, c.flags) if c.mode == 1 else oracle_json(c.data, c.flags)
    stats[e.kind] += 1
    if e.kind == 'recursion':
        # CPython's reader recurses; acar reads it or reports the text's own error.
        stats['recursion-acar-%s' % ('ok' if a['code'] == 0 else 'err')] += 1
        return
    if e.kind == 'ok':
        if a['code'] != 0:
            bad('accept', 'CPython accepts, acar: code %d %s' % (a['code'], a['msg']))
            return
        want = repr(e.value)
        got = a['secs'].get(1, (1, b''))[1].decode('utf-8', 'surrogatepass')
        if got != want:
            bad('repr', 'CPython %r\n      acar    %r' % (want[:300], got[:300]))
        if e.consumed is not None and a['consumed'] != e.consumed:
            bad('consumed', 'CPython %d, acar %d' % (e.consumed, a['consumed']))
        if 2 in a['secs']:
            scode, pk = a['secs'][2]
            try:
                want_pk = pickle.dumps(e.value, 4)
            except RecursionError:
                want_pk = None
            if want_pk is not None and (scode != 0 or pk != want_pk):
                bad('pickle', 'pickle.dumps(json.loads(data), 4) differs (%d vs %d bytes)' % (len(want_pk), len(pk)))
        return
    if a['code'] == 0:
        bad('accept', 'CPython rejects (%s %s), acar accepts' % (e.kind, getattr(e, 'msg', '')))
        return
    if e.kind == 'reject':
        return
    if e.kind == 'jde':
        got = (a['code'], a['msg'], a['line'], a['col'], a['offset'])
        want = (e.code, e.msg, e.line, e.col, e.offset)
        if got != want:
            bad('error', 'CPython (code, msg, line, col, offset) %r\n      acar %r' % (want, got))
    elif e.kind == 'unicode':
        if a['code'] != MALFORMED or "codec can't decode" not in a['msg']:
            bad('error', 'CPython UnicodeDecodeError %s; acar code %d %s' % (e.msg, a['code'], a['msg']))
        elif e.msg is not None and e.enc in ('utf-8', 'utf-8-sig') and a['msg'] != e.msg:
            bad('error-unicode-msg', 'CPython %r\n      acar %r' % (e.msg, a['msg']))
        if c.mode == 1 and a['line'] != e.line:
            bad('error', 'decode error on line %d, acar says %d' % (e.line, a['line']))
    elif e.kind == 'value':
        if a['code'] != LIMIT or not a['msg'].startswith(e.msg):
            bad('error', 'CPython ValueError %s; acar code %d %s' % (e.msg, a['code'], a['msg']))


def run_cli(acar, cases, fails):
    """A few cases through the command."""
    n = 0
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, 'case.json')
        for c in cases:
            if c.flags or c.mode or c.expect is not None or len(c.data) > 10000:
                continue
            e = oracle_json(c.data, 0)
            if e.kind not in ('ok', 'jde'):
                continue
            with open(path, 'wb') as f:
                f.write(c.data)
            r = subprocess.run([acar, 'show', path, '--from', 'json'], capture_output=True)
            if e.kind == 'ok':
                want = (repr(e.value) + '\n').encode('utf-8', 'surrogatepass')
                if r.returncode != 0 or r.stdout != want:
                    fails.append(('cli', c, 'exit %d, stdout %r, stderr %r' % (r.returncode, r.stdout[:200], r.stderr[:200])))
            elif r.returncode != 1 or e.msg.encode() not in r.stderr:
                fails.append(('cli', c, 'exit %d, stderr %r' % (r.returncode, r.stderr[:200])))
            n += 1
            if n >= 20:
                break
        # the read flags on the command line
        flag_cases = [
            (b'NaN', ['--from', 'json'], 0, b'nan\n'),
            (b'NaN', ['--from', 'json', '--strict'], 1, b''),
            (b'"\\ud800"', ['--from', 'json', '--strict'], 1, b''),
            (b'"a\x01"', ['--from', 'json'], 1, b''),
            (b'"a\x01"', ['--from', 'json', '--allow-control'], 0, b"'a\\x01'\n"),
            (b'{"a":1,"a":2}', ['--from', 'json'], 0, b"{'a': 2}\n"),
            (b'{"a":1,"a":2}', ['--from', 'json', '--no-dup-keys'], 1, b''),
            (b'1\n\n[2]\n', ['--from', 'jsonl'], 0, b'[1, [2]]\n'),
            (b'1\n[2,\n', ['--from', 'jsonl'], 1, b''),
        ]
        for data, args, rc, out in flag_cases:
            with open(path, 'wb') as f:
                f.write(data)
            r = subprocess.run([acar, 'show', path] + args, capture_output=True)
            if r.returncode != rc or (rc == 0 and r.stdout != out) or (rc == 1 and not r.stderr.startswith(b'acar: ')):
                fails.append(('cli', jc.case('cli-flags', data), '%s: exit %d, stdout %r, stderr %r'
                              % (' '.join(args), r.returncode, r.stdout[:100], r.stderr[:200])))
            n += 1
    return n


def main():
    if len(sys.argv) < 3:
        sys.exit('usage: test_json_read.py PATH/TO/acar PATH/TO/TOOLS_DIR')
    acar, tools = sys.argv[1], sys.argv[2]
    t0 = time.time()
    cases = jc.cases(SEED, SCALE)
    t1 = time.time()
    fails = []
    from collections import Counter
    stats = Counter()
    for c, a in Batch(os.path.join(tools, 'json_batch')).run(cases):
        check(c, a, fails, stats)
    t2 = time.time()
    ncli = run_cli(acar, cases, fails)
    t3 = time.time()
    print('%d cases (seed %d, scale %g): generate %.1fs, check %.1fs, %d cli cases %.1fs'
          % (len(cases), SEED, SCALE, t1 - t0, t2 - t1, ncli, t3 - t2))
    print('CPython outcomes: ' + ', '.join('%s %d' % kv for kv in sorted(stats.items())))
    by = Counter(f[0] for f in fails)
    shown = Counter()
    for check_, c, detail in fails:
        shown[check_] += 1
        if VERBOSE or shown[check_] <= 5:
            print('FAIL %s [%s flags=%#x mode=%d] %r\n      %s' % (check_, c.name, c.flags, c.mode, c.data[:120], detail))
    for k, n in sorted(by.items()):
        print('  %s: %d failures' % (k, n))
    print('%d passed, %d failed' % (len(cases) + ncli - len(fails), len(fails)))
    sys.exit(1 if fails else 0)


if __name__ == '__main__':
    main()
