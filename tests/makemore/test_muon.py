"""nnzero.makemore.muon: the Newton-Schulz orthogonalisation, the Muon step against
torch.optim.Muon, which parameters Muon takes, and training and resuming with it."""

import pytest
import torch

from nnzero.makemore import checkpoint
from nnzero.makemore.data import SequenceDataset, Vocab
from nnzero.makemore.models import build_model, default_config
from nnzero.makemore.muon import Muon, CombinedOptimizer, orthogonalize
from nnzero.makemore.training import TrainConfig, make_optimizer, train

WORDS = ["emma", "olivia", "ava", "isabella", "sophia", "mia", "amelia", "harper", "evelyn", "abigail",
         "ella", "avery", "scarlett", "grace", "chloe", "lily", "aria", "zoey", "nora", "layla"]
VOCAB = Vocab.from_words(WORDS)
BLOCK = max(map(len, WORDS)) + 1


def small_model(model_type, seed=0, **changes):
    torch.manual_seed(seed)
    config = default_config(model_type, len(VOCAB), BLOCK)
    for name, value in dict(n_embd=8, n_embd2=16, n_layer=2, n_head=2, **changes).items():
        setattr(config, name, value)
    return build_model(model_type, config)


@pytest.mark.parametrize("shape", [(3, 16, 48), (3, 48, 16), (2, 20, 20)])
def test_orthogonalize_sets_every_singular_value_near_one_and_keeps_the_directions(shape):
    # Random directions U, V and singular values spread over two orders of magnitude, as a
    # gradient's are: the common directions a hundred times the rare ones.
    torch.manual_seed(0)
    n, rows, cols = shape
    U = torch.linalg.qr(torch.randn(n, rows, min(rows, cols), dtype=torch.float64)).Q
    Vh = torch.linalg.qr(torch.randn(n, cols, min(rows, cols), dtype=torch.float64)).Q.mT
    G = U @ torch.diag_embed(torch.logspace(0, -2, min(rows, cols), dtype=torch.float64)) @ Vh
    O = orthogonalize(G)
    assert O.shape == G.shape
    singular = torch.linalg.svdvals(O)
    assert singular.min() > 0.6 and singular.max() < 1.25  # Jordan et al.: roughly 0.7 to 1.2, not exactly 1
    polar = U @ Vh  # the exact U V^T
    cosine = (O * polar).sum(dim=(-2, -1)) / (O.norm(dim=(-2, -1)) * polar.norm(dim=(-2, -1)))
    assert (cosine > 0.98).all()


@pytest.mark.parametrize("nesterov", [True, False])
def test_a_muon_step_is_torchs_muon_step(nesterov):
    # torch.optim.Muon orthogonalises one matrix at a time in bfloat16, ours a batch of a
    # shape in float32: the same update up to bfloat16's rounding (3 significant digits).
    torch.manual_seed(0)
    shapes = [(48, 16), (16, 16), (16, 64), (16, 16), (48, 16)]
    start = [0.1 * torch.randn(shape, dtype=torch.float64) for shape in shapes]
    ours = [w.clone().requires_grad_() for w in start]
    theirs = [w.clone().requires_grad_() for w in start]
    settings = dict(lr=0.02, weight_decay=0.1, momentum=0.9, nesterov=nesterov)
    steppers = Muon(ours, **settings), torch.optim.Muon(theirs, adjust_lr_fn="match_rms_adamw", **settings)
    for _ in range(3):
        for a, b in zip(ours, theirs):
            a.grad = torch.randn_like(a)
            b.grad = a.grad.clone()
        for stepper in steppers:
            stepper.step()
    for a, b, w in zip(ours, theirs, start):
        assert (b - w).abs().max() > 0.02  # they moved, by about lr 0.2 sqrt(max(rows, cols)) an entry a step
        assert torch.allclose(a, b, rtol=0, atol=0.03 * (b - w).abs().max().item())


def test_muon_takes_weight_matrices_only():
    with pytest.raises(ValueError, match="weight matrices only.*shape \\(4,\\).*AdamW") as excinfo:
        Muon([torch.nn.Parameter(torch.zeros(4))])
    assert "\n" not in str(excinfo.value)


def test_hidden_matrices_are_the_transformers_block_weights():
    model = small_model("transformer")
    expected = [p for name, p in model.named_parameters() if name.startswith("blocks.") and p.dim() == 2]
    assert [id(p) for p in model.hidden_matrices()] == [id(p) for p in expected]
    assert len(expected) == 4 * 2  # qkv, proj and the MLP's two layers, in each of 2 blocks


def test_make_optimizer_muon_gives_every_parameter_to_exactly_one_optimizer():
    model = small_model("transformer")
    optimizer = make_optimizer(model, TrainConfig(optimizer="muon", learning_rate=0.01, weight_decay=0.2))
    assert isinstance(optimizer, CombinedOptimizer)
    muon, adamw = optimizer.optimizers
    assert isinstance(muon, Muon) and isinstance(adamw, torch.optim.AdamW)
    owned = [id(p) for group in optimizer.param_groups for p in group["params"]]
    assert sorted(owned) == sorted(id(p) for p in model.parameters())
    assert [g["weight_decay"] for g in optimizer.param_groups] == [0.2, 0.2, 0.0]
    assert {g["lr"] for g in optimizer.param_groups} == {0.01}


def test_make_optimizer_muon_needs_a_makemore_model():
    with pytest.raises(ValueError, match="needs a makemore model"):
        make_optimizer(torch.nn.Linear(3, 3), TrainConfig(optimizer="muon"))


def test_an_unknown_optimizer_is_refused():
    with pytest.raises(ValueError, match="optimizer must be one of adamw, muon, not 'sgd'"):
        TrainConfig(optimizer="sgd")


@pytest.fixture(scope="module")
def data():
    return SequenceDataset(WORDS[:16], VOCAB, BLOCK), SequenceDataset(WORDS[16:], VOCAB, BLOCK)


def config(**changes):
    settings = dict(optimizer="muon", max_steps=60, batch_size=8, learning_rate=1e-2, weight_decay=0.1,
                    warmup_steps=40, final_lr_fraction=0.05, eval_interval=30, device="cpu")
    return TrainConfig(**{**settings, **changes})


def test_resume_with_muon_gives_the_same_losses_as_an_uninterrupted_run(data, tmp_path):
    # The rate changes at every step (warmup, then cosine), so a resumed run whose schedule
    # did not reach both optimisers would part from the uninterrupted one at once.
    whole = small_model("transformer")
    uninterrupted = train(whole, *data, config(), progress=False)
    train(small_model("transformer"), *data, config(max_steps=30), work_dir=tmp_path, progress=False)
    state = checkpoint.load(tmp_path / "last.pt")
    resumed_model = small_model("transformer", seed=7)
    resumed = train(resumed_model, *data, config(), progress=False, state=state)
    assert resumed.train_loss == uninterrupted.train_loss
    for p, q in zip(whole.parameters(), resumed_model.parameters()):
        assert torch.equal(p, q)


def test_resuming_with_another_optimizer_is_refused(data, tmp_path):
    train(small_model("transformer"), *data, config(max_steps=10), work_dir=tmp_path, progress=False)
    state = checkpoint.load(tmp_path / "last.pt")
    with pytest.raises(ValueError, match="does not fit optimizer 'adamw'.*resume with the optimizer it was trained with"):
        train(small_model("transformer"), *data, config(optimizer="adamw"), progress=False, state=state)


def test_the_lr_range_test_puts_a_muon_optimizer_back_as_it_was(data):
    from nnzero.lr import lr_range_test

    train_data, _ = data
    model = small_model("transformer")
    settings = config(learning_rate=3e-3)
    optimizer = make_optimizer(model, settings)
    for _ in range(3):  # some momentum of its own first
        _, loss = model(train_data.X[:4], train_data.Y[:4])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    weights = {k: v.clone() for k, v in model.state_dict().items()}
    momenta = [b.clone() for b in (s["momentum_buffer"] for s in optimizer.optimizers[0].state.values())]

    result = lr_range_test(model, train_data, steps=20, batch_size=4, optimizer=optimizer, config=settings, end_lr=1.0)
    assert len(result.lrs) > 3  # it trained

    assert all(torch.equal(weights[k], v) for k, v in model.state_dict().items())
    after = [s["momentum_buffer"] for s in optimizer.optimizers[0].state.values()]
    assert len(after) == len(momenta) and all(torch.equal(a, b) for a, b in zip(momenta, after))
    assert {group["lr"] for group in optimizer.param_groups} == {3e-3}
