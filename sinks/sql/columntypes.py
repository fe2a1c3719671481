"""Whether a column's values fit another column type without loss (schema evolution).

Engines describe the same type in many spellings (``bigint``, ``INT8``, ``NUMBER(38,0)``,
``timestamp without time zone``, ``TIMESTAMP_NTZ(9)``), so types are compared as sqlglot
parses them in the sink's dialect, never as strings. The rule is deliberately narrow —
a change the loader lets through must never lose a value:

- the same type (a text or binary length aside: a value too long is the engine's to refuse);
- a narrower integer into a wider one, or into a DECIMAL with room for its digits;
- a DECIMAL into one with at least as many integer and fraction digits;
- FLOAT, or an integer of at most 32 bits, into DOUBLE (a BIGINT could lose digits);
- anything into text; any semi-structured value into a JSON / VARIANT / SUPER column;
- ``TIMESTAMP`` and ``TIMESTAMP_NTZ`` are one type, as are the zone-aware ones;
- ``NULL`` (a column null in every row) into anything.

Everything else (text into a number, DOUBLE into BIGINT, a wider integer into a narrower
one) is refused by the caller, naming the column and both types.
"""

from __future__ import annotations

from typing import Any

from sqlglot import exp

T = exp.DataType.Type

#: integers, narrowest first, with the decimal digits their largest value needs
_INTEGERS: dict[exp.DType, tuple[int, int]] = {
    T.TINYINT: (0, 3),
    T.UTINYINT: (0, 3),
    T.SMALLINT: (1, 5),
    T.USMALLINT: (1, 5),
    T.INT: (2, 10),
    T.UINT: (2, 10),
    T.BIGINT: (3, 19),
    T.UBIGINT: (3, 20),
    T.INT128: (4, 39),
    T.UINT128: (4, 39),
}
_TEXT = {T.TEXT, T.VARCHAR, T.CHAR, T.NVARCHAR, T.NCHAR, T.NAME}
_BINARY = {T.BINARY, T.VARBINARY, T.BLOB}
_DOCUMENT = {T.JSON, T.JSONB, T.VARIANT, T.SUPER, T.OBJECT}
_NESTED = {T.STRUCT, T.MAP, T.ARRAY, T.LIST}
_SAME = {T.TIMESTAMPNTZ: T.TIMESTAMP, T.TIMESTAMPLTZ: T.TIMESTAMPTZ, T.DATETIME: T.TIMESTAMP}


def parse(kind: str, dialect: str) -> exp.DataType:
    """The type as sqlglot reads it in ``dialect``; ValueError when it is no type."""
    try:
        built = exp.DataType.build(kind, dialect=dialect) if ";" not in kind else None
    except Exception as exc:  # sqlglot's ParseError or ValueError
        raise ValueError(f"not a column type: {kind!r} ({exc})") from None
    if not isinstance(built, exp.DataType):
        raise ValueError(f"not a column type: {kind!r}")
    return built


def fits(new: str, old: str, dialect: str) -> bool:
    """Whether values of type ``new`` go into a column of type ``old`` without loss."""
    a, b = parse(new, dialect), parse(old, dialect)
    if a.this == T.NULL:  # a column null in every row fits anything
        return True
    ta, tb = _SAME.get(a.this, a.this), _SAME.get(b.this, b.this)
    if tb in _TEXT:  # a too-long value is the engine's to refuse, naming the value
        return True
    if tb in _DOCUMENT:
        return ta in _DOCUMENT | _NESTED
    if ta in _NESTED or tb in _NESTED:
        return ta == tb and a.sql(dialect=dialect) == b.sql(dialect=dialect)
    if tb in _BINARY:
        return ta in _BINARY
    if ta in _INTEGERS and tb in _INTEGERS:
        return _INTEGERS[ta][0] <= _INTEGERS[tb][0] and _unsigned_fits(ta, tb)
    if tb == T.DECIMAL:
        room = _decimal(b)
        if room is None:  # unconstrained NUMERIC holds any exact number
            return ta in _INTEGERS or ta == T.DECIMAL
        if ta in _INTEGERS:
            return _INTEGERS[ta][1] <= room[0] - room[1]
        if ta == T.DECIMAL:
            have = _decimal(a)
            return have is not None and have[1] <= room[1] and have[0] - have[1] <= room[0] - room[1]
        return False
    if tb == T.DOUBLE:
        return ta in (T.DOUBLE, T.FLOAT) or (ta in _INTEGERS and _INTEGERS[ta][0] <= 2)
    return ta == tb


def _unsigned_fits(a: exp.DType, b: exp.DType) -> bool:
    """A signed type never fits an unsigned one; an unsigned one needs a strictly wider signed one."""
    unsigned_a, unsigned_b = a.name.startswith("U"), b.name.startswith("U")
    if unsigned_a == unsigned_b:
        return True
    return unsigned_a and _INTEGERS[a][0] < _INTEGERS[b][0]


def _decimal(t: exp.DataType) -> tuple[int, int] | None:
    """(precision, scale) of a DECIMAL; None when unconstrained."""
    params = [e for e in t.expressions if isinstance(e, exp.DataTypeParam)]
    if not params:
        return None
    precision = int(params[0].name)
    return precision, int(params[1].name) if len(params) > 1 else 0


#: the types a CSV column may be declared as (``columns`` of a dataset), spelled as they
#: are stored; each has one Arrow type, so every sink parses the column the same way
DECLARABLE = {
    T.BOOLEAN: "BOOLEAN",
    T.SMALLINT: "SMALLINT",
    T.INT: "INTEGER",
    T.BIGINT: "BIGINT",
    T.FLOAT: "REAL",
    T.DOUBLE: "DOUBLE",
    T.DECIMAL: "DECIMAL",
    T.TEXT: "VARCHAR",
    T.VARCHAR: "VARCHAR",
    T.DATE: "DATE",
    T.TIMESTAMP: "TIMESTAMP",
    T.TIMESTAMPTZ: "TIMESTAMPTZ",
}


def declared(kind: str) -> str:
    """A declared column type in its canonical spelling (``varchar`` → ``VARCHAR``,
    ``numeric(12,2)`` → ``DECIMAL(12, 2)``); ValueError naming what is allowed otherwise."""
    parsed = parse(kind, "duckdb")
    name = DECLARABLE.get(_SAME.get(parsed.this, parsed.this))
    if name is None:
        allowed = ", ".join(sorted(set(DECLARABLE.values())))
        raise ValueError(f"{kind!r} cannot be declared; one of {allowed}")
    if parsed.this == T.DECIMAL:
        room = _decimal(parsed) or (38, 9)
        if not 1 <= room[0] <= 38 or not 0 <= room[1] <= room[0]:
            raise ValueError(f"{kind!r}: DECIMAL(precision 1-38, scale 0-precision)")
        return f"DECIMAL({room[0]}, {room[1]})"
    return name


def spelled(kind: str, dialect: str) -> str:
    """A declared column type (:func:`declared`) as ``dialect`` writes it."""
    return str(parse(declared(kind), "duckdb").sql(dialect=dialect))


def arrow_type(kind: str) -> Any:
    """The Arrow type a declared column (:func:`declared`) is read as."""
    import pyarrow as pa

    name = declared(kind)
    if name.startswith("DECIMAL"):
        precision, scale = _decimal(parse(name, "duckdb")) or (38, 9)
        return pa.decimal128(precision, scale)
    return {
        "BOOLEAN": pa.bool_(),
        "SMALLINT": pa.int16(),
        "INTEGER": pa.int32(),
        "BIGINT": pa.int64(),
        "REAL": pa.float32(),
        "DOUBLE": pa.float64(),
        "VARCHAR": pa.string(),
        "DATE": pa.date32(),
        "TIMESTAMP": pa.timestamp("us"),
        "TIMESTAMPTZ": pa.timestamp("us", tz="UTC"),
    }[name]
