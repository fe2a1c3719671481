"""``loaders package``: a Lambda deployment zip of loaders plus one sink's extras.

Decisions, and why:

* **Built from this environment's installed distributions**, as serverless tooling does in
  the Lambda build image: offline, repeatable, and exactly the versions installed and
  tested here. The wheels are native, so this must be Linux (glibc) CPython of the
  runtime's version; anything else is refused. The closure of ``loaders[aws,<sink type>]``
  comes from the installed metadata (markers evaluated here, extras of dependencies
  followed), so the extras are declared once, in pyproject.toml.
* **The AWS SDK is the Lambda runtime's**: boto3, botocore, s3transfer, jmespath,
  python-dateutil, urllib3 and six are not packed. Packed, they add 22.5 MB and the
  Snowflake package (232.5 MB without them) goes over the 250 MB limit. The price:
  loaders is tested with boto3 >= 1.44 and the runtime's SDK is usually months older.
  What loaders calls (S3 incl. conditional writes, in botocore since late 2024; SNS, SQS,
  Glue, Athena) is in every runtime SDK since 2025, and a parameter an old botocore lacks
  fails loudly (ParamValidationError), never silently. A newer SDK can go in a layer.
* **Trimmed where nothing imports it**: bytecode, stubs, Cython and C/C++ sources and
  headers, ``tests/`` and ``include/`` inside third-party packages, RECORD files (they would
  list trimmed files), and pyarrow's Arrow Flight RPC (32 MB; neither loaders, duckdb nor a
  driver imports ``pyarrow.flight``, which fails to import in the package); of SQLAlchemy,
  whose URL is all loaders uses, the ORM, extensions, dialects and optional speed-ups
  (12.9 MB → 2.9 MB, with greenlet, which only its asyncio support imports). Dist-info
  METADATA stays, so ``importlib.metadata`` (``loaders --version``) works.
* **An editable loaders** (``pip install -e``) has only a .pth in its RECORD: its packages
  and ``sql/`` are taken from the source tree, in the wheel's layout.
* **Deterministic**: sorted names, one fixed timestamp, 0644/0755 modes: same input, same bytes.
"""

from __future__ import annotations

import importlib
import json
import os
import platform
import re
import sys
import tomllib
import zipfile
from collections.abc import Iterable
from fnmatch import fnmatch
from importlib import metadata
from pathlib import Path, PurePosixPath
from typing import Any, TypedDict

from packaging.requirements import Requirement
from packaging.tags import parse_tag
from packaging.utils import canonicalize_name

from manifests import ConfigError, TerminalError

#: Lambda's limit for a function's code plus its layers, unzipped ("250 MB" = 250 MiB).
LIMIT_BYTES = 250 * 1024 * 1024
MB = 1024 * 1024
#: the AWS SDK and its dependencies, importable in every Lambda Python runtime.
RUNTIME_PROVIDED = frozenset({"boto3", "botocore", "s3transfer", "jmespath", "python-dateutil", "urllib3", "six"})
#: Lambda Python runtimes → glibc of their OS (python3.11: Amazon Linux 2; later: AL2023).
RUNTIME_GLIBC = {(3, 11): (2, 26), (3, 12): (2, 34), (3, 13): (2, 34), (3, 14): (2, 34)}
ARCHITECTURES = {"x86_64": "x86_64", "aarch64": "arm64"}
BUILD_IMAGE = "public.ecr.aws/sam/build-{}"  # AWS SAM's Lambda build images, one per runtime
STRIP_SUFFIXES = (".pyc", ".pyo", ".pyi", ".pyx", ".pxd", ".pxi", ".h", ".hpp", ".c", ".cc", ".cpp", ".pth")
STRIP_DIRS = frozenset({"tests", "include"})  # only below a third-party package's top level
DIST_INFO_DROP = frozenset({"RECORD", "INSTALLER", "REQUESTED", "direct_url.json"})
PRUNE = {
    "pyarrow": ("pyarrow/flight.py", "pyarrow/_flight.*", "pyarrow/lib*flight.so*", "pyarrow/_pyarrow_cpp_tests.*"),
    # loaders uses SQLAlchemy's URL only: its ORM, extensions, test kit and dialects are never
    # imported, and its compiled speed-ups and greenlet (asyncio) are optional imports
    "sqlalchemy": tuple(f"sqlalchemy/{d}/*" for d in ("cyextension", "orm", "ext", "testing", "dialects/*")),
    "greenlet": ("greenlet/*",),
}
SOURCE_PACKAGES = ("loaders", "sinks", "manifests")  # the wheel's packages, plus sql/
FIXED_TIME = (1980, 1, 1, 0, 0, 0)
_LEGACY_MANYLINUX = {"manylinux1": (2, 5), "manylinux2010": (2, 12), "manylinux2014": (2, 17)}


class PackedDistribution(TypedDict):
    """One distribution in the package, as the report lists it."""

    name: str
    version: str
    bytes: int


def build_package(sink_name: str, out_dir: str, *, config_path: str | None = None, as_json: bool = False) -> None:
    """Write ``out_dir/loaders-<sink>.zip``, print what is in it; TerminalError if it is too big."""
    kind = sink_type(sink_name, config_path)
    runtime, arch, glibc = lambda_target()
    provided_extras = set(metadata.metadata("loaders").get_all("Provides-Extra") or ())
    extras = sorted({"aws"} | ({kind} & provided_extras))
    dists, from_runtime = resolve(extras)
    entries: dict[str, tuple[Path, str]] = {}
    for dist in dists:
        for arc, path in dist_files(dist).items():
            if arc in entries:
                raise ConfigError(f"{arc} is installed by both {entries[arc][1]} and {dist.name}; fix the environment")
            entries[arc] = (path, dist.name)
    zip_path = Path(out_dir, f"loaders-{re.sub(r'[^A-Za-z0-9_.-]', '_', sink_name)}.zip").absolute()
    sizes = write_zip(zip_path, {arc: path for arc, (path, _) in entries.items()})
    per_dist = {d.name: 0 for d in dists}  # keyed by the metadata name, reported canonical
    for arc, (_, owner) in entries.items():
        per_dist[owner] += sizes[arc]
    rows = [
        PackedDistribution(name=canonicalize_name(d.name), version=d.version, bytes=per_dist[d.name]) for d in dists
    ]
    rows.sort(key=lambda r: (-r["bytes"], r["name"]))
    unzipped = sum(sizes.values())
    doc = {
        "zip": str(zip_path),
        "zipped_bytes": zip_path.stat().st_size,
        "unzipped_bytes": unzipped,
        "limit_bytes": LIMIT_BYTES,
        "fits": unzipped <= LIMIT_BYTES,
        "runtime": runtime,
        "architecture": arch,
        "sink": sink_name,
        "sink_type": kind,
        "extras": extras,
        "distributions": rows,
        "provided_by_runtime": [  # the versions tested here, and what packing them would add
            {"name": canonicalize_name(d.name), "version": d.version, "bytes": packed_bytes(d)} for d in from_runtime
        ],
        "warnings": glibc_warnings(dists, runtime, glibc),
    }
    from loaders.report import print_package

    print_package(doc, as_json)
    if not doc["fits"]:
        largest = ", ".join(f"{r['name']} {r['bytes'] / MB:.1f} MB" for r in rows[:3])
        raise TerminalError(
            f"{zip_path}: {unzipped / MB:.1f} MB unzipped is over Lambda's {LIMIT_BYTES / MB:g} MB limit "
            f"(largest: {largest}); deploy sinks separately, or as a container image (10 GB limit)"
        )


def sink_type(name: str, config_path: str | None) -> str:
    """A sink of loaders.toml decides by its ``type``; otherwise NAME must be a sink type."""
    from sinks import REGISTRY

    types = tuple(REGISTRY)
    source, configured = configured_sinks(config_path)
    if name in configured:
        kind = configured[name]
        if kind not in types:
            raise ConfigError(f"{source}: sinks.{name}.type: unknown sink type {kind!r} (known: {', '.join(types)})")
        return str(kind)
    if name in types:
        return name
    where = f"not a sink of {source} ({', '.join(configured) or 'none'}) and " if source else ""
    raise ConfigError(f"--sink {name}: {where}not a sink type ({', '.join(types)})")


def configured_sinks(config_path: str | None) -> tuple[str | None, dict[str, Any]]:
    """Sink name → type from the config, if there is one.

    A local loaders.toml is read without ``${VAR}`` interpolation: building a package must
    not need the warehouse passwords that the sink URLs name, which a CI box does not have.
    """
    chosen = config_path or os.environ.get("LOADERS_CONFIG")
    if not chosen and not os.path.exists("loaders.toml"):
        return None, {}
    from loaders.config import find_config, load_config

    source = find_config(chosen)
    if source.startswith("s3://"):
        return source, {n: s.get("type") for n, s in load_config(source).sinks.items()}
    try:
        with open(source, "rb") as fh:
            sinks = tomllib.load(fh).get("sinks", {})
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{source}: not valid TOML ({exc})") from None
    except OSError as exc:  # a folder, no permission
        raise ConfigError(f"{source}: cannot read the configuration file ({exc.strerror or exc})") from None
    if not isinstance(sinks, dict):
        raise ConfigError(f"{source}: [sinks]: must be a table")
    return source, {n: s.get("type") if isinstance(s, dict) else None for n, s in sinks.items()}


def lambda_target() -> tuple[str, str, tuple[int, int]]:
    """The runtime and architecture this interpreter's wheels fit, and that runtime's glibc."""
    image = BUILD_IMAGE.format("python3.12")
    build = f"build in the Lambda build image (e.g. {image}) or a Linux venv of the runtime's Python version"
    if sys.platform != "linux" or sys.implementation.name != "cpython" or platform.libc_ver()[0] != "glibc":
        raise ConfigError(
            f"this is {platform.system()} {sys.implementation.name}: a Lambda package holds the wheels installed "
            f"here and Lambda runs Linux (glibc) CPython, so {build}"
        )
    version = sys.version_info[:2]
    if version not in RUNTIME_GLIBC:
        known = ", ".join(f"python{a}.{b}" for a, b in RUNTIME_GLIBC)
        raise ConfigError(f"Python {version[0]}.{version[1]} is not a Lambda runtime ({known}): {build}")
    arch = ARCHITECTURES.get(platform.machine())
    if arch is None:
        raise ConfigError(f"machine {platform.machine()}: Lambda runs x86_64 or arm64 (aarch64): {build}")
    return f"python{version[0]}.{version[1]}", arch, RUNTIME_GLIBC[version]


def resolve(extras: Iterable[str]) -> tuple[list[metadata.Distribution], list[metadata.Distribution]]:
    """Installed distributions ``loaders[extras]`` needs: (to pack, provided by the runtime)."""
    root = Requirement(f"loaders[{','.join(extras)}]")
    seen: dict[str, metadata.Distribution] = {}
    wanted: dict[str, set[str]] = {}
    problems: list[str] = []
    todo = [root]
    while todo:
        req = todo.pop()
        key: str = canonicalize_name(req.name)
        runtime = key in RUNTIME_PROVIDED  # followed only to report what the runtime supplies
        try:
            dist = seen.get(key) or metadata.distribution(req.name)
        except metadata.PackageNotFoundError:
            if not runtime:
                problems.append(f"{str(req).partition(';')[0].strip()} is not installed")
            continue
        if not runtime and not req.specifier.contains(dist.version, prereleases=True):
            problems.append(f"{str(req).partition(';')[0].strip()} is needed but {dist.version} is installed")
        if key in seen and set(req.extras) <= wanted[key]:
            continue
        seen[key] = dist
        wanted[key] = wanted.get(key, set()) | set(req.extras)
        for text in dist.requires or ():
            sub = Requirement(text)
            if runtime and canonicalize_name(sub.name) not in RUNTIME_PROVIDED:
                continue
            if sub.marker is None or any(sub.marker.evaluate({"extra": e}) for e in {"", *wanted[key]}):
                todo.append(sub)
    if problems:
        raise ConfigError(f"{'; '.join(sorted(set(problems)))}: first pip install '{root}'")
    found = {k: d for k, d in sorted(seen.items()) if k not in RUNTIME_PROVIDED}
    for key, dist in found.items():
        if key != "loaders" and is_editable(dist):
            raise ConfigError(f"{dist.name} is installed editable: install it normally to package it")
    return list(found.values()), [d for k, d in sorted(seen.items()) if k in RUNTIME_PROVIDED]


def is_editable(dist: metadata.Distribution) -> bool:
    url = json.loads(dist.read_text("direct_url.json") or "{}")
    return bool(url.get("dir_info", {}).get("editable"))


def dist_files(dist: metadata.Distribution) -> dict[str, Path]:
    """Archive name → installed file, for one distribution, trimmed (see the module docstring)."""
    key = canonicalize_name(dist.name)
    if dist.files is None:
        raise ConfigError(f"{dist.name} {dist.version} was installed without a RECORD: reinstall it with pip")
    editable = key == "loaders" and is_editable(dist)
    out: dict[str, Path] = {}
    for rel in dist.files:
        arc = PurePosixPath(rel.as_posix())
        if arc.is_absolute() or ".." in arc.parts or (editable and not arc.parts[0].endswith(".dist-info")):
            continue  # scripts and data outside site-packages; an editable install's .pth and copies
        if keep(arc, key):
            path = Path(str(rel.locate()))
            if not path.is_file():
                raise ConfigError(f"{dist.name} {dist.version}: {arc} is in its RECORD but missing: reinstall it")
            out[str(arc)] = path
    if editable:
        out.update(source_tree())
    return out


def packed_bytes(dist: metadata.Distribution) -> int | None:
    """Informational only, so an odd installation of the runtime's SDK must not stop the build."""
    try:
        return sum(path.stat().st_size for path in dist_files(dist).values())
    except ConfigError:
        return None


def source_tree() -> dict[str, Path]:
    """loaders' packages and shipped templates from the checkout, laid out as in the wheel."""
    from sinks.sql.templates import SHIPPED

    roots = {name: Path(str(importlib.import_module(name).__file__)).parent for name in SOURCE_PACKAGES}
    roots["sql"] = SHIPPED
    out = {}
    for top, root in roots.items():
        for path in root.rglob("*"):
            arc = PurePosixPath(top, path.relative_to(root).as_posix())
            if path.is_file() and not any(p.startswith(".") for p in arc.parts) and keep(arc, "loaders"):
                out[str(arc)] = path
    return out


def keep(arc: PurePosixPath, key: str) -> bool:
    if arc.parts[0].endswith(".dist-info"):
        return arc.name not in DIST_INFO_DROP
    if "__pycache__" in arc.parts or arc.name.endswith(STRIP_SUFFIXES):
        return False
    if key != "loaders" and STRIP_DIRS.intersection(arc.parts[1:-1]):
        return False
    return not any(fnmatch(str(arc), pattern) for pattern in PRUNE.get(key, ()))


def write_zip(path: Path, files: dict[str, Path]) -> dict[str, int]:
    """Same files, same bytes: sorted names, a fixed date, 0644/0755; returns name → size."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    sizes = {}
    with zipfile.ZipFile(partial, "w") as zf:
        for arc in sorted(files):
            info = zipfile.ZipInfo(arc, date_time=FIXED_TIME)
            info.create_system = 3  # Unix, so Lambda honours the permissions
            info.external_attr = (0o100755 if files[arc].stat().st_mode & 0o111 else 0o100644) << 16
            data = files[arc].read_bytes()
            zf.writestr(info, data, compress_type=zipfile.ZIP_DEFLATED, compresslevel=6)
            sizes[arc] = len(data)
    os.replace(partial, path)
    return sizes


def glibc_warnings(dists: Iterable[metadata.Distribution], runtime: str, glibc: tuple[int, int]) -> list[str]:
    """Native wheels built for a newer glibc than the runtime's OS fail to import there."""
    warnings = []
    for dist in dists:
        needs = []
        for line in (dist.read_text("WHEEL") or "").splitlines():
            if line.startswith("Tag:"):
                for tag in parse_tag(line[4:].strip()):
                    found = re.match(r"manylinux_(\d+)_(\d+)_", tag.platform)
                    legacy = _LEGACY_MANYLINUX.get(tag.platform.split("_", 1)[0])
                    needs.append((int(found[1]), int(found[2])) if found else legacy or (0, 0))
        if needs and min(needs) > glibc:
            need = min(needs)
            hint = " (python3.12 and later have 2.34)" if glibc < (2, 34) else ""
            warnings.append(
                f"{dist.name} {dist.version} needs glibc {need[0]}.{need[1]} but the {runtime} runtime has "
                f"{glibc[0]}.{glibc[1]}{hint}: it will not import there; build in {BUILD_IMAGE.format(runtime)}, "
                "whose pip picks wheels that fit"
            )
    return warnings
