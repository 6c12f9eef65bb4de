#!/usr/bin/env bash
# Checks that C++ files follow .clang-format (clang-format --dry-run -Werror), without changing them.
#   scripts/check-format.sh             the files listed in scripts/format-clean.txt
#   scripts/check-format.sh FILE...     the given files
# format-clean.txt lists the files known to follow .clang-format. The tree as a whole does not yet
# (issue 18, item 6); reformatting it at once would conflict with every branch in flight, so files
# join the list as they are formatted, and CI can run this script on the list.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ $# -gt 0 ]; then
  files=("$@")
else
  mapfile -t files < <(sed -e 's/#.*//' -e '/^[[:space:]]*$/d' scripts/format-clean.txt)
fi
clang-format --dry-run -Werror "${files[@]}"
echo "check-format: ${#files[@]} files follow .clang-format"
