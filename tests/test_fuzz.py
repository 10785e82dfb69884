"""Schemathesis fuzzes every operation of the OpenAPI document, authenticated as an admin, on both engines.

Four runs, each checking that no answer is a 5xx and that every answer's status code, content type and body
are the ones the document gives:

- every operation, in-process, with positive and negative data (schemathesis' fuzzing);
- every operation again with a NUL or another control character put into one of its query parameters or
  headers (declared or not), which must be refused with a 422 naming it;
- the stateful phase: operations chained through the links schemathesis infers from the document (a created
  source's id into `GET /v1/sources/{source_id}`, a claim's into its status change, ...);
- every phase of the `schemathesis run` command (examples, coverage, fuzzing, stateful) against `claimdb
  serve` over real HTTP.

A bounded number of examples keeps the suite fast (CLAIMDB_FUZZ_EXAMPLES, default 15); `make fuzz` runs 500
per operation with a random seed. Each run prints its figures (operations, examples, phases, failures).
"""

from __future__ import annotations

import itertools
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis.checks import not_a_server_error
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.conftest import Api
from tests.factories import make_claim, make_source
from tests.server import ServerProcess

EXAMPLES = int(os.environ.get("CLAIMDB_FUZZ_EXAMPLES", "15"))
RANDOM = os.environ.get("CLAIMDB_FUZZ_RANDOM") == "1"
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
SCHEMATHESIS = str(Path(sys.executable).with_name("schemathesis"))
# What HTTP lets a client put in a header value (ASCII), and what a query string can carry besides (any code
# point, percent-encoded as UTF-8): NUL, other C0 controls, DEL and a C1 control.
HEADER_CONTROLS = ["\x00", "\x01", "\x07", "\x08", "\x1b", "\x7f"]
QUERY_CONTROLS = [*HEADER_CONTROLS, "\x0b", "\x85", "\x9f"]


def _settings(examples: int = EXAMPLES) -> settings:
    return settings(
        max_examples=examples,
        deadline=None,
        database=None,
        derandomize=not RANDOM,
        suppress_health_check=list(HealthCheck),
    )


def _seed(api: Api) -> dict[str, str]:
    """Some real rows, so that generated requests also reach existing data, not only 404s and 422s."""
    client = api.as_("analyst")
    make_claim(client, make_source(client, name="Fuzz source")["id"])
    return {"Authorization": f"Bearer {api.keys['admin']}"}


def _operations(app: Any) -> list[Any]:
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    return [result.ok() for result in schema.get_all_operations()]


@pytest.mark.slow
def test_every_operation_conforms(app: Any, api: Api) -> None:
    headers = _seed(api)
    operations = _operations(app)
    assert len(operations) >= 15
    examples = 0
    failures: dict[str, str] = {}
    without_negative: list[str] = []
    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

            @given(case=operation.as_strategy(generation_mode=mode))
            @_settings()
            def fuzz(case: Any) -> None:
                nonlocal examples
                examples += 1
                case.call_and_validate(headers=headers, checks=CHECKS)

            try:
                fuzz()
            except Unsatisfiable:
                # Nothing to negate (no parameters, or a body read as raw bytes): no negative examples exist.
                assert mode is GenerationMode.NEGATIVE, operation.label
                without_negative.append(operation.label)
            except Exception as error:
                failures[f"{operation.label} ({mode.value})"] = str(error)[:2000]
    print(
        f"\nschemathesis fuzzing: {len(operations)} operations, {examples} examples (positive and negative; "
        f"{len(without_negative)} operations have no invalid input to generate), {len(failures)} failing"
    )
    assert not failures, "\n\n".join(f"{label}: {message}" for label, message in failures.items())


def _parameters(operation: Any, location: str) -> list[str]:
    return [
        parameter["name"]
        for parameter in operation.definition.raw.get("parameters", [])
        if parameter["in"] == location and parameter["name"].lower() != "authorization"
    ]


@pytest.mark.slow
def test_control_characters_in_query_parameters_and_headers_are_refused(app: Any, api: Api) -> None:
    headers = _seed(api)
    operations = _operations(app)
    examples = 0
    failures: dict[str, str] = {}
    for operation in operations:
        # Every declared query parameter and header, the key's own header, and ones the document does not name.
        query = [*_parameters(operation, "query"), "undeclared"]
        header = [*_parameters(operation, "header"), "X-Undeclared", "Authorization"]

        @given(
            case=operation.as_strategy(),
            target=st.sampled_from([("query", name) for name in query] + [("header", name) for name in header]),
            data=st.data(),
        )
        @_settings()
        def fuzz(case: Any, target: tuple[str, str], data: Any) -> None:
            nonlocal examples
            examples += 1
            location, name = target
            sent = dict(headers)
            controls = HEADER_CONTROLS if location == "header" else QUERY_CONTROLS
            hostile = data.draw(st.sampled_from(controls))
            prefix = data.draw(st.text(alphabet="abc019", max_size=5))
            if location == "query":
                value = case.query.get(name, "")
                value = value[0] if isinstance(value, list) and value else value
                case.query[name] = f"{prefix}{hostile}{value if isinstance(value, str | int) else ''}"
            elif name == "Authorization":
                sent["Authorization"] = headers["Authorization"] + hostile
            else:
                sent[name] = f"{prefix}{hostile}x"
                case.headers.pop(name, None)
            response = case.call_and_validate(headers=sent, checks=CHECKS)
            assert response.status_code == 422, (target, repr(hostile), response.status_code, response.text[:300])
            # Named: the parameter given the control character, or one schemathesis' own data already held one in.
            assert response.json()["errors"][0]["loc"][0] in ("query", "header"), response.text[:300]

        try:
            fuzz()
        except Exception as error:
            failures[operation.label] = "\n".join(str(item)[:1500] for item in getattr(error, "exceptions", [error]))
    print(
        f"\nschemathesis hostile text: {len(operations)} operations, {examples} examples with a control character "
        f"in a query parameter or header, {len(failures)} failing"
    )
    assert not failures, "\n\n".join(f"{label}: {message}" for label, message in failures.items())


@pytest.mark.slow
def test_operations_chained_through_their_links_conform(app: Any, api: Api) -> None:
    """Schemathesis' stateful phase: each step feeds what an answer gave (an id, a Location) into the next."""
    headers = _seed(api)
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    machine = schema.as_state_machine()
    links = schema.statistic.transitions.total
    assert links >= 20, "schemathesis finds the links between operations in the document"
    scenarios: list[list[str]] = []

    class Chained(machine):  # type: ignore[misc, valid-type]
        def setup(self) -> None:
            scenarios.append([])

        def get_call_kwargs(self, case: Any) -> dict[str, Any]:
            return {"headers": headers}

        def validate_response(self, response: Any, case: Any, additional_checks: Any = None, **kwargs: Any) -> None:
            scenarios[-1].append(case.operation.label)
            case.validate_response(response, checks=CHECKS, headers=headers)

    Chained.run(
        settings=settings(
            max_examples=EXAMPLES,
            stateful_step_count=6,
            deadline=None,
            database=None,
            derandomize=not RANDOM,
            suppress_health_check=list(HealthCheck),
        )
    )
    steps = [step for scenario in scenarios for step in scenario]
    chained = {pair for scenario in scenarios for pair in itertools.pairwise(scenario)}
    print(
        f"\nschemathesis stateful: {links} links, {len(scenarios)} scenarios, {len(steps)} steps over "
        f"{len(set(steps))} operations, {len(chained)} distinct operation pairs chained, 0 failing"
    )
    assert len(set(steps)) >= 5 and len(chained) >= 5


_SUMMARY = re.compile(r"Test cases:\s*\n\s*(\d+) generated, (.+)")


@pytest.mark.slow
# The schema and the answers do not depend on how many workers serve them; the races and crashes that do are
# tested against two workers elsewhere (tests/test_concurrency.py, tests/test_crash_safety.py).
@pytest.mark.parametrize("server_workers", [1], indirect=True, ids=["1-worker"])
def test_every_phase_of_schemathesis_run_conforms_over_http(
    server: ServerProcess, engine_name: str, tmp_path: Path
) -> None:
    """`schemathesis run` with all its phases against `claimdb serve`: the real server, parser and headers."""
    with server.client("analyst") as client:
        source = client.post("/v1/sources", json={"name": "Fuzz source", "kind": "military"}).json()
        claim = {"statement": "Fuzzed.", "source_id": source["id"], "channel": "other", "stated_at": "2022-05-14"}
        assert client.post("/v1/claims", json={**claim, "stated_at": "2022-05-14T00:00:00Z"}).status_code == 201
    command = [
        SCHEMATHESIS,
        "run",
        f"{server.base_url}/openapi.json",
        "--header",
        f"Authorization: Bearer {server.keys['admin']}",
        "--phases",
        "examples,coverage,fuzzing,stateful",
        "--checks",
        "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance",
        "--max-examples",
        str(EXAMPLES),
        "--workers",
        "1",
        "--no-color",
    ]
    if not RANDOM:
        command += ["--seed", "14"]
    # Run in the test's own folder: schemathesis keeps a cache (.schemathesis/) where it runs.
    result = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=3600, check=False)
    output = result.stdout + result.stderr
    summary = _SUMMARY.search(output)
    assert summary is not None, output[-3000:]
    phases = [line.strip() for line in output.split("Test Phases:")[1].split("\n\n")[0].splitlines()[1:]]
    operations = re.search(r"Tested: (\d+)", output)
    print(
        f"\nschemathesis run on {engine_name}: {operations.group(1) if operations else '?'} operations, "
        f"{summary.group(1)} test cases ({summary.group(2).strip()}), phases: {', '.join(phases)}"
    )
    assert result.returncode == 0, output[-6000:]
    assert "failed" not in summary.group(2), output[-6000:]
    for phase in ("Coverage", "Fuzzing", "Stateful"):
        assert any(phase in line and "✅" in line for line in phases), (phase, phases)
