"""report.py -- BENCHMARKS.md is made of one section per benchmark.

Each benchmark runner (run.py for pickle, and one per other format) writes
only its own section, between the markers

    <!-- bench:NAME -->
    ...
    <!-- /bench:NAME -->

so a run of one format's benchmark leaves the others' numbers as they were.
Sections appear in the order of ORDER; the file's title and the text
before the first section are HEADER.
"""

import os
import re

ORDER = ["pickle", "pickle-memory", "marshal", "json-read", "json-write", "xml", "bplist", "scan", "tensor"]

HEADER = """# Benchmarks

acar against what a user would pick instead, as ratios (higher is better
for acar).  Every section says how it was measured and with which command;
the pickle section is rewritten by

```sh
cmake -S . -B build && cmake --build build --target bench
```

which configures a nested Release build (`-O2 -DNDEBUG`, no sanitizers) in
`build/bench/release`, builds the drivers there and runs `bench/run.py`.
The other formats' drivers are built by the same tree (`bench_json`,
`bench_json_write`, `bench_marshal`, `bench_xml`, `bench_bplist`) and run
as their sections say.

Since 2026-11-28 the pickle, marshal and JSON sections are measured with
both sides on one CPU and with glibc's malloc keeping what is freed, in
the driver and in CPython alike (bench/run.py's `KEEP_MEMORY`,
bench/bench_child.h).  On the development VM the two CPUs ran at
different speeds for minutes at a time, and a page fault cost 11-16 us,
which the earlier tables counted in whichever side faulted.  The XML,
binary plist, scan, tensor and small-value sections predate that (each
gives its date).
"""


def _block(name, text):
    return "<!-- bench:%s -->\n%s\n<!-- /bench:%s -->\n" % (name, text.rstrip("\n"), name)


def write_section(path, name, text):
    """Puts text (markdown starting with '## ...') as section NAME of path."""
    old = ""
    if os.path.exists(path):
        with open(path, encoding="utf-8") as f:
            old = f.read()
    sections = {}
    for m in re.finditer(r"<!-- bench:([\w-]+) -->\n(.*?)\n<!-- /bench:\1 -->\n", old, re.S):
        sections[m.group(1)] = m.group(2)
    sections[name] = text
    names = [n for n in ORDER if n in sections] + sorted(n for n in sections if n not in ORDER)
    out = HEADER + "".join("\n" + _block(n, sections[n]) for n in names)
    with open(path, "w", encoding="utf-8") as f:
        f.write(out)
