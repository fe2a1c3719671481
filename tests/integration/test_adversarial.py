"""Bad inputs and faults, as an adversary would send them, through the CLI and the Lambda.

Each case writes one bad input into a partition of its own and loads it together with a
good batch of another partition, in one command. Whatever the input, the command exits 1
(2 for a usage error), prints one line per unit and no traceback, the failed unit's line
names the error class and the manifest (and the file, where one is to blame), the good
batch loads, and nothing else changes: no rows in any table, no applied manifest, only
the failed attempt recorded against the bad partition. Run on DuckDB and PostgreSQL (and
the Lambda handler over moto's S3 → SNS → SQS, with DuckDB behind it).
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from sinks import REGISTRY
from tests.integration.adversarial import HOUR, Bad, Ran, World, changes
from tests.integration.test_postgres_sink import (  # noqa: F401 - the fixture pg_server
    Server,
    fixture_pg_server,
)
from tests.integration.test_redshift_postgres import PgRedshiftSink

Build = Callable[[World, str], Bad]


@dataclass(frozen=True)
class Case:
    """A bad input: how to write it, the error class it must fail with, and what the
    error line must also say (``fragment``; ``file``, a file it must name)."""

    error: str
    build: Build
    fragment: str = ""
    file: str | None = None
    manifest: str | None = "bad.json"
    #: sink → why this case still fails there (strict: it must fail until it is fixed)
    xfail: dict[str, str] | None = None
    #: the failure also breaks the command's promises (rows of the bad input loaded)
    xfail_command: bool = False


def part(dt: str) -> str:
    return f"dt={dt}/hour={HOUR}"


def doc(document: Any) -> Build:
    """A manifest of the main dataset whose content is ``document`` (JSON, or text as is)."""

    def build(w: World, dt: str) -> Bad:
        return Bad([w.manifest(w.key("main", dt, "bad"), document)], partitions=[part(dt)])

    return build


def entries(make: Callable[[World, str, dict[str, Any]], Any], **top: Any) -> Build:
    """A manifest of the main dataset whose entries are made from one good file's entry."""

    def build(w: World, dt: str) -> Bad:
        good = w.parquet("main", dt, "d.parquet", w.rows())
        return Bad([w.manifest(w.key("main", dt, "bad"), {"entries": make(w, dt, good), **top})], partitions=[part(dt)])

    return build


def top(**keys: Any) -> Build:
    """A good file's manifest with extra top-level keys."""
    return entries(lambda _w, _dt, e: [e], **keys)


def entry(**changed: Any) -> Build:
    """A good file's entry with keys changed (``meta`` merged)."""

    def make(_w: World, _dt: str, e: dict[str, Any]) -> list[dict[str, Any]]:
        meta = changed.get("meta", {})
        return [{**e, **changed, "meta": {**e["meta"], **meta} if isinstance(meta, dict) else meta}]

    return entries(lambda w, dt, e: make(w, dt, dict(e)))


def data(kind: str, text: str | bytes, rows: int | None = None, name: str = "d") -> Build:
    """A data file of dataset ``kind`` written byte for byte, and its manifest."""
    ext = {"main": "parquet", "csv": "csv", "jsonl": "jsonl", "avro": "avro", "wide": "parquet"}[kind]

    def build(w: World, dt: str) -> Bad:
        e = w.text(kind, dt, f"{name}.{ext}", text, rows)
        return Bad([w.manifest(w.key(kind, dt, "bad"), {"entries": [e]})], [part(dt)], f"adv.{kind}")

    return build


def table(rows: pa.Table | list[dict[str, Any]], kind: str = "main", record_count: int | None = None) -> Build:
    """A Parquet file of these rows in dataset ``kind``, and its manifest."""

    def build(w: World, dt: str) -> Bad:
        e = w.parquet(kind, dt, "d.parquet", rows)
        if record_count is not None:
            e["meta"]["record_count"] = record_count
        return Bad([w.manifest(w.key(kind, dt, "bad"), {"entries": [e]})], [part(dt)], f"adv.{kind}")

    return build


def deep(depth: int, open_: str = "[", close: str = "]") -> str:
    return open_ * depth + close * depth


def url_of(spelling: Callable[[World, str, str], str]) -> Build:
    """A manifest whose one entry is a good file named by ``spelling(world, dt, key)``."""

    def make(w: World, dt: str, e: dict[str, Any]) -> list[dict[str, Any]]:
        return [{**e, "url": spelling(w, dt, e["url"])}]

    return entries(make)


def lake_path(w: World) -> str:
    return str(w.root / "lake")


# -- the cases --------------------------------------------------------------------------

MALFORMED_JSON = {
    "truncated-object": doc('{"entries": ['),
    "empty-file": doc(""),
    "whitespace-only": doc("  \n\t "),
    "trailing-comma": doc('{"entries": [],}'),
    "single-quotes": doc("{'entries': []}"),
    "comment": doc('// producer v2\n{"entries": []}'),
    "unquoted-key": doc("{entries: []}"),
    "leading-zero-number": doc('{"entries": [{"url": "a", "meta": {"content_length": 007}}]}'),
    "hex-number": doc('{"entries": [{"url": "a", "meta": {"content_length": 0x10}}]}'),
    "invalid-utf8": doc(b'{"entries": [], "dataset": "\xff\xfe"}'),
    "nan-in-meta": doc('{"entries": [{"url": "data/x.parquet", "meta": {"content_length": NaN}}]}'),
    "nan-literal": doc('{"entries": [], "weight": NaN}'),
    "infinity-literal": doc('{"entries": [{"url": "data/x.parquet", "meta": {"content_length": Infinity}}]}'),
    "minus-infinity-literal": doc('{"entries": [], "x": -Infinity}'),
    "duplicate-entries-key": doc('{"entries": [{"url": "data/a.parquet"}], "entries": []}'),
    "duplicate-url-key": doc('{"entries": [{"url": "data/a.parquet", "url": "data/b.parquet"}]}'),
    "duplicate-meta-key": doc('{"entries": [{"url": "a", "meta": {"record_count": 1, "record_count": 2}}]}'),
    "nested-100000-arrays": doc(deep(100_000)),
    "nested-100000-objects": doc('{"a":' * 100_000 + "1" + "}" * 100_000),
    "nested-inside-entries": doc('{"entries": ' + deep(50_000) + "}"),
    "lone-high-surrogate": doc('{"entries": [{"url": "data/\\ud800.parquet"}]}'),
    "lone-low-surrogate": doc('{"entries": [], "dataset": "adv.\\udc00"}'),
    "5000-digit-number": doc('{"entries": [{"url": "a", "meta": {"content_length": ' + "9" * 5000 + "}}]}"),
    "top-level-list": doc("[]"),
    "top-level-string": doc('"entries"'),
    "top-level-null": doc("null"),
    "top-level-number": doc("42"),
    "trailing-garbage": doc('{"entries": []} trailing'),
    "two-documents": doc('{"entries": []}{"entries": []}'),
    "raw-nul-byte": doc(b'{"entries":\x00[]}'),
    "raw-newline-in-string": doc('{"entries": [{"url": "data/a\nb.parquet"}]}'),
    "over-64-mib": doc(b'{"entries": [], "pad": "' + b"x" * (64 * 1024 * 1024) + b'"}'),
}

WRONG_TYPES = {
    "entries-object": doc({"entries": {}}),
    "entries-string": doc({"entries": "data/a.parquet"}),
    "entries-null": doc({"entries": None}),
    "entries-number": doc({"entries": 3}),
    "entries-missing": doc({"files": []}),
    "entries-capitalised": doc({"Entries": []}),
    "dataset-number": top(dataset=5),
    "dataset-empty": top(dataset=""),
    "dataset-list": top(dataset=["adv.main"]),
    "dataset-object": top(dataset={"name": "adv.main"}),
    "partition-list": top(partition=["dt", "2001-01-01"]),
    "partition-number": top(partition=20010101),
    "partition-value-bool": top(partition={"dt": True, "hour": "00"}),
    "partition-value-null": top(partition={"dt": None, "hour": "00"}),
    "partition-value-object": top(partition={"dt": {"y": 2001}, "hour": "00"}),
    "partition-value-float": top(partition={"dt": 1.5, "hour": "00"}),
    "partition-empty-object": top(partition={}),
    "partition-name-empty": top(partition={"": "x"}),
    "partition-string-without-equals": top(partition="2001-01-01"),
    "format-unknown": top(format="orc"),
    "format-number": top(format=1),
    "format-capitalised": top(format="PARQUET"),
    "format-other-dataset": top(format="csv"),
    "fingerprint-float": top(schema_fingerprint=1.5),
    "fingerprint-bool": top(schema_fingerprint=True),
    "fingerprint-object": top(schema_fingerprint={"v": 1}),
}

WRONG_ENTRIES = {
    "entry-string": entries(lambda _w, _dt, e: [e["url"]]),
    "entry-null": entries(lambda _w, _dt, e: [e, None]),
    "entry-list": entries(lambda _w, _dt, e: [[e]]),
    "entry-number": entries(lambda _w, _dt, _e: [7]),
    "url-missing": entries(lambda _w, _dt, e: [{"mandatory": True, "meta": e["meta"]}]),
    "url-empty": entry(url=""),
    "url-blank": entry(url="   "),
    "url-number": entry(url=12),
    "url-list": entries(lambda _w, _dt, e: [{**e, "url": [e["url"]]}]),
    "url-object": entries(lambda _w, _dt, e: [{**e, "url": {"key": e["url"]}}]),
    "mandatory-string": entry(mandatory="true"),
    "mandatory-number": entry(mandatory=1),
    "mandatory-null": entry(mandatory=None),
    "meta-list": entry(meta=[]),
    "meta-string": entry(meta="big"),
    "meta-null": entry(meta=None),
    "content-length-string": entry(meta={"content_length": "100"}),
    "content-length-float": entry(meta={"content_length": 10.5}),
    "content-length-bool": entry(meta={"content_length": True}),
    "record-count-negative": entry(meta={"record_count": -2}),
    "record-count-float": entry(meta={"record_count": 2.0}),
    "record-count-string": entry(meta={"record_count": "2"}),
    "record-count-huge-float": entry(meta={"record_count": 1e308}),
}

MISSING = {
    "mandatory-file-absent": entries(lambda _w, _dt, e: [{**e, "url": e["url"].replace("d.parquet", "gone.parquet")}]),
    "mandatory-folder-absent": entries(lambda _w, _dt, e: [{**e, "url": "data/main/nowhere/gone.parquet"}]),
    "mandatory-url-is-a-folder": entries(lambda _w, _dt, e: [{**e, "url": e["url"].rsplit("/", 1)[0]}]),
    "mandatory-wrong-case": entries(lambda _w, _dt, e: [{**e, "url": e["url"].replace("d.parquet", "D.parquet")}]),
    "mandatory-after-an-optional-missing": entries(
        lambda _w, _dt, e: [
            {"url": e["url"].replace("d.parquet", "opt.parquet"), "mandatory": False},
            {**e, "url": e["url"].replace("d.parquet", "gone.parquet")},
        ]
    ),
}

SIZES_AND_COUNTS = {
    "content-length-plus-one": entries(
        lambda _w, _dt, e: [{**e, "meta": {**e["meta"], "content_length": e["meta"]["content_length"] + 1}}]
    ),
    "content-length-minus-one": entries(
        lambda _w, _dt, e: [{**e, "meta": {**e["meta"], "content_length": e["meta"]["content_length"] - 1}}]
    ),
    "content-length-zero": entry(meta={"content_length": 0}),
    "content-length-10-to-the-30": entry(meta={"content_length": 10**30}),
    "content-length-wrong-on-the-second-file": entries(
        lambda w, dt, e: [e, {**w.parquet("main", dt, "e.parquet", w.rows()), "meta": {"content_length": 1}}]
    ),
    "record-count-plus-one": entry(meta={"record_count": 3}),
    "record-count-zero": entry(meta={"record_count": 0}),
    "record-count-10-to-the-30": entry(meta={"record_count": 10**30}),
    "record-count-wrong-on-the-second-file": entries(
        lambda w, dt, e: [
            e,
            {**(f := w.parquet("main", dt, "e.parquet", w.rows())), "meta": {**f["meta"], "record_count": 5}},
        ]
    ),
}

FOREIGN = {
    "s3-bucket-in-a-local-lake": url_of(lambda _w, _dt, key: f"s3://other-bucket/{key}"),
    "http": url_of(lambda _w, _dt, key: f"http://example.com/{key}"),
    "https": url_of(lambda _w, _dt, key: f"https://example.com/{key}"),
    "gs": url_of(lambda _w, _dt, key: f"gs://bucket/{key}"),
    "s3a": url_of(lambda _w, _dt, key: f"s3a://bucket/{key}"),
    "ftp": url_of(lambda _w, _dt, key: f"ftp://example.com/{key}"),
    "data-url": url_of(lambda _w, _dt, _key: "data:application/octet-stream;base64,UEFSMQ=="),
    "file-url-with-a-host": url_of(lambda w, _dt, key: f"file://evil.example.com{lake_path(w)}/{key}"),
    "file-url-outside-the-lake": url_of(lambda _w, _dt, _key: "file:///etc/passwd"),
    "absolute-path-outside-the-lake": url_of(lambda _w, _dt, _key: "/etc/passwd"),
    "network-path-reference": url_of(lambda _w, _dt, key: f"//example.com/{key}"),
    "sibling-folder-sharing-the-prefix": url_of(lambda w, _dt, key: f"file://{lake_path(w)}house/{key}"),
    "query-string": url_of(lambda w, _dt, key: f"file://{lake_path(w)}/{key}?versionId=1"),
    "fragment": url_of(lambda w, _dt, key: f"file://{lake_path(w)}/{key}#x"),
}

TRAVERSAL = {
    "dot-dot-relative": url_of(lambda _w, _dt, _key: "../outside.parquet"),
    "dot-dot-inside": url_of(lambda _w, _dt, key: key.replace("data/main/", "data/main/x/../")),
    "dot-dot-in-file-url": url_of(lambda w, _dt, key: f"file://{lake_path(w)}/data/../../{key}"),
    "dot-segment-leading": url_of(lambda _w, _dt, key: f"./{key}"),
    "dot-segment-inside": url_of(lambda _w, _dt, key: key.replace("data/main/", "data/./main/")),
    "backslash": url_of(lambda _w, _dt, key: key.replace("/", "\\")),
    "backslash-dot-dot": url_of(lambda _w, _dt, _key: "data\\..\\..\\outside.parquet"),
    "encoded-dot-dot": url_of(lambda _w, _dt, _key: "data/%2e%2e/%2e%2e/outside.parquet"),
    "encoded-dot-dot-mixed-case": url_of(lambda _w, _dt, _key: "data/%2E%2e/outside.parquet"),
    "encoded-slash-dot-dot": url_of(lambda _w, _dt, _key: "data%2f..%2f..%2foutside.parquet"),
    "encoded-dot-dot-in-file-url": url_of(lambda w, _dt, _key: f"file://{lake_path(w)}/%2e%2e/outside.parquet"),
    "control-newline": url_of(lambda _w, _dt, key: key.replace("d.parquet", "d\n.parquet")),
    "control-tab": url_of(lambda _w, _dt, key: key.replace("d.parquet", "d\t.parquet")),
    "control-escape": url_of(lambda _w, _dt, key: key.replace("d.parquet", "d\x1b[2J.parquet")),
    "control-delete": url_of(lambda _w, _dt, key: key.replace("d.parquet", "d\x7f.parquet")),
    "encoded-nul": url_of(lambda _w, _dt, key: key.replace("d.parquet", "d%00.parquet")),
    "encoded-newline": url_of(lambda _w, _dt, key: key.replace("d.parquet", "d%0a.parquet")),
    "nul": url_of(lambda _w, _dt, key: key.replace("d.parquet", "d\x00.parquet")),
}

UNICODE_TRICKS = {
    "fullwidth-slash": url_of(lambda _w, _dt, key: key.replace("/d.parquet", "\uff0fd.parquet")),
    "fullwidth-dots": url_of(lambda _w, _dt, _key: "data/\uff0e\uff0e/\uff0e\uff0e/outside.parquet"),
    "one-dot-leaders": url_of(lambda _w, _dt, _key: "data/\u2025/outside.parquet"),
    "double-encoded-dot-dot": url_of(lambda _w, _dt, _key: "data/%252e%252e/outside.parquet"),
    "right-to-left-override-in-url": url_of(lambda _w, _dt, key: key.replace("d.parquet", "d\u202eteuqrap.parquet")),
}

def in_folder(suffix: str) -> Build:
    """A good manifest whose key's partition folder holds ``suffix`` after the day: the
    dataset's pattern matches it, so the partition would be the folder's name."""

    def build(w: World, dt: str) -> Bad:
        e = w.parquet("main", dt, "d.parquet", w.rows())
        return Bad([w.manifest(w.key("main", dt + suffix, "bad"), {"entries": [e]})], partitions=[])

    return build


IDENTIFIERS = {
    "key-partition-rtl-override": in_folder("\u202e"),
    "key-partition-zero-width-space": in_folder("\u200b"),
    "key-partition-next-line": in_folder("\x85"),
    # a manifest outside every pattern names its dataset and partition itself
    "partition-value-nul": top(dataset="adv.main", partition={"dt": "2001\x00", "hour": HOUR}),
    "partition-value-newline": top(dataset="adv.main", partition={"dt": "2001\n", "hour": HOUR}),
    "partition-value-escape": top(dataset="adv.main", partition={"dt": "\x1b[31m2001", "hour": HOUR}),
    "partition-value-rtl-override": top(dataset="adv.main", partition={"dt": "2001\u202e", "hour": HOUR}),
    "partition-value-zero-width-space": top(dataset="adv.main", partition={"dt": "2001\u200b", "hour": HOUR}),
    "partition-value-line-separator": top(dataset="adv.main", partition={"dt": "2001\u2028", "hour": HOUR}),
    "partition-name-nul": top(partition={"d\x00t": "2001", "hour": HOUR}),
    "partition-string-with-nul": top(partition="dt=2001\x00/hour=00"),
    "partition-value-slash": top(partition={"dt": "2001/01", "hour": HOUR}),
    "dataset-nul": top(dataset="adv.main\x00"),
    "dataset-newline": top(dataset="adv.\nmain"),
}


def outside(partition: dict[str, str], **keys: Any) -> Build:
    """A good file's manifest stored outside every dataset's pattern, with its own keys."""

    def build(w: World, dt: str) -> Bad:
        e = w.parquet("main", dt, "d.parquet", w.rows())
        key = w.manifest(f"manifests/elsewhere/{dt}/bad.json", {"entries": [e], "partition": partition, **keys})
        return Bad([key], partitions=[])

    return build


MISMATCH = {
    "dataset-differs-from-the-key": top(dataset="adv.csv"),
    "partition-differs-from-the-key": top(partition={"dt": "1999-01-01", "hour": HOUR}),
    "hour-differs-from-the-key": top(partition={"dt": "2001-01-01", "hour": "23"}),
    "unknown-dataset": outside({"dt": "2001-01-01", "hour": HOUR}, dataset="adv.nope"),
    "no-dataset-outside-the-patterns": outside({"dt": "2001-01-01", "hour": HOUR}),
    "partition-fields-of-another-dataset": outside({"day": "2001-01-01"}, dataset="adv.main"),
    "partition-fields-in-another-order": outside({"hour": HOUR, "dt": "2001-01-01"}, dataset="adv.main"),
    "partition-missing-a-field": outside({"dt": "2001-01-01"}, dataset="adv.main"),
    "empty-manifest-refused-by-the-dataset": doc({"entries": []}),
}


def schema(**columns: pa.Array) -> Build:
    return table(pa.table(columns))


SCHEMAS = {
    "amount-as-text": schema(
        id=pa.array([1, 2], pa.int64()), ts=pa.array([1, 1], pa.int64()), amount=pa.array(["abc", "x"])
    ),
    "id-as-list": schema(id=pa.array([[1], [2]]), ts=pa.array([1, 1], pa.int64()), amount=pa.array([1.0, 2.0])),
    "id-as-struct": schema(
        id=pa.array([{"a": 1}, {"a": 2}]), ts=pa.array([1, 1], pa.int64()), amount=pa.array([1.0, 2.0])
    ),
    "amount-as-binary": schema(
        id=pa.array([1, 2], pa.int64()), ts=pa.array([1, 1], pa.int64()), amount=pa.array([b"\x00", b"\x01"])
    ),
    "key-column-missing": schema(ts=pa.array([1, 1], pa.int64()), amount=pa.array([1.0, 2.0])),
}


def corrupt(mangle: Callable[[bytes], bytes]) -> Build:
    """A real Parquet file, mangled, listed with its mangled size."""

    def build(w: World, dt: str) -> Bad:
        good = w.parquet("main", dt, "d.parquet", w.rows())
        path = w.path(good["url"])
        path.write_bytes(mangle(path.read_bytes()))
        e = w.entry(good["url"])
        return Bad([w.manifest(w.key("main", dt, "bad"), {"entries": [e]})], partitions=[part(dt)])

    return build


AVRO_HEADER = b"Obj\x01"
CORRUPT = {
    "parquet-footer-broken": corrupt(lambda b: b[:-12] + b"not parquet!"),
    "parquet-truncated-to-half": corrupt(lambda b: b[: len(b) // 2]),
    "parquet-magic-only": corrupt(lambda _b: b"PAR1PAR1"),
    "parquet-zero-bytes": corrupt(lambda _b: b""),
    "parquet-is-csv-text": corrupt(lambda _b: b"id,ts,amount\n1,1,1.5\n"),
    "parquet-footer-length-huge": corrupt(lambda b: b[:-8] + b"\xff\xff\xff\x7fPAR1"),
    "avro-is-text": data("avro", "not avro at all\n"),
    "avro-header-only": data("avro", AVRO_HEADER),
    "avro-zero-bytes": data("avro", b""),
}

MALFORMED_FILES = {
    "csv-unterminated-quote": data("csv", 'a,b\n1,"x\n2,y\n3,z\n'),
    "csv-ragged-row": data("csv", "a,b\n1,2\n3,4,5\n"),
    "csv-empty-column-name": data("csv", "a,,c\n1,2,3\n"),
    "csv-invalid-utf8": data("csv", b"a,b\n1,\xff\xfe\n"),
    "jsonl-array-line": data("jsonl", '{"a": 1}\n[1, 2]\n'),
    "jsonl-not-json": data("jsonl", '{"a": 1}\nnot json\n'),
    "jsonl-number-line": data("jsonl", '{"a": 1}\n42\n'),
    "jsonl-truncated-last-line": data("jsonl", '{"a": 1}\n{"a": 2\n'),
}

NULL_KEYS = {
    "parquet-null-key": table([{"id": None, "ts": 1, "amount": 1.0}, {"id": 7, "ts": 1, "amount": 1.0}]),
    "parquet-every-key-null": schema(
        id=pa.array([None, None], pa.int64()), ts=pa.array([1, 1], pa.int64()), amount=pa.array([1.0, 2.0])
    ),
}


def spelled_twice(second: Callable[[World, str], str]) -> Build:
    """One data file listed twice in one manifest: as its key, and as ``second(world, key)``."""
    return entries(lambda w, _dt, e: [e, {**e, "url": second(w, e["url"])}])


SPELLINGS = {
    "file-url-and-localhost": spelled_twice(lambda w, key: f"file://localhost{lake_path(w)}/{key}"),
    "relative-and-file-url": spelled_twice(lambda w, key: f"file://{lake_path(w)}/{key}"),
    "relative-and-absolute-path": spelled_twice(lambda w, key: f"{lake_path(w)}/{key}"),
    "percent-encoded-hyphen": spelled_twice(
        lambda w, key: f"file://{lake_path(w)}/{key.replace('2001-', '2001%2D', 1)}"
    ),
    "percent-encoded-letter": spelled_twice(
        lambda w, key: f"file://{lake_path(w)}/{key.replace('d.parquet', '%64.parquet')}"
    ),
    "percent-encoded-equals": spelled_twice(lambda w, key: f"file://{lake_path(w)}/{key.replace('dt=', 'dt%3D')}"),
}


def shared_file(second_dt: bool) -> Build:
    """Two manifests of one load name one file: in two partitions, or in one."""

    def build(w: World, dt: str) -> Bad:
        e = w.parquet("main", dt, "d.parquet", w.rows())
        other = w.slot() if second_dt else dt
        first = w.manifest(w.key("main", dt, "bad"), {"entries": [e]})
        second = w.manifest(w.key("main", other, "bad2"), {"entries": [e]})
        return Bad([first, second], partitions=sorted({part(dt), part(other)}))

    return build


def symlinked(how: str) -> Build:
    """A data file listed by its key in the lake that is a symbolic link: out of the lake,
    to nothing, to itself, or inside a folder that is itself a link out of the lake."""

    def build(w: World, dt: str) -> Bad:
        elsewhere = w.root / "outside" / dt
        elsewhere.mkdir(parents=True)
        e = w.parquet("main", dt, "d.parquet", w.rows())
        link = w.path(e["url"])
        target = elsewhere / "d.parquet"
        link.rename(target)
        if how == "data-out-of-the-lake":
            link.symlink_to(target)
        elif how == "data-dangling":
            link.symlink_to(elsewhere / "nothing.parquet")
        elif how == "data-loop":
            link.symlink_to(link)
        elif how == "folder-out-of-the-lake":
            link.parent.rmdir()
            link.parent.symlink_to(elsewhere, target_is_directory=True)
        return Bad([w.manifest(w.key("main", dt, "bad"), {"entries": [e]})], partitions=[part(dt)])

    return build


def manifest_out_of_the_lake(w: World, dt: str) -> Bad:
    """A good manifest outside the lake, reached through a link where a manifest belongs:
    refused before its partition is known, so no partition records the attempt."""
    e = w.parquet("main", dt, "d.parquet", w.rows())
    real = w.root / "outside" / f"{dt}.json"
    real.parent.mkdir(exist_ok=True)
    real.write_text(json.dumps({"entries": [e]}))
    link = w.path(w.key("main", dt, "bad"))
    link.parent.mkdir(parents=True, exist_ok=True)
    link.symlink_to(real)
    return Bad([w.key("main", dt, "bad")], partitions=[])


SYMLINKS = {
    **{how: symlinked(how) for how in ("data-out-of-the-lake", "data-dangling", "data-loop", "folder-out-of-the-lake")},
    "manifest-out-of-the-lake": manifest_out_of_the_lake,
}


def ref(make: Callable[[World, str], str], partitions: bool = False, folder: bool = False) -> Build:
    """A bad reference on the command line itself (the manifest need not exist; with
    ``folder``, its partition's folder does, so that the file system reads the name)."""

    def build(w: World, dt: str) -> Bad:
        if folder:
            w.path(w.key("main", dt, "x")).parent.mkdir(parents=True)
        return Bad([make(w, dt)], partitions=[part(dt)] if partitions else [])

    return build


REFS = {
    # a bug met reading the manifest, not a LoaderError: it was a traceback stopping the command
    "name-too-long": ref(lambda w, dt: w.key("main", dt, "x" * 300), partitions=True, folder=True),
    "does-not-exist": ref(lambda w, dt: w.key("main", dt, "nothing"), partitions=True),
    "a-folder": ref(lambda w, dt: str(w.path(w.batch(dt, "folder")).parent).removeprefix(lake_path(w) + "/")),
    "newline": ref(lambda w, dt: w.key("main", dt, "bad\nline")),
    "s3-url-in-a-local-lake": ref(lambda _w, dt: f"s3://lake/manifests/main/dt={dt}/hour=00/bad.json"),
    "outside-the-lake": ref(lambda w, dt: str(w.root / "outside" / f"{dt}.json")),
    "dot-dot": ref(lambda _w, dt: f"manifests/main/dt={dt}/../../../outside.json"),
    "encoded-dot-dot-file-url": ref(lambda w, dt: f"file://{lake_path(w)}/manifests/{dt}/%2e%2e/%2e%2e/x.json"),
}


#: what each bad reference fails with, and the words its line must hold
REF_CASES = {
    "name-too-long": Case("MissingFileError", REFS["name-too-long"], "File name too long", None, "x" * 200),
    "does-not-exist": Case("MissingFileError", REFS["does-not-exist"], "no such object", None, "nothing.json"),
    "a-folder": Case("MissingFileError", REFS["a-folder"], "is a folder", "hour=00", None),
    "newline": Case("ForeignURLError", REFS["newline"], "control character", "bad\\nline.json", None),
    "s3-url-in-a-local-lake": Case("ForeignURLError", REFS["s3-url-in-a-local-lake"], "local folder", "s3://", None),
    "outside-the-lake": Case("ForeignURLError", REFS["outside-the-lake"], "outside the allowed", "/outside/", None),
    "dot-dot": Case("ForeignURLError", REFS["dot-dot"], '".." segment', "outside.json", None),
    "encoded-dot-dot-file-url": Case(
        "ForeignURLError", REFS["encoded-dot-dot-file-url"], '".." segment', "%2e%2e", None
    ),
}


def shared(second_partition: bool) -> Case:
    """One file in two manifests of one load: the error names both (the second is bad2.json)."""
    return Case("DuplicateFileError", shared_file(second_partition), "", None, "bad2.json")


#: cases whose error class or wording differs from their group's
OVERRIDES: dict[str, Case] = {
    **{
        f"json/top-level-{kind}": Case("ManifestError", MALFORMED_JSON[f"top-level-{kind}"], "expected a JSON object")
        for kind in ("list", "string", "null", "number")
    },
    "json/over-64-mib": Case("ManifestError", MALFORMED_JSON["over-64-mib"], "a manifest may have at most"),
    # a relative URL is a key in the lake, and a key may hold ":" (S3 keys are literal)
    "foreign/data-url": Case("MissingFileError", FOREIGN["data-url"], "missing"),
    "traversal/nul": Case("ManifestError", TRAVERSAL["nul"], "NUL"),
    "mismatch/empty-manifest-refused-by-the-dataset": Case(
        "EmptyManifestError", MISMATCH["empty-manifest-refused-by-the-dataset"], "allow_empty = false"
    ),
    # the store resolves the link before anything else: the error names where it leads
    "symlink/manifest-out-of-the-lake": Case(
        "ForeignURLError", SYMLINKS["manifest-out-of-the-lake"], "outside the allowed prefixes", "/outside/", None
    ),
    # a link to itself is no file at all
    "symlink/data-loop": Case("MissingFileError", SYMLINKS["data-loop"], "missing"),
    "corrupt/parquet-footer-length-huge": Case(
        "MalformedFileError",
        CORRUPT["parquet-footer-length-huge"],
        xfail={
            "duckdb": "DuckDB's reader refuses the footer with an IOException, which the sink maps to "
            "TerminalError (only InvalidInput/Conversion are MalformedFileError)"
        },
    ),
    # alone with the good batch, so that the sink loads both in one batch
    "batch/order-by-column-missing": Case(
        "SchemaMismatchError",
        schema(id=pa.array([1, 2], pa.int64()), amount=pa.array([1.0, 2.0])),
        "no column ts",
    ),
}


def all_cases() -> dict[str, Case]:
    """Every case by id, ``group/name``; a group's cases run in one command."""
    expected: list[tuple[str, dict[str, Build], str, str, str | None]] = [
        ("json", MALFORMED_JSON, "ManifestError", "not valid JSON", None),
        ("type", WRONG_TYPES, "ManifestError", "", None),
        ("entry", WRONG_ENTRIES, "ManifestError", "entries[", None),
        ("missing", MISSING, "MissingFileError", "missing", None),
        ("foreign", FOREIGN, "ForeignURLError", "", None),
        ("traversal", TRAVERSAL, "ForeignURLError", "", None),
        ("unicode", UNICODE_TRICKS, "MissingFileError", "missing", None),
        ("identifier", IDENTIFIERS, "ManifestError", "", None),
        ("mismatch", MISMATCH, "ManifestError", "", None),
        ("schema", SCHEMAS, "SchemaMismatchError", "", None),
        ("corrupt", CORRUPT, "MalformedFileError", "", None),
        ("malformed", MALFORMED_FILES, "MalformedFileError", "", None),
        ("null-key", NULL_KEYS, "NullKeyError", "column(s) id (", None),
        ("spelling", SPELLINGS, "DuplicateFileError", "", "d.parquet"),
        ("symlink", SYMLINKS, "ForeignURLError", "", None),
    ]
    out = {
        f"{group}/{name}": Case(error, build, fragment, file)
        for group, builds, error, fragment, file in expected
        for name, build in builds.items()
    }
    for name, build in SIZES_AND_COUNTS.items():
        error = "SizeMismatchError" if "content-length" in name else "RecordCountError"
        out[f"size/{name}"] = Case(error, build, file="parquet")
    out.update({f"ref/{name}": case for name, case in REF_CASES.items()})
    out["shared/two-partitions"] = shared(True)
    out["shared/one-partition"] = shared(False)
    out.update(OVERRIDES)
    return out


CASES = all_cases()
GROUPS = sorted({case_id.split("/")[0] for case_id in CASES})


# -- the world, per sink, and one command per group of cases ---------------------------------

DUCKDB = '[sinks.local]\ntype = "duckdb"\nurl = "duckdb:///warehouse.duckdb"\n'


class RedshiftOnPostgres(PgRedshiftSink):
    """The Redshift sink on the PostgreSQL test server (tests/integration/test_redshift_postgres.py),
    opened by the sink registry as every sink is, so that the CLI loads into it."""

    server: Server

    def __init__(self, name: str, options: Any, store: Any, project_dir: str | None = None) -> None:
        super().__init__(store, self.server, project_dir or ".")


SINKS = ("duckdb", "postgres", "redshift-on-postgres")
#: what the Redshift path runs: the groups whose inputs reach the sink (the others fail
#: before any sink sees them, as on PostgreSQL); a zero-byte file trips the COPY stand-in
REDSHIFT_GROUPS = ("schema", "size", "null-key", "batch", "shared")


@pytest.fixture(scope="module")
def world(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    """One project per sink for the whole module; its main table seeded by one good load."""
    sink = request.param
    root = tmp_path_factory.mktemp(f"adversarial-{sink}")
    with pytest.MonkeyPatch.context() as mp:
        if sink == "duckdb":
            path = root / "warehouse.duckdb"
            world = World(root, DUCKDB, lambda: duckdb.connect(str(path), read_only=True))
        else:
            server: Server = request.getfixturevalue("pg_server")
            server.reset()
            kind = "postgres"
            if sink == "redshift-on-postgres":
                mp.setattr(RedshiftOnPostgres, "server", server, raising=False)
                # a PostgreSQL URL, so PostgreSQL's options; the class is the Redshift sink's
                mp.setitem(REGISTRY, sink, replace(REGISTRY["postgres"], target=f"{__name__}:RedshiftOnPostgres"))
                kind = sink
            world = World(root, f'[sinks.local]\ntype = "{kind}"\nurl = "{server.url}"\n', server.connect)
        world.sink = sink
        seeded = world.cli("load", world.batch(world.slot()))
        assert seeded.exit_code == 0, seeded.stdout + seeded.stderr
        yield world


def on_sinks(*sinks: str) -> Any:
    """Run a test on these sinks' worlds, each built once for the module."""
    return pytest.mark.parametrize("world", sinks or SINKS, indirect=True, scope="module")


@dataclass
class Command:
    """One group's cases and a good batch, loaded by one ``loaders load``."""

    ran: Ran
    changed: dict[str, Any]
    good: str
    bad: dict[str, tuple[str, Bad]]  # case id → (its partition's day, what it wrote)

    @property
    def units(self) -> list[list[str]]:
        return [line.split("\t") for line in self.ran.stdout.splitlines()]

    def days(self, case_id: str) -> set[str]:
        dt, bad = self.bad[case_id]
        return {dt} | {p.split("/")[0].removeprefix("dt=") for p in bad.partitions}

    def about(self, case_id: str) -> list[list[str]]:
        """The lines about one case: those naming one of its partitions' days."""
        days = self.days(case_id)
        return [u for u in self.units if any(d in "\t".join(u) for d in days)]


def command(world: World, group: str) -> Command:
    """Run a group once per world (sink); each of its cases reads the same run."""
    if group not in world.runs:
        bad = {}
        for case_id, case in CASES.items():
            if case_id.startswith(f"{group}/"):
                dt = world.slot()
                bad[case_id] = (dt, case.build(world, dt))
        good = world.slot()
        refs = [ref for _dt, b in bad.values() for ref in b.refs]
        before = world.snapshot()
        ran = world.cli("load", *refs, world.batch(good))
        world.runs[group] = Command(ran, changes(before, world.snapshot()), good, bad)
    return world.runs[group]  # type: ignore[no-any-return]


def expect_failure(request: pytest.FixtureRequest, world: World, *cases: Case) -> None:
    """Mark a case that another fix has yet to make pass on this sink (strict: it must fail)."""
    for case in cases:
        reason = (case.xfail or {}).get(world.sink)
        if reason:
            request.applymarker(pytest.mark.xfail(strict=True, reason=reason))
            return


@on_sinks("duckdb", "postgres")
@pytest.mark.parametrize("group", GROUPS)
def test_a_command_with_bad_inputs_reports_each_on_one_line_and_loads_the_good_batch(
    request: pytest.FixtureRequest, world: World, group: str
) -> None:
    check_command(request, world, group)


@on_sinks("redshift-on-postgres")
@pytest.mark.parametrize("group", REDSHIFT_GROUPS)
def test_a_command_with_bad_inputs_on_the_redshift_path(
    request: pytest.FixtureRequest, world: World, group: str
) -> None:
    check_command(request, world, group)


def check_command(request: pytest.FixtureRequest, world: World, group: str) -> None:
    """Exit 1, no traceback, one line per unit and each a case's; the good batch loaded, and
    no rows or applied manifests but its own."""
    expect_failure(request, world, *(c for i, c in CASES.items() if i.startswith(f"{group}/") and c.xfail_command))
    run = command(world, group)
    ran = run.ran
    assert ran.exception is None and "Traceback" not in ran.stdout + ran.stderr, ran.stdout + ran.stderr
    assert ran.exit_code == 1, ran.stdout + ran.stderr
    assert all(len(u) == 6 for u in run.units), ran.stdout  # one line per unit, tab-separated
    [loaded] = [u for u in run.units if u[2] == part(run.good)]
    assert loaded[:5] == ["local", "adv.main", part(run.good), "loaded", "2"]
    claimed = sorted(u for case_id in run.bad for u in run.about(case_id))
    assert claimed == sorted(u for u in run.units if u != loaded), ran.stdout  # every other line one case's
    # rows and applied manifests: the good partition's, nothing else
    assert set(run.changed) <= {"table main", "state partitions", "state manifests"}, run.changed
    table = run.changed["table main"]
    assert table["removed"] == [] and sorted((r[3], r[4]) for r in table["added"]) == [(run.good, HOUR)] * 2
    manifests = run.changed["state manifests"]
    assert manifests["removed"] == [] and [m["partition_key"] for m in manifests["added"]] == [part(run.good)]


@on_sinks("duckdb", "postgres")
@pytest.mark.parametrize("case_id", list(CASES))
def test_a_bad_input_fails_alone_naming_what_is_wrong_and_changes_nothing(
    request: pytest.FixtureRequest, world: World, case_id: str
) -> None:
    check_case(request, world, case_id)


@on_sinks("redshift-on-postgres")
@pytest.mark.parametrize("case_id", [c for c in CASES if c.split("/")[0] in REDSHIFT_GROUPS])
def test_a_bad_input_on_the_redshift_path(request: pytest.FixtureRequest, world: World, case_id: str) -> None:
    check_case(request, world, case_id)


def check_case(request: pytest.FixtureRequest, world: World, case_id: str) -> None:
    """Its line names the error class, the manifest (and file) and what is wrong; its
    partitions hold a failed attempt and nothing else — or, where the manifest itself
    could not be read or placed (a malformed manifest, a reference to none), nothing at
    all: such a failure says nothing about the partition, and is reported against the
    manifest only."""
    case = CASES[case_id]
    expect_failure(request, world, case)
    run = command(world, case_id.split("/")[0])
    _dt, bad = run.bad[case_id]
    lines = run.about(case_id)
    assert lines, run.ran.stdout
    for _sink, _dataset, _partition, action, rows, why in lines:
        assert (action, rows) == ("failed", "0"), run.ran.stdout
        assert why.startswith(f"{case.error}: "), why
        for word in (case.manifest, case.file, case.fragment):
            assert word is None or word in why, f"{word!r} not in {why!r}"
    # its partitions: a failed attempt each, no rows, no applied manifest
    days = run.days(case_id)
    attempts = {
        p["partition_key"]: p
        for p in run.changed.get("state partitions", {}).get("added", [])
        if p["partition_key"][3:13] in days
    }
    # a format that differs from the dataset's is found once the manifest is read and placed
    unread = (case.error == "ManifestError" and case_id != "type/format-other-dataset") or case_id.startswith("ref/")
    assert sorted(attempts) == ([] if unread else sorted(bad.partitions)), attempts
    for attempt in attempts.values():
        assert (attempt["dataset"], attempt["status"], attempt["rows_loaded"], attempt["manifests"]) == (
            bad.dataset,
            "failed",
            0,
            0,
        )
        assert attempt["last_error"].startswith(case.error), attempt
    for name, change in run.changed.items():
        if name.startswith("table "):
            assert not [r for r in change["added"] if days & {str(v) for v in r}], change
    assert not [m for m in run.changed["state manifests"]["added"] if m["partition_key"][3:13] in days]


# -- the Lambda handler: the same inputs, delivered by S3 → SNS → SQS ------------------------

#: (manifest body, given the bucket and a good entry; the error class its letter carries)
LambdaBody = Callable[[str, dict[str, Any]], str]
LAMBDA: dict[str, tuple[LambdaBody, str]] = {
    "nested-100000-arrays": (lambda _b, _e: deep(100_000), "ManifestError"),
    "nested-100000-objects": (lambda _b, _e: '{"a":' * 100_000 + "1" + "}" * 100_000, "ManifestError"),
    "nan": (lambda _b, e: json.dumps({"entries": [e]})[:-1] + ', "x": NaN}', "ManifestError"),
    "duplicate-entries-key": (lambda _b, e: '{"entries": [], ' + json.dumps({"entries": [e]})[1:], "ManifestError"),
    "lone-surrogate": (lambda _b, _e: '{"entries": [{"url": "s3://x/\\udfff"}]}', "ManifestError"),
    "not-json": (lambda _b, _e: "{not json", "ManifestError"),
    "top-level-list": (lambda _b, e: json.dumps([e]), "ManifestError"),
    "entries-object": (lambda _b, e: json.dumps({"entries": e}), "ManifestError"),
    "url-number": (lambda _b, e: json.dumps({"entries": [{**e, "url": 5}]}), "ManifestError"),
    "partition-value-nul": (lambda _b, e: json.dumps({"entries": [e], "partition": {"dt": "\x00"}}), "ManifestError"),
    "content-length-wrong": (
        lambda _b, e: json.dumps({"entries": [{**e, "meta": {**e["meta"], "content_length": 1}}]}),
        "SizeMismatchError",
    ),
    "record-count-wrong": (
        lambda _b, e: json.dumps({"entries": [{**e, "meta": {**e["meta"], "record_count": 9}}]}),
        "RecordCountError",
    ),
    "missing-file": (lambda _b, e: json.dumps({"entries": [{**e, "url": e["url"] + ".gone"}]}), "MissingFileError"),
    "foreign-bucket": (
        lambda b, e: json.dumps({"entries": [{**e, "url": e["url"].replace(b, "other")}]}),
        "ForeignURLError",
    ),
    "http-url": (
        lambda b, e: json.dumps({"entries": [{**e, "url": f"https://{b}.s3.amazonaws.com/x"}]}),
        "ForeignURLError",
    ),
    "dot-dot": (lambda b, e: json.dumps({"entries": [{**e, "url": f"s3://{b}/data/../x.parquet"}]}), "ForeignURLError"),
    "encoded-dot-dot": (
        lambda b, e: json.dumps({"entries": [{**e, "url": f"s3://{b}/data/%2e%2e/x.parquet"}]}),
        "ForeignURLError",
    ),
    "control-character": (
        lambda _b, e: json.dumps({"entries": [{**e, "url": e["url"] + "\x1b"}]}),
        "ForeignURLError",
    ),
}


@dataclass
class Lambda:
    """What the handler did with one batch of deliveries: results, letters, rows."""

    results: list[Any]
    letters: list[dict[str, Any]]
    keys: dict[str, str]  # case → the bad manifest's key
    rows: list[tuple[Any, ...]]
    good: str


@pytest.fixture(scope="module")
def delivered(moto_server: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lambda]:
    """Every Lambda case, a good batch and a message nested 100,000 deep, announced by S3
    and SNS, handed to the handler as SQS events of ten records at most (Lambda's default
    batch size); then the dead-letter queue drained."""
    import loaders.aws
    from tests.integration.aws_chain import Chain, LambdaContext

    with pytest.MonkeyPatch.context() as mp:
        chain = Chain(moto_server, tmp_path_factory.mktemp("adversarial-lambda"))
        mp.setenv("AWS_ENDPOINT_URL", moto_server)
        mp.setenv("LOADERS_CONFIG", str(chain.config))
        loaders.aws._worker.cache_clear()
        keys = {}
        for i, (name, (body, _error)) in enumerate(LAMBDA.items()):
            dt = f"2002-01-{i + 1:02d}"
            buffer = io.BytesIO()  # a good file of its own for the bad manifest to name
            pq.write_table(pa.table({"id": pa.array([1000 + i], pa.int64())}), buffer)
            data = f"data/ad_server/conversion/dt={dt}/hour=00/file.parquet"
            chain.s3.put_object(Bucket=chain.bucket, Key=data, Body=buffer.getvalue())
            meta = {"content_length": len(buffer.getvalue()), "record_count": 1}
            entry = {"url": f"s3://{chain.bucket}/{data}", "mandatory": True, "meta": meta}
            keys[name] = chain.put_batch(dt, "00", "bad", [], manifest=body(chain.bucket, entry))
        chain.put_batch("2002-02-01", "00", "good", [1, 2])
        chain.sns.publish(TopicArn=chain.topic, Message=deep(100_000))  # a message that is no request at all
        messages = chain.notifications()
        results = [
            loaders.aws.handler(chain.sqs_event(messages[i : i + 10]), LambdaContext())
            for i in range(0, len(messages), 10)
        ]
        letters = chain.drain(chain.dlq)
        with duckdb.connect(str(chain.warehouse), read_only=True) as conn:
            rows = conn.execute("SELECT id, dt, hour FROM raw.conversions ORDER BY id").fetchall()
        yield Lambda(results, [json.loads(m["Body"]) for m in letters], keys, rows, "2002-02-01")
        loaders.aws._worker.cache_clear()


def test_the_lambda_dead_letters_every_bad_manifest_and_loads_the_good_one(delivered: Lambda) -> None:
    assert delivered.results == [{"batchItemFailures": []}] * len(delivered.results)  # nothing retried
    assert delivered.rows == [(1, delivered.good, "00"), (2, delivered.good, "00")]
    manifests = [letter["manifest"] for letter in delivered.letters]
    assert sorted(m.split("/", 3)[3] for m in manifests if m) == sorted(delivered.keys.values())
    assert manifests.count(None) == 1  # and one for the message that is no request


@pytest.mark.parametrize("name", list(LAMBDA))
def test_a_bad_manifest_delivered_to_the_lambda_goes_to_the_dlq_with_its_reason(delivered: Lambda, name: str) -> None:
    key = delivered.keys[name]
    [letter] = [x for x in delivered.letters if x["manifest"] and x["manifest"].endswith(key)]
    assert letter["error_class"] == LAMBDA[name][1], letter
    assert key in letter["error"] and "\n" not in letter["error"]
    assert letter["attempts"] == 1 and letter["record"]["eventSource"] == "aws:sqs"


def test_a_message_nested_100000_deep_is_dead_lettered_not_retried(delivered: Lambda) -> None:
    """Not a manifest: the SNS message itself. It was a RecursionError out of the handler,
    which made AWS retry the whole batch, good records included, for ever."""
    [letter] = [x for x in delivered.letters if x["manifest"] is None]
    assert letter["error_class"] == "ManifestError" and "nested too deeply" in letter["error"]


# -- usage: a flag out of range is exit status 2 and one line naming it, never a traceback ---

USAGE = {
    "days-huge": (["backfill", "--days", "100000000"], "--days"),
    "days-zero": (["backfill", "--days", "0"], "--days"),
    "days-negative": (["backfill", "--days", "-3"], "--days"),
    "status-days-huge": (["status", "--days", "100000000"], "--days"),
    "start-year-one": (["backfill", "--start", "0001-01-01"], "--start"),
    "start-month-13": (["backfill", "--start", "2026-13-01"], "--start"),
    "start-after-end": (["backfill", "--start", "2026-01-02", "--end", "2026-01-01"], "--start"),
    "window-of-two-centuries": (["backfill", "--start", "1800-01-01", "--end", "2000-01-01"], "--start"),
    "days-and-start": (["backfill", "--days", "3", "--start", "2026-01-01"], "--days"),
    "no-window": (["backfill"], "--days"),
    "concurrency-huge": (["backfill", "--days", "1", "--concurrency", "100000000000000"], "--concurrency"),
    "concurrency-zero": (["sweep", "--concurrency", "0"], "--concurrency"),
    "reprocess-unknown": (["backfill", "--days", "1", "--reprocess", "sometimes"], "--reprocess"),
    "older-than-overflow": (["superseded", "--older-than", "99999999999999999d"], "--older-than"),
    "older-than-5000-digits": (["superseded", "--older-than", "9" * 5000 + "h"], "--older-than"),
    "older-than-two-centuries": (["superseded", "--older-than", "73000d"], "--older-than"),
    "older-than-unit": (["superseded", "--older-than", "5x"], "--older-than"),
    "sink-unknown": (["backfill", "--days", "1", "--sink", "nope"], "--sink"),
    "dataset-unknown": (["backfill", "--days", "1", "--dataset", "nope.nope"], "--dataset"),
    "fan-out-not-sns": (["backfill", "--days", "1", "--fan-out", "sqs:queue"], "sns:"),
}


@pytest.fixture(scope="module")
def duckdb_world(tmp_path_factory: pytest.TempPathFactory) -> World:
    """A DuckDB world of its own for what no sink changes (usage errors)."""
    root = tmp_path_factory.mktemp("adversarial-usage")
    world = World(root, DUCKDB, lambda: duckdb.connect(str(root / "warehouse.duckdb"), read_only=True))
    assert world.cli("load", world.batch(world.slot())).exit_code == 0
    return world


@pytest.mark.parametrize("name", list(USAGE))
def test_a_flag_out_of_range_is_a_usage_error_naming_it(duckdb_world: World, name: str) -> None:
    args, flag = USAGE[name]
    before = duckdb_world.snapshot()
    ran = duckdb_world.cli(*args)
    assert ran.exception is None and "Traceback" not in ran.stdout + ran.stderr, ran.stderr
    assert ran.exit_code == 2, ran.stdout + ran.stderr
    [error] = [line for line in ran.stderr.splitlines() if line.lower().startswith("error")]
    assert flag in error and len(error) < 400, error
    assert changes(before, duckdb_world.snapshot()) == {}


# -- faults: an unexpected exception inside a unit fails that unit alone --------------------


@on_sinks()
@pytest.mark.parametrize("step", ["staged", "locked", "applied", "recorded"])
def test_an_exception_inside_a_unit_fails_it_as_an_internal_error_and_the_others_load(
    world: World, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, step: str
) -> None:
    """A bug met at each step of a load (the sinks' own crash hook raises it): the batch of
    both partitions rolls back, the bad one fails alone with the whole text at -v (INFO),
    the good one loads; before, it escaped the batch and stopped the command."""
    from sinks.sql import SqlSink

    bad_dt, good_dt = world.slot(), world.slot()
    refs = [world.batch(bad_dt, "bad"), world.batch(good_dt)]
    hits: list[str] = []
    failing = 1 if world.sink == "redshift-on-postgres" else 2  # the batch first, where the sink batches

    def crash(self: SqlSink, at: str) -> None:
        if at == step:
            hits.append(at)
            if len(hits) <= failing:  # (the batch, then) the bad unit alone; the good unit passes
                raise RuntimeError(f"bug at {at}\nwith a second line")

    monkeypatch.setattr(SqlSink, "checkpoint", crash)
    before = world.snapshot()
    with caplog.at_level("INFO", logger="loaders"):
        ran = world.cli("load", *refs)
    changed = changes(before, world.snapshot())
    assert ran.exception is None and "Traceback" not in ran.stdout + ran.stderr, ran.stdout + ran.stderr
    assert ran.exit_code == 1
    [bad, good] = [line.split("\t") for line in ran.stdout.splitlines()]
    assert bad[:5] == ["local", "adv.main", part(bad_dt), "failed", "0"]
    assert bad[5].startswith("InternalError: manifest ") and "bad.json" in bad[5]
    assert bad[5].endswith(f"unexpected RuntimeError: bug at {step} [… more with -v]")
    assert good[:5] == ["local", "adv.main", part(good_dt), "loaded", "2"]
    assert any("with a second line" in r.getMessage() for r in caplog.records if r.levelname == "INFO")
    assert sorted((r[3], r[4]) for r in changed["table main"]["added"]) == [(good_dt, HOUR)] * 2
    [attempt] = [p for p in changed["state partitions"]["added"] if p["partition_key"] == part(bad_dt)]
    assert (attempt["status"], attempt["rows_loaded"]) == ("failed", 0)
    assert attempt["last_error"].startswith("InternalError: ")


@on_sinks("duckdb", "postgres")
def test_json_keeps_the_whole_text_of_a_multi_line_error(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    from sinks.sql import SqlSink

    def crash(self: SqlSink, at: str) -> None:
        raise RuntimeError("first line\nsecond line")

    monkeypatch.setattr(SqlSink, "checkpoint", crash)
    ran = world.cli("load", "--json", world.batch(world.slot()))
    [unit] = json.loads(ran.stdout)["units"]
    assert unit["error_class"] == "InternalError" and unit["transient"] is False
    assert unit["error"].endswith("unexpected RuntimeError: first line\nsecond line")


# -- as users run it: a real process ----------------------------------------------------------


def loaders_process(world: World, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "loaders", *args, "--config", str(world.config)],
        cwd=world.root, capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def test_a_process_loading_a_manifest_nested_100000_deep_prints_one_line_and_loads_the_rest(
    duckdb_world: World,
) -> None:
    bad_dt, good_dt = duckdb_world.slot(), duckdb_world.slot()
    bad = duckdb_world.manifest(duckdb_world.key("main", bad_dt, "bad"), deep(100_000))
    done = loaders_process(duckdb_world, "load", bad, duckdb_world.batch(good_dt))
    assert done.returncode == 1 and "Traceback" not in done.stdout + done.stderr, done.stderr
    assert done.stdout.splitlines() == [
        f"local\tadv.main\t{part(bad_dt)}\tfailed\t0\tManifestError: manifest {duckdb_world.store.root}{bad}: "
        "not valid JSON (nested too deeply)",
        f"local\tadv.main\t{part(good_dt)}\tloaded\t2\t1 manifest(s), 1 file(s)",
    ]


@pytest.mark.parametrize(
    ("args", "flag"),
    [(["backfill", "--days", "100000000"], "--days"), (["backfill", "--start", "0001-01-01"], "--start")],
)
def test_a_process_given_a_window_out_of_the_calendar_exits_2(duckdb_world: World, args: list[str], flag: str) -> None:
    done = loaders_process(duckdb_world, *args)
    assert done.returncode == 2 and "Traceback" not in done.stderr, done.stderr
    assert flag in done.stderr.strip().splitlines()[-1]


# -- hostile but legal: names and values that look like SQL or markup load as they are ------

HOSTILE_VALUES = [
    "x'); DROP TABLE adv.main; --",
    'quote " and \\ backslash',
    "[bold]not markup[red]",
    "%s %% {}",
    "été ü",
]
HOSTILE_COLUMNS = ['a"b', "x'); DROP TABLE adv.main; --", "select", "Ünïcode", "[/]"]


@on_sinks("duckdb", "postgres")
def test_values_and_column_names_that_look_like_sql_or_markup_load_exactly(world: World) -> None:
    refs, days = [], []
    for i, value in enumerate(HOSTILE_VALUES):
        dt = world.slot()
        rows = pa.table({"id": [i], **{name: [f"{value}/{name}"] for name in HOSTILE_COLUMNS}})
        e = world.parquet("wide", dt, "d.parquet", rows)
        # outside every pattern, naming its own partition, whose value is the hostile one
        refs.append(world.manifest(f"manifests/elsewhere/{dt}/m.json", {
            "entries": [e], "dataset": "adv.wide", "partition": {"dt": value + f" {i}", "hour": HOUR},
        }))  # fmt: skip
        days.append(value + f" {i}")
    before = world.snapshot()
    ran = world.cli("load", *refs)
    assert ran.exit_code == 0, ran.stdout + ran.stderr
    assert len(ran.stdout.splitlines()) == len(HOSTILE_VALUES)  # one line each, markup and all
    changed = changes(before, world.snapshot())
    assert set(changed) == {"table wide", "state partitions", "state manifests"}, changed
    with world.connect() as conn:
        columns = [r[0] for r in conn.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_schema = 'adv' AND table_name = 'wide'"
        ).fetchall()]  # fmt: skip
    assert set(HOSTILE_COLUMNS) <= set(columns)
    loaded = {row[columns.index("dt")]: row for row in changed["table wide"]["added"]}
    assert sorted(loaded) == sorted(days)
    for i, value in enumerate(HOSTILE_VALUES):
        row = loaded[value + f" {i}"]
        assert [row[columns.index(name)] for name in HOSTILE_COLUMNS] == [f"{value}/{n}" for n in HOSTILE_COLUMNS]


def test_a_bug_outside_every_unit_is_one_line_in_the_cli(duckdb_world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each unit catches its own; a bug in the command around them (here the planner's
    survey, made to raise) is one InternalError line and exit status 1, not a traceback."""
    from loaders.planner import Planner

    def bug(*_args: Any) -> Any:
        raise RuntimeError("a bug\nin two lines")

    monkeypatch.setattr(Planner, "survey", bug)
    ran = duckdb_world.cli("backfill", "--days", "1")
    assert ran.exception is None and ran.exit_code == 1
    assert ran.stderr.splitlines() == ["error: InternalError: unexpected RuntimeError: a bug [… more with -v]"]
