"""A recording GitHub REST server on 127.0.0.1 for the action's tests: it keeps state and remembers every call.

It implements the endpoints the publisher uses, the way GitHub answers them: pull request files with patches,
issue comments (list with ``Link`` pagination, create, update, delete), review comments (list with a
reactions rollup, create, reply), reviews (a comment outside the diff makes the whole review 422), ``/user``
(403 for an Actions token). It can fail the next requests with a 5xx or a rate-limit answer, and play a
read-only (fork) token. Which lines are in the diff is computed here from the patches, independently of
opsquad's own parser, so the tests check opsquad against GitHub's rules rather than against itself.
"""

from __future__ import annotations

import json
import re
import threading
import time
from dataclasses import dataclass, field
from http.server import ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tests.support.github.prfiles import diff_lines, pr_files
from tests.support.loopback import LoopbackServer, QuietHandler

__all__ = ["RecordingGitHub", "diff_lines", "pr_files"]

BOT = {"login": "github-actions[bot]", "type": "Bot", "id": 41898282}


@dataclass
class Call:
    method: str
    path: str
    query: dict[str, list[str]]
    body: Any
    status: int


@dataclass
class Fault:
    status: int
    headers: dict[str, str] = field(default_factory=dict)
    message: str = "Server Error"


class GitHubState:
    def __init__(self, token: str) -> None:
        self.token = token
        self.read_only_tokens: set[str] = set()
        self.lock = threading.Lock()
        self.calls: list[Call] = []
        self.faults: list[Fault] = []
        self.page_size: int | None = None  # force small pages to exercise pagination
        self.quota_reset: int | None = None
        self.files: dict[tuple[str, int], list[dict[str, Any]]] = {}
        self.issue_comments: dict[tuple[str, int], list[dict[str, Any]]] = {}
        self.review_comments: dict[tuple[str, int], list[dict[str, Any]]] = {}
        self.reviews: dict[tuple[str, int], list[dict[str, Any]]] = {}
        self._next_id = 1000
        self.base_url = ""
        self.prefix = ""  # GitHub Enterprise Server serves the API under /api/v3

    def new_id(self) -> int:
        self._next_id += 1
        return self._next_id

    # -- test helpers ----------------------------------------------------------------------------------------
    def set_files(self, repo: str, number: int, files: list[dict[str, Any]]) -> None:
        with self.lock:
            self.files[(repo, number)] = files

    def fail_next(self, count: int = 1, status: int = 502) -> None:
        with self.lock:
            self.faults += [Fault(status) for _ in range(count)]

    def rate_limit_next(self, seconds: int = 1, primary: bool = False) -> None:
        """A secondary limit (429 + Retry-After) or the primary one (403, remaining 0, reset in ``seconds``)."""
        with self.lock:
            if primary:
                self.faults.append(Fault(403, {"X-RateLimit-Remaining": "0", "X-RateLimit-Limit": "5000",
                                               "X-RateLimit-Reset": str(int(time.time()) + seconds)},
                                         "API rate limit exceeded"))
            else:
                self.faults.append(Fault(429, {"Retry-After": str(seconds)},
                                         "You have exceeded a secondary rate limit"))

    def exhaust_quota(self, seconds: int = 1) -> None:
        """The next answer succeeds but says the quota is spent until ``seconds`` from now."""
        with self.lock:
            self.quota_reset = int(time.time()) + seconds

    def react(self, comment_id: int, content: str = "-1") -> None:
        with self.lock:
            for comments in self.review_comments.values():
                for c in comments:
                    if c["id"] == comment_id:
                        c["reactions"][content] += 1
                        c["reactions"]["total_count"] += 1

    def reply(self, repo: str, number: int, comment_id: int, body: str, login: str = "octocat") -> None:
        with self.lock:
            parent = next(c for c in self.review_comments[(repo, number)] if c["id"] == comment_id)
            self.review_comments[(repo, number)].append(self._review_comment(
                repo, number, {"body": body, "path": parent["path"], "line": parent["line"],
                               "in_reply_to_id": comment_id}, {"login": login, "type": "User", "id": 1}))

    def calls_to(self, method: str, pattern: str) -> list[Call]:
        return [c for c in self.calls if c.method == method and re.fullmatch(pattern, c.path)]

    # -- resources -------------------------------------------------------------------------------------------
    def _review_comment(self, repo: str, number: int, body: dict[str, Any], user: dict[str, Any]) -> dict[str, Any]:
        cid = self.new_id()
        return {"id": cid, "user": user, "body": body.get("body", ""), "path": body.get("path"),
                "line": body.get("line"), "side": body.get("side", "RIGHT"), "start_line": body.get("start_line"),
                "commit_id": body.get("commit_id"), "in_reply_to_id": body.get("in_reply_to_id"),
                "html_url": f"https://github.test/{repo}/pull/{number}#discussion_r{cid}",
                "reactions": {"+1": 0, "-1": 0, "laugh": 0, "confused": 0, "heart": 0, "hooray": 0, "rocket": 0,
                              "eyes": 0, "total_count": 0}}

    def check_placement(self, repo: str, number: int, c: dict[str, Any]) -> str | None:
        """GitHub's rule: the line (and start_line) must be on the right side of a hunk of that file."""
        files = {f["filename"]: f for f in self.files.get((repo, number), [])}
        f = files.get(c.get("path", ""))
        if f is None:
            return f"path {c.get('path')!r} is not part of the pull request"
        _added, right = diff_lines(f.get("patch", ""))
        for key in ("line", "start_line"):
            if c.get(key) is not None and c[key] not in right:
                return f"pull_request_review_thread.{key} must be part of the diff"
        return None


class _Handler(QuietHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def _send(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        data = b"" if status == 204 else json.dumps(body).encode()
        self.send_body(status, data, "application/json", [("X-RateLimit-Limit", "5000"), *(headers or {}).items()])

    def _handle(self, method: str) -> None:
        st = self.server.state
        url = urlsplit(self.path)
        query = parse_qs(url.query)
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        body = json.loads(raw) if raw else None
        with st.lock:
            auth = self.headers.get("Authorization", "")
            token = auth.split(" ", 1)[1] if " " in auth else ""
            if st.faults:
                fault = st.faults.pop(0)
                status, payload, headers = fault.status, {"message": fault.message}, fault.headers
            elif token != st.token and token not in st.read_only_tokens:
                status, payload, headers = 401, {"message": "Bad credentials"}, {}
            elif method != "GET" and token in st.read_only_tokens:
                status, payload, headers = 403, {"message": "Resource not accessible by integration"}, {}
            else:
                path = url.path.removeprefix(st.prefix) if st.prefix else url.path
                if st.prefix and not url.path.startswith(st.prefix + "/"):
                    status, payload, headers = 404, {"message": "Not Found"}, {}
                else:
                    status, payload, headers = _route(st, method, path, query, body)
                if st.quota_reset is not None:
                    headers = {**headers, "X-RateLimit-Remaining": "0", "X-RateLimit-Reset": str(st.quota_reset)}
                    st.quota_reset = None
            st.calls.append(Call(method, url.path, query, body, status))
        self._send(status, payload, headers)

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        self._handle("GET")

    def do_POST(self) -> None:  # noqa: N802
        self._handle("POST")

    def do_PATCH(self) -> None:  # noqa: N802
        self._handle("PATCH")

    def do_DELETE(self) -> None:  # noqa: N802
        self._handle("DELETE")


def _page(st: GitHubState, path: str, items: list[Any], query: dict[str, list[str]]
          ) -> tuple[int, Any, dict[str, str]]:
    per_page = min(int(query.get("per_page", ["30"])[0]), 100, st.page_size or 100)
    page = int(query.get("page", ["1"])[0])
    chunk = items[(page - 1) * per_page: page * per_page]
    headers = {}
    if page * per_page < len(items):
        headers["Link"] = f'<{st.base_url}{st.prefix}{path}?per_page={per_page}&page={page + 1}>; rel="next"'
    return 200, chunk, headers


def _route(st: GitHubState, method: str, path: str, query: dict[str, list[str]], body: Any
           ) -> tuple[int, Any, dict[str, str]]:
    if path == "/user":
        return 403, {"message": "Resource not accessible by integration"}, {}
    m = re.fullmatch(r"/repos/([^/]+/[^/]+)/(issues|pulls)/(\d+)/(comments|files|reviews)", path)
    if m:
        repo, kind, number, what = m.group(1), m.group(2), int(m.group(3)), m.group(4)
        key = (repo, number)
        if kind == "pulls" and what == "files" and method == "GET":
            return _page(st, path, st.files.get(key, []), query)
        store = {("issues", "comments"): st.issue_comments, ("pulls", "comments"): st.review_comments,
                 ("pulls", "reviews"): st.reviews}.get((kind, what))
        if store is None:
            return 404, {"message": "Not Found"}, {}
        if method == "GET":
            return _page(st, path, store.get(key, []), query)
        if method == "POST" and kind == "issues":
            cid = st.new_id()
            comment = {"id": cid, "user": BOT, "body": body["body"],
                       "html_url": f"https://github.test/{repo}/pull/{number}#issuecomment-{cid}"}
            store.setdefault(key, []).append(comment)
            return 201, comment, {}
        if method == "POST" and what == "comments":
            if body.get("in_reply_to"):
                body = {**body, "in_reply_to_id": body["in_reply_to"]}
            elif (why := st.check_placement(repo, number, body)) is not None:
                return 422, {"message": "Unprocessable Entity", "errors": [why]}, {}
            comment = st._review_comment(repo, number, body, BOT)
            store.setdefault(key, []).append(comment)
            return 201, comment, {}
        if method == "POST" and what == "reviews":
            for c in body.get("comments", []):
                if (why := st.check_placement(repo, number, c)) is not None:
                    return 422, {"message": "Unprocessable Entity", "errors": [why]}, {}
            review = {"id": st.new_id(), "user": BOT, "body": body.get("body", ""), "state": "COMMENTED",
                      "commit_id": body.get("commit_id"), "comment_count": len(body.get("comments", []))}
            store.setdefault(key, []).append(review)
            for c in body.get("comments", []):
                st.review_comments.setdefault(key, []).append(
                    st._review_comment(repo, number, {**c, "commit_id": body.get("commit_id")}, BOT))
            return 200, review, {}
    m = re.fullmatch(r"/repos/([^/]+/[^/]+)/issues/comments/(\d+)", path)
    if m and method in ("PATCH", "DELETE"):
        for comments in st.issue_comments.values():
            for c in comments:
                if c["id"] == int(m.group(2)):
                    if method == "DELETE":
                        comments.remove(c)
                        return 204, None, {}
                    c["body"] = body["body"]
                    return 200, c, {}
    return 404, {"message": "Not Found"}, {}


class _Server(ThreadingHTTPServer):
    state: GitHubState


class RecordingGitHub(LoopbackServer):
    """Start with ``with RecordingGitHub(token) as gh:``; ``gh.url`` is the API base, ``gh.state`` the record."""

    httpd: _Server

    def __init__(self, token: str = "test-token") -> None:
        self.state = GitHubState(token)
        super().__init__(_Handler, name="github", server_class=_Server)
        self.httpd.state = self.state
        self.state.base_url = self.url
