"""The recurrent cells, written from scratch, against torch's: the same weights give the same
numbers and the same gradients (float32 to 1e-6, float64 to 1e-12), one step at a time
and as whole multi-layer models over a sequence; and the states the lessons look at."""

import pytest
import torch
from torch import nn

from nnzero.makemore.models import GRU, LSTM, RNN, GRUCell, LSTMCell, ModelConfig, RNNCell

CELLS = [(RNNCell, nn.RNNCell), (LSTMCell, nn.LSTMCell), (GRUCell, nn.GRUCell)]
MODELS = [(RNN, nn.RNN), (LSTM, nn.LSTM), (GRU, nn.GRU)]
INPUT, HIDDEN, BATCH = 5, 7, 4


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    # Tensors this small gain nothing from threads, and on a busy 2-core machine
    # OpenMP's waiting threads can make each step a hundred times slower.
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def one_line(excinfo):
    message = str(excinfo.value)
    assert message and "\n" not in message
    return message


@pytest.mark.parametrize("ours, theirs", CELLS)
@pytest.mark.parametrize("dtype, tolerance", [(torch.float32, 1e-6), (torch.float64, 1e-12)])
def test_a_cell_equals_torchs_over_several_steps(ours, theirs, dtype, tolerance):
    torch.manual_seed(0)
    reference = theirs(INPUT, HIDDEN).to(dtype)
    cell = ours(INPUT, HIDDEN).to(dtype).copy_from_torch(reference)
    xs = torch.randn(3, BATCH, INPUT, dtype=dtype)
    state = reference_state = None
    for x in xs:
        state = cell(x, state)
        reference_state = reference(x, reference_state)
        pairs = zip(state, reference_state) if ours is LSTMCell else [(state, reference_state)]
        for got, expected in pairs:
            torch.testing.assert_close(got, expected, rtol=0, atol=tolerance)


@pytest.mark.parametrize("ours, theirs", CELLS)
def test_a_cell_has_torchs_gradients_in_float64(ours, theirs):
    torch.manual_seed(1)
    reference = theirs(INPUT, HIDDEN).double()
    cell = ours(INPUT, HIDDEN).double().copy_from_torch(reference)
    x = torch.randn(BATCH, INPUT, dtype=torch.float64, requires_grad=True)
    h = torch.randn(BATCH, HIDDEN, dtype=torch.float64, requires_grad=True)
    state = (h, torch.randn_like(h, requires_grad=True)) if ours is LSTMCell else h
    weights = torch.randn(BATCH, HIDDEN, dtype=torch.float64)

    def loss(module):
        out = module(x, state)
        out = out[0] + 0.5 * out[1] if isinstance(out, tuple) else out
        return (out * weights).sum()

    inputs = [x, *(state if isinstance(state, tuple) else (state,))]
    names = ["weight_ih", "weight_hh", "bias_ih", "bias_hh"]
    ours_grads = torch.autograd.grad(loss(cell), inputs + [getattr(cell, n) for n in names])
    theirs_grads = torch.autograd.grad(loss(reference), inputs + [getattr(reference, n) for n in names])
    for got, expected in zip(ours_grads, theirs_grads):
        torch.testing.assert_close(got, expected, rtol=0, atol=1e-12)


@pytest.mark.parametrize("ours, theirs", MODELS)
def test_a_two_layer_model_runs_the_sequence_like_torchs_layers(ours, theirs):
    # The whole recurrence (input projection precomputed, the loop, layer stacking, the
    # learned initial state) against torch's multi-layer nn.RNN / nn.LSTM / nn.GRU.
    torch.manual_seed(2)
    config = ModelConfig(vocab_size=9, block_size=6, n_layer=2, n_embd=INPUT, n_embd2=HIDDEN)
    model = ours(config).double()
    reference = theirs(INPUT, HIDDEN, num_layers=2, batch_first=True).double()
    with torch.no_grad():
        for layer, cell in enumerate(model.layers):
            for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
                getattr(cell, name).copy_(getattr(reference, f"{name}_l{layer}"))
        model.initial_state.normal_()
    idx = torch.randint(0, 9, (3, 6))
    start = model.initial_state.detach()  # (layer, state, H)
    h0 = start[:, 0, None].expand(-1, 3, -1).contiguous()
    initial = (h0, start[:, 1, None].expand(-1, 3, -1).contiguous()) if ours is LSTM else h0
    expected, _ = reference(model.embedding(idx), initial)
    _, _, states = model.forward_with_states(idx)
    torch.testing.assert_close(states[-1]["h"], expected, rtol=0, atol=1e-12)
    torch.testing.assert_close(model(idx)[0], model.head(expected), rtol=0, atol=1e-12)


@pytest.mark.parametrize("model_type, names", [(RNN, {"h"}), (LSTM, {"h", "c", "i", "f", "g", "o"}), (GRU, {"h", "r", "z", "n"})])
def test_states_show_every_layers_hidden_states_and_gates(model_type, names):
    torch.manual_seed(3)
    model = model_type(ModelConfig(vocab_size=9, block_size=6, n_layer=2, n_embd=4, n_embd2=HIDDEN))
    idx, targets = torch.randint(0, 9, (3, 5)), torch.randint(0, 9, (3, 5))
    logits, loss, states = model.forward_with_states(idx, targets)
    torch.testing.assert_close(logits, model(idx)[0])
    torch.testing.assert_close(loss, model(idx, targets)[1])
    assert len(states) == 2
    for layer in states:
        carried = {"h", "c"} & names  # the states the recurrence carries, each also kept step by step
        assert set(layer) == names | {f"{name}_steps" for name in carried}
        assert all(layer[name].shape == (3, 5, HIDDEN) for name in names)
        for name in carried:
            assert len(layer[f"{name}_steps"]) == 5
            torch.testing.assert_close(torch.stack(layer[f"{name}_steps"], dim=1), layer[name])
    for gate in names - {"h", "c", "g", "n"}:  # the sigmoid gates
        assert all(0 < layer[gate].min() and layer[gate].max() < 1 for layer in states)
    # Gradients reach back through time along h_steps: the loss at the last step
    # depends on the first step's state.
    last_step_loss = torch.nn.functional.cross_entropy(logits[:, -1], targets[:, -1])
    first_step_grad = torch.autograd.grad(last_step_loss, states[0]["h_steps"][0])[0]
    assert first_step_grad.abs().sum() > 0
    assert torch.equal(model.states(idx)[0]["h"], states[0]["h"])


def test_lstm_forget_gate_starts_open():
    cell = LSTMCell(INPUT, 50)
    forget_bias = (cell.bias_ih + cell.bias_hh)[50:100]
    assert forget_bias.mean() > 0.8  # torch's init alone averages 0


def test_copy_from_torch_refuses_the_wrong_cell():
    with pytest.raises(ValueError) as excinfo:
        LSTMCell(INPUT, HIDDEN).copy_from_torch(nn.GRUCell(INPUT, HIDDEN))
    assert "LSTMCell" in one_line(excinfo)
    with pytest.raises(ValueError) as excinfo:
        GRUCell(INPUT, HIDDEN).copy_from_torch(nn.GRUCell(INPUT, HIDDEN + 1))
    assert "size" in one_line(excinfo)
    with pytest.raises(ValueError) as excinfo:
        RNNCell(INPUT, HIDDEN).copy_from_torch(nn.RNNCell(INPUT, HIDDEN, nonlinearity="relu"))
    assert "tanh" in one_line(excinfo)
