#!/usr/bin/env python3
"""memory_models.py -- what document layout could hold a pickle in 3x its size.

The pickle benchmark's memory target is a document of at most 3 times the
pickle's size, for every JSON file in ../shared/bench-data/json pickled at
protocols 2, 4 and 5.  This script counts the values of each such pickle
(with CPython: json.load, then pickle.dumps) and prints the least memory
five layouts could take, over the pickle's size, with no arena slack and
no per-allocation overhead at all:

  nodes   acar's model: a 16-byte node per value (None, True and False
          shared; a dict's keys, which json.load memoizes and the pickle
          writes once, counted once), 8 bytes per list item (a pointer),
          16 per dict pair (two), and the bytes of every str.  bench_pickle's
          "model floor" column is this number.
  inline  16-byte values stored in their containers: a 16-byte header per
          list or dict, 16 bytes per list item and 32 per dict pair (key and
          value inline), a str's bytes plus an 8-byte length.
  boxed   8-byte values in their containers (a double as is, anything else
          NaN-boxed: the most compact fixed-width layout), a 16-byte header
          per list or dict, 8 per item, 16 per pair, a str's bytes plus 8.
  shared  nodes, but dicts with the same keys in the same order share one
          table of them (as CPython's split-key dicts do): a dict holds 8
          bytes per value and 8 for its table's address; a table takes 16
          and 8 per key.  And a list of numbers only (no bool) holds them
          in place, 16 bytes each, with no node of their own.
  boxed+shared  boxed, with shared's key tables: a dict takes 16, 8 per
          value; a table 16 and 8 per key.

With --driver PATH/TO/bench_pickle it also reads each pickle once with
acar (`bench_pickle --only read`) and adds the memory its document took
(acar_doc_memory through a counting allocator: every byte of the arena,
slack included), over the pickle's size: the column *acar*.

Usage: python3 bench/memory_models.py [--data DIR] [--driver BENCH_PICKLE] [--out BENCHMARKS.md]
(--out writes the section "pickle-memory" of that file; see report.py).
"""
import argparse
import collections
import glob
import json
import os
import pickle
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import report  # noqa: E402

TARGET = 3.0


def count(obj):
    """Counts of the values in obj, walked once; shared containers and keys
    (json.load memoizes keys) once."""
    c = collections.Counter()
    seen = set()
    tables = set()
    stack = [obj]
    while stack:
        x = stack.pop()
        if isinstance(x, (dict, list)):
            if id(x) in seen:
                continue
            seen.add(id(x))
        if isinstance(x, dict):
            c['dicts'] += 1
            c['pairs'] += len(x)
            keys = tuple(x)
            if keys not in tables:
                tables.add(keys)
                c['tables'] += 1
                c['table_keys'] += len(keys)
            for k, v in x.items():
                if id(k) not in seen:
                    seen.add(id(k))
                    c['strs'] += 1
                    c['str_bytes'] += len(k.encode('utf-8', 'surrogatepass'))
                stack.append(v)
        elif isinstance(x, list):
            c['lists'] += 1
            c['items'] += len(x)
            if x and all(isinstance(y, (int, float)) and not isinstance(y, bool) for y in x):
                # held in place by "shared": not nodes, not pointers
                c['inline_numbers'] += len(x)
                c['inline_number_nodes'] += sum(1 for y in x if not number_is_shared(y))
            stack.extend(x)
        elif isinstance(x, str):
            c['strs'] += 1
            c['str_bytes'] += len(x.encode('utf-8', 'surrogatepass'))
        elif x is None or isinstance(x, bool):
            pass  # one shared node each
        elif isinstance(x, (int, float)) and not number_is_shared(x):
            c['numbers'] += 1
    return c


def number_is_shared(x):
    """Ints 0-255: the pickle reader makes one node for each (BININT1)."""
    return isinstance(x, int) and 0 <= x <= 255


def layouts(c):
    containers = c['lists'] + c['dicts']
    nodes = 16 * (containers + c['numbers'] + c['strs']) + 8 * c['items'] + 16 * c['pairs'] + c['str_bytes']
    inline = 16 * containers + 16 * c['items'] + 32 * c['pairs'] + c['str_bytes'] + 8 * c['strs']
    boxed = 16 * containers + 8 * c['items'] + 16 * c['pairs'] + c['str_bytes'] + 8 * c['strs']
    tables = 16 * c['tables'] + 8 * c['table_keys']
    shared = (nodes - 16 * c['pairs'] + 16 * c['dicts'] - 8 * c['dicts'] + 8 * c['pairs'] + tables
              - 16 * c['inline_number_nodes'] + 8 * c['inline_numbers'])
    boxed_shared = boxed - 16 * c['pairs'] + 8 * c['pairs'] + tables
    return nodes, inline, boxed, shared, boxed_shared


def acar_memory(driver, data):
    """acar_doc_memory after bench_pickle reads data once."""
    with tempfile.NamedTemporaryFile(suffix='.pickle') as f:
        f.write(data)
        f.flush()
        out = subprocess.run([driver, '--only', 'read', '--repeat', '1', '--min-time', '0', f.name],
                             stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, check=True).stdout
    for line in out.splitlines():
        row = json.loads(line)
        if 'doc_memory' in row:
            return row['doc_memory']
    raise RuntimeError('no doc_memory from %s' % driver)


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('--data', default=os.path.join(here, '..', '..', 'shared', 'bench-data', 'json'))
    ap.add_argument('--out', help='write the section "pickle-memory" of this markdown file')
    ap.add_argument('--driver', help='bench_pickle, to add the memory acar\'s document takes')
    a = ap.parse_args()
    names = ('nodes', 'inline', 'boxed', 'shared', 'boxed+shared') + (('acar',) if a.driver else ())
    within = collections.Counter()
    rows = []
    for path in sorted(glob.glob(os.path.join(a.data, '*.json'))):
        with open(path, encoding='utf-8') as f:
            obj = json.load(f)
        c = count(obj)
        for proto in (2, 4, 5):
            data = pickle.dumps(obj, protocol=proto)
            size = len(data)
            ratios = [m / size for m in layouts(c)]
            if a.driver:
                ratios.append(acar_memory(a.driver, data) / size)
            rows.append((os.path.basename(path)[:-5], proto, size, ratios))
            for n, r in zip(names, ratios):
                within[n] += r <= TARGET
    print('%-34s %5s %9s' % ('input', 'proto', 'bytes') + ''.join(' %12s' % n for n in names))
    for name, proto, size, ratios in rows:
        print('%-34s %5d %9d' % (name, proto, size) + ''.join(' %12.2f' % x for x in ratios))
    summary = ', '.join('%s %d' % (n, within[n]) for n in names)
    print('at most %gx the pickle, of %d inputs: %s' % (TARGET, len(rows), summary))
    if a.out:
        over = [r for r in rows if r[3][0] > TARGET or (a.driver and r[3][-1] > TARGET)]
        command = 'python3 bench/memory_models.py%s --out BENCHMARKS.md' % (
            ' --driver build/bench/release/bench/bench_pickle' if a.driver else '')
        measured = ''
        if a.driver:
            head = subprocess.run(['git', '-C', here, 'rev-parse', '--short', 'HEAD'], stdout=subprocess.PIPE,
                                  text=True).stdout.strip()
            measured = (' *acar* is what acar\'s document took after one read of the pickle, slack included '
                        '(acar_doc_memory through a counting allocator, from bench_pickle; library of commit '
                        '%s): the pickle section\'s *doc mem*, from a run of its own with no timing in it.'
                        % head)
        text = ['## Pickle document memory: the least any layout could take', '',
                'Command: `%s` (the script says how it counts). '
                'The least memory five document layouts could take for each JSON-derived pickle of the '
                'pickle benchmark, over the pickle\'s size, with no arena slack and no header beyond the '
                'ones named: *nodes* is acar\'s (a 16-byte node per value, ints 0-255 shared, 8 bytes per '
                'list item, 16 per dict pair, the str bytes: about the pickle section\'s *model floor*), '
                '*inline* keeps 16-byte values in their containers, *boxed* keeps 8-byte values in them '
                '(doubles as they are, the rest NaN-boxed: the most compact fixed-width value there is), '
                '*shared* is *nodes* with one table of keys for all the dicts with the same keys in the same '
                'order (as CPython\'s split-key dicts), a dict holding 8 bytes per value, and lists of numbers '
                'holding them in place, and *boxed+shared* is *boxed* with those key tables.%s' % (command, measured), '',
                'At most %gx the pickle, of the %d inputs: %s.' % (TARGET, len(rows), summary), '',
                'Above %gx with acar\'s nodes%s (%d inputs):' % (TARGET, ' or document' if a.driver else '', len(over)), '',
                '| input | protocol | pickle bytes | ' + ' | '.join(names) + ' |',
                '|---|---:|---:|' + '---:|' * len(names)]
        for name, proto, size, ratios in over:
            text.append('| %s | %d | %d | ' % (name, proto, size) + ' | '.join('%.2f' % x for x in ratios) + ' |')
        text += ['', 'By pickletools, these pickles are mostly keys met before (BINGET, 2 bytes, or '
                 'LONG_BINGET, 5: 19-50%% of their bytes), small ints (BININT1, 2 bytes; BININT, 5), small '
                 'dicts (EMPTY_DICT and MEMOIZE, a byte each) and floats (BINFLOAT, 9 bytes). One 16-byte node '
                 'per value, and 16 bytes per dict pair, cannot hold them in 3x; neither layout change alone '
                 'does (boxed values, or shared key tables). Both together do, on all %d inputs: 8-byte values '
                 'in their containers and one table of keys per dict shape. acar\'s documents have the shared '
                 'key tables (its pickle reader makes dicts of one shape share one: docs/value-model.md), so their '
                 'dict pairs take 8 bytes and their indexes are shared, and equal numbers share one node (ints '
                 'past 255 and floats that a cache of the last ones made still holds), which puts many below '
                 'the *nodes* floor. Those still above 3x are pickles of short strings (the Google Maps files, '
                 'tree-pretty: besides its text, a str takes a 16-byte node and an 8-byte pointer where the '
                 'pickle spends 3 bytes, SHORT_BINUNICODE and its length and MEMOIZE) or of '
                 'floats that seldom repeat (canada); what they lack is the 8-byte values, which would change '
                 'what a value is for every reader, writer and the public API (values are addressed as 16-byte '
                 'nodes).' % len(rows)]
        report.write_section(a.out, 'pickle-memory', '\n'.join(text))


if __name__ == '__main__':
    main()
