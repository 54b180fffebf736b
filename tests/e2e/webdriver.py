"""A minimal W3C WebDriver client over the standard library, for tauri-driver and
chromedriver."""

import base64
import http.client
import json
import socket
import time
import urllib.error
import urllib.request

ELEMENT = "element-6066-11e4-a52e-4f735466cecf"


class WebDriverError(RuntimeError):
    pass


class SessionNotOpened(WebDriverError):
    """The driver accepted a new session but no window answered in time."""


class Session:
    def __init__(self, base_url: str, application: str = "", timeout: float = 60.0, capabilities=None,
                 open_timeout: float = 60.0):
        """Opens a session. `timeout` bounds the wait for the driver to listen;
        `open_timeout` how long the browser or window may take to come up once asked
        (a busy machine can take far longer than a quiet one: see SessionNotOpened)."""
        self.base = base_url.rstrip("/")
        always = capabilities or {"tauri:options": {"application": application}}
        caps = {"capabilities": {"alwaysMatch": always}}
        deadline = time.monotonic() + timeout
        started = time.monotonic()
        while True:
            try:
                value = self._call("POST", "/session", caps, read_timeout=open_timeout)
                break
            except (TimeoutError, socket.timeout) as e:
                # The driver took the request but the window did not come up in time. Asking
                # again on the same driver would queue behind the stuck launch: the caller
                # restarts the driver instead.
                raise SessionNotOpened(f"no window after {time.monotonic() - started:.0f} s: {e}") from e
            except (urllib.error.URLError, ConnectionError) as e:
                if isinstance(getattr(e, "reason", None), (TimeoutError, socket.timeout)):
                    raise SessionNotOpened(f"no window after {time.monotonic() - started:.0f} s: {e}") from e
                if time.monotonic() > deadline:
                    raise WebDriverError(f"the WebDriver server did not answer: {e}") from e
                time.sleep(0.3)
        self.id = value["sessionId"]
        self.opened_in = time.monotonic() - started

    # tauri-driver keeps pooled connections to WebKitWebDriver; when one it reuses was
    # already closed, the request fails to send ("client error (SendRequest)") and our
    # connection is dropped without an answer. The request never reached the browser,
    # so sending it again is safe.
    def _call(self, method: str, path: str, body=None, read_timeout: float = 60.0):
        data = None if body is None else json.dumps(body).encode()
        for attempt in range(3):
            req = urllib.request.Request(self.base + path, data=data, method=method,
                                         headers={"Content-Type": "application/json"})
            try:
                with urllib.request.urlopen(req, timeout=read_timeout) as resp:
                    return json.loads(resp.read() or b"{}").get("value")
            except urllib.error.HTTPError as e:
                raise WebDriverError(f"{method} {path}: {e.code} {e.read()[:500]!r}") from e
            except (ConnectionError, http.client.RemoteDisconnected) as e:
                if attempt == 2:
                    raise
                time.sleep(0.3)

    def cmd(self, method: str, path: str, body=None):
        return self._call(method, f"/session/{self.id}{path}", body)

    def find(self, css: str, timeout: float = 20.0) -> str:
        """Waits for an element matching `css` and returns its id."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                found = self.cmd("POST", "/element", {"using": "css selector", "value": css})
                return found[ELEMENT]
            except WebDriverError:
                if time.monotonic() > deadline:
                    raise WebDriverError(f"no element matches {css!r} after {timeout} s")
                time.sleep(0.2)

    def find_all(self, css: str) -> list:
        found = self.cmd("POST", "/elements", {"using": "css selector", "value": css})
        return [f[ELEMENT] for f in found]

    def wait_for(self, predicate, what: str, timeout: float = 20.0):
        """Polls `predicate()` until it returns a truthy value, which it returns."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                value = predicate()
                if value:
                    return value
            except WebDriverError:
                pass
            if time.monotonic() > deadline:
                raise WebDriverError(f"timed out waiting for {what}")
            time.sleep(0.2)

    def click(self, css: str) -> None:
        element = self.find(css)
        # WebKitWebDriver scrolls an element only until it touches the viewport's edge,
        # where a scrollbar can cover it; centre it first.
        self.cmd("POST", "/execute/sync", {
            "script": "arguments[0].scrollIntoView({block: 'center', inline: 'nearest'})",
            "args": [{ELEMENT: element}],
        })
        self.cmd("POST", f"/element/{element}/click", {})

    def type(self, css: str, text: str, clear: bool = True) -> None:
        element = self.find(css)
        if clear:
            self.cmd("POST", f"/element/{element}/clear", {})
        self.cmd("POST", f"/element/{element}/value", {"text": text})

    def js(self, script: str, *args):
        return self.cmd("POST", "/execute/sync", {"script": script, "args": list(args)})

    def select(self, css: str, value: str) -> None:
        """Sets a <select> and fires its change event (as a person choosing would)."""
        self.find(css)
        self.js(
            "const el = document.querySelector(arguments[0]); el.value = arguments[1];"
            "el.dispatchEvent(new Event('change', {bubbles: true}));",
            css,
            value,
        )

    def keys(self, *chords: str) -> None:
        """Presses key chords, e.g. keys('\ue009k') for Ctrl+K (W3C key codes)."""
        actions = []
        for chord in chords:
            down = [{"type": "keyDown", "value": k} for k in chord]
            up = [{"type": "keyUp", "value": k} for k in reversed(chord)]
            actions.extend(down + up)
        self.cmd("POST", "/actions", {"actions": [{"type": "key", "id": "keyboard", "actions": actions}]})

    def drag(self, source: str, target: str) -> None:
        """Presses on `source`, moves in steps onto `target`, releases: a pointer drag.
        A list that re-renders between finding and dragging (a filter's fetch landing)
        makes the references stale; the drag then never started, so it is tried again."""
        for attempt in range(3):
            try:
                self._drag(self.find(source), self.find(target))
                return
            except WebDriverError as e:
                if "stale element" not in str(e) or attempt == 2:
                    raise
                time.sleep(0.3)

    def _drag(self, src: str, dst: str) -> None:
        self.cmd("POST", "/actions", {"actions": [{
            "type": "pointer", "id": "mouse", "parameters": {"pointerType": "mouse"},
            "actions": [
                {"type": "pointerMove", "origin": {ELEMENT: src}, "x": 0, "y": 0},
                {"type": "pointerDown", "button": 0},
                {"type": "pause", "duration": 50},
                {"type": "pointerMove", "origin": {ELEMENT: src}, "x": 30, "y": 12, "duration": 100},
                {"type": "pointerMove", "origin": {ELEMENT: dst}, "x": 0, "y": 0, "duration": 250},
                {"type": "pause", "duration": 50},
                {"type": "pointerUp", "button": 0},
            ],
        }]})
        self.cmd("DELETE", "/actions")

    def text(self, element: str) -> str:
        return self.cmd("GET", f"/element/{element}/text")

    def attribute(self, element: str, name: str):
        return self.cmd("GET", f"/element/{element}/attribute/{name}")

    def settle(self) -> None:
        """Waits two animation frames so a screenshot shows what the DOM already holds."""
        self.cmd("POST", "/execute/async", {
            "script": "const done = arguments[0]; requestAnimationFrame(() => requestAnimationFrame(() => done(true)));",
            "args": [],
        })
        time.sleep(0.2)

    def screenshot(self, path: str) -> None:
        self.settle()
        png = base64.b64decode(self.cmd("GET", "/screenshot"))
        with open(path, "wb") as f:
            f.write(png)

    def close(self) -> None:
        try:
            self._call("DELETE", f"/session/{self.id}")
        except WebDriverError:
            pass
