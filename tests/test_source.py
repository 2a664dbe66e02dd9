"""show_source: the package's own code, shown in a lesson from the code itself."""

import inspect
import textwrap

import pytest

from nnzero.micrograd import MLP, Value
from nnzero.source import show_source


def test_a_method_is_shown_whole_with_its_file_and_lines():
    shown = show_source(Value.__mul__)
    lines, first = inspect.getsourcelines(Value.__mul__)
    assert shown.code == textwrap.dedent("".join(lines))
    assert shown.code.splitlines()[0] == "def __mul__(self, other):"  # dedented out of the class
    assert "return Value(self.data * other.data" in shown.code
    assert shown.where == f"From `nnzero/micrograd/engine.py`, lines {first}–{first + len(lines) - 1}:"


def test_several_pieces_are_shown_in_the_order_given():
    shown = show_source(Value.__add__, Value.__mul__, MLP.__call__)
    assert shown.code.index("def __add__") < shown.code.index("def __mul__") < shown.code.index("def __call__")
    add, mul = (inspect.getsourcelines(f) for f in (Value.__add__, Value.__mul__))
    spans = [f"{first}–{first + len(lines) - 1}" for lines, first in (add, mul)]
    assert shown.where.startswith(f"From `nnzero/micrograd/engine.py`, lines {spans[0]} and {spans[1]}; `nnzero/micrograd/nn.py`, lines ")


def test_a_notebook_shows_it_as_a_python_code_block():
    markdown = show_source(Value.tanh)._repr_markdown_()
    where, block = markdown.split("\n\n", 1)
    assert where.startswith("From `nnzero/micrograd/engine.py`")
    assert block.startswith("```python\ndef tanh(self):") and block.endswith("\n```\n")


def test_code_holding_a_fence_gets_a_longer_one():
    from nnzero.source import Source

    assert Source('s = "```"\n', "From here:")._repr_markdown_().split("\n")[2] == "````python"


@pytest.mark.parametrize("thing", [3, "Value", Value(2.0), len])
def test_what_has_no_python_source_is_refused_in_one_line(thing):
    with pytest.raises(TypeError, match="show_source shows functions, methods and classes written in Python") as refused:
        show_source(thing)
    assert "\n" not in str(refused.value)


def test_nothing_to_show_is_refused():
    with pytest.raises(TypeError, match="needs something to show"):
        show_source()
