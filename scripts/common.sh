# Shared set-up for scripts/test.sh and scripts/run-desktop.sh: installs what is
# missing (system packages, Rust tools, npm packages) and skips what is there.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export PATH="$HOME/.cargo/bin:$PATH"

ensure_system_packages() {
  bash "$ROOT/scripts/setup-system.sh"
}

ensure_rust() {
  if ! command -v cargo >/dev/null 2>&1; then
    echo "setup: installing the Rust toolchain (rustup)"
    curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs | sh -s -- -y --profile minimal -c clippy -c rustfmt
  fi
}

ensure_node() {
  if ! command -v npm >/dev/null 2>&1; then
    echo "setup: installing Node.js and npm"
    local sudo_cmd=""
    [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
    DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -q nodejs npm
  fi
  # Vite 7 needs Node 20.19 or later (Debian 13 and Ubuntu 24.04 ship it; Debian 12's is 18).
  local major
  major="$(node -p 'process.versions.node.split(".")[0]')"
  if [ "$major" -lt 20 ]; then
    echo "setup: Node.js $(node --version) is too old for the UI build; install Node.js 20 or later" >&2
    exit 1
  fi
}

ensure_tauri_driver() {
  if ! command -v tauri-driver >/dev/null 2>&1; then
    echo "setup: installing tauri-driver"
    cargo install tauri-driver --version '^2' --locked
  fi
}

# Installs the UI's npm packages when package-lock.json changed, and builds it:
# the desktop crate embeds ui/build at compile time.
build_ui() {
  cd "$ROOT/ui"
  if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
    npm ci --no-audit --no-fund
  fi
  npm run build --silent
  cd "$ROOT"
}

# The partner portal's front end (served by keel-server at /portal).
build_portal() {
  cd "$ROOT/portal"
  if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
    npm ci --no-audit --no-fund
  fi
  npm run build --silent
  cd "$ROOT"
}
