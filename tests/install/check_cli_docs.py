"""ctest install/cli_docs: the man page, the bash completion and docs/index.md
agree with the command as it is.

  python3 tests/install/check_cli_docs.py PATH_TO_ACAR

The commands are what `acar --help` lists and each command's options what
`acar help COMMAND` lists; the checks:
  docs/acar.1        names every command and documents every option, has no
                     entry for an option the command does not have, and
                     carries the version `acar --version` prints;
  contrib/acar.bash-completion
                     completes the commands, each command's options, the
                     formats after --from / --to (with :VERSION) and
                     --encoding's values, run in bash as bash runs it;
  docs/index.md      every relative link points to a file that exists, and
                     every guide in docs/ is linked.
"""

import os
import re
import shutil
import subprocess
import sys

failures = []


def fail(msg):
    failures.append(msg)
    print("FAIL:", msg)


def help_text(acar, *args):
    return subprocess.run([acar] + list(args), capture_output=True, text=True,
                          timeout=30).stdout


def cli(acar):
    """{command: {option: takes_argument}} from the command's own help."""
    usage = help_text(acar, "--help")
    cmds = []
    m = re.search(r"^commands:\n((?:  .*\n)+)", usage, re.M)
    for line in m.group(1).splitlines():
        cmds.append(line.split()[0])
    table = {}
    for c in cmds:
        if c == "help":
            continue
        opts = {}
        # Every help line that starts with two spaces and a dash is an option.
        for line in help_text(acar, "help", c).splitlines():
            om = re.match(r"  (-[^\s,]+)( [^\s-]\S*)?", line)
            if om:
                opts[om.group(1)] = om.group(2) is not None
        table[c] = opts
    formats = re.search(r"Formats:(.*?)\.", usage.replace("\n", " "))
    names = [f.strip() for f in formats.group(1).split(",")] if formats else []
    return cmds, table, names


# ---- the man page ----

def man_entries(path):
    """The tags of .TP entries, section by section, with troff escapes removed."""
    text = open(path, encoding="utf-8").read()
    lines = text.splitlines()
    version = re.search(r'^\.TH \S+ \S+ "[^"]*" "acar ([^"]+)"', text, re.M)
    entries = {}  # section -> [(tag, subsection)]
    section = sub = None
    for i, line in enumerate(lines):
        if line.startswith(".SH "):
            section = line[4:].strip().strip('"')
            sub = None
        elif line.startswith(".SS "):
            sub = line[4:].strip()
        elif line.startswith(".TP") and i + 1 < len(lines):
            tag = lines[i + 1]
            tag = re.sub(r"\\f[BIRP]", "", tag).replace("\\-", "-")
            tag = re.sub(r"^\.\w+\s*", "", tag)
            entries.setdefault(section, []).append((tag, sub))
    plain = re.sub(r"\\f[BIRP]", "", text).replace("\\-", "-")
    return entries, plain, version.group(1) if version else None


def check_man(acar, cmds, table):
    path = os.path.join("docs", "acar.1")
    entries, plain, version = man_entries(path)
    want_version = help_text(acar, "--version").split()[-1]
    if version != want_version:
        fail("docs/acar.1 is for acar %s, the command says %s" % (version, want_version))
    commands = [t for t, _ in entries.get("COMMANDS", [])]
    for c in cmds:
        if not any(re.match(r"%s\b" % re.escape(c), t) for t in commands):
            fail("docs/acar.1: no entry for the command '%s' under COMMANDS" % c)
        if c != "help" and not re.search(r"^\.B acar %s$" % re.escape(c), plain, re.M):
            fail("docs/acar.1: the command '%s' is not in the SYNOPSIS" % c)
    documented = {}  # option -> the commands of its subsection, "(show, convert)"
    for t, sub in entries.get("OPTIONS", []):
        m = re.search(r"\(([^)]*)\)\s*$", sub or "")
        cmds_of = [c.strip() for c in m.group(1).split(",")] if m else []
        for o in re.findall(r"(?<![\w-])(--?[A-Za-z][\w-]*)", t.split('"')[0]):
            documented[o] = cmds_of
    every = set()
    for c, opts in table.items():
        for o in opts:
            every.add(o)
            if o not in documented:
                fail("docs/acar.1: option %s (acar %s) is not documented under OPTIONS" % (o, c))
    for o in sorted(set(documented) - every):
        # A subsection may document a command this build does not have yet.
        if not documented[o] or any(c in table for c in documented[o]):
            fail("docs/acar.1: documents %s, which no command takes" % o)
    groff = shutil.which("groff")
    if groff:
        r = subprocess.run([groff, "-man", "-Tutf8", "-ww", "-z", path], capture_output=True,
                           text=True)
        if r.returncode != 0 or r.stderr.strip():
            fail("groff warns on docs/acar.1: %s" % r.stderr.strip())


# ---- the bash completion ----

def complete(acar, line, wordbreaks=None):
    """What the completion offers for a command line (cursor at its end)."""
    script = r'''
source contrib/acar.bash-completion
COMP_LINE=$1
COMP_POINT=${#COMP_LINE}
read -ra COMP_WORDS <<<"$COMP_LINE"
[[ $COMP_LINE == *" " ]] && COMP_WORDS+=("")
COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
[[ -n $2 ]] && COMP_WORDBREAKS=$2
_acar
printf '%s\n' "${COMPREPLY[@]}"
'''
    r = subprocess.run(["bash", "-c", script, "bash", acar + " " + line, wordbreaks or ""],
                       capture_output=True, text=True, timeout=30)
    if r.returncode != 0 or r.stderr:
        fail("completing %r: status %d, %s" % (line, r.returncode, r.stderr.strip()))
    return sorted(w for w in r.stdout.split("\n") if w)


def expect(acar, line, want, wordbreaks=None):
    got = complete(acar, line, wordbreaks)
    if got != sorted(want):
        fail("completing %r gives %s, expected %s" % (line, got, sorted(want)))


def check_completion(acar, cmds, table, formats):
    if not shutil.which("bash"):
        print("no bash: completion not checked")
        return
    readable = [f.split()[0] for f in formats if "writing only" not in f]
    writable = [f.split()[0] for f in formats if "reading only" not in f]
    if not readable:
        fail("`acar --help` lists no formats")
    expect(acar, "", cmds + ["--help", "--version"])
    expect(acar, "c", [c for c in cmds if c.startswith("c")])
    expect(acar, "help ", cmds)
    for c, opts in table.items():
        expect(acar, c + " -", list(opts) + ["--help"])
        expect(acar, c + " --", [o for o in opts if o.startswith("--")] + ["--help"])
    if "--from" in table.get("show", {}):
        expect(acar, "show --from ", readable)
        expect(acar, "show x.pkl --quiet --from js", [f for f in readable if f.startswith("js")])
    if "--to" in table.get("convert", {}):
        targets = []
        for f in writable:
            targets.append(f)
            if f in ("pickle", "marshal"):
                targets += ["%s:%d" % (f, v) for v in range(6)]
        expect(acar, "convert in.pkl --to ", targets)
        expect(acar, "convert --to pick", [t for t in targets if t.startswith("pick")])
        # bash splits at ':' and replaces only what follows it.
        expect(acar, "convert --to pickle:", [str(v) for v in range(6)],
               wordbreaks=" \t\n\"'@><=;|&(:")
        expect(acar, "convert --to pickle:", ["pickle:%d" % v for v in range(6)],
               wordbreaks=" \t\n\"'@><=;|&(")
    if "--encoding" in table.get("show", {}):
        expect(acar, "show --encoding l", ["latin1"])
    # An option's value that is a number or a file: nothing (bash lists files).
    if "-o" in table.get("convert", {}):
        expect(acar, "convert -o ", [])
    expect(acar, "show some", [])


# ---- docs/index.md ----

def check_index():
    path = os.path.join("docs", "index.md")
    if not os.path.exists(path):
        fail("no docs/index.md")
        return
    text = open(path, encoding="utf-8").read()
    links = re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", text)
    for link in links:
        if re.match(r"\w+:", link):
            continue
        if not os.path.exists(os.path.normpath(os.path.join("docs", link))):
            fail("docs/index.md links to %s, which does not exist" % link)
    linked = {os.path.normpath(os.path.join("docs", l)) for l in links}
    for name in sorted(os.listdir("docs")):
        p = os.path.join("docs", name)
        if (name.endswith(".md") or name.endswith(".1")) and name != "index.md" and p not in linked:
            fail("docs/%s is not linked from docs/index.md" % name)


def main():
    acar = os.path.abspath(sys.argv[1])
    os.chdir(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
    cmds, table, formats = cli(acar)
    if not cmds or not table:
        fail("could not read the commands from `acar --help`")
        return 1
    check_man(acar, cmds, table)
    check_completion(acar, cmds, table, formats)
    check_index()
    print("%d commands, %d options: %d failures"
          % (len(cmds), len({o for t in table.values() for o in t}), len(failures)))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
