"""micrograd: a scalar reverse-mode autograd engine, small networks built on it, and
the graphviz drawing of its computation graphs. Pure Python: no torch, no numpy.

Lessons 01 and 02 build it up; the tests check every operation against torch.
"""

from .engine import Value
from .graph import draw_dot
from .nn import MLP, Layer, Module, Neuron

__all__ = ["Value", "draw_dot", "Module", "Neuron", "Layer", "MLP"]
