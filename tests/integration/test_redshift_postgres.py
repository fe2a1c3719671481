"""Redshift's transaction for real, on PostgreSQL.

redshift_connector cannot open a session on PostgreSQL, so :class:`PgRedshiftSink` is the
real ``RedshiftSink`` talking psycopg, its transactions SERIALIZABLE as Redshift's always
are (so a load that did not take the state lock first would be aborted, as on Redshift):
every statement it renders runs on the test server (the stage, its added partition
columns, LOCK, the state rows added where missing, the delete + insert merge, the state
updates), except the three only Redshift has. Those are stood in for: the ``COPY …
MANIFEST`` by PostgreSQL's COPY of the files listed in the manifest the sink wrote,
``SYS_LOAD_DETAIL`` and ``SYS_LOAD_ERROR_DETAIL`` by what that COPY counted and rejected
(with Redshift's load error code: 1216 for a file that does not parse, 1204 for a value
its column cannot hold), and ``SET query_group`` by a note.
tests/integration/test_redshift_sink.py asserts those three statements exactly.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from manifests import Entry, MalformedFileError, Manifest, Partition, RecordCountError, TerminalError, UnsupportedError
from manifests.store import ObjectStore
from sinks import Strategy
from sinks.redshift import RedshiftSink
from sinks.staging import File, as_csv, file_batches, file_schema
from tests.integration.conformance import P8, P9, TABLE, Harness, SinkContract, rows, target, unit
from tests.integration.test_postgres_sink import (  # noqa: F401 - the fixtures pg and pg_server
    Server,
    fixture_pg,
    fixture_pg_server,
)
from tests.integration.test_redshift_sink import ROLE, URL, statement
from tests.lake import Lake

_COPY = re.compile(r"^COPY (\"(?:[^\"]|\"\")+\")\nFROM '((?:[^']|'')+)'\nIAM_ROLE '[^']*'\nMANIFEST\nFORMAT AS (\w+)")


class PgRedshiftSink(RedshiftSink):
    """The Redshift sink with psycopg for a connection and PostgreSQL's COPY for Redshift's."""

    def __init__(self, store: ObjectStore, server: Server, root: str, **options: Any) -> None:
        super().__init__("redshift", {"type": "redshift", "url": URL, "iam_role": ROLE, **options}, store, root)
        self.server = server
        self.labels: list[str] = []
        self._copied: dict[str, int] = {}
        self._rejected: list[tuple[Any, ...]] = []
        self._format = "parquet"
        self._types: tuple[tuple[str, str], ...] = ()

    def _connect(self) -> Any:
        conn = self.server.connect()
        conn.execute("SET default_transaction_isolation TO serializable")  # as every Redshift transaction
        return conn

    def _query(self, sql: str) -> list[tuple[Any, ...]]:
        body = statement(sql)
        if body.startswith("SET query_group TO "):
            self.labels.append(body.split(" TO ", 1)[1])
            return []
        if body.startswith("COPY "):
            return self._copy(body)
        if "FROM sys_load_detail" in body:
            return list(self._copied.items())
        if "FROM sys_load_error_detail" in body:
            return self._rejected
        return super()._query(sql)

    def _copy(self, sql: str) -> list[tuple[Any, ...]]:
        """What Redshift's COPY does, as PostgreSQL can: every file the manifest lists into
        the table it names, Parquet and CSV by position (the table has the files' columns,
        in their order), JSON lines by name."""
        import psycopg

        found = _COPY.match(sql)
        assert found is not None, sql
        stage, manifest_url, fmt = found[1], found[2].replace("''", "'"), found[3]
        doc = json.loads(self.store.read(manifest_url)[0])
        assert fmt == {"parquet": "PARQUET", "csv": "CSV", "jsonl": "JSON"}[self._format]
        self._copied, self._rejected = {}, []
        conn = self.sessions.get()
        for entry in doc["entries"]:
            assert entry["mandatory"] and entry["meta"]["content_length"] > 0
            url = entry["url"]
            file = File(None, Manifest(manifest_url, "", ()), Entry(url), self.store.engine_path(url))  # type: ignore[arg-type]
            self._copied[url] = 0
            # Parquet and CSV by position; JSON 'auto' matches keys to columns by name
            by_name = "" if self._format != "jsonl" else _column_list(self.store, file)
            try:
                with conn.cursor() as cur, cur.copy(f"COPY {stage}{by_name} FROM STDIN WITH (FORMAT csv)") as copy:
                    for batch in file_batches(self.store, file, self._format, 1000, self._types):
                        self._copied[url] += batch.num_rows
                        copy.write(as_csv(batch, []))
            except psycopg.errors.DataError as exc:  # a value its column cannot hold: 1204
                where = re.search(r"line (\d+), column (\w+)", exc.diag.context or "")
                line, column = (int(where[1]), where[2]) if where else (0, "")
                self._rejected = [(line, 1204, url, column, exc.diag.message_primary)]
                raise RuntimeError(
                    f"Load into table {stage} failed. Check 'sys_load_error_detail' for details."
                ) from None
            except MalformedFileError as exc:  # a file that does not parse: "input line is not valid"
                self._rejected = [(0, 1216, url, "", exc.reason)]
                raise RuntimeError(
                    f"Load into table {stage} failed. Check 'sys_load_error_detail' for details."
                ) from None
        return []

    def load_many(self, units: Any) -> Any:
        self._format = units[0].target.format if units else "parquet"
        self._types = units[0].target.column_types if units else ()  # Redshift's stage has them
        return super().load_many(units)


def _column_list(store: ObjectStore, file: File) -> str:
    """A JSON-lines file's keys as a COPY column list: as Redshift's ``JSON 'auto'`` maps
    keys to columns by name, a stage column the file lacks stays NULL."""
    names = file_schema(store, file, "jsonl").names
    return " (" + ", ".join('"' + n.replace('"', '""') + '"' for n in names) + ")"


def redshift_harness(root: Path, server: Server) -> Harness:
    lake = Lake(root / "lake")
    return Harness(lake=lake, open_sink=lambda: PgRedshiftSink(lake.store, server, str(root)), read=server.query)


class TestRedshiftOnPostgresContract(SinkContract):
    """The shared suite; Redshift loads one partition per transaction, so load_many of
    several partitions is refused (tested below) instead of run."""

    @pytest.fixture
    def harness(self, tmp_path: Path, pg: Server) -> Harness:
        return redshift_harness(tmp_path, pg)

    def test_load_many_is_per_partition_and_idempotent(self, harness: Harness) -> None:
        k8 = harness.lake.write(P8, "b1", rows((1, 10, 1.0)))
        k9 = harness.lake.write(P9, "b1", rows((3, 10, 3.0)))
        sink = harness.open_sink()
        try:
            assert not sink.capabilities.batch_partitions
            tgt = target(Strategy.MERGE)
            both = [unit(tgt, P8, [harness.lake.manifest(k8)]), unit(tgt, P9, [harness.lake.manifest(k9)])]
            with pytest.raises(UnsupportedError, match="one partition per transaction"):
                sink.load_many(both)
            [one] = sink.load_many([unit(target(Strategy.MERGE), P8, [harness.lake.manifest(k8)])])
        finally:
            sink.close()
        assert (one.action, one.rows) == ("loaded", 1)

    def test_a_crash_in_load_many_leaves_every_partition_as_it_was(self, harness: Harness) -> None:
        """Refused before anything runs: nothing to crash, nothing left behind."""
        k8 = harness.lake.write(P8, "b1", rows((1, 10, 1.0)))
        k9 = harness.lake.write(P9, "b1", rows((3, 10, 3.0)))
        tgt = target(Strategy.MERGE)
        sink = harness.open_sink()
        steps: list[str] = []
        sink.checkpoint = steps.append  # type: ignore[attr-defined]
        try:
            with pytest.raises(UnsupportedError):
                sink.load_many([unit(tgt, P8, [harness.lake.manifest(k8)]), unit(tgt, P9, [harness.lake.manifest(k9)])])
            assert sink.states("ad_server.conversion") == []
        finally:
            sink.close()
        assert steps == [] and self.table(harness) == []


def load(h: Harness, strategy: Strategy, partition: dict[str, str], keys: list[str], fmt: str = "parquet") -> Any:
    tgt = target(strategy)
    tgt = type(tgt)(**{**tgt.__dict__, "format": fmt})
    sink = h.open_sink()
    try:
        return sink.load(unit(tgt, partition, [h.lake.manifest(k) for k in keys]))
    finally:
        sink.close()


def test_the_query_group_labels_each_load(tmp_path: Path, pg: Server) -> None:
    h = redshift_harness(tmp_path, pg)
    key = h.lake.write(P8, "b1", rows((1, 10, 1.0)))
    sink = h.open_sink()
    try:
        sink.load(unit(target(Strategy.APPEND), P8, [h.lake.manifest(key)]))
    finally:
        sink.close()
    assert sink.labels == ["'loaders:ad_server.conversion'"]  # type: ignore[attr-defined]


def test_a_rejected_row_is_a_terminal_error_naming_file_line_column_and_reason(tmp_path: Path, pg: Server) -> None:
    """A value of the right type that the column still cannot hold (too long for its
    VARCHAR, as a multi-byte string on Redshift): rejected by COPY, not by the type check."""
    h = redshift_harness(tmp_path, pg)
    k1 = h.lake.write(P8, "b1", [{"conversion_id": 1, "event_ts": 10, "revenue": 1.0, "note": "ok"}], fmt="csv")
    load(h, Strategy.APPEND, P8, [k1], "csv")
    pg.query(f"ALTER TABLE {TABLE} ALTER COLUMN note TYPE VARCHAR(3)")
    k2 = h.lake.write(P8, "b2", [{"conversion_id": 2, "event_ts": 10, "revenue": 2.0, "note": "toolong"}], fmt="csv")
    with pytest.raises(TerminalError) as caught:
        load(h, Strategy.APPEND, P8, [k2], "csv")
    message = str(caught.value)
    assert "first rejected rows" in message and "line 1 column note" in message and "too long" in message
    assert caught.value.file is not None and caught.value.file.endswith("b2-0.csv")
    assert caught.value.manifest is not None and caught.value.manifest.endswith("b2.json")
    assert pg.query(f"SELECT conversion_id FROM {TABLE}") == [(1,)]


def test_the_units_own_manifest_lists_exactly_the_validated_files(tmp_path: Path, pg: Server) -> None:
    h = redshift_harness(tmp_path, pg)
    k1 = h.lake.write(P8, "b1", rows((1, 10, 1.0), (2, 10, 2.0)), files=2)
    k2 = h.lake.write(P8, "b2", rows((3, 10, 3.0)))
    sink = h.open_sink()
    manifests = [h.lake.manifest(k1), h.lake.manifest(k2)]
    the_unit = unit(target(Strategy.APPEND), P8, manifests)
    try:
        assert sink.load(the_unit).rows == 3
    finally:
        sink.close()
    written = h.lake.root / "_loaders/copy/ad_server.conversion/dt=2026-11-28/hour=08" / f"{the_unit.load_id}.manifest"
    doc = json.loads(written.read_text())
    assert doc == {
        "entries": [
            {"url": e.url, "mandatory": True, "meta": {"content_length": e.content_length}}
            for m in manifests
            for e in m.entries
        ]
    }


@pytest.mark.parametrize("fmt", ["parquet", "csv", "jsonl", "avro", "avro-wrapped"])
def test_every_format_loads_the_same_table(tmp_path: Path, pg: Server, fmt: str) -> None:
    """As the runner does for every sink: Avro is converted to Parquet copies first (the
    seed's AVRO → Parquet step, which Redshift's COPY needs for wrapped records)."""
    from dataclasses import replace

    from tests.integration.test_formats import manifest_in

    h = redshift_harness(tmp_path, pg)
    manifest, loads_as = manifest_in(h.lake, fmt)
    tgt = replace(target(Strategy.APPEND), format=loads_as)
    sink = h.open_sink()
    try:
        assert sink.load(unit(tgt, P8, [manifest])).rows == 3
    finally:
        sink.close()
    got = pg.query(f"SELECT conversion_id, event_ts, revenue, dt, hour FROM {TABLE} ORDER BY 1")
    assert got == [(i, 10 * i, 2.5, "2026-11-28", "08") for i in (1, 2, 3)]


def test_declared_csv_columns_and_empty_fields_load_as_on_duckdb(tmp_path: Path, pg: Server) -> None:
    """The stage takes the declared type, so COPY parses 007 as text; EMPTYASNULL (and the
    stand-in's CSV reading) makes an empty field NULL, quoted or not."""
    from dataclasses import replace

    from tests.integration.test_formats import TRICKY_CSV, TRICKY_ROWS

    h = redshift_harness(tmp_path, pg)
    key = h.lake.write_text(P8, "b1", TRICKY_CSV)
    tgt = replace(target(Strategy.APPEND), format="csv", column_types=(("zip", "VARCHAR"),))
    sink = h.open_sink()
    try:
        assert sink.load(unit(tgt, P8, [h.lake.manifest(key)])).rows == 3
    finally:
        sink.close()
    assert pg.query(f"SELECT conversion_id, zip, note FROM {TABLE} ORDER BY 1") == TRICKY_ROWS


#: files of one unit whose columns differ (case: the rows of each file): one lacks a
#: column, the same columns in another order, a partition column in one file only
_MIXED_FILES: dict[str, list[list[dict[str, Any]]]] = {
    "one_lacks_a_column": [
        [{"conversion_id": 1, "event_ts": 10, "revenue": 1.5}],
        [{"conversion_id": 2, "event_ts": 20}],
    ],
    "same_columns_other_order": [
        [{"conversion_id": 1, "event_ts": 10, "revenue": 1.5}],
        [{"event_ts": 20, "revenue": 2.5, "conversion_id": 2}],
    ],
    "partition_column_in_one_file": [
        [{"conversion_id": 1, "event_ts": 10, "dt": "2026-01-01"}],
        [{"conversion_id": 2, "event_ts": 20}],
    ],
}


@pytest.mark.parametrize("fmt", ["parquet", "csv", "jsonl"])
@pytest.mark.parametrize("case", sorted(_MIXED_FILES))
def test_files_with_different_columns_load_as_on_postgres(tmp_path: Path, pg: Server, case: str, fmt: str) -> None:
    """One COPY maps Parquet and CSV columns by position, so the files of a unit whose
    ordered columns differ are copied a group at a time into the stage; each file's rows,
    and the rows counted per file, are those the PostgreSQL sink loads from the same lake."""
    from dataclasses import replace

    from tests.integration.test_postgres_sink import postgres_harness

    h = redshift_harness(tmp_path, pg)
    keys = [h.lake.write(P8, f"b{i}", batch, fmt=fmt) for i, batch in enumerate(_MIXED_FILES[case])]
    manifests = [h.lake.manifest(k) for k in keys]
    tables = {"redshift": TABLE, "postgres": "raw.conversions_pg"}
    loaded: dict[str, Any] = {}
    for name, open_sink in (
        ("redshift", h.open_sink),
        ("postgres", postgres_harness(tmp_path, pg, state_schema="_loaders_pg").open_sink),
    ):
        tgt = replace(target(Strategy.APPEND, tables[name]), format=fmt)
        sink = open_sink()
        try:
            result = sink.load(unit(tgt, P8, manifests))
        finally:
            sink.close()
        columns = sorted(
            r[0]
            for r in pg.query(
                "SELECT column_name FROM information_schema.columns"
                f" WHERE table_schema = 'raw' AND table_name = '{tables[name].split('.')[1]}'"
            )
        )
        got = pg.query(f"SELECT {', '.join(columns)} FROM {tables[name]} ORDER BY conversion_id")
        loaded[name] = (result.rows, columns, got)
    assert loaded["redshift"] == loaded["postgres"]
    # the partition's value in every row (in the file's type of dt: a CSV's is a DATE)
    assert loaded["redshift"][0] == 2 and {str(r[columns.index("dt")]) for r in loaded["redshift"][2]} == {"2026-11-28"}


def test_a_rejected_row_in_a_later_group_names_its_manifest_and_file(tmp_path: Path, pg: Server) -> None:
    """The files are copied a group at a time: a COPY of the second group that fails is
    blamed on that group's file, as one COPY of all files would be, and nothing loads."""
    h = redshift_harness(tmp_path, pg)
    k1 = h.lake.write(P8, "b1", [{"conversion_id": 1, "event_ts": 10, "revenue": 1.0, "note": "ok"}], fmt="csv")
    load(h, Strategy.APPEND, P8, [k1], "csv")
    pg.query(f"ALTER TABLE {TABLE} ALTER COLUMN note TYPE VARCHAR(3)")
    k2 = h.lake.write(P8, "b2", [{"conversion_id": 2, "event_ts": 10, "revenue": 2.0}], fmt="csv")
    k3 = h.lake.write(P8, "b3", [{"note": "toolong", "conversion_id": 3, "event_ts": 10}], fmt="csv")
    with pytest.raises(TerminalError) as caught:
        load(h, Strategy.APPEND, P8, [k2, k3], "csv")
    assert "line 1 column note" in str(caught.value) and "too long" in str(caught.value)
    assert caught.value.file is not None and caught.value.file.endswith("b3-0.csv")
    assert caught.value.manifest is not None and caught.value.manifest.endswith("b3.json")
    assert pg.query(f"SELECT conversion_id FROM {TABLE}") == [(1,)]


def test_a_failure_after_a_success_is_the_first_in_a_row_whatever_the_old_state_counted(
    tmp_path: Path, pg: Server
) -> None:
    """The previous version never reset ``attempts`` on a success. Before: the first
    failure after the upgrade counted on (8 here), past the sweep's max_attempts."""
    harness = redshift_harness(tmp_path, pg)
    key = harness.lake.write(P8, "b1", rows((1, 10, 1.0)))
    sink = harness.open_sink()
    try:
        sink.load(unit(target(Strategy.APPEND), P8, [harness.lake.manifest(key)]))
        pg.query("UPDATE _loaders.partitions SET attempts = 7")  # a loaded row as the previous version left it
        sink.fail("ad_server.conversion", Partition.of(P8), "x1", RecordCountError("boom"))
        sink.fail("ad_server.conversion", Partition.of(P8), "x2", RecordCountError("boom"))
        [state] = sink.states("ad_server.conversion")
    finally:
        sink.close()
    assert (state.status, state.attempts, state.manifests) == ("failed", 2, 1)
