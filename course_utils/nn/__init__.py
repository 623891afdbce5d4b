"""NumPy blocks that read like the lecture, one module per idea. Only NumPy is imported here.

Every layer is a pair: `x_forward(...) -> (outputs..., cache)` and `x_backward(d_outputs...,
cache)`: backward takes the upstream gradient of each of forward's outputs, in order, then the
cache (`rnn_backward(dhs, cache)`, `lstm_step_backward(dh, dc, cache)`); where forward returns a
loss, `(loss, cache)`, the chain starts there and backward takes the cache alone. Caches are
tuples, and the cache is the only thing that travels between the two. Layers and sequence
blocks take their inputs first, then the weights (cs231n's order); a model's functions take
its params dict first (`ffn_forward(params, x)`, `lm_forward(params, inputs, targets, cell=...)`).

    activations          sigmoid, tanh, ReLU, identity and their derivatives (lesson 01)
    perceptron           one unit, the perceptron update, stacked linear maps, XOR (lesson 01)
    layers               linear, softmax, cross-entropy, embedding (lessons 02-03)
    ffn                  the 2-layer feed-forward network (lesson 02)
    optim                sgd_step, Adagrad, Adam, gradient clipping; updates in place (02-06)
    window_lm            Bengio's fixed-window neural language model (lesson 03)
    perplexity           perplexity and bits per token from the mean NLL (lessons 03-06)
    rnn                  the RNN step and the RNN over time, forward and BPTT (lesson 04)
    lstm                 the LSTM step and the LSTM over time, gates in torch's order (lesson 06)
    _fast                the RNN and LSTM sequence blocks organised for speed, tested equal
    language_model       one LM for every cell, CELLS: the table of cells (lessons 04-06)
    sampling             the one sampler (temperature, top-k, top-p) and generation (04-05)
    scheduled_sampling   exposure bias and scheduled sampling (lesson 05)
    sequence_classifier  read a sequence, answer at the end: the long-range task (05-06)
    bidirectional        a bidirectional layer over padded batches (lesson 07)
    stacked              deep (stacked) RNNs and LSTMs (lesson 07)
    encoders             sentence vectors and a softmax classifier head, cross-validation (07)
    _validate            the argument checks the modules share
"""

from course_utils.nn.activations import (
    ACTIVATIONS,
    activation_backward,
    activation_forward,
    prime_from_output,
    relu,
    relu_prime,
    sigmoid,
    sigmoid_prime,
    tanh,
    tanh_prime,
)
from course_utils.nn.bidirectional import (
    bidirectional_backward,
    bidirectional_forward,
    direction_backward,
    direction_forward,
    init_bidirectional,
)
from course_utils.nn.encoders import (
    average_word_vectors,
    classifier_probabilities,
    cross_validate,
    lstm_sentence_vectors,
    train_softmax_classifier,
)
from course_utils.nn.ffn import (
    ffn_backward,
    ffn_forward,
    ffn_loss,
    ffn_predict,
    ffn_probabilities,
    init_ffn,
)
from course_utils.nn.language_model import (
    CELLS,
    init_lm,
    lm_backward,
    lm_evaluate,
    lm_forward,
    lm_generate,
    lm_logits,
    lm_param_count,
    lm_step,
)
from course_utils.nn.layers import (
    cross_entropy_backward,
    cross_entropy_forward,
    embedding_backward,
    embedding_forward,
    linear_backward,
    linear_forward,
    log_softmax,
    softmax,
)
from course_utils.nn.lstm import (
    GATES,
    gate_slice,
    init_lstm,
    lstm_backward,
    lstm_forward,
    lstm_step_backward,
    lstm_step_forward,
)
from course_utils.nn.optim import (
    adagrad_step,
    adam_step,
    clip_grad_norm,
    clip_grad_value,
    init_adagrad,
    init_adam,
    sgd_step,
)
from course_utils.nn.rnn import (
    init_rnn,
    rnn_backward,
    rnn_forward,
    rnn_step_backward,
    rnn_step_forward,
)
from course_utils.nn.sampling import generate, sample, softmax_with_temperature
from course_utils.nn.stacked import init_stacked, stacked_backward, stacked_forward

__all__ = [
    "ACTIVATIONS",
    "sigmoid", "sigmoid_prime", "tanh", "tanh_prime", "relu", "relu_prime", "prime_from_output",
    "linear_forward", "linear_backward", "softmax", "log_softmax",
    "cross_entropy_forward", "cross_entropy_backward",
    "embedding_forward", "embedding_backward",
    "activation_forward", "activation_backward",
    "init_ffn", "ffn_forward", "ffn_backward", "ffn_loss", "ffn_probabilities", "ffn_predict",
    "sgd_step", "init_adagrad", "adagrad_step", "init_adam", "adam_step", "clip_grad_norm",
    "clip_grad_value",
    "init_rnn", "rnn_step_forward", "rnn_step_backward", "rnn_forward", "rnn_backward",
    "GATES", "gate_slice", "init_lstm", "lstm_step_forward", "lstm_step_backward", "lstm_forward",
    "lstm_backward",
    "CELLS", "init_lm", "lm_forward", "lm_backward", "lm_logits", "lm_step", "lm_generate",
    "lm_evaluate", "lm_param_count",
    "softmax_with_temperature", "sample", "generate",
    "init_bidirectional", "direction_forward", "direction_backward",
    "bidirectional_forward", "bidirectional_backward",
    "init_stacked", "stacked_forward", "stacked_backward",
    "average_word_vectors", "lstm_sentence_vectors", "train_softmax_classifier",
    "classifier_probabilities", "cross_validate",
]
