"""``course slides``: slide counting, offline deck export, assets, the CLI (no browser here;
tests/test_browser.py opens the decks in Chromium).

nbconvert's own ``SlidesExporter`` is the oracle for the slide layout: the ``<section>``
elements of its HTML are what reveal.js counts.
"""

from __future__ import annotations

import json
import os
import re
import stat
from html.parser import HTMLParser

import nbformat
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from nbconvert import SlidesExporter
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from course_utils import slides
from course_utils.cli import main
from course_utils.slides import (
    ASSET_FILES,
    ASSET_PACKAGES,
    AssetsMissingError,
    SlideCount,
    count_slides,
    deck_notebook,
    export_deck,
    export_decks,
    fetch_assets,
    find_assets,
)

pytestmark = pytest.mark.core

TYPES = ("slide", "subslide", "fragment", "-", "skip", "notes")


def notebook(types, *, path=None):
    """A notebook with one markdown cell per slide type (``None``: no slideshow metadata)."""
    cells = []
    for index, slide_type in enumerate(types):
        metadata = {} if slide_type is None else {"slideshow": {"slide_type": slide_type}}
        cells.append(new_markdown_cell(f"cell {index}: $x_{index}$", metadata=metadata))
    nb = new_notebook(cells=cells)
    if path is not None:
        nbformat.write(nb, path)
    return nb


class _Sections(HTMLParser):
    """Count ``<section>`` elements: top level (horizontal slides) and innermost (pages)."""

    def __init__(self):
        super().__init__()
        self.depth, self.top, self.leaves, self._children = 0, 0, 0, []

    def handle_starttag(self, tag, attrs):
        if tag == "section":
            if self._children:
                self._children[-1] += 1
            self.depth += 1
            self.top += self.depth == 1
            self._children.append(0)

    def handle_endtag(self, tag):
        if tag == "section":
            self.depth -= 1
            self.leaves += self._children.pop() == 0


@pytest.fixture(scope="module")
def oracle():
    exporter = SlidesExporter()

    def layout(nb) -> SlideCount:
        body, _ = exporter.from_notebook_node(nb)
        parser = _Sections()
        parser.feed(body)
        return SlideCount(slides=parser.top, total=parser.leaves)

    return layout


@pytest.mark.parametrize("types", [
    ["slide"],
    ["slide", "-", "fragment", "subslide", "-", "slide", "subslide", "subslide"],
    ["skip", "notes", "-", "subslide", "slide"],  # the first visible cell opens the deck
    ["subslide", "slide", "skip", "slide", "notes", "fragment"],
    [None, None, "slide", None],  # no metadata means "-"
])
def test_count_slides_matches_nbconvert_layout(types, oracle):
    nb = notebook(types)
    assert count_slides(nb) == oracle(nb)


@settings(max_examples=25, deadline=None)
@given(st.lists(st.sampled_from(TYPES), min_size=1, max_size=12).filter(
    lambda types: any(t not in ("skip", "notes") for t in types)))
def test_count_slides_matches_nbconvert_on_any_sequence(oracle, types):
    nb = notebook(types)
    assert count_slides(nb) == oracle(nb)


def test_count_slides_rejects_unknown_type_and_hidden_notebooks():
    with pytest.raises(ValueError, match=r"slide_type must be one of .* but got 'slides'"):
        count_slides(notebook(["slide", "slides"]))
    with pytest.raises(ValueError, match="every cell is skip or notes"):
        count_slides(notebook(["skip", "notes"]))


def test_deck_notebook_replaces_widgets_and_leaves_the_input_alone():
    cell = new_code_cell("explorer", outputs=[new_output(
        "display_data", data={"application/vnd.jupyter.widget-view+json": {"model_id": "m"},
                              "text/plain": "interactive(...)"})])
    nb = new_notebook(cells=[new_markdown_cell("# t"), cell])
    nb.metadata["widgets"] = {"application/vnd.jupyter.widget-state+json": {"state": {}}}
    deck = deck_notebook(nb)
    assert "widgets" not in deck.metadata and "widgets" in nb.metadata
    data = deck.cells[1].outputs[0]["data"]
    assert "application/vnd.jupyter.widget-view+json" not in data and "course lab" in data["text/html"]
    assert "application/vnd.jupyter.widget-view+json" in nb.cells[1].outputs[0]["data"]


# The files a deck loads, by the paths ASSET_FILES copies (a fake node_modules holds them).
_LOADED = {
    "reveal.js": ["dist/reveal.js", "dist/reveal.css", "dist/theme/white.css", "plugin/notes/notes.js",
                  "LICENSE"],
    "mathjax": ["MathJax.js", "config/TeX-AMS_CHTML-full.js", "config/Safe.js", "extensions/Safe.js",
                "jax/input/TeX/config.js", "jax/output/CommonHTML/jax.js", "jax/element/mml/jax.js",
                "fonts/HTML-CSS/TeX/woff/MathJax_Main-Regular.woff",
                "fonts/HTML-CSS/TeX/otf/MathJax_Main-Regular.otf", "LICENSE"],
    "requirejs": ["require.js"],
    "jquery": ["dist/jquery.min.js", "LICENSE.txt"],
}


@pytest.fixture
def fake_assets(tmp_path):
    folder = tmp_path / "assets-cache"
    for package, files in _LOADED.items():
        for name in files:
            path = folder / "node_modules" / package / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(f"/* {package}/{name} */")
    return folder


class _Resources(HTMLParser):
    """What a page loads: script src, stylesheet href, img src (links are not loads)."""

    def __init__(self):
        super().__init__()
        self.urls = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag in ("script", "img") and attrs.get("src"):
            self.urls.append(attrs["src"])
        if tag == "link" and attrs.get("href"):
            self.urls.append(attrs["href"])


def loaded_urls(html: str) -> list[str]:
    parser = _Resources()
    parser.feed(html)
    required = re.findall(r'require\(\s*\{[^}]*\},\s*\[([^\]]*)\]', html)
    modules = re.findall(r"import\s+\w+\s+from\s+['\"]([^'\"]+)['\"]", html)
    return parser.urls + [u.strip().strip('"') for block in required for u in block.split(",")] + modules


def test_export_writes_offline_decks_whose_every_load_is_a_copied_file(tmp_path, fake_assets):
    out = tmp_path / "out"
    path = tmp_path / "07_demo.ipynb"
    nb = notebook(["slide", "subslide", "slide"], path=path)
    decks = export_decks(out, [str(path)], assets=fake_assets)
    assert [d.path for d in decks] == [out / "07_demo.slides.html"] and decks[0].count == count_slides(nb)
    html = decks[0].path.read_text()
    urls = [u for u in loaded_urls(html) if not u.startswith("data:")]
    assert urls and not [u for u in urls if re.match(r"(https?:)?//", u)], urls
    for url in urls:
        assert (out / url.split("?")[0]).is_file(), f"{url} is not in {out}"
    assert "mermaid" not in " ".join(urls)
    assert 'slideNumber: "c/t"' in html
    for package, items in ASSET_FILES.items():  # only the listed parts are copied
        assert sorted(p.name for p in (out / "assets" / package).iterdir()) == sorted(
            {item.split("/")[0] for item in items})


def test_export_deck_rejects_unknown_url_keys(tmp_path):
    path = tmp_path / "x.ipynb"
    notebook(["slide"], path=path)
    with pytest.raises(ValueError, match=r"urls keys must be among .* but got \['mathjax'\]"):
        export_deck(path, tmp_path, urls={"mathjax": "x.js"})


def test_missing_assets_say_how_to_fetch_them(tmp_path):
    with pytest.raises(AssetsMissingError, match=r"course slides --fetch-assets.*npm install"):
        find_assets(tmp_path / "nothing")
    with pytest.raises(AssetsMissingError):  # nothing exported without them
        export_decks(tmp_path / "out", ["00"], assets=tmp_path / "nothing")
    assert not (tmp_path / "out").exists()


def _fake_npm(tmp_path, files=_LOADED):
    """An ``npm`` that records its arguments and 'installs' the listed files."""
    script = tmp_path / "bin" / "npm"
    script.parent.mkdir()
    creates = "\n".join(f"mkdir -p node_modules/{p}/{os.path.dirname(n) or '.'} && touch node_modules/{p}/{n}"
                        for p, names in files.items() for n in names)
    script.write_text(f'#!/bin/sh\necho "$@" > npm-args\n{creates}\n')
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    return script


def test_fetch_assets_pins_the_packages_and_runs_npm_install(tmp_path):
    npm = _fake_npm(tmp_path)
    modules = fetch_assets(tmp_path / "cache", npm=str(npm))
    assert modules == tmp_path / "cache" / "node_modules"
    manifest = json.loads((tmp_path / "cache" / "package.json").read_text())
    assert manifest["dependencies"] == ASSET_PACKAGES
    assert all(re.fullmatch(r"\d+\.\d+\.\d+", v) for v in ASSET_PACKAGES.values())  # exact pins
    assert (tmp_path / "cache" / "npm-args").read_text().split() == [
        "install", "--no-audit", "--no-fund", "--ignore-scripts"]


def test_fetch_assets_without_npm_says_so(tmp_path):
    with pytest.raises(AssetsMissingError, match="npm .* was not found"):
        fetch_assets(tmp_path, npm=str(tmp_path / "no-npm"))


def test_cli_slides_exports_and_prints_counts(tmp_path, fake_assets, capsys):
    path = tmp_path / "08_demo.ipynb"
    notebook(["slide", "subslide", "slide", "skip"], path=path)
    assert main(["slides", str(tmp_path / "out"), str(path), "--assets", str(fake_assets)]) == 0
    printed = capsys.readouterr().out
    assert re.search(r"08_demo\.slides\.html\s+2 slides,\s+3 with sub-slides", printed), printed
    assert (tmp_path / "out" / "08_demo.slides.html").is_file()


def test_cli_slides_errors(tmp_path, capsys):
    assert main(["slides"]) == 2
    assert "give OUT" in capsys.readouterr().err
    assert main(["slides", str(tmp_path / "out"), "--assets", str(tmp_path / "none")]) == 1
    assert "course slides --fetch-assets" in capsys.readouterr().err


def test_cli_fetch_assets_alone(tmp_path, capsys, monkeypatch):
    npm = _fake_npm(tmp_path)
    monkeypatch.setenv("PATH", f"{npm.parent}{os.pathsep}{os.environ['PATH']}")
    assert main(["slides", "--fetch-assets", "--assets", str(tmp_path / "cache")]) == 0
    assert "slide assets installed" in capsys.readouterr().out


def test_default_asset_dir_is_ignored_by_git():
    root = slides.NOTEBOOK_DIR.parent
    relative = slides.DEFAULT_ASSET_DIR.relative_to(root)
    ignored = (root / ".gitignore").read_text().split()
    assert f"{relative.parts[0]}/" in ignored
