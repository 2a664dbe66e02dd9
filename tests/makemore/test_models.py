"""nnzero.makemore.models: the one interface all seven types share, checked on tiny configs.

Every type: the loss at initialisation is near ln(V); a tiny batch can be learned by
heart (the bigram instead reaches the counting model's NLL); changing later tokens never
changes earlier logits; any batch size and length up to block_size works; targets of -1
are skipped. Then each type's own promise: the window models read exactly their window
(the MLP and WaveNet equal their window-dataset predictions), the counting bigram's
numbers by hand, WaveNet's dilations, the Transformer's attention maps. The recurrent
cells are checked against torch's in test_cells.py.
"""

import math

import pytest
import torch
import torch.nn.functional as F

from nnzero.makemore.data import SequenceDataset, Vocab, WindowDataset
from nnzero.makemore.models import (
    REGISTRY,
    BigramCounts,
    ModelConfig,
    build_model,
    default_config,
)
from nnzero.makemore.models.wavenet import GatedResidualUnit, dilations
from nnzero.makemore.training import TrainConfig, make_optimizer

V, BLOCK = 11, 8
TINY = {
    "bigram": dict(context=1),
    "mlp": dict(context=3, n_embd=8, n_embd2=32),
    "wavenet": dict(context=4, n_layer=2, n_embd=8, n_embd2=16),
    "rnn": dict(n_layer=2, n_embd=8, n_embd2=16),
    "lstm": dict(n_layer=2, n_embd=8, n_embd2=16),
    "gru": dict(n_layer=2, n_embd=8, n_embd2=16),
    "transformer": dict(n_layer=2, n_head=2, n_embd=16),
}
ALL = list(REGISTRY)
WINDOW_MODELS = ["bigram", "mlp", "wavenet"]


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    # Tensors this small gain nothing from threads, and on a busy 2-core machine
    # OpenMP's waiting threads can make each step a hundred times slower.
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def tiny_model(name, seed=0, **changes):
    torch.manual_seed(seed)
    return build_model(name, ModelConfig(V, BLOCK, **{**TINY[name], **changes}))


def random_batch(B, T, seed=0):
    generator = torch.Generator().manual_seed(seed)
    return torch.randint(0, V, (B, T), generator=generator), torch.randint(0, V, (B, T), generator=generator)


def one_line(excinfo):
    message = str(excinfo.value)
    assert message and "\n" not in message
    return message


def test_registry_lists_the_seven_types_in_course_order():
    assert list(REGISTRY) == ["bigram", "mlp", "wavenet", "rnn", "lstm", "gru", "transformer"]


# --- what every type promises ----------------------------------------------------------


@pytest.mark.parametrize("name", ALL)
def test_loss_at_initialisation_is_near_ln_vocab_size(name):
    model = tiny_model(name)
    idx, targets = random_batch(64, BLOCK)
    _, loss = model(idx, targets)
    assert abs(loss.item() - math.log(V)) < 0.1


@pytest.mark.parametrize("name", ALL)
def test_default_configs_also_start_near_ln_vocab_size(name):
    torch.manual_seed(0)
    model = build_model(name, default_config(name, 27, 16))
    idx = torch.randint(0, 27, (32, 16))
    _, loss = model(idx, torch.randint(0, 27, (32, 16)))
    assert abs(loss.item() - math.log(27)) < 0.1


def overfit(model, idx, targets, steps, lr=1e-2, optimizer=None):
    optimizer = optimizer or torch.optim.Adam(model.parameters(), lr=lr)
    for _ in range(steps):
        _, loss = model(idx, targets)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    model.eval()
    with torch.no_grad():
        return model(idx, targets)[1].item()


@pytest.mark.parametrize("name", [n for n in ALL if n != "bigram"])
def test_a_tiny_batch_can_be_learned_by_heart(name):
    # Random targets, so only memorising works. Each row starts with a different token
    # and no window of 4 repeats, so every position's visible input differs and a
    # perfect fit exists even for the window models.
    idx, targets = random_batch(4, BLOCK, seed=3)
    idx[:, 0] = torch.arange(4)
    windows = F.pad(idx, (3, 0)).unfold(1, 4, 1).reshape(-1, 4)
    assert len(set(map(tuple, windows.tolist()))) == windows.size(0)

    model = tiny_model(name)
    assert overfit(model, idx, targets, steps=300) < 0.05
    # and with Muon for the weight matrices inside (the transformer's default optimiser)
    model = tiny_model(name)
    muon = make_optimizer(model, TrainConfig(optimizer="muon", learning_rate=1e-2, weight_decay=0.0))
    assert overfit(model, idx, targets, steps=300, optimizer=muon) < 0.05


@pytest.mark.parametrize("name", ALL)
def test_hidden_matrices_are_the_2d_weights_other_than_embeddings_and_the_output_layer(name):
    model = tiny_model(name)
    hidden = {id(p) for p in model.hidden_matrices()}
    embeddings = {id(m.weight) for m in model.modules() if isinstance(m, torch.nn.Embedding)}
    head = {id(p) for p in getattr(model, "head", torch.nn.Module()).parameters()}
    others = {id(p) for p in model.parameters() if p.dim() == 2} - embeddings - head
    if name == "bigram":
        assert not hidden  # its one table is its input and its output layer
    else:
        assert hidden and hidden == others


def test_the_neural_bigram_learns_the_counting_models_probabilities():
    # A corpus drawn from a known bigram process; by maximum likelihood the neural
    # bigram's best loss is the counting model's NLL without smoothing, and gradient
    # descent gets there (it cannot go below: the counts are the optimum).
    generator = torch.Generator().manual_seed(0)
    chars = "abcdefg"
    transitions = torch.rand(len(chars) + 1, len(chars) + 1, generator=generator) ** 3
    words = []
    while len(words) < 200:
        token, word = 0, ""
        while True:
            token = torch.multinomial(transitions[token], 1, generator=generator).item()
            if token == 0 or len(word) == 9:
                break
            word += chars[token - 1]
        if word:
            words.append(word)
    vocab = Vocab.from_words(words)
    counts = BigramCounts(words, vocab)
    data = SequenceDataset(words, vocab, block_size=11)

    model = build_model("bigram", ModelConfig(len(vocab), 11, context=1))
    best = counts.nll(words, smoothing=0)
    assert model(data.X, data.Y)[1].item() > best + 0.3
    trained = overfit(model, data.X, data.Y, steps=400, lr=0.2)
    assert best - 1e-5 <= trained < best + 0.005


@pytest.mark.parametrize("name", ALL)
def test_logits_never_depend_on_later_tokens(name):
    model = tiny_model(name).eval()
    idx, _ = random_batch(3, BLOCK, seed=1)
    with torch.no_grad():
        for p in model.parameters():  # away from the init (the bigram's table starts all zero)
            p.add_(0.1 * torch.randn_like(p))
        logits, _ = model(idx)
        for t in range(BLOCK - 1):
            changed = idx.clone()
            changed[:, t + 1 :] = (changed[:, t + 1 :] + 1 + torch.arange(BLOCK - t - 1)) % V
            changed_logits, _ = model(changed)
            assert torch.equal(changed_logits[:, : t + 1], logits[:, : t + 1]), f"position <= {t} saw a later token"
            assert not torch.equal(changed_logits[:, t + 1 :], logits[:, t + 1 :])


@pytest.mark.parametrize("name", ALL)
@pytest.mark.parametrize("shape", [(1, 1), (1, 5), (3, 7), (2, BLOCK)])
def test_any_batch_size_and_length_up_to_block_size(name, shape):
    model = tiny_model(name)
    idx, targets = random_batch(*shape)
    logits, loss = model(idx, targets)
    assert logits.shape == (*shape, V)
    assert loss.shape == () and torch.isfinite(loss)
    logits_alone, loss_alone = model(idx)
    assert loss_alone is None and torch.equal(logits_alone, logits)


@pytest.mark.parametrize("name", ALL)
def test_a_batch_shorter_than_block_size_gives_the_prefix_of_the_full_logits(name):
    model = tiny_model(name).eval()
    idx, _ = random_batch(2, BLOCK)
    with torch.no_grad():
        full, _ = model(idx)
        short, _ = model(idx[:, :5])
    torch.testing.assert_close(short, full[:, :5], rtol=0, atol=1e-6)


@pytest.mark.parametrize("name", ALL)
def test_targets_of_minus_one_are_skipped(name):
    model = tiny_model(name)
    idx, targets = random_batch(3, BLOCK)
    targets[0, 4:] = -1
    targets[2, 1:] = -1
    logits, loss = model(idx, targets)
    kept = targets != -1
    expected = F.cross_entropy(logits[kept], targets[kept])
    torch.testing.assert_close(loss, expected)


@pytest.mark.parametrize("name", ALL)
def test_bad_input_gets_a_one_line_error(name):
    model = tiny_model(name)
    idx, targets = random_batch(2, BLOCK)
    with pytest.raises(ValueError) as excinfo:
        model(torch.zeros(2, BLOCK + 1, dtype=torch.long))
    assert f"block_size is {BLOCK}" in one_line(excinfo)
    with pytest.raises(ValueError) as excinfo:
        model(idx.float())
    assert "LongTensor" in one_line(excinfo)
    with pytest.raises(ValueError) as excinfo:
        model(idx[0])
    assert "2-D" in one_line(excinfo)
    with pytest.raises(ValueError) as excinfo:
        model(idx, targets[:, :3])
    assert "shaped like idx" in one_line(excinfo)
    with pytest.raises(ValueError) as excinfo:
        model(idx[:, :0])
    one_line(excinfo)


@pytest.mark.parametrize("name", [n for n in ALL if n != "bigram"])
def test_dropout_acts_in_training_only(name):
    model = tiny_model(name, dropout=0.5)
    idx, _ = random_batch(2, BLOCK)
    assert not torch.equal(model(idx)[0], model(idx)[0])
    model.eval()
    assert torch.equal(model(idx)[0], model(idx)[0])


# --- window models read exactly their window -------------------------------------------


WORDS = ["emma", "olivia", "ava", "isabella", "mia", "li"]


@pytest.mark.parametrize("name", WINDOW_MODELS)
def test_window_models_on_whole_words_equal_their_window_predictions(name):
    # The same windows two ways: every position of whole padded words at once, and
    # the rows of WindowDataset one window each (the last position of a window).
    vocab = Vocab.from_words(WORDS)
    context = TINY[name]["context"]
    torch.manual_seed(0)
    model = build_model(name, ModelConfig(len(vocab), 9, **TINY[name])).eval()
    sequences = SequenceDataset(WORDS, vocab, block_size=9)
    windows = WindowDataset(WORDS, vocab, context=context)
    with torch.no_grad():
        sequence_logits = model(sequences.X)[0][sequences.Y != -1]
        window_logits = model(windows.X)[0][:, -1]
    assert torch.equal(sequences.Y[sequences.Y != -1], windows.Y)
    torch.testing.assert_close(sequence_logits, window_logits, rtol=0, atol=1e-5)


def test_the_mlp_computes_bengios_formula():
    vocab = Vocab.from_words(WORDS)
    windows = WindowDataset(WORDS, vocab, context=3)
    model = build_model("mlp", ModelConfig(len(vocab), 9, **TINY["mlp"]))
    C, H, d = model.embedding.weight, model.hidden.weight, model.hidden.bias
    U, b = model.head.weight, model.head.bias
    x = C[windows.X].view(len(windows), -1)  # the window's embeddings, concatenated
    expected = torch.tanh(x @ H.T + d) @ U.T + b
    torch.testing.assert_close(model(windows.X)[0][:, -1], expected)


@pytest.mark.parametrize("name", ["mlp", "wavenet"])
def test_window_models_see_exactly_context_tokens(name):
    context = TINY[name]["context"]
    model = tiny_model(name).eval()
    idx, _ = random_batch(2, BLOCK)
    t = BLOCK - 1
    with torch.no_grad():
        logits = model(idx)[0][:, t]
        outside, inside = idx.clone(), idx.clone()
        outside[:, : t - context + 1] = (outside[:, : t - context + 1] + 1) % V
        inside[:, t - context + 1] = (inside[:, t - context + 1] + 1) % V
        assert torch.equal(model(outside)[0][:, t], logits)
        assert not torch.equal(model(inside)[0][:, t], logits)


# --- the counting bigram ---------------------------------------------------------------


def test_bigram_counts_by_hand():
    vocab = Vocab.from_words(["ab", "b"])  # 0 boundary, 1 a, 2 b
    counts = BigramCounts(["ab", "b", "ab"], vocab)
    # .a ab b. | .b b. | .a ab b.
    assert counts.N.tolist() == [[0, 2, 1], [0, 0, 2], [3, 0, 0]]
    probs = counts.probs(smoothing=1)
    torch.testing.assert_close(probs.sum(dim=1), torch.ones(3))
    torch.testing.assert_close(probs[0], torch.tensor([1 / 6, 3 / 6, 2 / 6]))
    # "ab" without smoothing: P(a|.) = 2/3, P(b|a) = 1, P(.|b) = 1
    assert counts.nll(["ab"], smoothing=0) == pytest.approx(-math.log(2 / 3) / 3)
    # "ba" holds pairs never seen: infinitely unlikely without smoothing, finite with it
    assert counts.nll(["ba"], smoothing=0) == math.inf
    assert counts.nll(["ba"], smoothing=1) < math.inf
    with pytest.raises(ValueError) as excinfo:
        counts.probs(smoothing=-1)
    one_line(excinfo)


# --- WaveNet ---------------------------------------------------------------------------


def test_wavenet_dilations_double_and_the_last_is_trimmed_to_the_context():
    assert dilations(2, 1) == [1]
    assert dilations(8, 3) == [1, 2, 4]
    assert dilations(12, 4) == [1, 2, 4, 4]
    assert dilations(16, 4) == [1, 2, 4, 8]
    for context in range(2, 40):
        n_layer = math.ceil(math.log2(context))
        assert 1 + sum(dilations(context, n_layer)) == context  # the receptive field


def test_wavenet_refuses_layers_that_miss_the_context():
    for context, n_layer in [(16, 3), (8, 4), (1, 1)]:
        with pytest.raises(ValueError) as excinfo:
            build_model("wavenet", ModelConfig(V, BLOCK, context=context, n_layer=n_layer))
        assert "context" in one_line(excinfo)


def test_wavenet_unit_convolution_is_a_dilated_conv1d():
    torch.manual_seed(0)
    unit = GatedResidualUnit(channels=6, dilation=3, dropout=0.0)
    conv = torch.nn.Conv1d(6, 12, kernel_size=2, dilation=3)
    with torch.no_grad():
        conv.weight[:, :, 0] = unit.conv_past.weight  # tap 0 reads t - dilation
        conv.weight[:, :, 1] = unit.conv_now.weight
        conv.bias.copy_(unit.conv_now.bias)
    x = torch.randn(2, 10, 6)
    normed = unit.norm(x)
    ours = unit.conv_past(normed[:, :-3]) + unit.conv_now(normed[:, 3:])
    torch.testing.assert_close(ours, conv(normed.transpose(1, 2)).transpose(1, 2))


# --- the Transformer's attention maps --------------------------------------------------


def test_attention_maps_are_causal_distributions_and_match_the_fused_attention():
    model = tiny_model("transformer").eval()
    idx, targets = random_batch(3, 7)
    with torch.no_grad():
        fused_logits, fused_loss = model(idx, targets)
        logits, loss, attention = model.forward_with_attention(idx, targets)
    assert attention.shape == (2, 3, 2, 7, 7)  # layer, batch, head, query, key
    torch.testing.assert_close(attention.sum(dim=-1), torch.ones(2, 3, 2, 7))
    above_diagonal = torch.ones(7, 7, dtype=torch.bool).triu(diagonal=1)
    assert torch.all(attention[..., above_diagonal] == 0)
    torch.testing.assert_close(logits, fused_logits, rtol=0, atol=1e-5)
    torch.testing.assert_close(loss, fused_loss)
    assert torch.equal(model.attention_maps(idx), attention)
    # the first position can only attend to itself
    assert torch.all(attention[..., 0, 0] == 1)


def test_attention_needs_n_embd_divisible_by_n_head():
    with pytest.raises(ValueError) as excinfo:
        build_model("transformer", ModelConfig(V, BLOCK, n_embd=10, n_head=4))
    assert "n_head" in one_line(excinfo)


# --- the registry, configs and defaults ------------------------------------------------


def test_build_model_refuses_an_unknown_type_listing_the_choices():
    with pytest.raises(ValueError) as excinfo:
        build_model("cnn", ModelConfig(V, BLOCK))
    message = one_line(excinfo)
    assert "'cnn'" in message and all(name in message for name in REGISTRY)
    with pytest.raises(ValueError) as excinfo:
        default_config("lstm2", V, BLOCK)
    one_line(excinfo)
    with pytest.raises(ValueError) as excinfo:
        build_model("mlp", {"vocab_size": V, "block_size": BLOCK})
    assert "ModelConfig" in one_line(excinfo)


@pytest.mark.parametrize("name", ALL)
def test_every_model_keeps_its_config(name):
    config = default_config(name, V, BLOCK)
    model = build_model(name, config)
    assert model.config == config
    assert model.num_parameters() == sum(p.numel() for p in model.parameters()) > 0


def test_the_default_transformer_has_makemores_parameter_count():
    model = build_model("transformer", default_config("transformer", 27, 16))
    assert model.num_parameters() == 204_544


@pytest.mark.parametrize("block_size", [2, 3, 16, 50])
def test_default_configs_build_for_any_block_size(block_size):
    for name in REGISTRY:
        model = build_model(name, default_config(name, 30, block_size))
        logits, _ = model(torch.zeros(1, block_size, dtype=torch.long))
        assert logits.shape == (1, block_size, 30)


def test_model_config_round_trips_and_refuses_bad_values():
    config = ModelConfig(27, 16, context=5, n_layer=2, n_embd=32, n_embd2=100, n_head=2, dropout=0.1)
    assert ModelConfig.from_dict(config.to_dict()) == config
    assert all(isinstance(v, (int, float)) for v in config.to_dict().values())
    for bad in [dict(vocab_size=1), dict(block_size=0), dict(n_embd=2.5), dict(n_layer=True), dict(dropout=1.0)]:
        with pytest.raises(ValueError) as excinfo:
            ModelConfig(**{"vocab_size": 27, "block_size": 16, **bad})
        one_line(excinfo)
    with pytest.raises(ValueError) as excinfo:
        ModelConfig.from_dict({**config.to_dict(), "n_heads": 4})
    assert "n_heads" in one_line(excinfo)
    with pytest.raises(ValueError) as excinfo:
        ModelConfig.from_dict({"vocab_size": 27})
    assert "block_size" in one_line(excinfo)
