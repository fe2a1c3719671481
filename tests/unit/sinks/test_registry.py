"""The sink registry: the built-in types, and types other distributions register through
the ``loaders.sinks`` entry points, read only for a type that is not built in."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

import sinks
from loaders.config import parse_config
from manifests import ConfigError
from sinks import REGISTRY, SinkType, find_sink_type, import_driver, sink_type
from sinks.options import DuckDBOptions
from tests.example_sink import SINK_TYPE, SQLiteOptions
from tests.installed import SQLITE, install

#: what an entry point may name besides a SinkType
NOT_A_SINK_TYPE = 42


def factory() -> SinkType:
    """An entry point may name a callable returning the SinkType."""
    return SinkType("tests.example_sink.sink:SQLiteSink", SQLiteOptions, "sqlite3", package="given")


def needs_a_driver() -> SinkType:
    return SinkType("tests.example_sink.sink:SQLiteSink", SQLiteOptions, "no_such_driver_here", extra="fast")


@pytest.fixture
def installs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[..., None]:
    """Install a distribution registering sink types (a fresh registry of installed ones)."""
    monkeypatch.setattr(sinks, "_INSTALLED", {})

    def installed(name: str, entry_points: dict[str, str]) -> None:
        monkeypatch.syspath_prepend(str(install(tmp_path / name, name, entry_points)))

    return installed


def test_an_installed_sink_type_is_found_by_its_entry_point(installs: Callable[..., None]) -> None:
    installs("loaders-sqlite", SQLITE)
    found = sink_type("s", {"type": "sqlite"})
    assert (found.target, found.options, found.package) == (SINK_TYPE.target, SQLiteOptions, "loaders-sqlite")
    assert found.install_hint() == "pip install loaders-sqlite"
    assert find_sink_type("sqlite") is found  # loaded once


def test_an_entry_point_may_name_a_factory(installs: Callable[..., None]) -> None:
    installs("loaders-sqlite", {"sqlite": f"{__name__}:factory"})
    assert sink_type("s", {"type": "sqlite"}).package == "given"  # what the factory says stays


def test_loaders_toml_checks_an_installed_types_options(installs: Callable[..., None], tmp_path: Path) -> None:
    installs("loaders-sqlite", SQLITE)
    doc = {
        "store": {"root": "./lake"},
        "sinks": {"local": {"type": "sqlite", "url": "sqlite:///w", "busy_second": 3}},
        "datasets": {},
    }
    with pytest.raises(ConfigError, match=r"sinks\.local\.busy_second: unknown key \(expected one of busy_seconds"):
        parse_config(doc, "loaders.toml", str(tmp_path), {})
    doc["sinks"]["local"] = {"type": "sqlite", "url": "sqlite:///w", "busy_seconds": "soon"}
    with pytest.raises(ConfigError, match=r"sinks\.local\.busy_seconds: must be a whole number"):
        parse_config(doc, "loaders.toml", str(tmp_path), {})
    doc["sinks"]["local"] = {"type": "sqlite", "url": "sqlite:///w"}
    assert parse_config(doc, "loaders.toml", str(tmp_path), {}).sinks["local"]["type"] == "sqlite"


def test_a_built_in_type_is_never_looked_up_among_entry_points(installs: Callable[..., None]) -> None:
    installs("shadow", {"duckdb": "no_such_module:NOTHING"})  # broken too: never loaded
    assert sink_type("s", {"type": "duckdb"}) is REGISTRY["duckdb"]
    assert sink_type("s", {"type": "duckdb"}).options is DuckDBOptions


@pytest.mark.parametrize(
    ("target", "problem"),
    [
        ("no_such_module_here:SINK", r"cannot be loaded: ModuleNotFoundError: No module named 'no_such_module_here'"),
        ("tests.example_sink:NO_SUCH_NAME", r"cannot be loaded: AttributeError"),
        (f"{__name__}:NOT_A_SINK_TYPE", r"is a int, not a sinks\.SinkType"),
    ],
)
def test_a_broken_entry_point_is_a_config_error_naming_its_distribution(
    installs: Callable[..., None], target: str, problem: str
) -> None:
    installs("loaders-broken", {"broken": target})
    with pytest.raises(ConfigError, match=problem) as caught:
        sink_type("s", {"type": "broken"})
    message = str(caught.value)
    assert message.startswith("sink type 'broken': entry point broken = ") and target in message
    assert "of loaders-broken 0.1 (loaders.sinks)" in message


def test_one_type_registered_differently_by_two_distributions_is_refused(installs: Callable[..., None]) -> None:
    installs("one", SQLITE)
    installs("other", {"sqlite": f"{__name__}:factory"})
    with pytest.raises(
        ConfigError, match=r"sink type 'sqlite' is registered .* more than once: .*one 0\.1.*other 0\.1"
    ):
        sink_type("s", {"type": "sqlite"})


def test_an_unknown_type_lists_the_built_in_and_the_installed_ones(installs: Callable[..., None]) -> None:
    installs("loaders-sqlite", SQLITE)
    with pytest.raises(ConfigError, match=r"unknown sink type 'bigquery' \(known: duckdb, .*, athena, sqlite\)"):
        sink_type("s", {"type": "bigquery"})


def test_a_missing_driver_of_an_installed_type_names_its_distribution(installs: Callable[..., None]) -> None:
    installs("loaders-fast", {"fast": f"{__name__}:needs_a_driver"})
    with pytest.raises(
        ConfigError, match=r"the fast sink needs no_such_driver_here: pip install 'loaders-fast\[fast\]'"
    ):
        import_driver("s", "fast")


def test_built_in_types_read_no_package_metadata() -> None:
    probe = (
        "import json, sys\n"
        "from sinks import sink_type\n"
        "sink_type('s', {'type': 'duckdb'})\n"
        "print(json.dumps('importlib.metadata' in sys.modules))\n"
    )
    root = str(Path(__file__).resolve().parents[3])
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True, cwd=root)
    assert json.loads(done.stdout) is False
