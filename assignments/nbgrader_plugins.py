"""The course's additions to nbgrader, switched on by nbgrader_config.py in this folder.

They make autograding safe against any submission and feedback safe to hand back:

- `GradingExecute` runs the student's notebook in a kernel inside the bubblewrap sandbox of
  grading_sandbox.py (it sees its own scratch copy of the submission, not the course, the
  exchange, $HOME or the network), with a memory cap, a CPU-time cap and a file-size cap
  (POSIX rlimits applied to the kernel process before it starts), a time limit per cell and
  per notebook, and a cap on printed output. When the kernel dies (`os._exit`, a crash, the
  CPU cap) or cannot be interrupted, the cell says so in its output and every later cell is
  marked as not run, so it scores 0 instead of stopping the batch.
- `GradingExporter` (autograde's exporter) refuses, before any submission is touched, to
  grade when the sandbox is on and bubblewrap cannot run here, with one line saying what to do.
- `repair_submission` (autograde's pre-convert hook) grades a renamed notebook under its
  released name, and replaces a notebook that is not valid JSON by the unchanged release
  (it scores 0), keeping the student's file beside it as `<name>.ipynb.unreadable`.
- `NoteTampering` (autograde, before nbgrader's OverwriteCells) records a note when a
  locked test cell was edited or deleted; nbgrader then restores it from the gradebook.
- `JudgeHiddenTests` (autograde, right after GradingExecute) gives the verdict on every hidden
  test in this process: the kernel only hands in what the student's functions returned on the
  checker's seeded inputs, and `course_utils.grading.judge` computes the references here and
  compares. Monkeypatching inside the student's kernel cannot make a wrong answer pass.
- `HideHiddenTests` (generate_feedback) removes the hidden-test regions that autograde put
  back (with nbgrader's own ClearHiddenTests), shortens the tracebacks of test cells to their
  last line, and shows the notes above.

Besides nbgrader, the Python standard library and bubblewrap, only `JudgeHiddenTests` needs
the course: course_utils.grading and torch, in the grader's process.
"""

from __future__ import annotations

import importlib
import json
import os
import re
import shutil
import signal
import threading
import time
from pathlib import Path

import grading_sandbox
import nbformat
from nbclient.exceptions import CellTimeoutError, DeadKernelError
from nbclient.util import run_sync
from nbconvert.exporters import NotebookExporter
from nbformat.notebooknode import NotebookNode
from nbgrader import utils
from nbgrader.api import Gradebook, MissingEntry
from nbgrader.converters import NbGraderException
from nbgrader.preprocessors import ClearHiddenTests, Execute, NbGraderPreprocessor
from traitlets import Enum, Integer, List, Unicode, default

try:  # POSIX only; on Windows the kernel runs without rlimits.
    import resource
except ImportError:  # pragma: no cover
    resource = None

NOTES_KEY = "course_grading"  # notebook and cell metadata key for the notes shown in feedback
# The display output in which a hidden test hands its results to the grader; only the grader
# reads it (JudgeHiddenTests), and it never reaches the feedback. As course_utils.grading.
PAYLOAD_MIME = "application/vnd.course-grading+json"


def add_note(node: NotebookNode, text: str) -> None:
    """Attach a note (notebook or cell metadata) that the feedback shows to the student."""
    notes = node.metadata.setdefault(NOTES_KEY, {}).setdefault("notes", [])
    if text not in notes:
        notes.append(text)


def notes_of(node) -> list[str]:
    return list(node.get("metadata", {}).get(NOTES_KEY, {}).get("notes", []))


def error_output(ename: str, evalue: str) -> NotebookNode:
    """An error output as the kernel would produce it; any error output makes a test cell score 0."""
    return nbformat.v4.new_output("error", ename=ename, evalue=evalue,
                                  traceback=[f"\x1b[0;31m{ename}\x1b[0m: {evalue}"])


def _cell_label(cell: NotebookNode, index: int) -> str:
    grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
    return f"cell {index + 1}" + (f" ({grade_id})" if grade_id else "")


def _exit_reason(returncode, sandboxed: bool = False) -> str:
    if returncode is None:
        return "it stopped responding"
    if sandboxed and returncode > 128:  # bwrap exits with 128 + N when signal N stopped the kernel
        returncode = 128 - returncode
    if returncode < 0:
        try:
            name = signal.Signals(-returncode).name
        except ValueError:
            name = f"signal {-returncode}"
        if name == "SIGXCPU":
            return "it used up its CPU-time limit (SIGXCPU)"
        if name == "SIGKILL":
            return "it was killed (SIGKILL), e.g. for using too much memory"
        return f"it was stopped by {name}"
    return f"it exited with code {returncode}, e.g. os._exit() or a crash in compiled code"


SANDBOX_NOTE = (
    "Graded in a sandbox: your notebook ran on a private copy of your submission folder, with "
    "the course's Python packages{blocked} but no other files of the grading machine and no "
    "network; whatever it wrote was discarded after grading.")
UNSANDBOXED_NOTE = (
    "This notebook was graded WITHOUT the grading sandbox (the instructor ran autograde with "
    "--GradingExecute.sandbox=off): your code could read and change the grader's files.")
# Errors that the sandbox causes when code reaches outside it (files, network).
SANDBOX_ERRORS = {"FileNotFoundError", "PermissionError", "IsADirectoryError",
                  "NotADirectoryError", "OSError", "ConnectionRefusedError", "ConnectionError",
                  "gaierror", "URLError", "TimeoutError"}
SANDBOX_CELL_NOTE = (
    "This cell failed with `{ename}`: while grading, only the files of your own submission are "
    "visible (a private copy) and there is no network. Code that reads other files, e.g. "
    "with paths such as `../..` or absolute paths, fails there.")


class GradingExecute(Execute):
    """nbgrader's Execute in the grading sandbox, with resource caps, and a clear cell output
    when the kernel dies."""

    sandbox = Enum(
        ["on", "off"], "on",
        help="Run the grading kernel in the bubblewrap sandbox (grading_sandbox.py). 'off' grades "
             "without it (the kernel can then read and change what the grader can): a warning "
             "goes to the log and to every feedback page."
    ).tag(config=True)
    bwrap = Unicode(
        "bwrap", help="The bubblewrap command (a name on PATH or a path)."
    ).tag(config=True)
    blocked_packages = List(
        Unicode(), [],
        help="Packages hidden from the student's kernel by the sandbox, e.g. ['torch']: "
             "`import torch` then raises ModuleNotFoundError."
    ).tag(config=True)

    memory_limit_mb = Integer(
        2048, help="Address-space cap (RLIMIT_AS) of the grading kernel, in MiB; 0 for none. "
                   "An allocation beyond it raises MemoryError in the student's code."
    ).tag(config=True)
    cpu_limit_s = Integer(
        900, help="CPU-time cap (RLIMIT_CPU) of the grading kernel, in seconds; 0 for none. "
                  "Catches code that swallows the interrupt sent at the cell timeout."
    ).tag(config=True)
    file_size_limit_mb = Integer(
        256, help="Largest file the grading kernel may write (RLIMIT_FSIZE), in MiB; 0 for none."
    ).tag(config=True)
    notebook_timeout = Integer(
        600, help="Wall-clock budget for a whole notebook, in seconds; cells after it are not run. "
                  "Each cell also has Execute.timeout."
    ).tag(config=True)
    max_output_chars = Integer(
        100_000, help="Characters of printed output kept per cell; the rest is dropped while it "
                      "arrives, so a flood of output cannot fill the grader's memory."
    ).tag(config=True)
    max_output_lines = Integer(
        500, help="Lines of printed output kept per cell (below LimitOutput.max_lines, so that "
                  "the grader's note saying what was cut stays visible)."
    ).tag(config=True)
    max_payload_chars = Integer(
        200_000, help="Characters of hidden-test results (PAYLOAD_MIME outputs) kept per cell, "
                      "apart from the printed output: a hidden test hands in at most a few "
                      "tens of thousands, so a student's prints cannot push them out."
    ).tag(config=True)
    kernel_threads = Integer(
        1, help="BLAS/OpenMP threads in the grading kernel (predictable time and memory)."
    ).tag(config=True)

    @default("shutdown_kernel")
    def _shutdown_kernel_default(self):
        return "immediate"  # nothing to save in a grading kernel: do not wait for it (~1.5 s)

    # -- resource caps -----------------------------------------------------------------
    def _limit_resources(self) -> None:  # runs in the kernel process, before exec
        if resource is None:
            return
        caps = [(resource.RLIMIT_AS, self.memory_limit_mb * 2**20, 0),
                (resource.RLIMIT_CPU, self.cpu_limit_s, 5),
                (resource.RLIMIT_FSIZE, self.file_size_limit_mb * 2**20, 0)]
        for which, soft, extra in caps:
            if soft > 0:
                # soft == hard (+ a grace period for CPU): the kernel cannot raise them again.
                resource.setrlimit(which, (soft, soft + extra))

    async def async_start_new_kernel(self, **kwargs):
        if resource is not None and os.name == "posix":
            kwargs.setdefault("preexec_fn", self._limit_resources)
        threads = str(self.kernel_threads)
        kwargs.setdefault("env", dict(
            os.environ, OMP_NUM_THREADS=threads, OPENBLAS_NUM_THREADS=threads,
            MKL_NUM_THREADS=threads, MALLOC_ARENA_MAX="2",
        ))
        if not isinstance(self.km, grading_sandbox.SandboxedKernelManager):
            return await super().async_start_new_kernel(**kwargs)
        folder = kwargs.get("cwd") or self.resources.get("metadata", {}).get("path") or "."
        sandbox = grading_sandbox.Sandbox(self.bwrap, folder, self.blocked_packages,
                                          tmp_size_mb=self.file_size_limit_mb or 256)
        self._sandboxes.append(sandbox)
        self.km.use(sandbox, kwargs["env"])
        # What bwrap itself gets, which its init (pid 1 in the sandbox) shows in /proc: no
        # variable of the grader's, no folder of the course, not the grader's log as stdout.
        kwargs.update(env={"PATH": os.defpath}, cwd=str(sandbox.scratch))
        with open(sandbox.log_path, "wb") as log:
            await super().async_start_new_kernel(stdout=log, stderr=log, **kwargs)

    # nbclient binds the synchronous wrapper to its own coroutine: rebind it to ours.
    start_new_kernel = run_sync(async_start_new_kernel)

    # -- time caps -----------------------------------------------------------------------
    def _get_timeout(self, cell):
        timeout = super()._get_timeout(cell)
        if self.notebook_timeout > 0:
            left = max(1, int(self._deadline - time.monotonic()))
            timeout = left if timeout is None else min(timeout, left)
        return timeout

    # -- the sandbox ----------------------------------------------------------------------
    def sandbox_problem(self) -> str | None:
        """None if grading can start as configured; else one line saying what to do."""
        return grading_sandbox.problem(self.bwrap) if self.sandbox == "on" else None

    def create_kernel_manager(self):
        if self.sandbox == "on":
            self.kernel_manager_class = grading_sandbox.SandboxedKernelManager
        return super().create_kernel_manager()

    def preprocess(self, nb, resources=None, km=None):
        if problem := self.sandbox_problem():
            raise NbGraderException(problem)
        if self.sandbox == "off":
            self.log.warning("Grading WITHOUT the sandbox (--GradingExecute.sandbox=off): the "
                             "student's code can read and change what this user can.")
        self._sandboxes = []
        try:
            nb, resources = self._preprocess(nb, resources, km)
        except Exception:
            for sandbox in self._sandboxes:  # e.g. bwrap could not set up: its message
                self.log.error("Output of the sandboxed kernel:\n%s", sandbox.log_tail())
            raise
        finally:
            for sandbox in self._sandboxes:
                sandbox.remove()
        self._add_sandbox_notes(nb)
        return nb, resources

    def _add_sandbox_notes(self, nb) -> None:
        if self.sandbox == "off":
            add_note(nb, UNSANDBOXED_NOTE)
            return
        blocked = f" (without {', '.join(self.blocked_packages)})" if self.blocked_packages else ""
        add_note(nb, SANDBOX_NOTE.format(blocked=blocked))
        for cell in nb.cells:
            for output in cell.get("outputs", []):
                if output.get("output_type") == "error" and output.get("ename") in SANDBOX_ERRORS:
                    add_note(cell, SANDBOX_CELL_NOTE.format(ename=output.ename))

    def _preprocess(self, nb, resources=None, km=None):
        self._deadline = time.monotonic() + self.notebook_timeout
        self._stopped = None  # why later cells are not run, once the kernel is gone
        self._truncated = set()  # indices of cells whose output was cut
        self.error_on_timeout = {
            "ename": "CellTimeoutError",
            "evalue": f"this cell ran longer than the time limit ({self.timeout} s per cell) "
                      "and was stopped: an infinite loop, or much slower code than needed?",
            "traceback": [],
        }
        self.error_on_timeout["traceback"] = [
            f"\x1b[0;31mCellTimeoutError\x1b[0m: {self.error_on_timeout['evalue']}"]
        return super().preprocess(nb, resources, km)

    def preprocess_cell(self, cell, resources, index):
        runnable = cell.cell_type == "code" and cell.source.strip()
        if not runnable:
            return cell, resources
        if self._stopped is None and time.monotonic() > self._deadline:
            self._stopped = (f"the notebook used up its time budget ({self.notebook_timeout} s) "
                             f"before {_cell_label(cell, index)}")
        if self._stopped is not None:
            cell.outputs = [error_output("NotRun", f"this cell was not run because {self._stopped}.")]
            return cell, resources
        try:
            return super().preprocess_cell(cell, resources, index)
        except DeadKernelError:
            ename = "KernelDied"
            reason = _exit_reason(self._kernel_returncode(), sandboxed=self.sandbox == "on")
            message = (f"the Python kernel stopped while running this cell: {reason}. "
                       "Later cells were not run.")
            self._stopped = f"the kernel stopped in {_cell_label(cell, index)}"
            for sandbox in self._sandboxes[-1:]:
                self.log.warning("Output of the sandboxed kernel:\n%s", sandbox.log_tail())
        except CellTimeoutError:
            ename = "CellTimeoutError"
            message = ("this cell passed the time limit and the kernel did not respond to the "
                       "interrupt, so it was shut down. Later cells were not run.")
            self._stopped = f"the kernel was shut down in {_cell_label(cell, index)}"
            self._shutdown_kernel()
        self.log.warning("%s: %s", _cell_label(cell, index), message)
        cell.outputs = list(cell.get("outputs", [])) + [error_output(ename, message)]
        self.nb.cells[index] = cell
        return cell, resources

    def _kernel_returncode(self):
        process = getattr(getattr(self.km, "provisioner", None), "process", None)
        if process is None:
            return None
        try:
            return process.wait(timeout=5)
        except Exception:
            return None

    def _shutdown_kernel(self) -> None:
        try:
            self.km.provisioner.process.kill()
        except Exception:  # already gone
            pass

    # -- output cap -----------------------------------------------------------------------
    def output(self, outs, msg, display_id, cell_index):
        out = super().output(outs, msg, display_id, cell_index)
        if out is None or display_id or self.max_output_chars <= 0:
            return out
        if is_payload(out):  # counted apart from the printed output, against its own cap
            if sum(_output_size(o) for o in outs if is_payload(o)) <= self.max_payload_chars:
                return out
            outs.pop()
            return None
        if cell_index in self._truncated:
            outs.pop()  # already truncated: drop the rest of the flood as it arrives
            return None
        printed = [o for o in outs[:-1] if not is_payload(o)]
        used = sum(_output_size(o) for o in printed)
        lines = sum(o.get("text", "").count("\n") for o in printed)
        text = out.get("text", "") if out.output_type == "stream" else ""
        if (used + _output_size(out) <= self.max_output_chars
                and lines + text.count("\n") <= self.max_output_lines):
            return out
        outs.pop()  # the one just appended
        self._truncated.add(cell_index)
        text = text[:max(0, self.max_output_chars - used)]
        text = "".join(text.splitlines(keepends=True)[:max(0, self.max_output_lines - lines)])
        note = (f"\n... output truncated by the grader: more than {self.max_output_lines:,} lines "
                f"or {self.max_output_chars:,} characters were printed ...\n")
        truncated = nbformat.v4.new_output("stream", name="stdout", text=text + note)
        outs.append(truncated)
        return truncated


class GradingExporter(NotebookExporter):
    """autograde's exporter. nbgrader builds it once per command, before it touches any
    submission: it refuses to start when the sandbox is on and bubblewrap cannot run here."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        if problem := GradingExecute(parent=self).sandbox_problem():
            self.log.error(problem)
            raise NbGraderException(problem)


def is_payload(output) -> bool:
    """A hidden test's results for the grader (never shown to anyone)."""
    return output.get("output_type") == "display_data" and PAYLOAD_MIME in output.get("data", {})


def _output_size(output) -> int:
    if output.get("output_type") == "stream":
        return len(output.get("text", ""))
    data = output.get("data", {})
    return sum(len(v) if isinstance(v, str) else len(json.dumps(v)) for v in data.values())


# -- autograde, before nbgrader's OverwriteCells ---------------------------------------------
def without_hidden_tests(source: str, parent=None) -> str:
    """`source` as students see it: nbgrader's own ClearHiddenTests (with the delimiters the
    course configures for it) removes the hidden-test regions."""
    cell = nbformat.v4.new_code_cell(source)
    ClearHiddenTests(parent=parent, enforce_metadata=False).preprocess_cell(cell, {}, 0)
    return cell.source


class NoteTampering(NbGraderPreprocessor):
    """Notes which locked cells a student edited or deleted (nbgrader restores them)."""

    def preprocess(self, nb, resources):
        info = resources["nbgrader"]
        with Gradebook(info["db_url"]) as gb:
            try:
                source_nb = gb.find_notebook(info["notebook"], info["assignment"])
            except MissingEntry:
                return nb, resources
            released = {cell.name: cell for cell in source_nb.source_cells}
            graded = {cell.name for cell in source_nb.grade_cells}
        present = {}
        for cell in nb.cells:
            grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
            if grade_id:
                present[grade_id] = cell
        for name, source_cell in released.items():
            cell = present.get(name)
            if cell is None:
                if name in graded:
                    add_note(nb, f"Test cell `{name}` was missing from your notebook; the released "
                                 "version was put back and run.")
                continue
            if not source_cell.locked:
                continue
            released_source = without_hidden_tests(source_cell.source, parent=self)
            # The instructor's own notebook (hidden tests included) counts as unchanged too.
            if cell.source.strip() not in (released_source.strip(), source_cell.source.strip()):
                note = (f"Cell `{name}` is locked, but your notebook changed it; the released "
                        "version was put back and run instead.")
                add_note(cell, note)
                add_note(nb, note)
        return nb, resources


# -- autograde's pre-convert hook -------------------------------------------------------------
def _grade_ids(path: Path) -> set[str]:
    try:
        nb = json.loads(path.read_text(encoding="utf-8"))
        return {c.get("metadata", {}).get("nbgrader", {}).get("grade_id") for c in nb["cells"]} - {None}
    except Exception:
        return set()


def _readable(path: Path) -> str | None:
    """None if `path` is a notebook nbgrader can grade, else a short reason."""
    try:
        nb = nbformat.read(str(path), as_version=4)
        nbformat.validate(nb)
    except Exception as error:  # JSON or schema error: the message names the position
        reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        return reason[:200]
    return None


def _write_with_note(source: Path | None, target: Path, note: str) -> None:
    nb = nbformat.read(str(source), as_version=4) if source and source.is_file() else \
        nbformat.v4.new_notebook()
    add_note(nb, note)
    if target.exists():
        target.unlink()  # submitted files may be read-only
    nbformat.write(nb, str(target))


def repair_submission(assignment=None, student=None, notebooks=None, **_) -> None:
    """Make every submitted notebook gradable before nbgrader reads it (autograde hook).

    `notebooks` is the list of submitted notebook paths nbgrader is about to grade; it is
    updated in place. A notebook under another name is graded under its released name when its
    nbgrader cells show which one it is; a notebook that cannot be read is replaced by the
    release (0 points), the student's bytes kept beside it as `<name>.ipynb.unreadable`.
    """
    if not notebooks:
        return
    folder = Path(notebooks[0]).parent                      # <root>/submitted/<student>/<assignment>
    root, assignment_id = folder.parents[2], folder.name
    expected = sorted(p.stem for p in (root / "source" / assignment_id).glob("*.ipynb"))
    if not expected:
        return
    release = root / "release" / assignment_id

    for path in [Path(p) for p in notebooks]:
        if path.stem in expected and (reason := _readable(path)):
            keep = path.with_name(path.name + ".unreadable")
            shutil.copyfile(path, keep)
            _write_with_note(release / path.name, path, (
                f"Your notebook `{path.name}` could not be read ({reason}), so it was graded as the "
                "unchanged released notebook: every autograded part scores 0. Your file is kept; "
                "ask your instructor."))

    submitted = {Path(p).stem: Path(p) for p in notebooks}
    unknown = {stem: p for stem, p in submitted.items() if stem not in expected and not _readable(p)}
    for name in expected:
        if name in submitted or not unknown:
            continue
        wanted = _grade_ids(root / "source" / assignment_id / f"{name}.ipynb")
        stem, path = max(unknown.items(), key=lambda item: len(_grade_ids(item[1]) & wanted))
        if not (_grade_ids(path) & wanted):
            continue
        del unknown[stem]
        target = folder / f"{name}.ipynb"
        _write_with_note(path, target, (
            f"Your notebook was submitted as `{path.name}`; it was graded as `{name}.ipynb`, the "
            "name it was released under. Please keep the released name next time."))
        notebooks[:] = [p for p in notebooks if Path(p) != path] + [str(target)]
        notebooks.sort()


# -- autograde, right after GradingExecute ---------------------------------------------------
RUN_CALL = re.compile(r"\bgrading\.run_(\w+)\(")
_CELL_FRAME = re.compile(r"Cell In\[\d+\], line \d+, in (\w+)")
_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def _import_quietly(module: str) -> None:
    try:
        importlib.import_module(module)
    except Exception:  # the judge imports it again, and says what went wrong
        pass


class JudgeHiddenTests(NbGraderPreprocessor):
    """The grader's verdict on every hidden test, computed here and never in the kernel.

    A test cell whose source (restored from the gradebook by OverwriteCells) calls
    `grading.run_<part>` passes only if the results that this very cell handed in (one
    PAYLOAD_MIME output per part) satisfy `course_utils.grading.judge`, which regenerates the
    seeded inputs and computes the references in this process. The cell fails (an error output
    whose one line says why) when they are wrong, missing, handed in twice or malformed. A
    verdict, a score or any other claim in a payload is ignored; so is an `execute_result`
    (nbgrader would read it as a partial score). Every payload is removed, so the feedback never
    shows one. An error that shows the student's code importing torch gets a note: the kernel
    that grades offers NumPy, not torch.
    """

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        # The references need torch, which takes seconds to import: start now, while the
        # first notebook runs in its kernel (another process), rather than after it.
        threading.Thread(target=_import_quietly, args=("torch",), daemon=True).start()

    def preprocess(self, nb, resources):
        from course_utils import grading  # the grader's copy: torch and the references

        for cell in nb.cells:
            if cell.cell_type != "code":
                continue
            payloads = [o.data[PAYLOAD_MIME] for o in cell.outputs if is_payload(o)]
            cell.outputs = [o for o in cell.outputs if not is_payload(o)]
            self._note_torch(cell, grading)
            if utils.is_grade(cell) and not utils.is_solution(cell) and RUN_CALL.search(cell.source):
                self._judge(cell, RUN_CALL.findall(cell.source), payloads, grading)
        return nb, resources

    def _judge(self, cell, parts, payloads, grading) -> None:
        cell.outputs = [o for o in cell.outputs if o.output_type != "execute_result"]
        if any(o.output_type == "error" for o in cell.outputs):
            return  # 0 points already, and the error says why
        for part in parts:
            mine = [p for p in payloads if isinstance(p, dict) and p.get("part") == part]
            if not mine:
                message = (f"{part}: the hidden test's results did not reach the grader, so this "
                           "part scores 0 (the grader only accepts what the hidden test itself "
                           "hands in: an answer must not change course_utils, numpy or the "
                           "cell's output).")
            elif len(mine) > 1:
                message = (f"{part}: results were handed in {len(mine)} times, so this part scores "
                           "0 (only the hidden test itself may hand them in).")
            else:
                message = self._verdict(part, mine[0], grading)
            if message:
                cell.outputs.append(error_output("GradingFailure", message))
                return

    def _verdict(self, part, payload, grading) -> str | None:
        try:
            return grading.judge(part, payload)
        except Exception as error:  # a malformed payload the checks did not foresee, or a bug
            self.log.exception("judging %s failed", part)
            return (f"{part}: the grader could not check these results ({type(error).__name__}), "
                    "so this part scores 0; please tell your instructor.")

    def _note_torch(self, cell, grading) -> None:
        for output in cell.outputs:
            if output.output_type == "error" and output.get("ename") in (
                    "ModuleNotFoundError", "ImportError") and "torch" in output.get("evalue", ""):
                frames = _CELL_FRAME.findall(_ANSI.sub("", "\n".join(output.get("traceback", []))))
                parts = RUN_CALL.findall(cell.source)
                name = frames[-1] if frames else (parts[0] if parts else
                                                  cell.metadata.get("nbgrader", {}).get("grade_id"))
                add_note(cell, grading.torch_message(name or "this cell"))


# -- generate_feedback ------------------------------------------------------------------------
class HideHiddenTests(NbGraderPreprocessor):
    """Feedback without hidden tests: their source (removed by nbgrader's ClearHiddenTests),
    tracebacks that could quote it, and any results handed in for grading go."""

    placeholder = Unicode("# (hidden tests: not shown)").tag(config=True)

    def preprocess(self, nb, resources):
        cells = []
        top_notes = notes_of(nb)
        if top_notes:
            cells.append(nbformat.v4.new_markdown_cell(
                "**Notes from the grader**\n\n" + "\n".join(f"- {n}" for n in top_notes)))
        for cell in nb.cells:
            if cell.cell_type == "code":
                cell.outputs = [o for o in cell.outputs if not is_payload(o)]
                if utils.is_grade(cell) and not utils.is_solution(cell):
                    self._hide(cell)
            cells.extend(nbformat.v4.new_markdown_cell(f"**Note:** {n}") for n in notes_of(cell))
            cells.append(cell)
        nb.cells = cells
        return nb, resources

    def _hide(self, cell: NotebookNode) -> None:
        visible = without_hidden_tests(cell.source, parent=self)
        if visible == cell.source:
            return
        cell.source = visible.rstrip("\n") + "\n" + self.placeholder
        for output in cell.get("outputs", []):
            if output.output_type == "error":
                # A traceback quotes the lines around the failing one, which may be hidden.
                output.traceback = [f"\x1b[0;31m{output.ename}\x1b[0m: {output.evalue}"]
