"""normalise / check_allowed: hostile manifest URLs are refused, never resolved."""

from __future__ import annotations

import pytest

from manifests import ForeignURLError
from manifests.urls import as_prefix, check_allowed, file_url, local_path, normalise

MANIFEST = "s3://lake/manifests/x/dt=2026-11-29/b.json"
S3_ALLOWED = (as_prefix("s3://lake/data"),)
FILE_ALLOWED = (as_prefix("file:///srv/lake"),)


def test_as_prefix_is_a_folder() -> None:
    assert as_prefix("s3://lake/data") == "s3://lake/data/"
    assert as_prefix("s3://lake/data/") == "s3://lake/data/"
    assert as_prefix("s3://lake") == "s3://lake/"
    assert as_prefix("s3://LAKE/data") == "s3://lake/data/"
    assert as_prefix("file:///srv/my%20lake") == "file:///srv/my%20lake/"


@pytest.mark.parametrize(
    ("url", "allowed", "canonical"),
    [
        ("s3://lake/data/x/part-0.parquet", S3_ALLOWED, "s3://lake/data/x/part-0.parquet"),
        (
            "s3://lake/data/dt=2026-11-29/hour=08/p.parquet",
            S3_ALLOWED,
            "s3://lake/data/dt=2026-11-29/hour=08/p.parquet",
        ),
        ("S3://LAKE/data/x.parquet", S3_ALLOWED, "s3://lake/data/x.parquet"),
        ("s3://lake/data/a..b/c.d..parquet", S3_ALLOWED, "s3://lake/data/a..b/c.d..parquet"),
        ("s3://lake/data/.hidden/x", S3_ALLOWED, "s3://lake/data/.hidden/x"),
        ("s3://lake/data/with%20space", S3_ALLOWED, "s3://lake/data/with%20space"),  # S3 keys are literal
        ("file:///srv/lake/x.parquet", FILE_ALLOWED, "file:///srv/lake/x.parquet"),
        ("file://localhost/srv/lake/x.parquet", FILE_ALLOWED, "file:///srv/lake/x.parquet"),
        ("file:///srv/lake/a b.parquet", FILE_ALLOWED, "file:///srv/lake/a%20b.parquet"),
        ("file:///srv/lake/a%20b.parquet", FILE_ALLOWED, "file:///srv/lake/a%20b.parquet"),
        ("file:///srv/lake/%41.parquet", FILE_ALLOWED, "file:///srv/lake/A.parquet"),
        ("file:///srv/lake/dt=1/h%3D2.parquet", FILE_ALLOWED, "file:///srv/lake/dt=1/h=2.parquet"),
        ("file:///srv/lake/sub%2Fx.parquet", FILE_ALLOWED, "file:///srv/lake/sub/x.parquet"),
    ],
)
def test_allowed(url: str, allowed: tuple[str, ...], canonical: str) -> None:
    assert check_allowed(url, allowed, manifest=MANIFEST) == canonical
    assert normalise(canonical) == canonical  # canonical form is a fixed point


def test_file_urls_percent_decoded() -> None:
    assert local_path(normalise("file:///srv/my%20lake/x%23y.parquet")) == "/srv/my lake/x#y.parquet"
    assert normalise(file_url("/srv/my lake/x#y.parquet")) == file_url("/srv/my lake/x#y.parquet")
    assert file_url("/srv/my lake/x#y.parquet") == "file:///srv/my%20lake/x%23y.parquet"


def test_allowed_under_any_of_several_prefixes() -> None:
    allowed = (as_prefix("s3://lake/data"), as_prefix("s3://archive/2025"))
    assert check_allowed("s3://archive/2025/x", allowed) == "s3://archive/2025/x"


REFUSED_S3 = [
    # outside the allowed prefixes
    "s3://other/data/x.parquet",
    "s3://lakehouse/data/x.parquet",
    "s3://lake/database/x.parquet",  # s3://lake/data must not allow s3://lake/database
    "s3://lake/data-old/x.parquet",
    "s3://lake/datax",
    "s3://lake/data",  # the prefix folder itself, without a key in it
    "s3://lake/Data/x.parquet",  # keys are case-sensitive
    "s3://lake/x/data/y.parquet",
    # dot segments, raw and percent-encoded
    "s3://lake/data/../secret/x.parquet",
    "s3://lake/data/./x.parquet",
    "s3://lake/data/x/..",
    "s3://lake/data/%2e%2e/secret/x.parquet",
    "s3://lake/data/%2E%2e/secret/x.parquet",
    "s3://lake/data/%2E%2E/secret/x.parquet",
    "s3://lake/data/.%2e/secret/x.parquet",
    "s3://lake/data/%2e/x.parquet",
    # encoded slash tricks
    "s3://lake/data/..%2fsecret/x.parquet",
    "s3://lake/data/x%2F..%2F..%2Fsecret",
    "s3://lake/data%2F..%2Fsecret/x.parquet",
    "s3://lake/data%2Fx.parquet",  # the key is literally 'data%2Fx.parquet', not under data/
    "s3://lake/other%2F..%2Fdata/x.parquet",
    # backslash
    "s3://lake/data/..\\secret/x.parquet",
    "s3://lake/data/x\\y.parquet",
    "s3://lake/data/..%5csecret/x.parquet",
    "s3://lake/data/..%5Csecret/x.parquet",
    # control characters and NUL, raw and encoded
    "s3://lake/data/x\x00.parquet",
    "s3://lake/data/x%00.parquet",
    "s3://lake/data/x\x01.parquet",
    "s3://lake/data/x\x1b[31m.parquet",
    "s3://lake/data/x%0a.parquet",
    "s3://lake/data/x%0D%0A.parquet",
    "s3://lake/data/x%1f.parquet",
    "s3://lake/data/x%09.parquet",
    # query and fragment
    "s3://lake/data/x.parquet?versionId=3",
    "s3://lake/data/x.parquet#frag",
    "s3://lake/data/x.parquet?x=../../secret",
    # unsupported schemes, no scheme
    "http://lake/data/x.parquet",
    "https://lake.s3.amazonaws.com/data/x.parquet",
    "s3a://lake/data/x.parquet",
    "gs://lake/data/x.parquet",
    "lake/data/x.parquet",
    "/data/x.parquet",
    "//lake/data/x.parquet",
    # malformed s3
    "s3:///data/x.parquet",
    "s3://lake",
    "s3://lake/",
]

REFUSED_FILE = [
    "file://evil.example.com/srv/lake/x.parquet",
    "file://attacker/srv/lake/x.parquet",
    "file:///srv/lake/../etc/passwd",
    "file:///srv/lake/%2e%2e/etc/passwd",
    "file:///srv/lake/%2E%2e/etc/passwd",
    "file:///srv/lake/x%2f..%2f..%2fetc/passwd",
    "file:///srv/lake/./x.parquet",
    "file:///srv/lake/x%00.parquet",
    "file:///srv/lake/x\\y.parquet",
    "file:///srv/lakehouse/x.parquet",
    "file:///srv/lake%20house/x.parquet",
    "file:///etc/passwd",
    "file:///srv/lake/x.parquet?y",
    "s3://lake/x.parquet",  # an s3 URL is foreign to a local store's prefixes
]


@pytest.mark.parametrize("url", REFUSED_S3)
def test_refused_s3(url: str) -> None:
    with pytest.raises(ForeignURLError) as info:
        check_allowed(url, S3_ALLOWED, manifest=MANIFEST)
    assert info.value.file == url
    assert info.value.manifest == MANIFEST
    shown = "".join(c if c.isprintable() else ascii(c)[1:-1] for c in url)  # a NUL as \x00: one line
    assert shown in str(info.value)
    assert MANIFEST in str(info.value)


@pytest.mark.parametrize("url", REFUSED_FILE)
def test_refused_file(url: str) -> None:
    with pytest.raises(ForeignURLError) as info:
        check_allowed(url, FILE_ALLOWED, manifest=MANIFEST)
    assert info.value.file == url
    assert url in str(info.value)
    assert MANIFEST in str(info.value)


@pytest.mark.parametrize(
    ("url", "fragment"),
    [
        ("http://lake/data/x", "scheme"),
        ("lake/data/x", "(none)"),
        ("s3://lake/data/%2e%2e/x", '".."'),
        ("s3://lake/data/a%5cb", "backslash"),
        ("s3://lake/data/a%00b", "control character"),
        ("s3://lake/data/x?v=1", "query"),
        ("file://host/srv/x", "host"),
        ("s3://lake", "bucket and a key"),
    ],
)
def test_normalise_says_why(url: str, fragment: str) -> None:
    with pytest.raises(ForeignURLError, match=fragment.replace("(", r"\(").replace(")", r"\)")) as info:
        normalise(url)
    assert info.value.file == url
    assert info.value.manifest is None


def test_outside_message_lists_the_allowed_prefixes() -> None:
    with pytest.raises(ForeignURLError, match="s3://lake/data/"):
        check_allowed("s3://lake/database/x", S3_ALLOWED)


# Python's urlsplit silently deletes raw TAB, CR and LF anywhere in a URL (bpo-43882)
# and strips leading C0 controls, before normalise looks at the path, so these are
# canonicalised to a different object instead of being refused.
@pytest.mark.parametrize(
    "url",
    [
        "s3://lake/data/x\n.parquet",
        "s3://lake/data/x\r.parquet",
        "s3://lake/data/x\t.parquet",
        "s3://lake/da\nta/x.parquet",
        "\x01s3://lake/data/x.parquet",
        "\x00s3://lake/data/x.parquet",
    ],
)
def test_raw_control_characters_stripped_by_urlsplit_are_refused(url: str) -> None:
    with pytest.raises(ForeignURLError):
        normalise(url)


@pytest.mark.parametrize("url", ["s3://lake/data/x\x7f.parquet", "s3://lake/data/x%7F.parquet"])
def test_del_is_refused(url: str) -> None:
    with pytest.raises(ForeignURLError):
        normalise(url)
