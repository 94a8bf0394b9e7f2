"""One HTTP POST of a delivery, to an address checked just before it is used.

The host name is resolved here, every address it resolves to is checked (`domain.webhooks`), and
the connection goes to the checked address (TLS still verifies the host name): a DNS answer that
changes between the check and the connection cannot point a delivery at the metadata service or
a private network. Redirects are not followed (a 3xx is a failed attempt)."""

import ipaddress
import socket
from collections.abc import Callable, Sequence
from urllib.parse import SplitResult, urlsplit

from msgspec import Struct

from ..domain.webhooks import TIMEOUT_SECONDS, addresses_problem, url_shape_problem

Resolver = Callable[[str, int], Sequence[str]]


class Sent(Struct, frozen=True):
    ok: bool
    code: int | None  # the receiver's HTTP status, None if none came back
    reason: str | None  # why it failed, for the delivery's record


def resolve(host: str, port: int) -> list[str]:
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror:
        return []
    return list(dict.fromkeys(str(info[4][0]) for info in found))


def addresses_of(host: str, port: int, resolver: Resolver) -> list[str]:
    """An address written in the URL is the address; a name is resolved."""
    try:
        return [str(ipaddress.ip_address(host))]
    except ValueError:
        return list(resolver(host, port))


def checked(
    url: str, *, allow_loopback: bool, resolver: Resolver = resolve
) -> tuple[list[str], str | None]:
    """The addresses `url` may be called at now, or why it may not (then no addresses)."""
    problem = url_shape_problem(url, allow_loopback=allow_loopback)
    if problem:
        return [], problem
    parts = urlsplit(url)
    assert parts.hostname is not None
    port = _port(parts)
    addresses = addresses_of(parts.hostname, port, resolver)
    problem = addresses_problem(addresses, allow_loopback=allow_loopback)
    return ([], problem) if problem else (addresses, None)


class HttpSender:
    def __init__(
        self,
        *,
        allow_loopback: bool,
        resolver: Resolver = resolve,
        timeout: float = TIMEOUT_SECONDS,
        ca_certs: str | None = None,
    ) -> None:
        self.allow_loopback = allow_loopback
        self.resolver = resolver
        self.timeout = timeout
        self.ca_certs = ca_certs  # None: the system's trusted roots

    def problem(self, url: str) -> str | None:
        """Why deliveries cannot go to `url` now (None: they can)."""
        return checked(url, allow_loopback=self.allow_loopback, resolver=self.resolver)[1]

    def post(self, url: str, headers: dict[str, str], body: str) -> Sent:
        import urllib3  # the Lambda runtime has it (botocore's); loaded on the first delivery

        addresses, problem = checked(
            url, allow_loopback=self.allow_loopback, resolver=self.resolver
        )
        if problem:
            return Sent(False, None, f"url_not_allowed: {problem}")
        parts = urlsplit(url)
        host = parts.hostname
        assert host is not None
        port = _port(parts)
        timeout = urllib3.Timeout(total=self.timeout)
        pool: urllib3.HTTPConnectionPool
        if parts.scheme == "https":
            pool = urllib3.HTTPSConnectionPool(
                addresses[0],
                port,
                timeout=timeout,
                retries=False,
                server_hostname=host,
                assert_hostname=host,
                cert_reqs="CERT_REQUIRED",
                ca_certs=self.ca_certs,
            )
        else:
            pool = urllib3.HTTPConnectionPool(addresses[0], port, timeout=timeout, retries=False)
        path = parts.path or "/"
        if parts.query:
            path += "?" + parts.query
        sent = {**headers, "Host": parts.netloc, "Content-Type": "application/json"}
        try:
            response = pool.urlopen(
                "POST", path, body=body.encode(), headers=sent, redirect=False, retries=False
            )
        except urllib3.exceptions.NewConnectionError as exc:  # (a ConnectTimeoutError subclass)
            return Sent(False, None, f"connection failed: {_short(exc)}")
        except urllib3.exceptions.TimeoutError:
            return Sent(False, None, f"timeout: no answer within {self.timeout:g} s")
        except urllib3.exceptions.SSLError as exc:
            return Sent(False, None, f"TLS failed: {_short(exc)}")
        except urllib3.exceptions.HTTPError as exc:
            return Sent(False, None, f"{type(exc).__name__}: {_short(exc)}")
        finally:
            pool.close()
        code = response.status
        if 200 <= code < 300:
            return Sent(True, code, None)
        return Sent(False, code, f"HTTP {code} from the receiver")


def _port(parts: SplitResult) -> int:
    return parts.port or (443 if parts.scheme == "https" else 80)


def _short(exc: Exception) -> str:
    text = str(exc)
    return text if len(text) <= 200 else text[:197] + "..."
