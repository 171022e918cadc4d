#!/usr/bin/env bash
# Fails when a C++ file under src/ or bench/ differs from what clang-format (.clang-format) makes.
set -euo pipefail
cd "$(dirname "$0")/.."
mapfile -t files < <(git ls-files 'src/*.h' 'src/*.cc' 'bench/*.cc' 'tests/*.cc')
[ ${#files[@]} -eq 0 ] && exit 0
clang-format --dry-run --Werror "${files[@]}"
echo "format: ok"
