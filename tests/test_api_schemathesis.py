"""Schemathesis against /api/v1 served for real on 127.0.0.1 (seeded demo database): generated
valid and invalid requests, anonymous and with an organiser's bearer token. No answer is a 5xx,
and every answer matches the OpenAPI document (status, content type, body schema).

Examples are bounded (a few per operation) so the whole run stays well under a minute."""
import os
import subprocess

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.servers import BIN, ROOT, served_app, server_env

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance]
EXAMPLES = int(os.environ.get("API_FUZZ_EXAMPLES", "6"))


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("api-fuzz")
    with served_app(tmp) as base:
        database_url = os.environ.get("TEST_DATABASE_URL") or f"sqlite:///{tmp / 'served.sqlite'}"
        token = subprocess.run(
            [str(BIN / "flask"), "create-api-token", "--email", "metod@strategy.demo",
             "--name", "schemathesis"], cwd=ROOT, env=server_env(database_url), check=True,
            capture_output=True, text=True).stdout.strip()
        yield base, token


@pytest.fixture(scope="module")
def api_schema(served):
    base, _token = served
    return schemathesis.openapi.from_url(f"{base}/api/v1/openapi.json")


schema = schemathesis.pytest.from_fixture("api_schema").exclude(
    method="DELETE", path="/api/v1/tokens/{token_id}")  # would revoke the run's own token

FUZZ = settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                suppress_health_check=list(HealthCheck))


@schema.parametrize()
@FUZZ
def test_anonymous_requests_conform(case, served):
    case.call_and_validate(checks=CHECKS)


@schema.parametrize()
@FUZZ
def test_organiser_requests_conform(case, served):
    _base, token = served
    case.call_and_validate(headers={"Authorization": f"Bearer {token}"}, checks=CHECKS)
