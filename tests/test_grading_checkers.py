"""The hidden tests, run in-process as autograde runs them: the kernel's half (run_<part>)
hands in what the answers return, the grader's half (grading.judge) gives the verdict. They
accept the solutions, reject the stubs and wrong answers with a message that reveals no
expected value, and nothing in course_utils passes them.

Each assignment source is executed cell by cell in one namespace (as its kernel would); the
test cells are then re-run with the answers swapped out.
"""

import importlib
import inspect
import pkgutil
import re

import numpy as np
import pytest
from grading_helpers import (
    answer_and_tests,
    assignment_names,
    defined_names,
    hidden_code,
    hidden_verdict,
    read_source,
    recorded_outputs,
    renderings,
    run_source,
    visible_part,
)

import course_utils
from course_utils import grading

ASSIGNMENTS = assignment_names()


@pytest.fixture(scope="module", params=ASSIGNMENTS)
def solved(request):
    return request.param, run_source(request.param)


def failure_message(cell, namespace, **replacements) -> str:
    message = hidden_verdict(cell, namespace, **replacements)
    assert message is not None, f"{cell.id} passed with {list(replacements)} replaced"
    return message


def test_every_test_cell_has_a_visible_and_a_hidden_part(solved):
    name, _ = solved
    pairs = answer_and_tests(read_source(name))
    assert pairs, f"{name} has no answer cells"
    for answer, tests in pairs:
        assert tests, f"{answer.id} has no test cell"
        for cell in tests:
            assert "assert " in visible_part(cell)
            parts = re.findall(r"grading\.run_(\w+)\(", hidden_code(cell))
            assert parts and set(parts) <= set(grading.parts()), cell.id


def test_the_solutions_pass_every_hidden_test(solved):
    name, namespace = solved
    for _, tests in answer_and_tests(read_source(name)):
        for cell in tests:
            assert hidden_verdict(cell, namespace) is None, cell.id


def test_hidden_tests_fail_for_the_released_stubs(solved):
    name, namespace = solved
    for answer, tests in answer_and_tests(read_source(name)):
        def stub(*args, **kwargs):
            raise NotImplementedError()

        for function in defined_names(answer.source):
            for cell in tests:
                if function in hidden_code(cell):
                    message = failure_message(cell, namespace, **{function: stub})
                    assert "not implemented yet" in message


def course_utils_functions():
    """Every function defined anywhere in course_utils, public or private."""
    found = {}
    for module_info in pkgutil.walk_packages(course_utils.__path__, "course_utils."):
        module = importlib.import_module(module_info.name)
        for value in vars(module).values():
            if inspect.isfunction(value) and value.__module__.startswith("course_utils"):
                found[f"{value.__module__}.{value.__qualname__}"] = value
    return found


def test_no_function_in_course_utils_passes_a_hidden_test(solved):
    """The package never contains an answer: substitute each of its functions for each answer."""
    name, namespace = solved
    candidates = course_utils_functions()
    assert len(candidates) > 50
    for answer, tests in answer_and_tests(read_source(name)):
        for function in defined_names(answer.source):
            for cell in tests:
                if function not in hidden_code(cell):
                    continue
                passed = [qualified for qualified, candidate in candidates.items()
                          if hidden_verdict(cell, namespace, **{function: candidate}) is None]
                assert not passed, f"{name}: {passed} pass the hidden test for {function}"


# ---- the messages: what failed, with a hint, never an expected value -----------------------

def wrong_answers(namespace):
    """Plausible mistakes, by answer name: each must fail with a helpful, value-free message."""
    ns = namespace
    wrong = {
        # ps1
        "elu_forward": lambda z, alpha=1.0: (np.where(z > 0, z, np.exp(z) - 1), z),
        "elu_backward": lambda dout, cache: np.ones_like(dout),
        "neuron_loss_and_grads": lambda w, b, X, y: (
            float(-np.mean(y * np.log(ns["sigmoid"](X @ w + b))
                           + (1 - y) * np.log(1 - ns["sigmoid"](X @ w + b)))),
            X.T @ (ns["sigmoid"](X @ w + b) - y), float(np.sum(ns["sigmoid"](X @ w + b) - y))),
        "multilabel_loss_and_grads": lambda params, X, Y: (
            ns["multilabel_loss_and_grads"](params, X, Y)[0],
            {**ns["multilabel_loss_and_grads"](params, X, Y)[1],
             "W": 2 * ns["multilabel_loss_and_grads"](params, X, Y)[1]["W"]}),
        "sgd_momentum_step": lambda params, grads, velocity, lr, momentum: (
            {k: params[k] - lr * grads[k] for k in params},
            {k: momentum * velocity[k] - lr * grads[k] for k in params}),
    }
    if "leaky_rnn_step_forward" in ns:  # ps2
        def no_direct_path(params, contexts, targets):
            loss, grads = ns["window_lm_direct_loss_and_grads"](params, contexts, targets)
            return loss, {**grads, "G": np.zeros_like(grads["G"])}

        def no_leak(x, h_prev, W_e, W_h, b, alpha):
            return ns["leaky_rnn_step_forward"](x, h_prev, W_e, W_h, b, 1.0)

        def no_leak_path_back(dh, cache):
            dx, dh_prev, dW_e, dW_h, db = ns["leaky_rnn_step_backward"](dh, cache)
            return dx, dh_prev - (1 - cache[-1]) * dh, dW_e, dW_h, db

        def every_step_from_h0(x, h0, W_e, W_h, b, alpha):
            steps = [ns["leaky_rnn_step_forward"](x[:, t], h0, W_e, W_h, b, alpha)
                     for t in range(x.shape[1])]
            return np.stack([h for h, _ in steps], axis=1), [c for _, c in steps]

        def truncated_after_one_step(dhs, cache):
            parts = [ns["leaky_rnn_step_backward"](dhs[:, t], c) for t, c in enumerate(cache)]
            return (np.stack([p[0] for p in parts], axis=1), parts[0][1],
                    *(sum(p[i] for p in parts) for i in (2, 3, 4)))

        wrong.update({
            "window_lm_direct_loss_and_grads": no_direct_path,
            "leaky_rnn_step_forward": no_leak,
            "leaky_rnn_step_backward": no_leak_path_back,
            "leaky_rnn_forward": every_step_from_h0,
            "leaky_rnn_backward": truncated_after_one_step,
        })
    if "beam_search" in ns:  # ps3
        def mean_over_all_positions(logits, targets, mask):
            return ns["masked_cross_entropy"](logits, targets, np.ones_like(mask))

        def global_clip(grads, max_norm):
            total = np.sqrt(sum(np.sum(g * g) for g in grads.values()))
            return {k: g * min(1.0, max_norm / (total + 1e-6)) for k, g in grads.items()}

        def one_token_too_few(logits, p):
            probs = ns["softmax"](logits)
            order = np.argsort(-probs, axis=-1)
            keep_sorted = np.cumsum(np.take_along_axis(probs, order, axis=-1), axis=-1) < p
            keep_sorted[..., 0] = True
            keep = np.zeros_like(keep_sorted)
            np.put_along_axis(keep, order, keep_sorted, axis=-1)
            kept = np.where(keep, probs, 0.0)
            return kept / kept.sum(axis=-1, keepdims=True)

        def always_greedy(step, state, bos_id, eos_id, beam_width, max_len):
            return ns["beam_search"](step, state, bos_id, eos_id, 1, max_len)

        wrong.update({
            "masked_cross_entropy": mean_over_all_positions,
            "clip_each_norm": global_clip,
            "top_p_filter": one_token_too_few,
            "beam_search": always_greedy,
        })
    if "residual_stacked_lstm" in ns:  # ps4
        def reset_before_multiply(x, h_prev, W_e, W_h, b):  # Cho et al.'s original placement
            H = h_prev.shape[1]
            a_x, a_h = x @ W_e.T + b, h_prev @ W_h.T
            r = ns["sigmoid"](a_x[:, :H] + a_h[:, :H])
            z = ns["sigmoid"](a_x[:, H:2 * H] + a_h[:, H:2 * H])
            n = np.tanh(a_x[:, 2 * H:] + (r * h_prev) @ W_h[2 * H:].T)
            return (1 - z) * n + z * h_prev, None

        def no_direct_path_back(dh, cache):
            dx, dh_prev, dW_e, dW_h, db = ns["gru_step_backward"](dh, cache)
            z = cache[5]
            return dx, dh_prev - z * dh, dW_e, dW_h, db

        def reversing_whole_rows(x, params_fwd, params_bwd, lengths):
            T = x.shape[1]
            full = np.full_like(lengths, T)
            hs = ns["bidirectional_gru"](x, params_fwd, params_bwd, full)  # reads the padding
            return hs * ns["padding_mask"](lengths, T)[:, :, None]

        def plain_stack(x, layers):
            return ns["stacked_forward"](x, layers)[0]

        wrong.update({
            "gru_step_forward": reset_before_multiply,
            "gru_step_backward": no_direct_path_back,
            "bidirectional_gru": reversing_whole_rows,
            "residual_stacked_lstm": plain_stack,
        })
    return wrong


def test_wrong_answers_fail_with_a_message_that_reveals_no_expected_value(solved):
    name, namespace = solved
    wrong = wrong_answers(namespace)
    checked = 0
    for answer, tests in answer_and_tests(read_source(name)):
        for function in defined_names(answer.source):
            if function not in wrong:
                continue
            for cell in tests:
                if function not in hidden_code(cell):
                    continue
                message = failure_message(cell, namespace, **{function: wrong[function]})
                assert message.startswith(f"{function}:"), message
                assert "Hint:" in message and len(message) < 400, message
                expected = recorded_outputs(cell, namespace, function)
                assert expected, f"no values recorded for {function}"
                leaked = [form for value in expected for form in renderings(value) if form in message]
                assert not leaked, f"{function}: message {message!r} shows expected values {leaked}"
                checked += 1
    assert checked, f"{name}: no wrong answer was tried"


def test_hidden_tests_keep_the_students_prints_and_warnings_out_of_the_cell(capfd):
    namespace = run_source(ASSIGNMENTS[0])
    capfd.readouterr()

    def noisy(*args, **kwargs):
        import warnings

        print("debugging print")
        warnings.warn("a warning on stderr would make nbgrader score the cell 0", stacklevel=1)
        return namespace["elu_forward"](*args, **kwargs)

    with grading.collect() as payloads:
        grading.run_elu_forward(noisy)
    captured = capfd.readouterr()
    assert captured.out == "" and captured.err == ""
    assert grading.judge("elu_forward", payloads[0]) is None


def test_hidden_tests_return_none_so_nbgrader_reads_no_partial_score():
    namespace = run_source(ASSIGNMENTS[0])
    with grading.collect() as payloads:
        assert grading.run_elu_forward(namespace["elu_forward"]) is None
    assert len(payloads) == 1
