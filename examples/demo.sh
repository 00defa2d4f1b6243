#!/bin/sh
# The quick-start job: show every bundled example and convert each between
# pickle protocols, checking that the value survives.  Usage: demo.sh ACAR
set -e
acar=${1:-acar}
here=$(dirname "$0")
tmp=${TMPDIR:-/tmp}/acar-demo.$$
trap 'rm -f "$tmp"' EXIT
for f in "$here"/*.pkl; do
    echo "== $f"
    "$acar" show "$f"
    "$acar" convert "$f" --to pickle:2 -o "$tmp"
    if [ "$("$acar" show "$tmp")" != "$("$acar" show "$f")" ]; then
        echo "demo: $f changed on its way through protocol 2" >&2
        exit 1
    fi
    echo "   (converted to protocol 2 and back: same value)"
done
