"""The HTTP side of ``micrograd live``: the page, its assets, and a JSON API over a session.

Standard library only (``http.server``). Every request is checked before it
reaches the session: the ``Host`` header must name the served address (a page
on another site that rebinds its DNS name to this machine is refused), a
``POST`` must say ``Content-Type: application/json`` and come from this page's
origin if it names one, and a body must be a JSON object with the fields the
endpoint takes. A bad request gets a 4xx answer ``{"error": "..."}`` and
changes nothing. No endpoint evaluates code or touches a file.
"""

from __future__ import annotations

import ipaddress
import json
import math
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib.resources import files
from typing import Any, ClassVar, Final
from urllib.parse import urlsplit

from micrograd_cli.live.session import MAX_STEPS, LiveSession, TrainingError

__all__ = ["ASSETS", "MAX_BODY", "ApiError", "LiveServer", "asset", "is_loopback"]

MAX_BODY: Final = 64 * 1024
"""The largest request body read, in bytes."""

ASSETS: Final = {  # path: (file in static/, content type)
    "/": ("index.html", "text/html; charset=utf-8"),
    "/index.html": ("index.html", "text/html; charset=utf-8"),
    "/live.js": ("live.js", "text/javascript; charset=utf-8"),
    "/live.css": ("live.css", "text/css; charset=utf-8"),
}

_GET: Final = frozenset({*ASSETS, "/api/state"})
_POST: Final = frozenset({"/api/step", "/api/reset", "/api/probe"})


def asset(name: str) -> bytes:
    """A file of the page, as shipped in the package."""
    return files("micrograd_cli.live").joinpath("static", name).read_bytes()


def is_loopback(host: str) -> bool:
    """Whether ``host`` (a name or an address) is this machine only."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _is_address(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True


class ApiError(Exception):
    """A request refused: its HTTP status and what was wrong."""

    def __init__(self, status: HTTPStatus, message: str) -> None:
        super().__init__(message)
        self.status = status


class LiveServer(ThreadingHTTPServer):
    """Serves one :class:`LiveSession` on ``(host, port)``; port 0 picks a free one."""

    daemon_threads = True
    block_on_close = False

    def __init__(self, session: LiveSession, host: str, port: int) -> None:
        self.session = session
        self.address_family = _family(host)
        super().__init__((host, port), _Handler)
        self.host = host
        self.port: int = self.server_address[1]

    @property
    def url(self) -> str:
        """Where the page is: ``http://HOST:PORT/``."""
        return f"http://{self._netloc(self.host)}/"

    def _netloc(self, host: str) -> str:
        if ":" in host and not host.startswith("["):
            host = f"[{host}]"
        return f"{host}:{self.port}"

    def allowed_host(self, header: str | None) -> bool:
        """Whether a request's ``Host`` header names this server.

        The served address always passes, and so does ``localhost`` when the
        server is on loopback. A server on every interface (``0.0.0.0``, ``::``)
        takes any address but no name: a DNS name is what a rebinding attack
        needs.
        """
        if not header:
            return False
        header = header.lower()
        if header in {self._netloc(self.host).lower(), self.host.lower()}:
            return True
        try:
            parts = urlsplit(f"//{header}")
            name, port = parts.hostname, parts.port
        except ValueError:
            return False
        if name is None or port != self.port:
            return False
        if is_loopback(self.host) and is_loopback(name):
            return True
        unspecified = _is_address(self.host) and ipaddress.ip_address(self.host).is_unspecified
        return unspecified and _is_address(name)


def _family(host: str) -> Any:
    import socket  # noqa: PLC0415  (only here)

    try:
        return socket.AF_INET6 if ipaddress.ip_address(host).version == 6 else socket.AF_INET
    except ValueError:
        return socket.AF_INET


class _Handler(BaseHTTPRequestHandler):
    server: LiveServer
    protocol_version = "HTTP/1.1"
    server_version = "micrograd-live"
    error_content_type = "application/json"
    error_message_format = '{"error": "%(message)s"}'  # http.server's own refusals
    _allow: ClassVar[dict[str, str]] = {
        **{path: "GET, HEAD" for path in _GET},
        **{path: "POST" for path in _POST},
    }

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        """Quiet: the command prints one line, and a browser makes many requests."""

    # -- dispatch ----------------------------------------------------------------------

    def do_GET(self) -> None:
        self._handle("GET")

    def do_HEAD(self) -> None:
        self._handle("HEAD")

    def do_POST(self) -> None:
        self._handle("POST")

    def do_PUT(self) -> None:
        self._handle("PUT")

    def do_DELETE(self) -> None:
        self._handle("DELETE")

    def do_PATCH(self) -> None:
        self._handle("PATCH")

    def do_OPTIONS(self) -> None:
        self._handle("OPTIONS")

    def _handle(self, method: str) -> None:
        try:
            self._check_host()
            path = urlsplit(self.path).path
            if path not in self._allow:
                paths = ", ".join(sorted(self._allow))
                msg = f"no such path {path!r}; paths: {paths}"
                raise ApiError(HTTPStatus.NOT_FOUND, msg)
            if method == "HEAD":
                method = "GET"
            if method not in self._allow[path]:
                msg = f"{path} takes {self._allow[path].replace(', HEAD', '')}, not {method}"
                raise ApiError(HTTPStatus.METHOD_NOT_ALLOWED, msg)
            if method == "GET":
                self._get(path)
            else:
                self._post(path)
        except ApiError as e:
            self._send_json({"error": str(e)}, e.status)
        except TrainingError as e:
            self._send_json({"error": str(e)}, HTTPStatus.UNPROCESSABLE_ENTITY)

    def _check_host(self) -> None:
        host = self.headers.get("Host")
        if not self.server.allowed_host(host):
            msg = (
                f"refused Host header {host!r}: this server answers to "
                f"{self.server._netloc(self.server.host)!r} only"
            )
            self.close_connection = True
            raise ApiError(HTTPStatus.FORBIDDEN, msg)

    def _get(self, path: str) -> None:
        if path == "/api/state":
            self._send_json(self.server.session.state())
            return
        name, content_type = ASSETS[path]
        self._send(asset(name), content_type)

    def _post(self, path: str) -> None:
        origin = self.headers.get("Origin")
        if origin is not None and origin != self.server.url.rstrip("/"):
            msg = f"refused a request from origin {origin!r}: only this page may change the run"
            raise ApiError(HTTPStatus.FORBIDDEN, msg)
        body = self._body()
        session = self.server.session
        if path == "/api/step":
            _fields(body, {"steps", "lr"}, set())
            steps = body.get("steps", 1)
            if type(steps) is not int or not 1 <= steps <= MAX_STEPS:
                msg = f"'steps' must be an integer from 1 to {MAX_STEPS}, got {_show(steps)}"
                raise ApiError(HTTPStatus.BAD_REQUEST, msg)
            lr = body.get("lr")
            if lr is not None:
                lr = _number(lr, "lr")
                if lr < 0:
                    msg = f"'lr' must be a number >= 0, got {_show(lr)}"
                    raise ApiError(HTTPStatus.BAD_REQUEST, msg)
            self._send_json(session.step(steps, lr))
        elif path == "/api/reset":
            _fields(body, set(), set())
            self._send_json(session.reset())
        else:
            _fields(body, {"x", "y", "label"}, {"x", "y"})
            x, y = _number(body["x"], "x"), _number(body["y"], "y")
            classes = session.task.classes
            label = body.get("label", session.probe[2])
            if type(label) is not int or not 0 <= label < classes:
                msg = f"'label' must be an integer from 0 to {classes - 1}, got {_show(label)}"
                raise ApiError(HTTPStatus.BAD_REQUEST, msg)
            self._send_json(session.set_probe(x, y, label))

    def _body(self) -> dict[str, Any]:
        if "Transfer-Encoding" in self.headers:
            self.close_connection = True
            msg = "send the body with a Content-Length, not a Transfer-Encoding"
            raise ApiError(HTTPStatus.LENGTH_REQUIRED, msg)
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = -1
        if length < 0 or length > MAX_BODY:
            self.close_connection = True
            msg = f"a body must have a Content-Length from 0 to {MAX_BODY} bytes"
            raise ApiError(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, msg)
        raw = self.rfile.read(length)
        content_type = (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()
        if content_type != "application/json":
            msg = f"a POST must have Content-Type 'application/json', got {content_type or None!r}"
            raise ApiError(HTTPStatus.UNSUPPORTED_MEDIA_TYPE, msg)
        if not raw.strip():
            return {}
        try:
            body = json.loads(raw, parse_constant=_no_constant)
        except (ValueError, RecursionError) as e:
            msg = f"the body is not valid JSON: {e}"
            raise ApiError(HTTPStatus.BAD_REQUEST, msg) from None
        if not isinstance(body, dict):
            msg = f"the body must be a JSON object, got {type(body).__name__}"
            raise ApiError(HTTPStatus.BAD_REQUEST, msg)
        return body

    # -- answers -------------------------------------------------------------------------

    def _send_json(self, data: object, status: HTTPStatus = HTTPStatus.OK) -> None:
        body = json.dumps(data, allow_nan=False, separators=(",", ":")).encode()
        self._send(body, "application/json", status)

    def _send(self, body: bytes, content_type: str, status: HTTPStatus = HTTPStatus.OK) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Content-Security-Policy", "default-src 'self'; img-src 'self' data:")
        if status == HTTPStatus.METHOD_NOT_ALLOWED:
            self.send_header("Allow", self._allow[urlsplit(self.path).path])
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)


def _no_constant(name: str) -> float:
    msg = f"{name} is not a number JSON allows"
    raise ValueError(msg)


def _fields(body: dict[str, Any], allowed: set[str], required: set[str]) -> None:
    unknown = sorted(set(body) - allowed)
    if unknown:
        expected = ", ".join(repr(f) for f in sorted(allowed)) or "none"
        msg = f"unknown field {unknown[0]!r}; fields: {expected}"
        raise ApiError(HTTPStatus.BAD_REQUEST, msg)
    missing = sorted(required - set(body))
    if missing:
        msg = f"missing field {missing[0]!r}; required: {', '.join(map(repr, sorted(required)))}"
        raise ApiError(HTTPStatus.BAD_REQUEST, msg)


def _number(value: object, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        msg = f"{name!r} must be a number, got {_show(value)}"
        raise ApiError(HTTPStatus.BAD_REQUEST, msg)
    try:
        number = float(value)
    except OverflowError:  # an integer too large for a float
        number = math.inf
    if not math.isfinite(number):
        msg = f"{name!r} must be a finite number, got {_show(value)}"
        raise ApiError(HTTPStatus.BAD_REQUEST, msg)
    return number


def _show(value: object) -> str:
    text = json.dumps(value)
    return text if len(text) <= 40 else text[:37] + "..."
