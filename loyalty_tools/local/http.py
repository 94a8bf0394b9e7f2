"""The local HTTP server: Chalice's, with a thread per request, a deep listen backlog, paths
checked before routing, and every answer it makes itself in the API's error shape."""

from __future__ import annotations

import re
from http import HTTPStatus
from typing import Any

from chalice.app import Chalice
from chalice.config import Config
from chalice.local import (
    ChaliceRequestHandler,
    CustomLocalChalice,
    LocalChalice,
    LocalDevServer,
    LocalGatewayAuthorizer,
    LocalGatewayException,
    NotAuthorizedError,
    ThreadedHTTPServer,
)

from chalicelib.api.errors import body_of, status_of
from chalicelib.domain.errors import (
    DomainError,
    Forbidden,
    InvalidRequest,
    MethodNotAllowed,
    RouteNotFound,
    Unauthenticated,
)

# Segments an attacker uses to make the authorizer see one path and the router another.
_BAD_PATH = re.compile(r"#|%2f|%5c|%2e|%00|\\", re.IGNORECASE)


def path_problem(raw: str) -> str | None:
    """Why a request path is refused before routing, or None. The local authorizer matches its
    policy against the raw path while the router parses it, so the two must see the same thing."""
    path = raw.split("?", 1)[0]
    if not path.startswith("/"):
        return "the path must start with /"
    if _BAD_PATH.search(path):
        return "the path may not hold fragments, encoded slashes or dots, or backslashes"
    if any(segment in (".", "..") for segment in path.split("/")):
        return "the path may not hold . or .. segments"
    return None


def gateway_error(exc: LocalGatewayException) -> DomainError:
    """API Gateway's own answers (authorizer, unknown route), as the packaged GatewayResponses
    give them in AWS."""
    text = exc.body.decode(errors="replace") if isinstance(exc.body, bytes) else str(exc.body)
    if exc.CODE == 401:
        return Unauthenticated("no API key, or one this stack does not know", param="Authorization")
    if "Missing Authentication Token" in text or "Authorization header requires" in text:
        return RouteNotFound("no route has this path", param="path")
    if exc.CODE == 403:
        return Forbidden("this API key's scope does not reach this route", param="Authorization")
    return InvalidRequest(text)


def emulate_unauthorized() -> None:
    """API Gateway answers 401 when a token authorizer fails with the message "Unauthorized"
    (its documented contract); Chalice's local gateway lets the exception escape instead. Teach
    it, for the local server and `chalice.test.Client` alike (idempotent)."""
    original = LocalGatewayAuthorizer.authorize
    if getattr(original, "emulates_401", False):
        return

    def authorize(self: LocalGatewayAuthorizer, raw_path: str, event: Any, context: Any) -> Any:
        try:
            return original(self, raw_path, event, context)
        except LocalGatewayException:
            raise
        except Exception as exc:
            if str(exc) != "Unauthorized":
                raise
            headers = {"x-amzn-ErrorType": "UnauthorizedException"}
            raise NotAuthorizedError(headers, b'{"message":"Unauthorized"}') from exc

    authorize.emulates_401 = True  # type: ignore[attr-defined]
    LocalGatewayAuthorizer.authorize = authorize  # type: ignore[method-assign,assignment]


class Handler(ChaliceRequestHandler):
    # Headers and body go out in two writes: without this, Nagle's algorithm and the client's
    # delayed ACK hold every answer on a kept-alive connection for ~40 ms.
    disable_nagle_algorithm = True

    def _answer_error(self, error: DomainError, status: int | None = None) -> None:
        body = body_of(error)
        self.send_response(status or status_of(error)[0])
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        if isinstance(error, MethodNotAllowed):
            self.send_header("Allow", "GET, POST, PUT, PATCH, DELETE")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _handle(self) -> None:
        problem = path_problem(self.path)
        if problem is not None:
            self._parse_payload()  # read the body, so the connection stays usable
            self._answer_error(InvalidRequest(problem, param="path"))
            return
        self._generic_handle()

    def _send_error_response(self, error: LocalGatewayException) -> None:
        converted = gateway_error(error)
        self._answer_error(converted)

    do_GET = do_PUT = do_POST = do_HEAD = do_DELETE = do_PATCH = do_OPTIONS = _handle

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """http.server's own errors (an unknown method, a malformed request line) as JSON."""
        if code == HTTPStatus.NOT_IMPLEMENTED:
            self._answer_error(MethodNotAllowed(f"{self.command} is not a method of this API"))
            return
        self.close_connection = True
        self._answer_error(InvalidRequest(message or HTTPStatus(code).phrase), status=code)

    def log_message(self, format: str, *args: Any) -> None:
        pass  # access lines would carry paths; the app logs what it needs


class Server(ThreadedHTTPServer):
    """A thread per request; 128 connections may wait to be accepted (Python's default is 5)."""

    request_queue_size = 128
    allow_reuse_address = True


def local_server(app: Chalice, config: Config, host: str, port: int) -> LocalDevServer:
    """Chalice's local server around the same app object, with our handler and server."""
    emulate_unauthorized()
    # As chalice.local.create_local_server does: the app keeps its request per thread.
    if not isinstance(app, LocalChalice):
        CustomLocalChalice.__bases__ = (LocalChalice, app.__class__)
        app.__class__ = CustomLocalChalice
    return LocalDevServer(app, config, host, port, handler_cls=Handler, server_cls=Server)
