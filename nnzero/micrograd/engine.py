"""A scalar reverse-mode autograd engine: the `Value` class.

Every arithmetic operation on `Value` objects builds a node of a computation graph.
Each node remembers the nodes it was computed from (``children``) and, computed in the
same line as its forward value, the local derivatives of its output with respect to
each child (``local_grads``). `Value.backward` walks the graph from the output back to
the inputs and applies the chain rule: ``child.grad += local_grad * node.grad``.

Numbers follow IEEE-754 double precision, exactly like ``torch.float64``: no operation
raises on a "bad" number. ``exp(1000)`` is ``inf``, ``log(0)`` is ``-inf``,
``log(-1)``, ``(-8) ** (1/3)`` and ``0 / 0`` are ``nan``, ``1 / 0`` is ``inf``. An
``inf`` or ``nan`` then flows through the rest of the graph, as it would in PyTorch, so
check your loss with ``math.isfinite`` when training misbehaves.
"""

import math
import numbers

__all__ = ["Value"]


class Value:
    """A scalar that remembers how it was computed, so it can send gradients back.

    ``Value(2.0, label="a")`` makes a leaf (an input or a parameter). Operations make
    the interior nodes: ``+ - * /`` and ``**`` (with plain numbers on either side),
    unary ``-``, and the methods `exp`, `log`, `tanh`, `sigmoid`, `relu`.

    Attributes (read them freely; graph drawing uses them):
        data: the value, a float.
        grad: d(output)/d(this value) after ``output.backward()``; starts at 0.0.
        label: an optional name shown in graph drawings ("" if unset).
        op: what made this node ("+", "*", "**2", "exp", …); "" for a leaf.
        children: the nodes it was computed from, in the order written: ``a - b`` has
            children ``(a, b)``.
        local_grads: d(this node)/d(child) for each child, computed in the forward pass.
    """

    __slots__ = ("data", "grad", "label", "op", "children", "local_grads")

    # The operations below pass children, local_grads and op; you pass data and a label.
    def __init__(self, data, children=(), local_grads=(), op="", label=""):
        if data.__class__ is not float:
            data = _as_float(data)
        self.data = data
        self.grad = 0.0
        self.label = label
        self.op = op
        self.children = children
        self.local_grads = local_grads

    # Each operation computes its output and, right beside it, the local derivative of
    # that output with respect to each operand (the comment states it).

    def __add__(self, other):
        other = other if isinstance(other, Value) else Value(other)
        # d(a+b)/da = 1, d(a+b)/db = 1
        return Value(self.data + other.data, (self, other), (1.0, 1.0), "+")

    def __sub__(self, other):
        other = other if isinstance(other, Value) else Value(other)
        # d(a-b)/da = 1, d(a-b)/db = -1
        return Value(self.data - other.data, (self, other), (1.0, -1.0), "-")

    def __mul__(self, other):
        other = other if isinstance(other, Value) else Value(other)
        # d(a*b)/da = b, d(a*b)/db = a
        return Value(self.data * other.data, (self, other), (other.data, self.data), "*")

    def __truediv__(self, other):
        other = other if isinstance(other, Value) else Value(other)
        out = _divide(self.data, other.data)
        # d(a/b)/da = 1/b, d(a/b)/db = -a/b² = -(a/b)/b
        return Value(out, (self, other), (_divide(1.0, other.data), -_divide(out, other.data)), "/")

    def __neg__(self):
        # d(-a)/da = -1
        return Value(-self.data, (self,), (-1.0,), "neg")

    def __pow__(self, exponent):
        x = self.data
        if isinstance(exponent, Value):
            y = exponent.data
            out = _pow(x, y)
            # d(x^y)/dx = y·x^(y-1);  d(x^y)/dy = x^y·ln(x), taken as 0 where x = 0 and
            # y >= 0 (PyTorch does the same), and nan for a negative x, as ln(x) is.
            d_base = 0.0 if y == 0.0 else y * _pow(x, y - 1.0)
            d_exponent = 0.0 if (x == 0.0 and y >= 0.0) else out * _log(x)
            return Value(out, (self, exponent), (d_base, d_exponent), "**")
        k = _as_float(exponent)
        # d(x^k)/dx = k·x^(k-1)  (0 when k = 0, even at x = 0)
        d_base = 0.0 if k == 0.0 else k * _pow(x, k - 1.0)
        return Value(_pow(x, k), (self,), (d_base,), f"**{k:g}")

    def exp(self):
        out = _exp(self.data)
        # d(e^x)/dx = e^x
        return Value(out, (self,), (out,), "exp")

    def log(self):
        """Natural logarithm: ``log(0)`` is ``-inf``, a negative number gives ``nan``."""
        x = self.data
        # d(ln x)/dx = 1/x
        return Value(_log(x), (self,), (_divide(1.0, x),), "log")

    def tanh(self):
        t = math.tanh(self.data)
        # d(tanh x)/dx = 1 - tanh²x
        return Value(t, (self,), (1.0 - t * t,), "tanh")

    def sigmoid(self):
        """The logistic function 1 / (1 + e^-x), computed without overflow for any x."""
        s = _sigmoid(self.data)
        # dσ/dx = σ(x)·(1 - σ(x))
        return Value(s, (self,), (s * (1.0 - s),), "sigmoid")

    def relu(self):
        x = self.data
        # d relu(x)/dx = 1 for x > 0, else 0 (0 at x = 0, as in PyTorch)
        if x <= 0.0:
            return Value(0.0, (self,), (0.0,), "relu")
        return Value(x, (self,), (1.0,), "relu")

    @staticmethod
    def sum(values):
        """The sum of many values as one node, ``Value.sum([a, b, c])``: a + b + c.

        Python's built-in ``sum`` works too but makes a chain of n - 1 additions; one
        n-input node is faster, and its graph shows the sum the way it is written.
        """
        terms = tuple(v if isinstance(v, Value) else Value(v) for v in values)
        # d(Σ vᵢ)/dvᵢ = 1 for every term
        return Value(sum(v.data for v in terms), terms, (1.0,) * len(terms), "sum")

    # A plain number on the left (2 + v, 2 - v, 2 * v, 2 / v, 2 ** v) becomes a leaf
    # Value, so it appears in the graph like any other operand.

    def __radd__(self, other):
        return _as_value(other) + self

    def __rsub__(self, other):
        return _as_value(other) - self

    def __rmul__(self, other):
        return _as_value(other) * self

    def __rtruediv__(self, other):
        return _as_value(other) / self

    def __rpow__(self, other):
        return _as_value(other) ** self

    def topological_order(self):
        """Every node this value depends on (itself included), children before parents.

        A depth-first search with an explicit stack instead of recursion, so graphs of
        any depth work (a recursive search stops near Python's limit of 1000 levels).
        A node is pushed once to be expanded, then again under a marker: when the
        marker comes back off the stack, all the node's children are in the order.
        """
        order, visited = [], set()
        stack = [self]
        while stack:
            node = stack.pop()
            if node is _CHILDREN_DONE:
                order.append(stack.pop())
            elif node not in visited:
                visited.add(node)
                stack.append(node)
                stack.append(_CHILDREN_DONE)
                stack.extend(node.children)
        return order

    def backward(self):
        """Fill in ``grad`` of every node this value depends on: d(self)/d(node).

        Gradients accumulate with ``+=``, because the chain rule sums over every path
        from the output to a node: a node used twice (``b = a + a``) receives both
        contributions (a.grad is 2). For the same reason each call *adds* to the
        ``grad`` of the leaves (inputs and parameters), as in PyTorch, which lets
        several losses add up their gradients; so a training loop must reset the
        parameters' gradients before every backward pass: call ``model.zero_grad()``
        (or set ``p.grad = 0.0``). Interior nodes are reset by each call, so they hold
        the gradients of this pass only.
        """
        order = self.topological_order()
        for node in order:
            if node.children:
                node.grad = 0.0
        self.grad += 1.0  # d(self)/d(self) = 1
        for node in reversed(order):
            upstream = node.grad
            for child, local_grad in zip(node.children, node.local_grads):
                child.grad += local_grad * upstream

    def __repr__(self):
        label = f", label={self.label!r}" if self.label else ""
        return f"Value(data={self.data!r}, grad={self.grad!r}{label})"


_CHILDREN_DONE = object()  # a marker on Value.topological_order's stack


def _as_float(x):
    """A real number as a float; anything else is refused with a one-line TypeError."""
    if isinstance(x, numbers.Real):
        return float(x)
    shown = repr(x) if len(repr(x)) <= 40 else repr(x)[:37] + "..."
    raise TypeError(f"Value expects a number (int or float), got {type(x).__name__} {shown}")


def _as_value(x):
    return x if isinstance(x, Value) else Value(x)


# IEEE-754 versions of what Python's float arithmetic and `math` refuse to compute: they
# return what torch.float64 (and C) return instead of raising.


def _divide(a, b):
    try:
        return a / b
    except ZeroDivisionError:
        if a == 0.0 or a != a:  # 0/0 and nan/0
            return math.nan
        return math.copysign(math.inf, a) * math.copysign(1.0, b)


def _exp(x):
    try:
        return math.exp(x)
    except OverflowError:  # x > 709.78
        return math.inf


def _log(x):
    if x > 0.0:
        return math.log(x)
    if x == 0.0:
        return -math.inf
    return math.nan  # a negative number, or nan


def _pow(base, exponent):
    try:
        return math.pow(base, exponent)
    except OverflowError:  # the result is too large: ±inf, negative for an odd power of a negative base
        return -math.inf if base < 0.0 and exponent % 2.0 == 1.0 else math.inf
    except ValueError:  # 0 to a negative power, or a negative base to a fractional power
        if base == 0.0:  # ±inf: -0.0 to an odd negative power keeps its sign
            return math.copysign(math.inf, base) if exponent % 2.0 == 1.0 else math.inf
        return math.nan


def _sigmoid(x):
    # Only ever exponentiate a non-positive number, so e^… never overflows.
    if x >= 0.0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)
