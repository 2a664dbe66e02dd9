"""What the bench scripts share: the reference names file, the data files to run on, and
the line that says which machine ran them. (The split of a word list into datasets is
``nnzero.makemore.sequence_splits``.)

Run the scripts from the repository root (``python bench/NAME.py``); Python puts bench/ on
the path, so they import this module by its name.
"""

import argparse
import os
import platform

import torch

from nnzero.makemore.data import SPLIT_SEED, load_words  # noqa: F401 (SPLIT_SEED: the scripts' split)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
REFERENCE = os.path.join(os.path.dirname(ROOT), "shared", "data", "names.txt")  # 32,033 names: benchmarks only


def machine() -> str:
    """One line naming the software and the hardware a result was measured with."""
    return (f"Python {platform.python_version()}, torch {torch.__version__}, {platform.platform()}, "
            f"{os.cpu_count()} CPUs, torch threads {torch.get_num_threads()}")


def add_files_argument(parser: argparse.ArgumentParser) -> None:
    """``--files``: 'shipped' (nnzero's names) and/or paths; both names files by default."""
    parser.add_argument("--files", nargs="+", default=["shipped", REFERENCE],
                        help="'shipped' (nnzero's names) and/or paths of text files (default: shipped and the reference names)")


def read(name: str) -> list[str]:
    """The words of ``name``: 'shipped' for the package's names, else a path."""
    return load_words(None if name == "shipped" else name)
