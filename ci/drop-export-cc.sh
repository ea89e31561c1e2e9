#!/usr/bin/env bash
# A linker for `cargo rustc -- -C linker=ci/drop-export-cc.sh`: links with `cc` as rustc asked,
# except that the symbol $NEURLANG_DROP_EXPORT is left out of the version script rustc writes
# for a cdylib, so the library does not export it (ci/impl.sh builds the runtime with one C
# function removed this way).
set -euo pipefail
: "${NEURLANG_DROP_EXPORT:?the symbol to leave out}"
args=()
dropped=0
for a in "$@"; do
  case $a in
    -Wl,--version-script=*)
      list=${a#-Wl,--version-script=}
      grep -v "^[[:space:]]*$NEURLANG_DROP_EXPORT;\$" "$list" >"$list.dropped"
      if ! cmp -s "$list" "$list.dropped"; then dropped=1; fi
      a=-Wl,--version-script=$list.dropped
      ;;
  esac
  args+=("$a")
done
[ "$dropped" = 1 ] || { echo "drop-export-cc.sh: $NEURLANG_DROP_EXPORT is in no version script" >&2; exit 1; }
exec cc "${args[@]}"
