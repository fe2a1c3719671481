"""``loaders package`` for a target runtime: pip's wheels for Lambda's Python, architecture
and glibc (Amazon Linux 2023: 2.34), and every shared object checked against that glibc.

Offline: the pip command, the ELF reading (against binutils' where it is installed) and the
build around pip, with pip's step replaced by a scratch folder of local files. The real
builds from the package index need the network (the local index here holds cp311 wheels
only) and run when LOADERS_TEST_INDEX=1.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import zipfile
from importlib import metadata
from pathlib import Path

import pytest
from click.testing import CliRunner
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from loaders import lambda_wheels, package
from loaders.cli import main
from loaders.elf import glibc_needed, is_shared_object_name
from loaders.lambda_wheels import marker_environment, pip_command, platform_tags

pytestmark = pytest.mark.skipif(
    sys.platform != "linux" or sys.implementation.name != "cpython", reason="ELF objects of Linux CPython"
)
PYARROW = Path(str(metadata.distribution("pyarrow").locate_file("pyarrow")))


def libarrow() -> Path:
    return min(PYARROW.glob("libarrow.so*"), key=lambda p: len(p.name))


def small_object() -> Path:
    """The smallest of pyarrow's shared objects that needs a glibc version."""
    objects = sorted((p for p in PYARROW.rglob("*") if is_shared_object_name(p.name)), key=lambda p: p.stat().st_size)
    return next(p for p in objects if glibc_needed(p) is not None)


def test_the_pip_command_asks_for_binary_wheels_of_the_runtime_and_its_glibc(tmp_path: Path) -> None:
    command = pip_command(tmp_path, (3, 12), "x86_64", ["duckdb==2.0.1"])
    assert command[:4] == [sys.executable, "-m", "pip", "install"] and command[-1] == "duckdb==2.0.1"
    text = " ".join(command)
    for part in ("--only-binary=:all:", "--no-deps", "--implementation cp", "--python-version 3.12"):
        assert part in text
    assert f"--target {tmp_path}" in text
    platforms = [command[i + 1] for i, arg in enumerate(command) if arg == "--platform"]
    assert {"manylinux2014_x86_64", "manylinux_2_17_x86_64", "manylinux_2_28_x86_64", "manylinux_2_34_x86_64"} <= set(
        platforms
    )
    assert "manylinux_2_35_x86_64" not in platforms and all(p.endswith("_x86_64") for p in platforms)
    assert platform_tags("arm64", (2, 34))[0] == "manylinux_2_34_aarch64"
    assert "--python-version 3.13" in " ".join(pip_command(tmp_path, (3, 13), "arm64", ["x"]))
    assert marker_environment((3, 13), "arm64")["platform_machine"] == "aarch64"


def objdump_glibc(path: Path) -> tuple[int, int] | None:
    out = subprocess.run(["objdump", "-p", str(path)], capture_output=True, text=True, check=True).stdout
    found = re.findall(r"GLIBC_(\d+)\.(\d+)", out.partition("Version References")[2])
    return max(((int(a), int(b)) for a, b in found), default=None)


@pytest.mark.skipif(shutil.which("objdump") is None, reason="binutils' objdump is not installed")
def test_the_elf_reading_agrees_with_objdump_on_every_shared_object_of_pyarrow() -> None:
    objects = [p for p in PYARROW.rglob("*") if is_shared_object_name(p.name)]
    assert len(objects) > 5
    assert {p.name: glibc_needed(p) for p in objects} == {p.name: objdump_glibc(p) for p in objects}


def test_a_shared_object_needing_more_than_the_runtime_has_is_named() -> None:
    need = glibc_needed(libarrow())
    assert need is not None and need >= (2, 17)
    entries = {
        f"pyarrow/{libarrow().name}": (libarrow(), "pyarrow"),
        "pyarrow/__init__.py": (PYARROW / "__init__.py", "pyarrow"),
    }
    assert package.glibc_problems(entries, "python3.12", need) == []
    older = (need[0], need[1] - 1)
    [problem] = package.glibc_problems(entries, "python3.12", older)
    assert problem.startswith(f"pyarrow/{libarrow().name} (from pyarrow) needs glibc {need[0]}.{need[1]} but")
    assert glibc_needed(PYARROW / "__init__.py") is None  # not ELF


def fake_wheel(scratch: Path) -> None:
    """What pip --target leaves: one distribution with a native module, a conftest.py and tests."""
    files = {
        "fakenative/__init__.py": b"",
        "fakenative/conftest.py": b"import pytest\n",
        "fakenative/tests/test_it.py": b"",
        "fakenative/_native.so": small_object().read_bytes(),
        "fakenative-1.0.dist-info/METADATA": b"Metadata-Version: 2.1\nName: fakenative\nVersion: 1.0\n",
    }
    for name, data in files.items():
        (scratch / name).parent.mkdir(parents=True, exist_ok=True)
        (scratch / name).write_bytes(data)
    record = "".join(f"{name},,\n" for name in [*files, "fakenative-1.0.dist-info/RECORD"])
    (scratch / "fakenative-1.0.dist-info/RECORD").write_text(record)


@pytest.fixture
def fetched(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> list[tuple[tuple[int, int], str, list[str]]]:
    """pip's step, recorded; it 'installs' one small local distribution."""
    calls: list[tuple[tuple[int, int], str, list[str]]] = []

    def fetch(target: Path, python: tuple[int, int], arch: str, requirements: list[str]) -> None:
        calls.append((python, arch, requirements))
        fake_wheel(target)

    monkeypatch.setattr(package, "fetch_wheels", fetch)
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("LOADERS_CONFIG", raising=False)
    return calls


def test_the_installed_versions_are_fetched_for_the_target_and_packed(fetched: list, tmp_path: Path) -> None:
    args = ["package", "--sink", "duckdb", "--out", str(tmp_path / "dist"), "--json", "--python", "3.13"]
    result = CliRunner().invoke(main, [*args, "--arch", "arm64"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert (doc["runtime"], doc["architecture"], doc["glibc"], doc["source"]) == (
        "python3.13",
        "arm64",
        "2.34",
        "index",
    )
    [(python, arch, pins)] = fetched
    assert (python, arch) == ((3, 13), "arm64")
    assert f"duckdb=={metadata.version('duckdb')}" in pins and f"pyarrow=={metadata.version('pyarrow')}" in pins
    assert not [p for p in pins if re.match(r"(loaders|boto3|botocore|s3transfer)==", p)]
    target = {**marker_environment((3, 13), "arm64"), "extra": ""}
    for text in metadata.requires("loaders") or ():
        req = Requirement(text)
        wanted = req.marker is None or req.marker.evaluate(target)
        if wanted and req.name not in package.RUNTIME_PROVIDED:
            assert canonicalize_name(req.name) in {canonicalize_name(p.split("==")[0]) for p in pins}, req
    with zipfile.ZipFile(doc["zip"]) as zf:
        names = set(zf.namelist())
    assert {"fakenative/__init__.py", "fakenative/_native.so", "loaders/package.py"} <= names
    assert "fakenative/conftest.py" not in names and "fakenative/tests/test_it.py" not in names
    assert "fakenative" in {d["name"] for d in doc["distributions"]} and doc["warnings"] == []


def test_a_shared_object_too_new_for_the_runtime_stops_the_build_naming_it(
    fetched: list, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    need = glibc_needed(small_object())
    assert need is not None
    monkeypatch.setattr(lambda_wheels, "RUNTIME_GLIBC", {(3, 12): (need[0], need[1] - 1)})
    result = CliRunner().invoke(main, ["package", "--sink", "duckdb", "--out", str(tmp_path / "dist")])
    assert result.exit_code == 2, result.output
    assert f"fakenative/_native.so (from fakenative) needs glibc {need[0]}.{need[1]}" in result.stderr
    assert "Traceback" not in result.stderr and not (tmp_path / "dist").exists()


def test_installed_refuses_a_runtime_other_than_this_interpreter(tmp_path: Path) -> None:
    other = "3.13" if sys.version_info[:2] != (3, 13) else "3.12"
    result = CliRunner().invoke(
        main, ["package", "--sink", "duckdb", "--out", str(tmp_path), "--installed", "--python", other]
    )
    assert result.exit_code == 2 and "--installed packs this interpreter's wheels" in result.stderr


def python_of(version: str) -> str | None:
    """A real interpreter of that version (pyenv's shims only point at one)."""
    for candidate in (
        *Path.home().glob(f".pyenv/versions/{version}.*/bin/python{version}"),
        shutil.which(f"python{version}"),
    ):
        if candidate and subprocess.run([str(candidate), "-V"], capture_output=True).returncode == 0:
            return str(candidate)
    return None


@pytest.mark.skipif(
    os.environ.get("LOADERS_TEST_INDEX") != "1",
    reason="needs the package index over the network (cp312 manylinux wheels of duckdb and pyarrow are not in "
    "the local index): set LOADERS_TEST_INDEX=1",
)
@pytest.mark.parametrize("arch", ["x86_64", "arm64"])
def test_a_package_built_from_the_index_fits_the_runtime(arch: str, tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "LOADERS_CONFIG"}
    command = [sys.executable, "-m", "loaders", "package", "--sink", "duckdb", "--out", str(tmp_path), "--json"]
    done = subprocess.run(
        [*command, "--arch", arch], cwd=tmp_path, capture_output=True, text=True, env=env, timeout=900
    )
    assert done.returncode == 0, done.stderr
    doc = json.loads(done.stdout)
    assert (doc["runtime"], doc["architecture"], doc["glibc"], doc["fits"]) == ("python3.12", arch, "2.34", True)
    with zipfile.ZipFile(doc["zip"]) as zf:
        zf.extractall(tmp_path / "task")
    machine = {"x86_64": 62, "arm64": 183}[arch]  # ELF e_machine: EM_X86_64, EM_AARCH64
    objects = [p for p in (tmp_path / "task").rglob("*") if is_shared_object_name(p.name)]
    assert any(p.name.startswith("_duckdb") for p in objects)
    packed = {d["name"] for d in doc["distributions"]}
    assert {"duckdb", "pyarrow", "fastavro"} <= packed
    assert "cramjam" in packed or "cramjam" not in str(metadata.requires("loaders"))  # an older install's metadata
    for path in objects:
        assert int.from_bytes(path.read_bytes()[18:20], "little") == machine, path
        assert (glibc_needed(path) or (0, 0)) <= (2, 34), path
    python = python_of("3.12")
    if arch == "x86_64" and python and sys.platform == "linux":
        probe = (
            "import duckdb, pyarrow, fastavro, loaders.cli; print(duckdb.connect().execute('select 42').fetchone()[0])"
        )
        ran = subprocess.run(
            [python, "-I", "-S", "-c", f"import sys; sys.path.insert(0, {str(tmp_path / 'task')!r}); {probe}"],
            capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        assert ran.returncode == 0 and ran.stdout.strip() == "42", ran.stderr


def test_the_default_and_offered_runtimes_are_the_ones_the_terraform_module_accepts() -> None:
    text = (Path(__file__).resolve().parents[2] / "infra/terraform/loader/variables.tf").read_text()
    accepted = re.search(r"contains\(\[([^\]]*)\], var\.runtime\)", text)
    assert accepted is not None
    runtimes = set(re.findall(r'"(python3\.\d+)"', accepted[1]))
    assert {f"python{v}" for v in lambda_wheels.TARGET_PYTHONS} == runtimes
    assert f"python{lambda_wheels.DEFAULT_PYTHON}" in runtimes and lambda_wheels.DEFAULT_ARCH == "x86_64"
