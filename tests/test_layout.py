"""Which way imports run inside the package: each part imports only what its audience
allows, so the tool never drags in lesson code and the engines stay free of torch."""

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "nnzero"

# What each part may import of nnzero (besides itself). Parts not listed may import anything.
ALLOWED = {
    "micrograd": set(),
    "scratch": set(),
    "schedules": set(),
    "budget": set(),
    "source": set(),
    "plot": set(),
    "diagrams": set(),
    "progress": set(),
    "data": set(),
    "makemore": {"schedules", "data"},
    "studies": {"makemore", "schedules", "data"},
    "lr": {"makemore", "studies", "schedules", "data"},
}


def part_of(path):
    relative = path.relative_to(PACKAGE)
    return relative.parts[0].removesuffix(".py")


def nnzero_imports(path):
    """The parts of nnzero that a module imports, e.g. {"makemore", "schedules"}."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
            if node.module == "nnzero":
                names = [f"nnzero.{alias.name}" for alias in node.names]
        elif isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        else:
            continue
        found |= {name.split(".")[1] for name in names if name.startswith("nnzero.")}
    return found


MODULES = sorted(PACKAGE.rglob("*.py"))


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_imports_run_the_agreed_way(path):
    part = part_of(path)
    if part not in ALLOWED:
        return
    foreign = nnzero_imports(path) - {part} - ALLOWED[part]
    assert not foreign, f"{path.relative_to(PACKAGE)} ({part}) imports nnzero.{', nnzero.'.join(sorted(foreign))}"


def test_only_the_lessons_import_the_exercises_and_no_engine_imports_torch_or_plots():
    for path in MODULES:
        part = part_of(path)
        if part != "exercises":
            assert "exercises" not in nnzero_imports(path), f"{path.relative_to(PACKAGE)} imports nnzero.exercises"
        if part in ("micrograd", "makemore", "scratch", "schedules", "studies", "lr"):
            for notebook_side in ("plot", "progress"):
                assert notebook_side not in nnzero_imports(path), f"{path.relative_to(PACKAGE)} imports nnzero.{notebook_side}"
        if part == "micrograd":
            assert "import torch" not in path.read_text(), f"{path.relative_to(PACKAGE)} imports torch"


def test_the_training_module_is_not_hidden_by_the_train_function():
    import nnzero.makemore
    import nnzero.makemore.training as training

    assert training.TrainConfig is nnzero.makemore.TrainConfig
    assert nnzero.makemore.train is training.train  # the function, under the package
