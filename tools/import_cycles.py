#!/usr/bin/env python3
"""Import circles in the Rust crates: which files and which top-level modules
import each other in a ring.

    python3 tools/import_cycles.py [crate_src_dir ...]   (default: handlers/*/src)

A file's imports are the `crate::...`, `super::...` and `self::...` paths in
its code (comments and `#[cfg(test)] mod tests` left out; `mod x;` lines are
declarations, not imports). Each path resolves to the longest module prefix
that is a file. Two rings are reported per crate:
- files in one ring (strongly connected component), in one folder or across;
- top-level modules (a folder, or a file beside lib.rs) in one ring.
Exits 1 when either kind exists.
"""
import glob
import os
import re
import sys


def modules(src):
    """module path (tuple) -> file, for every .rs file under src."""
    found = {}
    for path in glob.glob(os.path.join(src, "**", "*.rs"), recursive=True):
        rel = os.path.relpath(path, src)[:-3].split(os.sep)
        if rel in (["lib"], ["main"]):
            found[()] = path
            continue
        if rel[-1] == "mod":
            rel = rel[:-1]
        found[tuple(rel)] = path
    return found


def code_of(path):
    text = open(path, encoding="utf-8").read()
    # tests may reach anywhere; they are not part of the dependency structure
    cut = re.search(r"#\[cfg\(test\)\]\s*(pub\s+)?mod\s+tests", text)
    if cut:
        text = text[: cut.start()]
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    lines = [l.split("//", 1)[0] for l in text.splitlines()]
    return "\n".join(l for l in lines if not re.match(r"\s*(pub(\(\w+\))?\s+)?mod\s+\w+\s*;", l))


def expand_use_groups(code):
    """`use a::{b, c::{d}}` -> paths a::b, a::c::d (enough to resolve files)."""
    paths = []
    for m in re.finditer(r"\buse\s+([^;]+);", code):
        stack = [(m.group(1).replace("\n", " "), "")]
        while stack:
            body, prefix = stack.pop()
            body = body.strip()
            brace = body.find("{")
            if brace < 0:
                for part in body.split(","):
                    part = part.strip().split(" as ")[0].strip()
                    if part:
                        paths.append(prefix + part)
                continue
            head = body[:brace]
            inner = body[brace + 1 : body.rfind("}")]
            depth, start, parts = 0, 0, []
            for i, ch in enumerate(inner):
                if ch == "{":
                    depth += 1
                elif ch == "}":
                    depth -= 1
                elif ch == "," and depth == 0:
                    parts.append(inner[start:i])
                    start = i + 1
            parts.append(inner[start:])
            for p in parts:
                stack.append((p, prefix + head))
    return paths


def imports(mod, path, mods):
    code = code_of(path)
    raw = expand_use_groups(code)
    raw += re.findall(r"\b((?:crate|super|self)(?:::\w+)+)", code)
    # the module a relative path starts from: a mod.rs or lib.rs is its own module
    here = list(mod)
    targets = set()
    for p in raw:
        parts = [x for x in p.replace(" ", "").split("::") if x]
        if not parts or parts[0] not in ("crate", "super", "self"):
            continue
        if parts[0] == "crate":
            base, rest = [], parts[1:]
        else:
            base = here[:]
            rest = parts
            while rest and rest[0] in ("super", "self"):
                if rest[0] == "super":
                    base = base[:-1]
                rest = rest[1:]
        full = base + rest
        for n in range(len(full), -1, -1):
            if tuple(full[:n]) in mods:
                target = tuple(full[:n])
                if target != mod:
                    targets.add(target)
                break
    return targets


def sccs(graph):
    index, low, stack, on, out, counter = {}, {}, [], set(), [], [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            out.append(comp)

    sys.setrecursionlimit(10000)
    for v in list(graph):
        if v not in index:
            visit(v)
    return [c for c in out if len(c) > 1]


def folder(mod, mods):
    path = mods[mod]
    return os.path.dirname(path)


def check(src):
    mods = modules(src)
    graph = {m: imports(m, p, mods) for m, p in mods.items()}
    bad = 0
    for comp in sccs(graph):
        if comp:
            bad += 1
            where = "of different folders" if len({folder(m, mods) for m in comp}) > 1 else "of one folder"
            print(f"{src}: files {where} import each other in a ring:")
            for m in sorted(comp):
                print("   ", os.path.relpath(mods[m], src), "->",
                      ", ".join(sorted(os.path.relpath(mods[t], src) for t in graph[m] if t in comp)))
    top = {}
    for m, targets in graph.items():
        if not m:
            continue
        for t in targets:
            if t and t[0] != m[0]:
                top.setdefault(m[0], set()).add(t[0])
        top.setdefault(m[0], set())
    for comp in sccs(top):
        bad += 1
        print(f"{src}: top-level modules import each other in a ring: {', '.join(sorted(comp))}")
        for m in sorted(comp):
            print("   ", m, "->", ", ".join(sorted(t for t in top[m] if t in comp)))
    return bad


def main():
    srcs = sys.argv[1:] or sorted(glob.glob("handlers/*/src"))
    bad = sum(check(s) for s in srcs)
    print(f"{len(srcs)} crates checked: {bad} ring(s)" if bad else f"{len(srcs)} crates checked: no import rings, across folders or inside one")
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
