#!/usr/bin/env bash
# Launches the Keel desktop app on a demo workspace, installing what is missing.
# The demo lives in KEEL_DB (default: keel/demo.db under the platform data dir);
# it is generated once and reused.
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
cd "$ROOT"

ensure_system_packages
ensure_rust
ensure_node
build_ui
cargo build --release --locked -p keel -p keel-desktop

export KEEL_DB="${KEEL_DB:-${XDG_DATA_HOME:-$HOME/.local/share}/keel/demo.db}"
if [ ! -f "$KEEL_DB" ]; then
  echo "Creating a demo workspace at $KEEL_DB"
  ./target/release/keel demo --deals "${KEEL_DEMO_DEALS:-5000}"
fi
echo "Opening $KEEL_DB"
exec ./target/release/keel-desktop
