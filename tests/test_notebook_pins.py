"""The pinned-output mechanism: a `# NBVAL_CHECK_OUTPUT` cell passes only with the right pin."""

import json
import os
import subprocess
import sys

import nbformat
import pytest

from conftest import ROOT


def make_notebook(path, value):
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [
        nbformat.v4.new_code_cell("x = 0.5 + 0.37"),
        nbformat.v4.new_code_cell(f"# NBVAL_CHECK_OUTPUT\nprint(f'z = {{x + {value}:.2f}}')"),
    ]
    nbformat.write(nb, path)
    return nb


def run(args, pins_dir, cwd):
    env = dict(os.environ, COURSE_PINS_DIR=str(pins_dir),
               PYTHONPATH=os.pathsep.join([str(ROOT / "tools"), os.environ.get("PYTHONPATH", "")]))
    return subprocess.run([sys.executable, *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=300)


@pytest.mark.slow
def test_pinned_outputs_are_recorded_and_enforced(tmp_path):
    notebook = tmp_path / "demo.ipynb"
    pins = tmp_path / "pins"
    make_notebook(notebook, 0)
    before = notebook.read_text()

    nbval = ["-m", "pytest", "-p", "nbval_pins", "--nbval-lax", "--nbval-current-env",
             "-p", "no:cacheprovider", "-o", "testpaths=", str(notebook)]

    missing = run(nbval, pins, tmp_path)
    assert missing.returncode == 1, missing.stdout
    assert "no pinned output recorded" in missing.stdout

    recorded = run([str(ROOT / "tools" / "pin_outputs.py"), str(notebook)], pins, tmp_path)
    assert recorded.returncode == 0, recorded.stderr
    assert notebook.read_text() == before  # the notebook stays without outputs
    (pin_file,) = pins.glob("*.json")
    stored = json.loads(pin_file.read_text())
    (cell,) = stored["cells"].values()
    assert cell["outputs"][0]["text"] == "z = 0.87\n"

    passing = run(nbval, pins, tmp_path)
    assert passing.returncode == 0, passing.stdout

    make_notebook(notebook, 0.01)  # the code changes its answer, the pin does not
    nb = nbformat.read(notebook, as_version=4)
    nb.cells[1]["id"] = next(iter(stored["cells"]))  # same cell, edited
    nbformat.write(nb, notebook)
    failing = run(nbval, pins, tmp_path)
    assert failing.returncode == 1
    assert "z = 0.88" in failing.stdout and "z = 0.87" in failing.stdout


def test_cuda_check_reports_equal_and_differing_pins_and_errors(tmp_path):
    """tools/cuda_check.py (run by hand on a GPU machine) compares pins the way nbval does."""
    notebook, pins = tmp_path / "demo.ipynb", tmp_path / "pins"
    nb = make_notebook(notebook, 0)
    pins.mkdir()
    cell_id = nb.cells[1]["id"]
    pin = {"cells": {cell_id: {"outputs": [{"output_type": "stream", "name": "stdout",
                                            "text": "z = 0.87\n"}]}}}
    (pins / "demo.json").write_text(json.dumps(pin))
    check = [str(ROOT / "tools" / "cuda_check.py"), str(notebook)]

    same = run(check, pins, tmp_path)
    assert same.returncode == 0, same.stdout + same.stderr
    assert "demo.ipynb: ran" in same.stdout and "pins equal 1, differ 0" in same.stdout

    make_notebook(notebook, 0.01)
    edited = nbformat.read(notebook, as_version=4)
    edited.cells[1]["id"] = cell_id
    edited.cells.append(nbformat.v4.new_code_cell("raise RuntimeError('broken on purpose')"))
    nbformat.write(edited, notebook)
    differs = run(check, pins, tmp_path)
    assert differs.returncode == 1
    assert "pins equal 0, differ 1" in differs.stdout
    assert "'z = 0.87'" in differs.stdout and "'z = 0.88'" in differs.stdout
    assert "RuntimeError: broken on purpose" in differs.stdout


def test_a_solved_copy_replaces_each_exercise_and_keeps_the_lessons_pins(tmp_path):
    sys.path.insert(0, str(ROOT / "tools"))
    from solved_lessons import write_solved  # noqa: I001 (tools/ is put on the path just above)
    from nbval_pins import pins_file

    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("def double(x):\n    raise NotImplementedError", id="ex-double"),
                nbformat.v4.new_code_cell("check_double(double)", id="ex-double-check"),
                nbformat.v4.new_markdown_cell('<a id="sol-double"></a>\n```python\ndef double(x):\n'
                                              '    return 2 * x\n```', id="sol-double")]
    lesson = tmp_path / "09_demo.ipynb"
    nbformat.write(nb, lesson)
    solved = write_solved(lesson)
    assert solved.name == "09_demo.solved.ipynb"
    cells = nbformat.read(solved, as_version=4).cells
    assert cells[0].source == "def double(x):\n    return 2 * x\n"
    assert cells[1].source == "check_double(double)"
    assert pins_file(solved) == pins_file(lesson)

    nb.cells = nb.cells[:1]  # an exercise without its appendix solution is an error, not a silent skip
    nbformat.write(nb, lesson)
    with pytest.raises(ValueError, match="ex-double has no appendix cell sol-double"):
        write_solved(lesson)


@pytest.mark.parametrize("notebook", ["notebooks/07_bidirectional_and_deep_rnns.ipynb",
                                      "assignments/source/ps1_perceptron_ffn/ps1_perceptron_ffn.ipynb"])
def test_make_strip_clears_outputs_and_keeps_ids_and_metadata(tmp_path, notebook):
    """`make strip` after a run: outputs, counts and the front end's view state go; the cell ids
    (which the pins are keyed by) and nbgrader's cell metadata stay, in nbformat's layout."""
    clean = nbformat.read(ROOT / notebook, as_version=4)
    for cell in clean.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    expected = nbformat.writes(clean) + "\n"
    executed = nbformat.reads(expected, as_version=4)
    for count, cell in enumerate(c for c in executed.cells if c.cell_type == "code"):
        cell.execution_count = count + 1
        cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text=f"run {count}\n")]
        cell.metadata["scrolled"] = True  # what a front end adds while the learner works
    path = tmp_path / "executed.ipynb"
    nbformat.write(executed, path)
    venv = os.path.dirname(os.path.dirname(sys.executable))
    result = subprocess.run(["make", "--no-print-directory", "strip", f"STRIP={path}", f"VENV={venv}"],
                            cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert path.read_text(encoding="utf8") == expected
    assert any("nbgrader" in c.metadata for c in clean.cells) == notebook.startswith("assignments")
