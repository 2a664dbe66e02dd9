import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402

from nnzero import plot  # noqa: E402


def test_smooth_averages_consecutive_chunks():
    assert plot.smooth([1, 3, 5, 7, 9], 2) == [2.0, 6.0]
    assert plot.smooth([4.0], 1) == [4.0]
    with pytest.raises(ValueError, match="window must be at least 1"):
        plot.smooth([1.0], 0)


def test_plot_curves_labels_everything():
    ax = plot.plot_curves(
        {"train": ([0, 1, 2], [3.0, 2.0, 1.5]), "val": ([0, 2], [3.1, 1.9])},
        title="Loss",
        xlabel="step",
        ylabel="loss (nats)",
        logy=True,
    )
    assert ax.get_title() == "Loss"
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("step", "loss (nats)")
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["train", "val"]
    assert ax.get_yscale() == "log"
    assert list(ax.lines[1].get_xdata()) == [0, 2]
    plt.close("all")


def test_course_style_applies():
    plot.use_course_style()
    assert matplotlib.rcParams["axes.grid"] is True
    assert tuple(matplotlib.rcParams["figure.figsize"]) == plot.STYLE["figure.figsize"]
