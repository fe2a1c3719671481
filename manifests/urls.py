"""URL normalisation and the allowed-prefix check.

A manifest comes from outside, so its URLs are hostile until shown otherwise: the check
runs on the normalised, percent-decoded form, and any ``.`` or ``..`` segment, NUL,
backslash or control character is refused outright rather than resolved, because
different clients (S3, pyarrow, DuckDB) resolve them differently.
"""

from __future__ import annotations

import os
from urllib.parse import quote, unquote, urlsplit

from manifests.errors import ForeignURLError

_SAFE = "/=+,@:"


def file_url(path: str) -> str:
    """The canonical ``file://`` URL of a local path (absolute, percent-encoded)."""
    return "file://" + quote(os.path.abspath(path), safe=_SAFE)


def local_path(url: str) -> str:
    """The local path of a ``file://`` URL, percent-decoded."""
    return unquote(urlsplit(url).path)


def normalise(url: str, *, manifest: str | None = None) -> str:
    """Return ``url`` in canonical form, or raise ForeignURLError for a suspicious one.

    ``file://`` URLs are percent-decoded and re-encoded; ``s3://`` keys are kept as they
    are (S3 keys are literal) but checked in decoded form too.
    """
    if any(ord(c) < 32 or ord(c) == 127 for c in url):  # urlsplit would silently drop some
        raise ForeignURLError("control character in URL", manifest=manifest, file=url)
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in ("s3", "file"):
        raise ForeignURLError(f"unsupported URL scheme {parts.scheme or '(none)'!r}", manifest=manifest, file=url)
    path = parts.path
    check_segments(path, manifest=manifest, file=url)
    if parts.query or parts.fragment:
        raise ForeignURLError("query or fragment in URL", manifest=manifest, file=url)
    if scheme == "file":
        if parts.netloc not in ("", "localhost"):
            raise ForeignURLError("file URL with a host", manifest=manifest, file=url)
        return "file://" + quote(unquote(path), safe=_SAFE)
    if not parts.netloc or not path.strip("/"):
        raise ForeignURLError("s3 URL needs a bucket and a key", manifest=manifest, file=url)
    return f"s3://{parts.netloc.lower()}{path}"


def check_segments(path: str, *, manifest: str | None = None, file: str | None = None) -> None:
    """Refuse ``.``/``..`` segments, backslashes and control characters, raw or encoded."""
    for form in (path, unquote(path)):
        if any(ord(c) < 32 or ord(c) == 127 for c in form) or "\\" in form:
            raise ForeignURLError("control character or backslash in URL", manifest=manifest, file=file or path)
        if any(s in (".", "..") for s in form.split("/")):
            raise ForeignURLError('"." or ".." segment in URL', manifest=manifest, file=file or path)


def as_prefix(url: str) -> str:
    """An allowed prefix is a folder: ``s3://lake/data`` allows ``s3://lake/data/x``,
    never ``s3://lake/database/x``."""
    normal = normalise(url) if url.rstrip("/").count("/") > 2 else url.rstrip("/")
    return normal.rstrip("/") + "/"


def check_allowed(url: str, prefixes: tuple[str, ...], *, manifest: str | None = None) -> str:
    """Normalise ``url`` and refuse it unless it lies under one of ``prefixes``."""
    normal = normalise(url, manifest=manifest)
    if not any(normal.startswith(p) for p in prefixes):
        raise ForeignURLError(f"outside the allowed prefixes ({', '.join(prefixes)})", manifest=manifest, file=url)
    return normal
