"""Re-run lessons top to bottom at full size and store their outputs (`make notebooks`).

    python scripts/refresh_notebooks.py                      # every lesson
    python scripts/refresh_notebooks.py notebooks/01_*.ipynb  # some

Each notebook runs in a fresh kernel with NNZERO_QUICK=0 and progress bars off, then its
metadata is normalised so that a refresh on another machine or Python does not churn the
file: a fixed kernelspec and language_info, no per-cell timings, no memory addresses in
text outputs. Execution counts stay (nbval needs them to compare stored outputs).
"""

import os
import re
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}
LANGUAGE_INFO = {
    "codemirror_mode": {"name": "ipython", "version": 3},
    "file_extension": ".py",
    "mimetype": "text/x-python",
    "name": "python",
    "nbconvert_exporter": "python",
    "pygments_lexer": "ipython3",
}
ADDRESS = re.compile(r" at 0x[0-9a-f]+")


def normalise(nb):
    nb.metadata = {"kernelspec": KERNELSPEC, "language_info": LANGUAGE_INFO}
    for cell in nb.cells:
        cell.metadata.pop("execution", None)
        cell.metadata.pop("ExecuteTime", None)
        for out in cell.get("outputs", []):
            text = out.get("data", {}).get("text/plain")
            if isinstance(text, str):
                out["data"]["text/plain"] = ADDRESS.sub("", text)
    return nb


def refresh(path: Path) -> float:
    nb = nbformat.read(path, as_version=4)
    start = time.perf_counter()
    NotebookClient(
        nb, kernel_name="python3", record_timing=False, resources={"metadata": {"path": str(path.parent)}}
    ).execute()
    seconds = time.perf_counter() - start
    nbformat.write(normalise(nb), path)
    return seconds


def main(args):
    os.environ["NNZERO_QUICK"] = "0"
    os.environ["TQDM_DISABLE"] = "1"
    paths = [Path(a) for a in args] or sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    for path in paths:
        print(f"{path.name}: running…", flush=True)
        print(f"{path.name}: {refresh(path):.0f} s", flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
