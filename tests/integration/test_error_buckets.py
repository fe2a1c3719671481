"""A PostgreSQL sink's failures land in their bucket, end to end on real parts: the server
of this machine, the command line, the Lambda handler over moto server.

Terminal failures of the configuration (a database that does not exist, an unknown user,
an option libpq does not take) are ConfigErrors: the command line exits 2 with one line,
and Lambda dead-letters the delivery instead of retrying it for ever. A server that
cannot be reached is transient: Lambda lists the delivery for SQS to retry. (S3 and SQS
without credentials: tests/integration/test_store_s3.py and test_aws.py.)
"""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

import loaders.aws
from manifests import ConfigError, TransientError
from sinks import Strategy
from sinks.postgres import PostgresSink
from tests.conformance_rows import conversions
from tests.integration.aws_chain import Chain, LambdaContext
from tests.integration.conformance import P8, rows, target, unit
from tests.integration.project import PostgresProject
from tests.integration.test_postgres_sink import ADMIN, HOST, PORT, Server, fixture_pg, fixture_pg_server
from tests.lake import Lake

__all__ = ["fixture_pg", "fixture_pg_server"]

LOADERS = [sys.executable, "-m", "loaders"]


def missing_database(server: Server) -> Server:
    """The test server under a database name it does not have."""
    return Server(server.conninfo, server.user, f"loaders_missing_{secrets.token_hex(4)}")


def closed_port() -> int:
    with socket.socket() as sock:  # a port nobody listens on once the socket is closed
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def load_into(tmp_path: Path, url: str) -> None:
    lake = Lake(tmp_path / "lake")
    key = lake.write(P8, "b1", rows((1, 10, 1.0)))
    sink = PostgresSink("pg", {"type": "postgres", "url": url}, lake.store, str(tmp_path))
    try:
        sink.load(unit(target(Strategy.APPEND), P8, [lake.manifest(key)]))
    finally:
        sink.close()


# -- the sink ----------------------------------------------------------------------------------


def test_a_database_that_does_not_exist_is_a_config_error_naming_it(tmp_path: Path, pg: Server) -> None:
    absent = missing_database(pg)
    with pytest.raises(ConfigError) as caught:
        load_into(tmp_path, absent.url)
    message = str(caught.value)
    assert not caught.value.transient
    assert message.startswith(f"pg: cannot connect to {HOST}:{PORT}/{absent.database}: the database does not exist")
    assert "SQLSTATE 3D000" in message and f'database "{absent.database}" does not exist' in message


def test_an_unknown_user_is_a_config_error(tmp_path: Path, pg: Server) -> None:
    with pytest.raises(ConfigError, match=r"the server refused the user or password \(SQLSTATE 28000"):
        load_into(tmp_path, f"postgresql+psycopg://nobody_{secrets.token_hex(3)}@{HOST}:{PORT}/{pg.database}")


def test_an_invalid_connection_option_is_a_config_error(tmp_path: Path, pg: Server) -> None:
    with pytest.raises(ConfigError, match=r"an option the driver does not take .*bogus_option"):
        load_into(tmp_path, f"{pg.url}?bogus_option=1")


def test_a_closed_port_is_transient(tmp_path: Path) -> None:
    with pytest.raises(TransientError, match=r"could not be reached"):
        load_into(tmp_path, f"postgresql+psycopg://nobody@{HOST}:{closed_port()}/db")


def test_the_servers_refusal_is_read_by_its_code(pg: Server) -> None:
    """The SQLSTATE psycopg does not carry, as the server sent it; none without a server."""
    from sinks.sql.sqlstate import startup_sqlstate

    assert startup_sqlstate(f"{ADMIN} dbname={missing_database(pg).database}") == "3D000"
    assert startup_sqlstate(f"{ADMIN} dbname={pg.database}") == ""  # connected: nothing refused
    assert startup_sqlstate(f"host={HOST} port={closed_port()} dbname=x user=x") == ""


# -- the command line ----------------------------------------------------------------------------


def cli(project: PostgresProject, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*LOADERS, *args], cwd=project.root, capture_output=True, text=True, env=dict(os.environ), timeout=120
    )


@pytest.mark.parametrize("problem", ["missing-database", "bogus-option"])
def test_the_cli_exits_2_with_one_line_for_a_sink_it_cannot_connect_to(
    tmp_path: Path, pg: Server, problem: str
) -> None:
    server = missing_database(pg) if problem == "missing-database" else pg
    project = PostgresProject(tmp_path, server)
    if problem == "bogus-option":
        config = project.config_path.read_text()
        project.config_path.write_text(config.replace(f'url = "{pg.url}"', f'url = "{pg.url}?bogus_option=1"'))
    key = project.lake.write(P8, "b1", conversions((1, 10)))
    done = cli(project, "load", key)
    assert done.returncode == 2, done.stdout + done.stderr
    # the sink's units fail (another sink would still load), one line each, exit status 2
    [line] = done.stdout.strip().splitlines()
    assert "\tfailed\t" in line and "ConfigError: local: cannot connect to" in line
    assert "Traceback" not in done.stderr + done.stdout
    assert ("the database does not exist" if problem == "missing-database" else "bogus_option") in line


# -- Lambda over moto server ----------------------------------------------------------------------


@pytest.fixture
def chain(moto_server: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Chain]:
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_server)  # the dead-letter queue's SQS client
    chain = Chain(moto_server, tmp_path)
    monkeypatch.setenv("LOADERS_CONFIG", str(chain.config))
    yield chain
    loaders.aws._worker.cache_clear()


def into_postgres(chain: Chain, url: str) -> None:
    """The chain's one sink, ``local``, on PostgreSQL at ``url`` instead of DuckDB."""
    chain.write_config()
    config = chain.config.read_text()
    duckdb_sink = f'type = "duckdb"\nurl = "duckdb:///{chain.warehouse}"'
    assert duckdb_sink in config
    chain.config.write_text(config.replace(duckdb_sink, f'type = "postgres"\nurl = "{url}"'))
    loaders.aws._worker.cache_clear()


def test_lambda_dead_letters_a_missing_database_and_retries_a_closed_port(chain: Chain, pg: Server) -> None:
    into_postgres(chain, missing_database(pg).url)
    chain.put_batch("2026-11-28", "08", "b1", [1])
    messages = chain.notifications()
    assert loaders.aws.handler(chain.sqs_event(messages), LambdaContext()) == {"batchItemFailures": []}
    [letter] = chain.dead_letters()
    assert letter["error_class"] == "ConfigError" and "the database does not exist" in letter["error"]
    assert letter["record"]["messageId"] == messages[0]["MessageId"]

    chain.drain(chain.dlq)
    into_postgres(chain, f"postgresql+psycopg://nobody@{HOST}:{closed_port()}/db")
    retried = loaders.aws.handler(chain.sqs_event(messages), LambdaContext())
    assert retried == {"batchItemFailures": [{"itemIdentifier": messages[0]["MessageId"]}]}
    assert chain.dead_letters() == []


def test_a_second_sinks_config_error_keeps_the_first_sinks_report(chain: Chain, pg: Server) -> None:
    """Before: the second sink's ConfigError escaped the runner, and the dead letter said
    nothing of the first sink, which had loaded (sink "-", no dataset, no partition)."""
    chain.write_config(sinks='["local", "pg"]')
    config = chain.config.read_text()
    broken = f'[sinks.pg]\ntype = "postgres"\nurl = "{missing_database(pg).url}"\n\n'
    chain.config.write_text(config.replace("[datasets.", broken + "[datasets.", 1))
    loaders.aws._worker.cache_clear()
    chain.put_batch("2026-11-28", "08", "b1", [1])
    assert loaders.aws.handler(chain.sqs_event(chain.notifications()), LambdaContext()) == {"batchItemFailures": []}
    [letter] = chain.dead_letters()
    assert (letter["error_class"], letter["sink"]) == ("ConfigError", "pg")
    assert letter["partition"] == "dt=2026-11-28/hour=08"
    assert "the database does not exist" in letter["error"]
    import duckdb

    with duckdb.connect(str(chain.warehouse)) as conn:  # the first sink loaded all the same
        assert conn.execute("SELECT count(*) FROM raw.conversions").fetchone() == (1,)
