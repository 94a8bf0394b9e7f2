"""The one blueprint of the v1 API and its API-key authorizer (two scopes)."""

from __future__ import annotations

import os

from chalice import Blueprint
from chalice.app import AuthRequest, AuthResponse

from ..domain.errors import Misconfigured
from ..services import api_keys
from ..services.deps import deps
from ..settings import pii_key_problem

_NEEDED = os.environ.get("LOYALTY_PII_KEY_NEEDED", "true").lower() not in {"false", "0"}
if (
    os.environ.get("AWS_LAMBDA_FUNCTION_NAME")
    and _NEEDED
    and not os.environ.get("LOYALTY_PII_SECRET_ARN")
):
    # In Lambda, a function that needs the brand's PII key and has neither it nor the secret
    # holding it fails its start, with the reason in its log, instead of answering every
    # request with an error.
    _problem = pii_key_problem(
        os.environ.get("LOYALTY_PII_KEY", ""), os.environ.get("LOYALTY_BRAND", "?")
    )
    if _problem:
        raise Misconfigured(_problem)

api = Blueprint(__name__)


class Unauthorized(Exception):
    """API Gateway answers 401 (our `unauthenticated`) when a token authorizer fails with
    exactly this message; a policy that allows nothing would be a 403 (`forbidden`), which is
    for a known key outside its scope."""

    def __init__(self) -> None:
        super().__init__("Unauthorized")


# What each scope may reach. API Gateway enforces this from the policy the authorizer returns,
# so a storefront key never reaches /v1/admin/* even if a view forgot to check.
SCOPE_ROUTES = {"storefront": ["/v1/members", "/v1/members/*"], "admin": ["*"]}


@api.authorizer(ttl_seconds=300, name="api_key_auth")
def api_key_auth(auth_request: AuthRequest) -> AuthResponse:
    token = auth_request.token or ""
    scheme, _, key = token.partition(" ")
    record = api_keys.authenticate(deps(), key.strip()) if scheme.lower() == "bearer" else None
    if record is None:  # no such key, or not a bearer token
        raise Unauthorized()
    return AuthResponse(
        routes=list(SCOPE_ROUTES[record.scope]),
        principal_id=record.key_id,
        context={
            "scope": record.scope,
            "key_id": record.key_id,
            "grants": " ".join(record.grants),  # the context's values are strings
        },
    )
