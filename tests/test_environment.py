"""The three dependency layers agree: pyproject's ranges admit the lock's exact pins, and
environment.yml (Binder/conda) names the same versions as the lock."""

import re

import pytest
import yaml
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

from conftest import ROOT

# conda-forge package name -> PyPI name, where they differ
CONDA_TO_PYPI = {"pytorch-cpu": "torch", "pytorch": "torch", "jupyterhub-base": "jupyterhub"}


def read_lock() -> dict[str, Version]:
    pins = {}
    for line in (ROOT / "requirements.lock").read_text(encoding="utf8").splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        match = re.fullmatch(r"([A-Za-z0-9_.\-]+)==([^\s;]+)", line)
        assert match, f"requirements.lock: not an exact pin: {line!r}"
        pins[canonicalize_name(match.group(1))] = Version(match.group(2))
    return pins


def read_pyproject() -> dict:
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10
        import tomli as tomllib
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf8"))


def pyproject_requirements() -> list[Requirement]:
    project = read_pyproject()["project"]
    requirements = [Requirement(r) for r in project["dependencies"]]
    for extra in project["optional-dependencies"].values():
        requirements += [Requirement(r) for r in extra]
    return requirements


def conda_pins() -> dict[str, str]:
    env = yaml.safe_load((ROOT / "environment.yml").read_text(encoding="utf8"))
    pins = {}
    for dep in env["dependencies"]:
        if isinstance(dep, dict):
            continue
        name, _, version = dep.partition("=")
        pins[name] = version.lstrip("=")
    return pins


def test_lock_pins_torch_cpu_version_and_key_packages():
    lock = read_lock()
    assert lock["torch"] == Version("2.13.0")
    for name in ["jupyterlab", "notebook", "ipywidgets", "matplotlib", "numpy", "scipy",
                 "nbgrader", "nbval", "gensim", "tqdm", "ruff", "pytest", "playwright"]:
        assert name in lock, f"requirements.lock does not pin {name}"


def test_every_pyproject_dependency_is_locked_inside_its_range():
    lock = read_lock()
    for requirement in pyproject_requirements():
        if requirement.marker and not requirement.marker.evaluate():
            continue  # e.g. tomli, only on Python 3.10
        name = canonicalize_name(requirement.name)
        assert name in lock, f"{requirement} is in pyproject.toml but not in requirements.lock"
        assert requirement.specifier.contains(lock[name], prereleases=True), (
            f"requirements.lock pins {name}=={lock[name]}, outside pyproject's range "
            f"{requirement.specifier}"
        )


def test_pyproject_uses_ranges_not_pins():
    for requirement in pyproject_requirements():
        assert not any(s.operator == "==" for s in requirement.specifier), (
            f"pyproject.toml pins {requirement}: use a compatible range; pins go in the lock"
        )


def disagreements(lock: dict[str, Version], pins: dict[str, str]) -> list[str]:
    problems = []
    for conda_name, version in pins.items():
        if conda_name in ("python", "pip"):
            continue
        name = canonicalize_name(CONDA_TO_PYPI.get(conda_name, conda_name))
        if name not in lock:
            problems.append(f"environment.yml names {conda_name}, which requirements.lock lacks")
        elif not version:
            problems.append(f"environment.yml: {conda_name} has no exact version")
        elif Version(version) != lock[name]:
            problems.append(
                f"environment.yml pins {conda_name}={version}, requirements.lock {name}=={lock[name]}"
            )
    return problems


def test_environment_yml_matches_lock():
    pins = conda_pins()
    assert "pytorch-cpu" in pins, "environment.yml must use CPU-only torch (pytorch-cpu)"
    assert "pytorch" not in pins and "cudatoolkit" not in pins
    assert len(pins) >= 10
    assert disagreements(read_lock(), pins) == []


@pytest.mark.parametrize("conda_name", ["numpy", "pytorch-cpu"])
def test_a_wrong_version_in_environment_yml_is_reported(conda_name):
    pins = dict(conda_pins(), **{conda_name: "0.0.1"})
    problems = disagreements(read_lock(), pins)
    assert len(problems) == 1 and f"{conda_name}=0.0.1" in problems[0]
    assert disagreements(read_lock(), dict(conda_pins(), leftpad="1.0")) == [
        "environment.yml names leftpad, which requirements.lock lacks"]


def test_environment_yml_installs_the_package_and_uses_conda_forge():
    env = yaml.safe_load((ROOT / "environment.yml").read_text(encoding="utf8"))
    assert env["channels"][0] == "conda-forge"
    pip_section = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    assert "-e ." in pip_section or "." in pip_section


def test_code_avoids_syntax_newer_than_python_310():
    import ast

    for path in sorted((ROOT / "course_utils").rglob("*.py")):
        ast.parse(path.read_text(encoding="utf8"), filename=str(path), feature_version=(3, 10))


def test_compat_constraints_are_pyproject_lower_bounds():
    compat = {}
    for line in (ROOT / "requirements-compat.txt").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            name, version = line.split("==")
            compat[canonicalize_name(name)] = Version(version)
    ranges = {canonicalize_name(r.name): r for r in pyproject_requirements()}
    for name in ("numpy", "matplotlib", "ipywidgets", "anywidget"):
        lower = [Version(s.version) for s in ranges[name].specifier if s.operator == ">="]
        assert lower == [compat[name]], (
            f"requirements-compat.txt pins {name}=={compat[name]}, pyproject's lower bound is {lower}")
    assert compat["ipywidgets"].major == 7
    # The text strip's browser test runs there in the front ends of ipywidgets 7.
    assert compat["jupyterlab"].major == 3 and compat["notebook"].major == 6
    assert compat["jupyterlab-widgets"].major == 1 and compat["widgetsnbextension"].major == 3
    assert compat["torch"] == read_lock()["torch"], "compat keeps the lock's (CPU) torch"
