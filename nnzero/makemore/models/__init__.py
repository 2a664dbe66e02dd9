"""The seven makemore model types, found by name.

Every model is built from a :class:`ModelConfig` and maps token sequences to next-token
logits at every position::

    config = default_config("mlp", vocab_size=len(vocab), block_size=16)
    model = build_model("mlp", config)
    logits, loss = model(idx, targets)    # idx, targets (B, T); logits (B, T, V)

``REGISTRY`` lists the types in course order, each from its own paper:

    bigram       one token of context: a table of logits (and the counting model)
    mlp          Bengio et al. 2003: embeddings of a fixed window -> tanh layer
    wavenet      van den Oord et al. 2016: gated causal dilated convolutions
    rnn          Mikolov et al. 2010: a recurrent tanh state
    lstm         Graves 2013: a gated cell state
    gru          Cho et al. 2014: gated recurrence without a cell state
    transformer  Vaswani et al. 2017, GPT-2 style: causal self-attention
"""

import math

from .bigram import Bigram, BigramCounts
from .config import LanguageModel, ModelConfig
from .gru import GRU, GRUCell
from .lstm import LSTM, LSTMCell
from .mlp import MLP
from .rnn import RNN, RecurrentLanguageModel, RNNCell
from .transformer import Transformer
from .wavenet import WaveNet

REGISTRY: dict[str, type[LanguageModel]] = {
    "bigram": Bigram,
    "mlp": MLP,
    "wavenet": WaveNet,
    "rnn": RNN,
    "lstm": LSTM,
    "gru": GRU,
    "transformer": Transformer,
}


def _check_name(name):
    if name not in REGISTRY:
        raise ValueError(f"unknown model type {name!r}; choose one of: {', '.join(REGISTRY)}")


def build_model(name: str, config: ModelConfig) -> LanguageModel:
    """A fresh model of type ``name`` (a key of ``REGISTRY``) shaped by ``config``."""
    _check_name(name)
    if not isinstance(config, ModelConfig):
        raise ValueError(f"config must be a ModelConfig, not {type(config).__name__}; see default_config(name, vocab_size, block_size)")
    return REGISTRY[name](config)


def default_config(name: str, vocab_size: int, block_size: int) -> ModelConfig:
    """The recommended size of each type: strong models for about 3 minutes of CPU training.

    bigram:      the table alone (V*V parameters); nothing to choose.
    mlp:         a window of 8 (the lecture's best), embeddings of 24, a wide tanh layer of 512.
    wavenet:     a window of the whole word (up to 16: 4 dilated layers), embeddings of 32, 96 channels,
                 dropout 0.1 (on the 3-minute benchmark it lowers the test loss from 1.995 to 1.980).
    rnn/lstm/gru: embeddings of 64, one layer of 128 hidden units (plenty for one word at a time).
    transformer: makemore's default shape: 4 blocks, 4 heads, width 64, with dropout 0.1, without
                 which it overfits the ~26k training names within a few thousand steps.
    """
    _check_name(name)
    if name == "bigram":
        return ModelConfig(vocab_size, block_size, context=1)
    if name == "mlp":
        return ModelConfig(vocab_size, block_size, context=min(8, block_size), n_embd=24, n_embd2=512)
    if name == "wavenet":
        context = max(2, min(16, block_size))
        return ModelConfig(vocab_size, block_size, context=context, n_layer=math.ceil(math.log2(context)), n_embd=32, n_embd2=96,
                           dropout=0.1)
    if name in ("rnn", "lstm", "gru"):
        return ModelConfig(vocab_size, block_size, n_layer=1, n_embd=64, n_embd2=128)
    return ModelConfig(vocab_size, block_size, n_layer=4, n_head=4, n_embd=64, dropout=0.1)


def step_memory_estimate(model_type: str, config: ModelConfig, batch_size: int, parameters: int) -> int:
    """A generous estimate, in bytes, of what one training step holds at its peak: the
    activations of a full batch of full rows, kept for the backward pass and matched by
    their gradients, plus the weights, their gradients and the optimiser's two moments."""
    C, H, L, T = config.n_embd, config.n_embd2, config.n_layer, config.block_size
    per_position = {  # numbers a layer keeps per position of a row
        "bigram": 0,
        "mlp": config.context * C + 3 * H,
        "wavenet": L * 8 * H,
        "rnn": L * 4 * H,
        "lstm": L * 16 * H,
        "gru": L * 12 * H,
        "transformer": L * (16 * C + 3 * config.n_head * T),  # attention keeps a row of T scores per head
    }[model_type] + C + 3 * config.vocab_size  # the embedding, and the logits with their softmax
    return 4 * (2 * batch_size * T * per_position + 4 * parameters)


__all__ = [
    "REGISTRY",
    "build_model",
    "default_config",
    "step_memory_estimate",
    "ModelConfig",
    "LanguageModel",
    "Bigram",
    "BigramCounts",
    "MLP",
    "WaveNet",
    "RecurrentLanguageModel",
    "RNN",
    "RNNCell",
    "LSTM",
    "LSTMCell",
    "GRU",
    "GRUCell",
    "Transformer",
]
