"""Right by construction: after any sequence of control changes, every dashboard shows what a
fresh dashboard shows when it is drawn from scratch in the same final state.

A dashboard keeps pictures (the Blitter's static backgrounds, per key) and caches compute
results to answer a control change within milliseconds. A cache that forgets part of the state
(axis limits, a title, a shaded region) shows a wrong picture only after some *sequence* of
changes, typically when a control goes back to an earlier value. So for every dashboard:

- seeded random sequences of control changes (values drawn from a few candidates, often
  going back to one already used) are applied to one view;
- a second view is built from the same arguments with every kept picture disabled
  (`Blitter.reuse = False`: each frame is drawn in full) and brought to the same final state:
  the final control values are set in the order the dashboard lists them, or, where the
  state is a history (training steps, new samples), the same sequence is replayed;
- the two PNGs must agree pixel for pixel, within a small tolerance for anti-aliasing, and
  the text strips (the hover views of lessons 04, 06 and 07) must hold exactly what the fresh
  view's strips hold: every character, colour, detail row and prediction, and the selection.
  A click on a strip's character (setting its `selected`, as the browser does) is one of the
  control changes; it may move another control (the hidden state's step, the connectivity
  target), which the fresh view then gets as a value.

On failure both images and their difference go to test-artifacts/equivalence/ (git-ignored).
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field

import numpy as np
import pytest
from PIL import Image

from course_utils.plots import Blitter
from course_utils.widgets.text_strip import TextStrip

from conftest import ROOT
from widget_latency import find_control

ARTIFACTS = ROOT / "test-artifacts" / "equivalence"
SEEDS = range(4)
STEPS = 9


# ---- the comparison ---------------------------------------------------------------------------------


def pixels(png: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB"), dtype=np.int16)


def mismatch(shown: bytes, fresh: bytes) -> str | None:
    """None when the two PNGs agree: same size, and under 0.05 % of pixels off by more than
    32 levels in a channel (anti-aliasing moves a few edge pixels by a few levels)."""
    a, b = pixels(shown), pixels(fresh)
    if a.shape != b.shape:
        return f"sizes differ: shown {a.shape[1]}×{a.shape[0]}, fresh {b.shape[1]}×{b.shape[0]}"
    off = np.abs(a - b).max(axis=2) > 32
    share = off.mean()
    if share > 5e-4:
        rows, cols = np.nonzero(off)
        return (f"{off.sum()} pixels ({100 * share:.2f} %) differ, within x {cols.min()}..{cols.max()}, "
                f"y {rows.min()}..{rows.max()}")
    return None


def save_pair(name: str, shown: bytes, fresh: bytes) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / f"{name}-shown.png").write_bytes(shown)
    (ARTIFACTS / f"{name}-fresh.png").write_bytes(fresh)
    a, b = pixels(shown), pixels(fresh)
    if a.shape == b.shape:
        difference = (255 - np.abs(a - b).max(axis=2).clip(0, 255)).astype(np.uint8)
        Image.fromarray(difference).save(ARTIFACTS / f"{name}-difference.png")


def shown_png(view) -> bytes:
    return find_control(view, "cu-plot").value


# ---- the dashboards and their controls --------------------------------------------------------------


@dataclass
class Case:
    """How to build one dashboard and which values each control may take.

    `controls`: (css class, candidate values) in the order a fresh view must be set (a text
    before a slider whose range depends on it); a value "click" presses a button; a class
    ending in "-strip" is a text strip, and its values are positions clicked (modulo the
    length of the text on show).
    `history`: the state is a history of actions (training, sampling): replay it.
    """

    build: object
    controls: list = field(default_factory=list)
    history: bool = False


def lesson00_case(kind):
    from test_widgets_lesson00 import PAIRS, QUESTIONS, royal

    from course_utils.widgets.analogy import analogy_explorer
    from course_utils.widgets.similarity import similarity_scatter

    models = {"tiny": royal(), "noisy": royal("noisy", seed=2)}
    if kind == "analogy":
        return Case(lambda: analogy_explorer(models, examples=QUESTIONS["family"][:2], k=3), [
            ("cu-analogy-example", [-1, 0, 1]),
            ("cu-analogy-a", ["man", "boy", "zebra"]),
            ("cu-analogy-b", ["woman", "girl"]),
            ("cu-analogy-c", ["king", "prince", "apple"]),
            ("cu-analogy-model", ["tiny", "noisy"]),
        ])
    datasets = {"first": PAIRS, "second": PAIRS[::-1][:6]}
    return Case(lambda: similarity_scatter(models, datasets=datasets), [
        ("cu-similarity-dataset", ["first", "second"]),
        ("cu-similarity-model", ["tiny", "noisy"]),
        ("cu-similarity-word", ["", "king", "girl", "zebra"]),
    ])


def lesson01_02_case(kind):
    if kind == "activation":
        from course_utils.widgets.activation import activation_explorer

        return Case(lambda: activation_explorer(z=0.87), [
            ("cu-activation-function", ["sigmoid", "tanh", "relu"]),
            ("cu-activation-z", [-5.5, -1.0, 0.0, 0.87, 3.2, 6.0]),
        ])
    if kind == "perceptron":
        from course_utils.widgets.perceptron import perceptron_explorer

        return Case(lambda: perceptron_explorer(w=(1.0, 1.0), b=-1.5), [
            ("cu-perceptron-dataset", ["AND", "OR", "XOR"]),
            ("cu-perceptron-w1", [-4.0, -0.05, 0.0, 1.0, 3.5]),
            ("cu-perceptron-w2", [-2.0, 0.0, 1.0, 4.0]),
            ("cu-perceptron-b", [-6.0, -1.5, 0.0, 2.0, 6.0]),
            ("cu-perceptron-x1", [-0.5, 0.5, 1.5]),
            ("cu-perceptron-x2", [-0.5, 0.8, 1.5]),
        ])
    from course_utils.data import make_toy_2d
    from course_utils.nn.ffn import init_ffn
    from course_utils.widgets.training import train_steps, training_explorer

    x, y = make_toy_2d("circles", n=60, seed=0)
    params, losses = train_steps(init_ffn(2, 4, 2, seed=0), x, y, 30, lr=1.0)
    return Case(lambda: training_explorer(params, x, y, losses=losses, n_steps=40), [
        ("cu-training-dataset", ["notebook data", "xor", "gauss"]),
        ("cu-training-width", [2, 4, 9]),
        ("cu-training-activation", ["sigmoid", "tanh", "relu"]),
        ("cu-training-lr", [0.01, 1.0, 10.0]),
        ("cu-training-steps", [1, 40, 300]),
        ("cu-training-step", ["click"]),
        ("cu-training-run", ["click"]),
        ("cu-training-reset", ["click"]),
    ], history=True)


LM_TEXT = ('The bank is on the river. "We will win (again)," he said on 12 May.\n'
           'Prices rose 3.5 per cent. "No," she said. The Prime Minister said on Monday that '
           'the government would act on 1,250 homes (in total).')


def char_vocab():
    from course_utils.data import Vocab

    return Vocab.build(LM_TEXT * 2, level="char")


def rnn_model(vocab, hidden=16, seed=3):
    from course_utils.nn.language_model import init_lm

    params = init_lm("rnn", len(vocab), 8, hidden, seed=seed)
    params["W_h"] = params["W_h"] * 1.5
    return params


def lstm_model(vocab, hidden=80, big_unit=72):
    """An LSTM LM whose unit `big_unit` integrates its input (forget gate open, candidate
    saturated): its cell state reaches tens while the others stay within a few units."""
    from course_utils.nn.language_model import init_lm

    params = init_lm("lstm", len(vocab), 8, hidden, seed=0)
    params["W_h"] = params["W_h"] * 3.0
    params["W_e"] = params["W_e"] * 3.0
    params["b"][hidden + big_unit] += 8.0          # gates in order i, f, g, o
    params["b"][2 * hidden + big_unit] += 8.0
    return params


def lesson03_04_case(kind):
    vocab = char_vocab()
    if kind == "growth":
        from course_utils.widgets.window_lm import parameter_growth_view

        return Case(lambda: parameter_growth_view(2651, {1: 101.5, 2: 97.9, 3: 97.9, 5: 102.7},
                                                  {n: 50_000 for n in range(1, 11)},
                                                  baseline=("n-gram", 152.0)), [
            ("cu-growth-n", [1, 3, 7, 10]),
            ("cu-growth-embed", [4, 32, 256]),
            ("cu-growth-hidden", [8, 64, 512]),
        ])
    params = rnn_model(vocab)
    if kind == "hidden":
        from course_utils.widgets.hidden_state import hidden_state_view

        texts = [LM_TEXT[:40], LM_TEXT[40:140], "The Prime Minister said on Monday that"]
        return Case(lambda: hidden_state_view(params, vocab, texts, unit=2), [
            ("cu-hidden-pick", texts),
            ("cu-hidden-text", ["abc", LM_TEXT[:13], LM_TEXT[:150]]),
            ("cu-hidden-step", [0, 3, 12, 39]),
            ("cu-hidden-unit", [0, 2, 15]),
            ("cu-hidden-rows", ["similar", "clustered", "index"]),
            ("cu-hidden-strip", [0, 4, 30]),
        ])
    from course_utils.widgets.sampling import sampling_view

    return Case(lambda: sampling_view(params, vocab, prompt="The ", max_len=60), [
        ("cu-sampling-temperature", [0.0, 0.5, 1.0, 2.0]),
        ("cu-sampling-length", [10, 60, 200]),
        ("cu-sampling-prompt", ["The ", "", "He said \"", "zq"]),
        ("cu-sampling-seed", [0, 1, 5]),
        ("cu-sampling-new", ["click"]),
    ], history=True)


def lesson05_06_case(kind):
    vocab = char_vocab()
    if kind == "gradflow":
        from course_utils.widgets.gradient_flow import gradient_flow_view

        rnn = rnn_model(vocab)
        ids = np.array(vocab.encode(LM_TEXT * 2))
        return Case(lambda: gradient_flow_view(rnn, ids, spectral_radius=1.2, activation="identity",
                                               seq_len=20), [
            ("cu-gradflow-radius", [0.5, 1.0, 1.2, 2.0]),
            ("cu-gradflow-activation", ["tanh", "relu", "identity"]),
            ("cu-gradflow-length", [10, 20, 50]),
            ("cu-gradflow-clip", [False, True]),
        ])
    lstm = lstm_model(vocab)
    if kind == "gates":
        from course_utils.widgets.gates import gates_view

        texts = [LM_TEXT[:150], LM_TEXT[40:100]]
        return Case(lambda: gates_view(lstm, vocab, texts, unit=0), [
            ("cu-gates-pick", texts),
            ("cu-gates-text", [LM_TEXT[:150], "He said.", LM_TEXT[100:]]),
            ("cu-gates-unit", [0, 1, 40, 72, 79]),
            ("cu-gates-colour", ["c", "h", "f", "o"]),
            ("cu-gates-rows", ["similar", "clustered", "index"]),
            ("cu-gates-strip", [1, 9, 60]),
        ])
    if kind == "connect":
        from course_utils.widgets.connectivity import connectivity_view

        rnn = rnn_model(vocab)
        texts = [LM_TEXT[:150], LM_TEXT[60:120]]
        return Case(lambda: connectivity_view({"RNN": ("rnn", rnn), "LSTM": ("lstm", lstm)}, vocab, texts), [
            ("cu-connect-pick", texts),
            ("cu-connect-text", [LM_TEXT[:150], LM_TEXT[20:80], "ab"]),
            ("cu-connect-target", [0, 5, 48, 100, 148]),
            ("cu-connect-strip", [0, 7, 33]),
        ])
    from course_utils.widgets.cell_search import cell_search_view

    return Case(lambda: cell_search_view(lstm, vocab, LM_TEXT * 2, pattern="position in the word"), [
        ("cu-cells-pattern", ["inside quotes", "inside parentheses", "inside a number",
                              "position in the word", "position in the line", "regular expression"]),
        ("cu-cells-regex", ["[A-Z][a-z]+", "said", "zzz", "("]),
        ("cu-cells-state", ["c", "h"]),
        ("cu-cells-rank", [1, 2, 5, 10]),
        ("cu-cells-strip", [2, 50]),
    ])


def lesson07_case(kind):
    from test_widgets_lesson07 import LABELS, SENTENCES, char_model

    from course_utils.widgets.bidirectional import bidirectional_explorer

    encoder, head = char_model(H=24)
    return Case(lambda: bidirectional_explorer(encoder, head, SENTENCES, LABELS), [
        ("cu-bidirectional-sentence", [0, 1, 2, 3]),
        ("cu-bidirectional-rows", ["classifier", "clustered", "index"]),
        ("cu-bidirectional-text", [SENTENCES[0], "a river bank .", "the film is a warm and funny "
                                   "film about the bank of the river , and it is not tedious ."]),
        ("cu-bidirectional-unit", [0, 5, 23]),
        ("cu-bidirectional-strip", [0, 3, 11]),
    ])


def graph_case(cell):
    from test_widgets_graph import TEXT, VOCAB

    from course_utils.nn.language_model import init_lm
    from course_utils.widgets.graph import lstm_graph_view, rnn_graph_view

    if cell == "rnn":
        params = init_lm("rnn", len(VOCAB), 6, 9, seed=3)
        return Case(lambda: rnn_graph_view(params, VOCAB, TEXT), [
            ("cu-graph-rnn-loss-step", [0, 7, 15, 21]),
            ("cu-graph-rnn-end", [4, 10, 22]),
            ("cu-graph-rnn-unit", [0, 3, 8]),
        ])
    params = init_lm("lstm", len(VOCAB), 6, 5, seed=4)
    return Case(lambda: lstm_graph_view(params, VOCAB, TEXT), [
        ("cu-graph-lstm-step", [0, 5, 15, 22]),
        ("cu-graph-lstm-loss-step", [0, 7, 21]),
        ("cu-graph-lstm-unit", [0, 2, 4]),
    ])


CASES = {
    "analogy": lambda: lesson00_case("analogy"),
    "similarity": lambda: lesson00_case("similarity"),
    "activation": lambda: lesson01_02_case("activation"),
    "perceptron": lambda: lesson01_02_case("perceptron"),
    "training": lambda: lesson01_02_case("training"),
    "growth": lambda: lesson03_04_case("growth"),
    "hidden": lambda: lesson03_04_case("hidden"),
    "sampling": lambda: lesson03_04_case("sampling"),
    "gradflow": lambda: lesson05_06_case("gradflow"),
    "gates": lambda: lesson05_06_case("gates"),
    "connect": lambda: lesson05_06_case("connect"),
    "cells": lambda: lesson05_06_case("cells"),
    "bidirectional": lambda: lesson07_case("bidirectional"),
    "graph-rnn": lambda: graph_case("rnn"),
    "graph-lstm": lambda: graph_case("lstm"),
}


@pytest.fixture(scope="module")
def cases():
    built = {}

    def get(name):
        if name not in built:
            built[name] = CASES[name]()
        return built[name]

    return get


# ---- driving ----------------------------------------------------------------------------------------


def is_strip(css_class: str) -> bool:
    return css_class.endswith("-strip")


def apply(view, css_class, value):
    control = find_control(view, css_class)
    if is_strip(css_class):   # a click on character `value` of the text on show
        if control.tokens:
            control.selected = value % len(control.tokens)
    elif value == "click":
        control.click()
    else:
        control.value = value


def strips(view) -> list:
    """The dashboard's text strips, top to bottom (they sit in its outer box)."""
    return [child for child in view.children if isinstance(child, TextStrip)]


STRIP_TRAITS = ("tokens", "colours", "marked", "titles", "rows", "predictions", "predictions_label",
                "legend", "separator", "selected")


def strip_mismatch(view, fresh) -> str | None:
    """None when every text strip of `view` holds what the same strip of `fresh` holds."""
    shown, expected = strips(view), strips(fresh)
    if len(shown) != len(expected):
        return f"{len(shown)} strips shown, {len(expected)} in the fresh view"
    for number, (a, b) in enumerate(zip(shown, expected, strict=True)):
        for trait in STRIP_TRAITS:
            got, want = getattr(a, trait), getattr(b, trait)
            if got == want:
                continue
            if isinstance(got, list) and isinstance(want, list) and len(got) == len(want):
                at = next(i for i, (x, y) in enumerate(zip(got, want, strict=True)) if x != y)
                return f"strip {number}: {trait}[{at}] is {got[at]!r}, fresh {want[at]!r}"
            return f"strip {number}: {trait} is {str(got)[:80]}, fresh {str(want)[:80]}"
    return None


def random_sequence(case: Case, seed: int, steps: int = STEPS) -> list[tuple]:
    """`steps` changes; about one in three goes back to a value that control had before."""
    rng = np.random.default_rng(seed)
    seen: dict[str, list] = {}
    sequence = []
    for _ in range(steps):
        css_class, values = case.controls[rng.integers(len(case.controls))]
        if seen.get(css_class) and rng.random() < 0.35:
            value = seen[css_class][rng.integers(len(seen[css_class]))]
        else:
            value = values[rng.integers(len(values))]
        seen.setdefault(css_class, []).append(value)
        sequence.append((css_class, value))
    return sequence


def fresh_view(case: Case, view, sequence, monkeypatch) -> tuple:
    """A new view with no kept pictures, brought to `view`'s final state: the controls' values,
    then the strips' selections (a click's effect on other controls is in their values)."""
    with monkeypatch.context() as patch:
        patch.setattr(Blitter, "reuse", False, raising=False)
        fresh = case.build()
        if case.history:
            for css_class, value in sequence:
                apply(fresh, css_class, value)
        else:
            for _ in range(3):   # again while one control moves another (a typed regex picks its pattern)
                for css_class, _ in case.controls:
                    if is_strip(css_class):
                        continue
                    final = find_control(view, css_class).value
                    if find_control(fresh, css_class).value != final:
                        apply(fresh, css_class, final)
            for strip, fresh_strip in zip(strips(view), strips(fresh), strict=True):
                if fresh_strip.selected != strip.selected:
                    fresh_strip.selected = strip.selected
        return fresh, shown_png(fresh)   # drawn without kept pictures


def check_sequence(name, case, sequence, monkeypatch, tag):
    view = case.build()
    for css_class, value in sequence:
        apply(view, css_class, value)
    fresh, fresh_png = fresh_view(case, view, sequence, monkeypatch)
    shown = shown_png(view)
    steps = ", ".join(f"{c.removeprefix('cu-')}={v!r}"[:60] for c, v in sequence)
    problem = mismatch(shown, fresh_png)
    if problem:
        save_pair(f"{name}-{tag}", shown, fresh_png)
        pytest.fail(f"{name}: after [{steps}] the shown image is not a fresh render: {problem} "
                    f"(images in {ARTIFACTS.relative_to(ROOT)}/{name}-{tag}-*.png)")
    problem = strip_mismatch(view, fresh)
    if problem:
        pytest.fail(f"{name}: after [{steps}] the text strip is not what a fresh view shows: {problem}")


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("name", list(CASES))
def test_random_sequences_show_what_a_fresh_render_shows(name, seed, cases, monkeypatch):
    case = cases(name)
    check_sequence(name, case, random_sequence(case, seed), monkeypatch, f"seed{seed}")


# The sequences the issue reported (lesson 06), kept as named regressions.
GOING_BACK = {
    "gates": [("cu-gates-unit", 72), ("cu-gates-unit", 0)],
    "connect": [("cu-connect-target", 148), ("cu-connect-target", 48), ("cu-connect-target", 148)],
    "cells": [("cu-cells-pattern", "inside quotes"), ("cu-cells-rank", 2), ("cu-cells-state", "h"),
              ("cu-cells-pattern", "inside quotes"), ("cu-cells-state", "c")],
    "cells-regex": [("cu-cells-regex", "said"), ("cu-cells-pattern", "inside a number")],
}


@pytest.mark.parametrize("name", list(GOING_BACK))
def test_going_back_to_an_earlier_value(name, cases, monkeypatch):
    check_sequence(name, cases(name.split("-")[0]), GOING_BACK[name], monkeypatch, "back")


def test_every_dashboard_has_a_case():
    """A new dashboard module must get a Case here for each of its dashboards."""
    from pathlib import Path

    not_dashboards = {"__init__", "common", "hover", "text_strip"}   # shared pieces
    modules = {p.stem for p in Path(ROOT, "course_utils", "widgets").glob("*.py")} - not_dashboards
    covered = {"analogy": ["analogy"], "similarity": ["similarity"], "activation": ["activation"],
               "perceptron": ["perceptron"], "training": ["training"], "window_lm": ["growth"],
               "hidden_state": ["hidden"], "sampling": ["sampling"], "gradient_flow": ["gradflow"],
               "gates": ["gates"], "connectivity": ["connect"], "cell_search": ["cells"],
               "bidirectional": ["bidirectional"], "graph": ["graph-rnn", "graph-lstm"]}
    assert modules == set(covered), f"dashboards without an equivalence case: {modules - set(covered)}"
    assert sorted(CASES) == sorted(name for names in covered.values() for name in names)
