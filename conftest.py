"""pytest set-up shared by the unit tests and the lessons run under nbval.

`make test` runs every lesson in quick mode (NNZERO_QUICK=1); the kernels nbval starts
inherit this process's environment, so setting it here reaches them too.
"""

import os

import pytest

CELL_TIMEOUT_S = 300


def pytest_configure(config):
    os.environ.setdefault("NNZERO_QUICK", "1")
    os.environ.setdefault("TQDM_DISABLE", "1")
    # The unit tests train tiny models: one thread is faster for them than two, and on a
    # 2-core machine it leaves the other core free instead of fighting over it. (Lesson
    # kernels are separate processes and keep torch's default.)
    import torch

    torch.set_num_threads(1)
    # Property tests draw the same examples on every run, so a CI result can be reproduced
    # and a red run is never luck. `pytest --hypothesis-profile=explore` draws new ones.
    from hypothesis import settings

    settings.register_profile("nnzero", derandomize=True, database=None)
    settings.register_profile("explore", derandomize=False)
    if config.getoption("hypothesis_profile", None) is None:
        settings.load_profile("nnzero")
    if config.pluginmanager.hasplugin("nbval"):
        # Run every notebook, compare only the cells tagged nbval-check-output, in the
        # kernel of this very Python (the .venv with nnzero installed), and stop a runaway
        # cell after minutes instead of nbval's default 2000 s.
        config.option.nbval_lax = True
        config.option.nbval_current_env = True
        if config.option.nbval_cell_timeout == 2000:
            config.option.nbval_cell_timeout = CELL_TIMEOUT_S


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item):
    """Fail a lesson cell that writes to stderr: a lesson runs free of warnings."""
    yield
    outputs = getattr(item, "test_outputs", None) or []
    for out in outputs:
        if out.get("output_type") == "stream" and out.get("name") == "stderr":
            pytest.fail(f"the cell wrote to stderr (a warning or a log line):\n{out.get('text', '')}")


@pytest.fixture
def said(capsys):
    """What the code under test has printed since the last call, stripped: ``said()``.
    The exercise checks talk to the learner by printing; their tests read it with this."""
    return lambda: capsys.readouterr().out.strip()
