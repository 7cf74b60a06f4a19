#!/bin/sh
# Print the path of a Python 3.12+ interpreter, or explain what to install and fail.
# Order: $PYTHON if set, python3.13/python3.12/python3/python on PATH, then pyenv's and uv's installs.
set -u

ok() { "$1" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)' >/dev/null 2>&1; }

if [ -n "${PYTHON:-}" ]; then
    if ok "$PYTHON"; then echo "$PYTHON"; exit 0; fi
    echo "PYTHON=$PYTHON is not Python 3.12 or newer." >&2; exit 1
fi
for candidate in python3.14 python3.13 python3.12 python3 python; do
    path=$(command -v "$candidate" 2>/dev/null) || continue
    if ok "$path"; then echo "$path"; exit 0; fi
done
for path in "${PYENV_ROOT:-$HOME/.pyenv}"/versions/3.1[2-9]*/bin/python3 \
            "$HOME"/.local/share/uv/python/cpython-3.1[2-9]*/bin/python3 \
            /usr/local/bin/python3.1[2-9] /usr/bin/python3.1[2-9]; do
    [ -x "$path" ] || continue
    if ok "$path"; then echo "$path"; exit 0; fi
done
cat >&2 <<'MSG'
This project needs Python 3.12 or newer, and none was found.
Install one, then run the command again:
  - Debian/Ubuntu: sudo apt-get install python3.12 python3.12-venv   (or a newer python3.1x)
  - pyenv:         pyenv install 3.12
  - uv:            uv python install 3.12
  - or from https://www.python.org/downloads/
If it is installed somewhere unusual, point to it: make PYTHON=/path/to/python3.12 ...
MSG
exit 1
