"""Stamp "Open in Colab" / "Launch Binder" badges and the setup cell into every lesson.

    python -m course_utils.notebook_badges            # rewrite notebooks/*.ipynb in place
    python -m course_utils.notebook_badges --check    # exit 1 if any lesson disagrees

The repository and branch come from one setting, `[tool.course]` in pyproject.toml
(`repository = "owner/name"`, `ref = "main"`): a fork changes it once and re-stamps. Each
lesson's first cell is Markdown whose badges sit between `<!-- badges:start -->` and
`<!-- badges:end -->`; its first code cell is the setup cell, identical in every lesson: on
Colab it installs this package from the repository at that ref (pyproject's version ranges
admit what Colab ships, so torch, numpy and matplotlib stay as they are); anywhere else it
does nothing and touches no network. Only those two cells are changed; nothing else a
notebook holds is touched. README.md gets the same links for every lesson, between
`<!-- readme-badges:start -->` and `<!-- readme-badges:end -->`.
"""

from __future__ import annotations

import argparse
import re
import sys
from dataclasses import dataclass
from pathlib import Path

BADGES_START = "<!-- badges:start -->"
BADGES_END = "<!-- badges:end -->"
README_START = "<!-- readme-badges:start -->"
README_END = "<!-- readme-badges:end -->"
COLAB_BADGE = "https://colab.research.google.com/assets/colab-badge.svg"
BINDER_BADGE = "https://mybinder.org/badge_logo.svg"
SETUP_FIRST_LINE = "# Setup: on Colab this installs the course package; anywhere else it does nothing."
_REPOSITORY_RE = re.compile(r"^[A-Za-z0-9_.\-]+/[A-Za-z0-9_.\-]+$")


@dataclass(frozen=True)
class CourseSetting:
    repository: str  # "owner/name" on GitHub
    ref: str  # branch or tag

    def __post_init__(self):
        if not _REPOSITORY_RE.match(self.repository):
            raise ValueError(
                f"[tool.course] repository must look like 'owner/name', got {self.repository!r}"
            )
        if not self.ref or any(c.isspace() for c in self.ref):
            raise ValueError(f"[tool.course] ref must be a branch or tag name, got {self.ref!r}")

    def colab_url(self, notebook: str) -> str:
        return (f"https://colab.research.google.com/github/{self.repository}/blob/{self.ref}/"
                f"notebooks/{notebook}")

    def binder_url(self, notebook: str) -> str:
        return (f"https://mybinder.org/v2/gh/{self.repository}/{self.ref}"
                f"?urlpath=lab/tree/notebooks/{notebook}")

    def binder_course_url(self) -> str:
        return f"https://mybinder.org/v2/gh/{self.repository}/{self.ref}?urlpath=lab/tree/notebooks"

    def pip_target(self) -> str:
        return f"course-utils @ git+https://github.com/{self.repository}@{self.ref}"


def find_root(start: Path | None = None) -> Path:
    here = (start or Path.cwd()).resolve()
    for folder in [here, *here.parents]:
        if (folder / "pyproject.toml").is_file() and (folder / "notebooks").is_dir():
            return folder
    package_root = Path(__file__).resolve().parent.parent
    if (package_root / "pyproject.toml").is_file():
        return package_root
    raise FileNotFoundError("no course checkout found (a folder with pyproject.toml and notebooks/)")


def read_setting(root: Path) -> CourseSetting:
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10
        import tomli as tomllib
    data = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf8"))
    try:
        section = data["tool"]["course"]
        return CourseSetting(repository=section["repository"], ref=section["ref"])
    except KeyError as missing:
        raise ValueError(f"pyproject.toml: [tool.course] needs {missing} (repository and ref)") from None


def badges_markdown(setting: CourseSetting, notebook: str) -> str:
    return "\n".join([
        BADGES_START,
        f"[![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)]"
        f"({setting.colab_url(notebook)}) "
        f"[![Launch Binder](https://mybinder.org/badge_logo.svg)]({setting.binder_url(notebook)})",
        BADGES_END,
    ])


def readme_badges(setting: CourseSetting, lessons: list[tuple[str, str]]) -> str:
    """The README's block for (notebook file name, title) pairs: one Binder badge for the
    whole course, then a row of badges per lesson."""
    lines = [README_START,
             f"[![Launch Binder]({BINDER_BADGE})]({setting.binder_course_url()}) "
             "the whole course in JupyterLab on Binder",
             "",
             "| lesson | open it in |",
             "|---|---|"]
    for notebook, title in lessons:
        lines.append(f"| {title} | "
                     f"[![Open In Colab]({COLAB_BADGE})]({setting.colab_url(notebook)}) "
                     f"[![Launch Binder]({BINDER_BADGE})]({setting.binder_url(notebook)}) |")
    lines.append(README_END)
    return "\n".join(lines)


def lesson_title(nb, notebook: str) -> str:
    """'04 · The RNN language model' from the first line of the title cell, else the file name."""
    first = nb.cells[0].source.split("\n", 1)[0] if nb.cells else ""
    return first.lstrip("#").strip() or Path(notebook).stem


def stamp_readme(text: str, setting: CourseSetting, lessons: list[tuple[str, str]]) -> str:
    """README text with its badge block brought up to date (it must have the markers)."""
    pattern = re.compile(re.escape(README_START) + r".*?" + re.escape(README_END), re.DOTALL)
    if not pattern.search(text):
        raise ValueError(f"README.md: no {README_START} ... {README_END} block to stamp")
    block = readme_badges(setting, lessons)
    return pattern.sub(lambda _: block, text, count=1)


def setup_cell_source(setting: CourseSetting) -> str:
    return "\n".join([
        SETUP_FIRST_LINE,
        "# If something fails, run `!python -m course_utils.doctor` and include its output when asking.",
        "import sys",
        "",
        'if "google.colab" in sys.modules:',
        f'    %pip install --quiet "{setting.pip_target()}"',
    ])


def _with_badges(markdown: str, badges: str) -> str:
    pattern = re.compile(re.escape(BADGES_START) + r".*?" + re.escape(BADGES_END), re.DOTALL)
    if pattern.search(markdown):
        return pattern.sub(lambda _: badges, markdown, count=1)
    lines = markdown.split("\n")
    # After the title line when there is one, else at the top.
    at = 1 if lines and lines[0].startswith("#") else 0
    return "\n".join(lines[:at] + ["", badges, ""] + lines[at:]).replace("\n\n\n", "\n\n")


def stamp(nb, setting: CourseSetting, notebook_name: str) -> list[str]:
    """Update the badges and setup cells of an nbformat notebook in place; return what changed."""
    import nbformat

    changes = []
    cells = nb.cells
    if not cells or cells[0].cell_type != "markdown":
        raise ValueError(f"{notebook_name}: the first cell must be the Markdown title cell")
    badges = badges_markdown(setting, notebook_name)
    new_title = _with_badges(cells[0].source, badges)
    if new_title != cells[0].source:
        cells[0].source = new_title
        changes.append("badges")
    wanted = setup_cell_source(setting)
    code_cells = [i for i, c in enumerate(cells) if c.cell_type == "code"]
    first_code = code_cells[0] if code_cells else None
    if first_code is not None and cells[first_code].source.startswith("# Setup:"):
        if cells[first_code].source != wanted:
            cells[first_code].source = wanted
            changes.append("setup cell")
    else:
        cells.insert(1, nbformat.v4.new_code_cell(wanted))
        changes.append("setup cell (inserted)")
    return changes


def lesson_paths(root: Path) -> list[Path]:
    return sorted((root / "notebooks").glob("[0-9][0-9]_*.ipynb"))


def main(argv=None) -> int:
    import nbformat

    parser = argparse.ArgumentParser(description="Stamp Colab/Binder badges and the setup cell.")
    parser.add_argument("--check", action="store_true", help="report disagreements, change nothing")
    parser.add_argument("notebooks", nargs="*", help="default: every lesson in notebooks/")
    args = parser.parse_args(argv)
    root = find_root()
    setting = read_setting(root)
    paths = [Path(p) for p in args.notebooks] or lesson_paths(root)
    stale, titles = 0, []
    for path in paths:
        nb = nbformat.read(path, as_version=4)
        titles.append((path.name, lesson_title(nb, path.name)))
        changes = stamp(nb, setting, path.name)
        if not changes:
            continue
        stale += 1
        if args.check:
            print(f"{path.name}: {', '.join(changes)} disagree with [tool.course] "
                  f"({setting.repository}@{setting.ref}); run python -m course_utils.notebook_badges")
        else:
            nbformat.write(nb, path)
            print(f"{path.name}: updated {', '.join(changes)}")
    if not args.notebooks:  # the whole course: README.md too
        readme = root / "README.md"
        text = readme.read_text(encoding="utf8")
        wanted = stamp_readme(text, setting, titles)
        if wanted != text:
            stale += 1
            if args.check:
                print("README.md: lesson badges disagree with [tool.course] or notebooks/; "
                      "run python -m course_utils.notebook_badges")
            else:
                readme.write_text(wanted, encoding="utf8")
                print("README.md: updated the lesson badges")
    if args.check and stale:
        return 1
    print(f"{len(paths) - stale if args.check else len(paths)} lesson(s) carry the badges for "
          f"{setting.repository}@{setting.ref}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
