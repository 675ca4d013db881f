#!/usr/bin/env bash
# Print the path of a Python >= 3.13 that actually runs (LocalStack 4.14.0 needs 3.13 in host
# mode). pyenv shims for versions that are installed but not selected fail when run, so each
# candidate is executed, and pyenv's version folders are searched too.
set -u
candidates=("${PYTHON:-}" python3.14 python3.13 python3)
for dir in "${PYENV_ROOT:-$HOME/.pyenv}"/versions/3.1[3-9]*/bin /usr/local/bin /usr/bin; do
  [ -d "$dir" ] && candidates+=("$dir/python3")
done
for candidate in "${candidates[@]}"; do
  [ -n "$candidate" ] || continue
  path=$(command -v "$candidate" 2>/dev/null) || continue
  if "$path" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 13) else 1)' >/dev/null 2>&1; then
    "$path" -c 'import sys; print(sys.executable)'
    exit 0
  fi
done
echo "error: no Python >= 3.13 found; install python3.13 (e.g. 'apt-get install python3.13' or 'pyenv install 3.13') or set PYTHON=/path/to/python3.13" >&2
exit 1
