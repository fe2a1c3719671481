"""No configured secret reaches an output: a planted password is looked for in every path
by which text leaves loaders — the CLI's stdout and stderr (with and without ``--json``,
and at ``-vv``), ``loaders compile``'s files, the error recorded in a state table, a
dead letter, and the Lambda's JSON log lines.

The planted secret holds what generated secrets hold and what broke the old URL parsing
(``/``, ``@``, ``%``, ``?``), and arrives in each way a configuration can carry it: in the
URL's user information (percent-encoded, or pasted raw), as ``?password=``, and through
``${VAR}``. Each output is searched for two fragments of it, so a partial leak counts.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote

import pytest

from tests.conformance_rows import conversions
from tests.integration.aws_chain import Chain
from tests.integration.project import DUCKDB_SINK, Project
from tests.integration.test_aws import DT, RUN_HANDLER, chain  # noqa: F401 (the fixture)

SECRET = "Zq9/x@K%v?Tp-pl4nted"
FRAGMENTS = ("Zq9", "pl4nted")
#: as a URL's user information spells it for SQLAlchemy: "@" and "%" encoded, "/" and "?" not
IN_USERINFO = quote(SECRET, safe="/?")
IN_QUERY = quote(SECRET, safe="")
VAR = "LOADERS_TEST_SECRET"
P8 = {"dt": "2026-11-28", "hour": "08"}
LOADERS = [sys.executable, "-m", "loaders"]


def assert_hidden(*texts: str) -> None:
    for text in texts:
        for fragment in FRAGMENTS:
            assert fragment not in text, f"{fragment!r} leaked in:\n{text}"


def with_sink(project: Project, url: str) -> None:
    """The project's sink ``local`` becomes a PostgreSQL sink at ``url``."""
    config = project.config_path.read_text()
    project.config_path.write_text(config.replace(DUCKDB_SINK, f'[sinks.local]\ntype = "postgres"\nurl = "{url}"\n'))


def cli(project: Project, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*LOADERS, *args], cwd=project.root, capture_output=True, text=True, env={**os.environ, **(env or {})},
        timeout=120,
    )  # fmt: skip


#: (url as configured, the environment it needs): a port that is no number, so no parser reads it
UNREADABLE = {
    "userinfo": (f"postgresql+psycopg://loader:{IN_USERINFO}@127.0.0.1:notaport/db", {}),
    "pasted raw": (f"postgresql+psycopg://loader:{SECRET}@127.0.0.1:5432/db", {}),
    "query": (f"postgresql+psycopg://loader@127.0.0.1:notaport/db?sslmode=disable&password={IN_QUERY}", {}),
    "${VAR}": (f"postgresql+psycopg://loader:${{{VAR}}}@127.0.0.1:notaport/db", {VAR: IN_USERINFO}),
}
#: the same secrets in URLs that parse, of a server that is not there (nothing listens on port 1)
UNREACHABLE = {
    "userinfo": (f"postgresql+psycopg://loader:{IN_USERINFO}@127.0.0.1:1/db", {}),
    "${VAR}": (f"postgresql+psycopg://loader:${{{VAR}}}@127.0.0.1:1/db?sslmode=disable", {VAR: IN_USERINFO}),
}


@pytest.mark.parametrize("form", list(UNREADABLE))
def test_a_url_that_does_not_parse_is_a_config_error_showing_no_secret(tmp_path: Path, form: str) -> None:
    url, env = UNREADABLE[form]
    project = Project(tmp_path)
    with_sink(project, url)
    key = project.lake.write(P8, "b1", conversions((1, 10)))
    for args in (["status"], ["status", "--json"], ["load", key], ["load", key, "--json"], ["-vv", "load", key]):
        done = cli(project, *args, env=env)
        assert done.returncode == 2, (args, done.stderr)
        # the URL is shown, its secret is not: on stderr when the command cannot run
        # (status), in the sink's failed units when a load goes on with the other sinks
        assert "sink url 'postgresql+psycopg://loader" in done.stderr + done.stdout
        assert_hidden(done.stdout, done.stderr)


@pytest.mark.parametrize("form", list(UNREACHABLE))
def test_a_sink_that_cannot_connect_fails_showing_no_secret(tmp_path: Path, form: str) -> None:
    url, env = UNREACHABLE[form]
    project = Project(tmp_path)
    with_sink(project, url)
    key = project.lake.write(P8, "b1", conversions((1, 10)))
    plain = cli(project, "-vv", "load", key, env=env)
    as_json = cli(project, "load", key, "--json", env=env)
    assert plain.returncode == as_json.returncode == 1, plain.stderr
    assert "cannot connect to 127.0.0.1:1/db" in plain.stdout + plain.stderr
    [unit] = json.loads(as_json.stdout)["units"]
    assert unit["action"] == "failed" and unit["error_class"] == "TransientError"
    assert_hidden(plain.stdout, plain.stderr, as_json.stdout, as_json.stderr)


def test_compiled_sql_and_compile_messages_show_no_secret(tmp_path: Path) -> None:
    project = Project(tmp_path)
    with_sink(project, f"postgresql+psycopg://loader:{IN_USERINFO}@db.example:5432/warehouse?password={IN_QUERY}")
    done = cli(project, "compile", "--out", "compiled", "--check")
    assert done.returncode == 0, done.stderr
    files = sorted((tmp_path / "compiled").rglob("*.sql"))
    assert files  # compiled without connecting: the statements are there to read
    assert_hidden(done.stdout, done.stderr, *(f.read_text() for f in files))


# -- the state table ----------------------------------------------------------------------------

try:  # the PostgreSQL fixtures; without a server that module skips itself, here only its case
    from tests.integration.test_postgres_sink import Server, fixture_pg, fixture_pg_server

    __all__ = ["fixture_pg", "fixture_pg_server"]
    NO_POSTGRES = ""
except pytest.skip.Exception as skipped:
    NO_POSTGRES = skipped.msg or "no PostgreSQL server"


@pytest.mark.skipif(bool(NO_POSTGRES), reason=NO_POSTGRES)
def test_the_error_recorded_in_the_state_shows_no_secret(tmp_path: Path, pg: Server) -> None:
    """The server trusts local connections, so the password is sent and ignored; the load
    fails on a file that is missing, whose name — as an engine's error might — repeats the
    secret. Neither the state table nor ``status`` may show it."""
    secret = "St4te-pl4nted-Zq9secret"
    project = Project(tmp_path)
    with_sink(project, f"postgresql+psycopg://{pg.user}:${{{VAR}}}@127.0.0.1:5432/{pg.database}")
    key = project.lake.write(P8, "b1", conversions((1, 10)))
    missing = {"url": f"data/ad_server/conversion/dt=2026-11-28/hour=08/{secret}.parquet", "mandatory": True}
    doc = json.loads((project.lake.root / key).read_text())
    project.lake.write_manifest(key, {"entries": [*doc["entries"], missing]})
    env = {VAR: secret}
    done = cli(project, "load", key, "--json", env=env)
    assert done.returncode == 1 and json.loads(done.stdout)["units"][0]["error_class"] == "MissingFileError"
    [(recorded,)] = pg.query("SELECT last_error FROM _loaders.partitions")
    assert "MissingFileError" in recorded and "***.parquet" in recorded
    status = cli(project, "status", "--json", env=env)
    assert json.loads(status.stdout)[0]["status"] == "failed"
    assert_hidden(recorded, done.stdout, done.stderr, status.stdout, status.stderr)


# -- the Lambda: dead letters and log lines -------------------------------------------------------


def run_lambda(aws: Chain) -> subprocess.CompletedProcess[str]:
    """One SQS delivery for a dataset whose sink URL does not parse: a terminal failure, so
    a dead letter; the handler in a process of its own, logging at DEBUG as JSON lines."""
    aws.write_config(
        extra=(
            f'\n[sinks.pg]\ntype = "postgres"\nurl = "postgresql+psycopg://loader:${{{VAR}}}@127.0.0.1:5432/test"\n'
            '\n[datasets."other.stream"]\ntable = "other_stream"\nformat = "parquet"\n'
            'manifests = "manifests/other/stream/dt={dt}/{batch}.json"\npartition = ["dt"]\nstrategy = "append"\n'
            'sinks = ["pg"]\n'
        )
    )
    aws.s3.put_object(Bucket=aws.bucket, Key=f"manifests/other/stream/dt={DT}/b1.json", Body=b'{"entries": []}')
    event = aws.sqs_event(aws.notifications())
    env = {**os.environ, VAR: SECRET, "POWERTOOLS_LOG_LEVEL": "DEBUG", "LOADERS_CONFIG": str(aws.config)}
    done = subprocess.run(
        [sys.executable, "-c", RUN_HANDLER], input=json.dumps(event), capture_output=True, text=True, env=env,
        timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stderr.splitlines()[-1]) == {"batchItemFailures": []}  # dead-lettered, not retried
    return done


def test_a_dead_letter_shows_no_secret(chain: Chain) -> None:  # noqa: F811 (the fixture)
    run_lambda(chain)
    [letter] = chain.dead_letters()
    assert letter["error_class"] == "ConfigError" and "sink url 'postgresql+psycopg://loader:***@" in letter["error"]
    assert_hidden(json.dumps(letter), json.dumps(letter, ensure_ascii=False))


def test_the_lambdas_log_lines_show_no_secret(chain: Chain) -> None:  # noqa: F811 (the fixture)
    done = run_lambda(chain)
    logs = [json.loads(line) for line in done.stdout.splitlines()]  # every line is still one JSON document
    [failed] = [d for d in logs if d.get("message") == "unit failed"]
    assert failed["error_class"] == "ConfigError" and "***" in failed["error"]
    assert_hidden(done.stdout, done.stderr)
