"""Writes src/marshal/opcode_tables.c: the bytecode of every Python acar reads.

    python3 tools/gen_opcode_tables.py            # regenerate the file
    python3 tools/gen_opcode_tables.py --check    # exit 1 if it is not current

For each Python X.Y of 2.7 and 3.6-3.13 under `pyenv root`, this script
runs itself under that Python (with --emit, which prints JSON) and reads
that version's own `opcode` and `dis` modules: the name dis shows for each
opcode byte 0..255, whether it takes an argument, its inline cache entries,
what its argument means (the branch of that version's dis that renders it)
and the tables dis renders arguments with (cmp_op, binary operators,
intrinsics, FORMAT_VALUE converters, MAKE_FUNCTION flags).  The C file is
a function of those facts alone, so the same Pythons give the same bytes.

--check regenerates in memory and compares with the committed file; it
exits 0 (and says so) when a Python the file was made from is missing or
is another patch release, since the file is only comparable with the same
Pythons.

The --emit part runs under Python 2.7 too: keep it 2.7-compatible.
"""
import json
import os
import subprocess
import sys

VERSIONS = ["2.7", "3.6", "3.7", "3.8", "3.9", "3.10", "3.11", "3.12", "3.13"]
HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
OUT = os.path.join(ROOT, "src", "marshal", "opcode_tables.c")

# Argument kinds: the branch of the version's dis that renders the argument
# (bytecode.h has the same list).
KINDS = ["NONE", "CONST", "NAME", "NAME_GLOBAL", "NAME_ATTR", "NAME_SUPER", "JABS", "JREL",
         "LOCAL", "FREE", "COMPARE", "FORMAT_VALUE", "MAKE_FUNCTION", "BINARY_OP",
         "INTRINSIC_1", "INTRINSIC_2", "CONVERT_VALUE", "SET_FUNCTION_ATTRIBUTE", "LOCAL_PAIR"]


def emit():
    import dis
    V = sys.version_info[:2]
    names = list(getattr(dis, "_all_opname", dis.opname))[:256]
    deopt = getattr(dis, "_deoptop", lambda op: op)

    def has_arg(op):
        if hasattr(dis, "hasarg"):
            return op in dis.hasarg
        return op >= dis.HAVE_ARGUMENT

    def caches(op):
        if hasattr(dis, "_get_cache_size"):
            return dis._get_cache_size(dis._all_opname[op])
        if hasattr(dis, "_inline_cache_entries"):
            return dis._inline_cache_entries[op]
        return 0

    def backward(op):
        if hasattr(dis, "_is_backward_jump"):
            return bool(dis._is_backward_jump(op))
        return False

    opmap = dis.opmap
    special = {}
    for name, kind in [("LOAD_GLOBAL", "NAME_GLOBAL"), ("LOAD_ATTR", "NAME_ATTR"),
                       ("LOAD_SUPER_ATTR", "NAME_SUPER"), ("FORMAT_VALUE", "FORMAT_VALUE"),
                       ("MAKE_FUNCTION", "MAKE_FUNCTION"), ("BINARY_OP", "BINARY_OP"),
                       ("CALL_INTRINSIC_1", "INTRINSIC_1"), ("CALL_INTRINSIC_2", "INTRINSIC_2"),
                       ("CONVERT_VALUE", "CONVERT_VALUE"),
                       ("SET_FUNCTION_ATTRIBUTE", "SET_FUNCTION_ATTRIBUTE"),
                       ("LOAD_FAST_LOAD_FAST", "LOCAL_PAIR"), ("STORE_FAST_LOAD_FAST", "LOCAL_PAIR"),
                       ("STORE_FAST_STORE_FAST", "LOCAL_PAIR")]:
        if name in opmap:
            special[opmap[name]] = kind

    # The elif chain of each version's dis (_get_instructions_bytes; in 3.13
    # ArgResolver.get_argval_argrepr), on the base opcode.
    def kind_of(op):
        if not has_arg(op):
            return "NONE"
        sp = special.get(op)
        if op in dis.hasconst:
            # 3.11's _get_const_value looks up LOAD_CONST's constant alone
            if V == (3, 11) and op != dis.opmap["LOAD_CONST"]:
                return "NONE"
            return "CONST"
        if op in dis.hasname:
            if V >= (3, 11) and sp == "NAME_GLOBAL":
                return sp
            if V >= (3, 12) and sp in ("NAME_ATTR", "NAME_SUPER"):
                return sp
            return "NAME"
        if V >= (3, 13):
            if op in dis.hasjump or op in dis.hasexc:
                return "JREL"
            if sp == "LOCAL_PAIR":
                return sp
            if op in dis.haslocal or op in dis.hasfree:
                return "LOCAL"
            if op in dis.hascompare:
                return "COMPARE"
            if sp in ("CONVERT_VALUE", "SET_FUNCTION_ATTRIBUTE", "BINARY_OP", "INTRINSIC_1", "INTRINSIC_2"):
                return sp
            return "NONE"
        if V >= (3, 10) and op in dis.hasjabs:
            return "JABS"
        if op in dis.hasjrel:
            return "JREL"
        if V >= (3, 11):
            if op in dis.haslocal or op in dis.hasfree:
                return "LOCAL"
            if op in dis.hascompare:
                return "COMPARE"
        else:
            if op in dis.haslocal:
                return "LOCAL"
            if op in dis.hascompare:
                return "COMPARE"
            if op in dis.hasfree:
                return "FREE"
        if sp == "FORMAT_VALUE" and V >= (3, 6):
            return sp
        if sp == "MAKE_FUNCTION" and hasattr(dis, "MAKE_FUNCTION_FLAGS"):
            return sp
        if sp == "BINARY_OP" and hasattr(dis, "_nb_ops"):
            return sp
        if sp in ("INTRINSIC_1", "INTRINSIC_2") and hasattr(dis, "_intrinsic_1_descs"):
            return sp
        return "NONE"

    ops = []
    for op in range(256):
        d = deopt(op)
        flags = []
        if has_arg(d):
            flags.append("ARG")
        if d == dis.EXTENDED_ARG:
            flags.append("EXT")
        # findlabels: relative and absolute jumps give labels in every version
        if d in dis.hasjrel:
            flags.append("JREL")
        if d in dis.hasjabs:
            flags.append("JABS")
        if backward(d):
            flags.append("BACK")
        ops.append([names[op], kind_of(d), flags, caches(d) if V >= (3, 11) else 0])

    info = {
        "version": "%d.%d.%d" % sys.version_info[:3],
        "pyver": [V[0], V[1]],
        "ops": ops,
        "extended_arg": dis.EXTENDED_ARG,
        "have_argument": dis.HAVE_ARGUMENT,
        "cmp_op": list(dis.cmp_op),
        "nb_ops": [s for _, s in getattr(dis, "_nb_ops", [])],
        "intrinsic_1": list(getattr(dis, "_intrinsic_1_descs", [])),
        "intrinsic_2": list(getattr(dis, "_intrinsic_2_descs", [])),
        "format_value": [r for _, r in getattr(dis, "FORMAT_VALUE_CONVERTERS", [])]
        or (["", "str", "repr", "ascii"] if V >= (3, 6) else []),
        "function_flags": list(getattr(dis, "MAKE_FUNCTION_FLAGS", getattr(dis, "FUNCTION_ATTR_FLAGS", []))),
    }
    sys.stdout.write(json.dumps(info, sort_keys=True))


def c_str(s):
    out = '"'
    for ch in s:
        if ch in '"\\':
            out += "\\" + ch
        elif 32 <= ord(ch) < 127:
            out += ch
        else:
            raise ValueError("non-ASCII name %r" % s)
    return out + '"'


def str_array(name, items):
    if not items:
        return ""
    lines = ["static const char *const %s[%d] = {" % (name, len(items))]
    row = "   "
    for it in items:
        piece = " " + c_str(it) + ","
        if len(row) + len(piece) > 96:
            lines.append(row)
            row = "   "
        row += piece
    lines.append(row)
    lines.append("};")
    return "\n".join(lines) + "\n"


def render(infos):
    out = []
    out.append("/*\n * opcode_tables.c -- the bytecode of each Python acar disassembles.\n *\n"
               " * GENERATED by tools/gen_opcode_tables.py from the opcode and dis modules of\n"
               " * " + ", ".join("Python " + i["version"] for i in infos) + ".\n"
               " * Do not edit: run the script (under pyenv) again.\n *\n"
               " * Per version: for each opcode byte, the name that version's dis shows,\n"
               " * the kind of its argument (the branch of dis that renders it; for a\n"
               " * specialised opcode, its base opcode's), flags (takes an argument,\n"
               " * EXTENDED_ARG, relative / absolute / backward jump) and inline cache\n"
               " * entries; then the name tables dis renders arguments with.\n */\n")
    out.append('#include "marshal/bytecode.h"\n')
    for info in infos:
        tag = "%d_%d" % tuple(info["pyver"])
        out.append("\n/* ---- Python %s ---- */\n\n" % info["version"])
        out.append("static const acar_opinfo ops_%s[256] = {\n" % tag)
        for op, (name, kind, flags, caches) in enumerate(info["ops"]):
            assert kind in KINDS, kind
            fl = " | ".join("ACAR_OPF_" + f for f in flags) or "0"
            out.append("    {%s, ACAR_OPK_%s, %s, %d}, /* %d */\n" % (c_str(name), kind, fl, caches, op))
        out.append("};\n")
        for key in ["cmp_op", "nb_ops", "intrinsic_1", "intrinsic_2", "format_value", "function_flags"]:
            out.append(str_array("%s_%s" % (key, tag), info[key]))
    out.append("\nconst acar_opset acar__opsets[] = {\n")
    for info in infos:
        tag = "%d_%d" % tuple(info["pyver"])
        fields = ["ACAR_PYVER(%d, %d)" % tuple(info["pyver"]), "ops_%s" % tag,
                  str(info["extended_arg"]), str(info["have_argument"])]
        for key in ["cmp_op", "nb_ops", "intrinsic_1", "intrinsic_2", "format_value", "function_flags"]:
            if info[key]:
                fields += ["%s_%s" % (key, tag), str(len(info[key]))]
            else:
                fields += ["NULL", "0"]
        out.append("    {%s},\n" % ", ".join(fields))
    out.append("};\n\nconst size_t acar__opset_count = sizeof acar__opsets / sizeof *acar__opsets;\n")
    return "".join(out)


def pythons():
    root = subprocess.check_output(["pyenv", "root"]).decode().strip()
    installed = sorted(os.listdir(os.path.join(root, "versions")))
    found = []
    for v in VERSIONS:
        full = [x for x in installed if x.startswith(v + ".") and x[len(v) + 1:].isdigit()]
        if full:
            full.sort(key=lambda x: int(x.rsplit(".", 1)[1]))
            found.append((v, full[-1], os.path.join(root, "versions", full[-1], "bin", "python")))
    return found


def committed_versions():
    """The X.Y.Z the committed file was made from, or None."""
    try:
        with open(OUT) as f:
            head = f.read(2000)
    except IOError:
        return None
    import re
    return re.findall(r"Python (\d+\.\d+\.\d+)", head.split("*/")[0])


def main():
    if "--emit" in sys.argv[1:]:
        emit()
        return 0
    check = "--check" in sys.argv[1:]
    try:
        found = pythons()
    except (OSError, subprocess.CalledProcessError):
        found = []
    if check:
        want = committed_versions()
        have = [full for _, full, _ in found]
        if want is None or have != want:
            print("opcode tables: made from %s, pyenv has %s: not comparable, skipped" % (want, have))
            return 0
    if len(found) != len(VERSIONS):
        print("need every Python of %s under pyenv; found %s" % (VERSIONS, [f for _, f, _ in found]))
        return 1
    infos = []
    for v, full, py in found:
        data = subprocess.check_output([py, os.path.abspath(__file__), "--emit"])
        infos.append(json.loads(data.decode()))
    text = render(infos)
    if check:
        with open(OUT) as f:
            same = f.read() == text
        print("opcode tables: %s" % ("current" if same else "NOT current: run tools/gen_opcode_tables.py"))
        return 0 if same else 1
    with open(OUT, "w") as f:
        f.write(text)
    print("wrote %s (%s)" % (os.path.relpath(OUT, ROOT), ", ".join(full for _, full, _ in found)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
