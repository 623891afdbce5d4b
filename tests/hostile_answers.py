"""Submissions that try to raise their score from inside the grading kernel.

Each starts from the release with every code answer filled in as the solution, then makes
every answer wrong by a little (`perturbed`) and adds code to each answer cell that tries to
make wrong answers pass anyway (`tampered`, `forged`). A grader that computes its verdicts
outside the student's process gives them exactly what the wrong answers alone earn: nothing.
`torch_answers` uses torch in two answers, which the grading kernel does not offer.
"""

from __future__ import annotations

from grading_helpers import defined_names, filled_release, is_answer_cell, nbgrader_meta

PAYLOAD_MIME = "application/vnd.course-grading+json"

# Every float an answer returns is a little off (1 % and 1e-3): a wrong answer of the right
# shape, far outside the checkers' tolerance, that visible tests notice too.
PERTURB = '''

def _nudged(value):
    if isinstance(value, dict):
        return {key: _nudged(item) for key, item in value.items()}
    if isinstance(value, (tuple, list)):
        return type(value)(_nudged(item) for item in value)
    if isinstance(value, (float, np.floating)) or (
            isinstance(value, np.ndarray) and value.dtype.kind == "f"):
        return value * 1.01 + 1e-3
    return value


def _perturbed(function):
    def wrong(*args, **kwargs):
        return _nudged(function(*args, **kwargs))
    return wrong

'''

# issue 14's tamper: every comparison in numpy and torch, and every function of course_utils
# whose name says grad/check/test, replaced by one that passes; then a fake payload that
# claims a pass, printed from the answer cell.
TAMPER = '''
import importlib
import pkgutil

import course_utils
from IPython.display import display


def _passes(*args, **kwargs):
    return True


np.allclose = _passes
np.isclose = lambda a, b, *args, **kwargs: np.ones(np.broadcast(np.asarray(a), np.asarray(b)).shape, bool)
np.testing.assert_allclose = lambda *args, **kwargs: None
try:
    import torch
    torch.allclose = _passes
    torch.testing.assert_close = lambda *args, **kwargs: None
except ImportError:  # torch is not offered while grading
    pass
for _info in pkgutil.walk_packages(course_utils.__path__, "course_utils."):
    try:
        _module = importlib.import_module(_info.name)
    except Exception:
        continue
    for _name, _value in list(vars(_module).items()):
        if callable(_value) and any(word in _name.lower() for word in ("grad", "check", "test")):
            setattr(_module, _name, _passes)
for _name, _value in list(globals().items()):  # what the imports cell took from course_utils
    if callable(_value) and any(word in _name.lower() for word in ("grad", "check", "test")) \\
            and getattr(_value, "__module__", "").startswith("course_utils"):
        globals()[_name] = _passes
rel_error = lambda *args, **kwargs: 0.0  # noqa: E731
display({"%(mime)s": {"part": "%(part)s", "verdict": "pass", "score": 1.0, "cases": []},
         "text/plain": "all hidden tests passed"}, raw=True)
'''

# Past the comparisons: the grading module itself replaced (in sys.modules too) by one whose
# every function claims a pass and returns a value nbgrader would read as full credit, and a
# hook that wipes the outputs (errors included) of any cell that failed.
FORGE = '''
import sys
import types

import course_utils
from IPython import get_ipython
from IPython.display import clear_output, display


def _claim(part):
    display({"%(mime)s": {"part": part, "verdict": "pass", "score": 1.0, "cases": []}}, raw=True)


class _Grading(types.ModuleType):
    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)

        def claim_a_pass(*args, **kwargs):
            _claim(name.split("_", 1)[-1])
            return "full marks"
        return claim_a_pass


sys.modules["course_utils.grading"] = course_utils.grading = _Grading("course_utils.grading")


def _wipe_failures(result):
    if result.error_in_exec is not None or result.error_before_exec is not None:
        clear_output()
        _claim("%(part)s")


if not globals().get("_hooked"):
    get_ipython().events.register("post_run_cell", _wipe_failures)
    _hooked = True
'''


def _answer_cells(nb):
    return [c for c in nb.cells if c.cell_type == "code" and is_answer_cell(c)]


def perturbed(source, release):
    """Every code answer the solution, each of its functions wrapped to return wrong values."""
    nb = filled_release(source, release)
    for cell in _answer_cells(nb):
        wraps = "".join(f"{name} = _perturbed({name})\n" for name in defined_names(cell.source))
        cell.source += PERTURB + wraps
    return nb


def _with(code: str, source, release):
    nb = perturbed(source, release)
    for cell in _answer_cells(nb):
        part = nbgrader_meta(cell)["grade_id"]
        cell.source += code % {"mime": PAYLOAD_MIME, "part": part}
    return nb


def tampered(source, release):
    """The perturbed answers plus issue 14's tamper in every answer cell."""
    return _with(TAMPER, source, release)


def forged(source, release):
    """The tampered answers plus a fake grading module and a hook that wipes failures."""
    return _with(TAMPER + FORGE, source, release)


GRU_WITH_TORCH = '''def gru_step_forward(x, h_prev, W_e, W_h, b):
    """h from torch.nn.GRUCell, the cache in NumPy."""
    import torch

    H = h_prev.shape[1]
    cell = torch.nn.GRUCell(x.shape[1], H).double()
    with torch.no_grad():
        cell.weight_ih.copy_(torch.from_numpy(W_e))
        cell.weight_hh.copy_(torch.from_numpy(W_h))
        cell.bias_ih.copy_(torch.from_numpy(b))
        cell.bias_hh.zero_()
        h = cell(torch.from_numpy(x), torch.from_numpy(h_prev)).numpy()
    a_x, a_h = x @ W_e.T + b, h_prev @ W_h.T
    r = sigmoid(a_x[:, :H] + a_h[:, :H])
    z = sigmoid(a_x[:, H:2 * H] + a_h[:, H:2 * H])
    hn = a_h[:, 2 * H:]
    n = np.tanh(a_x[:, 2 * H:] + r * hn)
    return h, (x, h_prev, W_e, W_h, r, z, n, hn)
'''


def torch_answers(source, release):
    """ps4 solved, but gru_step_forward calls torch.nn.GRUCell, and the residual stack's cell
    starts with `import torch`: right answers wherever torch can be imported."""
    nb = filled_release(source, release)
    for cell in _answer_cells(nb):
        grade_id = nbgrader_meta(cell)["grade_id"]
        if grade_id == "gru_step_forward":
            cell.source = GRU_WITH_TORCH
        elif grade_id == "residual_stacked_lstm":
            cell.source = "import torch\n\n" + cell.source
    return nb
