"""The Chalice app behind a WSGI callable, through Chalice's own local API Gateway (authorizer
included), so WSGI tools such as schemathesis can drive it in-process."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from http import HTTPStatus
from typing import Any

from chalice.cli.factory import CLIFactory
from chalice.local import LocalGateway, LocalGatewayException

from chalicelib.api.errors import body_of, status_of
from loyalty_tools.local.http import gateway_error


def wsgi(app: Any, project_dir: str, stage: str = "dev") -> Callable[..., Iterable[bytes]]:
    config = CLIFactory(project_dir=project_dir).create_config_obj(chalice_stage_name=stage)

    def application(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        path = environ.get("RAW_URI") or environ.get("PATH_INFO", "/")
        if environ.get("QUERY_STRING") and "?" not in path:
            path += "?" + environ["QUERY_STRING"]
        headers = {
            key[5:].replace("_", "-").lower(): value
            for key, value in environ.items()
            if key.startswith("HTTP_")
        }
        if environ.get("CONTENT_TYPE"):
            headers["content-type"] = environ["CONTENT_TYPE"]
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else None
        try:
            answer = LocalGateway(app, config).handle_request(
                method=environ["REQUEST_METHOD"], path=path, headers=headers, body=body
            )
            status = answer["statusCode"]
            sent = {**answer["headers"]}
            payload = answer["body"] or b""
        except LocalGatewayException as exc:  # what API Gateway answers itself
            error = gateway_error(exc)
            status, sent, payload = (
                status_of(error)[0],
                {"Content-Type": "application/json"},
                body_of(error),
            )
        start_response(
            f"{status} {HTTPStatus(status).phrase}", [(k, str(v)) for k, v in sent.items()]
        )
        return [payload.encode() if isinstance(payload, str) else payload]

    return application
