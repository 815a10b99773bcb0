"""Lecture mode: the chapters as reveal.js slide decks that work offline.

Every chapter notebook carries ``slideshow.slide_type`` metadata (``slide``, ``subslide``,
``fragment``, ``-``, ``skip``, ``notes``). Two ways to present it:

Live
    ``pip install -e ".[slides]"`` adds ``jupyterlab-rise``; in ``course lab`` the RISE
    button of a notebook's toolbar (or ``/rise/<notebook>``) shows it as slides whose
    cells still run.
Static (``course slides OUT``)
    one reveal.js HTML file per chapter, written by nbconvert's ``SlidesExporter``.
    nbconvert's decks load reveal.js, require.js, jQuery and MathJax from CDNs; here they
    are pointed at local copies instead, copied next to the decks into ``OUT/assets``,
    so that ``OUT`` works with no network (open a deck from disk, put the folder on a
    USB stick). The copies come from the npm registry: ``course slides --fetch-assets``
    runs ``npm install`` of the pinned packages in :data:`ASSET_PACKAGES` once into
    ``build/slide-assets`` (ignored by git, not committed).

Slide counting follows nbconvert's rule: the first visible cell (not ``skip`` or
``notes``) opens a slide, every later ``slide`` cell opens a new horizontal slide and
every ``subslide`` cell a vertical one, so a deck has
``n_slide + n_subslide`` pages (reveal.js's ``getTotalSlides()``).
"""

from __future__ import annotations

import argparse
import copy
import json
import shutil
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import nbformat
from nbformat import NotebookNode

from course_utils.notebooks import NOTEBOOK_DIR, notebook_paths

__all__ = [
    "ASSET_PACKAGES",
    "DEFAULT_ASSET_DIR",
    "ASSET_FILES",
    "SlideCount",
    "Deck",
    "AssetsMissingError",
    "count_slides",
    "fetch_assets",
    "find_assets",
    "copy_assets",
    "deck_notebook",
    "export_deck",
    "export_decks",
    "register_cli",
]

#: npm packages (exact versions) the offline decks need; ``fetch_assets`` installs them.
ASSET_PACKAGES: dict[str, str] = {
    "reveal.js": "4.6.0",  # nbconvert's reveal template is written for reveal.js 4
    "mathjax": "2.7.9",  # nbconvert's MathJax configuration is MathJax 2's
    "requirejs": "2.3.8",
    "jquery": "3.7.1",
}
#: Where ``course slides --fetch-assets`` installs them (``build/`` is ignored by git).
DEFAULT_ASSET_DIR = NOTEBOOK_DIR.parent / "build" / "slide-assets"

#: What is copied from ``node_modules`` into ``OUT/assets`` (files or folders), by package.
#: MathJax is trimmed to what the CommonHTML output of nbconvert's configuration loads.
ASSET_FILES: dict[str, tuple[str, ...]] = {
    "reveal.js": ("dist", "plugin/notes", "LICENSE"),
    "mathjax": (
        "MathJax.js", "config/TeX-AMS_CHTML-full.js", "config/Safe.js", "extensions",
        "jax/input/TeX", "jax/output/CommonHTML", "jax/element",
        "fonts/HTML-CSS/TeX/woff", "fonts/HTML-CSS/TeX/otf", "LICENSE",
    ),
    "requirejs": ("require.js",),
    "jquery": ("dist/jquery.min.js", "LICENSE.txt"),
}

# The exporter's URLs, relative to the deck (OUT/<chapter>.slides.html).
_URLS = {
    "reveal_url_prefix": "assets/reveal.js",
    "mathjax_url": "assets/mathjax/MathJax.js?config=TeX-AMS_CHTML-full,Safe",
    "require_js_url": "assets/requirejs/require.js",
    "jquery_url": "assets/jquery/dist/jquery.min.js",
}
_SLIDE_NUMBER = "c/t"  # reveal.js: current / total
_SIZE = ("1280", "720")  # 16:9; reveal.js scales it to the screen (nbconvert's 960 x 700 cuts code lines)
_THEME = "white"  # its fonts ship with reveal.js ("simple", nbconvert's default, loads Google Fonts)
_WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
_WIDGET_NOTE = ("<p><em>Interactive explorer: run this cell live in JupyterLab "
                "(<code>course lab</code>, RISE button) to use it.</em></p>")
# nbconvert's reveal template with the Mermaid import (a CDN module the course never
# uses, which would fail offline) left out.
_TEMPLATE_NAME = "course_reveal.html.j2"
_TEMPLATE = ("{%- extends 'index.html.j2' -%}\n"
             "{%- block html_head_js_mermaidjs -%}{%- endblock html_head_js_mermaidjs -%}\n")
_VISIBLE_TYPES = ("slide", "subslide", "fragment", "-")
_SLIDE_TYPES = (*_VISIBLE_TYPES, "skip", "notes")


class AssetsMissingError(FileNotFoundError):
    """The reveal.js / MathJax / require.js / jQuery copies are not where they should be."""


@dataclass(frozen=True)
class SlideCount:
    """How many pages a deck has: horizontal ``slides`` and ``total`` (with sub-slides)."""

    slides: int
    total: int


@dataclass(frozen=True)
class Deck:
    """One exported deck: its file, its notebook, its slide count and the export seconds."""

    path: Path
    notebook: Path
    count: SlideCount
    seconds: float


def _slide_type(cell: NotebookNode) -> str:
    slide_type = cell.get("metadata", {}).get("slideshow", {}).get("slide_type", "-")
    if slide_type not in _SLIDE_TYPES:
        raise ValueError(f"slide_type must be one of {list(_SLIDE_TYPES)}, but got {slide_type!r}")
    return slide_type


def count_slides(nb: NotebookNode) -> SlideCount:
    """Count the slides a notebook's ``slideshow`` metadata makes, as nbconvert lays them out.

    The first visible cell (neither ``skip`` nor ``notes``) opens the first slide whatever
    its type; after it each ``slide`` cell opens a horizontal slide and each ``subslide``
    cell a vertical one below it. With :math:`n_s` and :math:`n_v` such cells,
    ``slides`` :math:`= 1 + n_s` and ``total`` :math:`= 1 + n_s + n_v`.

    Args:
        nb: a notebook (``nbformat`` version 4).

    Returns:
        The number of horizontal slides and of all slides (what reveal.js's
        ``getHorizontalSlides().length`` and ``getTotalSlides()`` report).

    Raises:
        ValueError: a cell has an unknown ``slide_type``, or every cell is hidden
            (``skip``/``notes``; nbconvert cannot make a deck of it).

    Examples:
        >>> from nbformat.v4 import new_markdown_cell, new_notebook
        >>> cells = [new_markdown_cell(m, metadata={"slideshow": {"slide_type": t}})
        ...          for m, t in [("# A", "slide"), ("b", "subslide"), ("# C", "slide")]]
        >>> count_slides(new_notebook(cells=cells))
        SlideCount(slides=2, total=3)
    """
    types = [_slide_type(cell) for cell in nb.cells]
    visible = [i for i, slide_type in enumerate(types) if slide_type in _VISIBLE_TYPES]
    if not visible:
        raise ValueError("every cell is skip or notes: the notebook has no slide to show")
    rest = types[visible[0] + 1:]
    slides = 1 + rest.count("slide")
    return SlideCount(slides=slides, total=slides + rest.count("subslide"))


def _npm_manifest() -> str:
    return json.dumps({
        "name": "course-slide-assets",
        "private": True,
        "description": "reveal.js, MathJax 2, require.js and jQuery for `course slides` (offline decks)",
        "dependencies": ASSET_PACKAGES,
    }, indent=2) + "\n"


def fetch_assets(directory: str | Path | None = None, *, npm: str = "npm") -> Path:
    """Install the slide assets from the npm registry with ``npm install`` (once).

    Writes a ``package.json`` pinning :data:`ASSET_PACKAGES` into ``directory`` and runs
    ``npm install --no-audit --no-fund --ignore-scripts`` there; nothing is committed.

    Args:
        directory: where to install (default :data:`DEFAULT_ASSET_DIR`).
        npm: the npm executable.

    Returns:
        The ``node_modules`` folder holding the packages.

    Raises:
        AssetsMissingError: npm is not installed, or the install did not produce them.
        subprocess.CalledProcessError: ``npm install`` failed (e.g. no network).
    """
    directory = Path(directory or DEFAULT_ASSET_DIR)
    executable = shutil.which(npm)
    if executable is None:
        raise AssetsMissingError(
            f"npm ({npm!r}) was not found: install Node.js and npm, then run "
            "`course slides --fetch-assets` again")
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "package.json").write_text(_npm_manifest())
    subprocess.run([executable, "install", "--no-audit", "--no-fund", "--ignore-scripts"],
                   cwd=directory, check=True)
    return find_assets(directory)


def find_assets(directory: str | Path | None = None) -> Path:
    """The ``node_modules`` folder with every file of :data:`ASSET_FILES`.

    Args:
        directory: the folder ``fetch_assets`` installed into (default
            :data:`DEFAULT_ASSET_DIR`).

    Raises:
        AssetsMissingError: a file is missing; the message says how to get the assets.
    """
    directory = Path(directory or DEFAULT_ASSET_DIR)
    modules = directory / "node_modules"
    missing = [f"{package}/{item}" for package, items in ASSET_FILES.items()
               for item in items if not (modules / package / item).exists()]
    if missing:
        raise AssetsMissingError(
            f"the offline slide assets (reveal.js, MathJax 2, require.js, jQuery from the npm "
            f"registry) are not in {modules} (missing: {', '.join(missing[:3])}"
            f"{', ...' if len(missing) > 3 else ''}); fetch them once with "
            f"`course slides --fetch-assets` (runs `npm install` into {directory}), "
            f"or point --assets at a folder where that was done")
    return modules


def copy_assets(modules: str | Path, out: str | Path) -> Path:
    """Copy the parts of the npm packages the decks load into ``out/assets``.

    Args:
        modules: a ``node_modules`` folder (from :func:`find_assets`).
        out: the deck folder.

    Returns:
        The ``assets`` folder.
    """
    modules, target = Path(modules), Path(out) / "assets"
    for package, items in ASSET_FILES.items():
        for item in items:
            source, destination = modules / package / item, target / package / item
            destination.parent.mkdir(parents=True, exist_ok=True)
            if source.is_dir():
                shutil.copytree(source, destination, dirs_exist_ok=True)
            else:
                shutil.copy2(source, destination)
    return target


def deck_notebook(nb: NotebookNode) -> NotebookNode:
    """A copy of ``nb`` made for a static deck: widgets replaced by a note.

    A saved widget (an explorer) needs a kernel; nbconvert would load the widget manager
    from a CDN to show its last state. The copy drops the saved widget state and replaces
    each widget output by a short note that says to run it live.
    """
    nb = copy.deepcopy(nb)
    nb.metadata.pop("widgets", None)
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            if _WIDGET_VIEW in output.get("data", {}):
                output["data"] = {"text/html": _WIDGET_NOTE, "text/plain": "(interactive explorer)"}
    return nb


def _exporter(urls: dict[str, str] | None = None):
    from jinja2 import DictLoader
    from nbconvert import SlidesExporter

    return SlidesExporter(
        extra_loaders=[DictLoader({_TEMPLATE_NAME: _TEMPLATE})],
        template_file=_TEMPLATE_NAME,
        reveal_number=_SLIDE_NUMBER,
        reveal_theme=_THEME,
        reveal_scroll=True,  # a slide taller than the screen scrolls instead of being cut off
        reveal_width=_SIZE[0], reveal_height=_SIZE[1],
        embed_images=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
        **{**_URLS, **(urls or {})},
    )


def export_deck(notebook: str | Path, out: str | Path, *, urls: dict[str, str] | None = None) -> Deck:
    """Write one chapter as ``OUT/<name>.slides.html`` (assets are not copied: see
    :func:`export_decks`).

    Args:
        notebook: the ``.ipynb`` file.
        out: the deck folder (created).
        urls: overrides of the exporter's asset URLs (``reveal_url_prefix``,
            ``mathjax_url``, ``require_js_url``, ``jquery_url``), relative to ``out``.

    Raises:
        ValueError: bad ``slideshow`` metadata, or an unknown key in ``urls``.
    """
    unknown = sorted(set(urls or {}) - set(_URLS))
    if unknown:
        raise ValueError(f"urls keys must be among {sorted(_URLS)}, but got {unknown}")
    notebook, out = Path(notebook), Path(out)
    start = time.perf_counter()
    nb = nbformat.read(notebook, as_version=4)
    count = count_slides(nb)
    body, _ = _exporter(urls).from_notebook_node(
        deck_notebook(nb), resources={"metadata": {"name": notebook.stem, "path": str(notebook.parent)}})
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"{notebook.stem}.slides.html"
    path.write_text(body, encoding="utf-8")
    return Deck(path=path, notebook=notebook, count=count, seconds=time.perf_counter() - start)


def export_decks(out: str | Path, notebooks: Sequence[str] | None = None, *,
                 assets: str | Path | None = None) -> list[Deck]:
    """Export chapters as offline reveal.js decks into ``out`` (what ``course slides`` does).

    Args:
        out: the deck folder (created); gets ``<chapter>.slides.html`` and ``assets/``.
        notebooks: chapters (``"01"``, a file name or a path); None or empty for all.
        assets: the folder :func:`fetch_assets` installed into (default
            :data:`DEFAULT_ASSET_DIR`).

    Returns:
        One :class:`Deck` per chapter, in course order.

    Raises:
        AssetsMissingError: the assets have not been fetched.
        ValueError: a chapter name matches no notebook, or bad ``slideshow`` metadata.
    """
    modules = find_assets(assets)
    paths = notebook_paths(notebooks)
    copy_assets(modules, out)
    return [export_deck(path, out) for path in paths]


def _cmd_slides(args: argparse.Namespace) -> int:
    try:
        if args.fetch_assets:
            modules = fetch_assets(args.assets)
            print(f"slide assets installed in {modules}")
        if args.out is None:
            if not args.fetch_assets:
                print("course slides: error: give OUT (the deck folder) or --fetch-assets",
                      file=sys.stderr)
                return 2
            return 0
        decks = export_decks(args.out, args.notebooks, assets=args.assets)
    except AssetsMissingError as error:
        print(f"course slides: error: {error}", file=sys.stderr)
        return 1
    except subprocess.CalledProcessError as error:
        print(f"course slides: error: npm install failed ({error}); it needs the npm registry",
              file=sys.stderr)
        return 1
    for deck in decks:
        print(f"{deck.path.name:<44} {deck.count.slides:3d} slides, {deck.count.total:3d} with "
              f"sub-slides {deck.seconds:6.1f} s", flush=True)
    print(f"{'total':<44} {sum(d.count.total for d in decks):3d} slides in {len(decks)} decks "
          f"{sum(d.seconds for d in decks):6.1f} s; open {Path(args.out) / decks[0].path.name}"
          if decks else "no chapter notebooks found")
    return 0


def register_cli(subparsers: argparse._SubParsersAction) -> None:
    """Add ``course slides [OUT [NB ...]] [--fetch-assets] [--assets DIR]``."""
    slides = subparsers.add_parser(
        "slides", help="export every chapter as a reveal.js slide deck that works offline",
        description="Write OUT/<chapter>.slides.html for each chapter plus OUT/assets "
                    "(reveal.js, MathJax, require.js, jQuery), so that OUT works offline. "
                    "The assets come from the npm registry: run `course slides --fetch-assets` "
                    f"once (npm install into {DEFAULT_ASSET_DIR}).")
    slides.add_argument("out", nargs="?", type=Path, help="output folder for the decks")
    slides.add_argument("notebooks", nargs="*", help="chapters (e.g. 01 or a path); default all")
    slides.add_argument("--fetch-assets", action="store_true",
                        help="npm install reveal.js, MathJax 2, require.js and jQuery first")
    slides.add_argument("--assets", type=Path, default=None,
                        help=f"where the assets are installed (default {DEFAULT_ASSET_DIR})")
    slides.set_defaults(func=_cmd_slides)
