"""Live progress for cells that train: one updating line, and a loss curve if asked.

::

    live = LiveProgress("RNN, seed 0")
    history = train(model, train_data, val_data, config, progress=live)

    live = LiveProgress("sweep", plot=True)        # in a loop you write yourself
    for i in range(steps):
        ...
        live(i + 1, steps, loss=loss.item())

While a cell runs, the line shows the step, the latest loss (and validation loss), the
time spent and an estimate of the time left; with ``plot=True`` a loss curve is redrawn
every few seconds under it. When the last step is reported (or :meth:`done` is called)
only one compact line stays, which is what a saved notebook shows:
``RNN, seed 0: 10,000 steps in 22 s, loss 1.9812, val 2.0102``.

It writes through IPython's display machinery (an output that is replaced in place), so
nothing goes to stderr and nothing needs a widget library. Outside a notebook kernel,
or with the environment variable ``TQDM_DISABLE=1`` (as in the course's tests), nothing
is shown while running and the final line is printed.

Notebook-side, like :mod:`nnzero.plot`: the engines never import it; they call any
``progress(step, total, loss=..., val=...)`` they are given.
"""

import io
import math
import os
import time

LINE_EVERY = 0.5  # seconds between redraws of the line
PLOT_EVERY = 3.0  # seconds between redraws of the curve


def _in_kernel() -> bool:
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    return shell is not None and hasattr(shell, "kernel")


def _quiet() -> bool:
    return os.environ.get("TQDM_DISABLE", "").lower() in ("1", "true", "yes")


def format_seconds(seconds: float) -> str:
    """``42 s``, ``3 min 05 s`` or ``1 h 02 min``: how long something took, to read at a glance."""
    seconds = max(0, round(seconds))
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min {seconds % 60:02d} s"
    return f"{seconds // 3600} h {seconds % 3600 // 60:02d} min"


class LiveProgress:
    """Reports a training run as it goes; call it as ``live(step, total, loss=..., val=...)``.

    ``step`` is the number of steps done out of ``total``. ``loss`` is the latest training
    loss, ``val`` the latest validation loss (either may be left out). The run ends when
    ``step == total`` or at :meth:`done`; :attr:`final_line` then holds its summary.
    """

    def __init__(self, title: str, plot: bool = False, clock=time.perf_counter):
        self.title = title
        self.plot = plot
        self.clock = clock
        self.live = _in_kernel() and not _quiet()
        self.started = None
        self.step = self.total = 0
        self.loss = self.val = math.nan
        self.losses: list[tuple[int, float]] = []
        self.vals: list[tuple[int, float]] = []
        self.final_line = None
        self._line = self._figure = None
        self._drawn = {"line": -math.inf, "plot": -math.inf}

    def __call__(self, step: int, total: int, loss: float | None = None, val: float | None = None) -> None:
        now = self.clock()
        if self.started is None:
            self.started = now
        self.step, self.total = step, total
        if loss is not None:
            self.loss = float(loss)
            self.losses.append((step, self.loss))
        if val is not None:
            self.val = float(val)
            self.vals.append((step, self.val))
        if step >= total:
            self.done()
        elif self.live:
            self._redraw(now)

    def status_line(self, now: float | None = None) -> str:
        """The line shown while running: step, losses, time spent and time left."""
        elapsed = (self.clock() if now is None else now) - (self.started or 0)
        parts = [f"{self.title}: step {self.step:,}/{self.total:,}"]
        parts += [f"{name} {value:.4f}" for name, value in (("loss", self.loss), ("val", self.val)) if not math.isnan(value)]
        left = elapsed / self.step * (self.total - self.step) if self.step else math.nan
        parts.append(format_seconds(elapsed) + ("" if math.isnan(left) else f", about {format_seconds(left)} left"))
        return ", ".join(parts)

    def done(self) -> str:
        """End the run: replace the live output by one line (printed outside a notebook)."""
        if self.final_line is not None:
            return self.final_line
        elapsed = self.clock() - self.started if self.started is not None else 0.0
        parts = [f"{self.title}: {self.step:,} steps in {format_seconds(elapsed)}"]
        parts += [f"{name} {value:.4f}" for name, value in (("loss", self.loss), ("val", self.val)) if not math.isnan(value)]
        self.final_line = ", ".join(parts)
        if self._line is not None:
            self._line.update(_Text(self.final_line))
            if self._figure is not None:
                self._figure.update(_Text(""))
        else:
            print(self.final_line)
        return self.final_line

    def _redraw(self, now: float) -> None:
        from IPython.display import display

        if now - self._drawn["line"] >= LINE_EVERY:
            self._drawn["line"] = now
            if self._line is None:
                self._line = display(_Text(self.status_line(now)), display_id=True)
            else:
                self._line.update(_Text(self.status_line(now)))
        if self.plot and len(self.losses) > 1 and now - self._drawn["plot"] >= PLOT_EVERY:
            self._drawn["plot"] = now
            image = _Png(self.curve_png())
            if self._figure is None:
                self._figure = display(image, display_id=True)
            else:
                self._figure.update(image)

    def curve_png(self) -> bytes:
        """The loss curve so far, as PNG bytes."""
        import matplotlib.pyplot as plt

        fig, ax = plt.subplots(figsize=(6.0, 2.6), dpi=80)
        steps, losses = zip(*self.losses)
        ax.plot(steps, losses, lw=0.8, alpha=0.6, label="training loss (batch)")
        if self.vals:
            ax.plot(*zip(*self.vals), "o-", ms=3, label="validation loss")
        ax.set(title=f"{self.title} (live)", xlabel="step", ylabel="loss", xlim=(0, self.total))
        ax.legend(loc="upper right")
        fig.tight_layout()
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png")
        plt.close(fig)
        return buffer.getvalue()


class _Text:
    """Plain text for IPython's display (a str would be shown with quotes)."""

    def __init__(self, text: str):
        self.text = text

    def _repr_pretty_(self, printer, cycle):
        printer.text(self.text)


class _Png:
    def __init__(self, data: bytes):
        self.data = data

    def _repr_png_(self):
        return self.data
