"""Fast checks of the committed lessons, without a kernel: they were run top to bottom
at full size (`make notebooks`), cleanly, and follow the lesson contract (the README's
"Set up and run" and each lesson's opening cells). nbval runs them for real (quick mode)
in the same pytest session."""

import json
import re
from pathlib import Path

import nbformat
import pytest

from nnzero.budget import QUICK_BANNER

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
NAME = re.compile(r"^(\d\d)_[a-z0-9_]+\.ipynb$")
NBVAL_TAGS = {"nbval-check-output", "nbval-ignore-output", "nbval-skip", "nbval-raises-exception", "raises-exception"}
# How the course is made is not the subject of a lesson: no issues, sessions or CI, and no
# "target" that somebody set (a number to beat is the lecture's or the paper's, named so).
# A GitHub issue of another project, cited by number, is a reference and allowed.
PROCESS_WORDS = re.compile(
    r"\bissues?\b(?! #\d)|\bissue's\b|\bCI\b|\bsessions?\b|\bnbval\b|\bthe filer\b"
    r"|\btarget\b(?!=)[^.\n]{0,12}\d\.\d\d|\d\.\d\d\d?\s+target\b|(?:lecture|benchmark|our|the issue)'?s? target\b",
    re.IGNORECASE,
)
MAX_BYTES = 2_500_000


def load(path):
    return nbformat.read(path, as_version=4)


def outputs(nb):
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            yield cell, out


def test_lessons_are_numbered_in_course_order():
    numbers = [int(NAME.match(p.name)[1]) for p in NOTEBOOKS if NAME.match(p.name)]
    assert len(numbers) == len(NOTEBOOKS), "name lessons NN_topic.ipynb (two digits, lower case)"
    assert numbers == list(range(1, len(numbers) + 1))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
class TestLesson:
    def test_valid_and_small(self, path):
        nbformat.validate(load(path))
        assert path.stat().st_size < MAX_BYTES, f"{path.name} is over {MAX_BYTES:,} bytes: shrink its plots"

    def test_listed_in_the_readme_course_map(self, path):
        assert path.name in (ROOT / "README.md").read_text(), f"add {path.name} to the README's course map"

    def test_executed_top_to_bottom(self, path):
        counts = [c.execution_count for c in load(path).cells if c.cell_type == "code"]
        assert counts == list(range(1, len(counts) + 1)), "run `make notebooks` to refresh it top to bottom"

    def test_no_errors_warnings_or_quick_run_outputs(self, path):
        for cell, out in outputs(load(path)):
            assert out.output_type != "error", f"error output in cell:\n{cell.source[:200]}"
            assert out.get("name") != "stderr", f"stderr output (a warning?) in cell:\n{cell.source[:200]}"
            text = json.dumps(out.get("text", "")) + json.dumps(out.get("data", {}).get("text/plain", ""))
            assert QUICK_BANNER not in text, "outputs come from a quick run: refresh with `make notebooks`"
            assert not re.search(r" at 0x[0-9a-f]+", text), f"memory address in output of:\n{cell.source[:200]}"

    def test_no_check_echoes_true_or_false_under_its_verdict(self, path):
        for cell, out in outputs(load(path)):
            shown = out.get("data", {}).get("text/plain", "") if out.output_type == "execute_result" else ""
            assert shown not in ("True", "False"), f"a stray {shown} under:\n{cell.source[:200]}"

    def test_metadata_normalised(self, path):
        nb = load(path)
        assert nb.metadata.kernelspec.name == "python3"
        assert "version" not in nb.metadata.get("language_info", {})
        assert all("execution" not in c.metadata for c in nb.cells), "per-cell timings: use `make notebooks`"

    def test_nbval_markers_are_cell_tags_not_comments_a_learner_reads(self, path):
        for cell in load(path).cells:
            assert "NBVAL" not in cell.source.upper().replace("NBVAL-", ""), (
                f"use the cell tag (e.g. nbval-check-output), not a comment, in:\n{cell.source[:200]}"
            )
            unknown = [t for t in cell.metadata.get("tags", []) if t.startswith("nbval") and t not in NBVAL_TAGS]
            assert not unknown, f"nbval ignores these tags: {unknown}"

    def test_prose_speaks_of_the_subject_not_of_how_the_course_is_made(self, path):
        for cell in load(path).cells:
            text = cell.source if cell.cell_type == "markdown" else "\n".join(
                line for line in cell.source.splitlines() if line.lstrip().startswith("#")
            )
            found = PROCESS_WORDS.search(text)
            assert not found, f"{found[0]!r} in: …{text[max(0, found.start() - 80):found.end() + 80]}…"

    def test_lesson_shape(self, path):
        nb = load(path)
        first = nb.cells[0]
        assert first.cell_type == "markdown"
        assert re.search(r"you will learn", first.source, re.I), "open with what the learner will learn"
        assert re.search(r"run time", first.source, re.I), "open with the lesson's run time"
        headings = [c.source for c in nb.cells if c.cell_type == "markdown"]
        assert any(re.search(r"^#+ .*Exercises", h, re.M) for h in headings), "end with exercises"

    def test_budget_knobs_live_in_one_parameters_cell(self, path):
        code = [c for c in load(path).cells if c.cell_type == "code"]
        with_budget = [c for c in code if re.search(r"\bbudget\(", c.source)]
        tagged = [c for c in code if "parameters" in c.metadata.get("tags", [])]
        assert len(tagged) == 1, "one settings cell tagged `parameters`"
        assert with_budget in ([], tagged), "every budget(...) call belongs in the settings cell"
        assert "start_lesson(" in tagged[0].source, "the settings cell seeds the lesson with start_lesson(SEED)"
