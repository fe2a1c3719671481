"""The Lambda runtime a package is built for, and its wheels, fetched with pip from the package index.

``loaders package`` (without ``--installed``) packs the versions installed and tested here,
but as the target's wheels: pip downloads them for the runtime's Python version and the
function's architecture, restricted to manylinux tags whose glibc the runtime's OS has,
binary only (``--only-binary=:all:``), into a scratch folder (``--target``). That needs the
package index (the network, or a local index or mirror that pip is configured with) at build
time, and works from any machine with this Python: no build image, no container.
"""

from __future__ import annotations

import platform
import subprocess
import sys
from pathlib import Path

from manifests import ConfigError, TerminalError

#: Lambda Python runtimes → glibc of their OS (python3.11: Amazon Linux 2; later: Amazon Linux 2023).
RUNTIME_GLIBC = {(3, 11): (2, 26), (3, 12): (2, 34), (3, 13): (2, 34), (3, 14): (2, 34)}
#: what ``--python`` offers: the runtimes the Terraform module accepts (infra/terraform/loader)
TARGET_PYTHONS = ("3.12", "3.13")
DEFAULT_PYTHON = "3.12"
#: Lambda's architecture name → the machine name of wheel tags and markers
MACHINES = {"x86_64": "x86_64", "arm64": "aarch64"}
DEFAULT_ARCH = "x86_64"
ARCHITECTURES = {"x86_64": "x86_64", "aarch64": "arm64"}  # this machine's name → Lambda's
BUILD_IMAGE = "public.ecr.aws/sam/build-{}"  # AWS SAM's Lambda build images, one per runtime
OLDEST_MANYLINUX = 17  # manylinux2014 = manylinux_2_17: the oldest tags pip still meets in practice


def parse_python(text: str) -> tuple[int, int]:
    major, _, minor = text.partition(".")
    version = (int(major), int(minor))
    if version not in RUNTIME_GLIBC:
        raise ConfigError(f"--python {text}: not a Lambda Python runtime")
    return version


def index_target(python: str | None, arch: str | None) -> tuple[str, str, tuple[int, int]]:
    """The runtime and architecture asked for (or the defaults), and that runtime's glibc."""
    version = parse_python(python or DEFAULT_PYTHON)
    return f"python{version[0]}.{version[1]}", arch or DEFAULT_ARCH, RUNTIME_GLIBC[version]


def lambda_target(python: str | None = None, arch: str | None = None) -> tuple[str, str, tuple[int, int]]:
    """The runtime and architecture this interpreter's wheels fit, and that runtime's glibc."""
    image = BUILD_IMAGE.format("python3.12")
    build = (
        f"leave out --installed to fetch the runtime's wheels, or build in the Lambda build image (e.g. {image}) "
        "or a Linux venv of the runtime's Python version"
    )
    if sys.platform != "linux" or sys.implementation.name != "cpython" or platform.libc_ver()[0] != "glibc":
        raise ConfigError(
            f"this is {platform.system()} {sys.implementation.name}: a Lambda package holds the wheels installed "
            f"here and Lambda runs Linux (glibc) CPython, so {build}"
        )
    version = sys.version_info[:2]
    if version not in RUNTIME_GLIBC:
        known = ", ".join(f"python{a}.{b}" for a, b in RUNTIME_GLIBC)
        raise ConfigError(f"Python {version[0]}.{version[1]} is not a Lambda runtime ({known}): {build}")
    here = ARCHITECTURES.get(platform.machine())
    if here is None:
        raise ConfigError(f"machine {platform.machine()}: Lambda runs x86_64 or arm64 (aarch64): {build}")
    runtime = f"python{version[0]}.{version[1]}"
    if (python or runtime[6:], arch or here) != (runtime[6:], here):
        raise ConfigError(f"--installed packs this interpreter's wheels, {runtime} {here}: {build}")
    return runtime, here, RUNTIME_GLIBC[version]


def platform_tags(arch: str, glibc: tuple[int, int]) -> list[str]:
    """Every manylinux platform tag a wheel may carry and still load on this glibc, newest first."""
    machine = MACHINES[arch]
    major, newest = glibc
    tags = [f"manylinux_{major}_{minor}_{machine}" for minor in range(newest, OLDEST_MANYLINUX - 1, -1)]
    return [*tags, f"manylinux2014_{machine}"]


def marker_environment(python: tuple[int, int], arch: str) -> dict[str, str]:
    """What requirement markers see in the runtime (Linux CPython on Amazon Linux)."""
    version = f"{python[0]}.{python[1]}"
    return {
        "python_version": version,
        "python_full_version": f"{version}.0",
        "implementation_version": f"{version}.0",
        "implementation_name": "cpython",
        "platform_python_implementation": "CPython",
        "platform_machine": MACHINES[arch],
        "platform_system": "Linux",
        "sys_platform": "linux",
        "os_name": "posix",
    }


def pip_command(target: Path, python: tuple[int, int], arch: str, requirements: list[str]) -> list[str]:
    """``pip install`` of exactly these requirements (no dependencies: the list is the closure)."""
    platforms = [arg for tag in platform_tags(arch, RUNTIME_GLIBC[python]) for arg in ("--platform", tag)]
    return [
        sys.executable, "-m", "pip", "install", "--target", str(target),
        "--no-deps", "--only-binary=:all:", "--no-compile", "--no-warn-script-location",
        "--disable-pip-version-check", "--quiet",
        "--implementation", "cp", "--python-version", f"{python[0]}.{python[1]}", *platforms,
        *requirements,
    ]  # fmt: skip


def fetch_wheels(target: Path, python: tuple[int, int], arch: str, requirements: list[str]) -> None:
    """Install the runtime's wheels of ``requirements`` into ``target``; TerminalError naming pip's reason."""
    if not requirements:
        return
    done = subprocess.run(pip_command(target, python, arch, requirements), capture_output=True, text=True)
    if done.returncode != 0:
        reason = " ".join(line.strip() for line in done.stderr.splitlines() if line.strip().startswith("ERROR"))
        raise TerminalError(
            f"pip could not fetch wheels for python{python[0]}.{python[1]} {arch} "
            f"(manylinux, glibc <= {RUNTIME_GLIBC[python][0]}.{RUNTIME_GLIBC[python][1]}) from the package index: "
            f"{reason or done.stderr.strip()[-500:] or f'exit status {done.returncode}'}"
        )
