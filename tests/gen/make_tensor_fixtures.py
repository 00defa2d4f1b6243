#!/usr/bin/python3
"""Makes tests/fixtures/tensor/: NumPy arrays pickled at protocols 2-5 (in
band and out of band), .npy files of format 1.0-3.0, .npz archives, PyTorch
checkpoints (zip and legacy, torch 1.13 made the committed files), and
facts.json, what NumPy itself reports for every array in them (dtype.str,
shape, strides, Fortran order, byte size, sha256 of the element bytes in
memory order, data offset in .npy files).  acar's tests compare against
facts.json, so they need neither NumPy nor torch.

Run with the system interpreter that has NumPy (1.24 made the committed
files):  /usr/bin/python3 tests/gen/make_tensor_fixtures.py
"""
import hashlib
import io
import json
import os
import pickle
import sys
import zipfile

import numpy as np

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'fixtures', 'tensor')
facts = {}


def fact(name, a, orig=None):
    """What acar must report for array or scalar a (as NumPy loaded it)
    under name.  NumPy's ndarray.__setstate__ swaps non-native data to
    native order as it loads; acar shows the bytes as stored, so dtype and
    element bytes come from the array that was pickled (orig)."""
    src = a if orig is None else np.asarray(orig)
    if orig is not None:
        assert np.array_equal(np.asarray(a), src) or src.dtype.kind in 'OV' or np.isnan(src).any()
    if isinstance(a, np.generic):
        arr = np.asarray(a)
        scalar = True
    else:
        arr = a
        scalar = False
    fortran = bool(arr.flags.f_contiguous and not arr.flags.c_contiguous)
    f = {'name': name, 'dtype': src.dtype.str, 'shape': list(arr.shape),
         'strides': list(arr.strides), 'fortran': fortran, 'scalar': scalar,
         'nbytes': int(arr.nbytes)}
    if arr.dtype.hasobject:
        f['sha256'] = None
        f['objects'] = int(arr.size)
    else:
        f['sha256'] = hashlib.sha256(src.tobytes(order='F' if fortran else 'C')).hexdigest()
        f['objects'] = None
    return f


# every dtype and layout the writer makes (tests/unit/test_tensor.c)
WRITER_ARRAYS = ('u2be', 'f2', 'bool', 'S5', 'U3', 'c16', 'i1', 'f8be', 'f4_4d_F', 'empty_0x3', 'f8_0d', 'u8',
                 'i8be', 'u4', 'i2', 'c8', 'g', 'M8ns', 'M8_10s', 'm8s_be', 'V4', 'struct', 'struct2', 'obj',
                 'obj_2x2_F', 'i4_2x3', 'i4_2x3_F', 'transposed')


def arrays():
    """name -> array: every dtype, 0-d to 4-d, C and Fortran order."""
    rng = np.random.default_rng(8)
    a = {}
    a['i4_2x3'] = np.arange(6, dtype='<i4').reshape(2, 3)
    a['i4_2x3_F'] = np.asfortranarray(a['i4_2x3'])
    a['f8_0d'] = np.array(3.5)
    a['f4_4d'] = rng.standard_normal((2, 1, 3, 2)).astype('<f4')
    a['f4_4d_F'] = np.asfortranarray(a['f4_4d'])
    a['empty_0x3'] = np.zeros((0, 3), dtype='<f8')
    a['bool'] = np.array([True, False, True])
    a['u1'] = np.arange(5, dtype='u1')
    a['i1'] = np.arange(-3, 3, dtype='i1')
    a['u2be'] = np.arange(4, dtype='>u2')
    a['i8be'] = np.arange(4, dtype='>i8').reshape(2, 2)
    a['u4'] = np.arange(3, dtype='<u4')
    a['u8'] = np.arange(3, dtype='<u8')
    a['i2'] = np.arange(3, dtype='<i2')
    a['f2'] = np.array([1.5, -2.25, 65504], dtype='<f2')
    a['f8be'] = np.array([1.0, 2.5], dtype='>f8')
    a['g'] = np.array([1.0, 1 / 3], dtype=np.longdouble)
    a['c8'] = np.array([1 + 2j, 3 - 4j], dtype='<c8')
    a['c16'] = np.array([1 + 2j], dtype='<c16')
    a['S5'] = np.array([b'ab', b'hello'], dtype='S5')
    a['U3'] = np.array(['a', 'xyz', '\u00e9'], dtype='<U3')
    a['M8ns'] = np.array(['2020-01-01T00:00:00.000000001'], dtype='<M8[ns]')
    a['M8_10s'] = np.array(['2020-01-01T00:00:10'], dtype='<M8[10s]')
    a['m8s_be'] = np.array([5, -7], dtype='>m8[s]')
    a['V4'] = np.zeros(2, dtype='V4')
    a['struct'] = np.array([(1, (2.0, 3.0)), (4, (5.0, 6.0))],
                           dtype=[('a', '<i2'), ('b', '>f8', (2,))])
    a['struct2'] = np.array([('ab', 7, [[1, 2], [3, 4]], '2021-01-01T00:00:01', [b'x', b'yz'], 1 - 2j)],
                            dtype=[('a', '<U2'), ('b', 'u1'), ('c', '<i4', (2, 2)), ('d', '<M8[s]'),
                                   ('e', 'S3', (2,)), ('f', '<c8')])
    a['obj'] = np.array([1, 'x', None, (2, 3)], dtype=object)
    a['obj_2x2_F'] = np.asfortranarray(np.array([[1, 2], ['a', 'b']], dtype=object))
    base = np.arange(24, dtype='<i8').reshape(4, 6)
    a['noncontig'] = base[1:, ::2]          # pickled as a contiguous copy
    a['transposed'] = base.T                 # Fortran-contiguous view
    return a


def tfact(name, t):
    """What acar must report for torch tensor t: torch's dtype name, shape,
    strides and storage offset in elements, and the sha256 of its elements
    in logical C order."""
    import torch
    ints = {1: torch.uint8, 2: torch.int16, 4: torch.int32, 8: torch.int64}
    c = t.detach().contiguous().reshape(-1)
    if c.is_complex():
        c = torch.view_as_real(c).reshape(-1)
    raw = c.view(ints[c.element_size()]).numpy().tobytes()
    return {'name': name, 'dtype': str(t.dtype).replace('torch.', ''), 'shape': list(t.shape),
            'strides': list(t.stride()), 'storage_offset': t.storage_offset(),
            'nbytes': t.numel() * t.element_size(), 'sha256': hashlib.sha256(raw).hexdigest()}


def torch_fixtures():
    """torch.save zip archives: state dicts of every dtype, views into shared
    storages, parameters, a module's OrderedDict; a quantized tensor (refused)
    and the legacy (non-zip) format."""
    import collections
    import torch
    torch.manual_seed(8)
    base = torch.arange(24, dtype=torch.float32).reshape(4, 6)
    sd = collections.OrderedDict()
    for dt in (torch.float32, torch.float64, torch.float16, torch.bfloat16, torch.int64, torch.int32,
               torch.int16, torch.int8, torch.uint8, torch.bool, torch.complex64, torch.complex128):
        sd[str(dt).replace('torch.', '')] = (torch.randn(2, 3) * 10).to(dt)
    sd['scalar_0d'] = torch.tensor(2.5)
    sd['four_d'] = torch.randn(2, 1, 3, 2)
    sd['empty'] = torch.zeros(0, 3)
    sd['base'] = base
    sd['transposed'] = base.t()                 # shares base's storage
    sd['sliced'] = base[1:3, 2:5]               # storage offset 8, strides (6, 1)
    sd['strided'] = base[:, ::2]                # non-contiguous
    sd['row'] = base[3]                         # offset 18
    sd['expanded'] = torch.tensor([1.0, 2.0]).expand(3, 2)  # stride 0
    fname = 'state_dict.pt'
    torch.save(sd, os.path.join(OUT, fname))
    facts[fname] = [tfact(k, v) for k, v in sd.items()]
    # a module: OrderedDict of parameters and buffers, and a Parameter itself
    lin = torch.nn.Sequential(torch.nn.Linear(3, 2), torch.nn.BatchNorm1d(2))
    msd = lin.state_dict()
    torch.save(msd, os.path.join(OUT, 'module.pt'))
    facts['module.pt'] = [tfact(k, v) for k, v in msd.items()]
    params = {'weight': torch.nn.Parameter(torch.randn(2, 2)), 'nested': [torch.ones(2, dtype=torch.int64)]}
    torch.save(params, os.path.join(OUT, 'params.pt'))
    facts['params.pt'] = [tfact('weight', params['weight']), tfact('nested.0', params['nested'][0])]
    q = torch.quantize_per_tensor(torch.ones(3), 0.1, 0, torch.qint8)
    torch.save({'q': q}, os.path.join(OUT, 'quantized.pt'))
    facts['quantized.pt'] = {'error': 'quantized'}
    small = collections.OrderedDict((k, sd[k]) for k in ('float32', 'bfloat16', 'int64', 'bool', 'base',
                                                          'transposed', 'sliced', 'row', 'scalar_0d'))
    torch.save(small, os.path.join(OUT, 'legacy.pt'), _use_new_zipfile_serialization=False)
    facts['legacy.pt'] = [tfact(k, v) for k, v in small.items()]


def write(name, data):
    with open(os.path.join(OUT, name), 'wb') as f:
        f.write(data)


def main():
    os.makedirs(OUT, exist_ok=True)
    for fn in os.listdir(OUT):
        os.remove(os.path.join(OUT, fn))
    arrs = arrays()
    # one pickle per protocol holding a dict of every array: names are keys
    for proto in (2, 3, 4, 5):
        fname = 'arrays_p%d.pkl' % proto
        write(fname, pickle.dumps(arrs, proto))
        back = pickle.loads(open(os.path.join(OUT, fname), 'rb').read())
        facts[fname] = [fact(k, back[k], arrs[k]) for k in arrs]
    # single arrays at the top level
    for proto in (2, 4, 5):
        for k in ('i4_2x3', 'i4_2x3_F', 'f8_0d', 'struct', 'obj'):
            fname = '%s_p%d.pkl' % (k, proto)
            write(fname, pickle.dumps(arrs[k], proto))
            facts[fname] = [fact('', pickle.loads(pickle.dumps(arrs[k], proto)), arrs[k])]
    # one array per file for the writer's byte-for-byte test (tests/unit/test_tensor.c)
    # (and numpy.save's .npy of each: the .npy writer's byte-for-byte test)
    for k in WRITER_ARRAYS:
        for proto in (2, 3, 4, 5):
            fname = 'w_%s_p%d.pkl' % (k, proto)
            write(fname, pickle.dumps(arrs[k], proto))
            facts[fname] = [fact('', pickle.loads(pickle.dumps(arrs[k], proto)), arrs[k])]
        fname = 'w_%s.npy' % k
        np.save(os.path.join(OUT, fname), arrs[k], allow_pickle=True)
        facts[fname] = [dict(fact('', np.load(os.path.join(OUT, fname), allow_pickle=True), arrs[k]), offset=None)]
    # several arrays in one pickle: CPython shares b'b', '<' and 'numpy' between them
    several = {'x': arrs['i4_2x3'], 'y': arrs['f8be'], 'z': arrs['U3'], 'w': arrs['M8ns']}
    for proto in (2, 3, 4, 5):
        fname = 'w_several_p%d.pkl' % proto
        write(fname, pickle.dumps(several, proto))
        facts[fname] = [fact(k, v) for k, v in several.items()]
    # scalars
    scal = {'f8': np.float64(1.5), 'i1': np.int8(-3), 'b': np.bool_(True), 'c16': np.complex128(1 - 1j),
            'f2': np.float16(0.5), 'U': np.str_('h\u00e9'), 'S': np.bytes_(b'xy'), 'M8': np.datetime64('2021-03-04', 'D')}
    for proto in (2, 4):
        fname = 'scalars_p%d.pkl' % proto
        write(fname, pickle.dumps(scal, proto))
        facts[fname] = [fact(k, v) for k, v in scal.items()]
    for k, v in scal.items():  # one per file, for the writer
        for proto in (2, 3, 4, 5):
            fname = 'w_sc_%s_p%d.pkl' % (k, proto)
            write(fname, pickle.dumps(v, proto))
            facts[fname] = [fact('', v)]
    # nested containers and a shared array
    shared = arrs['u1']
    nested = {'layers': [{'w': arrs['f4_4d'], 'b': shared}, {'w': arrs['i4_2x3'], 'b': shared}], 'n': 3}
    write('nested_p4.pkl', pickle.dumps(nested, 4))
    facts['nested_p4.pkl'] = [fact('layers.0.w', nested['layers'][0]['w']), fact('layers.0.b', shared),
                              fact('layers.1.w', nested['layers'][1]['w'])]
    # protocol 5 out of band: buffers in separate files NAME.oobN
    for k in ('i4_2x3', 'f4_4d_F', 'f8be', 'U3', 'M8ns', 'struct2', 'f8_0d'):
        bufs = []
        data = pickle.dumps(arrs[k], 5, buffer_callback=bufs.append)
        if not bufs:  # datetimes (also inside structured dtypes): NumPy pickles them in band
            continue
        fname = '%s_oob.pkl' % k
        write(fname, data)
        for i, b in enumerate(bufs):
            write('%s.oob%d' % (fname, i), bytes(b.raw()))
        facts[fname] = [dict(fact('', arrs[k]), oob=0)]
    # .npy files, format versions 1.0 to 3.0
    for k in ('i4_2x3', 'i4_2x3_F', 'f8_0d', 'empty_0x3', 'f2', 'U3', 'M8ns', 'struct', 'obj', 'c16',
              'transposed', 'noncontig', 'bool', 'S5', 'f4_4d'):
        for ver in ((1, 0), (2, 0), (3, 0)):
            if ver != (1, 0) and k not in ('i4_2x3', 'struct', 'f4_4d'):
                continue
            fname = '%s_v%d.npy' % (k, ver[0])
            bio = io.BytesIO()
            np.lib.format.write_array(bio, arrs[k], version=ver, allow_pickle=True)
            write(fname, bio.getvalue())
            f = open(os.path.join(OUT, fname), 'rb')
            np.lib.format.read_magic(f)
            hdr = np.lib.format._read_array_header(f, ver)
            off = f.tell()
            f.close()
            back = np.load(os.path.join(OUT, fname), allow_pickle=True)
            fc = fact('', back)
            fc['offset'] = None if back.dtype.hasobject else off
            facts[fname] = [fc]
            del hdr
    # .npz: stored and deflated
    np.savez(os.path.join(OUT, 'small.npz'), a=arrs['i4_2x3'], b=arrs['f2'], c=arrs['struct'])
    facts['small.npz'] = [fact('a', arrs['i4_2x3']), fact('b', arrs['f2']), fact('c', arrs['struct'])]
    np.savez_compressed(os.path.join(OUT, 'small_z.npz'), a=arrs['i4_2x3'])
    facts['small_z.npz'] = [fact('a', arrs['i4_2x3'])]
    with zipfile.ZipFile(os.path.join(OUT, 'small.npz')) as z:
        for info in z.infolist():
            assert info.compress_type == zipfile.ZIP_STORED
    torch_fixtures()
    with open(os.path.join(OUT, 'facts.json'), 'w') as f:
        json.dump({'numpy': np.__version__, 'files': facts}, f, indent=1, sort_keys=True)
        f.write('\n')
    total = sum(os.path.getsize(os.path.join(OUT, n)) for n in os.listdir(OUT))
    print('%d files, %d bytes' % (len(os.listdir(OUT)), total), file=sys.stderr)


if __name__ == '__main__':
    main()
