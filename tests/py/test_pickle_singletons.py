"""Objects CPython has exactly one of: acar must write them back shared.

CPython has one empty bytes object and one empty str, so however often a
value holds them, its pickler writes them once and then a GET.  A pickle
written by another tool (or by hand) may spell them out twice;
`pickle.dumps(pickle.loads(p), N)` shares them, and so must acar's
`convert --to pickle:N`, byte for byte, for every protocol N.  One-byte
bytes read as data stay apart, as CPython's unpickler makes separate
objects of them (one-character str it shares, but acar writes back what it
read: a pickle CPython wrote never spells a shared object out twice); the
one-byte bytes acar's NumPy writer marks as CPython's shared one are
covered by the tensor tests.

Usage: python3 test_pickle_singletons.py PATH/TO/acar [TOOLS_DIR]
"""

import pickle
import subprocess
import sys

CASES = {
    # two separate empty bytes (SHORT_BINBYTES)
    "empty-bytes-twice": b"\x80\x03](C\x00C\x00e.",
    # builtins.bytes() twice: the empty bytes
    "bytes-call-twice": b"\x80\x02](c__builtin__\nbytes\n)Rc__builtin__\nbytes\n)Re.",
    # empty str twice (BINUNICODE, SHORT_BINUNICODE, protocol 0 UNICODE)
    "empty-str-twice": b"\x80\x03](X\x00\x00\x00\x00X\x00\x00\x00\x00e.",
    "empty-short-str-twice": b"\x80\x04](\x8c\x00\x8c\x00e.",
    "empty-str-proto0": b"(lp0\nV\nag0\naV\na.",
    # one-byte bytes read as data: kept apart, as CPython's unpickler does
    "one-byte-bytes-twice": b"\x80\x03](C\x01aC\x01ae.",
}


def main():
    if len(sys.argv) < 2:
        raise SystemExit("usage: test_pickle_singletons.py ACAR [TOOLS_DIR]")
    acar = sys.argv[1]
    failed = checked = 0
    for name, data in CASES.items():
        value = pickle.loads(data)
        for proto in range(6):
            want = pickle.dumps(value, proto)
            got = subprocess.run([acar, "convert", "--to", "pickle:%d" % proto, "-"],
                                 input=data, capture_output=True)
            checked += 1
            if got.returncode != 0 or got.stdout != want:
                failed += 1
                print("FAIL %s protocol %d: exit %d\n  want %r\n  got  %r\n  %s"
                      % (name, proto, got.returncode, want, got.stdout,
                         got.stderr.decode(errors="replace").strip()))
    print("pickle singletons: %d cases, %d failed" % (checked, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
