"""One execute per sink: every statement is logged at DEBUG with its load id, secrets hidden."""

from __future__ import annotations

import logging
from typing import Any, ClassVar

import pytest

from manifests.secrets import redact
from manifests.store import LocalStore
from sinks.base import Capabilities
from sinks.sql import SqlSink


class RecordingSink(SqlSink):
    """A SQL sink whose connection only records what it is sent."""

    capabilities: ClassVar[Capabilities] = Capabilities(dialect="duckdb")

    def __init__(self, tmp: str) -> None:
        super().__init__("rec", {}, LocalStore(tmp))
        self.sent: list[str] = []

    def _query(self, sql: str) -> list[tuple[Any, ...]]:
        self.sent.append(sql)
        return []


def test_execute_sends_the_rendered_template_and_logs_it_with_the_load_id(
    tmp_path: Any, caplog: pytest.LogCaptureFixture
) -> None:
    sink = RecordingSink(str(tmp_path))
    with caplog.at_level(logging.DEBUG, logger="loaders.sql"):
        sink.execute("forget_manifests", dataset="a.b", partition_keys=["dt=1"], forget_urls=None, load_id="L-42")
    assert sink.sent == ['DELETE FROM "_loaders"."manifests"\nWHERE dataset = \'a.b\' AND partition_key IN (\'dt=1\')']
    [record] = caplog.records
    assert "load_id=L-42" in record.getMessage() and "step=forget_manifests" in record.getMessage()


@pytest.mark.parametrize(
    ("sql", "hidden"),
    [
        ("CREATE STAGE s CREDENTIALS = (AWS_SECRET_KEY = 'abc') PASSWORD = 'hunter2'", "hunter2"),
        ("COPY x FROM 's3://b/k' CREDENTIALS 'aws_access_key_id=A;aws_secret_access_key=SECRET'", "SECRET"),
        ("ALTER USER u SET password='p4ss'", "p4ss"),
        ("SET token: 'tok-123'", "tok-123"),
    ],
)
def test_redact_hides_secrets(sql: str, hidden: str) -> None:
    assert hidden not in redact(sql)
    assert "***" in redact(sql)


def test_redact_leaves_ordinary_sql_alone() -> None:
    sql = "INSERT INTO t (a) SELECT a FROM s WHERE note = 'password reset'"
    assert redact(sql) == sql
