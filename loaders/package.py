"""``loaders package``: a Lambda deployment zip of loaders plus one sink's extras.

Decisions, and why:

* **The versions installed and tested here, as the runtime's wheels.** The closure of
  ``loaders[aws,<sink type>]`` comes from the installed metadata (markers evaluated for the
  target runtime, extras of dependencies followed), so the extras are declared once, in
  pyproject.toml; each distribution in it is then fetched by pip, pinned to the version
  installed here, as a wheel for the target's Python version and architecture whose
  manylinux tag fits the runtime's glibc (loaders.lambda_wheels). That needs the package
  index at build time, and no build image. ``--installed`` packs this environment's files
  instead (offline; Linux glibc CPython of the runtime's version only).
* **Every shared object is checked against the runtime's glibc** (its ELF ``GLIBC_x.y``
  version needs, loaders.elf): a wheel's tag is a promise, the loader checks the symbols.
  One that needs more stops the build, naming the file (with ``--installed``, a warning).
* **The AWS SDK is the Lambda runtime's**: boto3, botocore, s3transfer, jmespath,
  python-dateutil, urllib3 and six are not packed. Packed, they add 22.5 MB and the
  Snowflake package (232.5 MB without them) goes over the 250 MB limit. The price:
  loaders is tested with boto3 >= 1.44 and the runtime's SDK is usually months older.
  What loaders calls (S3 incl. conditional writes, in botocore since late 2024; SNS, SQS,
  Glue, Athena) is in every runtime SDK since 2025, and a parameter an old botocore lacks
  fails loudly (ParamValidationError), never silently. A newer SDK can go in a layer.
* **Trimmed where nothing imports it**: bytecode, stubs, Cython and C/C++ sources and
  headers, ``tests/``, ``include/`` and ``conftest.py`` inside third-party packages,
  RECORD files (they would list trimmed files), pyarrow's Arrow Flight RPC (32 MB;
  neither loaders, duckdb nor a driver imports ``pyarrow.flight``, which fails to import
  in the package) and the second and third copies of its C++ libraries (the names a C++
  build links against; at run time they are loaded by soname); of SQLAlchemy,
  whose URL is all loaders uses, the ORM, extensions, dialects and optional speed-ups
  (12.9 MB → 2.9 MB, with greenlet, which only its asyncio support imports); and
  Pygments, which rich imports only to highlight source code (4.4 MB). Dist-info
  METADATA stays, so ``importlib.metadata`` (``loaders --version``) works.
* **An editable loaders** (``pip install -e``) has only a .pth in its RECORD: its packages
  and ``sql/`` are taken from the source tree, in the wheel's layout.
* **Deterministic**: sorted names, one fixed timestamp, 0644/0755 modes: same input, same bytes.
"""

from __future__ import annotations

import importlib
import json
import os
import re
import tempfile
import tomllib
import zipfile
from collections.abc import Iterable
from fnmatch import fnmatch
from importlib import metadata
from pathlib import Path, PurePosixPath
from typing import Any, TypedDict

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from loaders.elf import NotELFError, glibc_needed, is_shared_object_name
from loaders.lambda_wheels import (
    fetch_wheels,
    index_target,
    lambda_target,
    marker_environment,
    parse_python,
)
from manifests import ConfigError, TerminalError

#: Lambda's limit for a function's code plus its layers, unzipped ("250 MB" = 250 MiB).
LIMIT_BYTES = 250 * 1024 * 1024
MB = 1024 * 1024
#: the AWS SDK and its dependencies, importable in every Lambda Python runtime.
RUNTIME_PROVIDED = frozenset({"boto3", "botocore", "s3transfer", "jmespath", "python-dateutil", "urllib3", "six"})
STRIP_SUFFIXES = (".pyc", ".pyo", ".pyi", ".pyx", ".pxd", ".pxi", ".h", ".hpp", ".c", ".cc", ".cpp", ".pth")
STRIP_DIRS = frozenset({"tests", "include"})  # only below a third-party package's top level
DIST_INFO_DROP = frozenset({"RECORD", "INSTALLER", "REQUESTED", "direct_url.json"})
PRUNE = {
    "pyarrow": (
        *("pyarrow/flight.py", "pyarrow/_flight.*", "pyarrow/lib*flight.so*", "pyarrow/_pyarrow_cpp_tests.*"),
        # the wheel's copies of its C++ libraries under the names a C++ build links against
        # (libarrow_python.so, libarrow_python.so.2600.1.0): at run time every module loads them
        # by their soname (libarrow_python.so.2600, which stays), so these are 5 MB never read
        *("pyarrow/libarrow*.so", "pyarrow/libparquet*.so"),
        *("pyarrow/libarrow*.so.*.*.*", "pyarrow/libparquet*.so.*.*.*"),
    ),
    # loaders uses SQLAlchemy's URL only: its ORM, extensions, test kit and dialects are never
    # imported, and its compiled speed-ups and greenlet (asyncio) are optional imports
    "sqlalchemy": tuple(f"sqlalchemy/{d}/*" for d in ("cyextension", "orm", "ext", "testing", "dialects/*")),
    "greenlet": ("greenlet/*",),
    # rich (the command line's tables) imports Pygments only to highlight source code
    # (rich.syntax, rich.traceback), which loaders never renders: 4.4 MB
    "pygments": ("pygments/*",),
}
SOURCE_PACKAGES = ("loaders", "sinks", "manifests")  # the wheel's packages, plus sql/
FIXED_TIME = (1980, 1, 1, 0, 0, 0)


class PackedDistribution(TypedDict):
    """One distribution in the package, as the report lists it."""

    name: str
    version: str
    bytes: int


def build_package(
    sink_name: str,
    out_dir: str,
    *,
    config_path: str | None = None,
    as_json: bool = False,
    python: str | None = None,
    arch: str | None = None,
    installed: bool = False,
) -> None:
    """Write ``out_dir/loaders-<sink>.zip``, print what is in it; TerminalError if it is too big
    or does not fit the runtime."""
    kind = sink_type(sink_name, config_path)
    provided_extras = set(metadata.metadata("loaders").get_all("Provides-Extra") or ())
    extras = sorted({"aws"} | ({kind} & provided_extras))
    with tempfile.TemporaryDirectory(prefix="loaders-package-") as scratch:
        runtime, arch, glibc = lambda_target(python, arch) if installed else index_target(python, arch)
        dists, from_runtime = resolve(extras) if installed else index_dists(extras, runtime, arch, Path(scratch))
        entries = collect(dists)
        problems = glibc_problems(entries, runtime, glibc)
        if problems and not installed:
            raise ConfigError(f"not built: {'; '.join(problems)}; pin a release whose wheels fit, or a newer runtime")
        zip_path = Path(out_dir, f"loaders-{re.sub(r'[^A-Za-z0-9_.-]', '_', sink_name)}.zip").absolute()
        sizes = write_zip(zip_path, {arc: path for arc, (path, _) in entries.items()})
        rows = packed_rows(dists, entries, sizes)  # while the fetched distributions are still there
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
        "glibc": f"{glibc[0]}.{glibc[1]}",
        "source": "installed" if installed else "index",
        "sink": sink_name,
        "sink_type": kind,
        "extras": extras,
        "distributions": rows,
        "provided_by_runtime": [  # the versions tested here, and what packing them would add
            {"name": canonicalize_name(d.name), "version": d.version, "bytes": packed_bytes(d)} for d in from_runtime
        ],
        "warnings": [
            f"{p}: it will not import there; leave out --installed to fetch wheels that fit" for p in problems
        ],
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


def packed_rows(
    dists: list[metadata.Distribution], entries: dict[str, tuple[Path, str]], sizes: dict[str, int]
) -> list[PackedDistribution]:
    per_dist = {d.name: 0 for d in dists}  # keyed by the metadata name, reported canonical
    for arc, (_, owner) in entries.items():
        per_dist[owner] += sizes[arc]
    return [
        PackedDistribution(name=canonicalize_name(d.name), version=d.version, bytes=per_dist[d.name]) for d in dists
    ]


def collect(dists: Iterable[metadata.Distribution]) -> dict[str, tuple[Path, str]]:
    """Archive name → (file, distribution name) of every distribution; two owners of a name fail."""
    entries: dict[str, tuple[Path, str]] = {}
    for dist in dists:
        for arc, path in dist_files(dist).items():
            if arc in entries:
                raise ConfigError(f"{arc} is installed by both {entries[arc][1]} and {dist.name}; fix the environment")
            entries[arc] = (path, dist.name)
    return entries


def index_dists(
    extras: Iterable[str], runtime: str, arch: str, scratch: Path
) -> tuple[list[metadata.Distribution], list[metadata.Distribution]]:
    """loaders from here, everything else as the runtime's wheels of the versions installed here."""
    python = parse_python(runtime.removeprefix("python"))
    here, from_runtime = resolve(extras, marker_environment(python, arch))
    own = [d for d in here if canonicalize_name(d.name) == "loaders"]
    fetch_wheels(scratch, python, arch, [f"{d.name}=={d.version}" for d in here if d not in own])
    fetched = sorted(metadata.distributions(path=[str(scratch)]), key=lambda d: canonicalize_name(d.name))
    return own + fetched, from_runtime


def glibc_problems(entries: dict[str, tuple[Path, str]], runtime: str, glibc: tuple[int, int]) -> list[str]:
    """Each shared object that needs a newer glibc than the runtime's OS has, by name."""
    problems = []
    for arc in sorted(entries):
        path, owner = entries[arc]
        if not is_shared_object_name(arc):
            continue
        try:
            need = glibc_needed(path)
        except NotELFError as exc:
            raise ConfigError(f"{arc} (from {owner}): {exc}") from None
        if need is not None and need > glibc:
            problems.append(
                f"{arc} (from {owner}) needs glibc {need[0]}.{need[1]} "
                f"but the {runtime} runtime has {glibc[0]}.{glibc[1]}"
            )
    return problems


def resolve(
    extras: Iterable[str], environment: dict[str, str] | None = None
) -> tuple[list[metadata.Distribution], list[metadata.Distribution]]:
    """Installed distributions ``loaders[extras]`` needs: (to pack, provided by the runtime);
    markers are evaluated for ``environment`` (default: this interpreter)."""
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
            if sub.marker is None or any(
                sub.marker.evaluate({**(environment or {}), "extra": e}) for e in {"", *wanted[key]}
            ):
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
    if key != "loaders" and (STRIP_DIRS.intersection(arc.parts[1:-1]) or arc.name == "conftest.py"):
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
