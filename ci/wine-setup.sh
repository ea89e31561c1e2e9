#!/usr/bin/env bash
# Prepares a Wine prefix that can run Rust test binaries (idempotent), and prints the
# environment to use it: eval "$(ci/wine-setup.sh)".
#
#   - builds the ProcessPrng stand-in DLL (ci/wine/bcryptprimitives.c, see its comment);
#   - initialises the prefix ($NEURLANG_WINEPREFIX, default ~/.cache/neurlang/wine) once;
#   - copies the DLL into the prefix's system32 when it changed.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# Debian and Ubuntu install the 64-bit loader here (not on PATH); NEURLANG_WINE overrides it.
wine=${NEURLANG_WINE:-/usr/lib/wine/wine64}
prefix=${NEURLANG_WINEPREFIX:-$HOME/.cache/neurlang/wine}
out=${NEURLANG_WINE_BUILD:-$HOME/.cache/neurlang/wine-build}
mkdir -p "$out"

for tool in "$wine" x86_64-w64-mingw32-gcc; do
  command -v "$tool" >/dev/null || { echo "wine-setup: $tool is missing (ci/install-deps.sh installs it)" >&2; exit 1; }
done

dll=$out/bcryptprimitives.dll
if [ ! -f "$dll" ] || [ "$here/wine/bcryptprimitives.c" -nt "$dll" ]; then
  x86_64-w64-mingw32-gcc -shared -O2 -o "$dll" \
    "$here/wine/bcryptprimitives.c" "$here/wine/bcryptprimitives.def" -ladvapi32 >&2
fi

export WINEPREFIX=$prefix WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml=;bcryptprimitives=n"
if [ ! -f "$prefix/system.reg" ]; then
  echo "wine-setup: initialising the Wine prefix in $prefix (once)" >&2
  mkdir -p "$prefix"
  "$wine" wineboot --init >/dev/null 2>&1 || true
  /usr/lib/wine/wineserver -w 2>/dev/null || true
fi
sys32=$prefix/drive_c/windows/system32
mkdir -p "$sys32"
cmp -s "$dll" "$sys32/bcryptprimitives.dll" || cp "$dll" "$sys32/bcryptprimitives.dll"

cat <<ENV
export WINEPREFIX='$prefix'
export WINEDEBUG=-all
export WINEDLLOVERRIDES='mscoree,mshtml=;bcryptprimitives=n'
export CARGO_TARGET_X86_64_PC_WINDOWS_GNU_RUNNER='$wine'
ENV
