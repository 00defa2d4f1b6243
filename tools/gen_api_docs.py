#!/usr/bin/env python3
"""Makes docs/api.md, the API reference, from the comments of include/acar.h.

  python3 tools/gen_api_docs.py           rewrite docs/api.md
  python3 tools/gen_api_docs.py --check   exit 1 when docs/api.md is stale (a ctest)

How the header is read:
  - the comment that opens the file is the introduction;
  - a banner comment (a line of '=' above and below a title) starts a section;
  - a comment whose first line is '---- title ----' starts a subsection, the
    rest of it is the subsection's text;
  - any other comment that starts a line is the documentation of the code
    lines right under it (up to a blank line or the next such comment):
    the code is shown, then the comment;
  - code with no comment above is shown as it is (indented comments and
    comments at the end of a line are part of the code).
The include guard, the includes, extern "C" and the ACAR_API definition are
left out, and so is the ACAR_API in front of each declaration.
"""

import difflib
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
HEADER = os.path.join(ROOT, "include", "acar.h")
OUTPUT = os.path.join(ROOT, "docs", "api.md")

API = "ACAR_API "


def comment_text(lines):
    """The text of a /* ... */ comment, without its frame."""
    out = []
    for i, line in enumerate(lines):
        s = line.strip()
        if i == 0:
            s = s[2:].lstrip()
        if s.endswith("*/"):
            s = s[:-2]
        s = s.rstrip()
        if i > 0 and s.startswith("*"):
            s = s[1:]
            if s.startswith(" "):
                s = s[1:]
        out.append(s.rstrip())
    while out and not out[0].strip():
        out.pop(0)
    while out and not out[-1].strip():
        out.pop()
    # Keep relative indentation; drop the common one.
    return "\n".join(out)


IDENT = re.compile(r"(?<![`\w])(\*?(?:acar_|ACAR_)\w+(?:(?:\.|->)\w+)*(?:\(\)|\*+)?|\*[a-z_]+\b(?!\*))")


def prose(text):
    """A comment as Markdown: C names in code spans, paragraphs kept."""
    paras, cur = [], []
    for line in text.split("\n"):
        if not line.strip():
            if cur:
                paras.append(cur)
                cur = []
            continue
        cur.append(line)
    if cur:
        paras.append(cur)
    out = []
    for p in paras:
        if all(l.startswith("  ") for l in p):
            # An indented block in a comment is an example: keep it verbatim.
            out.append("```\n" + "\n".join(l[2:] for l in p) + "\n```")
        else:
            out.append(IDENT.sub(lambda m: "`%s`" % m.group(1), " ".join(l.strip() for l in p)))
    return "\n\n".join(out)


def strip_api(code_lines):
    """Drops ACAR_API and moves continuation lines left by as much."""
    out, shift = [], 0
    for line in code_lines:
        if line.startswith(API):
            out.append(line[len(API):])
            shift = len(API)
        elif shift and line.startswith(" " * shift) and out:
            out.append(line[shift:])
        else:
            out.append(line)
            shift = 0 if not line.startswith(" ") else shift
    return out


def declared_names(code_lines):
    text = "\n".join(code_lines)
    names = re.findall(r"\b(acar_\w+)\s*\(", re.sub(r"/\*.*?\*/", "", text, flags=re.S))
    # Function pointer typedefs are named (*acar_x_fn): not functions.
    return [n for n in names if not re.search(r"\(\s*\*\s*%s\b" % n, text)]


def parse(header_text):
    lines = header_text.split("\n")
    i, n = 0, len(lines)
    intro = None
    items = []  # ("h2", title) ("h3", title, text) ("entry", code, text) ("text", text)

    # Infrastructure lines: guard, includes, extern "C", the ACAR_API macro.
    skip = set()
    for k, line in enumerate(lines):
        s = line.strip()
        if s.startswith(("#ifndef ACAR_H", "#define ACAR_H", "#include", "#endif /* ACAR_H")):
            skip.add(k)
    # #if blocks that only define ACAR_API or wrap extern "C".
    k = 0
    while k < n:
        s = lines[k].strip()
        if s.startswith("#if") and k not in skip:
            j = k
            depth = 0
            while j < n:
                t = lines[j].strip()
                if t.startswith("#if"):
                    depth += 1
                elif t.startswith("#endif"):
                    depth -= 1
                    if depth == 0:
                        break
                j += 1
            block = "\n".join(lines[k:j + 1])
            if "define ACAR_API" in block or 'extern "C"' in block or lines[k + 1].strip() == "}":
                skip.update(range(k, j + 1))
            k = j + 1
        else:
            k += 1

    pending = None  # a doc comment waiting for its code
    code = []

    def flush_code():
        nonlocal pending, code
        if code:
            items.append(("entry", strip_api(code), pending or ""))
            pending = None
            code = []
        elif pending is not None:
            items.append(("text", pending))
            pending = None

    while i < n:
        line = lines[i]
        if i in skip:
            flush_code()
            i += 1
            continue
        if line.startswith("/*"):
            j = i
            while "*/" not in lines[j]:
                j += 1
            block = lines[i:j + 1]
            tail = lines[j].split("*/", 1)[1].strip()
            if tail:
                # Code after the comment on the same line: it is code.
                code.append(line)
                i += 1
                continue
            flush_code()
            text = comment_text(block)
            if intro is None and not items:
                intro = text
            elif any("==========" in l for l in block):
                title = "\n".join(l for l in text.split("\n") if not re.match(r"^=+$", l.strip()))
                items.append(("h2", title.strip()))
            elif re.match(r"^-{2,}\s*(.*?)\s*-{2,}$", text.split("\n")[0]):
                first, _, rest = text.partition("\n")
                title = re.match(r"^-{2,}\s*(.*?)\s*-{2,}$", first).group(1)
                title = title[:1].upper() + title[1:]
                items.append(("h3", title, rest.strip()))
            else:
                pending = text
            i = j + 1
            continue
        if not line.strip():
            flush_code()
            i += 1
            continue
        code.append(line)
        i += 1
    flush_code()
    return intro or "", items


def anchor(title):
    a = re.sub(r"[^\w\- ]", "", title.lower()).replace(" ", "-")
    return a


def render(header_text):
    intro, items = parse(header_text)
    version = re.search(r'#define ACAR_VERSION_STRING "(.*)"', header_text)
    out = ["# acar API reference", ""]
    out.append("<!-- Generated from include/acar.h by tools/gen_api_docs.py: do not edit. -->")
    out.append("")
    out.append("Version %s. Everything below is in the one header `#include <acar.h>`; "
               "this page is made from its comments, which are the reference. See "
               "[the guides](index.md) for each format." % (version.group(1) if version else "?"))
    out.append("")
    if intro:
        # The header's own title line ("acar.h -- ...") is this page's title.
        body = intro.split("\n")
        if body and body[0].startswith("acar.h"):
            body = body[1:]
        out.append(prose("\n".join(body)))
        out.append("")

    # Contents: each section and subsection with the functions it declares.
    toc = []  # [line prefix, title or None, [functions]]
    for it in items:
        if it[0] == "h2":
            toc.append(["- [%s](#%s)" % (it[1], anchor(it[1])), []])
        elif it[0] == "h3":
            toc.append(["  - [%s](#%s)" % (it[1], anchor(it[1])), []])
        elif it[0] == "entry":
            if not toc:
                toc.append(["-", []])
            toc[-1][1].extend(declared_names(it[1]))
    out.append("## Contents")
    out.append("")
    for head, funcs in toc:
        links = ", ".join("[`%s`](#%s)" % (f, f) for f in funcs)
        if head == "-":
            out.append("- Version: " + links)
        else:
            out.append(head + (": " + links if links else ""))
    out.append("")

    for it in items:
        if it[0] == "h2":
            out.append("## " + it[1])
            out.append("")
        elif it[0] == "h3":
            out.append("### " + it[1])
            out.append("")
            if it[2]:
                out.append(prose(it[2]))
                out.append("")
        elif it[0] == "text":
            out.append(prose(it[1]))
            out.append("")
        else:
            _, code, text = it
            names = declared_names(code)
            if names:
                out.append("".join('<a id="%s"></a>' % nm for nm in names))
            out.append("```c")
            out.extend(code)
            out.append("```")
            out.append("")
            if text:
                out.append(prose(text))
                out.append("")
    while out and out[-1] == "":
        out.pop()
    return "\n".join(out) + "\n"


def main():
    check = "--check" in sys.argv[1:]
    with open(HEADER, encoding="utf-8") as f:
        text = render(f.read())
    if check:
        try:
            with open(OUTPUT, encoding="utf-8") as f:
                current = f.read()
        except FileNotFoundError:
            current = ""
        if current != text:
            sys.stdout.writelines(difflib.unified_diff(
                current.splitlines(True), text.splitlines(True), "docs/api.md (committed)",
                "docs/api.md (from include/acar.h)", n=1))
            print("\ndocs/api.md is stale: run python3 tools/gen_api_docs.py and commit it")
            return 1
        print("docs/api.md is current")
        return 0
    with open(OUTPUT, "w", encoding="utf-8") as f:
        f.write(text)
    print("wrote", os.path.relpath(OUTPUT, ROOT))
    return 0


if __name__ == "__main__":
    sys.exit(main())
