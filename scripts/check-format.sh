#!/usr/bin/env bash
# Checks that the C++ files follow .clang-format (clang-format --dry-run -Werror), without
# changing them.
#   scripts/check-format.sh             every .cpp/.hpp of the source, test, bench and fuzz folders
#   scripts/check-format.sh FILE...     the given files
# To fix: clang-format -i FILE...
set -euo pipefail
cd "$(dirname "$0")/.."
if [ $# -gt 0 ]; then
  files=("$@")
else
  mapfile -t files < <(find core imaging tiles evidence vessels pipeline cluster serve sim cli tests \
                         bench fuzz -name '*.cpp' -o -name '*.hpp' | sort)
fi
clang-format --dry-run -Werror "${files[@]}"
echo "check-format: ${#files[@]} files follow .clang-format"
