"""Sampling explorer (lesson 04): text from the learner's RNN LM at a chosen temperature.

    sample_text(params, vocab, prompt, temperature, max_len, seed)   pure: the sample, and the
                                                                     first step's distribution
    sampling_view(params, vocab)                                     the dashboard

Generation starts from `<bos>`, reads the prompt, then samples one token at a time from
softmax(logits / τ) and feeds it back, until `<eos>` or `max_len` new tokens. τ → 0 is greedy
decoding; τ = 1 samples the model's own distribution; τ > 1 flattens it.
"""

from __future__ import annotations

import html

import numpy as np

from course_utils.nn.language_model import lm_generate, lm_logits
from course_utils.nn.sampling import softmax_with_temperature
from course_utils.widgets.common import PlotImage, dashboard, readout, with_class
from course_utils.widgets.hidden_state import display_token

__all__ = ["sample_text", "sampling_view"]


def _prompt_ids(vocab, prompt: str, tokenize=None) -> list[int]:
    if not isinstance(prompt, str):
        raise TypeError(f"sample_text: prompt must be a str, got {type(prompt).__name__}")
    if tokenize is not None:
        tokens = list(tokenize(prompt))
    else:
        tokens = list(prompt) if vocab.level == "char" else prompt.split()
    return [vocab.bos_id] + [vocab.token_to_id(t) for t in tokens]


def sample_text(params: dict, vocab, prompt: str = "", temperature: float = 1.0, max_len: int = 200,
                seed: int = 0, top_k: int = 10, tokenize=None) -> dict:
    """Sample a continuation of `prompt` (no widgets).

    Returns a dict: "prompt", "text" (the new tokens joined, without <eos>), "ids" (the new ids),
    "ended" ("eos" if the model produced <eos>, else "length"), "top_tokens"/"top_probs" (top_k,)
    the distribution of the first new token at this temperature, "top_probs_t1" the same at
    τ = 1, and "entropy_bits" of that first distribution at this temperature.
    """
    if not np.isfinite(temperature) or temperature < 0:
        raise ValueError(f"sample_text: temperature must be a number >= 0 (0 = greedy), got {temperature!r}")
    start = _prompt_ids(vocab, prompt, tokenize)
    new_ids = lm_generate(params, start, vocab.eos_id, cell="rnn", max_len=max_len,
                          temperature=temperature, seed=seed)
    ended = "eos" if new_ids and new_ids[-1] == vocab.eos_id else "length"
    text = vocab.decode([i for i in new_ids if i != vocab.eos_id], skip_special=False)
    logits, _, _ = lm_logits(params, np.array([start]), cell="rnn")
    first = logits[0, -1].astype(np.float64)
    probs_t1 = softmax_with_temperature(first, 1.0)
    probs = softmax_with_temperature(first, temperature)
    order = np.argsort(-probs_t1, kind="stable")[:top_k]
    nonzero = probs[probs > 0]
    return {
        "prompt": prompt,
        "text": text,
        "ids": new_ids,
        "ended": ended,
        "top_tokens": [vocab.tokens[i] for i in order],
        "top_probs": probs[order],
        "top_probs_t1": probs_t1[order],
        "entropy_bits": float(-np.sum(nonzero * np.log2(nonzero))),
    }


def _sample_html(data: dict, joiner: str) -> str:
    ending = "⟨eos⟩" if data["ended"] == "eos" else "…"
    return (f"<div style='font-family:monospace;white-space:pre-wrap;line-height:1.5'>"
            f"<b>{html.escape(data['prompt'])}</b>{joiner if data['prompt'] else ''}"
            f"{html.escape(data['text'])}<span style='color:#888'>{ending}</span></div>")


def _readout_html(data: dict, temperature: float, seed: int) -> str:
    how = "greedy (τ = 0)" if temperature == 0 else f"τ = {temperature:.2f}"
    ended = "the model ended the text (&lt;eos&gt;)" if data["ended"] == "eos" else "the length cap"
    return (f"{how}, seed {seed}: {len(data['ids'])} new tokens, stopped by {ended} &nbsp;·&nbsp; "
            f"entropy of the first step: {data['entropy_bits']:.2f} bits")


def sampling_view(params: dict, vocab, prompt: str = "The ", temperature: float = 0.8,
                  max_len: int = 200, seed: int = 0, top_k: int = 10, tokenize=None):
    """The dashboard on a trained RNN LM.

    Controls: temperature (cu-sampling-temperature), maximum length (cu-sampling-length),
    the prompt that follows <bos> (cu-sampling-prompt), the seed (cu-sampling-seed: the same
    seed gives the same sample) and a "New sample" button (cu-sampling-new) that moves to the
    next seed. The sample is an HTML widget with class cu-sampling-text.
    """
    import ipywidgets as widgets

    from course_utils.plots import Blitter, fixed_width_labels, nice_bound

    temperature_slider = with_class(widgets.FloatSlider(
        value=temperature, min=0.0, max=2.0, step=0.05, description="temperature",
        readout_format=".2f", continuous_update=False), "cu-sampling-temperature")
    length_slider = with_class(widgets.IntSlider(value=max_len, min=10, max=600, step=10,
                                                 description="max length", continuous_update=False),
                               "cu-sampling-length")
    prompt_box = with_class(widgets.Text(value=prompt, description="prompt", continuous_update=False),
                            "cu-sampling-prompt")
    new_button = with_class(widgets.Button(description="New sample", icon="refresh"), "cu-sampling-new")
    seed_box = with_class(widgets.BoundedIntText(value=seed, min=0, max=10**6, description="seed",
                                                 layout=widgets.Layout(width="150px")), "cu-sampling-seed")
    sample_html = widgets.HTML()
    sample_html.add_class("cu-sampling-text")
    label = readout("sampling")
    state = {"prompt": None}
    joiner = "" if vocab.level == "char" else " "

    plot = PlotImage(2.8)
    ax = plot.ax
    positions = np.arange(top_k)
    ax.set_ylim(0, 1)
    ax.set_xlim(-0.6, top_k - 0.4)
    ax.set_ylabel("probability")
    ax.set_xlabel("the first token after the prompt (the model's top choices at τ = 1)")
    ax.set_title("What the model samples from, at τ = 1 and at your temperature")
    ax.grid(True, axis="y", alpha=0.3)
    fixed_width_labels(ax.yaxis)   # the limits change: the label column keeps its width
    width = 0.4
    blit = Blitter(plot.fig, dpi=plot.dpi)
    bars_t1 = ax.bar(positions - width / 2, np.zeros(top_k), width, color="#bbbbbb", label="τ = 1")
    bars_t = ax.bar(positions + width / 2, np.zeros(top_k), width, color="#3b528b",
                    label="chosen temperature")
    blit.add(*bars_t1, *bars_t)
    ax.legend(loc="upper right", fontsize="small")
    title = blit.add(ax.text(0.01, 0.97, "", transform=ax.transAxes, va="top", fontsize=10))

    def update(_=None):
        data = sample_text(params, vocab, prompt_box.value, temperature_slider.value, length_slider.value,
                           seed_box.value, top_k, tokenize)
        for bar, p in zip(bars_t1, data["top_probs_t1"], strict=False):
            bar.set_height(p)
        for bar, p in zip(bars_t, data["top_probs"], strict=False):
            bar.set_height(p)
        title.set_text(f"τ = {temperature_slider.value:.2f}: entropy {data['entropy_bits']:.2f} bits")
        tallest = max(data["top_probs_t1"].max(), data["top_probs"].max())
        ax.set_ylim(0, min(1.0, nice_bound(1.25 * tallest)))   # 0.05, 0.1, 0.2, 0.5 or 1: room for the text
        if prompt_box.value != state["prompt"]:  # new top tokens: new tick labels
            ax.set_xticks(positions)
            ax.set_xticklabels([display_token(t) for t in data["top_tokens"]], family="monospace")
            state["prompt"] = prompt_box.value
        plot.image.value = blit.show(key=prompt_box.value)   # the tick labels: its top tokens
        sample_html.value = _sample_html(data, joiner)       # the texts after the image
        label.value = _readout_html(data, temperature_slider.value, seed_box.value)

    def new_sample(_button):
        seed_box.value += 1   # its observer draws the new sample

    new_button.on_click(new_sample)
    for control in (temperature_slider, length_slider, prompt_box, seed_box):
        control.observe(update, names="value")
    update()
    return dashboard("sampling", [widgets.HBox([temperature_slider, length_slider]),
                                  widgets.HBox([prompt_box, seed_box, new_button]), plot.image, sample_html,
                                  label],
                     title="Sampling explorer: temperature, length and prompt")
