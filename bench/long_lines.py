"""A file with one very long line: does makemore stay within bounded memory and time?

299 shipped names and one line of 1,000 characters (the longest makemore accepts), the
default transformer, 50 training steps, run as the command a user types. Before the
block size was capped, every row of such a file was 1,001 positions long: one step took
about 35 s and 15 GB. Prints the block size the run used, the wall time and the peak
memory (maximum resident set size) of the makemore process.

    python bench/long_lines.py [--steps 50] [--type transformer]
"""

import argparse
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import machine

from nnzero.makemore import checkpoint
from nnzero.makemore.data import load_words


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=50, help="training steps (default 50)")
    parser.add_argument("--type", default="transformer", help="model type (default transformer)")
    args = parser.parse_args()
    print(machine())
    with tempfile.TemporaryDirectory() as folder:
        data = Path(folder) / "long.txt"
        data.write_text("\n".join(load_words()[:299] + ["ab" * 500]) + "\n", encoding="utf-8")
        command = [sys.executable, "-m", "nnzero.makemore", "-i", str(data), "-o", str(Path(folder) / "out"),
                   "--type", args.type, "--max-steps", str(args.steps), "--device", "cpu", "--quiet", "--num-samples", "5"]
        started = time.perf_counter()
        result = subprocess.run(command, capture_output=True, text=True)
        seconds = time.perf_counter() - started
        if result.returncode != 0:
            sys.exit(f"makemore failed: {result.stderr.strip()}")
        peak_mib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024  # kilobytes on Linux
        block_size = checkpoint.load(Path(folder) / "out" / "last.pt")["model_config"]["block_size"]
    print(f"{args.type}: block size {block_size}, {args.steps} steps in {seconds:.1f} s (whole command), "
          f"peak memory {peak_mib:,.0f} MiB")


if __name__ == "__main__":
    main()
