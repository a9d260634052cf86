"""deploy packages what the flow needs and nothing else (sfncompile/aws/package.py)."""
from __future__ import annotations

import os

import pytest

from sfncompile.aws import package as package_module
from sfncompile.aws.package import build_package
from sfncompile.exceptions import ConfigError


@pytest.fixture
def project(tmp_path):
    root = tmp_path / "proj"
    files = {
        "flow.py": "print('flow')\n",
        "lib/util.py": "X = 1\n",
        "data/table.csv": "a,b\n",
        "configs/model.yaml": "depth: 3\n",
        "scratch/try.py": "pass\n",
        ".env": "AWS_SECRET_ACCESS_KEY=x\n",
        "keys/id_rsa": "-----BEGIN\n",
        "deploy.pem": "-----BEGIN\n",
        ".aws/credentials": "[default]\n",
        ".git/config": "[core]\n",
        "notes.txt": "hello\n",
    }
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def test_only_python_sources_by_default_never_secrets_or_vcs(project):
    package = build_package(str(project / "flow.py"))
    assert package.files == ("flow.py", os.path.join("lib", "util.py"), os.path.join("scratch", "try.py"))


def test_include_patterns_and_ignore_file(project):
    (project / ".sfncompileignore").write_text("# scratch work\nscratch/\n!configs/*.yaml\n")
    package = build_package(str(project / "flow.py"), include=["data/*.csv"])
    assert package.files == (
        os.path.join("configs", "model.yaml"), os.path.join("data", "table.csv"), "flow.py",
        os.path.join("lib", "util.py"),
    )


def test_an_include_pattern_that_names_a_secret_is_an_error(project):
    with pytest.raises(ConfigError, match=r"\.env matches an include pattern but looks like a secret"):
        build_package(str(project / "flow.py"), include=[".env*"])


def test_includefile_defaults_are_packed_or_rejected_at_deploy(project, tmp_path):
    package = build_package(str(project / "flow.py"), file_defaults=[("notes", "notes.txt")])
    assert "notes.txt" in package.files
    with pytest.raises(ConfigError, match="IncludeFile 'notes' defaults to 'missing.txt', which does not exist"):
        build_package(str(project / "flow.py"), file_defaults=[("notes", "missing.txt")])
    outside = tmp_path / "elsewhere.txt"
    outside.write_text("x")
    with pytest.raises(ConfigError, match="outside the flow's directory"):
        build_package(str(project / "flow.py"), file_defaults=[("notes", str(outside))])
    with pytest.raises(ConfigError, match="looks like a secret"):
        build_package(str(project / "flow.py"), file_defaults=[("notes", ".env")])


def test_the_package_size_is_capped_with_a_clear_message(project, monkeypatch):
    monkeypatch.setattr(package_module, "MAX_PACKAGE_BYTES", 1024)
    (project / "data" / "big.csv").write_text("x" * 4096)
    with pytest.raises(ConfigError, match=r"would be 0\.0 MiB, over the .* limit; largest: data/big\.csv"):
        build_package(str(project / "flow.py"), include=["data/*"])
