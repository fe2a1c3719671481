"""Lambda cold start: ``import loaders.aws`` loads no driver, no engine, no SDK."""

from __future__ import annotations

import json
import subprocess
import sys

HEAVY = (
    "boto3", "botocore", "duckdb", "pyarrow", "fsspec", "snowflake", "psycopg", "redshift_connector",
    "pyathena", "aws_lambda_powertools", "jinja2", "sqlglot", "rich", "click", "sqlalchemy",
)  # fmt: skip

PROBE = """
import json, sys
import loaders.aws
print(json.dumps({"modules": sorted(m for m in sys.modules if m.split(".")[0] in %r)}))
"""


def test_importing_the_handler_module_loads_nothing_heavy() -> None:
    done = subprocess.run([sys.executable, "-c", PROBE % (HEAVY,)], capture_output=True, text=True, check=True)
    found = json.loads(done.stdout)
    assert found["modules"] == []  # the time it takes is measured by benchmarks/cold_start.py


def test_the_handlers_are_importable_by_their_documented_names() -> None:
    code = "from loaders.aws import handler, sweep_handler; print(handler.__module__, sweep_handler.__module__)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["loaders.aws", "loaders.aws"]


def test_the_batch_handler_is_importable_and_loads_nothing_heavy() -> None:
    code = PROBE % (HEAVY,) + "from loaders.aws import batch_handler; print(batch_handler.__module__)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    found, module = done.stdout.splitlines()
    assert json.loads(found)["modules"] == [] and module == "loaders.aws"
