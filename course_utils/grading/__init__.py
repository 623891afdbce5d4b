"""The hidden tests of the course's nbgrader assignments, in two halves that never meet.

In the student's kernel, a hidden test cell only runs the answer and hands the results in:

    from course_utils import grading
    grading.run_elu_backward(elu_forward, elu_backward)

`run_<part>` calls the student's functions on the part's seeded cases (the same on every run,
so a regrade gives the same score) and sends what they returned, arrays bit for bit, as one
display output of type PAYLOAD_MIME. It holds no expected value and needs no torch.

In the grader, `judge(part, payload)` regenerates the same cases, computes the references
there (torch, central differences, exhaustive search) and compares: it returns None for a
right answer, or the one line that the feedback shows, which names the function, the output
and the case that failed, with a hint, and never an expected value. nbgrader's autograde calls
it through `JudgeHiddenTests` in assignments/nbgrader_plugins.py, which also removes the
payloads, so the feedback never shows them. Whatever the student's code changes in its own
kernel (numpy, torch, course_utils, sys.modules) can only change what the answer returns.

One module per assignment (`ps1` ... `ps4`) holds each part's cases and `run_<part>`; the
grader's half, `judge_<part>` and its references, is in `judges/psN.py`, a package the grading
sandbox hides from the student's kernel; `_core` holds what both halves share. The references
are written inline with torch or as a definition, never as NumPy functions with an answer's
signature: nothing in `course_utils` can stand in for an answer (tests/test_grading_checkers.py
tries every function of the package against every hidden test).
"""

from __future__ import annotations

from ._core import PAYLOAD_MIME, GradingFailure, PayloadError, collect, one_torch_thread, torch_message
from .ps1 import (
    run_elu_backward,
    run_elu_forward,
    run_multilabel_loss_and_grads,
    run_neuron_loss_and_grads,
    run_sgd_momentum_step,
)
from .ps2 import (
    run_leaky_rnn_backward,
    run_leaky_rnn_forward,
    run_leaky_rnn_step_backward,
    run_leaky_rnn_step_forward,
    run_window_lm_direct_loss_and_grads,
)
from .ps3 import run_beam_search, run_clip_each_norm, run_masked_cross_entropy, run_top_p_filter
from .ps4 import (
    run_bidirectional_gru,
    run_gru_step_backward,
    run_gru_step_forward,
    run_residual_stacked_lstm,
)

__all__ = [
    "PAYLOAD_MIME",
    "GradingFailure",
    "collect",
    "judge",
    "parts",
    "torch_message",
    # ps1_perceptron_ffn
    "run_elu_forward",
    "run_elu_backward",
    "run_neuron_loss_and_grads",
    "run_multilabel_loss_and_grads",
    "run_sgd_momentum_step",
    # ps2_neural_lms
    "run_window_lm_direct_loss_and_grads",
    "run_leaky_rnn_step_forward",
    "run_leaky_rnn_step_backward",
    "run_leaky_rnn_forward",
    "run_leaky_rnn_backward",
    # ps3_training_and_decoding
    "run_masked_cross_entropy",
    "run_clip_each_norm",
    "run_top_p_filter",
    "run_beam_search",
    # ps4_lstm_and_bidirectional
    "run_gru_step_forward",
    "run_gru_step_backward",
    "run_bidirectional_gru",
    "run_residual_stacked_lstm",
]

def parts() -> list[str]:
    """Every part a hidden test can hand in (`grading.run_<part>`)."""
    return sorted(name.removeprefix("run_") for name in __all__ if name.startswith("run_"))


def judge(part: str, payload) -> str | None:
    """The grader's verdict on what `run_<part>` handed in: None if the answer is right, else
    the one-line message for the feedback. Only the grader can call it: the references live
    in `course_utils.grading.judges`, which the grading sandbox hides from the student's kernel."""
    from .judges import JUDGES

    if part not in JUDGES:
        raise KeyError(f"judge: no hidden test called {part!r}; expected one of {parts()}")
    try:
        with one_torch_thread():
            JUDGES[part](payload)
    except GradingFailure as failure:
        return str(failure)
    except PayloadError as error:
        return (f"{part}: the hidden test's results could not be read ({error}), so this part "
                "scores 0.")
    return None
