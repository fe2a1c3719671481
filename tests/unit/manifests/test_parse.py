"""parse_manifest: Redshift COPY / UNLOAD manifests, loaders' optional keys, and refusals."""

from __future__ import annotations

import json
from typing import Any

import pytest

from manifests import FORMATS, Entry, ManifestError, Partition, parse_manifest
from manifests.parse import MAX_MANIFEST_BYTES, strict_json

URL = "s3://lake/manifests/ad_server/conversion/dt=2026-11-29/hour=08/batch-1.json"
FILE = "s3://lake/data/ad_server/conversion/dt=2026-11-29/hour=08/part-0.parquet"


def parse(doc: object, url: str = URL, version: str = "etag-1"):
    return parse_manifest(json.dumps(doc), url, version)


def test_redshift_copy_manifest() -> None:
    # The example of the Redshift COPY documentation: url + mandatory, nothing else.
    raw = json.dumps(
        {
            "entries": [
                {"url": "s3://mybucket-alpha/2013-10-04-custdata", "mandatory": True},
                {"url": "s3://mybucket-alpha/2013-10-05-custdata", "mandatory": True},
                {"url": "s3://mybucket-beta/2013-10-04-custdata", "mandatory": True},
                {"url": "s3://mybucket-beta/2013-10-05-custdata", "mandatory": False},
            ]
        }
    )
    manifest = parse_manifest(raw, URL, "etag-1")
    assert manifest.url == URL
    assert manifest.version == "etag-1"
    assert manifest.identity == (URL, "etag-1")
    assert [e.url for e in manifest.entries] == [
        "s3://mybucket-alpha/2013-10-04-custdata",
        "s3://mybucket-alpha/2013-10-05-custdata",
        "s3://mybucket-beta/2013-10-04-custdata",
        "s3://mybucket-beta/2013-10-05-custdata",
    ]
    assert [e.mandatory for e in manifest.entries] == [True, True, True, False]
    assert all(e.content_length is None and e.record_count is None for e in manifest.entries)
    assert manifest.dataset is None
    assert manifest.partition is None
    assert manifest.format is None
    assert manifest.schema_fingerprint is None
    assert dict(manifest.extra) == {}


def test_bytes_and_str_give_the_same_manifest() -> None:
    doc = {"entries": [{"url": FILE, "mandatory": True, "meta": {"content_length": 10}}]}
    assert parse_manifest(json.dumps(doc).encode(), URL, "v") == parse_manifest(json.dumps(doc), URL, "v")


def test_mandatory_defaults_to_false_and_meta_is_optional() -> None:
    manifest = parse({"entries": [{"url": FILE}]})
    assert manifest.entries == (Entry(url=FILE, mandatory=False, content_length=None, record_count=None),)


def test_unload_manifest_verbose() -> None:
    # The shape UNLOAD ... MANIFEST VERBOSE writes: per-entry meta (no "mandatory"),
    # plus top-level "schema", "meta" and "author" keys that COPY ignores.
    doc = {
        "entries": [
            {"url": "s3://lake/unload/venue_0000_part_00", "meta": {"content_length": 32295, "record_count": 10}},
            {"url": "s3://lake/unload/venue_0001_part_00", "meta": {"content_length": 32771, "record_count": 20}},
            {"url": "s3://lake/unload/venue_0002_part_00", "meta": {"content_length": 32302, "record_count": 10}},
            {"url": "s3://lake/unload/venue_0003_part_00", "meta": {"content_length": 31810, "record_count": 15}},
        ],
        "schema": {
            "elements": [
                {"name": "venueid", "type": {"base": "integer"}},
                {"name": "venuename", "type": {"base": "character varying", "max_length": 100}},
                {"name": "venuecity", "type": {"base": "character varying", "max_length": 30}},
                {"name": "venueseats", "type": {"base": "integer"}},
            ]
        },
        "meta": {"content_length": 129178, "record_count": 55},
        "author": {"name": "Amazon Redshift", "version": "1.0.0"},
    }
    manifest = parse(doc)
    assert [(e.content_length, e.record_count) for e in manifest.entries] == [
        (32295, 10),
        (32771, 20),
        (32302, 10),
        (31810, 15),
    ]
    assert all(e.mandatory is False for e in manifest.entries)
    assert sum(e.record_count or 0 for e in manifest.entries) == 55
    assert manifest.bytes == 129178
    assert set(manifest.extra) == {"schema", "meta", "author"}
    assert manifest.extra["author"] == {"name": "Amazon Redshift", "version": "1.0.0"}
    assert manifest.extra["meta"] == {"content_length": 129178, "record_count": 55}
    assert manifest.extra["schema"]["elements"][0]["name"] == "venueid"  # type: ignore[index]
    # the top-level totals are read, to be checked against the files found and read
    assert (manifest.record_count, manifest.content_length) == (55, 129178)


def test_without_a_top_level_meta_there_are_no_totals() -> None:
    manifest = parse({"entries": [{"url": FILE, "meta": {"record_count": 3}}]})
    assert (manifest.record_count, manifest.content_length) == (None, None)


def test_unknown_entry_keys_are_ignored() -> None:
    manifest = parse(
        {"entries": [{"url": FILE, "mandatory": True, "meta": {"content_length": 3, "etag": "x"}, "y": 1}]}
    )
    assert manifest.entries == (Entry(url=FILE, mandatory=True, content_length=3),)


def test_loaders_optional_keys() -> None:
    manifest = parse(
        {
            "entries": [{"url": FILE, "mandatory": True, "meta": {"content_length": 5956875, "record_count": 10000}}],
            "dataset": "ad_server.conversion",
            "partition": {"dt": "2026-11-29", "hour": "08"},
            "format": "avro-wrapped",
            "schema_fingerprint": "63dd24e7cc258f8a",
            "producer": "spark-job-7",
        }
    )
    assert manifest.dataset == "ad_server.conversion"
    assert manifest.partition == Partition((("dt", "2026-11-29"), ("hour", "08")))
    assert manifest.partition.key == "dt=2026-11-29/hour=08"  # type: ignore[union-attr]
    assert manifest.format == "avro-wrapped"
    assert manifest.schema_fingerprint == "63dd24e7cc258f8a"
    assert dict(manifest.extra) == {"producer": "spark-job-7"}
    assert manifest.entries[0].record_count == 10000


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_documented_format_is_accepted(fmt: str) -> None:
    assert parse({"entries": [], "format": fmt}).format == fmt


def test_partition_as_string_keeps_order() -> None:
    assert parse({"entries": [], "partition": "hour=08/dt=2026-11-29"}).partition == Partition(
        (("hour", "08"), ("dt", "2026-11-29"))
    )


def test_partition_integer_values_become_strings() -> None:
    assert parse({"entries": [], "partition": {"year": 2026, "hour": 8}}).partition == Partition(
        (("year", "2026"), ("hour", "8"))
    )


def test_integer_schema_fingerprint_becomes_string() -> None:
    assert parse({"entries": [], "schema_fingerprint": 7195948357588979594}).schema_fingerprint == "7195948357588979594"


def test_empty_entries_list_parses() -> None:
    manifest = parse({"entries": []})
    assert manifest.entries == ()
    assert manifest.bytes == 0


def bad(raw: str | bytes, file: str | None, fragment: str, case_id: str):
    return pytest.param(raw, file, fragment, id=case_id)


def _doc(**top: object) -> str:
    return json.dumps({"entries": [], **top})


def _entry(**entry: object) -> str:
    return json.dumps({"entries": [entry]})


MALFORMED = [
    bad('{"entries": [', None, "not valid JSON", "invalid-json"),
    bad("", None, "not valid JSON", "empty-document"),
    bad(b'{"entries": [], "dataset": "\xff\xfe"}', None, "not valid JSON", "invalid-utf8-bytes"),
    bad("[]", None, "expected a JSON object, got a list", "top-level-list"),
    bad('"entries"', None, "expected a JSON object, got a string", "top-level-string"),
    bad("null", None, "expected a JSON object, got null", "top-level-null"),
    bad("{}", None, '"entries"', "entries-missing"),
    bad('{"Entries": []}', None, '"entries"', "entries-miscapitalised"),
    bad('{"entries": {}}', None, '"entries" must be a list', "entries-object"),
    bad('{"entries": null}', None, '"entries" must be a list', "entries-null"),
    bad(json.dumps({"entries": [FILE]}), None, "entries[0] must be an object", "entry-is-string"),
    bad(json.dumps({"entries": [{"url": FILE}, None]}), None, "entries[1] must be an object", "entry-is-null"),
    bad(_entry(mandatory=True), None, 'entries[0] needs a non-empty string "url"', "url-missing"),
    bad(_entry(url=""), None, '"url"', "url-empty"),
    bad(_entry(url="   "), None, '"url"', "url-blank"),
    bad(_entry(url=42), None, '"url"', "url-number"),
    bad(_entry(url=[FILE]), None, '"url"', "url-list"),
    bad(_entry(url="s3://lake/data/a\u0000b"), None, "NUL", "url-nul"),
    bad(_entry(url=FILE, mandatory="true"), FILE, "entries[0].mandatory", "mandatory-string"),
    bad(_entry(url=FILE, mandatory=1), FILE, "entries[0].mandatory", "mandatory-int"),
    bad(_entry(url=FILE, meta=[]), FILE, "entries[0].meta must be an object", "meta-list"),
    bad(_entry(url=FILE, meta="big"), FILE, "entries[0].meta must be an object", "meta-string"),
    bad(_entry(url=FILE, meta={"content_length": -1}), FILE, "content_length", "content-length-negative"),
    bad(_entry(url=FILE, meta={"content_length": True}), FILE, "content_length", "content-length-bool"),
    bad(_entry(url=FILE, meta={"content_length": "10"}), FILE, "content_length", "content-length-string"),
    bad(_entry(url=FILE, meta={"content_length": 10.5}), FILE, "content_length", "content-length-float"),
    bad(_entry(url=FILE, meta={"record_count": 10.0}), FILE, "record_count", "record-count-float"),
    bad(_entry(url=FILE, meta={"record_count": -3}), FILE, "record_count", "record-count-negative"),
    bad(_entry(url=FILE, meta={"record_count": False}), FILE, "record_count", "record-count-bool"),
    bad(_doc(meta=[]), None, '"meta" must be an object', "top-meta-list"),
    bad(_doc(meta={"record_count": -1}), None, '"meta".record_count', "top-record-count-negative"),
    bad(_doc(meta={"record_count": "350"}), None, '"meta".record_count', "top-record-count-string"),
    bad(_doc(meta={"content_length": 1.5}), None, '"meta".content_length', "top-content-length-float"),
    bad(_doc(format="orc"), None, '"format"', "format-unknown"),
    bad(_doc(format="Parquet"), None, '"format"', "format-wrong-case"),
    bad(_doc(format=1), None, '"format"', "format-number"),
    bad(_doc(partition=["dt", "2026-11-29"]), None, '"partition"', "partition-list"),
    bad(_doc(partition={}), None, '"partition"', "partition-empty-object"),
    bad(_doc(partition={"dt": ["2026-11-29"]}), None, '"partition"', "partition-value-list"),
    bad(_doc(partition={"dt": True}), None, '"partition"', "partition-value-bool"),
    bad(_doc(partition={"dt": None}), None, '"partition"', "partition-value-null"),
    bad(_doc(partition={"": "x"}), None, '"partition"', "partition-name-empty"),
    bad(_doc(partition={"dt": "2026/11/29"}), None, '"/"', "partition-value-slash"),
    bad(_doc(partition={"d=t": "x"}), None, '"="', "partition-name-equals"),
    bad(_doc(partition="dt"), None, "k=v", "partition-string-no-equals"),
    bad(_doc(partition="=x"), None, "k=v", "partition-string-no-name"),
    bad(_doc(partition=5), None, '"partition"', "partition-number"),
    bad(_doc(dataset=""), None, '"dataset"', "dataset-empty"),
    bad(_doc(dataset=5), None, '"dataset"', "dataset-number"),
    bad(_doc(schema_fingerprint=1.5), None, '"schema_fingerprint"', "fingerprint-float"),
    bad(_doc(schema_fingerprint=True), None, '"schema_fingerprint"', "fingerprint-bool"),
]


@pytest.mark.parametrize(("raw", "file", "fragment"), MALFORMED)
def test_malformed_manifest_is_refused_naming_manifest_and_file(
    raw: str | bytes, file: str | None, fragment: str
) -> None:
    with pytest.raises(ManifestError) as info:
        parse_manifest(raw, URL, "etag-1")
    exc = info.value
    message = str(exc)
    assert exc.manifest == URL
    assert URL in message
    assert exc.file == file
    if file is not None:
        assert file in message
    assert fragment in message
    assert exc.transient is False


def test_error_names_the_index_of_the_bad_entry() -> None:
    doc = {"entries": [{"url": FILE}, {"url": FILE + ".2", "meta": {"content_length": -5}}]}
    with pytest.raises(ManifestError, match=r"entries\[1\]\.meta\.content_length") as info:
        parse(doc)
    assert info.value.file == FILE + ".2"


def test_partition_empty_value_is_refused() -> None:
    with pytest.raises(ManifestError):
        parse({"entries": [], "partition": {"dt": ""}})


@pytest.mark.parametrize(
    ("declared", "schemas"),
    [
        ("63DD24E7CC258F8A", ("63dd24e7cc258f8a",)),  # the registry's form, lower-cased
        (7195948357588979594, ("63dd24e7cc258f8a",)),  # Avro's long, as a DataWrapper carries it
        ("-6970731678124411036", ("9f42fc78a4d4f764",)),  # negative: the unsigned value's hex
        ("v2-conversions", ("v2-conversions",)),  # a producer's own label, kept as written
        (None, ()),
    ],
)
def test_a_declared_schema_fingerprint_is_recorded_in_the_registrys_form(
    declared: Any, schemas: tuple[str, ...]
) -> None:
    doc: dict[str, Any] = {"entries": []} | ({"schema_fingerprint": declared} if declared is not None else {})
    assert parse(doc).schemas == schemas


# -- JSON a lenient reader would let through, and names no one could read --------------------

LENIENT = [
    pytest.param("[" * 100_000 + "]" * 100_000, "nested too deeply", id="arrays-100000-deep"),
    pytest.param('{"a":' * 100_000 + "1" + "}" * 100_000, "nested too deeply", id="objects-100000-deep"),
    pytest.param('{"entries": ' + "[" * 50_000 + "]" * 50_000 + "}", "nested too deeply", id="entries-deep"),
    pytest.param('{"entries": [], "x": NaN}', "NaN is not a JSON value", id="nan"),
    pytest.param('{"entries": [], "x": Infinity}', "Infinity is not a JSON value", id="infinity"),
    pytest.param('{"entries": [], "x": -Infinity}', "-Infinity is not a JSON value", id="minus-infinity"),
    pytest.param('{"entries": [{"url": "a"}], "entries": []}', "'entries' is written twice", id="entries-twice"),
    pytest.param('{"entries": [{"url": "a", "url": "b"}]}', "'url' is written twice", id="url-twice"),
    pytest.param('{"entries": [{"url": "s3://x/\\ud800"}]}', "lone surrogate", id="lone-surrogate-in-a-value"),
    pytest.param('{"entries": [], "\\udc00": 1}', "lone surrogate", id="lone-surrogate-in-a-key"),
]


@pytest.mark.parametrize(("raw", "fragment"), LENIENT)
def test_json_that_a_lenient_reader_accepts_is_refused_naming_the_manifest(raw: str, fragment: str) -> None:
    """Python's reader raised RecursionError for deep nesting (a traceback, and in Lambda
    a transient failure retried for ever), took NaN, and kept the last of two keys."""
    with pytest.raises(ManifestError) as info:
        parse_manifest(raw, URL, "etag-1")
    assert str(info.value).startswith(f"manifest {URL}: not valid JSON (") and fragment in str(info.value)


def test_a_manifest_over_64_mib_is_refused_before_it_is_parsed() -> None:
    raw = b'{"entries": [], "pad": "' + b"x" * MAX_MANIFEST_BYTES + b'"}'
    with pytest.raises(ManifestError, match=f"{len(raw)} bytes; a manifest may have at most {MAX_MANIFEST_BYTES}"):
        parse_manifest(raw, URL, "etag-1")


def test_strict_json_reads_what_json_reads() -> None:
    doc = {"entries": [{"url": "s3://lake/é x.parquet", "meta": {"content_length": 10**20}}], "f": [1.5, None, True]}
    assert strict_json(json.dumps(doc)) == doc == strict_json(json.dumps(doc, ensure_ascii=False).encode())


CONTROL = ["\x00", "\n", "\t", "\x1b", "\x7f", "\x85", "\u200b", "\u202e", "\u2028", "\ufeff"]


@pytest.mark.parametrize("char", CONTROL, ids=[f"U+{ord(c):04X}" for c in CONTROL])
def test_a_partition_or_dataset_holding_a_control_character_is_refused_naming_it(char: str) -> None:
    """A NUL made PostgreSQL refuse the load mid-way; a newline split the CLI's line; a
    right-to-left override shows a person another partition than the one loaded."""
    for top in (
        {"partition": {"dt": f"2026{char}", "hour": "08"}},
        {"partition": {f"d{char}t": "2026"}},
        {"partition": f"dt=2026{char}/hour=08"},
        {"dataset": f"ad_server.conversion{char}"},
    ):
        with pytest.raises(ManifestError, match=f"control character U\\+{ord(char):04X}") as info:
            parse({"entries": [], **top})
        assert len(str(info.value).splitlines()) == 1 and str(info.value).startswith(f"manifest {URL}: ")


def test_printable_unicode_in_a_partition_is_kept() -> None:
    assert parse({"entries": [], "partition": {"dt": "été 2026 ü"}}).partition == Partition.of({"dt": "été 2026 ü"})


def test_a_url_with_control_characters_is_shown_escaped_so_the_message_stays_one_line() -> None:
    with pytest.raises(ManifestError) as info:
        parse({"entries": [{"url": "s3://lake/a\nb\x1b[2J.parquet", "mandatory": "yes"}]})
    assert str(info.value).splitlines() == [str(info.value)]
    assert "file s3://lake/a\\nb\\x1b[2J.parquet: entries[0].mandatory" in str(info.value)
    assert info.value.file == "s3://lake/a\nb\x1b[2J.parquet"  # the attribute keeps what was written
