"""Schemathesis fuzzes every operation of the OpenAPI document, authenticated as an admin.

A bounded number of examples per operation keeps CI fast (CLAIMDB_FUZZ_EXAMPLES, default 15);
`make fuzz` runs many more. Every response must be non-5xx, and conform to the documented status codes,
content types and response schemas.
"""

from __future__ import annotations

import os
from typing import Any

import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.conftest import Api
from tests.factories import make_claim, make_source

EXAMPLES = int(os.environ.get("CLAIMDB_FUZZ_EXAMPLES", "15"))
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


def test_every_operation_conforms(app: Any, api: Api) -> None:
    # Some real rows, so generated requests sometimes reach existing data rather than only 404s and 422s.
    client = api.as_("analyst")
    make_claim(client, make_source(client, name="Fuzz source")["id"])
    headers = {"Authorization": f"Bearer {api.keys['admin']}"}
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 15
    examples = 0
    failures: dict[str, str] = {}
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            database=None,
            derandomize=os.environ.get("CLAIMDB_FUZZ_RANDOM") != "1",
            suppress_health_check=list(HealthCheck),
        )
        def fuzz(case: Any) -> None:
            nonlocal examples
            examples += 1
            case.call_and_validate(headers=headers, checks=CHECKS)

        try:
            fuzz()
        except Exception as error:
            failures[operation.label] = str(error)[:2000]
    print(f"schemathesis: {len(operations)} operations, {examples} examples, {len(failures)} failing operations")
    assert not failures, "\n\n".join(f"{label}: {message}" for label, message in failures.items())
