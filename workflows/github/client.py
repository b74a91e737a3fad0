"""GitHub's REST API over httpx: retries on 5xx, rate limits honoured, every wait bounded.

Why the care: a CI job that dies on one 502 from the API loses the review it spent minutes computing, and a
job that sleeps for an hour on an exhausted quota blocks the pull request for that hour. So:
- a 5xx or a dropped connection is retried with exponential backoff (a few attempts);
- ``Retry-After`` (secondary limits, 429) and ``X-RateLimit-Remaining: 0`` with ``X-RateLimit-Reset`` (primary
  limit) are waited out, but never longer than ``max_wait_s`` for one wait nor ``budget_s`` in total: past
  that the run fails with one line saying how long GitHub asked to wait;
- a quota seen at zero on a successful answer delays the next request instead of spending it on a 403.
The base URL is ``GITHUB_API_URL`` (GitHub Enterprise: ``https://HOST/api/v3``); pagination follows ``Link``
headers only while they stay on that host, so the token is never sent anywhere else.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import httpx

from opsquad import __version__
from opsquad.errors import OpsquadError

RETRY_STATUSES = frozenset({500, 502, 503, 504})
DEFAULT_API_URL = "https://api.github.com"


class GitHubError(OpsquadError):
    """An API call failed for good; ``status`` is the HTTP status (0 when no answer came)."""

    def __init__(self, message: str, status: int = 0) -> None:
        super().__init__(message)
        self.status = status


def _message(resp: httpx.Response) -> str:
    try:
        data = resp.json()
    except ValueError:
        return resp.text.strip()[:160]
    return str(data.get("message", ""))[:160] if isinstance(data, dict) else ""


def _next_link(resp: httpx.Response) -> str | None:
    for part in resp.headers.get("link", "").split(","):
        section = part.split(";")
        if len(section) > 1 and any(s.strip() == 'rel="next"' for s in section[1:]):
            return section[0].strip().strip("<>")
    return None


class GitHubClient:
    """One authenticated session against one API base URL."""

    def __init__(self, token: str, api_url: str = DEFAULT_API_URL, *, retries: int = 4, backoff_s: float = 1.0,
                 max_wait_s: float = 60.0, budget_s: float = 300.0, timeout_s: float = 30.0,
                 log: Callable[[str], None] = lambda _m: None, sleep: Callable[[float], None] = time.sleep) -> None:
        if not token:
            raise OpsquadError("no GitHub token: set GITHUB_TOKEN (the action passes its github-token input)")
        self.base = api_url.rstrip("/") or DEFAULT_API_URL
        self.host = urlsplit(self.base).netloc
        self.retries, self.backoff_s = retries, backoff_s
        self.max_wait_s, self.budget_s = max_wait_s, budget_s
        self.log, self._sleep = log, sleep
        self.waited_s = 0.0
        self.requests = 0
        self._quota_reset: float | None = None  # epoch seconds when an exhausted quota comes back
        self.http = httpx.Client(timeout=timeout_s, follow_redirects=False, headers={
            "Authorization": f"Bearer {token}", "Accept": "application/vnd.github+json",
            "X-GitHub-Api-Version": "2022-11-28", "User-Agent": f"opsquad/{__version__}"})

    def close(self) -> None:
        self.http.close()

    def __enter__(self) -> GitHubClient:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def _wait(self, seconds: float, why: str) -> None:
        if seconds > self.max_wait_s:
            raise GitHubError(f"GitHub {why}: it asks to wait {seconds:.0f}s, more than the {self.max_wait_s:.0f}s "
                              "this run waits at once", 429)
        if self.waited_s + seconds > self.budget_s:
            raise GitHubError(f"GitHub {why}: waited {self.waited_s:.0f}s already, the budget is "
                              f"{self.budget_s:.0f}s", 429)
        self.log(f"GitHub {why}; waiting {seconds:.1f}s")
        self.waited_s += seconds
        self._sleep(seconds)

    def _rate_delay(self, resp: httpx.Response) -> float | None:
        """Seconds to wait before retrying a rate-limited answer; ``None`` when it is not a rate limit."""
        if resp.status_code not in (403, 429):
            return None
        retry_after = resp.headers.get("retry-after")
        if retry_after is not None:
            try:
                return max(0.0, float(retry_after))
            except ValueError:
                return self.max_wait_s
        if resp.headers.get("x-ratelimit-remaining") == "0" and resp.headers.get("x-ratelimit-reset"):
            try:
                return max(0.0, float(resp.headers["x-ratelimit-reset"]) - time.time()) + 1.0
            except ValueError:
                return self.max_wait_s
        if resp.status_code == 429 or "rate limit" in _message(resp).lower():
            return 60.0  # GitHub's advice for a secondary limit without headers: wait at least a minute
        return None

    def _note_quota(self, resp: httpx.Response) -> None:
        if resp.headers.get("x-ratelimit-remaining") == "0" and resp.headers.get("x-ratelimit-reset"):
            try:
                self._quota_reset = float(resp.headers["x-ratelimit-reset"])
            except ValueError:
                self._quota_reset = None

    def _url(self, path_or_url: str) -> str:
        if path_or_url.startswith(("http://", "https://")):
            if urlsplit(path_or_url).netloc != self.host:
                raise GitHubError(f"refusing to send the token to {urlsplit(path_or_url).netloc} (API is {self.host})")
            return path_or_url
        return self.base + "/" + path_or_url.lstrip("/")

    def request(self, method: str, path: str, *, json: Any = None, params: dict[str, Any] | None = None,
                ok: tuple[int, ...] = ()) -> httpx.Response:
        """One call with retries; a final status >= 400 (unless listed in ``ok``) raises ``GitHubError``."""
        url = self._url(path)
        label = f"{method} {urlsplit(url).path}"
        attempt = 0
        while True:
            if self._quota_reset is not None:
                pause = self._quota_reset - time.time() + 1.0
                self._quota_reset = None
                if pause > 0:
                    self._wait(pause, "rate limit exhausted")
            self.requests += 1
            try:
                resp = self.http.request(method, url, json=json, params=params)
            except httpx.TransportError as exc:
                if attempt >= self.retries:
                    raise GitHubError(f"{label}: no answer from {self.host} ({type(exc).__name__})") from None
                self._wait(self.backoff_s * 2 ** attempt, f"did not answer {label} ({type(exc).__name__})")
                attempt += 1
                continue
            self._note_quota(resp)
            if resp.status_code in RETRY_STATUSES and attempt < self.retries:
                self._wait(self.backoff_s * 2 ** attempt, f"answered {resp.status_code} to {label}")
                attempt += 1
                continue
            delay = self._rate_delay(resp)
            if delay is not None and attempt < self.retries:
                self._quota_reset = None
                self._wait(delay, f"rate limit on {label} ({resp.status_code})")
                attempt += 1
                continue
            if resp.status_code >= 400 and resp.status_code not in ok:
                raise GitHubError(f"{label}: {resp.status_code} {_message(resp)}".rstrip(), resp.status_code)
            return resp

    def get(self, path: str, params: dict[str, Any] | None = None) -> Any:
        return self.request("GET", path, params=params).json()

    def post(self, path: str, body: dict[str, Any]) -> Any:
        return self.request("POST", path, json=body).json()

    def patch(self, path: str, body: dict[str, Any]) -> Any:
        return self.request("PATCH", path, json=body).json()

    def delete(self, path: str) -> None:
        self.request("DELETE", path, ok=(404,))

    def paginate(self, path: str, params: dict[str, Any] | None = None, max_pages: int = 30) -> list[Any]:
        """Every item of a list endpoint, following ``Link: rel="next"`` (100 per page, ``max_pages`` at most)."""
        items: list[Any] = []
        url: str | None = path
        query: dict[str, Any] | None = {"per_page": 100, **(params or {})}
        for _ in range(max_pages):
            if url is None:
                break
            resp = self.request("GET", url, params=query)
            page = resp.json()
            if not isinstance(page, list):
                raise GitHubError(f"GET {path}: expected a list, got {type(page).__name__}", resp.status_code)
            items.extend(page)
            url, query = _next_link(resp), None  # the next link carries its own query string
        return items
