"""Shared pieces of the end-to-end tests: processes, the driver's clock, the CLI
used as the oracle, and helpers for what every test does in the window."""

import json
import os
import signal
import subprocess
from pathlib import Path

from webdriver import Session, WebDriverError

ROOT = Path(__file__).resolve().parents[2]
APP = ROOT / "target" / "debug" / "keel-desktop"
KEEL = ROOT / "target" / "debug" / "keel"
SHOTS = ROOT / "docs" / "screenshots"
PORT = 4444
NOW = "2026-11-24T09:00:00Z"
# How long one window may take to open, and how many launches are tried, before a test fails.
OPEN_TIMEOUT = 90.0
OPEN_ATTEMPTS = 3


def start(cmd, env, log):
    return subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)


def descendants(pid):
    """Every live process below `pid`, read from /proc (a launcher may start its
    children in sessions of their own, out of reach of a signal to its group)."""
    children = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                parent = int(f.read().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(parent, []).append(int(entry))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def stop(proc):
    """Stops a process we started, its group and everything it started, by pid."""
    if not proc:
        return
    below = descendants(proc.pid)
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    for pid in below:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


class Run:
    """The driver and the app's clock; a test that needs time to pass relaunches the
    app under a later KEEL_NOW (the clock is read from the environment at start)."""

    def __init__(self):
        self.now = NOW
        self.env = None
        self.log = None
        self.driver = None
        self.session = None
        self.session_open_times = []

    def start_driver(self):
        env = dict(self.env, KEEL_NOW=self.now)
        self.driver = start(["tauri-driver", "--port", str(PORT), "--native-port", str(PORT + 1)], env, self.log)

    def new_session(self):
        """Opens the window. On a loaded 2-core machine a launch can stall (WebKit's
        web process starved while the previous window's processes wind down); the
        driver is then restarted, with every process it started, and asked again."""
        for attempt in range(1, OPEN_ATTEMPTS + 1):
            try:
                self.session = Session(f"http://127.0.0.1:{PORT}", str(APP), open_timeout=OPEN_TIMEOUT)
                self.session_open_times.append(self.session.opened_in)
                return self.session
            except WebDriverError as e:
                print(f"e2e: window {attempt} of {OPEN_ATTEMPTS} did not open ({e}); restarting the driver",
                      flush=True)
                if attempt == OPEN_ATTEMPTS:
                    raise
                stop(self.driver)
                self.start_driver()

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
