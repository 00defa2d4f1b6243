#!/bin/sh
# ab.sh -- is build B of libacar faster than build A at reading (or, with
# --write, writing) JSON?  Both run in one process, in turns (bench_ab.c).
#
#   bench/ab.sh [--write | --write-default] [--rounds N] A/libacar.a B/libacar.a FILE...
#
# --write: the compact form (',' ':', UTF-8 kept); --write-default:
# json.dumps' default form (bench_ab.c).
#
# Where a function lands moves the time of code that did not change: with
# two identical builds, the one linked second read some files 1-7% faster.
# So the pair is linked twice, A first and B first, and the ratio printed
# is the geometric mean of the two runs' medians: sqrt(r1 / r2), where r1
# is B/A with A linked first and r2 is A/B with B linked first.  Then, over
# all files, the geometric mean.  Two identical builds gave 0.97-1.05 per
# file this way and 0.99-1.01 over the 21 files of the JSON benchmark, in
# four runs: a change to one file's time smaller than 5%, or to all of
# them smaller than 1%, is not seen by one run.  Needs cc, ld and objcopy (binutils); libacar's own
# dependencies are linked from the system (-lexpat -lz -lm).
set -eu
mode=""
rounds=31
while [ $# -gt 0 ]; do
    case "$1" in
    --write) mode=--write; shift ;;
    --write-default) mode=--write-default; shift ;;
    --rounds) rounds=$2; shift 2 ;;
    *) break ;;
    esac
done
if [ $# -lt 3 ]; then
    echo "usage: bench/ab.sh [--write | --write-default] [--rounds N] A/libacar.a B/libacar.a FILE..." >&2
    exit 2
fi
liba=$1
libb=$2
shift 2
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
syms="acar_doc_new acar_doc_free acar_doc_reset acar_read acar_write acar_buf_free"
# side LIB PREFIX: LIB as one object, its symbols local but syms, renamed PREFIX_*
side() {
    ld -r --whole-archive "$1" -o "$tmp/$2.r.o"
    keep=""
    ren=""
    for s in $syms; do
        keep="$keep --keep-global-symbol=$s"
        ren="$ren --redefine-sym $s=$2_$s"
    done
    objcopy $keep "$tmp/$2.r.o" "$tmp/$2.k.o"
    objcopy $ren "$tmp/$2.k.o" "$tmp/$2.o"
}
build() { # build OUT LIB_LINKED_AS_A LIB_LINKED_AS_B
    side "$2" A
    side "$3" B
    ${CC:-cc} -O2 -I"$here/../include" "$here/bench_ab.c" "$tmp/A.o" "$tmp/B.o" -lexpat -lz -lm -o "$1"
}
build "$tmp/ab1" "$liba" "$libb"
build "$tmp/ab2" "$libb" "$liba"
"$tmp/ab1" $mode "$rounds" "$@" > "$tmp/r1"
"$tmp/ab2" $mode "$rounds" "$@" > "$tmp/r2"
echo "file  B/A (< 1: B faster)  [B/A with A first, A/B with B first]"
paste -d ' ' "$tmp/r1" "$tmp/r2" | awk '{ r = sqrt($2 / $6); s += log(r); n++;
    printf "%-40s %.3f  [%.3f %.3f]\n", $1, r, $2, $6 }
    END { if (n) printf "geometric mean over %d files: %.3f\n", n, exp(s / n) }'
