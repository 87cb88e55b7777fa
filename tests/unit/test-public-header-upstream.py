#!/usr/bin/python3
"""test-public-header-upstream: our spice.h declares every upstream function with the same type
and defines every upstream macro with the same value.

Usage: test-public-header-upstream.py OUR_INCLUDE_DIR SPICE_PROTOCOL_INCLUDE_DIR CC [CC ARGS...]

It reads upstream's installed headers (/usr/include/spice-server, package libspice-server-dev),
writes a C program that includes only our spice.h, repeats each upstream prototype (a C compiler
rejects a redeclaration whose type differs) and compares each upstream macro's value at run time,
then compiles it with -Werror and runs it. Exits 77 (skipped) when upstream's headers are absent.
"""
import glob
import os
import re
import subprocess
import sys
import tempfile

UPSTREAM_DIR = "/usr/include/spice-server"
EXPECTED_FUNCTIONS = 97


def strip_comments(text):
    text = re.sub(r"/\*.*?\*/", " ", text, flags=re.S)
    return re.sub(r"//[^\n]*", " ", text)


def upstream_prototypes(headers):
    protos = []
    for path in headers:
        text = strip_comments(open(path).read())
        text = re.sub(r"^\s*#.*$", " ", text, flags=re.M)
        for m in re.finditer(r"[^;{}]*\bspice_\w+\s*\([^;{}]*\)[^;{}]*;", text):
            decl = " ".join(m.group(0).split())
            if not decl.startswith("typedef"):
                protos.append(decl)
    return protos


def upstream_macros(headers):
    """(name, value) of object-like SPICE_/QXL macros with a value, guards and platform ones excluded."""
    macros = []
    for path in headers:
        text = strip_comments(open(path).read())
        for m in re.finditer(r"^\s*#\s*define\s+([A-Z][A-Z0-9_]*)[ \t]+([^\n]+)$", text, flags=re.M):
            name, value = m.group(1), m.group(2).strip()
            if name.endswith("_H_") or name.startswith("SPICE_GNUC") or name == "SPICE_CAPABILITIES_SIZE":
                continue
            macros.append((name, value))
    return macros


def main():
    if len(sys.argv) < 4:
        raise SystemExit(__doc__)
    our_dir, protocol_dir, cc = sys.argv[1], sys.argv[2], sys.argv[3:]
    headers = sorted(glob.glob(os.path.join(UPSTREAM_DIR, "spice-*.h")))
    if not headers:
        print("test-public-header-upstream: %s/spice-*.h not installed; skipped" % UPSTREAM_DIR)
        return 77
    protos = upstream_prototypes(headers)
    macros = upstream_macros(headers)
    if len(protos) != EXPECTED_FUNCTIONS:
        print("FAIL: found %d upstream prototypes, expected %d" % (len(protos), EXPECTED_FUNCTIONS))
        return 1

    lines = ["#include <spice.h>", "#include <stdio.h>", "#include <string.h>", ""]
    lines += ["/* upstream: */ " + p for p in protos]
    lines += ["", "static int failures;",
              "#define SAME(name, ours, theirs) do { if ((ours) != (theirs)) { "
              "fprintf(stderr, \"FAIL %s differs from upstream\\n\", name); failures++; } } while (0)",
              "#define SAME_STR(name, ours, theirs) do { if (strcmp((ours), (theirs)) != 0) { "
              "fprintf(stderr, \"FAIL %s differs from upstream\\n\", name); failures++; } } while (0)",
              "int main(void)", "{"]
    for name, value in macros:
        if value.startswith('"'):
            lines.append("    SAME_STR(\"%s\", %s, %s);" % (name, name, value))
        else:
            lines.append("    SAME(\"%s\", (long long)(%s), (long long)(%s));" % (name, name, value))
    lines += ["    if (failures) return 1;",
              "    printf(\"test-public-header-upstream: %d prototypes and %d macros match upstream\\n\");"
              % (len(protos), len(macros)),
              "    return 0;", "}", ""]

    with tempfile.TemporaryDirectory() as tmp:
        src = os.path.join(tmp, "upstream-redeclared.c")
        exe = os.path.join(tmp, "upstream-redeclared")
        open(src, "w").write("\n".join(lines))
        build = cc + ["-std=gnu11", "-Wall", "-Wextra", "-Werror", "-Wno-deprecated-declarations",
                      "-I" + our_dir, "-I" + protocol_dir, src, "-o", exe]
        result = subprocess.run(build, capture_output=True, text=True)
        if result.returncode != 0:
            print("FAIL: our spice.h disagrees with upstream's declarations:\n" + result.stderr)
            return 1
        return subprocess.run([exe]).returncode


if __name__ == "__main__":
    sys.exit(main())
