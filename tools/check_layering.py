#!/usr/bin/env python3
"""Fails when a file under src/ includes a header, or a CMakeLists links a library, of a folder
that tools/layering.txt does not allow for its own folder."""
import pathlib
import re
import sys

root = pathlib.Path(__file__).resolve().parent.parent
allowed = {}
for line in (root / "tools/layering.txt").read_text().splitlines():
    line = line.split("#", 1)[0].strip()
    if not line:
        continue
    name, _, deps = line.partition(":")
    allowed[name.strip()] = set(deps.split())

include_re = re.compile(r'^\s*#\s*include\s+"([a-z_]+)/')
link_re = re.compile(r"\bberth_([a-z_]+)\b")
problems = []

def check(folder, used, where):
    if folder not in allowed:
        problems.append(f"{where}: folder src/{folder} is not listed in tools/layering.txt")
        return
    ok = allowed[folder]
    if used != folder and "*" not in ok and used not in ok:
        problems.append(f"{where}: src/{folder} may not use src/{used}")

for path in sorted((root / "src").rglob("*")):
    if not path.is_file():
        continue
    rel = path.relative_to(root / "src")
    folder = rel.parts[0]
    if path.suffix in (".h", ".cc"):
        for n, line in enumerate(path.read_text().splitlines(), 1):
            m = include_re.match(line)
            if m and (root / "src" / m.group(1)).is_dir():
                check(folder, m.group(1), f"src/{rel}:{n}")
    elif path.name == "CMakeLists.txt" and len(rel.parts) > 1:
        for n, line in enumerate(path.read_text().splitlines(), 1):
            if line.lstrip().startswith("berth_library(") or line.lstrip().startswith("berth_test("):
                continue
            for m in link_re.finditer(line):
                if (root / "src" / m.group(1)).is_dir():
                    check(folder, m.group(1), f"src/{rel}:{n}")

if problems:
    print("layering violations:")
    print("\n".join(problems))
    sys.exit(1)
print("layering: ok")
