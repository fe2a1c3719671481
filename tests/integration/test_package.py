"""``loaders package --installed`` builds a Lambda zip from the installed environment, offline.

The DuckDB package (the core: duckdb + pyarrow, ~200 MB unzipped) is built twice per
module, once by sink type and once by a loaders.toml sink name, and every test reads
those two builds. The unzipped tree is then run with ``python -I -S``: no site-packages at
all, only the zip's contents plus a folder standing in for the Lambda runtime's AWS SDK,
which is what a function sees in Lambda.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import re
import subprocess
import sys
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from loaders import package
from loaders.cli import main

ROOT = Path(__file__).resolve().parents[2]
LIMIT = 262_144_000
#: import names of what the Lambda Python runtime provides (see loaders.package.RUNTIME_PROVIDED)
RUNTIME_SDK = ("boto3", "botocore", "s3transfer", "jmespath", "dateutil", "urllib3", "six")

pytestmark = pytest.mark.skipif(
    sys.platform != "linux" or sys.implementation.name != "cpython", reason="Lambda packages are built on Linux CPython"
)


@dataclass(frozen=True)
class Built:
    zip: Path
    doc: dict[str, Any]
    seconds: float


def run_package(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "LOADERS_CONFIG"}
    return subprocess.run(
        [sys.executable, "-m", "loaders", "package", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )


def build(cwd: Path, out: Path, sink: str) -> Built:
    start = time.perf_counter()
    done = run_package(cwd, "--sink", sink, "--out", str(out), "--json", "--installed")
    assert done.returncode == 0, done.stderr
    doc = json.loads(done.stdout)
    return Built(Path(doc["zip"]), doc, time.perf_counter() - start)


@pytest.fixture(scope="module")
def by_type(tmp_path_factory: pytest.TempPathFactory) -> Built:
    return build(tmp_path_factory.mktemp("no-config"), tmp_path_factory.mktemp("dist"), "duckdb")


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("project")
    (root / "loaders.toml").write_text(
        '[store]\nroot = "./lake"\n\n[sinks.local]\ntype = "duckdb"\nurl = "duckdb:///${NOT_SET_ANYWHERE}.duckdb"\n'
    )
    return root


@pytest.fixture(scope="module")
def by_name(project: Path, tmp_path_factory: pytest.TempPathFactory) -> Built:
    return build(project, tmp_path_factory.mktemp("dist"), "local")


@pytest.fixture(scope="module")
def unzipped(by_type: Built, tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("task")
    with zipfile.ZipFile(by_type.zip) as zf:
        zf.extractall(target)
    return target


@pytest.fixture(scope="module")
def lambda_runtime(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The runtime's SDK, as /var/runtime offers it: links to this venv's copies."""
    folder = tmp_path_factory.mktemp("runtime")
    for name in RUNTIME_SDK:
        spec = importlib.util.find_spec(name)
        assert spec is not None and spec.origin is not None
        source = Path(spec.origin).parent if spec.submodule_search_locations else Path(spec.origin)
        (folder / source.name).symlink_to(source)
    return folder


def names(built: Built) -> set[str]:
    with zipfile.ZipFile(built.zip) as zf:
        return set(zf.namelist())


def test_the_zip_has_the_wheels_layout_and_the_core_dependencies(by_type: Built) -> None:
    got = names(by_type)
    assert by_type.zip.name == "loaders-duckdb.zip"
    templates = {f"sql/{p.relative_to(ROOT / 'sql').as_posix()}" for p in (ROOT / "sql").rglob("*.sql")}
    assert "sql/default/insert.sql" in templates and templates <= got
    for module in ("loaders/cli/__init__.py", "loaders/package.py", "sinks/sql/templates.py", "manifests/errors.py"):
        assert module in got
    if (ROOT / "loaders/aws/__init__.py").exists():
        assert "loaders/aws/__init__.py" in got
    tops = {n.split("/", 1)[0] for n in got}
    assert {"duckdb", "pyarrow", "jinja2", "aws_lambda_powertools", "sqlglot", "fsspec"} <= tops
    assert any(n.startswith("loaders-") and n.endswith(".dist-info/METADATA") for n in got)


def test_the_zip_leaves_out_the_runtime_sdk_bytecode_and_dead_weight(by_type: Built) -> None:
    got = names(by_type)
    tops = {n.split("/", 1)[0] for n in got}
    assert not tops & {"boto3", "botocore", "s3transfer", "jmespath", "dateutil", "urllib3", "six.py"}
    assert not [n for n in got if "__pycache__" in n or n.endswith((".pyc", ".pyi", ".pxd", ".pyx", ".h"))]
    assert not [
        n for n in got if n.endswith(".dist-info/RECORD") or n.startswith(("pyarrow/tests/", "pyarrow/include/"))
    ]
    assert not [n for n in got if n.startswith(("pyarrow/flight", "pyarrow/_flight", "pyarrow/libarrow_flight"))]
    assert not [n for n in got if n.startswith("pygments/")]  # rich renders tables without it
    # one copy of each pyarrow C++ library, under its soname (what the unzipped package loads)
    libraries = [n for n in got if n.startswith(("pyarrow/libarrow", "pyarrow/libparquet"))]
    assert any(re.fullmatch(r"pyarrow/libarrow_python\.so\.\d+", n) for n in libraries), libraries
    assert all(re.fullmatch(r"pyarrow/lib(arrow|parquet)\w*\.so\.\d+", n) for n in libraries), libraries
    assert {d["name"] for d in by_type.doc["provided_by_runtime"]} >= {"boto3", "botocore", "s3transfer"}


def test_the_report_adds_up_and_fits_the_lambda_limit(by_type: Built) -> None:
    doc = by_type.doc
    with zipfile.ZipFile(by_type.zip) as zf:
        infos = zf.infolist()
    assert doc["unzipped_bytes"] == sum(i.file_size for i in infos) == sum(d["bytes"] for d in doc["distributions"])
    assert doc["zipped_bytes"] == by_type.zip.stat().st_size
    assert doc["limit_bytes"] == LIMIT and doc["unzipped_bytes"] < LIMIT and doc["fits"] is True
    sizes = [d["bytes"] for d in doc["distributions"]]
    assert sizes == sorted(sizes, reverse=True)
    assert {"duckdb", "pyarrow", "aws-lambda-powertools", "loaders"} <= {d["name"] for d in doc["distributions"]}
    assert not {d["name"] for d in doc["distributions"]} & {"boto3", "botocore"}
    assert doc["runtime"] == f"python{sys.version_info[0]}.{sys.version_info[1]}"
    assert doc["architecture"] in ("x86_64", "arm64") and doc["sink_type"] == "duckdb" and doc["extras"] == ["aws"]
    assert {i.date_time for i in infos} == {(1980, 1, 1, 0, 0, 0)}
    assert {i.external_attr >> 16 for i in infos} <= {0o100644, 0o100755}


def test_building_again_gives_the_same_bytes_and_a_config_sink_packs_its_type(by_type: Built, by_name: Built) -> None:
    assert by_name.zip.name == "loaders-local.zip"
    assert (by_name.doc["sink"], by_name.doc["sink_type"]) == ("local", "duckdb")
    digests = {hashlib.sha256(b.zip.read_bytes()).hexdigest() for b in (by_type, by_name)}
    assert len(digests) == 1
    print(f"package builds took {by_type.seconds:.1f} s and {by_name.seconds:.1f} s")


PROBE = """
import importlib.metadata, json, sys
sys.path.insert(0, sys.argv[1])
sys.path.append(sys.argv[2])
import aws_lambda_powertools, duckdb, jinja2, pyarrow, pyarrow.dataset, pyarrow.fs, sqlglot
import pyarrow.parquet as pq
import loaders, loaders.cli, loaders.report, manifests, sinks.duckdb
import rich.console, rich.table
rich.console.Console(file=open(sys.argv[4] + ".txt", "w")).print(rich.table.Table("a", "b"))
from manifests.secrets import sink_url
from sinks.sql.templates import SHIPPED, Templates
if sys.argv[3] == "aws":
    import loaders.aws
table = pyarrow.table({"a": [1, 2, 3]})
pq.write_table(table, sys.argv[4])
try:
    import pyarrow.flight
    flight = True
except ImportError:
    flight = False
print(json.dumps({
    "files": {m.__name__: m.__file__ for m in (aws_lambda_powertools, duckdb, jinja2, pyarrow, loaders, sinks)},
    "shipped": str(SHIPPED),
    "sql": Templates("duckdb").render("drop_stage", stage="s", format="csv"),
    "sum": duckdb.connect().execute(f"SELECT sum(a) FROM read_parquet('{sys.argv[4]}')").fetchone()[0],
    "version": importlib.metadata.version("loaders"),
    "flight": flight,
    "boto3": __import__("boto3").__file__,
    "password": sink_url("postgresql+psycopg://u:p/w@h:5432/db", ("postgresql+psycopg",), "").password,
}))
"""


def test_the_unzipped_package_runs_without_any_site_packages(
    unzipped: Path, lambda_runtime: Path, tmp_path: Path
) -> None:
    aws = "aws" if (unzipped / "loaders/aws/__init__.py").exists() else "-"
    done = subprocess.run(
        [sys.executable, "-I", "-S", "-c", PROBE, str(unzipped), str(lambda_runtime), aws, str(tmp_path / "t.parquet")],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    got = json.loads(done.stdout)
    for module, file in got["files"].items():
        assert Path(file).is_relative_to(unzipped), (module, file)
    assert got["shipped"] == str(unzipped / "sql")
    assert got["sql"] == 'DROP TABLE IF EXISTS "s"'
    assert got["sum"] == 6
    assert got["version"] == importlib.metadata.version("loaders")
    assert got["flight"] is False  # pruned on purpose (see loaders.package)
    assert got["password"] == "p/w"  # SQLAlchemy's URL, without its pruned ORM, dialects and speed-ups
    assert Path(got["boto3"]).is_relative_to(lambda_runtime)


def test_an_unknown_sink_exits_2_naming_it(tmp_path: Path, project: Path) -> None:
    done = run_package(tmp_path, "--sink", "nosuch", "--out", str(tmp_path / "dist"))
    assert done.returncode == 2 and done.stdout == ""
    assert "nosuch" in done.stderr and "duckdb" in done.stderr and "Traceback" not in done.stderr
    done = run_package(project, "--sink", "nosuch", "--out", str(tmp_path / "dist"))
    assert done.returncode == 2 and "nosuch" in done.stderr and "local" in done.stderr
    assert not (tmp_path / "dist").exists()


@pytest.mark.skipif(importlib.util.find_spec("redshift_connector") is not None, reason="redshift extra installed")
def test_a_sink_whose_extra_is_not_installed_exits_2_with_the_pip_command(tmp_path: Path) -> None:
    done = run_package(tmp_path, "--sink", "redshift", "--out", str(tmp_path))
    assert done.returncode == 2
    assert "redshift-connector" in done.stderr and "pip install 'loaders[aws,redshift]'" in done.stderr


def test_a_package_over_the_limit_exits_1_naming_the_largest(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Only loaders itself is packed (fast); a tiny limit stands in for 250 MB."""
    real = package.resolve
    monkeypatch.setattr(package, "resolve", lambda extras: ([d for d in real(extras)[0] if d.name == "loaders"], []))
    monkeypatch.setattr(package, "LIMIT_BYTES", 1000)
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("LOADERS_CONFIG", raising=False)
    result = CliRunner().invoke(main, ["package", "--sink", "duckdb", "--out", str(tmp_path), "--json", "--installed"])
    assert result.exit_code == 1, result.output
    assert json.loads(result.stdout)["fits"] is False
    assert "MB limit (largest: loaders " in result.stderr and "over Lambda's" in result.stderr
    assert (tmp_path / "loaders-duckdb.zip").exists()  # kept, to look into


def test_a_build_off_linux_is_refused_with_the_build_image(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "platform", "darwin")
    with pytest.raises(package.ConfigError, match=r"public\.ecr\.aws/sam/build-python3"):
        package.lambda_target()
