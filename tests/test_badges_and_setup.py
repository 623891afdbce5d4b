"""Colab/Binder badges and the setup cell: stamped from one setting, a no-op offline."""

import nbformat
import pytest
from packaging.requirements import Requirement
from packaging.version import Version

from course_utils import notebook_badges as nbb

from conftest import ROOT

SETTING = nbb.read_setting(ROOT)


def lesson(title="# 01 · The perceptron\n\nA single unit."):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell(title),
                nbformat.v4.new_code_cell("# Setup: old text\nimport sys"),
                nbformat.v4.new_code_cell("x = 1")]
    return nb


def test_setting_is_read_from_pyproject():
    assert SETTING.repository.count("/") == 1 and SETTING.ref
    with pytest.raises(ValueError, match="repository must look like 'owner/name', got 'nope'"):
        nbb.CourseSetting("nope", "main")


def test_stamp_adds_badges_and_setup_cell_and_is_idempotent():
    nb = lesson()
    code_before = nb.cells[2].source
    assert nbb.stamp(nb, SETTING, "01_perceptron.ipynb") == ["badges", "setup cell"]
    title = nb.cells[0].source
    assert title.startswith("# 01 · The perceptron\n\n<!-- badges:start -->")
    assert "A single unit." in title
    assert SETTING.colab_url("01_perceptron.ipynb") in title
    assert (f"https://mybinder.org/v2/gh/{SETTING.repository}/{SETTING.ref}"
            "?urlpath=lab/tree/notebooks/01_perceptron.ipynb") in title
    assert nb.cells[1].source == nbb.setup_cell_source(SETTING)
    assert nb.cells[2].source == code_before  # nothing else touched
    assert nbb.stamp(nb, SETTING, "01_perceptron.ipynb") == []


def test_a_fork_changes_the_setting_once():
    nb = lesson()
    nbb.stamp(nb, SETTING, "01_perceptron.ipynb")
    fork = nbb.CourseSetting("someone/fork", "v1.0")
    assert nbb.stamp(nb, fork, "01_perceptron.ipynb") == ["badges", "setup cell"]
    assert "someone/fork/blob/v1.0/notebooks/01_perceptron.ipynb" in nb.cells[0].source
    assert "git+https://github.com/someone/fork@v1.0" in nb.cells[1].source
    assert nb.cells[0].source.count(nbb.BADGES_START) == 1


def test_setup_cell_inserted_when_missing():
    nb = lesson()
    del nb.cells[1]
    assert "setup cell (inserted)" in nbb.stamp(nb, SETTING, "x.ipynb")
    assert nb.cells[1].source.startswith(nbb.SETUP_FIRST_LINE)


def test_check_mode_fails_on_disagreement(tmp_path, monkeypatch, capsys):
    path = tmp_path / "01_x.ipynb"
    nbformat.write(lesson(), path)
    monkeypatch.chdir(ROOT)
    assert nbb.main(["--check", str(path)]) == 1
    assert "disagree with [tool.course]" in capsys.readouterr().out
    assert nbb.main([str(path)]) == 0
    assert nbb.main(["--check", str(path)]) == 0


def test_every_lesson_carries_correct_badges_and_setup_cell():
    lessons = nbb.lesson_paths(ROOT)
    for path in lessons:
        nb = nbformat.read(path, as_version=4)
        assert nbb.stamp(nb, SETTING, path.name) == [], (
            f"{path.name}: badges or setup cell out of date; run python -m course_utils.notebook_badges")
        assert f"lab/tree/notebooks/{path.name}" in nb.cells[0].source


def run_in_kernel(code: str, timeout: int = 120):
    from jupyter_client.manager import start_new_kernel

    km, kc = start_new_kernel(kernel_name="python3")
    try:
        reply = kc.execute_interactive(code, timeout=timeout, store_history=False,
                                       output_hook=lambda msg: outputs.append(msg))
        return reply
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)


outputs: list = []


GUARD = """
import socket, time
calls = []
def _refuse(*args, **kwargs):
    raise AssertionError("the setup cell touched the network")
socket.socket.connect = _refuse
socket.create_connection = _refuse
_ip = get_ipython()
_real_magic = _ip.run_line_magic
def _record(name, line, *a, **k):
    calls.append((name, line))
_ip.run_line_magic = _record
"""


@pytest.mark.slow
@pytest.mark.parametrize("colab", [False, True])
def test_setup_cell_is_an_offline_noop_here_and_installs_on_colab(colab):
    outputs.clear()
    fake_colab = "import sys, types; sys.modules['google.colab'] = types.ModuleType('google.colab')\n"
    source = nbb.setup_cell_source(SETTING)
    code = (GUARD + (fake_colab if colab else "")
            + f"exec(get_ipython().transform_cell({source!r}))\n"
            + "print('CALLS', calls)\n")
    reply = run_in_kernel(code)
    assert reply["content"]["status"] == "ok", reply["content"]
    text = "".join(m["content"].get("text", "") for m in outputs if m["msg_type"] == "stream")
    calls = text.split("CALLS", 1)[1].strip()
    if colab:
        assert f"course-utils @ git+https://github.com/{SETTING.repository}@{SETTING.ref}" in calls
        assert calls.startswith("[('pip', 'install --quiet")
    else:
        # No install, and the network guard above would have raised on any connection.
        assert calls == "[]", "outside Colab the setup cell must not install anything"


# Versions seen on Colab runtimes in 2025: the package's ranges must admit them, so the
# setup cell's pip install keeps Colab's own torch, numpy and matplotlib.
COLAB_LIKE = {"numpy": "2.0.2", "torch": "2.8.0", "matplotlib": "3.10.0", "ipywidgets": "7.7.1",
              "scipy": "1.16.1", "tqdm": "4.67.1"}


def test_pyproject_ranges_admit_colab_versions():
    try:
        import tomllib
    except ModuleNotFoundError:
        import tomli as tomllib
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    requirements = {Requirement(r).name: Requirement(r) for r in project["dependencies"]}
    for name, version in COLAB_LIKE.items():
        assert requirements[name].specifier.contains(Version(version)), (
            f"pyproject's {requirements[name]} would replace Colab's {name} {version}")



def test_readme_carries_a_badge_row_per_lesson_and_check_catches_a_stale_one(tmp_path, monkeypatch, capsys):
    readme = (ROOT / "README.md").read_text(encoding="utf8")
    lessons = nbb.lesson_paths(ROOT)
    assert readme.count("colab.research.google.com/github/") == len(lessons) == 8
    for path in lessons:
        assert SETTING.colab_url(path.name) in readme and SETTING.binder_url(path.name) in readme
    assert SETTING.binder_course_url() + ")" in readme

    # a copy of the course whose README lost a lesson's row: --check fails, a stamp repairs it
    for name in ("pyproject.toml", "README.md"):
        (tmp_path / name).write_text((ROOT / name).read_text(encoding="utf8"), encoding="utf8")
    (tmp_path / "notebooks").mkdir()
    for path in lessons:
        (tmp_path / "notebooks" / path.name).write_bytes(path.read_bytes())
    stale = readme.replace(SETTING.colab_url(lessons[3].name), "https://example.org/old")
    (tmp_path / "README.md").write_text(stale, encoding="utf8")
    monkeypatch.chdir(tmp_path)
    assert nbb.main(["--check"]) == 1
    assert "README.md: lesson badges disagree" in capsys.readouterr().out
    assert nbb.main([]) == 0
    assert (tmp_path / "README.md").read_text(encoding="utf8") == readme
    assert nbb.main(["--check"]) == 0

    with pytest.raises(ValueError, match="readme-badges:start"):
        nbb.stamp_readme("# no markers here\n", SETTING, [])
