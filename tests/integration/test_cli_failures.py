"""Every failure the command line can meet: one line, ``error: …``, and the documented exit
status (2 for usage and configuration), never a traceback; and text that comes from data
printed as it is on a terminal, never read as rich markup."""

from __future__ import annotations

import importlib.util
import json
import os
import pty
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conformance_rows import conversions
from tests.integration.project import DUCKDB_SINK, Project
from tests.integration.test_cli import LOADERS, cli

P8 = {"dt": "2026-11-28", "hour": "08"}


@pytest.fixture
def project(tmp_path: Path) -> Project:
    return Project(tmp_path)


def one_error_line(done: subprocess.CompletedProcess[str]) -> str:
    """The one line a failure prints on stderr."""
    assert "Traceback" not in done.stderr + done.stdout
    lines = [line for line in done.stderr.splitlines() if not line.startswith("note: ")]
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("error: ")
    return lines[0]


def on_terminal(project: Project, *args: str, columns: int = 400) -> tuple[int, str]:
    """Run the CLI with a pseudo-terminal as stdout and stderr, as a person at a terminal
    does (rich draws its tables); its exit status and everything it printed."""
    main, child = pty.openpty()
    env = {**os.environ, "COLUMNS": str(columns), "TERM": "xterm-256color"}
    with subprocess.Popen([*LOADERS, *args], cwd=project.root, stdin=child, stdout=child, stderr=child, env=env) as p:
        os.close(child)
        chunks = []
        while True:
            try:
                chunk = os.read(main, 65536)
            except OSError:  # EIO: the child closed the terminal
                break
            if not chunk:
                break
            chunks.append(chunk)
        status = p.wait(timeout=120)
    os.close(main)
    return status, b"".join(chunks).decode("utf-8", errors="replace")


# -- sink options (a bad one is found when the configuration is read) ---------------------------


COMMANDS = [
    ["load", "manifests/x.json"],
    ["status"],
    ["status", "--days", "1"],
    ["sweep"],
    ["backfill", "--days", "1"],
    ["compile"],
    ["superseded"],
    ["schemas", "list"],
    ["schemas", "publish", "t", "s.avsc"],
    ["dlq", "list"],
    ["reset", "--dataset", "ad_server.conversion", "--partition", "dt=2026-11-28/hour=08"],
]


@pytest.mark.parametrize("args", COMMANDS, ids=lambda a: " ".join(a[:2]))
def test_a_bad_sink_option_is_one_line_and_exit_2_for_every_command(project: Project, args: list[str]) -> None:
    sink = DUCKDB_SINK + "batch_row = 100\n"
    project.config_path.write_text(project.config_path.read_text().replace(DUCKDB_SINK, sink))
    done = cli(project, *args)
    assert done.returncode == 2
    assert one_error_line(done) == (
        "error: loaders.toml: sinks.local.batch_row: unknown key (expected one of state_schema, type, url)"
    )
    assert not (project.root / "warehouse.duckdb").exists()  # found before anything was opened


@pytest.mark.parametrize(
    ("option", "message"),
    [
        ('batch_rows = "lots"', "sinks.local.batch_rows: must be a whole number, got 'lots'"),
        ("batch_rows = true", "sinks.local.batch_rows: must be a whole number, got True"),
        ("batch_rows = 0", "sinks.local.batch_rows: must be at least 1, got 0"),
        ('state_shema = "x"', "sinks.local.state_shema: unknown key (expected one of batch_rows, state_schema,"),
    ],
)
def test_a_bad_postgres_option_names_file_and_key(project: Project, option: str, message: str) -> None:
    sink = f'[sinks.local]\ntype = "postgres"\nurl = "postgresql://loader@127.0.0.1:1/db"\n{option}\n'
    project.config_path.write_text(project.config_path.read_text().replace(DUCKDB_SINK, sink))
    done = cli(project, "status")
    assert done.returncode == 2
    assert one_error_line(done).startswith(f"error: loaders.toml: {message}")


@pytest.mark.skipif(importlib.util.find_spec("redshift_connector") is not None, reason="the driver is installed")
def test_a_missing_driver_says_which_extra_to_install(project: Project) -> None:
    """redshift_connector is not installed here: the sink opens (compile needs no driver)
    and its first statement says what to install; exit 2, a configuration problem."""
    sink = (
        '[sinks.local]\ntype = "redshift"\nurl = "redshift://loader@127.0.0.1:1/dev"\n'
        'iam_role = "arn:aws:iam::123456789012:role/copy"\n'
    )
    project.config_path.write_text(project.config_path.read_text().replace(DUCKDB_SINK, sink))
    done = cli(project, "status")
    assert done.returncode == 2
    assert one_error_line(done) == (
        "error: sinks.local: the redshift sink needs redshift_connector: pip install 'loaders[redshift]'"
    )
    assert cli(project, "compile", "--out", "compiled").returncode == 0


# -- files and folders named on the command line ------------------------------------------------


def test_a_folder_as_the_configuration_is_a_configuration_error(project: Project) -> None:
    (project.root / "conf").mkdir()
    for args in (["status", "--config", "conf"], ["package", "--sink", "duckdb", "--config", "conf"]):
        done = cli(project, *args)
        assert done.returncode == 2
        assert one_error_line(done) == "error: conf: cannot read the configuration file (Is a directory)"
    done = cli(project, "status", env={"LOADERS_CONFIG": "conf"})
    assert (done.returncode, one_error_line(done)) == (
        2,
        "error: conf: cannot read the configuration file (Is a directory)",
    )


@pytest.mark.parametrize(
    "args",
    [
        ["compile", "--out", "taken"],
        ["compile", "--out", "taken/sql"],
        ["package", "--sink", "duckdb", "--out", "taken"],
        ["demo", "--dir", "taken/demo"],
    ],
    ids=lambda a: " ".join(a[:2]),
)
def test_an_output_folder_that_is_a_file_is_a_usage_error(project: Project, args: list[str]) -> None:
    (project.root / "taken").write_text("a file, not a folder")
    done = cli(project, *args)
    assert done.returncode == 2
    assert one_error_line(done) == f"error: {args[-2]} {args[-1]}: {project.root / 'taken'} is not a folder"
    assert (project.root / "taken").read_text() == "a file, not a folder"


SCHEMA = {"type": "record", "name": "Conversion", "fields": [{"name": "id", "type": "long"}]}


@pytest.mark.parametrize(
    ("file", "problem"),
    [
        ("missing.avsc", "missing.avsc: cannot read the schema file (No such file or directory)"),
        ("folder", "folder: cannot read the schema file (Is a directory)"),
        ("latin1.avsc", "latin1.avsc: cannot read the schema file ('utf-8' codec can't decode"),
        ("text.avsc", "text.avsc: not an Avro schema"),
    ],
)
def test_schemas_publish_names_a_schema_file_it_cannot_use(project: Project, file: str, problem: str) -> None:
    (project.root / "folder").mkdir()
    (project.root / "latin1.avsc").write_bytes(b'{"type": "string", "doc": "caf\xe9"}')
    (project.root / "text.avsc").write_text("not json")
    done = cli(project, "schemas", "publish", "conversion", file)
    assert done.returncode == 2
    assert one_error_line(done).startswith(f"error: {problem}")


@pytest.mark.parametrize("data_type", ["../../outside", "a/b", "..", ""])
def test_schemas_publish_refuses_a_data_type_that_leaves_the_registry(project: Project, data_type: str) -> None:
    (project.root / "s.avsc").write_text(json.dumps(SCHEMA))
    done = cli(project, "schemas", "publish", data_type, "s.avsc")
    assert done.returncode == 2
    assert one_error_line(done).startswith(f"error: DATA_TYPE {data_type!r}: a data type is one folder name")
    written = [p for p in project.root.rglob("*.json") if "manifests" not in p.parts]
    assert written == []  # nothing written, inside the lake or beside it
    ok = cli(project, "schemas", "publish", "conversion", "s.avsc")
    assert ok.returncode == 0 and "/schemas/conversion/" in ok.stdout


# -- text from data on a terminal ---------------------------------------------------------------


def test_status_on_a_terminal_prints_markup_from_data_as_text(project: Project) -> None:
    """A partition value and a file name in an error are data: ``[bold]`` in them prints
    as it is, not as a style."""
    loaded = project.lake.write({"dt": "2026-11-28", "hour": "[bold]x"}, "b1", conversions((1, 10)))
    broken = project.lake.write({"dt": "2026-11-28", "hour": "[red]y"}, "b1", conversions((2, 10)))
    project.lake.corrupt(project.lake.manifest(broken).entries[0].url)
    assert cli(project, "load", loaded, broken).returncode == 1
    status, shown = on_terminal(project, "status")
    assert status == 3, shown  # a partition shown is failed
    assert "hour=[bold]x" in shown and "hour=[red]y" in shown
    assert "hour=[red]y/b1-0.parquet" in shown  # the error names the file
    assert "Traceback" not in shown and "error:" not in shown


def test_the_calendar_grid_prints_a_sink_name_as_text(project: Project) -> None:
    """``status --days`` on a terminal titles each calendar with the dataset and the sink's
    name, a TOML key that may hold brackets."""
    text = project.config_path.read_text().replace("[sinks.local]", '[sinks."[/]wh"]')
    project.config_path.write_text(text)
    status, shown = on_terminal(project, "status", "--days", "1")
    assert status == 0, shown
    assert "ad_server.conversion → [/]wh" in shown and "Traceback" not in shown


def test_load_on_a_terminal_prints_markup_in_an_error_as_text(project: Project) -> None:
    """A manifest outside every pattern may name its own dataset; the error quoting the
    name it gave, ``[/]oops``, prints as it is (as markup it is a closing tag with
    nothing to close: a MarkupError instead of the table)."""
    own = {"dataset": "[/]oops", "partition": {"dt": "2026-11-28", "hour": "08"}, "entries": []}
    key = project.lake.write_manifest("manifests/elsewhere/x.json", own)
    status, shown = on_terminal(project, "load", key)
    assert status == 1, shown
    assert "dataset '[/]oops' is not configured" in shown and "Traceback" not in shown


def test_the_terminal_helper_sees_a_terminal(project: Project) -> None:
    """The checks above mean something only if the CLI draws rich tables under the pty."""
    key = project.lake.write(P8, "b1", conversions((1, 10)))
    assert cli(project, "load", key).returncode == 0
    status, shown = on_terminal(project, "status")
    assert status == 0 and "┃" in shown and sys.platform.startswith("linux")
