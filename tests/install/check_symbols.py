"""ctest install/exported_symbols: what the shared library exports.

  python3 check_symbols.py LIBACAR_SO LIBACAR_A ACAR_H NM [READELF]

Fails when the shared library exports a symbol that is not an acar_
function declared with ACAR_API in acar.h (internal acar__ helpers, the
C library's or a dependency's symbols, a public-looking name the header
does not declare), when a declared function is not exported (a program
using it would not link), when the SONAME is not libacar.so.MAJOR, or when
the static library defines a global symbol outside the acar_ namespace (it
would clash with a name in the program that links it).
"""

import os
import re
import subprocess
import sys


def declared(header):
    text = open(header, encoding="utf-8").read()
    text = re.sub(r"/\*.*?\*/", " ", text, flags=re.S)
    return set(re.findall(r"\bACAR_API\b[^;{]*?\b(acar_\w+)\s*\(", text))


def exported(lib, nm):
    out = subprocess.run([nm, "-D", "--defined-only", lib], capture_output=True, text=True,
                         check=True).stdout
    syms = {}
    for line in out.splitlines():
        parts = line.split()
        if len(parts) >= 3:
            syms[parts[2].split("@")[0]] = parts[1]
    return syms


def main():
    lib, static, header, nm = sys.argv[1:5]
    readelf = sys.argv[5] if len(sys.argv) > 5 and sys.argv[5] else None
    problems = []

    out = subprocess.run([nm, "-g", "--defined-only", static], capture_output=True, text=True,
                         check=True).stdout
    for line in out.splitlines():
        parts = line.split()
        # AddressSanitizer adds an __odr_asan.NAME beside each global NAME.
        if len(parts) == 3 and not parts[2].replace("__odr_asan.", "").startswith("acar_"):
            problems.append("libacar.a defines %s (%s) outside the acar_ namespace"
                            % (parts[2], parts[1]))

    syms = exported(lib, nm)
    decl = declared(header)
    if not decl:
        problems.append("no ACAR_API declarations found in %s" % header)
    for name, kind in sorted(syms.items()):
        if not name.startswith("acar_") or name.startswith("acar__"):
            problems.append("exports %s (%s), not part of the API" % (name, kind))
        elif name not in decl:
            problems.append("exports %s, which acar.h does not declare" % name)
    for name in sorted(decl - set(syms)):
        problems.append("acar.h declares %s but the library does not export it" % name)

    m = re.search(r"#define ACAR_VERSION_MAJOR (\d+)", open(header, encoding="utf-8").read())
    want = "libacar.so.%s" % m.group(1)
    if readelf:
        dyn = subprocess.run([readelf, "-d", lib], capture_output=True, text=True,
                             check=True).stdout
        soname = re.search(r"\(SONAME\)\s+Library soname: \[(.*)\]", dyn)
        if not soname:
            problems.append("no SONAME")
        elif soname.group(1) != want:
            problems.append("SONAME %s, expected %s" % (soname.group(1), want))
    real = os.path.basename(os.path.realpath(lib))
    if not real.startswith(want + "."):
        problems.append("the library file is %s, expected %s.MINOR.PATCH" % (real, want))

    for p in problems:
        print("FAIL:", p)
    print("%d symbols exported, %d declared, %d problems" % (len(syms), len(decl), len(problems)))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
