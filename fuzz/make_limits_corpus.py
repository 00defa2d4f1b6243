#!/usr/bin/env python3
"""Writes fuzz/corpus/limits/: seeds for fuzz_limits, made from the other
targets' committed corpora (each file prefixed with the format byte, the
allocation to fail and max_ops, as fuzz_limits.c reads them).

    python3 fuzz/make_limits_corpus.py
"""
import hashlib
import os
import random

HERE = os.path.dirname(os.path.abspath(__file__))
# the order of formats[] in fuzz_limits.c
SOURCES = [(0, 'pickle'), (1, 'marshal'), (2, 'json'), (4, 'xml'), (6, 'bplist')]


def main():
    out = os.path.join(HERE, 'corpus', 'limits')
    os.makedirs(out, exist_ok=True)
    rng = random.Random(6)
    for fmt, name in SOURCES:
        d = os.path.join(HERE, 'corpus', name)
        files = sorted(f for f in os.listdir(d) if os.path.getsize(os.path.join(d, f)) <= 2048)
        for f in rng.sample(files, min(12, len(files))):
            data = open(os.path.join(d, f), 'rb').read()
            if name == 'xml' and b'<plist' in data[:200]:
                fmt_byte = 5
            else:
                fmt_byte = fmt
            fail_at = rng.randrange(0, 40)
            seed = bytes([fmt_byte, fail_at & 255, fail_at >> 8, rng.randrange(1, 60)]) + data
            h = hashlib.sha1(seed).hexdigest()[:12]
            with open(os.path.join(out, 'seed-%s-%s' % (name, h)), 'wb') as g:
                g.write(seed)


if __name__ == '__main__':
    main()
