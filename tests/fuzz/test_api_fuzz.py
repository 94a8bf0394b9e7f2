"""Schemathesis drives every documented route with generated valid and invalid requests, through
the same app in-process: no answer is a 5xx, and every 4xx is in the API's error shape."""

import json
import os

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis import GenerationMode

from app import app
from chalicelib.services import api_keys
from tests.api.conftest import PROJECT
from tests.helpers import enroll
from tests.wsgi import wsgi

EXAMPLES = int(os.environ.get("LOYALTY_FUZZ_EXAMPLES", "12"))  # per route; CI's bounded budget

schema = schemathesis.openapi.from_wsgi("/v1/openapi.json", wsgi(app, PROJECT))
schema.config.generation.update(
    modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE], max_examples=EXAMPLES
)


@pytest.fixture
def keyed(brand):
    admin, _ = api_keys.create(brand, "admin")
    return admin, enroll(brand)


@schema.parametrize()
@settings(
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    database=None,
)
def test_no_5xx_and_every_4xx_in_the_error_shape(case, keyed):
    admin, member_id = keyed
    if "member_id" in (case.path_parameters or {}):
        case.path_parameters["member_id"] = member_id  # past the id check, into the use case
    positive = case.meta is not None and case.meta.generation.mode == GenerationMode.POSITIVE
    if positive and isinstance(case.body, dict) and isinstance(case.body.get("currency"), str):
        case.body["currency"] = "CNY"  # the brand's: a random one stops at the first check
    response = case.call(headers={"Authorization": f"Bearer {admin}"})
    assert response.status_code < 500, (case.as_curl_command(), response.text)
    if response.status_code >= 400:
        body = json.loads(response.text)
        assert set(body) == {"error"}, body
        assert {"type", "code", "message", "param"} <= set(body["error"]), body


BOMBS = {
    "arrays": lambda depth: ("[" * depth + "]" * depth).encode(),
    "objects": lambda depth: ('{"a":' * depth + "1" + "}" * depth).encode(),
    "mixed": lambda depth: ('{"a":[' * -(-depth // 2) + "1" + "]}" * -(-depth // 2)).encode(),
}


@pytest.mark.parametrize("shape", sorted(BOMBS))
def test_nesting_bombs__are_400_invalid_json_on_every_route_with_a_body(keyed, shape):
    """Issue 32: 964 levels or more raised RecursionError in the body check: a 500."""
    from chalice.test import Client

    from chalicelib.api.http import ROUTES

    admin, member_id = keyed
    headers = {"Authorization": f"Bearer {admin}", "Content-Type": "application/json"}
    with Client(app, stage_name="dev", project_dir=PROJECT) as client:
        for route in ROUTES:
            if route.body is None:
                continue
            path = route.path.replace("{member_id}", member_id)
            path = path.replace("{", "").replace("}", "")  # other ids: the body is read first
            for depth in (65, 1_000, 9_000):
                response = client.http.request(
                    route.method, path, headers=headers, body=BOMBS[shape](depth)
                )
                assert response.status_code == 400, (route.method, path, depth, response.body)
                assert json.loads(response.body)["error"]["code"] == "invalid_json"
