"""End-to-end tests in the real Keel window: Xvfb, tauri-driver, WebKitWebDriver.

Starts its own display and driver, stops both by pid, and prints a closing line
'N passed, N failed'. Screenshots go to docs/screenshots/.
"""

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import traceback
from pathlib import Path

from webdriver import Session

ROOT = Path(__file__).resolve().parents[2]
APP = ROOT / "target" / "debug" / "keel-desktop"
KEEL = ROOT / "target" / "debug" / "keel"
SHOTS = ROOT / "docs" / "screenshots"
PORT = 4444
NOW = "2026-11-24T09:00:00Z"


def start(cmd, env, log):
    return subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)


def stop(proc):
    if proc and proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)


def keel(db, *args):
    env = dict(os.environ, KEEL_DB=str(db), KEEL_NOW=NOW)
    out = subprocess.run([str(KEEL), *args], env=env, capture_output=True, text=True, check=True)
    return out.stdout


def test_window_shows_the_workspace_deal_count(session, db):
    element = session.find("[data-testid=deal-count]")
    shown = int(session.attribute(element, "data-count"))
    summary = json.loads(keel(db, "--json", "deal", "list", "--limit", "500"))
    expected = len(summary)
    assert shown == expected, f"window shows {shown} deals, the CLI lists {expected}"
    assert session.text(element).replace(",", "").startswith(str(expected)), session.text(element)
    path = session.text(session.find("[data-testid=workspace-path]"))
    assert path == str(db), f"the app opened {path}, not the CLI's {db}"
    session.screenshot(str(SHOTS / "workspace.png"))


TESTS = [test_window_shows_the_workspace_deal_count]


def main() -> int:
    for tool in ("Xvfb", "tauri-driver", "WebKitWebDriver"):
        if not shutil.which(tool):
            print(f"e2e: {tool} is not installed (run scripts/test.sh, which installs it)", file=sys.stderr)
            return 2
    SHOTS.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="keel-e2e-"))
    db = work / "e2e.db"
    keel(db, "demo", "--deals", "240", "--seed", "11")
    display = ":" + str(90 + os.getpid() % 9)
    env = dict(os.environ, DISPLAY=display, KEEL_DB=str(db), KEEL_NOW=NOW)
    log = open(work / "e2e.log", "w")
    xvfb = driver = None
    passed = failed = 0
    try:
        xvfb = start(["Xvfb", display, "-screen", "0", "1280x800x24", "-nolisten", "tcp"], env, log)
        time.sleep(1.0)
        driver = start(["tauri-driver", "--port", str(PORT), "--native-port", str(PORT + 1)], env, log)
        for test in TESTS:
            session = Session(f"http://127.0.0.1:{PORT}", str(APP))
            try:
                test(session, db)
                passed += 1
                print(f"e2e {test.__name__} ... ok")
            except Exception:
                failed += 1
                print(f"e2e {test.__name__} ... FAILED")
                traceback.print_exc()
                session.screenshot(str(work / f"{test.__name__}.png"))
            finally:
                session.close()
    finally:
        stop(driver)
        stop(xvfb)
        log.close()
    if failed:
        print(f"e2e log and failure screenshots: {work}")
    else:
        shutil.rmtree(work, ignore_errors=True)
    print(f"e2e: {passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
