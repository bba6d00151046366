# Shared helpers for the project's scripts (sourced, not run).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
# Tools installed by scripts/setup-tools outside cargo's bin dir (wasm-opt from npm).
export PATH="$HOME/.cargo/bin:$ROOT/.tools/node_modules/.bin:$PATH"

# Each step says how long the script has run so far (visible progress, and where time goes).
STARTED_AT="${STARTED_AT:-$(date +%s)}"
export STARTED_AT
step() { printf '\n\033[1;34m==> [%4ss] %s\033[0m\n' "$(($(date +%s) - STARTED_AT))" "$*"; }
note() { printf '    %s\n' "$*"; }
fail() { printf '\033[1;31mERROR: %s\033[0m\n' "$*" >&2; exit 1; }

# Runs a command as root: directly when we are root, via sudo otherwise.
as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; elif command -v sudo >/dev/null 2>&1; then sudo "$@"; else return 1; fi
}

wasm_bindgen_version() {
  awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock
}
