"""Drawing a computation graph with graphviz: `draw_dot`.

Every `Value` becomes a box "label | data / grad"; every operation becomes a small oval
("+", "*", "tanh", "**2", …) with arrows from its operands into it and from it to its
result. In JupyterLab the drawing shows as a picture; this needs Graphviz's `dot`
program, and where it is missing the cell shows the graph's DOT text and how to install
`dot` instead of an error.
"""

import base64

import graphviz

__all__ = ["draw_dot", "trace", "ComputationGraph"]

# Fill colours of the value boxes (the op ovals are grey).
INPUT_COLOR = "#dbe9f6"  # light blue: leaves that are not parameters (inputs, constants)
PARAMETER_COLOR = "#fde0b0"  # light orange: leaves passed in `params`
INTERMEDIATE_COLOR = "#ffffff"  # white: everything computed on the way
OUTPUT_COLOR = "#cdebc4"  # light green: the value you drew (the root, e.g. the loss)
OP_COLOR = "#eeeeee"
# Graphviz scales a drawing down to at most this size (inches, width and height), so a
# graph fits a notebook's width in JupyterLab with the file browser open (1 in = 96 px).
MAX_SIZE_INCHES = "9.5,30"

NO_DOT_HINT = (
    "Graphviz's dot program was not found, so here is the graph as DOT text; to see it drawn, "
    "install Graphviz's dot program: sudo apt-get install graphviz | brew install graphviz | "
    "conda install -c conda-forge graphviz"
)


class ComputationGraph(graphviz.Digraph):
    """The `graphviz.Digraph` that `draw_dot` returns; use it as any Digraph
    (``.source``, ``.render("graph", format="svg")``, ``.pipe()``).

    It differs only in how a notebook shows it: as an SVG picture with a PNG copy that
    shows even where the notebook is not trusted; where Graphviz's `dot` program is
    missing, as the DOT text and an install hint instead of a traceback; and its text
    form names no memory address, so re-running a notebook stores the same output.
    """

    def __repr__(self):
        # A notebook stores this text beside the picture: with no memory address in it,
        # re-running the notebook stores the same output.
        return "<ComputationGraph, a graphviz.Digraph: .source is its DOT text>"

    def _repr_mimebundle_(self, include=None, exclude=None, **kwargs):
        # SVG for a trusted notebook, and PNG beside it: JupyterLab refuses to show an SVG
        # stored in a notebook it does not trust (any freshly cloned one), but shows a PNG.
        try:
            svg = self.pipe(format="svg", encoding="utf-8")
            png = base64.b64encode(self.pipe(format="png")).decode("ascii")
        except graphviz.ExecutableNotFound:
            return {"text/plain": f"{NO_DOT_HINT}\n\n{self.source}"}
        return {"image/svg+xml": svg, "image/png": png}


def trace(root):
    """The graph behind ``root``: ``(nodes, edges)``.

    ``nodes`` lists every value that ``root`` depends on, itself included, children
    before parents (``root`` comes last). ``edges`` lists a ``(child, parent)`` pair for
    every operand of every operation, in the order written: ``b = a + a`` gives the
    edge ``(a, b)`` twice, once for each use of ``a``.

    ``root`` is a `Value` or any object shaped like one (see `draw_dot`). The search
    keeps its own stack instead of recursing, so a graph of any depth can be traced.
    """
    nodes, visited, stack = [], set(), [(root, False)]
    while stack:
        node, children_done = stack.pop()
        if children_done:
            nodes.append(node)
        elif id(node) not in visited:
            visited.add(id(node))
            stack.append((node, True))
            stack.extend((child, False) for child in _children(node))
    edges = [(child, node) for node in nodes for child in _children(node)]
    return nodes, edges


def draw_dot(root, rankdir="LR", params=(), max_nodes=500):
    """Draw the computation graph that produced ``root`` (a `Value`, e.g. a loss).

    Each value is a box "label | data / grad", the numbers rounded to 4 decimals; each
    operation is an oval between its operands and its result. Draw after
    ``root.backward()`` to see the gradients (before it, they are all 0). The box
    colours tell the values apart:

    - light blue: inputs, i.e. leaves not in ``params`` (numbers written in the
      expression, like the 2 of ``2 * x``, are leaves too);
    - light orange: parameters, the leaves in ``params`` (pass ``model.parameters()``);
    - white: intermediate values;
    - light green: ``root``, the output.

    It draws your own value class too: any object with a ``data`` number and its
    operands in ``children`` (or ``_prev``, as in micrograd); ``op`` (or ``_op``),
    ``grad`` and ``label`` are shown when it has them.

    ``rankdir`` is "LR" (left to right) or "TB" (top to bottom). Graphs of more than
    ``max_nodes`` values are refused: such a picture is unreadable, and dot gets slow
    to lay it out; draw a smaller expression or raise the limit. A graph wider than
    the notebook is scaled down to fit it.

    Returns a `ComputationGraph`, a `graphviz.Digraph`: a notebook shows it as a
    picture, and ``.render(...)`` writes it to a file. Nodes are named n0, n1, … in
    topological order, so drawing the same expression twice gives the same DOT text.
    """
    _check_node(root, "draw_dot draws one value (e.g. a loss)")
    if rankdir not in ("LR", "TB"):
        raise ValueError(f"rankdir must be 'LR' (left to right) or 'TB' (top to bottom), got {rankdir!r}")
    if not isinstance(max_nodes, int) or isinstance(max_nodes, bool) or max_nodes < 1:
        raise ValueError(f"max_nodes must be a whole number of at least 1, got {max_nodes!r}")
    parameters = _as_id_set(params)
    nodes, edges = trace(root)
    if len(nodes) > max_nodes:
        raise ValueError(
            f"this graph has {len(nodes)} values, more than max_nodes={max_nodes}; draw a smaller "
            f"expression (e.g. one neuron on one input) or pass max_nodes={len(nodes)} to draw it anyway"
        )

    # A box reads "label | data / grad": the two numbers stacked keep it narrow, so a graph
    # of a few operations fits a notebook's width without shrinking its text. (In a "LR"
    # layout graphviz turns a record's fields by 90 degrees: the outer braces turn them back.)
    record = "{{ {} }}" if rankdir == "LR" else "{}"
    dot = ComputationGraph(
        graph_attr={"rankdir": rankdir, "size": MAX_SIZE_INCHES, "ranksep": "0.3", "nodesep": "0.15"},
        node_attr={"fontname": "Helvetica", "fontsize": "11"},
    )
    # Two equal numbers are two values: name the nodes by identity, not by value.
    names = {id(node): f"n{i}" for i, node in enumerate(nodes)}
    for node in nodes:
        name = names[id(node)]
        label = getattr(node, "label", "")
        numbers = [f"data {_number(node.data)}"] + ([f"grad {_number(node.grad)}"] if hasattr(node, "grad") else [])
        fields = ([_escape_record(str(label))] if label else []) + ["{ " + " | ".join(numbers) + " }"]
        color = _color(node, root, parameters)
        dot.node(name, record.format(" | ".join(fields)), shape="record", style="filled", fillcolor=color)
        op = _op(node) or ("?" if _children(node) else "")  # "?": a class that does not name its ops
        if op:
            dot.node(f"{name}_op", op, shape="ellipse", style="filled", fillcolor=OP_COLOR, height="0.3", margin="0.04,0.02")
            dot.edge(f"{name}_op", name)
    for child, parent in edges:
        dot.edge(names[id(child)], f"{names[id(parent)]}_op")
    return dot


def _children(node):
    """A node's operands, in the order written. micrograd keeps them in a set
    (``_prev``), whose order changes from run to run; sorting by label and value keeps
    a drawing stable."""
    children = getattr(node, "children", None)
    if children is None:
        children = getattr(node, "_prev", ())
    if isinstance(children, (set, frozenset)):
        return sorted(children, key=lambda c: (str(getattr(c, "label", "")), _sortable(c.data)))
    return tuple(children)


def _op(node):
    op = getattr(node, "op", None)
    return str(op if op is not None else getattr(node, "_op", ""))


def _sortable(number):
    try:
        return float(number)
    except (TypeError, ValueError):
        return 0.0


def _number(x):
    try:
        return f"{x:.4f}"
    except (TypeError, ValueError):
        return str(x)


def _check_node(node, what):
    if not hasattr(node, "data") or not (hasattr(node, "children") or hasattr(node, "_prev")):
        raise TypeError(
            f"{what}: a Value, or an object like one with .data and its operands in .children "
            f"(or ._prev); got {type(node).__name__}"
        )


def _as_id_set(params):
    """The ids of ``params`` (a parameter is that very object, whatever its value)."""
    try:
        params = list(params)
    except TypeError:
        raise TypeError(
            f"params must be an iterable of Values, e.g. model.parameters(); got {type(params).__name__}"
        ) from None
    for p in params:
        if not hasattr(p, "data"):
            raise TypeError(f"params must contain only Values, e.g. model.parameters(); found a {type(p).__name__}")
    return {id(p) for p in params}


def _color(node, root, parameters):
    if node is root:
        return OUTPUT_COLOR
    if _children(node):
        return INTERMEDIATE_COLOR
    return PARAMETER_COLOR if id(node) in parameters else INPUT_COLOR


def _escape_record(text):
    """A backslash before the characters that structure a record label ({ } | < >)."""
    for special in "\\{}|<>":
        text = text.replace(special, "\\" + special)
    return text
