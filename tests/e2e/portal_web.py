"""The partner portal in a real browser (Debian's Chromium through chromedriver), served
by a real keel-server started here on loopback; the team's side of the story is played
with the keel CLI on joined copies. Every process is stopped by pid.

    python3 tests/e2e/portal_web.py      (after npm run build in portal/ and cargo build)

A partner's person accepts an invitation, registers a deal (with markup in it, shown as
text), the partner manager returns it with a question, the partner answers, the
manager approves and converts, the account executive wins it, revenue is recorded, the
payout runs a month later, and the partner sees the statement with the same total as
`keel payouts show` and downloads its PDF. Screenshots at a laptop's and a phone's
width go to docs/screenshots/portal-*.png."""

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import traceback
from pathlib import Path

from webdriver import Session

ROOT = Path(__file__).resolve().parents[2]
SERVER = ROOT / "target" / "debug" / "keel-server"
KEEL = ROOT / "target" / "debug" / "keel"
PORTAL = ROOT / "portal" / "build"
SHOTS = ROOT / "docs" / "screenshots"
DAY_ONE = "2026-12-01T09:00:00Z"
MONTH_LATER = "2027-01-05T09:00:00Z"
PASSWORD = "correct horse battery staple"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def stop(proc):
    if proc and proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


class Team:
    """A keel-server over a demo team, with the CLI on members' copies."""

    def __init__(self, work):
        self.work = work
        self.db = work / "team.db"
        self.now = DAY_ONE
        env = self.env()
        out = subprocess.run([str(SERVER), "init", "--db", str(self.db), "--admin", "unused", "--demo", "160"],
                             env=env, capture_output=True, text=True, check=True).stdout
        self.codes = {}
        for line in out.splitlines():
            who, _, code = line.rpartition(": ")
            if "(" in who and "-" in code:
                name, role = who.split(" (")
                self.codes[role.rstrip(")")] = (name, code)
        self.log = open(work / "server.log", "w")
        self.proc = None
        self.port = free_port()
        self.start()

    def env(self):
        # The machines this test joins keep their credentials beside it, not in the user's folder.
        env = dict(os.environ, KEEL_NOW=self.now, KEEL_CREDENTIALS_DIR=str(self.work / "credentials"))
        env.pop("KEEL_DB", None)
        return env

    def start(self):
        self.proc = subprocess.Popen(
            [str(SERVER), "--db", str(self.db), "--listen", f"127.0.0.1:{self.port}", "--portal-dir", str(PORTAL)],
            env=self.env(), stdout=subprocess.PIPE, stderr=self.log, text=True)
        self.url = "http://" + self.proc.stdout.readline().strip().rsplit("http://", 1)[1]

    def later(self, now):
        """The server and the CLI move to a later day (the server reads its clock at start)."""
        stop(self.proc)
        self.now = now
        self.start()

    def join(self, role):
        copy = self.work / f"{role}.db"
        self.keel(copy, "join", self.url, self.codes[role][1])
        return copy

    def keel(self, copy, *args):
        out = subprocess.run([str(KEEL), "--db", str(copy), *args], env=self.env(), capture_output=True, text=True)
        if out.returncode != 0:
            raise RuntimeError(f"keel {' '.join(args)}: {out.stderr}")
        return out.stdout

    def json(self, copy, *args):
        return json.loads(self.keel(copy, "--json", *args))

    def close(self):
        stop(self.proc)
        self.log.close()


class Browser:
    def __init__(self, work):
        self.port = free_port()
        self.log = open(work / "chromedriver.log", "w")
        self.driver = subprocess.Popen(["chromedriver", f"--port={self.port}"], stdout=self.log,
                                       stderr=subprocess.STDOUT)
        args = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--disable-dev-shm-usage", f"--user-data-dir={work / 'chromium'}", "--window-size=1280,860"]
        caps = {"browserName": "chrome", "goog:chromeOptions": {"binary": "/usr/bin/chromium", "args": args}}
        self.session = Session(f"http://127.0.0.1:{self.port}", capabilities=caps, open_timeout=120.0)

    def go(self, url):
        self.session.cmd("POST", "/url", {"url": url})

    def width(self, width, height):
        self.session.cmd("POST", "/window/rect", {"width": width, "height": height})

    def shot(self, name):
        self.session.screenshot(str(SHOTS / f"{name}.png"))

    def both_widths(self, name):
        """A laptop's and a phone's width, from the top of the page, and no sideways
        scrolling on the phone."""
        self.session.js("window.scrollTo(0, 0)")
        self.width(1280, 860)
        self.shot(f"{name}")
        self.width(390, 844)
        self.session.js("window.scrollTo(0, 0)")
        self.shot(f"{name}-phone")
        wide = self.session.js("return document.documentElement.scrollWidth > window.innerWidth + 1")
        assert not wide, f"{name}: the page scrolls sideways at a phone's width"
        self.width(1280, 860)

    def set_input(self, css, value):
        s = self.session
        s.find(css)
        s.js("const el = document.querySelector(arguments[0]); el.value = arguments[1];"
             "el.dispatchEvent(new Event('input', {bubbles: true}));", css, value)

    def close(self):
        try:
            self.session.close()
        finally:
            stop(self.driver)
            self.log.close()


def test_a_partner_registers_follows_and_is_paid(team, browser):
    s = browser.session
    pm, ae = team.join("partner-manager"), team.join("account-executive")
    ae_name = team.codes["account-executive"][0]
    partners = team.json(pm, "partner", "list")
    reseller = next(p["partner"]["name"] for p in partners
                    if p["partner"]["tier"] == "reseller" and p["partner"]["status"] == "active")
    invited = team.json(pm, "partner", "invite", "--partner", reseller, "--email", "dana@reseller.example")
    code = invited["invitation_code"]

    # The invitation link opens the portal with the code filled in.
    browser.go(f"{team.url}/portal/?code={code}")
    s.find("[data-testid=tab-accept][aria-selected=true]")
    browser.set_input("[data-testid=email]", "dana@reseller.example")
    browser.set_input("[data-testid=password]", PASSWORD)
    browser.both_widths("portal-sign-in")
    s.click("[data-testid=sign-in-submit]")
    s.wait_for(lambda: s.text(s.find("[data-testid=partner-name]")) == reseller, "the partner's name")
    # The page itself is served under a strict policy (the app above ran under it).
    csp = s.cmd("POST", "/execute/async", {
        "script": "const done = arguments[0]; fetch('/portal/').then(r => done(r.headers.get('content-security-policy')));",
        "args": [],
    })
    assert "script-src 'self' 'sha256-" in csp and "frame-ancestors 'none'" in csp and "unsafe-eval" not in csp, csp
    cookie = s.cmd("GET", "/cookie/keel_portal")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict", cookie

    # A deal registration, with markup where a partner might paste it: shown as text.
    s.click("[data-testid=new-registration]")
    company = 'Tidal Robotics <img src=x onerror="window.__owned=1">'
    browser.set_input("[data-testid=f-company]", company)
    browser.set_input("[data-testid=f-domain]", "tidal-robotics.example")
    browser.set_input("[data-testid=f-contact-name]", "Ravi Menon")
    browser.set_input("[data-testid=f-value]", "84,500")
    browser.set_input("[data-testid=f-currency]", "USD")
    browser.set_input("[data-testid=f-close]", "2027-03-31")
    browser.set_input("[data-testid=f-notes]", "<script>window.__owned=2</script><b>pilot</b> in two plants")
    s.click("[data-testid=submit-registration]")
    s.find("[data-testid=notice]")
    find_new = ("return [...document.querySelectorAll('[data-testid=registration-row]')]"
                ".find(r => r.textContent.includes('Tidal Robotics'))?.dataset.id")
    s.wait_for(lambda: s.js(find_new), "the new registration in the list")
    registration = s.js(find_new)
    row = s.find(f"[data-testid=registration-row][data-id='{registration}']")
    assert company in s.text(row), s.text(row)
    assert s.js("return window.__owned === undefined"), "markup a partner typed ran in the portal"
    browser.both_widths("portal-registrations")

    # The partner manager sees it on their copy, names the partner's person, and asks.
    team.keel(pm, "sync")
    shown = team.json(pm, "registration", "show", registration)
    assert shown["registration"]["company_name"] == company
    audit = team.json(pm, "audit", "--entity", "registration", "--id", registration)
    assert "dana@reseller.example" in json.dumps(audit), audit
    team.keel(pm, "registration", "return", registration, "--reason", "Which plant runs the pilot first?")

    browser.go(f"{team.url}/portal/registrations/{registration}")
    s.find("[data-testid=status][data-status=returned]")
    assert "Which plant" in s.text(s.find("[data-testid=manager-note]"))
    notes = s.text(s.find("[data-testid=notes]"))
    assert "<script>" in notes and "<b>pilot</b>" in notes, notes
    assert s.js("return window.__owned === undefined")
    browser.set_input("[data-testid=answer]", "Rotterdam, from March")
    browser.both_widths("portal-question")
    s.click("[data-testid=send-answer]")
    s.find("[data-testid=status][data-status=submitted]")

    # Approved, converted for the account executive, won, paid by the customer.
    team.keel(pm, "sync")
    team.keel(pm, "registration", "approve", registration)
    deal = team.json(pm, "registration", "convert", registration, "--owner", ae_name)["deal_id"]
    team.keel(ae, "sync")
    team.keel(ae, "deal", "move", str(deal), "Closed Won", "--override", "signed after the pilot")
    team.keel(ae, "revenue", "record", "--deal", str(deal), "--amount", "84500", "--date", "2026-12-01")

    # A month later the payout runs and is approved; the partner sees the same total.
    team.later(MONTH_LATER)
    team.keel(pm, "sync")
    run = team.json(pm, "payouts", "run", "--period", "2026-12")
    statement = next(v["statement"] for v in run if v["statement"]["partner_name"] == reseller)
    team.keel(pm, "payouts", "approve", str(statement["id"]))
    total = team.json(pm, "payouts", "show", str(statement["id"]))["statement"]["total"]["amount_minor"]

    # A month on, the session has long expired: the partner signs in with the password.
    browser.go(f"{team.url}/portal/statements")
    s.find("[data-testid=sign-in-form]")
    browser.set_input("[data-testid=email]", "dana@reseller.example")
    browser.set_input("[data-testid=password]", PASSWORD)
    s.click("[data-testid=sign-in-submit]")
    s.find("[data-testid=partner-name]")
    browser.go(f"{team.url}/portal/statements")
    s.click(f"[data-testid=statement-row][data-id='{statement['id']}']")
    shown_total = s.find("[data-testid=statement-total]")
    assert int(s.attribute(shown_total, "data-minor")) == total, (s.attribute(shown_total, "data-minor"), total)
    browser.both_widths("portal-statement")
    pdf = s.cmd("POST", "/execute/async", {
        "script": "const done = arguments[1]; fetch(arguments[0]).then(async r => done([r.status, "
                  "r.headers.get('content-type'), new TextDecoder().decode((await r.arrayBuffer()).slice(0, 5))]));",
        "args": [s.attribute(s.find("[data-testid=download-pdf]"), "href")],
    })
    assert pdf == [200, "application/pdf", "%PDF-"], pdf

    browser.go(f"{team.url}/portal/earnings")
    s.find("[data-testid=earning-row]")
    browser.both_widths("portal-earnings")
    browser.go(f"{team.url}/portal/profile")
    assert s.text(s.find("[data-testid=tier]")) == "reseller"

    # Signing out ends the session: the portal asks to sign in again.
    s.click("[data-testid=sign-out]")
    s.find("[data-testid=sign-in-form]")


TESTS = [test_a_partner_registers_follows_and_is_paid]


def main() -> int:
    for tool in ("chromedriver", "chromium"):
        if not shutil.which(tool):
            print(f"portal e2e: {tool} is not installed (run scripts/test.sh, which installs it)", file=sys.stderr)
            return 2
    if not (PORTAL / "index.html").exists():
        print("portal e2e: build the portal first (npm run build in portal/)", file=sys.stderr)
        return 2
    SHOTS.mkdir(parents=True, exist_ok=True)
    passed = failed = 0
    wanted = [t for t in TESTS if any(arg in t.__name__ for arg in sys.argv[1:])] or TESTS
    for test in wanted:
        work = Path(tempfile.mkdtemp(prefix="keel-portal-e2e-"))
        team = browser = None
        try:
            team = Team(work)
            browser = Browser(work)
            test(team, browser)
            passed += 1
            print(f"portal e2e {test.__name__} ... ok")
            shutil.rmtree(work, ignore_errors=True)
        except Exception:
            failed += 1
            print(f"portal e2e {test.__name__} ... FAILED (logs and screenshot in {work})")
            traceback.print_exc()
            if browser:
                try:
                    browser.session.screenshot(str(work / "failure.png"))
                except Exception:
                    pass
        finally:
            if browser:
                browser.close()
            if team:
                team.close()
    print(f"portal e2e: {passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
