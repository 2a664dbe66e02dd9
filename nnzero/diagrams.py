"""Drawings of the gated recurrent cells, in the style of Chris Olah's
"Understanding LSTM Networks" (2015): state lines running through the cell, yellow boxes
for the layers that learn (a sigmoid gate or a tanh), pink circles for elementwise
operations. Drawn with matplotlib from code, so they can be regenerated and restyled::

    draw_lstm_cell()    # lesson 09
    draw_gru_cell()     # lesson 10 (torch's convention: r multiplies W_hn h)

Notebook-side, like :mod:`nnzero.plot`: the engines never import it.
"""

import matplotlib.pyplot as plt
from matplotlib.patches import Circle, FancyBboxPatch

LAYER = dict(facecolor="#f7d774", edgecolor="#8a6d00")  # a learned layer: sigmoid gate or tanh
OPERATION = dict(facecolor="#f6b8c8", edgecolor="#9c3d57")  # an elementwise operation
LINE = dict(color="0.25", lw=1.6)


def _line(ax, *points, arrow=True):
    """A polyline through ``points``, with an arrowhead at its end."""
    xs, ys = zip(*points)
    ax.plot(xs[:-1] if arrow else xs, ys[:-1] if arrow else ys, **LINE, solid_capstyle="round")
    if arrow:
        ax.annotate("", xy=points[-1], xytext=points[-2], arrowprops=dict(arrowstyle="-|>", **LINE, shrinkA=0, shrinkB=0))


def _layer(ax, x, y, label, name):
    ax.add_patch(FancyBboxPatch((x - 0.42, y - 0.3), 0.84, 0.6, boxstyle="round,pad=0.05", **LAYER, zorder=3))
    ax.text(x, y, label, ha="center", va="center", fontsize=11, zorder=4)
    ax.text(x - 0.52, y - 0.48, name, ha="right", va="top", fontsize=10, color="#8a6d00", style="italic")


def _operation(ax, x, y, label, radius=0.28):
    ax.add_patch(Circle((x, y), radius, **OPERATION, zorder=3))
    ax.text(x, y, label, ha="center", va="center", fontsize=11 if len(label) == 1 else 8, zorder=4)


def _frame(ax, title, size=(9.5, 5.2)):
    if ax is None:
        _, ax = plt.subplots(figsize=size)
    ax.add_patch(FancyBboxPatch((1.0, 0.6), 10.0, 5.6, boxstyle="round,pad=0.1", facecolor="#eef3f8",
                                edgecolor="#5b7fa6", lw=1.2, zorder=0))
    ax.set(xlim=(-0.6, 12.6), ylim=(-0.8, 7.2), title=title)
    ax.set_aspect("equal")
    ax.axis("off")
    return ax


def draw_lstm_cell(ax=None):
    """The LSTM cell (torch's, no peepholes): the cell state c runs along the top and is
    only scaled by f and added to; h leaves through o and a tanh of c. Returns the Axes."""
    ax = _frame(ax, "the LSTM cell: c is scaled by f and added to; h = o ⊙ tanh(c)")
    top, bus, gates = 5.5, 1.5, 3.0
    # the cell state: in from the left, through x f and + i g, out to the right
    _line(ax, (-0.3, top), (2.72, top))
    _line(ax, (3.28, top), (5.72, top))
    _line(ax, (6.28, top), (12.3, top))
    ax.text(-0.4, top + 0.35, r"$c_{t-1}$", fontsize=12)
    ax.text(11.8, top + 0.35, r"$c_t$", fontsize=12)
    # the inputs: h_{t-1} from the left and x_t from below, side by side on one bus
    _line(ax, (-0.3, bus), (1.8, bus), arrow=False)
    _line(ax, (1.8, -0.5), (1.8, bus), arrow=False)
    _line(ax, (1.8, bus), (8.0, bus), arrow=False)
    ax.text(-0.4, bus + 0.3, r"$h_{t-1}$", fontsize=12)
    ax.text(1.95, -0.6, r"$x_t$", fontsize=12)
    for x in (3.0, 4.6, 6.0, 8.0):
        _line(ax, (x, bus), (x, gates - 0.35))
    _layer(ax, 3.0, gates, "σ", "f")
    _layer(ax, 4.6, gates, "σ", "i")
    _layer(ax, 6.0, gates, "tanh", "g")
    _layer(ax, 8.0, gates, "σ", "o")
    # forget: f scales the memory
    _line(ax, (3.0, gates + 0.35), (3.0, top - 0.28))
    _operation(ax, 3.0, top, "×")
    # write: i ⊙ g is added to it
    _line(ax, (4.6, gates + 0.35), (4.6, 4.3), (5.72, 4.3))
    _line(ax, (6.0, gates + 0.35), (6.0, 4.02))
    _operation(ax, 6.0, 4.3, "×")
    _line(ax, (6.0, 4.58), (6.0, top - 0.28))
    _operation(ax, 6.0, top, "+")
    # read: h = o ⊙ tanh(c)
    _line(ax, (9.6, top), (9.6, 4.62))
    _operation(ax, 9.6, 4.3, "tanh", radius=0.32)
    _line(ax, (9.6, 3.98), (9.6, gates + 0.28))
    _line(ax, (8.0, gates + 0.35), (8.0, 3.0), (9.32, 3.0))
    _operation(ax, 9.6, gates, "×")
    _line(ax, (9.6, gates - 0.28), (9.6, bus), (12.3, bus))
    _line(ax, (10.6, bus), (10.6, 7.0))
    ax.text(11.8, bus + 0.3, r"$h_t$", fontsize=12)
    ax.text(10.75, 6.75, r"$h_t$ (to the head)", fontsize=10)
    return ax


def draw_gru_cell(ax=None):
    """The GRU cell in torch's convention: h runs along the top, kept by z and topped up
    by (1 - z) n; the reset gate r scales W_hn h inside the candidate. Returns the Axes."""
    ax = _frame(ax, "the GRU cell: h' = z ⊙ h + (1 - z) ⊙ n, with n = tanh(W_in x + r ⊙ (W_hn h))")
    top, bus, gates, low = 5.5, 1.5, 3.0, 0.9
    # the state: in from the left, kept by x z, topped up by + (1 - z) n
    _line(ax, (-0.3, top), (2.52, top))
    _line(ax, (3.08, top), (7.32, top))
    _line(ax, (7.88, top), (12.3, top))
    ax.text(-0.4, top + 0.35, r"$h_{t-1}$", fontsize=12)
    ax.text(11.8, top + 0.35, r"$h_t$", fontsize=12)
    _line(ax, (10.6, top), (10.6, 7.0))
    ax.text(10.75, 6.75, r"$h_t$ (to the head)", fontsize=10)
    # the gates read h_{t-1} (brought down on the left) and x_t (from below)
    _line(ax, (1.3, top), (1.3, bus), (6.0, bus), arrow=False)
    _line(ax, (1.9, -0.5), (1.9, bus), arrow=False)
    _line(ax, (1.9, low), (7.6, low), (7.6, gates - 0.35))
    ax.text(2.05, -0.6, r"$x_t$", fontsize=12)
    _line(ax, (2.8, bus), (2.8, gates - 0.35))
    _line(ax, (4.4, bus), (4.4, gates - 0.35))
    _layer(ax, 2.8, gates, "σ", "z")
    _layer(ax, 4.4, gates, "σ", "r")
    # keep: z scales the old state
    _line(ax, (2.8, gates + 0.35), (2.8, top - 0.28))
    _operation(ax, 2.8, top, "×")
    # candidate: r scales W_hn h (torch's convention), then tanh with the input
    _line(ax, (6.0, bus), (6.0, 1.95))
    ax.add_patch(FancyBboxPatch((5.55, 1.95), 0.9, 0.5, boxstyle="round,pad=0.03", facecolor="white", edgecolor="0.4", zorder=3))
    ax.text(6.0, 2.2, r"$W_{hn}h$", ha="center", va="center", fontsize=9, zorder=4)
    _line(ax, (6.0, 2.5), (6.0, gates - 0.28))
    _line(ax, (4.4 + 0.47, gates), (5.72, gates))
    _operation(ax, 6.0, gates, "×")
    _line(ax, (6.28, gates), (7.13, gates))
    _layer(ax, 7.6, gates, "tanh", "n")
    # write: (1 - z) ⊙ n is added
    _line(ax, (2.8, 4.3), (5.02, 4.3))
    _operation(ax, 5.3, 4.3, "1−")
    _line(ax, (5.58, 4.3), (7.32, 4.3))
    _line(ax, (7.6, gates + 0.35), (7.6, 4.02))
    _operation(ax, 7.6, 4.3, "×")
    _line(ax, (7.6, 4.58), (7.6, top - 0.28))
    _operation(ax, 7.6, top, "+")
    return ax
