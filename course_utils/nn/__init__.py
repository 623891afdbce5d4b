"""NumPy reference blocks, one module per lesson. Only NumPy is imported here.

Every layer is a pair: `x_forward(...) -> (out, cache)` and `x_backward(dout, cache) -> grads`;
the cache is the only thing that travels between them.
"""

from course_utils.nn.activations import (
    ACTIVATIONS,
    activation_backward,
    activation_forward,
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
    ffn_init,
    ffn_loss,
    ffn_predict,
    ffn_probabilities,
    sgd_step,
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
from course_utils.nn.lstm_lm import (
    init_lstm_lm,
    lstm_lm_backward,
    lstm_lm_evaluate,
    lstm_lm_forward,
    lstm_lm_logits,
    lstm_lm_step,
)
from course_utils.nn.optim import (
    adagrad_step,
    adam_step,
    clip_grad_norm,
    clip_grad_value,
    init_adagrad,
    init_adam,
)
from course_utils.nn.rnn import rnn_backward, rnn_forward, rnn_step_backward, rnn_step_forward
from course_utils.nn.rnn_lm import (
    init_rnn_lm,
    rnn_lm_backward,
    rnn_lm_forward,
    rnn_lm_generate,
    rnn_lm_logits,
    rnn_lm_step,
)
from course_utils.nn.stacked import init_stacked, stacked_backward, stacked_forward

__all__ = [
    "ACTIVATIONS",
    "sigmoid", "sigmoid_prime", "tanh", "tanh_prime", "relu", "relu_prime",
    "linear_forward", "linear_backward", "softmax", "log_softmax",
    "cross_entropy_forward", "cross_entropy_backward",
    "embedding_forward", "embedding_backward",
    "activation_forward", "activation_backward",
    "ffn_init", "ffn_forward", "ffn_backward", "ffn_loss", "ffn_probabilities", "ffn_predict", "sgd_step",
    "rnn_step_forward", "rnn_step_backward", "rnn_forward", "rnn_backward",
    "init_rnn_lm", "rnn_lm_forward", "rnn_lm_backward", "rnn_lm_logits", "rnn_lm_step", "rnn_lm_generate",
    "init_adagrad", "adagrad_step", "init_adam", "adam_step", "clip_grad_norm", "clip_grad_value",
    "init_bidirectional", "direction_forward", "direction_backward",
    "bidirectional_forward", "bidirectional_backward",
    "init_stacked", "stacked_forward", "stacked_backward",
    "GATES", "gate_slice", "init_lstm", "lstm_step_forward", "lstm_step_backward", "lstm_forward",
    "lstm_backward", "init_lstm_lm", "lstm_lm_forward", "lstm_lm_backward", "lstm_lm_logits", "lstm_lm_step",
    "lstm_lm_evaluate",
    "average_word_vectors", "lstm_sentence_vectors", "train_softmax_classifier",
    "classifier_probabilities", "cross_validate",
]
