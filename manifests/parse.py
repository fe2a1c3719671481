"""Parsing of Redshift COPY manifests, with loaders' optional extra keys.

A manifest is ``{"entries": [{"url", "mandatory", "meta": {"content_length",
"record_count"}}]}``; UNLOAD ... MANIFEST VERBOSE writes exactly that, so every producer
that already writes one works unchanged; its top-level ``"meta"`` totals (the rows and
bytes of all the files) are read into ``Manifest.record_count`` and
``Manifest.content_length``. Unknown keys are accepted and kept in ``Manifest.extra``.
Every error names the manifest.

The JSON itself is read strictly (:func:`strict_json`): a manifest comes from outside,
and whatever Python's lenient reader would let through (NaN, a key written twice, a lone
surrogate, nesting deep enough to exhaust the stack) is a malformed manifest, refused
before anything else looks at it.
"""

from __future__ import annotations

import json
import re
from typing import Any

from manifests.errors import ManifestError
from manifests.models import FORMATS, Entry, Manifest, Partition, unprintable
from manifests.schemas import hex_form

#: A manifest larger than this is refused unparsed. Parsing costs several times the
#: document's size in memory, and the largest real manifests (an UNLOAD of a few hundred
#: thousand files) are a few tens of MiB; a Lambda must not be made to run out of memory.
MAX_MANIFEST_BYTES = 64 * 1024 * 1024
_SURROGATE = re.compile("[\\ud800-\\udfff]")


def strict_json(raw: bytes | str) -> Any:
    """The JSON document in ``raw`` as RFC 8259 defines JSON, or ValueError saying why.

    Python's reader is lenient where a message from outside must not be: it accepts
    NaN and Infinity; it keeps the last of two equal keys where another reader (the
    producer's, Redshift's COPY) may keep the first, so two readers would see two
    manifests; it lets a lone surrogate into strings that no encoder can write later; and
    it recurses, so a document nested 100,000 deep raises RecursionError, which no
    caller would take for malformed input.
    """
    try:
        return json.loads(raw, parse_constant=_constant, object_pairs_hook=_object)
    except RecursionError:
        raise ValueError("nested too deeply") from None


def _constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON value")


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    doc: dict[str, Any] = {}
    for key, value in pairs:
        if key in doc:
            raise ValueError(f"the key {key!r} is written twice in one object")
        for text in (key, value) if isinstance(value, str) else (key,):
            if _SURROGATE.search(text):
                raise ValueError(f"{text!r} holds a lone surrogate, which is no character")
        doc[key] = value
    return doc


def parse_manifest(raw: bytes | str, url: str, version: str) -> Manifest:
    """Turn the bytes of a manifest into a :class:`Manifest`, or raise ManifestError."""
    if len(raw) > MAX_MANIFEST_BYTES:
        raise ManifestError(f"{len(raw)} bytes; a manifest may have at most {MAX_MANIFEST_BYTES}", manifest=url)
    try:
        doc = strict_json(raw)
    except ValueError as exc:  # UnicodeDecodeError included
        raise ManifestError(f"not valid JSON ({exc})", manifest=url) from None
    if not isinstance(doc, dict):
        raise ManifestError(f"expected a JSON object, got {_kind(doc)}", manifest=url)
    if "entries" not in doc:
        raise ManifestError('missing the "entries" list', manifest=url)
    entries = doc["entries"]
    if not isinstance(entries, list):
        raise ManifestError(f'"entries" must be a list, got {_kind(entries)}', manifest=url)
    # a file named twice (in one spelling or two) is found once every URL is in its
    # canonical form, after the manifest is placed in its partition (manifests.check)
    parsed = tuple(_entry(e, i, url) for i, e in enumerate(entries))
    known = {"entries", "dataset", "partition", "format", "schema_fingerprint"}
    # UNLOAD ... MANIFEST VERBOSE writes a top-level "meta" with the totals of all its
    # files, {"content_length": <bytes>, "record_count": <rows>}, beside "entries",
    # "schema" and "author" (Amazon Redshift Database Developer Guide, "UNLOAD examples",
    # "Unload VENUE using MANIFEST VERBOSE":
    # https://docs.aws.amazon.com/redshift/latest/dg/r_UNLOAD_command_examples.html).
    # It stays in ``extra`` as ever; its totals are read here and checked later.
    totals = doc.get("meta", {})
    if not isinstance(totals, dict):
        raise ManifestError(f'"meta" must be an object, got {_kind(totals)}', manifest=url)
    return Manifest(
        url=url,
        version=version,
        entries=parsed,
        dataset=_optional_str(doc, "dataset", url),
        partition=_partition(doc.get("partition"), url),
        format=_format(doc.get("format"), url),
        schema_fingerprint=(declared := _fingerprint(doc.get("schema_fingerprint"), url)),
        schemas=(_hex(declared),) if declared is not None else (),
        extra={k: v for k, v in doc.items() if k not in known},
        record_count=_count(totals, "record_count", "", url, None),
        content_length=_count(totals, "content_length", "", url, None),
    )


def _entry(raw: Any, index: int, url: str) -> Entry:
    where = f"entries[{index}]"
    if not isinstance(raw, dict):
        raise ManifestError(f"{where} must be an object, got {_kind(raw)}", manifest=url)
    file_url = raw.get("url")
    if not isinstance(file_url, str) or not file_url.strip():
        raise ManifestError(f'{where} needs a non-empty string "url"', manifest=url)
    if "\x00" in file_url:
        raise ManifestError(f"{where}.url contains a NUL character", manifest=url)
    mandatory = raw.get("mandatory", False)
    if not isinstance(mandatory, bool):
        raise ManifestError(f"{where}.mandatory must be true or false, got {mandatory!r}", manifest=url, file=file_url)
    meta = raw.get("meta", {})
    if not isinstance(meta, dict):
        raise ManifestError(f"{where}.meta must be an object, got {_kind(meta)}", manifest=url, file=file_url)
    return Entry(
        url=file_url,
        mandatory=mandatory,
        content_length=_count(meta, "content_length", where, url, file_url),
        record_count=_count(meta, "record_count", where, url, file_url),
    )


def _count(meta: dict[str, Any], key: str, where: str, url: str, file_url: str | None) -> int | None:
    """``meta[key]``: None, or a non-negative integer; ``where`` is the entry ("" for the
    manifest's own top-level ``meta``)."""
    value = meta.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        path = f"{where}.meta.{key}" if where else f'"meta".{key}'
        raise ManifestError(f"{path} must be a non-negative integer, got {value!r}", manifest=url, file=file_url)
    return value


def _optional_str(doc: dict[str, Any], key: str, url: str) -> str | None:
    value = doc.get(key)
    if value is None:
        return None
    if not isinstance(value, str) or not value:
        raise ManifestError(f'"{key}" must be a non-empty string, got {value!r}', manifest=url)
    if (char := unprintable(value)) is not None:
        raise ManifestError(f'"{key}" {value!r} holds the control character {char}', manifest=url)
    return value


def _partition(value: Any, url: str) -> Partition | None:
    if value is None:
        return None
    if (
        isinstance(value, dict)
        and value
        and all(
            isinstance(k, str) and k and isinstance(v, str | int) and not isinstance(v, bool) for k, v in value.items()
        )
    ):
        if any(str(v) == "" for v in value.values()):
            raise ManifestError('"partition" values may not be empty', manifest=url)
        if any("/" in str(v) or "/" in k or "=" in k for k, v in value.items()):
            raise ManifestError('"partition" names and values may not contain "/" or "="', manifest=url)
        return check_partition(Partition.of({k: str(v) for k, v in value.items()}), url, '"partition"')
    if isinstance(value, str):
        try:
            return check_partition(Partition.parse(value), url, '"partition"')
        except ValueError as exc:
            raise ManifestError(str(exc), manifest=url) from None
    raise ManifestError(f'"partition" must be an object of names to values, got {value!r}', manifest=url)


def check_partition(partition: Partition, manifest: str | None, source: str = "partition") -> Partition:
    """``partition``, or ManifestError if a name or value holds a control character.

    A partition's values become SQL literals, state keys, S3 prefixes and words in log
    lines; a NUL is refused by PostgreSQL mid-load, a newline splits a log line, a
    right-to-left override makes a person read another partition than the one loaded.
    ``source`` says where the partition came from (the manifest's key or its own keys).
    """
    for name, value in partition.items:
        for text in (name, value):
            if (char := unprintable(text)) is not None:
                raise ManifestError(f"{source} {partition.key!r} holds the control character {char}", manifest=manifest)
    return partition


def _format(value: Any, url: str) -> str | None:
    if value is None:
        return None
    if value not in FORMATS:
        raise ManifestError(f'"format" must be one of {", ".join(FORMATS)}, got {value!r}', manifest=url)
    return str(value)


def _fingerprint(value: Any, url: str) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise ManifestError(f'"schema_fingerprint" must be a string or integer, got {value!r}', manifest=url)
    return str(value)


def _hex(fingerprint: str) -> str:
    """A declared fingerprint in the registry's 16-hex-digit form; a decimal (Avro's
    signed long, as a DataWrapper carries it) is converted, anything else kept as written."""
    if len(fingerprint) == 16 and all(c in "0123456789abcdefABCDEF" for c in fingerprint):
        return fingerprint.lower()
    try:
        return hex_form(int(fingerprint))
    except ValueError:
        return fingerprint


def _kind(value: Any) -> str:
    return {dict: "an object", list: "a list", str: "a string", bool: "a boolean", type(None): "null"}.get(
        type(value), type(value).__name__
    )
