"""The Parquet side of the Athena Hive sink: Hive column types, part files, merge.

Athena reads a Hive table's partition as every file under the prefix its Glue partition
points at (names starting with ``_`` or ``.`` are skipped, which is where the marker of a
finished prefix lives). So a load writes a complete new prefix and switches the partition
to it; nothing here touches the catalogue. pyarrow is imported inside the functions:
importing the sink must stay cheap for a Lambda that never loads Athena.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any, Literal

from manifests import SchemaMismatchError, UnsupportedError
from manifests.aws_errors import aws_calls, aws_failure, code_rule
from manifests.store import error_code, split_s3

if TYPE_CHECKING:
    import pyarrow as pa

#: rows per part file; a part is written to a temporary file, never held in memory whole
PART_ROWS = 1_000_000
#: written last under a finished prefix; Hive and Athena ignore names starting with "_"
MARKER = "_loaders.json"
_FIELD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def hive_type(t: pa.DataType) -> str:
    """The Hive DDL type Glue records for Arrow type ``t`` (what Athena's Parquet SerDe reads)."""
    import pyarrow as pa

    types = pa.types
    if types.is_dictionary(t):
        return hive_type(t.value_type)
    simple: list[tuple[Callable[[pa.DataType], bool], str]] = [
        (types.is_boolean, "boolean"),
        (types.is_int8, "tinyint"),
        (lambda x: types.is_int16(x) or types.is_uint8(x), "smallint"),
        (lambda x: types.is_int32(x) or types.is_uint16(x), "int"),
        (lambda x: types.is_int64(x) or types.is_uint32(x), "bigint"),
        (types.is_uint64, "decimal(20,0)"),
        (lambda x: types.is_float16(x) or types.is_float32(x), "float"),
        (types.is_float64, "double"),
        (lambda x: types.is_string(x) or types.is_large_string(x) or types.is_null(x), "string"),
        (lambda x: types.is_binary(x) or types.is_large_binary(x) or types.is_fixed_size_binary(x), "binary"),
        (types.is_date, "date"),
        (types.is_timestamp, "timestamp"),
    ]
    for test, name in simple:
        if test(t):
            return name
    if types.is_decimal(t) and t.precision <= 38:
        return f"decimal({t.precision},{t.scale})"
    if types.is_list(t) or types.is_large_list(t):
        return f"array<{hive_type(t.value_type)}>"
    if types.is_map(t):
        return f"map<{hive_type(t.key_type)},{hive_type(t.item_type)}>"
    if types.is_struct(t):
        names = [t.field(i).name for i in range(t.num_fields)]
        odd = [n for n in names if not _FIELD.fullmatch(n)]
        if odd:  # they would go into the table's DDL as they are, unquoted
            raise UnsupportedError(f"struct field name {odd[0]!r}: only letters, digits and _ are allowed in Athena")
        return "struct<" + ",".join(f"{n}:{hive_type(t.field(i).type)}" for i, n in enumerate(names)) + ">"
    raise UnsupportedError(f"no Hive column type for Arrow type {t}")


#: Hive types Iceberg tables do not have
_ICEBERG_TYPES = {"tinyint": "int", "smallint": "int"}


def iceberg_type(arrow_type: pa.DataType) -> str:
    """The Athena Iceberg column type for an Arrow type (Hive's, minus tinyint/smallint)."""
    name = hive_type(arrow_type)
    return _ICEBERG_TYPES.get(name, name)


def conform(batch: pa.RecordBatch, schema: pa.Schema) -> pa.RecordBatch:
    """A batch with exactly ``schema``'s columns: absent ones null, types widened."""
    import pyarrow as pa

    columns = []
    for field in schema:
        index = batch.schema.get_field_index(field.name)
        column = batch.column(index) if index >= 0 else pa.nulls(batch.num_rows, field.type)
        columns.append(column if column.type == field.type else column.cast(field.type))
    return pa.RecordBatch.from_arrays(columns, schema=schema)


class PartWriter:
    """Writes batches as ``part-NNNNN.parquet`` objects under one prefix, a part at a time."""

    def __init__(self, client: Any, bucket: str, prefix: str, schema: pa.Schema, first: int = 0) -> None:
        self.client, self.bucket, self.prefix, self.schema = client, bucket, prefix, schema
        self.number = first
        self._writer: Any = None
        self._path = ""
        self._rows = 0

    def write(self, batch: pa.RecordBatch) -> None:
        import pyarrow.parquet as pq

        if batch.num_rows == 0:
            return
        if self._writer is None:
            handle, self._path = tempfile.mkstemp(suffix=".parquet")
            os.close(handle)
            self._writer = pq.ParquetWriter(self._path, self.schema, compression="snappy")
        self._writer.write_batch(batch)
        self._rows += batch.num_rows
        if self._rows >= PART_ROWS:
            self._flush()

    def close(self) -> int:
        """Upload the last part; returns how many parts were written in all."""
        self._flush()
        return self.number

    def _flush(self) -> None:
        if self._writer is None:
            return
        self._writer.close()
        key = f"{self.prefix}part-{self.number:05d}.parquet"
        try:
            self.client.upload_file(self._path, self.bucket, key)
        except Exception as exc:
            raise aws_failure(exc, f"cannot write s3://{self.bucket}/{key}") from exc
        finally:
            os.unlink(self._path)
        self.number += 1
        self._writer, self._rows = None, 0


def copy_current(client: Any, base: str, bucket: str, prefix: str) -> int:
    """Append keeps the partition's current files: copied server-side into the new prefix."""
    base_bucket, base_prefix = split_s3(base)
    keys = data_keys(client, base_bucket, base_prefix)
    for number, key in enumerate(keys):
        target = f"{prefix}part-{number:05d}.parquet"
        with aws_calls(f"cannot copy s3://{base_bucket}/{key} to s3://{bucket}/{target}"):
            client.copy_object(Bucket=bucket, Key=target, CopySource={"Bucket": base_bucket, "Key": key})
    return len(keys)


def data_keys(client: Any, bucket: str, prefix: str) -> list[str]:
    """The data files under a prefix, as Athena sees them (no ``_``/``.`` names)."""
    keys = all_keys(client, bucket, prefix)
    return sorted(k for k in keys if not k.rsplit("/", 1)[-1].startswith(("_", ".")))


def all_keys(client: Any, bucket: str, prefix: str) -> list[str]:
    with aws_calls(f"cannot list s3://{bucket}/{prefix}"):
        pages = client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
        return [o["Key"] for page in pages for o in page.get("Contents", [])]


def delete_keys(client: Any, bucket: str, keys: list[str]) -> None:
    """Delete objects 1,000 per request, the most DeleteObjects takes (S3 API reference)."""
    for start in range(0, len(keys), 1000):
        chunk = [{"Key": k} for k in keys[start : start + 1000]]
        with aws_calls(f"cannot delete under s3://{bucket}/"):
            answer = client.delete_objects(Bucket=bucket, Delete={"Objects": chunk, "Quiet": True})
        if answer.get("Errors"):
            first = {"Key": "", "Code": "", "Message": "", **answer["Errors"][0]}
            kind, why = code_rule(str(first["Code"]))
            raise kind(f"cannot delete s3://{bucket}/{first['Key']}: {why} ({first['Code']}: {first['Message']})")


def read_marker(client: Any, bucket: str, prefix: str) -> dict[str, Any] | None:
    """What a finished prefix holds, or None when it was never finished."""
    try:
        return dict(json.loads(client.get_object(Bucket=bucket, Key=prefix + MARKER)["Body"].read()))
    except Exception as exc:
        if error_code(exc) in ("NoSuchKey", "404", "NotFound"):
            return None
        raise aws_failure(exc, f"cannot read s3://{bucket}/{prefix}{MARKER}") from exc


def write_marker(client: Any, bucket: str, prefix: str, doc: dict[str, Any]) -> None:
    with aws_calls(f"cannot write s3://{bucket}/{prefix}{MARKER}"):
        client.put_object(Bucket=bucket, Key=prefix + MARKER, Body=json.dumps(doc, sort_keys=True).encode())


def read_parts(client: Any, bucket: str, keys: Iterable[str]) -> list[pa.Table]:
    """The current partition's files, for a merge (which needs the whole partition)."""
    import io

    import pyarrow.parquet as pq

    with aws_calls(f"cannot read the partition's files under s3://{bucket}/"):
        return [pq.read_table(io.BytesIO(client.get_object(Bucket=bucket, Key=k)["Body"].read())) for k in keys]


def latest_per_key(table: pa.Table, keys: Sequence[str], order_by: str) -> pa.Table:
    """One row per key: the greatest ``order_by``; on a tie, the row that came later in
    ``table`` (new data is concatenated after the partition's current rows, so it wins)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if table.num_rows < 2:
        return table
    indexed = table.append_column("__loaders_row", pa.array(range(table.num_rows), pa.int64()))
    order: list[tuple[str, Literal["ascending", "descending"]]] = [(k, "ascending") for k in keys]
    order += [(order_by, "descending"), ("__loaders_row", "descending")]
    ranked = indexed.sort_by(order)
    n = ranked.num_rows
    changed: pa.Array | pa.ChunkedArray = pa.array([False] * (n - 1))
    for key in keys:
        column = ranked.column(key)
        before, after = column.slice(0, n - 1), column.slice(1)
        # equal where both are set; where either is null, the same only if both are
        same = pc.fill_null(pc.equal(before, after), pc.and_(pc.is_null(before), pc.is_null(after)))
        changed = pc.or_(changed, pc.invert(same))
    first = pa.concat_arrays(
        [pa.array([True]), changed.combine_chunks() if isinstance(changed, pa.ChunkedArray) else changed]
    )
    return ranked.filter(first).drop_columns(["__loaders_row"])


#: Hive types back to the Arrow types this module writes them from (the simple ones)
_ARROW = {
    "boolean": "bool_",
    "tinyint": "int8",
    "smallint": "int16",
    "int": "int32",
    "integer": "int32",
    "bigint": "int64",
    "float": "float32",
    "double": "float64",
    "string": "string",
    "binary": "binary",
    "date": "date32",
}
_DECIMAL = re.compile(r"decimal\((\d+),\s*(\d+)\)")


def arrow_type(hive: str) -> pa.DataType | None:
    """The Arrow type that Parquet of Hive type ``hive`` is written in; None for a nested type."""
    import pyarrow as pa

    name = hive.strip().lower()
    if name in _ARROW:
        return getattr(pa, _ARROW[name])()
    if name == "timestamp":
        return pa.timestamp("us")
    if name.startswith(("varchar", "char")):
        return pa.string()
    found = _DECIMAL.fullmatch(name)
    return pa.decimal128(int(found[1]), int(found[2])) if found else None


def in_table_types(schema: pa.Schema, existing: Sequence[tuple[str, str]]) -> pa.Schema:
    """``schema`` with each column the table has in the table's type, so that every file of
    the table holds a column in one type whatever the producer wrote (the caller checked
    that the data's type fits: :func:`sinks.sql.columntypes.fits`); a new column null in every
    row becomes a string. A fitting change Arrow cannot cast (a struct into a string) is a
    SchemaMismatchError naming the column and both types."""
    import pyarrow as pa

    known = {n.lower(): t for n, t in existing}
    fields = []
    for field in schema:
        old = known.get(field.name.lower())
        if old is None:
            fields.append(field.with_type(pa.string()) if pa.types.is_null(field.type) else field)
            continue
        want = arrow_type(old) if hive_type(field.type) != old else field.type
        try:
            if want is None:
                raise ValueError("no Arrow type")
            pa.array([], field.type).cast(want)
        except Exception:
            raise SchemaMismatchError(
                f"column {field.name}: the table has {old.upper()} but the data has {hive_type(field.type).upper()},"
                " which Parquet files of this table cannot hold"
            ) from None
        fields.append(field.with_type(want))
    return pa.schema(fields)
