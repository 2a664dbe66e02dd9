"""nnzero: the code of a self-study course in neural networks from zero.

Subpackages, in course order:

- ``nnzero.micrograd``: a scalar reverse-mode autograd engine (pure Python) and
  the graphviz drawing of its computation graphs.
- ``nnzero.makemore``: character-level language models, from bigram to
  Transformer, their data, training loop, sampling and command-line tool.
- ``nnzero.lr``: learning-rate schedules, the LR range test and the experiment
  runner.

``nnzero.budget`` sizes every lesson (full run or the quick CI run),
``nnzero.plot`` holds the matplotlib helpers several lessons share and
``nnzero.exercises`` checks the learner's answers to the exercises.
"""

__version__ = "0.2.0"
