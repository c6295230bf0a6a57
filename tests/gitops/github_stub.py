"""A stand-in for the slice of the GitHub REST API the sticky comment uses, on 127.0.0.1.

GitHub itself cannot be reached from the tests, so this is the one mock the suite allows: a real
``http.server`` in a thread, on a free port, serving issue comments from a dict, with GitHub's
pagination (``Link: <...>; rel="next"``), its error shape (``{"message": ...}``) and a bearer
token check. It records every request so tests can assert what was sent.
"""

from __future__ import annotations

import json
import re
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

TOKEN = "ghs_stub-token-never-printed"


@dataclass
class Recorded:
    method: str
    path: str
    query: dict[str, list[str]]
    body: Any
    authorization: str


@dataclass
class GitHubStub:
    """Comments per (repo, issue number); ``fail`` forces a status for the next matching calls."""

    comments: dict[tuple[str, int], list[dict[str, Any]]] = field(default_factory=dict)
    requests: list[Recorded] = field(default_factory=list)
    fail: dict[str, tuple[int, str]] = field(default_factory=dict)  # method -> (status, message)
    page_size: int = 100
    next_id: int = 1000
    url: str = ""
    _server: ThreadingHTTPServer | None = None
    _thread: threading.Thread | None = None

    def start(self) -> GitHubStub:
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                stub._handle(self, "GET")

            def do_POST(self) -> None:
                stub._handle(self, "POST")

            def do_PATCH(self) -> None:
                stub._handle(self, "PATCH")

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.timeout = 5
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def add(self, repo: str, number: int, body: str, user: str = "someone") -> dict[str, Any]:
        comment = {"id": self.next_id, "body": body, "user": {"login": user},
                   "html_url": f"https://github.invalid/{repo}/pull/{number}#issuecomment-{self.next_id}"}
        self.next_id += 1
        self.comments.setdefault((repo, number), []).append(comment)
        return comment

    # --- the handler ------------------------------------------------------------------------------

    def _handle(self, req: BaseHTTPRequestHandler, method: str) -> None:
        parts = urlsplit(req.path)
        length = int(req.headers.get("Content-Length") or 0)
        raw = req.rfile.read(length) if length else b""
        body = json.loads(raw) if raw else None
        self.requests.append(Recorded(method, parts.path, parse_qs(parts.query), body,
                                      req.headers.get("Authorization", "")))
        if req.headers.get("Authorization") != f"Bearer {TOKEN}":
            return self._send(req, 401, {"message": "Bad credentials"})
        if method in self.fail:
            status, message = self.fail[method]
            return self._send(req, status, {"message": message})
        listing = re.fullmatch(r"/repos/([^/]+/[^/]+)/issues/(\d+)/comments", parts.path)
        single = re.fullmatch(r"/repos/([^/]+/[^/]+)/issues/comments/(\d+)", parts.path)
        if listing and method == "GET":
            return self._list(req, (listing[1], int(listing[2])), parse_qs(parts.query))
        if listing and method == "POST":
            comment = self.add(listing[1], int(listing[2]), body["body"], user="github-actions[bot]")
            return self._send(req, 201, comment)
        if single and method == "PATCH":
            for comments in self.comments.values():
                for comment in comments:
                    if comment["id"] == int(single[2]):
                        comment["body"] = body["body"]
                        return self._send(req, 200, comment)
        return self._send(req, 404, {"message": "Not Found"})

    def _list(self, req: BaseHTTPRequestHandler, key: tuple[str, int], query: dict[str, list[str]]) -> None:
        page = int(query.get("page", ["1"])[0])
        size = min(self.page_size, int(query.get("per_page", ["30"])[0]))
        comments = self.comments.get(key, [])
        chunk = comments[(page - 1) * size: page * size]
        headers = {}
        if page * size < len(comments):
            headers["Link"] = (f'<{self.url}/repos/{key[0]}/issues/{key[1]}/comments?per_page={size}&page={page + 1}>; '
                               f'rel="next", <{self.url}/repos/{key[0]}/issues/{key[1]}/comments?page=1>; rel="first"')
        self._send(req, 200, chunk, headers)

    @staticmethod
    def _send(req: BaseHTTPRequestHandler, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
        data = json.dumps(payload).encode()
        req.send_response(status)
        req.send_header("Content-Type", "application/json")
        req.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            req.send_header(name, value)
        req.end_headers()
        req.wfile.write(data)
