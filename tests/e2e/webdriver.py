"""A minimal W3C WebDriver client over the standard library, for tauri-driver."""

import base64
import json
import time
import urllib.error
import urllib.request

ELEMENT = "element-6066-11e4-a52e-4f735466cecf"


class WebDriverError(RuntimeError):
    pass


class Session:
    def __init__(self, base_url: str, application: str, timeout: float = 60.0):
        self.base = base_url.rstrip("/")
        caps = {"capabilities": {"alwaysMatch": {"tauri:options": {"application": application}}}}
        deadline = time.monotonic() + timeout
        while True:
            try:
                value = self._call("POST", "/session", caps)
                break
            except (urllib.error.URLError, ConnectionError) as e:
                if time.monotonic() > deadline:
                    raise WebDriverError(f"tauri-driver did not answer: {e}") from e
                time.sleep(0.3)
        self.id = value["sessionId"]

    def _call(self, method: str, path: str, body=None):
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.base + path, data=data, method=method,
                                     headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=60) as resp:
                return json.loads(resp.read() or b"{}").get("value")
        except urllib.error.HTTPError as e:
            raise WebDriverError(f"{method} {path}: {e.code} {e.read()[:500]!r}") from e

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
