"""Checks for lesson 07's exercises: a bidirectional LSTM layer over a padded batch, and a stack
of LSTM layers.

The bidirectional layer is compared with `torch.nn.LSTM(bidirectional=True)` fed a packed
sequence (`torch.nn.utils.rnn.pack_padded_sequence`), the stack with `torch.nn.LSTM(num_layers=L)`,
both in float64 on seeded random shapes. The hints name the equation or the concept, never the
code; a wrong answer that matches a common mistake is told which one.
"""

from __future__ import annotations

import numpy as np

from course_utils.exercises._core import Wrong, call, cases_rng, exercise, expect_close, torch_float64

__all__ = ["check_bidirectional_lstm", "check_stacked_lstm"]

# (N, T, D, H, lengths): padded rows of every kind (full, short, a single step), then a batch
# without padding
BIDIRECTIONAL_CASES = ((3, 6, 3, 2, (6, 2, 4)), (4, 5, 2, 3, (1, 5, 3, 5)), (2, 4, 3, 2, (4, 4)))
# (N, T, D, H, number of layers): D = H first, so that feeding x to every layer runs and can be
# named; then a wider input and three layers
STACKED_CASES = ((2, 5, 3, 3, 2), (3, 4, 4, 3, 2), (2, 6, 2, 3, 3))

BIDIRECTIONAL_HINT = ("→h^(t) reads x^(1..t) and ←h^(t) reads x^(L_n) down to x^(t), where L_n is the "
                      "row's own length: the backward direction starts at each row's last real step, not "
                      "at the padding; its states go back to the sentence's order before h^(t) = "
                      "[→h^(t) ; ←h^(t)], and padded steps hold zeros, as torch's packed sequences give")
STACKED_HINT = ("h_1^(t) = LSTM_1(x^(t), h_1^(t−1)) and h_ℓ^(t) = LSTM_ℓ(h_ℓ−1^(t), h_ℓ^(t−1)): only "
                "layer 1 reads x, every higher layer reads the whole sequence of states of the layer "
                "below, and the result is the top layer's states")


def _random_lstm(rng, D, H):
    """One LSTM direction's weights in lesson 06's layout, scaled so that the states vary."""
    return {"W_e": rng.standard_normal((4 * H, D)) * 0.6, "W_h": rng.standard_normal((4 * H, H)) * 0.6,
            "b": rng.standard_normal(4 * H) * 0.3}


def _torch_states(layers, x, lengths=None, bidirectional=False):
    """The states (N, T, H or 2H) of torch.nn.LSTM holding `layers`, on x; with `lengths`, fed as
    a packed sequence (padded steps come back as zeros)."""
    import torch

    from course_utils.gradcheck import torch_recurrent

    module = torch_recurrent("lstm", layers, bidirectional=bidirectional)
    inputs = torch_float64(x)
    with torch.no_grad():
        if lengths is None:
            return module(inputs)[0].numpy()
        packed = torch.nn.utils.rnn.pack_padded_sequence(inputs, torch.tensor(lengths), batch_first=True,
                                                         enforce_sorted=False)
        out, _ = torch.nn.utils.rnn.pad_packed_sequence(module(packed)[0], batch_first=True,
                                                        total_length=x.shape[1])
        return out.numpy()


def _cell_states_passed_up(x, layers):
    """What a stack gives when each layer hands its cell states c, not h, to the next."""
    from course_utils.nn.lstm import lstm_forward

    h = x
    for params in layers:
        _, h, _ = lstm_forward(h, None, None, params["W_e"], params["W_h"], params["b"])
    return h


@exercise("bidirectional_lstm", success="matches torch.nn.LSTM(bidirectional=True) on packed sequences, "
                                        "3 padded batches")
def check_bidirectional_lstm(bidirectional_lstm):
    from course_utils.nn.bidirectional import reverse_padded

    rng = cases_rng("lesson07.bidirectional_lstm")
    for N, T, D, H, lengths in BIDIRECTIONAL_CASES:
        lengths = np.array(lengths)
        x = rng.standard_normal((N, T, D))
        fwd, bwd = _random_lstm(rng, D, H), _random_lstm(rng, D, H)
        where = f"for a batch of {N} rows of lengths {lengths.tolist()} padded to T = {T}"
        want = _torch_states([(fwd, bwd)], x, lengths, bidirectional=True)
        got = call("bidirectional_lstm", bidirectional_lstm, x.copy(), lengths.copy(),
                   {k: v.copy() for k, v in fwd.items()}, {k: v.copy() for k, v in bwd.items()})
        if got is None:
            raise Wrong("bidirectional_lstm returned None: return the (N, T, 2H) states")
        if isinstance(got, tuple):
            raise Wrong(f"bidirectional_lstm returned a tuple of {len(got)}: return the states alone, one "
                        f"(N, T, 2H) array")
        if np.shape(got) == (N, T, H):
            raise Wrong(f"bidirectional_lstm returned shape {np.shape(got)} {where}, expected "
                        f"{(N, T, 2 * H)}: h^(t) holds both directions, H numbers each")
        mask = (np.arange(T)[None, :] < lengths[:, None])[:, :, None]    # (N, T, 1): the real steps
        fwd_half, bwd_half = want[..., :H], want[..., H:]
        whole = _torch_states([(fwd, bwd)], x, bidirectional=True)       # every row read to T, padding too
        fwd_unmasked = _torch_states([fwd], x)
        bwd_unmasked = reverse_padded(_torch_states([bwd], reverse_padded(x, lengths)), lengths)
        same_weights = _torch_states([(fwd, fwd)], x, lengths, bidirectional=True)[..., H:]
        expect_close("hs", got, want, where=where, hint=BIDIRECTIONAL_HINT, mistakes={
            "the whole padded row was reversed: the backward direction then starts on the padding, which "
            "leaks into every state; reverse each row within its own length": whole * mask,
            "the whole padded row was reversed (the backward direction starts on the padding), and the "
            "padded steps are not zero": whole,
            "the backward states were not put back in the sentence's order: ←h^(t) must sit at step t":
                np.concatenate([fwd_half, reverse_padded(bwd_half, lengths)], axis=2),
            "the two halves are in the wrong order: h^(t) = [→h^(t) ; ←h^(t)], forward first":
                np.concatenate([bwd_half, fwd_half], axis=2),
            "the padded steps are not zero (torch returns zeros there: they are not part of the "
            "sentence)": np.concatenate([fwd_unmasked, bwd_unmasked], axis=2),
            "the backward direction used the forward direction's weights: each direction has its own":
                np.concatenate([fwd_half, same_weights], axis=2),
        })


@exercise("stacked_lstm", success="matches torch.nn.LSTM(num_layers=2) and (num_layers=3) on 3 random "
                                  "shapes")
def check_stacked_lstm(stacked_lstm):
    rng = cases_rng("lesson07.stacked_lstm")
    for N, T, D, H, L in STACKED_CASES:
        x = rng.standard_normal((N, T, D))
        layers = [_random_lstm(rng, D if layer == 0 else H, H) for layer in range(L)]
        where = f"for {L} layers, x of shape {(N, T, D)} and H = {H}"
        want = _torch_states(layers, x)
        given = [{k: v.copy() for k, v in p.items()} for p in layers]
        got = call("stacked_lstm", stacked_lstm, x.copy(), given)
        if got is None:
            raise Wrong("stacked_lstm returned None: return the top layer's (N, T, H) states")
        if isinstance(got, (list, tuple)):
            raise Wrong(f"stacked_lstm returned a {type(got).__name__} of {len(got)}: return the top "
                        f"layer's states alone, one (N, T, H) array")
        mistakes = {
            "the result is layer 1's states: every layer runs, and the result is the top layer's":
                _torch_states(layers[:1], x),
            "the cell states c_ℓ were passed up: the next layer reads the hidden states h_ℓ = o ⊙ tanh(c_ℓ)":
                _cell_states_passed_up(x, layers),
        }
        if D == H:
            mistakes["every layer read the input x: layer ℓ + 1 reads the states of layer ℓ"] = \
                _torch_states(layers[-1:], x)
            mistakes["the layers were applied top first: layer 1 reads x, and the layers follow in order"] = \
                _torch_states(layers[::-1], x)
        expect_close("the result (the top layer's states)", got, want, where=where, hint=STACKED_HINT,
                     mistakes=mistakes)
