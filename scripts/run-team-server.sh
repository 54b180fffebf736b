#!/usr/bin/env bash
# Starts a local Keel team server on a demo team, installing what is missing, and prints
# an invitation code for its sales leader, an account executive and a partner manager; the
# partner portal is served at /portal.
# Join from the desktop app (command palette → "Join a team workspace…") or with
#   keel join http://127.0.0.1:7878 CODE --db ~/keel-team-copy.db
# The server's file is KEEL_TEAM_DB (default: keel/team-demo.db under the data dir).
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
cd "$ROOT"

ensure_system_packages
ensure_rust
ensure_node
build_portal
cargo build --release --locked -p keel -p keel-server

DB="${KEEL_TEAM_DB:-${XDG_DATA_HOME:-$HOME/.local/share}/keel/team-demo.db}"
LISTEN="${KEEL_TEAM_LISTEN:-127.0.0.1:7878}"
mkdir -p "$(dirname "$DB")"
if [ ! -f "$DB" ]; then
  echo "Creating a demo team workspace at $DB"
  ./target/release/keel-server init --db "$DB" --admin unused --demo "${KEEL_DEMO_DEALS:-5000}"
else
  # Codes work once: print fresh ones for the same three members.
  for role in sales-leader account-executive partner-manager; do
    name=$(./target/release/keel --db "$DB" --json team list |
      python3 -c "import json,sys; print(next(m['name'] for m in json.load(sys.stdin) if m['role']=='$role' and not m.get('deactivated_at')))")
    echo "$name ($role): $(./target/release/keel-server invite --db "$DB" --member "$name")"
  done
fi
echo "Serving $DB on http://$LISTEN (Ctrl-C stops it)"
echo "The partner portal: http://$LISTEN/portal (a partner manager invites a partner's people with"
echo "  keel partner invite --partner NAME --email E   on a joined copy)"
exec ./target/release/keel-server --db "$DB" --listen "$LISTEN" --portal-dir "$ROOT/portal/build"
