"""``${VAR}`` in ``loaders.toml``: environment variables substituted into every string,
and the secrets they (and a sink's own secret-named options) carry registered before
anything can print them."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from manifests import ConfigError, secrets

_VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


def register_secrets(template: Mapping[str, Any], sink: Mapping[str, Any], env: Mapping[str, str]) -> None:
    """Register a sink's secrets before anything can print them: its URL's password and
    secret-named query values, secret-named options (``private_key``, ``token``…), and the
    value of every ``${VAR}`` that stands where credentials go — in the URL's user
    information or query, the whole URL, or a secret-named option. A ``${VAR}`` naming a
    host, database, stage or schema is not a secret: hiding it would garble messages and
    compiled SQL."""
    if isinstance(sink.get("url"), str):
        secrets.register_url(sink["url"])
    names: list[str] = []
    for key, value in template.items():
        if not isinstance(value, str):
            continue
        if secrets.is_secret_name(key):
            secrets.register(sink.get(key))
            names += _VAR.findall(value)
        elif key == "url":
            names += _VAR.findall(_credential_part(value))
    secrets.register(*(env.get(n) for n in names))


def _credential_part(url: str) -> str:
    """Where credentials stand in a URL as written (``${VAR}`` not yet substituted): the
    password and the query; all of it when the scheme itself is a ``${VAR}``."""
    scheme, sep, rest = url.partition("://")
    if not sep or _VAR.search(scheme):
        return url
    head, _q, query = rest.partition("?")
    userinfo, _at, _host = head.rpartition("@")
    return f"{userinfo.partition(':')[2]} {query}"


def interpolate(value: Any, source: str, where: str, env: Mapping[str, str]) -> Any:
    if isinstance(value, str):

        def swap(found: re.Match[str]) -> str:
            name = found.group(1)
            if name not in env:
                raise ConfigError(f"{source}: {where or '(top level)'}: environment variable {name} is not set")
            return env[name]

        return _VAR.sub(swap, value)
    if isinstance(value, dict):
        return {k: interpolate(v, source, f"{where}.{k}" if where else k, env) for k, v in value.items()}
    if isinstance(value, list):
        return [interpolate(v, source, f"{where}[{i}]", env) for i, v in enumerate(value)]
    return value
