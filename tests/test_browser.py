"""Lecture mode in a real browser: headless Chromium on the offline decks and on JupyterLab.

(a) Every chapter exported by ``course_utils.slides`` (what ``course slides OUT`` does) is
opened from disk, as a lecturer would double-click it, in a Chromium that resolves no
host name: reveal.js must initialise with the slide count the notebook's ``slideshow``
metadata gives, show slide numbers, load nothing but local files, log no JavaScript error,
and leave no untypeset ``$...$`` in the text. A screenshot of each first slide is written
to a temporary folder (its path is printed).

(b) ``course lab`` is started on loopback (free port, token, temporary Jupyter dirs, on a
temporary copy of chapter 01, or 00 while 01 does not exist): the chapter opened from
the file browser renders its cells, and one click on the RISE toolbar button opens the
live slideshow (``/rise/<notebook>``) with the same slides.

Chromium comes from Debian (``apt-get install chromium``; ``.ci/run`` installs it); the
tests are skipped only when it is absent. The slide assets come from
``course slides --fetch-assets``: without them the deck tests fail and say so.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import nbformat
import pytest

from course_utils.notebooks import notebook_paths
from course_utils.slides import copy_assets, count_slides, export_deck, find_assets

sys.path.insert(0, str(Path(__file__).parent))
from chromium import Chromium, Page, find_chromium  # noqa: E402

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(find_chromium() is None,
                       reason="Chromium is not installed (Debian: apt-get install chromium)"),
]

CHAPTERS = notebook_paths()
DECK_REPORT_JS = (Path(__file__).parent / "deck_report.js").read_text()
# Math left as source: $$...$$ or $...$, \( ... \), \[ ... \], \begin{...}, MathJax's error.
UNTYPESET = re.compile(r"\$\$.+?\$\$|\$[^$]+\$|\\\(|\\\[|\\begin\{|Math Processing Error", re.S)
LOCAL_SCHEMES = ("file:", "data:", "blob:", "about:")
TIMEOUT = 120  # seconds for anything a busy 2-core machine may take long to do


def _visible_markdown(nb) -> list[str]:
    return [cell.source for cell in nb.cells if cell.cell_type == "markdown"
            and cell.metadata.get("slideshow", {}).get("slide_type") != "skip"]


# --------------------------------------------------------------------------- (a) decks


@pytest.fixture(scope="module")
def browser():
    chromium = Chromium(timeout=TIMEOUT)
    yield chromium
    chromium.close()


@pytest.fixture(scope="module")
def screenshot_dir(request):
    # Not under pytest's basetemp: that keeps only the last runs (of anyone on the machine).
    folder = Path(tempfile.mkdtemp(prefix="course-slide-screenshots-"))
    yield folder
    capture = request.config.pluginmanager.getplugin("capturemanager")
    with capture.global_and_fixture_disabled() if capture else contextlib.nullcontext():
        print(f"\nscreenshots of the first slides: {folder}")


@pytest.fixture(scope="module")
def deck_dir(tmp_path_factory):
    """OUT with the assets copied, as ``course slides OUT`` leaves it (decks come per test)."""
    out = tmp_path_factory.mktemp("slides")
    copy_assets(find_assets(), out)  # fails, saying how to fetch them, when they are absent
    return out


def load_deck(page: Page, deck: Path) -> dict:
    """Open a deck from disk and return deck_report.js's report of it."""
    page.goto(deck.as_uri(), timeout=TIMEOUT)
    page.wait_for("document.querySelector('.reveal.ready') !== null", timeout=TIMEOUT,
                  what="reveal.js to initialise (.reveal.ready)")
    report = page.evaluate(DECK_REPORT_JS, timeout=TIMEOUT, await_promise=True)
    page.drain(0.3)
    return report


def check_deck(report: dict, page: Page, deck: Path, nb) -> None:
    """Every assertion on one rendered deck (also used to show that a broken deck fails)."""
    expected = count_slides(nb)
    assert report["reveal"] and report["ready"], f"reveal.js did not initialise: {report}"
    assert (report["horizontal"], report["total"]) == (expected.slides, expected.total), (
        f"{deck.name}: {report['horizontal']} slides / {report['total']} with sub-slides in "
        f"the browser, the slideshow metadata gives {expected.slides} / {expected.total}")
    assert report["slideNumber"] == f"1 / {expected.total}", f"slide number: {report['slideNumber']!r}"
    assert not page.problems, f"{deck.name}: JavaScript errors or failed loads:\n" + "\n".join(
        map(str, page.problems))
    remote = [url for url in page.requests if not url.startswith(LOCAL_SCHEMES)]
    assert not remote, f"{deck.name} requested non-local URLs: {remote}"
    outside = [url for url in page.requests if url.startswith("file:") and not Path(
        urllib.parse.unquote(urllib.parse.urlparse(url).path)).is_relative_to(deck.parent)]
    assert not outside, f"{deck.name} loaded files from outside its folder: {outside}"
    left = sorted({m.group(0)[:60] for m in UNTYPESET.finditer(report.get("text", ""))})
    assert report["mathjax"] == "done" and not left, (
        f"{deck.name}: math not typeset (MathJax: {report['mathjax']}); left as source: {left[:8]}")
    assert not report["mathErrors"], f"{deck.name}: MathJax errors: {report['mathErrors']}"
    if any("$" in source for source in _visible_markdown(nb)):
        assert report["typesetCount"] > 0, f"{deck.name}: the notebook has math, none was typeset"


@pytest.mark.parametrize("notebook", CHAPTERS, ids=[p.stem for p in CHAPTERS])
def test_deck_renders_offline(notebook, browser, deck_dir, screenshot_dir):
    start = time.perf_counter()
    deck = export_deck(notebook, deck_dir).path
    exported = time.perf_counter()
    page = browser.new_page()
    try:
        report = load_deck(page, deck)
        shot = page.screenshot(screenshot_dir / f"{notebook.stem}.png")
        print(f"{notebook.stem}: {report.get('horizontal')} slides, {report.get('total')} with "
              f"sub-slides; export {exported - start:.1f} s, browser "
              f"{time.perf_counter() - exported:.1f} s; first slide: {shot}; taller than the "
              f"screen: {', '.join(report.get('tooTall') or []) or 'none'}")
        check_deck(report, page, deck, nbformat.read(notebook, as_version=4))
    finally:
        page.close()


def test_broken_mathjax_path_fails_the_checks(browser, deck_dir, tmp_path):
    """The checks can fail: a deck whose MathJax URL is wrong leaves its math as source."""
    cells = [nbformat.v4.new_markdown_cell("# Title\n\nThe loss $L(w) = \\|w\\|^2$.",
                                           metadata={"slideshow": {"slide_type": "slide"}})]
    path = tmp_path / "math.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=cells), path)
    deck = export_deck(path, deck_dir, urls={"mathjax_url": "assets/no-mathjax/MathJax.js"}).path
    page = browser.new_page()
    try:
        report = load_deck(page, deck)
        assert report["mathjax"] == "not loaded"
        assert UNTYPESET.search(report["text"]), report["text"]
        with pytest.raises(AssertionError, match="JavaScript errors or failed loads"):
            check_deck(report, page, deck, nbformat.read(path, as_version=4))
        page.problems.clear()  # a deck that only misses MathJax still fails, on the math
        with pytest.raises(AssertionError, match=r"math not typeset .*\$L\(w\)"):
            check_deck(report, page, deck, nbformat.read(path, as_version=4))
    finally:
        page.close()


# --------------------------------------------------------------------------- (b) JupyterLab

# `course lab --notebook-dir` serves a temporary copy of the chapter, so that the RISE
# button (which saves the notebook first) never writes to the repository.
_COURSE_LAB = "from course_utils.cli import main; import sys; raise SystemExit(main(sys.argv[1:]))"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Lab:
    url: str
    token: str
    notebook: Path
    log: Path
    started: float = 0.0

    def log_tail(self) -> str:
        return self.log.read_text(errors="replace")[-3000:]


def _lab_chapter() -> Path:
    chapters = {p.name[:2]: p for p in CHAPTERS}
    if not chapters:
        pytest.fail("no chapter notebooks in notebooks/")
    return chapters.get("01", CHAPTERS[0])


def _start_lab(tmp: Path) -> tuple[subprocess.Popen, Lab]:
    chapter = _lab_chapter()
    root = tmp / "root"
    root.mkdir()
    shutil.copy2(chapter, root / chapter.name)
    dirs = {name: tmp / name for name in ("config", "runtime", "data", "settings", "workspaces", "ipython")}
    for folder in dirs.values():
        folder.mkdir()
    # No autosave (nothing is written unless a test asks), no news or update checks.
    settings = {"docmanager-extension/plugin": {"autosave": False},
                "apputils-extension/notification": {"fetchNews": "false", "checkForUpdates": False}}
    for name, values in settings.items():
        path = dirs["settings"] / "@jupyterlab" / f"{name}.jupyterlab-settings"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values))
    env = {**os.environ, "JUPYTER_CONFIG_DIR": str(dirs["config"]),
           "JUPYTER_RUNTIME_DIR": str(dirs["runtime"]), "JUPYTER_DATA_DIR": str(dirs["data"]),
           "JUPYTERLAB_SETTINGS_DIR": str(dirs["settings"]),
           "JUPYTERLAB_WORKSPACES_DIR": str(dirs["workspaces"]), "IPYTHONDIR": str(dirs["ipython"])}
    port, token = _free_port(), secrets.token_hex(16)
    log = tmp / "lab.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-c", _COURSE_LAB, "lab", "--no-browser", f"--notebook-dir={root}",
             "--ServerApp.ip=127.0.0.1",
             f"--ServerApp.port={port}", "--ServerApp.port_retries=0",
             f"--IdentityProvider.token={token}", "--ServerApp.allow_root=True"],
            env=env, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
            start_new_session=True)  # its own process group: `jupyter lab` is a child of it
    return process, Lab(url=f"http://127.0.0.1:{port}", token=token, notebook=root / chapter.name,
                        log=log)


def _stop_lab(process: subprocess.Popen, server: Lab) -> None:
    try:  # shuts the kernels down, then the server
        request = urllib.request.Request(f"{server.url}/api/shutdown?token={server.token}", method="POST")
        urllib.request.urlopen(request, timeout=10).close()
        process.wait(timeout=30)
    except Exception:
        pass
    for sig in (signal.SIGTERM, signal.SIGKILL):  # whatever is left of its process group
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, sig)
        try:
            process.wait(timeout=20)
            break
        except subprocess.TimeoutExpired:
            continue


@pytest.fixture(scope="module", autouse=True)
def _lab_boot(request, tmp_path_factory):
    """Start ``course lab`` when the module starts, so that it boots while the decks are
    tested (only if a selected test needs it)."""
    if not any("lab" in item.fixturenames for item in request.session.items
               if getattr(item, "module", None) is request.module):
        yield None
        return
    process, server = _start_lab(tmp_path_factory.mktemp("lab"))
    server.started = time.perf_counter()
    try:
        yield process, server
    finally:
        _stop_lab(process, server)


@pytest.fixture(scope="module")
def lab(_lab_boot):
    """``course lab`` on 127.0.0.1 with a token, on a copy of one chapter, isolated dirs."""
    process, server = _lab_boot
    deadline = time.monotonic() + TIMEOUT
    while True:
        if process.poll() is not None:
            pytest.fail(f"course lab exited with {process.returncode}:\n{server.log_tail()}")
        try:
            with urllib.request.urlopen(f"{server.url}/api/status?token={server.token}", timeout=5):
                break
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            if time.monotonic() > deadline:
                pytest.fail(f"course lab did not answer in {TIMEOUT} s:\n{server.log_tail()}")
            time.sleep(0.25)
    print(f"course lab answered {time.perf_counter() - server.started:.1f} s after its start")
    return server


def _mouse_click(page: Page, element: str, *, count: int = 1) -> None:
    """A real mouse click (press and release) at the centre of a DOM element."""
    x, y = page.evaluate(
        f"(r => [r.x + r.width / 2, r.y + r.height / 2])(({element}).getBoundingClientRect())")
    page.call("Input.dispatchMouseEvent", type="mouseMoved", x=x, y=y)
    for clicks in range(1, count + 1):
        for kind in ("mousePressed", "mouseReleased"):
            page.call("Input.dispatchMouseEvent", type=kind, x=x, y=y, button="left", clickCount=clicks)


def _expected_outputs(nb) -> int:
    """Output areas JupyterLab shows: consecutive stream outputs of one name are merged."""
    count = 0
    for cell in nb.cells:
        previous = None
        for output in cell.get("outputs", []):
            stream = output.get("name") if output.output_type == "stream" else None
            count += not (stream and stream == previous)
            previous = stream
    return count


@pytest.fixture(scope="module")
def lab_page(lab, browser, screenshot_dir):
    """JupyterLab in Chromium with the chapter opened by a double click in the file browser."""
    start = time.perf_counter()
    page = browser.new_page()
    page.call("Emulation.setFocusEmulationEnabled", enabled=True)  # a focused window, as for a person
    page.goto(f"{lab.url}/lab?reset&token={lab.token}", timeout=TIMEOUT)
    item = ("Array.from(document.querySelectorAll('.jp-DirListing-item')).find(e => "
            f"(e.querySelector('.jp-DirListing-itemText') || {{}}).textContent === '{lab.notebook.name}')")
    item = f"({item} || null)"
    page.wait_for(f"(e => e !== null && e.getBoundingClientRect().width > 0)({item})", timeout=TIMEOUT,
                  what=f"{lab.notebook.name} in the file browser")
    panel = "document.querySelector('.jp-NotebookPanel')"
    for _ in range(3):  # a double click that lands while the listing is still settling is lost
        _mouse_click(page, item, count=2)
        try:
            page.wait_for(f"{panel} !== null", timeout=20)
            break
        except Exception:
            continue
    page.wait_for(f"{panel} !== null", timeout=TIMEOUT, what="the notebook panel")
    print(f"JupyterLab: {lab.notebook.name} opened in {time.perf_counter() - start:.1f} s")
    yield page
    page.screenshot(screenshot_dir / "jupyterlab.png")
    page.close()


def test_lab_opens_chapter_and_renders_cells(lab, lab_page):
    nb = nbformat.read(lab.notebook, as_version=4)
    # collapsed cells (lecturer's notes, stored with source_hidden) show a placeholder instead
    n_markdown = sum(cell.cell_type == "markdown"
                     and not cell.metadata.get("jupyter", {}).get("source_hidden", False)
                     for cell in nb.cells)
    n_images = sum("image/png" in output.get("data", {})
                   for cell in nb.cells for output in cell.get("outputs", []))
    state = lab_page.wait_for(f"""(() => {{
        const nb = document.querySelector('.jp-NotebookPanel');
        const s = {{cells: nb.querySelectorAll('.jp-Cell').length,
                   markdown: nb.querySelectorAll('.jp-MarkdownCell .jp-RenderedMarkdown').length,
                   outputs: nb.querySelectorAll('.jp-OutputArea-output').length,
                   images: nb.querySelectorAll('.jp-OutputArea-output img').length,
                   math: nb.querySelectorAll('mjx-container').length,
                   title: (nb.querySelector('.jp-RenderedMarkdown h1') || {{}}).textContent || ''}};
        return s.cells === {len(nb.cells)} && s.markdown === {n_markdown} && s.images === {n_images} && s;
    }})()""", timeout=TIMEOUT,
                               what=f"{len(nb.cells)} cells, {n_markdown} markdown, {n_images} images")
    assert state["outputs"] == _expected_outputs(nb), state
    heading = re.search(r"^#\s+(.+)$", nb.cells[0].source if nb.cells else "", re.M)
    if heading:
        assert state["title"].rstrip("¶").strip() == heading.group(1).strip(), state
    if any("$" in source for source in _visible_markdown(nb)):
        lab_page.wait_for("document.querySelectorAll('.jp-NotebookPanel mjx-container').length > 0",
                          timeout=TIMEOUT, what="MathJax in JupyterLab")
    lab_page.drain(0.3)
    assert not lab_page.problems, "JupyterLab logged errors:\n" + "\n".join(map(str, lab_page.problems))


def test_rise_button_opens_slideshow(lab, lab_page):
    """One click on the toolbar's RISE button opens /rise/<notebook> with the right slides."""
    nb = nbformat.read(lab.notebook, as_version=4)
    expected = count_slides(nb)
    button = ("document.querySelector('.jp-NotebookPanel "
              "[data-jp-item-name=\"RISE-button\"] jp-button')")
    lab_page.wait_for(f"(b => b !== null && b.getAttribute('aria-disabled') !== 'true')({button})",
                      timeout=TIMEOUT, what="the RISE toolbar button (enabled)")
    _mouse_click(lab_page, button)
    src = lab_page.wait_for("(f => f && f.src)(document.querySelector('iframe[src*=\"/rise/\"]'))",
                            timeout=TIMEOUT, what="the RISE panel")
    assert src.startswith(f"{lab.url}/rise/{lab.notebook.name}"), src
    frame = "document.querySelector('iframe[src*=\"/rise/\"]').contentDocument"
    state = lab_page.wait_for(f"""(d => d && d.querySelector('.reveal.ready') !== null && {{
        slides: d.querySelectorAll('.reveal .slides > section').length,
        total: d.querySelectorAll('.reveal .slides section:not(.stack)').length,
        present: (d.querySelector('.reveal section.present') || {{}}).textContent || ''}})({frame})""",
                              timeout=TIMEOUT, what="the RISE slideshow (.reveal.ready)")
    assert (state["slides"], state["total"]) == (expected.slides, expected.total), state
    heading = re.search(r"^#\s+(.+)$", nb.cells[0].source if nb.cells else "", re.M)
    if heading:
        assert heading.group(1).strip() in state["present"], state["present"][:200]
    lab_page.drain(0.3)
    # RISE's own bundle logs console errors loading other extensions and its toolkit
    # (known, harmless); an uncaught exception is not harmless.
    exceptions = [str(p) for p in lab_page.problems if p.kind == "exception"]
    assert not exceptions, exceptions
