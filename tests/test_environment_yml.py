"""environment.yml (the conda route) must list what pyproject.toml does, with the same
lower bounds: a dependency added to one file and not the other fails here."""

import re
import tomllib
from pathlib import Path

import yaml
from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[1]
# PyPI name -> conda-forge name, where they differ.
CONDA_NAME = {"torch": "pytorch", "graphviz": "python-graphviz"}
# On the conda side only: the interpreter, pip for `-e .`, and the `dot` program itself.
CONDA_ONLY = {"python", "pip", "graphviz"}
# On the pip side only: pure-Python packages not known to be on conda-forge, which `-e .`
# installs from PyPI (they need nothing conda has not already installed).
PIP_ONLY = {"schedulefree"}
SPEC = re.compile(r"^(?P<name>[A-Za-z0-9_.-]+)(?:(?P<op>>=|=)(?P<version>[0-9][0-9.]*))?$")


def pyproject():
    data = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    reqs = [Requirement(r) for r in data["dependencies"]]
    for extra in data.get("optional-dependencies", {}).values():
        reqs += [Requirement(r) for r in extra]
    return data, reqs


def conda_specs():
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    plain = [d for d in env["dependencies"] if isinstance(d, str)]
    pip = [d["pip"] for d in env["dependencies"] if isinstance(d, dict)]
    return env, plain, pip


def lower_bound(spec_set):
    bounds = [s.version for s in spec_set if s.operator == ">="]
    return bounds[0] if bounds else None


def test_channels_are_conda_forge_only():
    env, _, _ = conda_specs()
    assert env["channels"] == ["conda-forge", "nodefaults"]


def test_every_conda_spec_is_a_plain_name_with_an_optional_bound():
    _, plain, _ = conda_specs()
    bad = [s for s in plain if not SPEC.match(s)]
    assert not bad, f"environment.yml: write these as name or name>=X.Y: {bad}"


def test_pip_section_installs_only_the_course_itself():
    _, _, pip = conda_specs()
    assert pip == [["-e ."]], "environment.yml: the pip: list should be exactly `-e .`"


def test_same_dependencies_and_lower_bounds_as_pyproject():
    _, reqs = pyproject()
    _, plain, _ = conda_specs()
    conda = {}
    for s in plain:
        m = SPEC.match(s)
        conda[m["name"]] = m["version"]
    expected = {CONDA_NAME.get(r.name, r.name): lower_bound(r.specifier) for r in reqs if r.name not in PIP_ONLY}
    missing = sorted(set(expected) - set(conda))
    extra = sorted(set(conda) - set(expected) - CONDA_ONLY)
    assert not missing, f"add to environment.yml (they are in pyproject.toml): {missing}"
    assert not extra, f"add to pyproject.toml or remove from environment.yml: {extra}"
    differ = {n: (v, conda[n]) for n, v in expected.items() if conda[n] != v}
    assert not differ, f"lower bounds differ (pyproject, environment.yml): {differ}"


def test_python_version_agrees_with_requires_python():
    data, _ = pyproject()
    _, plain, _ = conda_specs()
    python = next(s for s in plain if s.startswith("python"))
    assert python == "python" + data["requires-python"]
