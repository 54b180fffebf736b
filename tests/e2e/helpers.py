"""Shared pieces of the end-to-end tests: processes, the driver's clock, the CLI
used as the oracle, and helpers for what every test does in the window."""

import json
import os
import signal
import subprocess
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


class Run:
    """The driver and the app's clock; a test that needs time to pass relaunches the
    app under a later KEEL_NOW (the clock is read from the environment at start)."""

    def __init__(self):
        self.now = NOW
        self.env = None
        self.log = None
        self.driver = None
        self.session = None

    def start_driver(self):
        env = dict(self.env, KEEL_NOW=self.now)
        self.driver = start(["tauri-driver", "--port", str(PORT), "--native-port", str(PORT + 1)], env, self.log)

    def new_session(self):
        self.session = Session(f"http://127.0.0.1:{PORT}", str(APP))
        return self.session

    def relaunch(self, now):
        """Closes the window, restarts the driver at `now` and opens a new window."""
        if self.session:
            self.session.close()
            self.session = None
        stop(self.driver)
        self.now = now
        self.start_driver()
        return self.new_session()


RUN = Run()


def keel(db, *args):
    env = dict(os.environ, KEEL_DB=str(db), KEEL_NOW=RUN.now)
    out = subprocess.run([str(KEEL), *args], env=env, capture_output=True, text=True, check=True)
    return out.stdout


def keel_json(db, *args):
    return json.loads(keel(db, "--json", *args))


def shot(session, name):
    session.screenshot(str(SHOTS / f"{name}.png"))


def set_input(session, css, value):
    """Types into a bound <input> the way Svelte hears it (an input event)."""
    session.find(css)
    session.js(
        "const el = document.querySelector(arguments[0]); el.value = arguments[1];"
        "el.dispatchEvent(new Event('input', {bubbles: true}));",
        css,
        value,
    )


def attr(session, css, name):
    return session.attribute(session.find(css), name)


def an_account_executive(db):
    team = keel_json(db, "team", "list")
    names = sorted(m["name"] for m in team if m["role"] == "account-executive")
    return names[0]


def start_as(session, db, name):
    """Waits for the window; picks `name` in "Who are you?", asking for it through the
    palette's Switch user when this machine remembers someone else."""
    session.wait_for(lambda: session.find_all("[data-testid=who-am-i], [data-testid=me]"), "the window")
    if not session.find_all("[data-testid=who-am-i]") and name not in session.text(session.find("[data-testid=me]")):
        session.keys("\ue009k")
        session.type("[data-testid=palette-input]", "Switch user", clear=False)
        session.js(
            "[...document.querySelectorAll('[data-testid=palette] button')]"
            ".find(b => b.textContent.includes('Switch user')).click();"
        )
        session.find("[data-testid=who-am-i]")
    if session.find_all("[data-testid=who-am-i]"):
        session.click(f"[data-name='{name}']")
    session.wait_for(lambda: name in session.text(session.find("[data-testid=me]")), f"{name} in the sidebar")


def board_figures(session):
    session.find("[data-testid=board-total]")
    return session.js(
        "const t = document.querySelector('[data-testid=board-total]');"
        "const cols = [...document.querySelectorAll('[data-testid=column]')].map(c => ({"
        " stage: c.dataset.stage, count: +c.dataset.count, value: +c.dataset.valueMinor,"
        " weighted: +c.dataset.weightedMinor}));"
        "return {open: +t.dataset.openCount, value: +t.dataset.valueMinor,"
        " weighted: +t.dataset.weightedMinor, currency: t.dataset.currency, columns: cols};"
    )
