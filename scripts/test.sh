#!/usr/bin/env bash
# Runs every Keel test on a fresh Debian/Ubuntu machine, installing what is missing:
# formatting and lints, core and desktop Rust tests, UI unit tests (Vitest) and type
# check (svelte-check), and the end-to-end tests in the real app window (Xvfb +
# tauri-driver + WebKitWebDriver), and the partner portal in Chromium (chromedriver).
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
cd "$ROOT"

ensure_system_packages
ensure_rust
ensure_node
ensure_tauri_driver

echo "== UI: install, unit tests, build"
build_ui
(cd ui && npx vitest run)
build_portal
(cd portal && npx vitest run)

echo "== Rust: format and lints"
cargo fmt --all -- --check
cargo clippy --workspace --all-targets --locked -- -D warnings

echo "== Rust: core and desktop tests (bindings must be current)"
cargo test --workspace --locked

echo "== UI: type check against the current bindings"
(cd ui && npm run check)
(cd portal && npm run check)

echo "== End-to-end: the real window"
cargo build --locked -p keel -p keel-desktop -p keel-server
python3 tests/e2e/run.py

echo "== End-to-end: the partner portal in Chromium"
python3 tests/e2e/portal_web.py
