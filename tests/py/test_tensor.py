"""acar tensors against what NumPy reported when it wrote the fixtures.

tests/fixtures/tensor/facts.json (made by tests/gen/make_tensor_fixtures.py
with NumPy) gives, for every array in every fixture, its dtype.str, shape,
strides, order, byte size and the sha256 of its element bytes; acar must
report the same, and where it reports a file offset, the bytes there must
hash the same.  Hostile .npy files must get a clear error, never a crash.

Run: python3 test_tensor.py PATH/TO/acar [TOOLS_DIR]
"""
import hashlib
import json
import os
import struct
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
FIX = os.path.join(HERE, '..', 'fixtures', 'tensor')
failures = []


def fail(msg):
    failures.append(msg)
    print('FAIL', msg)


def run(acar, *args, data=None):
    p = subprocess.run([acar, 'tensors'] + list(args), input=data, capture_output=True, timeout=60)
    return p.returncode, p.stdout.decode('utf-8', 'replace'), p.stderr.decode('utf-8', 'replace')


def check_fixtures(acar):
    facts = json.load(open(os.path.join(FIX, 'facts.json')))['files']
    checked = 0
    for fname, want in sorted(facts.items()):
        path = os.path.join(FIX, fname)
        raw = open(path, 'rb').read()
        rc, out, err = run(acar, path, '--json', '--data')
        if isinstance(want, dict):  # a file acar must refuse with a clear message
            if rc != 1 or want['error'] not in err:
                fail('%s: want exit 1 and %r in the message, got %d %r' % (fname, want['error'], rc, err))
            continue
        if fname.endswith('_z.npz') and rc == 1 and 'without zlib' in err:
            continue  # compressed members need a zlib build (reported, not crashed)
        if fname.endswith('_oob.pkl'):
            # without its buffers the pickle cannot be read: a clear error
            if rc != 1 or 'buffer' not in err:
                fail('%s: want an error about the missing out-of-band buffer, got rc %d %r' % (fname, rc, err))
            continue
        if rc != 0:
            fail('%s: rc %d: %s' % (fname, rc, err.strip()))
            continue
        got = {g['name']: g for g in json.loads(out)}
        if len(got) != len(want):
            fail('%s: %d arrays listed, NumPy has %d' % (fname, len(got), len(want)))
        for w in want:
            g = got.get(w['name'])
            if g is None:
                fail('%s: array %r not listed' % (fname, w['name']))
                continue
            keys = ('dtype', 'shape', 'strides', 'fortran', 'scalar', 'nbytes', 'objects')
            if 'storage_offset' in w:
                keys = ('dtype', 'shape', 'strides', 'storage_offset', 'nbytes')
            for key in keys:
                if g[key] != w[key]:
                    fail('%s[%s]: %s is %r, NumPy says %r' % (fname, w['name'], key, g[key], w[key]))
            if w['sha256'] is not None:
                h = hashlib.sha256(bytes.fromhex(g.get('data', ''))).hexdigest()
                if h != w['sha256']:
                    fail('%s[%s]: element bytes differ' % (fname, w['name']))
                if g['offset'] is not None and 'storage_offset' in w:
                    # a tensor's offset is its first element's: the data starts with those bytes
                    n = _numel(w['shape'])
                    first = bytes.fromhex(g.get('data', ''))[:g['nbytes'] // n if n else 0]
                    if raw[g['offset']:g['offset'] + len(first)] != first:
                        fail('%s[%s]: first element not at offset %d' % (fname, w['name'], g['offset']))
                elif g['offset'] is not None:
                    o = g['offset']
                    if hashlib.sha256(raw[o:o + g['nbytes']]).hexdigest() != w['sha256']:
                        fail('%s[%s]: bytes at offset %d are not the array' % (fname, w['name'], o))
            if w.get('offset', None) is not None and g['offset'] != w['offset']:
                fail('%s[%s]: offset %r, NumPy read the data at %r' % (fname, w['name'], g['offset'], w['offset']))
            checked += 1
    print('fixtures: %d arrays in %d files checked' % (checked, len(facts)))


def _numel(shape):
    n = 1
    for d in shape:
        n *= d
    return n


def npy(header, data=b'', version=1):
    h = header.encode('latin1')
    if version == 1:
        return b'\x93NUMPY\x01\x00' + struct.pack('<H', len(h)) + h + data
    return b'\x93NUMPY' + bytes([version, 0]) + struct.pack('<I', len(h)) + h + data


def check_hostile(acar):
    cases = [
        ('truncated data', npy("{'descr': '<f8', 'fortran_order': False, 'shape': (3,), }", b'\0' * 16)),
        ('huge shape', npy("{'descr': '<f8', 'fortran_order': False, 'shape': (4611686018427387904, 4), }")),
        ('overflow', npy("{'descr': '<f8', 'fortran_order': False, 'shape': (3037000500, 3037000500, 3), }")),
        ('negative dim', npy("{'descr': '<f8', 'fortran_order': False, 'shape': (-1,), }")),
        ('header past end', b'\x93NUMPY\x01\x00\xff\xff{}'),
        ('bad version', npy("{}", version=9)),
        ('missing key', npy("{'descr': '<f8', 'shape': (1,), }", b'\0' * 8)),
        ('bad descr', npy("{'descr': '<q9', 'fortran_order': False, 'shape': (1,), }", b'\0' * 8)),
        ('unbalanced', npy("{'descr': '<f8', 'fortran_order': False, 'shape': (1,], }", b'\0' * 8)),
        ('deep', npy("[" * 60000, b'')),
        ('unterminated', npy("{'descr: ", b'')),
        ('preamble only', b'\x93NUMPY\x01'),
        ('object garbage', npy("{'descr': '|O', 'fortran_order': False, 'shape': (2,), }", b'\x80\x04garbage')),
    ]
    for name, data in cases:
        with tempfile.NamedTemporaryFile(suffix='.npy', delete=False) as f:
            f.write(data)
        try:
            rc, out, err = run(acar, f.name)
        finally:
            os.unlink(f.name)
        if rc != 1 or not err.strip() or 'offset' not in err:
            fail('hostile %s: want exit 1 and an error with its offset, got %d %r' % (name, rc, err))
        if 'AddressSanitizer' in err or 'runtime error' in err:
            fail('hostile %s: sanitizer report' % name)
    # a pickled array whose data does not match its shape
    good = open(os.path.join(FIX, 'i4_2x3_p4.pkl'), 'rb').read()
    bad = good.replace(b'\x86', b'\x85', 1)  # (2, 3) -> ... shape tuple of one fewer: wrong size
    rc, out, err = run(acar, '-', data=bad)
    if rc not in (0, 1) or 'AddressSanitizer' in err:
        fail('mangled pickle: rc %d %r' % (rc, err))
    print('hostile: %d cases' % len(cases))


def fake_checkpoint(tensors, storages, prefix='archive', member_override=None):
    """A torch.save-like zip built without torch: tensors is a list of
    (name, key, storage_type, numel, offset, size, stride); storages maps
    key -> bytes.  The pickle names torch's globals through stand-in modules."""
    import collections
    import io
    import pickle
    import types
    import zipfile
    saved = {m: sys.modules.get(m) for m in ('torch', 'torch._utils')}
    torch = types.ModuleType('torch')
    utils = types.ModuleType('torch._utils')
    sys.modules['torch'], sys.modules['torch._utils'] = torch, utils
    try:
        types_ = {}
        for n in ('FloatStorage', 'QInt8Storage', 'NoSuchStorage'):
            types_[n] = type(n, (), {'__module__': 'torch', '__qualname__': n})
            setattr(torch, n, types_[n])

        def _rebuild_tensor_v2(*a):
            pass
        _rebuild_tensor_v2.__module__ = 'torch._utils'
        _rebuild_tensor_v2.__qualname__ = '_rebuild_tensor_v2'
        utils._rebuild_tensor_v2 = _rebuild_tensor_v2

        class Storage:
            def __init__(self, key, typ, numel):
                self.key, self.typ, self.numel = key, typ, numel

        class Tensor:
            def __init__(self, st, off, size, stride):
                self.args = (st, off, size, stride)

            def __reduce__(self):
                return (_rebuild_tensor_v2, self.args + (False, collections.OrderedDict()))

        class P(pickle.Pickler):
            def persistent_id(self, o):
                if isinstance(o, Storage):
                    return ('storage', types_[o.typ], o.key, 'cpu', o.numel)
                return None
        sd = collections.OrderedDict()
        for name, key, typ, numel, off, size, stride in tensors:
            sd[name] = Tensor(Storage(key, typ, numel), off, size, stride)
        bio = io.BytesIO()
        P(bio, 2).dump(sd)
    finally:
        for m, v in saved.items():
            if v is None:
                sys.modules.pop(m, None)
            else:
                sys.modules[m] = v
    out = io.BytesIO()
    with zipfile.ZipFile(out, 'w', zipfile.ZIP_STORED) as z:
        z.writestr(prefix + '/data.pkl', bio.getvalue())
        for k, b in storages.items():
            z.writestr(prefix + '/data/' + k, b)
        z.writestr(prefix + '/version', '3\n')
    return out.getvalue()


def check_torch_hostile(acar):
    f4 = bytes(range(48))  # 12 float32
    good = fake_checkpoint([('w', '0', 'FloatStorage', 12, 0, (3, 4), (4, 1))], {'0': f4})
    cases = [
        ('good', good, 0, ''),
        ('shape past storage', fake_checkpoint([('w', '0', 'FloatStorage', 12, 1, (3, 4), (4, 1))], {'0': f4}),
         1, 'reaches element'),
        ('stride past storage', fake_checkpoint([('w', '0', 'FloatStorage', 12, 0, (3, 4), (5, 1))], {'0': f4}),
         1, 'reaches element'),
        ('negative stride', fake_checkpoint([('w', '0', 'FloatStorage', 12, 0, (3, 4), (-4, 1))], {'0': f4}),
         1, 'negative'),
        ('huge shape', fake_checkpoint([('w', '0', 'FloatStorage', 12, 0, (2 ** 62, 2 ** 62), (0, 0))], {'0': f4}),
         1, 'too large'),
        ('numel past member', fake_checkpoint([('w', '0', 'FloatStorage', 13, 0, (3,), (1,))], {'0': f4}),
         1, 'has 48 bytes'),
        ('missing storage', fake_checkpoint([('w', '7', 'FloatStorage', 12, 0, (3,), (1,))], {'0': f4}),
         1, 'no member'),
        ('quantized', fake_checkpoint([('w', '0', 'QInt8Storage', 12, 0, (3,), (1,))], {'0': f4}), 1, 'quantized'),
        ('unknown storage', fake_checkpoint([('w', '0', 'NoSuchStorage', 12, 0, (3,), (1,))], {'0': f4}),
         1, 'unknown storage type'),
    ]
    # two central directory entries pointing at one local header: members overlap
    import io
    import zipfile
    infos = zipfile.ZipFile(io.BytesIO(good)).infolist()
    off = {i.filename: i.header_offset for i in infos}
    overl = bytearray(good)
    p = good.find(b'PK\x01\x02')
    while p >= 0:
        nl = struct.unpack_from('<H', good, p + 28)[0]
        name = good[p + 46:p + 46 + nl].decode()
        if name == 'archive/data/0':
            struct.pack_into('<I', overl, p + 42, off['archive/data.pkl'])
        p = good.find(b'PK\x01\x02', p + 4)
    cases.append(('overlap', bytes(overl), 1, 'overlap'))
    # a member whose size runs past the end of the file
    big = bytearray(good)
    p = good.find(b'PK\x01\x02')
    while p >= 0:
        nl = struct.unpack_from('<H', good, p + 28)[0]
        if good[p + 46:p + 46 + nl] == b'archive/data/0':
            struct.pack_into('<II', big, p + 20, 0x7fffffff, 0x7fffffff)
        p = good.find(b'PK\x01\x02', p + 4)
    cases.append(('size past end', bytes(big), 1, 'past the end'))
    for name, data, want_rc, want_msg in cases:
        rc, out, err = run(acar, '-', '--json', data=data)
        if rc != want_rc or want_msg not in err or 'Sanitizer' in err or 'runtime error' in err:
            fail('torch hostile %s: want rc %d and %r, got %d %r' % (name, want_rc, want_msg, rc, err))
        if name == 'good' and rc == 0:
            g = json.loads(out)
            if [x['shape'] for x in g] != [[3, 4]] or g[0]['offset'] != data.find(f4):
                fail('torch good: %r' % out)
    print('torch hostile: %d cases' % len(cases))


def check_text(acar):
    rc, out, err = run(acar, os.path.join(FIX, 'nested_p4.pkl'))
    lines = out.splitlines()
    want = ['layers.0.w  <f4  (2, 1, 3, 2)  48', 'layers.0.b  |u1  (5,)  5', 'layers.1.w  <i4  (2, 3)  24']
    got = [' '.join(l.split()[:-1]) for l in lines]
    if rc != 0 or got != [' '.join(w.split()) for w in want]:
        fail('text listing: %r' % out)


def main():
    acar = sys.argv[1]
    rc, out, err = run(acar, '--help')
    if rc != 0 or 'tensors' not in out:
        print('FAIL: %s has no tensors command: src/cli/main.c must dispatch "tensors" to '
              'acar_cli_tensors (src/cli/tensors.c): %s' % (acar, err.strip()))
        sys.exit(1)
    check_fixtures(acar)
    check_hostile(acar)
    check_torch_hostile(acar)
    check_text(acar)
    if failures:
        print('%d failures' % len(failures))
        sys.exit(1)
    print('ok')


if __name__ == '__main__':
    main()
