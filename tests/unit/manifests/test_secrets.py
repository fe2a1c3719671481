"""The one redaction: what is registered, in which spellings it is hidden, and what a URL
that SQLAlchemy does or does not read becomes in a message."""

from __future__ import annotations

import json
import logging
import re
import sys
from collections.abc import Iterator
from urllib.parse import quote, quote_plus

import pytest

from loaders.config import parse_config
from manifests import ConfigError, secrets
from manifests.secrets import error_text, hide_password, redact, redact_all, register, register_url, sink_url

SECRET = "Zq9/x@K%v?Tp-pl4nted"
SCHEMES = ("postgresql+psycopg", "postgresql")


@pytest.fixture(autouse=True)
def empty_register() -> Iterator[None]:
    secrets.forget_all()
    yield
    secrets.forget_all()


@pytest.mark.parametrize(
    "spelling",
    [
        SECRET,
        quote(SECRET, safe=""),  # as a query value
        quote(SECRET, safe="/?"),  # as a URL's user information
        quote(SECRET),
        quote_plus(SECRET),
        json.dumps(SECRET)[1:-1],
        repr(SECRET)[1:-1],
    ],
)
def test_a_registered_secret_is_hidden_in_every_spelling(spelling: str) -> None:
    register(SECRET)
    assert redact(f"error: {spelling} failed") == "error: *** failed"


def test_a_secret_registered_in_its_encoded_form_is_hidden_decoded_too() -> None:
    register(quote(SECRET, safe="/?"))  # a ${VAR} holding the URL's spelling
    assert redact(f"[{SECRET}]") == "[***]"


def test_short_values_are_not_registered_they_would_hide_ordinary_words() -> None:
    register("pw", "snow", "")
    assert redact("the snow pw") == "the snow pw"


@pytest.mark.parametrize(
    ("url", "registered"),
    [
        ("postgresql://u:Zq9/x%40K%25v?Tp-pl4nted@h:nope/db", SECRET),  # parses nowhere: found all the same
        ("postgresql://u:Zq9/x@K%v?Tp-pl4nted@h/db", SECRET),  # "@" pasted raw
        ("postgresql://u@h:nope/db?sslmode=disable&password=Zq9%2Fx%40K%25v%3FTp-pl4nted", SECRET),
        ("snowflake://u@acct/DB/S?private_key_file_pwd=long-enough-key&warehouse=W", "long-enough-key"),
    ],
)
def test_the_secrets_of_a_url_are_found_without_parsing_it(url: str, registered: str) -> None:
    register_url(url)
    assert redact(f"x {registered} y") == "x *** y"


def test_a_url_without_credentials_registers_nothing() -> None:
    register_url("postgresql://loader@warehouse.example:5432/analytics?sslmode=require")
    assert redact("loader warehouse.example analytics require") == "loader warehouse.example analytics require"


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("dsn postgresql://u:never/registered@h/db", "dsn postgresql://u:***@h/db"),
        ("https://h/x?token=abc123&page=2", "https://h/x?token=***&page=2"),
        ("ALTER USER u SET password='p4ss'", "ALTER USER u SET password='***'"),
        ("CREDENTIALS 'aws_access_key_id=A;aws_secret_access_key=SECRET'", "CREDENTIALS '***'"),
        ("private_key_file_pwd=hunter2", "private_key_file_pwd=***"),
        ("s3://lake/data/dt=2026-11-28/b1.parquet", "s3://lake/data/dt=2026-11-28/b1.parquet"),
        ("file:///srv/lake/a@b.parquet", "file:///srv/lake/a@b.parquet"),
    ],
)
def test_what_was_never_registered_is_hidden_by_its_shape(text: str, shown: str) -> None:
    assert redact(text) == shown


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("postgresql+psycopg://loader:s3cr:et@db:5432/wh", "postgresql+psycopg://loader:***@db:5432/wh"),
        (
            "redshift+redshift_connector://u:p%40ss@c.example:5439/db?iam=true",
            "redshift+redshift_connector://u:***@c.example:5439/db?iam=true",
        ),
        ("snowflake://user:pw@acct/DB/SCHEMA?warehouse=W", "snowflake://user:***@acct/DB/SCHEMA?warehouse=W"),
        ("postgresql://loader@db/wh", "postgresql://loader@db/wh"),  # no password: unchanged
        ("postgresql://loader@db/wh?password=abc", "postgresql://loader@db/wh?password=***"),
        ("duckdb:///warehouse.duckdb", "duckdb:///warehouse.duckdb"),
        ("not a url", "not a url"),
    ],
)
def test_a_configured_urls_password_is_hidden_and_nothing_else_changes(url: str, shown: str) -> None:
    assert hide_password(url) == shown


def test_a_password_holding_slash_question_mark_and_colon_parses() -> None:
    url = sink_url("postgresql+psycopg://loader:a/b?c:d%40e@db:5432/wh?sslmode=require", SCHEMES, "form")
    assert (url.username, url.password, url.host, url.port, url.database) == ("loader", "a/b?c:d@e", "db", 5432, "wh")
    assert dict(url.query) == {"sslmode": "require"}


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("postgresql+psycopg://loader:Zq9/x%40K%25v?Tp-pl4nted@db:port/wh", "invalid literal for int()"),
        ("postgresql+psycopg://loader:Zq9/x@K%v?Tp-pl4nted@db/wh", "more than one '@'"),
        ("postgresql+psycopg://loader:Zq9/x@K%v?Tp-pl4nted@db/wh?sslmode=off", r"loader:\*\*\*@db/wh\?sslmode=off'"),
        ("mysql://loader:Zq9/x%40K%25v?Tp-pl4nted@db/wh", "expected form"),
        ("loader:Zq9/x%40K%25v?Tp-pl4nted@db/wh", "not a URL"),
    ],
)
def test_a_sink_url_that_cannot_be_used_is_a_config_error_without_its_secret(url: str, says: str) -> None:
    with pytest.raises(ConfigError, match=says) as caught:
        sink_url(url, SCHEMES, "form")
    assert not {"Zq9", "K%v", "pl4nted"} & set(re.split(r"[/:@?'&= ]", str(caught.value)))


def test_the_error_a_state_records_is_redacted_before_it_is_cut() -> None:
    register(SECRET)
    text = error_text(ValueError("x" * 1990 + SECRET))
    assert len(text) == 2000 and "Zq9" not in text and "pl4nted" not in text


def test_every_string_of_a_document_is_redacted_and_it_stays_json() -> None:
    register(SECRET)
    doc = {"error": f"bad {SECRET}", "record": {"body": [SECRET, 3]}, SECRET: None}
    assert redact_all(doc) == {"error": "bad ***", "record": {"body": ["***", 3]}, "***": None}


def test_the_log_filter_hides_secrets_in_message_arguments_extras_and_traceback() -> None:
    register(SECRET)
    logger = logging.getLogger("loaders.test_secrets")
    record = logger.makeRecord(
        logger.name, logging.ERROR, __file__, 1, "failed: %s", (SECRET,), None, extra={"error": SECRET, "rows": 3}
    )
    try:
        raise RuntimeError(f"boom {SECRET}")
    except RuntimeError:
        record.exc_info = sys.exc_info()
    assert secrets.RedactingFilter().filter(record)
    text = logging.Formatter("%(message)s %(error)s %(rows)s").format(record)
    assert "Zq9" not in text and text.startswith("failed: *** *** 3") and "RuntimeError: boom ***" in text


# -- what reading the configuration registers ----------------------------------------------------

ENV = {"PW": "var-pass-word", "HOST": "db.internal.example", "SCHEMA": "loader_state", "KEY": "private-key-body"}


def config(url: str, env: dict[str, str] = ENV, **options: str) -> None:
    doc = {"store": {"root": "/srv/lake"}, "sinks": {"pg": {"type": "postgres", "url": url, **options}}}
    parse_config(doc, "loaders.toml", "/srv", env)


def test_var_values_standing_for_credentials_are_registered_and_names_are_not() -> None:
    config(
        "postgresql+psycopg://loader:${PW}@${HOST}:5432/wh?sslkey_password=${KEY}",
        state_schema="${SCHEMA}",
    )
    text = "var-pass-word private-key-body db.internal.example loader_state"
    assert redact(text) == "*** *** db.internal.example loader_state"


def test_a_whole_url_from_a_var_registers_its_password() -> None:
    config("${URL}", {"URL": "postgresql+psycopg://loader:from-the-env-pw@db/wh"})
    assert "from-the-env-pw" not in redact("postgresql+psycopg://loader:from-the-env-pw@db/wh and from-the-env-pw")


def test_a_secret_named_option_is_registered_before_the_table_is_refused_for_it() -> None:
    """No sink reads such a key (an unknown key is an error), but a secret written there
    by mistake must not be printed by whatever reports the mistake."""
    with pytest.raises(ConfigError, match=r"sinks\.pg\.private_key: unknown key"):
        config("postgresql+psycopg://loader@db/wh", private_key="literal-key-text", token="${PW}")
    assert redact("literal-key-text var-pass-word") == "*** ***"
