"""Drawing a computation graph with graphviz: `draw_dot`.

Every `Value` becomes a box "label | data | grad"; every operation becomes a small oval
("+", "*", "tanh", "**2", …) with arrows from its operands into it and from it to its
result. In JupyterLab the drawing shows as an SVG picture; this needs Graphviz's `dot`
program, and where it is missing the cell shows the graph's DOT text and how to install
`dot` instead of an error.
"""

import graphviz

from .engine import Value

__all__ = ["draw_dot", "trace", "ComputationGraph"]

# Fill colours of the value boxes (the op ovals are grey).
INPUT_COLOR = "#dbe9f6"  # light blue: leaves that are not parameters (inputs, constants)
PARAMETER_COLOR = "#fde0b0"  # light orange: leaves passed in `params`
INTERMEDIATE_COLOR = "#ffffff"  # white: everything computed on the way
OUTPUT_COLOR = "#cdebc4"  # light green: the value you drew (the root, e.g. the loss)
OP_COLOR = "#eeeeee"

NO_DOT_HINT = (
    "Graphviz's dot program was not found, so here is the graph as DOT text; to see it drawn, "
    "install Graphviz's dot program: sudo apt-get install graphviz | brew install graphviz | "
    "conda install -c conda-forge graphviz"
)


class ComputationGraph(graphviz.Digraph):
    """The `graphviz.Digraph` that `draw_dot` returns; use it as any Digraph
    (``.source``, ``.render("graph", format="svg")``, ``.pipe()``).

    It differs only in how a notebook shows it: where Graphviz's `dot` program is
    missing, as the DOT text and an install hint instead of a traceback; and its text
    form names no memory address, so re-running a notebook stores the same output.
    """

    def __repr__(self):
        # A notebook stores this text beside the picture: with no memory address in it,
        # re-running the notebook stores the same output.
        return "<ComputationGraph, a graphviz.Digraph: .source is its DOT text>"

    def _repr_mimebundle_(self, include=None, exclude=None, **kwargs):
        try:
            return super()._repr_mimebundle_(include, exclude, **kwargs)
        except graphviz.ExecutableNotFound:
            return {"text/plain": f"{NO_DOT_HINT}\n\n{self.source}"}


def trace(root):
    """The graph behind ``root``: ``(nodes, edges)``.

    ``nodes`` lists every Value that ``root`` depends on, itself included, children
    before parents (``root`` comes last). ``edges`` lists a ``(child, parent)`` pair for
    every operand of every operation, in the order written: ``b = a + a`` gives the
    edge ``(a, b)`` twice, once for each use of ``a``.
    """
    nodes = root.topological_order()
    edges = [(child, node) for node in nodes for child in node.children]
    return nodes, edges


def draw_dot(root, rankdir="LR", params=(), max_nodes=500):
    """Draw the computation graph that produced ``root`` (a `Value`, e.g. a loss).

    Each Value is a box "label | data | grad", the numbers rounded to 4 decimals; each
    operation is an oval between its operands and its result. Draw after
    ``root.backward()`` to see the gradients (before it, they are all 0). The box
    colours tell the values apart:

    - light blue: inputs, i.e. leaves not in ``params`` (numbers written in the
      expression, like the 2 of ``2 * x``, are leaves too);
    - light orange: parameters, the leaves in ``params`` (pass ``model.parameters()``);
    - white: intermediate values;
    - light green: ``root``, the output.

    ``rankdir`` is "LR" (left to right) or "TB" (top to bottom). Graphs of more than
    ``max_nodes`` Values are refused: such a picture is unreadable, and dot gets slow
    to lay it out; draw a smaller expression or raise the limit.

    Returns a `ComputationGraph`, a `graphviz.Digraph`: a notebook shows it as an SVG
    picture, and ``.render(...)`` writes it to a file. Nodes are named n0, n1, … in
    topological order, so drawing the same expression twice gives the same DOT text.
    """
    if not isinstance(root, Value):
        raise TypeError(f"draw_dot draws one Value (e.g. a loss), got {type(root).__name__}")
    if rankdir not in ("LR", "TB"):
        raise ValueError(f"rankdir must be 'LR' (left to right) or 'TB' (top to bottom), got {rankdir!r}")
    if not isinstance(max_nodes, int) or isinstance(max_nodes, bool) or max_nodes < 1:
        raise ValueError(f"max_nodes must be a whole number of at least 1, got {max_nodes!r}")
    parameters = _as_value_set(params)
    nodes, edges = trace(root)
    if len(nodes) > max_nodes:
        raise ValueError(
            f"this graph has {len(nodes)} values, more than max_nodes={max_nodes}; draw a smaller "
            f"expression (e.g. one neuron on one input) or pass max_nodes={len(nodes)} to draw it anyway"
        )

    # In a "LR" layout, graphviz stacks a record's fields vertically unless they are
    # wrapped in braces; wrap them there so the box reads "label | data | grad" either way.
    record = "{{ {} }}" if rankdir == "LR" else "{}"
    dot = ComputationGraph(graph_attr={"rankdir": rankdir}, node_attr={"fontname": "Helvetica", "fontsize": "11"})
    # Values hash by identity, so a dict from Value to name tells equal numbers apart.
    names = {node: f"n{i}" for i, node in enumerate(nodes)}
    for node, name in names.items():
        fields = [_escape_record(str(node.label))] if node.label else []
        fields += [f"data {node.data:.4f}", f"grad {node.grad:.4f}"]
        color = _color(node, root, parameters)
        dot.node(name, record.format(" | ".join(fields)), shape="record", style="filled", fillcolor=color)
        if node.op:
            dot.node(f"{name}_op", node.op, shape="ellipse", style="filled", fillcolor=OP_COLOR)
            dot.edge(f"{name}_op", name)
    for child, parent in edges:
        dot.edge(names[child], f"{names[parent]}_op")
    return dot


def _as_value_set(params):
    """``params`` as a set of Values (a set by identity: a parameter is that very object)."""
    try:
        params = list(params)
    except TypeError:
        raise TypeError(
            f"params must be an iterable of Values, e.g. model.parameters(); got {type(params).__name__}"
        ) from None
    for p in params:
        if not isinstance(p, Value):
            raise TypeError(f"params must contain only Values, e.g. model.parameters(); found a {type(p).__name__}")
    return set(params)


def _color(node, root, parameters):
    if node is root:
        return OUTPUT_COLOR
    if node.children:
        return INTERMEDIATE_COLOR
    return PARAMETER_COLOR if node in parameters else INPUT_COLOR


def _escape_record(text):
    """A backslash before the characters that structure a record label ({ } | < >)."""
    for special in "\\{}|<>":
        text = text.replace(special, "\\" + special)
    return text
