"""draw_dot: its nodes, edges, labels and colours, stable DOT text, the refusals, the SVG
it renders, and what a notebook shows where Graphviz's `dot` program is missing."""

import base64
import re
import shutil
import struct

import graphviz
import pytest

from nnzero.micrograd import MLP, Value, draw_dot
from nnzero.micrograd.graph import (
    INPUT_COLOR,
    INTERMEDIATE_COLOR,
    NO_DOT_HINT,
    OUTPUT_COLOR,
    PARAMETER_COLOR,
    ComputationGraph,
    trace,
)

needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot program is not installed")

NODE = re.compile(r'^\t(\w+) \[label=("(?:[^"\\]|\\.)*"|\S+) (.*)\]$')
EDGE = re.compile(r"^\t(\w+) -> (\w+)$")


def parse(dot):
    """The DOT text of a drawing as ({name: (label, attributes)}, [(tail, head), …])."""
    nodes, edges = {}, []
    for line in dot.source.splitlines():
        if m := NODE.match(line):
            nodes[m[1]] = (m[2].strip('"'), m[3])
        elif m := EDGE.match(line):
            edges.append((m[1], m[2]))
    return nodes, edges


def boxes(dot):
    return {name: label for name, (label, attrs) in parse(dot)[0].items() if "shape=record" in attrs}


def ovals(dot):
    return {name: label for name, (label, attrs) in parse(dot)[0].items() if "shape=ellipse" in attrs}


def fill(dot, name):
    return re.search(r'fillcolor="([^"]+)"', parse(dot)[0][name][1])[1]


def expression():
    """L = (a*b + c) * f, karpathy's first lesson expression: 7 values, 3 operations."""
    a, b, c, f = Value(2.0, label="a"), Value(-3.0, label="b"), Value(10.0, label="c"), Value(-2.0, label="f")
    e = a * b
    e.label = "e"
    d = e + c
    d.label = "d"
    L = d * f
    L.label = "L"
    return L


class Leaf:
    """Something with a .data but no operands: not a graph node."""

    def __init__(self, data):
        self.data = data


# --- nodes and edges -----------------------------------------------------------------


def test_one_box_per_value_and_one_oval_per_operation():
    dot = draw_dot(expression())
    assert isinstance(dot, graphviz.Digraph) and isinstance(dot, ComputationGraph)
    assert len(boxes(dot)) == 7
    assert sorted(ovals(dot).values()) == ["*", "*", "+"]
    # child -> op -> value: each operation has its two operands in and its result out
    _, edges = parse(dot)
    assert len(edges) == 3 * 2 + 3
    names = {label.split(" | ")[0].strip("{ "): name for name, label in boxes(dot).items()}
    a, b, c, d, e, f, L = (names[x] for x in "abcdefL")
    assert (a, f"{e}_op") in edges and (b, f"{e}_op") in edges and (f"{e}_op", e) in edges
    assert (e, f"{d}_op") in edges and (c, f"{d}_op") in edges and (f"{d}_op", d) in edges
    assert (d, f"{L}_op") in edges and (f, f"{L}_op") in edges and (f"{L}_op", L) in edges


def test_a_plus_a_shows_both_edges():
    a = Value(3.0, label="a")
    b = a + a
    nodes, edges = trace(b)
    assert nodes == [a, b] and edges == [(a, b), (a, b)]
    dot = draw_dot(b)
    assert len(boxes(dot)) == 2 and list(ovals(dot).values()) == ["+"]
    assert parse(dot)[1].count(("n0", "n1_op")) == 2


def test_a_reused_node_is_drawn_once_with_an_edge_per_use():
    a, b = Value(-2.0, label="a"), Value(3.0, label="b")
    d = a * b
    e = a + b
    f = d * e  # a and b each feed two operations
    dot = draw_dot(f)
    assert len(boxes(dot)) == 5 and len(ovals(dot)) == 3
    edges = parse(dot)[1]
    a_name = next(name for name, label in boxes(dot).items() if label.startswith("{ a |"))
    assert sorted(head for tail, head in edges if tail == a_name) == sorted(["n2_op", "n3_op"])


def test_trace_lists_children_before_parents_and_the_root_last():
    L = expression()
    nodes, edges = trace(L)
    assert nodes[-1] is L and len(nodes) == 7 and len(set(nodes)) == 7
    position = {node: i for i, node in enumerate(nodes)}
    assert all(position[child] < position[parent] for child, parent in edges)
    assert len(edges) == 6


def test_a_single_leaf_is_one_box_and_no_oval():
    dot = draw_dot(Value(1.5, label="x"))
    assert boxes(dot) == {"n0": "{ x | { data 1.5000 | grad 0.0000 } }"} and ovals(dot) == {}
    assert fill(dot, "n0") == OUTPUT_COLOR


# --- labels --------------------------------------------------------------------------


def test_boxes_show_label_data_and_grad_after_backward():
    L = expression()
    before = set(boxes(draw_dot(L)).values())
    assert "{ a | { data 2.0000 | grad 0.0000 } }" in before  # not yet back-propagated
    L.backward()
    # L = (a·b + c)·f = (-6 + 10)·(-2) = -8; dL/da = b·f = 6, dL/db = a·f = -4, dL/dc = f,
    # dL/df = d = 4, dL/dd = f = -2, dL/de = f
    assert set(boxes(draw_dot(L)).values()) == {
        "{ a | { data 2.0000 | grad 6.0000 } }",
        "{ b | { data -3.0000 | grad -4.0000 } }",
        "{ c | { data 10.0000 | grad -2.0000 } }",
        "{ f | { data -2.0000 | grad 4.0000 } }",
        "{ e | { data -6.0000 | grad -2.0000 } }",
        "{ d | { data 4.0000 | grad -2.0000 } }",
        "{ L | { data -8.0000 | grad 1.0000 } }",
    }


def test_four_decimals_and_no_label_field_when_unlabelled():
    x = Value(1.0) / 3.0
    x.backward()
    assert boxes(draw_dot(x))["n2"] == "{ { data 0.3333 | grad 1.0000 } }"


def test_ops_are_named_as_the_engine_tags_them():
    x = Value(0.5, label="x")
    y = ((x**2).tanh() - x.exp()).relu() + x.sigmoid()
    assert sorted(ovals(draw_dot(y)).values()) == sorted(["**2", "tanh", "exp", "-", "relu", "sigmoid", "+"])


def test_record_characters_in_a_label_are_escaped():
    v = Value(1.0, label="|x|<{y}>")
    assert boxes(draw_dot(v))["n0"] == r"{ \|x\|\<\{y\}\> | { data 1.0000 | grad 0.0000 } }"


def test_top_to_bottom_boxes_read_left_to_right_too():
    # In a top-to-bottom layout graphviz lays fields side by side without braces.
    dot = draw_dot(Value(1.0, label="x"), rankdir="TB")
    assert "rankdir=TB" in dot.source
    assert boxes(dot)["n0"] == "x | { data 1.0000 | grad 0.0000 }"


# --- colours -------------------------------------------------------------------------


def test_colours_tell_inputs_parameters_intermediates_and_the_output_apart():
    x, w, b = Value(0.5, label="x"), Value(-1.0, label="w"), Value(2.0, label="b")
    y = (w * x + b).tanh()
    dot = draw_dot(y, params=[w, b])
    nodes, _ = trace(y)
    colour = {node: fill(dot, f"n{i}") for i, node in enumerate(nodes)}
    assert colour[x] == INPUT_COLOR
    assert colour[w] == PARAMETER_COLOR and colour[b] == PARAMETER_COLOR
    assert colour[y] == OUTPUT_COLOR
    assert [colour[n] for n in nodes if n.children and n is not y] == [INTERMEDIATE_COLOR] * 2
    assert len({INPUT_COLOR, PARAMETER_COLOR, INTERMEDIATE_COLOR, OUTPUT_COLOR}) == 4
    # without params every leaf is an input
    assert fill(draw_dot(y), f"n{nodes.index(w)}") == INPUT_COLOR


def test_parameters_are_recognised_by_identity_not_by_value():
    w, x = Value(1.0, label="w"), Value(1.0, label="x")  # equal numbers, different roles
    y = w * x
    dot = draw_dot(y, params=iter([w]))  # any iterable
    nodes, _ = trace(y)
    assert fill(dot, f"n{nodes.index(w)}") == PARAMETER_COLOR
    assert fill(dot, f"n{nodes.index(x)}") == INPUT_COLOR


def test_an_mlps_parameters_get_the_parameter_colour():
    model = MLP(2, [3, 1], seed=0)
    out = model([0.5, -1.0])
    out.backward()
    dot = draw_dot(out, params=model.parameters())
    nodes, _ = trace(out)
    parameters = set(model.parameters())
    colours = {node: fill(dot, f"n{i}") for i, node in enumerate(nodes)}
    assert len(parameters) == 13 and parameters <= set(nodes)
    assert all(colours[p] == PARAMETER_COLOR for p in parameters)
    others = [node for node in nodes if node not in parameters]
    assert PARAMETER_COLOR not in {colours[n] for n in others}
    inputs = [n for n in others if not n.children]
    assert sorted(n.label for n in inputs) == ["x0", "x1"]
    assert all(colours[n] == INPUT_COLOR for n in inputs)


# --- stable output -------------------------------------------------------------------


def test_drawing_equal_expressions_gives_identical_dot_text():
    first, second = expression(), expression()
    first.backward()
    second.backward()
    source = draw_dot(first).source
    assert source == draw_dot(second).source
    assert source == draw_dot(first).source
    # names follow the topological order and nothing in the text depends on id()
    assert set(boxes(draw_dot(first))) == {f"n{i}" for i in range(7)}
    assert not re.search(r"\d{6,}|0x[0-9a-f]", source)


@needs_dot
def test_drawing_equal_expressions_gives_identical_svg():
    first, second = expression(), expression()
    assert draw_dot(first).pipe(format="svg") == draw_dot(second).pipe(format="svg")


def test_the_text_form_names_no_memory_address():
    assert " at 0x" not in repr(draw_dot(expression()))


# --- refusals ------------------------------------------------------------------------


def chain(n_values):
    x = Value(1.0)
    for _ in range(n_values - 1):
        x = x.tanh()
    return x


def test_more_values_than_max_nodes_is_refused_with_a_clear_message():
    assert len(boxes(draw_dot(chain(500)))) == 500  # the default limit itself is fine
    with pytest.raises(ValueError) as refused:
        draw_dot(chain(501))
    message = str(refused.value)
    assert "\n" not in message
    assert "501 values" in message and "max_nodes=500" in message
    assert "smaller expression" in message and "max_nodes=501" in message
    assert len(boxes(draw_dot(chain(501), max_nodes=501))) == 501
    with pytest.raises(ValueError, match="7 values, more than max_nodes=6"):
        draw_dot(expression(), max_nodes=6)


@pytest.mark.parametrize("rankdir", ["RL", "lr", "", None])
def test_rankdir_must_be_lr_or_tb(rankdir):
    with pytest.raises(ValueError, match=r"^rankdir must be 'LR' \(left to right\) or 'TB' \(top to bottom\), got") as e:
        draw_dot(Value(1.0), rankdir=rankdir)
    assert "\n" not in str(e.value)


@pytest.mark.parametrize(
    "call, error, text",
    [
        (lambda: draw_dot(2.0), TypeError, "draw_dot draws one value (e.g. a loss): a Value, or an object like one with .data and its operands in .children (or ._prev); got float"),
        (lambda: draw_dot([Value(1.0)]), TypeError, "got list"),
        (lambda: draw_dot(Leaf(2.0)), TypeError, "its operands in .children (or ._prev); got Leaf"),
        (lambda: draw_dot(Value(1.0), params=MLP(1, [1], seed=0)), TypeError, "e.g. model.parameters(); got MLP"),
        (lambda: draw_dot(Value(1.0), params=[Value(1.0), 2.0]), TypeError, "only Values"),
        (lambda: draw_dot(Value(1.0), max_nodes=0), ValueError, "max_nodes must be"),
        (lambda: draw_dot(Value(1.0), max_nodes=10.0), ValueError, "max_nodes must be"),
    ],
)
def test_bad_input_is_refused_in_one_line(call, error, text):
    with pytest.raises(error) as refused:
        call()
    assert text in str(refused.value) and "\n" not in str(refused.value)


# --- rendering, with and without dot -------------------------------------------------


@needs_dot
def test_a_notebook_shows_an_svg_picture_and_a_png_copy():
    v = Value(2.0, label="<a>")
    w = v * 3
    w.backward()
    bundle = draw_dot(w)._repr_mimebundle_()
    assert list(bundle) == ["image/svg+xml", "image/png"]
    svg = bundle["image/svg+xml"]
    assert svg.startswith("<?xml") and "</svg>" in svg
    assert "data 6.0000" in svg and "grad 3.0000" in svg and "&lt;a&gt;" in svg
    assert svg.count('class="node"') == 4  # 3 values and 1 operation
    # JupyterLab shows no SVG from a notebook it does not trust (a fresh clone's): it
    # falls back to the PNG, stored base64-encoded as notebooks store images.
    png = base64.b64decode(bundle["image/png"], validate=True)
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    assert png_size(png) == svg_size(svg, dpi=96)


def png_size(png):
    """(width, height) in pixels, from the PNG's header."""
    return struct.unpack(">II", png[16:24])


def svg_size(svg, dpi):
    """(width, height) of an SVG drawn in points, in pixels at ``dpi``."""
    width, height = (float(re.search(rf'{side}="([\d.]+)pt"', svg)[1]) for side in ("width", "height"))
    return round(width * dpi / 72), round(height * dpi / 72)


@needs_dot
def test_a_wide_graph_is_scaled_down_to_the_notebooks_width():
    small = Value(1.0, label="x") * 2
    wide = Value.sum([Value(float(i), label=f"x{i}") * Value(2.0, label=f"w{i}") for i in range(40)])
    widths = [png_size(base64.b64decode(draw_dot(v, rankdir="TB")._repr_mimebundle_()["image/png"]))[0] for v in (small, wide)]
    assert widths[0] < 600  # a small graph keeps its natural size
    assert 800 < widths[1] <= 9.5 * 96  # 40 boxes side by side would be several thousand pixels wide


@pytest.fixture
def no_dot(monkeypatch, tmp_path):
    """A PATH with nothing on it, as on a machine without Graphviz installed."""
    monkeypatch.setenv("PATH", str(tmp_path))
    assert shutil.which("dot") is None


def test_without_dot_the_notebook_shows_source_and_hint(no_dot):
    dot = draw_dot(expression())
    with pytest.raises(graphviz.ExecutableNotFound):  # the situation is real: piping fails
        dot.pipe(format="svg")
    with pytest.raises(graphviz.ExecutableNotFound):  # and a plain Digraph would raise
        graphviz.Digraph(body=dot.body)._repr_mimebundle_()
    bundle = dot._repr_mimebundle_()
    assert list(bundle) == ["text/plain"]
    hint, source = bundle["text/plain"].split("\n\n", 1)
    assert hint == NO_DOT_HINT and "\n" not in hint
    for install in ("sudo apt-get install graphviz", "brew install graphviz", "conda install -c conda-forge graphviz"):
        assert install in hint
    assert source == dot.source


def test_without_dot_ipython_displays_it_without_a_traceback(no_dot, capsys):
    formatters = pytest.importorskip("IPython.core.formatters")
    shown, _ = formatters.DisplayFormatter().format(draw_dot(expression()))
    assert list(shown) == ["text/plain"] and shown["text/plain"].startswith(NO_DOT_HINT)
    assert "{ L | { data -8.0000 | grad 0.0000 } }" in shown["text/plain"]
    assert "Traceback" not in capsys.readouterr().err
    # the same display of a plain Digraph prints one, which is what this guards against
    formatters.DisplayFormatter().format(graphviz.Digraph())
    assert "ExecutableNotFound" in capsys.readouterr().err


# --- the learner's own value class ---------------------------------------------------


class LessonValue:
    """A Value as a learner writes it in lesson 01: data, children, op, label; no grad yet."""

    def __init__(self, data, children=(), op="", label=""):
        self.data, self.children, self.op, self.label = data, children, op, label

    def __add__(self, other):
        return LessonValue(self.data + other.data, (self, other), "+")

    def __mul__(self, other):
        return LessonValue(self.data * other.data, (self, other), "*")


class MicrogradValue:
    """karpathy/micrograd's names: children in a set `_prev`, the op in `_op`, and a grad."""

    def __init__(self, data, _children=(), _op="", label=""):
        self.data, self.grad, self._prev, self._op, self.label = data, 0.0, set(_children), _op, label

    def __add__(self, other):
        return MicrogradValue(self.data + other.data, (self, other), "+")

    def __mul__(self, other):
        return MicrogradValue(self.data * other.data, (self, other), "*")


@pytest.mark.parametrize("cls", [LessonValue, MicrogradValue, Value])
def test_any_value_like_class_is_drawn_as_the_packages_value(cls):
    def build():
        a, b, c = cls(2.0, label="a"), cls(-3.0, label="b"), cls(10.0, label="c")
        d = a * b + c
        d.label = "d"
        return d

    drawing, reference = draw_dot(build()), draw_dot(build_reference())
    if cls is LessonValue:  # no grad field in the boxes, the rest the same
        assert boxes(drawing) == {k: v.replace(" | grad 0.0000", "") for k, v in boxes(reference).items()}
    else:
        assert boxes(drawing) == boxes(reference)
    assert ovals(drawing) == ovals(reference) and parse(drawing)[1] == parse(reference)[1]


def build_reference():
    a, b, c = Value(2.0, label="a"), Value(-3.0, label="b"), Value(10.0, label="c")
    d = a * b + c
    d.label = "d"
    return d


def test_a_set_of_children_is_drawn_the_same_every_time():
    drawings = set()
    for _ in range(5):
        x = [MicrogradValue(float(i), label=f"x{i}") for i in range(6)]
        y = (x[0] * x[1]) + (x[2] * x[3]) + (x[4] * x[5])
        drawings.add(draw_dot(y).source)
    assert len(drawings) == 1


def test_an_operation_without_a_name_is_still_drawn():
    class Unnamed:
        def __init__(self, data, children=()):
            self.data, self.children = data, children

    a = Unnamed(1.0)
    out = Unnamed(2.0, (a, a))
    assert sorted(ovals(draw_dot(out)).values()) == ["?"]
    assert len(parse(draw_dot(out))[1]) == 3  # a -> op twice, op -> out


def test_a_deep_chain_of_a_learners_class_is_traced_without_recursion():
    node = LessonValue(1.0)
    for _ in range(5_000):
        node = node + LessonValue(1.0)
    nodes, edges = trace(node)
    assert len(nodes) == 10_001 and len(edges) == 10_000 and nodes[-1] is node
