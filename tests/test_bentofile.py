"""`bentoml build` reads bentofile.yaml: it must name the service, the model and the locked dependencies."""

from __future__ import annotations

import re
import tomllib

import yaml
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

from serving.launch import PROJECT_ROOT, SERVICE
from serving.model_store import BENTO_MODEL_NAME

PIN = re.compile(r"^([A-Za-z0-9_.-]+)==(\S+) \\$", re.MULTILINE)


def locked_versions(lock_name: str) -> dict[str, Version]:
    text = (PROJECT_ROOT / lock_name).read_text()
    return {canonicalize_name(name): Version(version) for name, version in PIN.findall(text)}


def test_bentofile_matches_the_project():
    bentofile = yaml.safe_load((PROJECT_ROOT / "bentofile.yaml").read_text())
    assert bentofile["service"] == SERVICE
    assert bentofile["models"] == [f"{BENTO_MODEL_NAME}:latest"]
    assert bentofile["python"]["requirements_txt"] == "./requirements.lock"


def test_every_locked_pin_has_a_hash_and_satisfies_the_project_ranges():
    pyproject = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())["project"]
    extras = pyproject["optional-dependencies"]
    for lock_name, requirements in [
        ("requirements.lock", pyproject["dependencies"]),
        ("requirements-dev.lock", pyproject["dependencies"] + extras["dev"] + extras["ray"]),
    ]:
        text = (PROJECT_ROOT / lock_name).read_text()
        pins = locked_versions(lock_name)
        assert len(pins) == text.count("==") and text.count(" \\\n    --hash=sha256:") >= len(pins)
        for line in requirements:
            requirement = Requirement(line)
            version = pins[canonicalize_name(requirement.name)]
            assert requirement.specifier.contains(version, prereleases=True), (lock_name, line, version)


def test_the_service_lock_leaves_out_the_ray_extra():
    assert "ray" not in locked_versions("requirements.lock")
    assert "ray" in locked_versions("requirements-dev.lock")


def test_the_service_lock_agrees_with_the_development_lock():
    service, development = locked_versions("requirements.lock"), locked_versions("requirements-dev.lock")
    assert {name: development[name] for name in service} == service


def test_every_package_of_the_project_is_packed_into_the_bento():
    bentofile = yaml.safe_load((PROJECT_ROOT / "bentofile.yaml").read_text())
    setuptools = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    packages = [pattern.rstrip("*") for pattern in setuptools["packages"]["find"]["include"]]
    assert sorted(f"{package}/**/*.py" for package in packages) == sorted(
        pattern for pattern in bentofile["include"] if pattern.endswith("/**/*.py")
    )
