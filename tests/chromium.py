"""A small headless-Chromium driver for the browser tests (Chrome DevTools Protocol).

It talks to Debian's ``/usr/bin/chromium`` over the DevTools websocket with
``websocket-client`` (a dependency of jupyter_server, so no extra install): open a page,
evaluate JavaScript, poll for a condition, take a screenshot, and collect what went wrong
on the page (uncaught exceptions, ``console.error``, failed loads) and every URL it
requested. Chromium starts with the flags a closed network needs and resolves no host
names but loopback, so a page that would fetch something from the internet fails loudly
instead of passing because the CI machine happens to be online.
"""

from __future__ import annotations

import base64
import itertools
import json
import shutil
import subprocess
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import websocket

CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-default-apps", "--disable-extensions", "--mute-audio", "--hide-scrollbars",
    "--disable-dev-shm-usage", "--window-size=1280,800",
    # No DNS: anything but loopback fails, as on a machine with no network.
    "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE localhost , EXCLUDE 127.0.0.1",
    "--remote-debugging-port=0",
)


def find_chromium() -> str | None:
    """The path of a Chromium/Chrome executable, or None."""
    for name in CANDIDATES:
        path = shutil.which(name)
        if path:
            return path
    return None


class BrowserError(RuntimeError):
    """Chromium did not start, or a DevTools call failed or timed out."""


@dataclass
class Problem:
    """Something that went wrong on a page: its kind and text."""

    kind: str
    text: str

    def __str__(self) -> str:
        return f"{self.kind}: {self.text}"


@dataclass
class Page:
    """One browser tab, driven over its DevTools websocket."""

    ws: websocket.WebSocket
    problems: list[Problem] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    _ids: itertools.count = field(default_factory=lambda: itertools.count(1))

    def _handle(self, message: dict) -> None:
        method, params = message.get("method"), message.get("params", {})
        if method == "Runtime.exceptionThrown":
            details = params["exceptionDetails"]
            text = details.get("exception", {}).get("description") or details.get("text", "")
            self.problems.append(Problem("exception", f"{text} ({details.get('url', '')}:"
                                                      f"{details.get('lineNumber', '?')})"))
        elif method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
            text = " ".join(str(a.get("value", a.get("description", ""))) for a in params["args"])
            self.problems.append(Problem(f"console.{params['type']}", text))
        elif method == "Log.entryAdded" and params["entry"]["level"] == "error":
            entry = params["entry"]
            self.problems.append(Problem(f"log ({entry.get('source')})",
                                         f"{entry['text']} {entry.get('url', '')}".strip()))
        elif method == "Network.requestWillBeSent":
            self.requests.append(params["request"]["url"])
        elif method == "Network.loadingFailed" and not params.get("canceled"):
            self.problems.append(Problem("load failed", f"{params.get('errorText')} "
                                                        f"({params.get('type', '')})"))

    def call(self, method: str, timeout: float = 60, **params) -> dict:
        """Send one DevTools command and return its result (events are recorded meanwhile)."""
        ident = next(self._ids)
        self.ws.send(json.dumps({"id": ident, "method": method, "params": params}))
        deadline = time.monotonic() + timeout
        while True:
            self.ws.settimeout(max(0.1, deadline - time.monotonic()))
            try:
                message = json.loads(self.ws.recv())
            except websocket.WebSocketTimeoutException:
                raise BrowserError(f"{method}: no answer in {timeout} s") from None
            if message.get("id") == ident:
                if "error" in message:
                    raise BrowserError(f"{method}: {message['error']}")
                return message.get("result", {})
            self._handle(message)

    def evaluate(self, expression: str, *, timeout: float = 60, await_promise: bool = False):
        """The value of a JavaScript expression (JSON-serializable values only)."""
        result = self.call("Runtime.evaluate", timeout=timeout, expression=expression,
                           returnByValue=True, awaitPromise=await_promise)
        if "exceptionDetails" in result:
            details = result["exceptionDetails"]
            raise BrowserError(f"{expression[:80]!r} threw: "
                               f"{details.get('exception', {}).get('description', details)}")
        return result["result"].get("value")

    def wait_for(self, expression: str, *, timeout: float = 60, interval: float = 0.25,
                 what: str | None = None):
        """Poll a JavaScript expression until it is truthy; return its value.

        Errors thrown while the page is still loading count as "not yet".
        """
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            try:
                value = self.evaluate(expression, timeout=max(1.0, deadline - time.monotonic()))
            except BrowserError as error:
                value, last = None, error
            if value:
                return value
            time.sleep(interval)
        problems = "; ".join(map(str, self.problems[:5])) or "none"
        raise BrowserError(f"timed out after {timeout} s waiting for {what or expression!r} "
                           f"(last error: {last}; page problems: {problems})")

    def goto(self, url: str, *, timeout: float = 60) -> None:
        """Navigate and wait for the load event's document to be complete."""
        self.call("Page.navigate", url=url)
        self.wait_for("document.readyState === 'complete' && location.href !== 'about:blank'",
                      timeout=timeout, what=f"{url} to load")

    def screenshot(self, path: str | Path) -> Path:
        """Save a PNG of the viewport."""
        data = self.call("Page.captureScreenshot", format="png")["data"]
        path = Path(path)
        path.write_bytes(base64.b64decode(data))
        return path

    def drain(self, seconds: float = 0.3) -> None:
        """Record the events that arrive within ``seconds`` (late console errors)."""
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            self.ws.settimeout(left)
            try:
                self._handle(json.loads(self.ws.recv()))
            except websocket.WebSocketTimeoutException:
                break

    def close(self) -> None:
        self.ws.close()


class Chromium:
    """A headless Chromium process with a fresh profile; ``new_page()`` opens tabs."""

    def __init__(self, executable: str | None = None, *, timeout: float = 60) -> None:
        executable = executable or find_chromium()
        if executable is None:
            raise BrowserError("no Chromium found (Debian: apt-get install chromium)")
        self.profile = Path(tempfile.mkdtemp(prefix="course-chromium-"))
        self.log = Path(tempfile.mkdtemp(prefix="course-chromium-log-")) / "chromium.log"
        with self.log.open("wb") as log:  # a file, not a pipe: a full pipe would block it
            self.process = subprocess.Popen(
                [executable, *FLAGS, f"--user-data-dir={self.profile}", "about:blank"],
                stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT)
        port_file = self.profile / "DevToolsActivePort"
        deadline = time.monotonic() + timeout
        while not (port_file.exists() and len(port_file.read_text().split()) == 2):
            if self.process.poll() is not None:
                raise BrowserError(f"Chromium exited with {self.process.returncode}: "
                                   f"{self.log.read_text(errors='replace')[-2000:]}")
            if time.monotonic() > deadline:
                self.close()
                raise BrowserError(f"Chromium did not open its DevTools port in {timeout} s")
            time.sleep(0.1)
        self.port = int(port_file.read_text().split()[0])
        self.timeout = timeout

    def new_page(self) -> Page:
        """Open a blank tab with page, runtime, log and network events on."""
        request = urllib.request.Request(f"http://127.0.0.1:{self.port}/json/new?about:blank",
                                         method="PUT")
        with urllib.request.urlopen(request, timeout=self.timeout) as response:
            target = json.load(response)
        ws = websocket.create_connection(target["webSocketDebuggerUrl"], timeout=self.timeout,
                                         suppress_origin=True)
        page = Page(ws)
        for domain in ("Page", "Runtime", "Log", "Network"):
            page.call(f"{domain}.enable")
        return page

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        shutil.rmtree(self.profile, ignore_errors=True)
        shutil.rmtree(self.log.parent, ignore_errors=True)
