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


def npz_wanted(fname, want):
    """Fixtures whose arrays check_npz has acar write into a .npz."""
    if isinstance(want, dict) or fname.endswith('_oob.pkl') or fname.endswith('_z.npz'):
        return False
    return not fname.startswith('w_') or fname.endswith(('_p4.pkl', '.npy'))  # writer fixtures: one protocol


def check_fixtures(acar, npz_dir):
    facts = json.load(open(os.path.join(FIX, 'facts.json')))['files']
    checked = 0
    for fname, want in sorted(facts.items()):
        path = os.path.join(FIX, fname)
        raw = open(path, 'rb').read()
        extra = ['--npz', os.path.join(npz_dir, fname + '.npz')] if npz_wanted(fname, want) else []
        rc, out, err = run(acar, path, '--json', '--data', *extra)
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


def fake_checkpoint(tensors, storages, prefix='archive', member_override=None, byteorder=None):
    """A torch.save-like zip built without torch: tensors is a list of
    (name, key, storage_type, numel, offset, size, stride[, how]); storages
    maps key -> bytes.  how (default 'v2') picks the rebuild call torch
    would write: 'v2', ('v3', dtype name), 'param' (_rebuild_parameter),
    'param_state' (_rebuild_parameter_with_state), 'subclass'
    (torch._tensor._rebuild_from_type_v2), 'sparse', 'meta'.  The pickle
    names torch's globals through stand-in modules."""
    import collections
    import io
    import pickle
    import types
    import zipfile
    mods = ('torch', 'torch._utils', 'torch._tensor', 'mymodels')
    saved = {m: sys.modules.get(m) for m in mods}
    torch, utils, ttensor, mymodels = (types.ModuleType(m) for m in mods)
    for m, mod in zip(mods, (torch, utils, ttensor, mymodels)):
        sys.modules[m] = mod
    try:
        types_ = {}
        for n in ('FloatStorage', 'QInt8Storage', 'NoSuchStorage', 'UntypedStorage', 'HalfStorage', 'float8_e4m3fn',
                  'float8_e5m2', 'uint16', 'bfloat16', 'no_such_dtype'):
            types_[n] = type(n, (), {'__module__': 'torch', '__qualname__': n})
            setattr(torch, n, types_[n])
        MyTensor = type('MyTensor', (), {'__module__': 'mymodels', '__qualname__': 'MyTensor'})
        mymodels.MyTensor = MyTensor

        def fn(mod, name):
            def f(*a):
                pass
            f.__module__ = mod.__name__
            f.__qualname__ = f.__name__ = name
            setattr(mod, name, f)
            return f
        v2 = fn(utils, '_rebuild_tensor_v2')
        v3 = fn(utils, '_rebuild_tensor_v3')
        param = fn(utils, '_rebuild_parameter')
        param_state = fn(utils, '_rebuild_parameter_with_state')
        sparse = fn(utils, '_rebuild_sparse_tensor')
        meta = fn(utils, '_rebuild_meta_tensor_no_storage')
        from_type = fn(ttensor, '_rebuild_from_type_v2')

        class Storage:
            def __init__(self, key, typ, numel):
                self.key, self.typ, self.numel = key, typ, numel

        class Call:
            def __init__(self, f, args):
                self.f, self.args = f, args

            def __reduce__(self):
                return (self.f, self.args)

        class P(pickle.Pickler):
            def persistent_id(self, o):
                if isinstance(o, Storage):
                    return ('storage', types_[o.typ], o.key, 'cpu', o.numel)
                return None
        sd = collections.OrderedDict()
        for spec in tensors:
            name, key, typ, numel, off, size, stride = spec[:7]
            how = spec[7] if len(spec) > 7 else 'v2'
            base = (Storage(key, typ, numel), off, size, stride, False, collections.OrderedDict())
            if isinstance(how, tuple):  # ('v3', dtype)
                t = Call(v3, base + (types_[how[1]],))
            elif how == 'param':
                t = Call(param, (Call(v2, base), True, collections.OrderedDict()))
            elif how == 'param_state':
                t = Call(param_state, (Call(v2, base), True, collections.OrderedDict(), {'note': 1}))
            elif how == 'subclass':
                t = Call(from_type, (v2, MyTensor, base, {}))
            elif how == 'sparse':
                t = Call(sparse, (0, (Call(v2, base), Call(v2, base))))
            elif how == 'meta':
                t = Call(meta, (types_['bfloat16'], size, stride, False))
            else:
                t = Call(v2, base)
            sd[name] = t
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
        if byteorder is not None:
            z.writestr(prefix + '/byteorder', byteorder)
        for k, b in storages.items():
            z.writestr(prefix + '/data/' + k, b)
        z.writestr(prefix + '/version', '3\n')
    return out.getvalue()


def check_torch_rebuilds(acar):
    """The rebuild calls torch writes besides _rebuild_tensor_v2, and the
    byteorder record, through fake checkpoints (torch 1.13, which made the
    fixtures, writes none of them)."""
    raw = bytes(range(48))
    f4 = lambda name, how='v2': (name, '0', 'FloatStorage', 12, 2, (2, 3), (1, 2), how)
    cases = [
        # (checkpoint, name -> (dtype, shape, strides, storage_offset, first byte offset in raw, itemsize)) or error
        ('v3 float8', fake_checkpoint([('w', '0', 'UntypedStorage', 48, 4, (4, 5), (5, 1), ('v3', 'float8_e4m3fn'))],
                                      {'0': raw}), {'w': ('float8_e4m3fn', [4, 5], [5, 1], 4, 4, 1)}),
        ('v3 uint16', fake_checkpoint([('w', '0', 'UntypedStorage', 48, 1, (3, 2), (1, 3), ('v3', 'uint16'))],
                                      {'0': raw}), {'w': ('uint16', [3, 2], [1, 3], 1, 2, 2)}),
        ('parameter', fake_checkpoint([f4('p', 'param')], {'0': raw}), {'p': ('float32', [2, 3], [1, 2], 2, 8, 4)}),
        ('parameter with state', fake_checkpoint([f4('p', 'param_state')], {'0': raw}),
         {'p': ('float32', [2, 3], [1, 2], 2, 8, 4)}),
        ('subclass', fake_checkpoint([f4('s', 'subclass')], {'0': raw}), {'s': ('float32', [2, 3], [1, 2], 2, 8, 4)}),
        ('v3 past storage', fake_checkpoint([('w', '0', 'UntypedStorage', 48, 0, (7, 4), (4, 1), ('v3', 'uint16'))],
                                            {'0': raw}), 'reaches element'),
        ('v3 unknown dtype', fake_checkpoint([('w', '0', 'UntypedStorage', 48, 0, (2,), (1,), ('v3', 'no_such_dtype'))],
                                             {'0': raw}), 'dtype acar does not know'),
        ('sparse', fake_checkpoint([f4('s', 'sparse')], {'0': raw}), 'sparse tensors are not supported'),
        ('meta', fake_checkpoint([f4('m', 'meta')], {'0': raw}), 'meta tensors have no data'),
        ('byteorder garbage', fake_checkpoint([f4('w')], {'0': raw}, byteorder='middle'), 'byteorder record'),
    ]
    for name, data, want in cases:
        rc, out, err = run(acar, '-', '--json', '--data', data=data)
        if isinstance(want, str):
            if rc != 1 or want not in err or 'Sanitizer' in err:
                fail('torch %s: want rc 1 and %r, got %d %r' % (name, want, rc, err))
            continue
        if rc != 0:
            fail('torch %s: rc %d %r' % (name, rc, err))
            continue
        got = {g['name']: g for g in json.loads(out)}
        for tname, (dtype, shape, strides, soff, first, isz) in want.items():
            g = got.get(tname)
            if not g or (g['dtype'], g['shape'], g['strides'], g['storage_offset']) != (dtype, shape, strides, soff):
                fail('torch %s: %r' % (name, g))
                continue
            if g['offset'] != data.find(raw) + first:
                fail('torch %s: first element at %r, want %r' % (name, g['offset'], data.find(raw) + first))
            # elements in logical C order gathered by strides from the raw storage
            want_hex = ''
            idx = [0] * len(shape)
            for _ in range(_numel(shape)):
                o = (soff + sum(i * s for i, s in zip(idx, strides))) * isz
                want_hex += raw[o:o + isz].hex()
                for d in reversed(range(len(shape))):
                    idx[d] += 1
                    if idx[d] < shape[d]:
                        break
                    idx[d] = 0
            if g.get('data') != want_hex:
                fail('torch %s: element bytes differ' % name)
            if g.get('byteorder') != ('|' if isz == 1 else '<'):
                fail('torch %s: byteorder %r' % (name, g.get('byteorder')))
    # a big-endian checkpoint: the record says so and acar reports it
    for rec, want in (('big', '>'), ('little', '<')):
        data = fake_checkpoint([f4('w')], {'0': raw}, byteorder=rec)
        rc, out, err = run(acar, '-', '--json', data=data)
        if rc != 0 or json.loads(out)[0].get('byteorder') != want:
            fail('torch byteorder %s: rc %d %r %r' % (rec, rc, out, err))
    # acar show prints v3, subclass and parameter tensors by dtype and shape
    data = fake_checkpoint([('a', '0', 'UntypedStorage', 48, 4, (4, 5), (5, 1), ('v3', 'float8_e5m2')),
                            f4('b', 'subclass'), f4('c', 'param_state')], {'0': raw})
    p = subprocess.run([acar, 'show', '-'], input=data, capture_output=True, timeout=60)
    txt = p.stdout.decode()
    for want in ("'a': tensor(float8_e5m2, (4, 5))", "'b': tensor(float32, (2, 3))", "'c': parameter(float32, (2, 3))"):
        if want not in txt:
            fail('acar show: %r not in %r (%r)' % (want, txt, p.stderr))
    print('torch rebuilds: %d cases' % (len(cases) + 3))


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


TORCH_NP = {'float32': '<f4', 'float64': '<f8', 'float16': '<f2', 'int64': '<i8', 'int32': '<i4', 'int16': '<i2',
            'int8': '|i1', 'uint8': '|u1', 'bool': '|b1', 'complex64': '<c8', 'complex128': '<c16',
            'bfloat16': '|V2'}

# Run by a Python that has NumPy: loads every archive acar wrote and prints
# what NumPy sees (dtype.str, shape, sha256 of the bytes in memory order).
NUMPY_LOADS = r"""
import hashlib, json, sys
import numpy as np
out = {}
for path in sys.argv[1:]:
    with np.load(path, allow_pickle=True) as z:
        got = {}
        for k in z.files:
            a = z[k]
            f = a.flags.f_contiguous and not a.flags.c_contiguous
            got[k] = {'dtype': a.dtype.str, 'shape': list(a.shape), 'fortran': bool(f),
                      'sha256': None if a.dtype.hasobject else hashlib.sha256(a.tobytes(order='F' if f else 'C')).hexdigest(),
                      'objects': int(a.size) if a.dtype.hasobject else None}
        out[path] = got
json.dump(out, sys.stdout)
"""


def numpy_python():
    """A Python with NumPy (the system one, which made the fixtures), or None."""
    for exe in ('/usr/bin/python3',):
        if os.path.exists(exe) and subprocess.run([exe, '-c', 'import numpy'], capture_output=True).returncode == 0:
            return exe
    return None


def check_npz(tmp):
    """What acar tensors FILE --npz OUT wrote for the fixtures (in
    check_fixtures): OUT is a zip whose CRCs hold, each member a .npy whose
    header and bytes are what NumPy and torch reported for the array; and
    NumPy loads it to the same arrays."""
    import ast
    import zipfile
    facts = json.load(open(os.path.join(FIX, 'facts.json')))['files']
    written = {}
    checked = 0
    for fname, want in sorted(facts.items()):
        if not npz_wanted(fname, want):
            continue
        out = os.path.join(tmp, fname + '.npz')
        if not os.path.exists(out):
            fail('%s --npz: nothing written' % fname)
            continue
        written[out] = (fname, want)
        with zipfile.ZipFile(out) as z:
            if z.testzip() is not None:
                fail('%s --npz: bad CRC' % fname)
            members = {i.filename: z.read(i) for i in z.infolist()}
        names = sorted((w['name'] or 'arr_0') + '.npy' for w in want)
        if sorted(members) != names:
            fail('%s --npz: members %r, want %r' % (fname, sorted(members), names))
            continue
        for w in want:
            m = members[(w['name'] or 'arr_0') + '.npy']
            if m[:6] != b'\x93NUMPY' or m[6] not in (1, 2, 3):  # (a .npy input is copied as it is)
                fail('%s[%s] --npz: not a .npy' % (fname, w['name']))
                continue
            hl = struct.unpack_from('<H', m, 8)[0] if m[6] == 1 else struct.unpack_from('<I', m, 8)[0]
            start = 10 if m[6] == 1 else 12
            hdr = ast.literal_eval(m[start:start + hl].decode('latin1'))
            body = m[start + hl:]
            if (start + hl) % 64:
                fail('%s[%s] --npz: data not 64-byte aligned' % (fname, w['name']))
            tensor = 'storage_offset' in w
            dt = TORCH_NP.get(w['dtype'], '?') if tensor else w['dtype']
            if hdr['shape'] != tuple(w['shape']) or (isinstance(hdr['descr'], str) and hdr['descr'] != dt):
                fail('%s[%s] --npz: header %r, want %s %r' % (fname, w['name'], hdr, dt, w['shape']))
            if w['sha256'] and hashlib.sha256(body).hexdigest() != w['sha256']:
                fail('%s[%s] --npz: element bytes differ' % (fname, w['name']))
            checked += 1
    npy = numpy_python()
    loaded = 0
    if npy and written:
        p = subprocess.run([npy, '-c', NUMPY_LOADS] + sorted(written), capture_output=True, timeout=120)
        if p.returncode != 0:
            fail('NumPy cannot load what acar wrote: %s' % p.stderr.decode()[-2000:])
        else:
            got = json.loads(p.stdout)
            for path, (fname, want) in written.items():
                for w in want:
                    g = got[path].get(w['name'] or 'arr_0')
                    tensor = 'storage_offset' in w
                    exp = {'dtype': TORCH_NP.get(w['dtype'], '?') if tensor else w['dtype'], 'shape': w['shape'],
                           'fortran': False if tensor else w['fortran'], 'sha256': w['sha256'],
                           'objects': None if tensor else w['objects']}
                    if g != exp:
                        fail('%s[%s]: NumPy loads %r from acar\'s .npz, want %r' % (fname, w['name'], g, exp))
                    loaded += 1
    print('npz: %d arrays written by acar checked, %d loaded by NumPy%s' %
          (checked, loaded, '' if npy else ' (no Python with NumPy here: not loaded)'))


def fake_numpy_pickle(obj_args, obj_state):
    """A pickle of an object built by a global called with obj_args and
    BUILD obj_state, where 'ARRAY' items stand for a (3,) '<i4' NumPy array
    (pickled as NumPy does, through stand-in numpy modules)."""
    import pickle
    import types
    mods = ('numpy', 'numpy.core', 'numpy.core.multiarray', 'mymodels')
    saved = {m: sys.modules.get(m) for m in mods}
    np_, core, ma, mymodels = (types.ModuleType(m) for m in mods)
    for m, mod in zip(mods, (np_, core, ma, mymodels)):
        sys.modules[m] = mod
    try:
        def rec(*a):
            pass
        rec.__module__, rec.__qualname__, rec.__name__ = 'numpy.core.multiarray', '_reconstruct', '_reconstruct'
        ma._reconstruct = rec
        nd = type('ndarray', (), {'__module__': 'numpy', '__qualname__': 'ndarray'})
        dt = type('dtype', (), {'__module__': 'numpy', '__qualname__': 'dtype'})
        np_.ndarray, np_.dtype = nd, dt
        Model = type('Model', (), {'__module__': 'mymodels', '__qualname__': 'Model'})
        mymodels.Model = Model

        class DType:
            def __reduce__(self):
                return (dt, ('i4', False, True), (3, '<', None, None, None, -1, -1, 0))

        class Arr:
            def __init__(self, k):
                self.k = k

            def __reduce__(self):
                return (rec, (nd, (0,), b'b'), (1, (3,), DType(), False, bytes([self.k] * 12)))

        class Obj:
            def __reduce__(self):
                sub = lambda v: Arr(v[1]) if isinstance(v, tuple) and v[0] == 'ARRAY' else v
                return (Model, tuple(sub(a) for a in obj_args), {k: sub(v) for k, v in obj_state.items()})
        return pickle.dumps(Obj(), 2)
    finally:
        for m, v in saved.items():
            if v is None:
                sys.modules.pop(m, None)
            else:
                sys.modules[m] = v


def check_npz_names(acar):
    """Two arrays under one path (an object's argument 0 and its state key
    '0') become members 0 and 0_1, neither hiding the other."""
    import zipfile
    data = fake_numpy_pickle((('ARRAY', 1),), {'0': ('ARRAY', 2), 'w': ('ARRAY', 3)})
    with tempfile.TemporaryDirectory() as d:
        out = os.path.join(d, 'o.npz')
        rc, listing, err = run(acar, '-', '--npz', out, data=data)
        names = sorted(l.split()[0] for l in listing.splitlines())
        if rc != 0 or names != ['0', '0', 'w']:
            fail('npz names: rc %d %r %r' % (rc, listing, err))
            return
        with zipfile.ZipFile(out) as z:
            got = {i.filename: z.read(i)[-12:] for i in z.infolist()}
    want = {'0.npy', '0_1.npy', 'w.npy'}
    if set(got) != want or sorted(v[0] for v in got.values()) != [1, 2, 3] or got['w.npy'] != bytes([3] * 12):
        fail('npz names: members %r' % got)
    print('npz names: ok')


def check_npz_zip64(acar):
    """More than 65535 arrays: acar writes a zip64 archive (its end of
    central directory), which zipfile and NumPy read."""
    import zipfile
    n = 70000
    data = fake_numpy_pickle(tuple(('ARRAY', i % 251) for i in range(n)), {})
    with tempfile.TemporaryDirectory() as d:
        out = os.path.join(d, 'o.npz')
        rc, listing, err = run(acar, '-', '--npz', out, data=data)
        if rc != 0 or len(listing.splitlines()) != n:
            fail('npz zip64: rc %d, %d lines, %r' % (rc, len(listing.splitlines()), err[-300:]))
            return
        with zipfile.ZipFile(out) as z:
            infos = z.infolist()
            bad = z.testzip()
            last = z.read('%d.npy' % (n - 1))
        if len(infos) != n or bad is not None or last[-12:] != bytes([(n - 1) % 251] * 12):
            fail('npz zip64: %d members, bad %r' % (len(infos), bad))
        npy = numpy_python()
        if npy:
            p = subprocess.run([npy, '-c', 'import sys, numpy as np; z = np.load(sys.argv[1]); '
                                'print(len(z.files), z["69999"].tolist())', out], capture_output=True, timeout=120)
            if p.returncode != 0 or p.stdout.split()[0] != b'70000':
                fail('npz zip64: NumPy: %r %r' % (p.stdout[-200:], p.stderr[-500:]))
    print('npz zip64: %d members ok' % n)


def check_convert_npy(acar):
    """`acar convert F --to npy` on each writer fixture pickle: the bytes
    numpy.save wrote for the same array (w_NAME.npy beside w_NAME_pP.pkl)."""
    n = 0
    for fname in sorted(os.listdir(FIX)):
        if not (fname.startswith('w_') and fname.endswith('.pkl') and '_p' in fname):
            continue
        want_path = os.path.join(FIX, fname.rsplit('_p', 1)[0] + '.npy')
        if fname.endswith('_oob.pkl') or not os.path.exists(want_path):
            continue
        with open(want_path, 'rb') as f:
            want = f.read()
        p = subprocess.run([acar, 'convert', os.path.join(FIX, fname), '--to', 'npy'],
                           capture_output=True, timeout=60)
        n += 1
        if p.returncode != 0 or p.stdout != want:
            fail('convert --to npy %s: exit %d, %d bytes, want %s (%d bytes): %s'
                 % (fname, p.returncode, len(p.stdout), os.path.basename(want_path), len(want),
                    p.stderr.decode('utf-8', 'replace').strip()))
    p = subprocess.run([acar, 'convert', '--from', 'json', '--to', 'npy', '-'], input=b'[1]',
                       capture_output=True, timeout=60)
    if p.returncode != 1 or p.stdout or 'not a NumPy array' not in p.stderr.decode():
        fail('convert --to npy of a list: exit %d, %r' % (p.returncode, p.stderr))
    if n == 0:
        fail('convert --to npy: no writer fixtures found')
    print('convert --to npy: %d pickles' % n)


def main():
    acar = sys.argv[1]
    rc, out, err = run(acar, '--help')
    if rc != 0 or 'tensors' not in out:
        print('FAIL: %s has no tensors command: src/cli/main.c must dispatch "tensors" to '
              'acar_cli_tensors (src/cli/tensors.c): %s' % (acar, err.strip()))
        sys.exit(1)
    with tempfile.TemporaryDirectory(prefix='acar-npz-') as npz_dir:
        check_fixtures(acar, npz_dir)
        check_npz(npz_dir)
    check_npz_names(acar)
    check_npz_zip64(acar)
    check_hostile(acar)
    check_torch_hostile(acar)
    check_torch_rebuilds(acar)
    check_text(acar)
    check_convert_npy(acar)
    if failures:
        print('%d failures' % len(failures))
        sys.exit(1)
    print('ok')


if __name__ == '__main__':
    main()
