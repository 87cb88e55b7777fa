#!/usr/bin/python3
"""test-symbols: proves libspice-server.so.1 exports exactly upstream's symbols at upstream's versions.

Usage: test-symbols.py LIBRARY MAP UPSTREAM_EXPORTS QEMU_IMPORTS

LIBRARY          the built libspice-server.so.1
MAP              server/spice-server.map, the version script it was linked with
UPSTREAM_EXPORTS Debian's libspice-server.so.1 exports, "NODE SYMBOL" per line
                 (a node also appears as "NODE NODE": the version's own ABS symbol)
QEMU_IMPORTS     what QEMU 7.2 imports, "(NODE) SYMBOL MODULE" per line

Checks, each reported with the offending symbols:
  1. the map gives every upstream symbol its node, chains the nodes like upstream, hides the rest;
  2. the library's SONAME is libspice-server.so.1;
  3. the library's defined global symbols are exactly the map's, each at its node;
  4. the library's version definitions chain like the map's;
  5. every QEMU import is there at its exact version.
"""
import re
import subprocess
import sys

EXPECTED_SONAME = "libspice-server.so.1"
EXPECTED_FUNCTIONS = 97
EXPECTED_NODES = 22
EXPECTED_QEMU_IMPORTS = 75


def parse_map(path):
    """Returns (ordered list of (node, parent), {symbol: node}, nodes that hide everything else)."""
    text = re.sub(r"/\*.*?\*/", " ", open(path).read(), flags=re.S)
    text = re.sub(r"#[^\n]*", " ", text)
    nodes = []
    symbols = {}
    local_all = []
    for m in re.finditer(r"([A-Za-z0-9_.]+)\s*\{(.*?)\}\s*([A-Za-z0-9_.]*)\s*;", text, flags=re.S):
        node, body, parent = m.group(1), m.group(2), m.group(3) or None
        nodes.append((node, parent))
        scope = None
        for entry in re.findall(r"[^;]+;", body):
            entry = entry.strip()[:-1].strip()
            label = re.match(r"(global|local)\s*:\s*(.*)", entry, flags=re.S)
            if label:
                scope, entry = label.group(1), label.group(2).strip()
            if not entry:
                continue
            if scope == "local":
                if entry == "*":
                    local_all.append(node)
                continue
            if entry in symbols:
                raise SystemExit("map: %s is listed in %s and %s" % (entry, symbols[entry], node))
            symbols[entry] = node
    return nodes, symbols, local_all


def readelf(*args):
    return subprocess.run(["readelf", "-W", *args], check=True, capture_output=True, text=True).stdout


def library_exports(lib):
    """{name: node} of the defined, non-local dynamic symbols; a node's ABS symbol maps to itself."""
    exported = {}
    for line in readelf("--dyn-syms", lib).splitlines():
        fields = line.split()
        if len(fields) < 8 or not re.fullmatch(r"\d+:", fields[0]):
            continue
        bind, ndx, name = fields[4], fields[6], fields[7]
        if ndx == "UND" or bind == "LOCAL":
            continue
        base, _, node = name.partition("@")
        node = node.lstrip("@")
        if not node and ndx == "ABS":
            node = base  # a version node's own symbol: readelf prints it without a suffix
        exported[base] = node or None
    return exported


def library_version_chain(lib):
    """[(node, parent)] from .gnu.version_d, in order, without the BASE entry."""
    chain = []
    lines = readelf("-V", lib).splitlines()
    for i, line in enumerate(lines):
        m = re.search(r"Flags: (\S+)\s+Index: \d+\s+Cnt: (\d+)\s+Name: (\S+)", line)
        if not m or m.group(1) == "BASE":
            continue
        parent = None
        if int(m.group(2)) > 1 and i + 1 < len(lines):
            p = re.search(r"Parent 1: (\S+)", lines[i + 1])
            parent = p.group(1) if p else None
        chain.append((m.group(3), parent))
    return chain


def soname(lib):
    m = re.search(r"\(SONAME\)\s+Library soname: \[([^\]]+)\]", readelf("-d", lib))
    return m.group(1) if m else None


def listing(title, items):
    items = sorted(items)
    return "%s (%d):\n%s" % (title, len(items), "\n".join("    " + i for i in items))


def main():
    if len(sys.argv) != 5:
        raise SystemExit(__doc__)
    lib, map_path, upstream_path, qemu_path = sys.argv[1:]
    failures = []

    upstream = {}
    for line in open(upstream_path):
        node, name = line.split()
        upstream[name] = node
    upstream_functions = {s: n for s, n in upstream.items() if s != n}
    upstream_nodes = {n for s, n in upstream.items() if s == n}

    qemu = {}
    for line in open(qemu_path):
        node, name = line.split()[:2]
        qemu[name] = node.strip("()")
    if len(qemu) != EXPECTED_QEMU_IMPORTS:
        failures.append("QEMU import list has %d symbols, expected %d" % (len(qemu), EXPECTED_QEMU_IMPORTS))
    if len(upstream_functions) != EXPECTED_FUNCTIONS or len(upstream_nodes) != EXPECTED_NODES:
        failures.append("upstream list has %d functions in %d nodes, expected %d in %d"
                        % (len(upstream_functions), len(upstream_nodes), EXPECTED_FUNCTIONS, EXPECTED_NODES))

    # 1. The map.
    map_nodes, map_symbols, local_all = parse_map(map_path)
    first_node = map_nodes[0][0] if map_nodes else None
    if local_all != [first_node]:
        failures.append("map: 'local: *;' must appear exactly once, in the first node (found in %s)" % local_all)
    wrong = ["%s: map says %s, upstream %s" % (s, map_symbols.get(s), n)
             for s, n in upstream_functions.items() if map_symbols.get(s) != n]
    extra = set(map_symbols) - set(upstream_functions)
    if wrong:
        failures.append(listing("map gives these upstream symbols no or the wrong node", wrong))
    if extra:
        failures.append(listing("map exports symbols upstream does not", extra))
    if {n for n, _ in map_nodes} != upstream_nodes:
        failures.append("map nodes %s differ from upstream's %s"
                        % (sorted(n for n, _ in map_nodes), sorted(upstream_nodes)))
    for i, (node, parent) in enumerate(map_nodes):
        expected_parent = map_nodes[i - 1][0] if i else None
        if parent != expected_parent:
            failures.append("map: %s inherits %s, expected %s" % (node, parent, expected_parent))
    for name, node in qemu.items():
        if map_symbols.get(name) != node:
            failures.append("map: QEMU imports %s@%s, map says %s" % (name, node, map_symbols.get(name)))

    # 2.-5. The library.
    name = soname(lib)
    if name != EXPECTED_SONAME:
        failures.append("SONAME is %s, expected %s" % (name, EXPECTED_SONAME))
    exported = library_exports(lib)
    expected = dict(map_symbols)
    expected.update({node: node for node, _ in map_nodes})
    missing = [s for s in expected if s not in exported]
    leaked = [s for s in exported if s not in expected]
    misversioned = ["%s@%s, expected @%s" % (s, exported[s], n)
                    for s, n in expected.items() if s in exported and exported[s] != n]
    if missing:
        failures.append(listing("the library does not define these exports", missing))
    if leaked:
        failures.append(listing("the library leaks symbols that are not in the map", leaked))
    if misversioned:
        failures.append(listing("the library exports these at the wrong version", misversioned))
    chain = library_version_chain(lib)
    if chain != map_nodes:
        failures.append("library version chain %s differs from the map's %s" % (chain, map_nodes))
    qemu_missing = ["%s@%s" % (s, n) for s, n in qemu.items() if exported.get(s) != n]
    if qemu_missing:
        failures.append(listing("QEMU 7.2 cannot load spice: it needs these", qemu_missing))

    checked = len(expected)
    if failures:
        print("\n\n".join(failures))
        print("\ntest-symbols: FAIL (%d problems; %d of %d exports present)"
              % (len(failures), checked - len(missing), checked))
        return 1
    print("test-symbols: %d symbols in %d nodes exported as upstream, %d QEMU imports resolve, SONAME %s"
          % (len(map_symbols), len(map_nodes), len(qemu), name))
    return 0


if __name__ == "__main__":
    sys.exit(main())
