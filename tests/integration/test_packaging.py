"""The wheel ships the SQL templates, and an installed (non-editable) package finds them."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(out), str(ROOT)],
        check=True,
        capture_output=True,
    )
    [built] = out.glob("loaders-*.whl")
    return built


def test_the_wheel_holds_the_packages_and_every_template(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    shipped = {str(p.relative_to(ROOT)) for p in (ROOT / "sql").rglob("*.sql")}
    assert shipped and shipped <= names
    for package in ("loaders/__init__.py", "sinks/duckdb.py", "manifests/parse.py"):
        assert package in names
    assert not any(n.startswith("tests/") for n in names)


def test_an_installed_package_finds_its_templates(wheel: Path, tmp_path: Path) -> None:
    site = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(site), str(wheel)],
        check=True,
        capture_output=True,
    )
    probe = (
        "import sinks, sinks.sql.templates as t; "
        "print(sinks.__file__); print(t.SHIPPED); "
        "print(t.Templates('duckdb').render('drop_stage', stage='s', format='csv'))"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(site)},
        check=True,
    )
    module, shipped, sql = done.stdout.splitlines()
    assert module.startswith(str(site)) and shipped == str(site / "sql")
    assert sql == 'DROP TABLE IF EXISTS "s"'
