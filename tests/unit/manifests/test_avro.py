"""Avro: CRC-64-AVRO fingerprints, the schema registry, plain and wrapped container files."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import fastavro
import pytest

from manifests.avro import read_avro, read_wrapped
from manifests.errors import MalformedFileError, SchemaMismatchError
from manifests.schemas import SchemaRegistry, canonical_form, fingerprint, hex_form
from manifests.store import LocalStore

V1 = {"type": "record", "name": "Conversion", "fields": [
    {"name": "conversion_id", "type": "long"},
    {"name": "event_ts", "type": "long", "doc": "docs are not in the canonical form"},
]}  # fmt: skip
V2 = {**V1, "fields": [*V1["fields"], {"name": "revenue", "type": ["null", "double"], "default": None}]}
WRAPPER = {"type": "record", "name": "DataWrapper", "fields": [
    {"name": "dataType", "type": "string"},
    {"name": "schemaFingerprint", "type": "long"},
    {"name": "data", "type": "bytes"},
]}  # fmt: skip


def test_fingerprints_match_the_avro_specifications_test_vectors() -> None:
    assert fingerprint('"null"') == 7195948357588979594
    assert fingerprint('"boolean"') == -6970731678124411036
    assert hex_form(fingerprint('"null"')) == "63dd24e7cc258f8a"  # not fastavro's little-endian 8a8f25cc…


def test_the_canonical_form_drops_docs_and_defaults() -> None:
    assert "doc" not in canonical_form(V1) and fingerprint(V1) == fingerprint(json.dumps(V1))
    assert fingerprint(V1) != fingerprint(V2)


@pytest.fixture
def registry(tmp_path: Path) -> SchemaRegistry:
    return SchemaRegistry(LocalStore(str(tmp_path)))


def test_published_schemas_are_found_by_fingerprint_and_checked(registry: SchemaRegistry, tmp_path: Path) -> None:
    url = registry.publish("conversion", V1)
    assert url.endswith(f"schemas/conversion/{hex_form(fingerprint(V1))}.json")
    assert registry.lookup("conversion", fingerprint(V1))["name"] == "Conversion"
    with pytest.raises(SchemaMismatchError, match=f"{hex_form(fingerprint(V2))} is not published"):
        registry.lookup("conversion", fingerprint(V2), file="f.avro")
    # a schema published under the wrong name is refused, naming both fingerprints
    wrong = tmp_path / f"schemas/conversion/{hex_form(fingerprint(V2))}.json"
    wrong.write_text(json.dumps(V1))
    with pytest.raises(SchemaMismatchError, match=f"has fingerprint {hex_form(fingerprint(V1))}, not"):
        registry.lookup("conversion", fingerprint(V2))


def container(schema: Any, records: list[dict[str, Any]]) -> io.BytesIO:
    buf = io.BytesIO()
    fastavro.writer(buf, fastavro.parse_schema(schema), records)
    buf.seek(0)
    return buf


def wrapped(records: list[tuple[Any, dict[str, Any]]], fp: int | None = None) -> io.BytesIO:
    out = []
    for schema, row in records:
        datum = io.BytesIO()
        fastavro.schemaless_writer(datum, fastavro.parse_schema(schema), row)
        out.append({"dataType": "conversion", "schemaFingerprint": fp or fingerprint(schema), "data": datum.getvalue()})
    return container(WRAPPER, out)


def test_a_plain_container_reads_in_bounded_batches() -> None:
    rows = [{"conversion_id": i, "event_ts": 10 * i} for i in range(5)]
    pairs = list(read_avro(container(V1, rows), "f.avro", batch_rows=2))
    assert {value for value, _b in pairs} == {fingerprint(V1)}  # the header's writer schema
    batches = [b for _value, b in pairs]
    assert [b.num_rows for b in batches] == [2, 2, 1]
    assert [r for b in batches for r in b.to_pylist()] == rows
    assert str(batches[0].schema.field("conversion_id").type) == "int64"


def test_wrapped_records_are_decoded_with_their_schema_and_grouped_by_it(registry: SchemaRegistry) -> None:
    registry.publish("conversion", V1)
    registry.publish("conversion", V2)
    data = wrapped([
        (V1, {"conversion_id": 1, "event_ts": 10}),
        (V2, {"conversion_id": 2, "event_ts": 20, "revenue": 2.5}),
        (V1, {"conversion_id": 3, "event_ts": 30}),
    ])  # fmt: skip
    got = {hex_form(fp): batch.to_pylist() for fp, batch in read_wrapped(data, "w.avro", registry)}
    assert got == {
        hex_form(fingerprint(V1)): [{"conversion_id": 1, "event_ts": 10}, {"conversion_id": 3, "event_ts": 30}],
        hex_form(fingerprint(V2)): [{"conversion_id": 2, "event_ts": 20, "revenue": 2.5}],
    }


def test_an_unknown_fingerprint_is_refused_naming_file_and_fingerprint(registry: SchemaRegistry) -> None:
    data = wrapped([(V1, {"conversion_id": 1, "event_ts": 10})])
    with pytest.raises(SchemaMismatchError) as caught:
        list(read_wrapped(data, "w.avro", registry))
    assert caught.value.file == "w.avro"
    assert f"unknown schema: conversion fingerprint {hex_form(fingerprint(V1))} is not published" in str(caught.value)


def test_a_record_that_does_not_decode_is_refused_naming_its_index(registry: SchemaRegistry) -> None:
    registry.publish("conversion", V2)
    good = (V2, {"conversion_id": 1, "event_ts": 10, "revenue": None})
    bad = (V1, {"conversion_id": 2, "event_ts": 20})  # written with V1, labelled V2: the union byte is missing
    data = wrapped([good, good, bad], fp=fingerprint(V2))
    with pytest.raises(SchemaMismatchError, match=f"record 2 does not decode with schema {hex_form(fingerprint(V2))}"):
        list(read_wrapped(data, "w.avro", registry))


def test_corrupt_and_foreign_files_are_refused_by_name(registry: SchemaRegistry) -> None:
    with pytest.raises(MalformedFileError, match=r"bad\.avro.*not a readable Avro container file"):
        list(read_avro(io.BytesIO(b"Obj\x01 truncated"), "bad.avro"))
    plain = container(V1, [{"conversion_id": 1, "event_ts": 10}])
    with pytest.raises(MalformedFileError, match="not DataWrapper envelopes"):
        list(read_wrapped(plain, "plain.avro", registry))


def test_a_header_whose_schema_is_broken_or_no_record_is_a_malformed_file() -> None:
    """A byte flipped in the header's schema makes fastavro raise its own parse error,
    and a file of bare longs has no columns: both the file's fault, named, never a bug."""
    data = container(V1, [{"conversion_id": 1, "event_ts": 10}]).getvalue()
    broken = data.replace(b'"name"', b'"nam<"', 1)
    with pytest.raises(MalformedFileError, match=r"broken\.avro: not a readable Avro container file"):
        list(read_avro(io.BytesIO(broken), "broken.avro"))
    longs = io.BytesIO()
    fastavro.writer(longs, "long", [1, 2])
    longs.seek(0)
    with pytest.raises(MalformedFileError, match=r"longs\.avro: its writer schema is not a record"):
        list(read_avro(longs, "longs.avro"))


@pytest.mark.parametrize("data_type", ["../outside", "a/b", "..", "", "a\\b", "x\ny"])
def test_a_data_type_that_would_leave_the_registry_is_refused(
    registry: SchemaRegistry, tmp_path: Path, data_type: str
) -> None:
    """A wrapped record's dataType becomes a folder name under <root>/schemas/: one that
    climbs out of it is refused (reading it names the file), and publishing writes nothing."""
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside" / f"{hex_form(fingerprint(V1))}.json").write_text(json.dumps(V1))
    with pytest.raises(SchemaMismatchError, match="a data type is one folder name") as caught:
        registry.lookup(data_type, fingerprint(V1), file="w.avro")
    assert caught.value.file == "w.avro"
    with pytest.raises(ValueError, match="a data type is one folder name"):
        registry.publish(data_type, V1)
    assert sorted(p.name for p in tmp_path.rglob("*.json")) == [f"{hex_form(fingerprint(V1))}.json"]
