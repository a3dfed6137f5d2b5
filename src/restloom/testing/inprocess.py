"""An API served in process: a ``requests`` transport adapter that calls a function instead of a socket.

Why: the fetcher and the page loop are plain ``requests`` clients (``Fetcher(session=...)``, a config's
``client.session``), so mounting this adapter on a session lets a unit test answer each request from a
function — exact request sequences, errors and retries — with real ``requests.Response`` objects and no
server, thread or port. The simulated APIs (``restloom.testing.serve``) remain the way to test over
real sockets.

A handler takes the ``requests.PreparedRequest`` and returns a :class:`Reply` (status, headers, body)
or any other value, which is sent as a 200 JSON body. To fail the request at the transport, the
handler raises ``requests.ConnectionError`` or ``requests.Timeout`` (``Reply.fail`` does it for you).
Every request the adapter was sent is recorded in ``requests``, failed ones included.

    adapter = InProcessAdapter(lambda request: {"items": [{"id": 1}]})
    session = inprocess_session(adapter, base_url="https://api.test/")
    session.get("https://api.test/items").json()   # {'items': [{'id': 1}]}
    adapter.urls                                    # ['https://api.test/items']
"""

from __future__ import annotations

import http
import io
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, NoReturn

import orjson
import requests
from requests.adapters import BaseAdapter
from requests.structures import CaseInsensitiveDict
from requests.utils import get_encoding_from_headers
from urllib3 import HTTPResponse

__all__ = ["InProcessAdapter", "Reply", "inprocess_session"]


@dataclass(frozen=True, slots=True)
class Reply:
    """What a handler answers: a status, headers and a body (bytes, text, or a JSON-able value)."""

    status: int = 200
    body: Any = None
    headers: Mapping[str, str] = field(default_factory=dict)

    @staticmethod
    def fail(kind: str = "connection") -> NoReturn:
        """Fail the request at the transport: ``"connection"`` (dropped) or ``"timeout"``."""
        if kind == "timeout":
            raise requests.Timeout("in-process handler: timed out")
        raise requests.ConnectionError("in-process handler: connection dropped")

    def encoded(self) -> tuple[bytes, dict[str, str]]:
        """The body's bytes and the headers completed with its Content-Type and Content-Length."""
        headers = dict(self.headers)
        names = {name.lower() for name in headers}
        if isinstance(self.body, bytes):
            content, kind = self.body, "application/octet-stream"
        elif isinstance(self.body, str):
            content, kind = self.body.encode(), "text/plain; charset=utf-8"
        elif self.body is None:
            content, kind = b"", ""
        else:
            content, kind = orjson.dumps(self.body), "application/json"
        if kind and "content-type" not in names:
            headers["Content-Type"] = kind
        if "content-length" not in names:
            headers["Content-Length"] = str(len(content))
        return content, headers


Handler = Callable[[requests.PreparedRequest], Any]


class InProcessAdapter(BaseAdapter):
    """A transport adapter answering every request with ``handler``; records what it was sent."""

    def __init__(self, handler: Handler) -> None:
        super().__init__()
        self.handler = handler
        self.requests: list[requests.PreparedRequest] = []
        self._lock = threading.Lock()

    @property
    def urls(self) -> list[str]:
        """The URLs of the requests sent so far, in order."""
        with self._lock:
            return [str(request.url) for request in self.requests]

    def send(self, request: requests.PreparedRequest, stream: bool = False, timeout: Any = None,  # noqa: PLR0917 (requests signature)
             verify: Any = True, cert: Any = None, proxies: Any = None) -> requests.Response:
        """Record ``request``, call the handler, and build the response it describes."""
        with self._lock:
            self.requests.append(request)
        try:
            answer = self.handler(request)
        except requests.RequestException as exc:
            if exc.request is None:
                exc.request = request
            raise
        reply = answer if isinstance(answer, Reply) else Reply(body=answer)
        return self.build_response(request, reply)

    def build_response(self, request: requests.PreparedRequest, reply: Reply) -> requests.Response:
        """A ``requests.Response`` for ``reply``, as ``HTTPAdapter`` builds one from a socket."""
        content, headers = reply.encoded()
        try:
            reason = http.HTTPStatus(reply.status).phrase
        except ValueError:
            reason = ""
        raw = HTTPResponse(body=io.BytesIO(content), headers=headers, status=reply.status, reason=reason,
                           preload_content=False, decode_content=False, request_url=request.url)
        response = requests.Response()
        response.status_code = reply.status
        response.headers = CaseInsensitiveDict(headers)
        response.encoding = get_encoding_from_headers(response.headers)
        response.raw = raw
        response.reason = reason
        response.url = str(request.url)
        response.request = request
        response.connection = self  # type: ignore[assignment]  # digest auth resends through it
        return response

    def close(self) -> None:
        """Nothing to release: no sockets."""


class _Refuse(BaseAdapter):
    """Refuses every request: a session for in-process tests never reaches the network."""

    def send(self, request: requests.PreparedRequest, stream: bool = False, timeout: Any = None,  # noqa: PLR0917 (requests signature)
             verify: Any = True, cert: Any = None, proxies: Any = None) -> requests.Response:
        raise requests.ConnectionError(f"{request.url} is not served in process", request=request)

    def close(self) -> None:
        """Nothing to release."""


def inprocess_session(handler: InProcessAdapter | Handler, *, base_url: str) -> requests.Session:
    """A session whose requests under ``base_url`` go to ``handler``; any other URL is refused."""
    adapter = handler if isinstance(handler, InProcessAdapter) else InProcessAdapter(handler)
    session = requests.Session()
    session.mount("http://", _Refuse())
    session.mount("https://", _Refuse())
    session.mount(base_url, adapter)
    return session
