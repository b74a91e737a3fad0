"""The REST client against the recording server: pagination, retries on 5xx, rate limits, bounded waits."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from tests.support.github.server import RecordingGitHub
from workflows.github.client import GitHubClient, GitHubError

REPO, NUMBER = "acme/app", 3
COMMENTS = f"/repos/{REPO}/issues/{NUMBER}/comments"


@pytest.fixture
def gh() -> Iterator[RecordingGitHub]:
    with RecordingGitHub("tok") as server:
        yield server


def _client(gh: RecordingGitHub, **kw: float) -> GitHubClient:
    kw.setdefault("backoff_s", 0.01)
    return GitHubClient("tok", gh.url + "/", **kw)  # a trailing slash on GITHUB_API_URL is fine


def test_pagination_follows_link_headers(gh: RecordingGitHub) -> None:
    gh.state.page_size = 2
    with _client(gh) as client:
        for i in range(5):
            client.post(COMMENTS, {"body": f"c{i}"})
        items = client.paginate(COMMENTS)
    assert [c["body"] for c in items] == [f"c{i}" for i in range(5)]
    pages = gh.state.calls_to("GET", COMMENTS)
    assert [c.query.get("page", ["1"])[0] for c in pages] == ["1", "2", "3"]


def test_enterprise_api_base_with_a_path(gh: RecordingGitHub) -> None:
    gh.state.prefix, gh.state.page_size = "/api/v3", 1
    with GitHubClient("tok", gh.url + "/api/v3", backoff_s=0.01) as client:
        client.post(COMMENTS, {"body": "a"})
        client.post(COMMENTS, {"body": "b"})
        assert [c["body"] for c in client.paginate(COMMENTS)] == ["a", "b"]
    assert {c.path for c in gh.state.calls} == {"/api/v3" + COMMENTS}


def test_5xx_is_retried_then_gives_up_with_one_line(gh: RecordingGitHub) -> None:
    gh.state.fail_next(2, 502)
    with _client(gh) as client:
        assert client.post(COMMENTS, {"body": "x"})["body"] == "x"
        assert [c.status for c in gh.state.calls] == [502, 502, 201]
        gh.state.fail_next(10, 503)
        with pytest.raises(GitHubError) as err:
            client.get(COMMENTS)
    assert err.value.status == 503 and "503" in err.value.line
    assert len(gh.state.calls) == 3 + 5, "one try and four retries"


@pytest.mark.parametrize("primary", [False, True])
def test_rate_limits_are_waited_out(gh: RecordingGitHub, primary: bool) -> None:
    gh.state.rate_limit_next(seconds=1, primary=primary)
    started = time.monotonic()
    with _client(gh) as client:
        assert client.get(COMMENTS) == []
    assert time.monotonic() - started >= 0.9 and client.waited_s >= 0.9
    assert [c.status for c in gh.state.calls] == [403 if primary else 429, 200]


def test_a_spent_quota_delays_the_next_request(gh: RecordingGitHub) -> None:
    gh.state.exhaust_quota(seconds=1)
    with _client(gh) as client:
        client.get(COMMENTS)  # answered, but "0 remaining until reset"
        started = time.monotonic()
        client.get(COMMENTS)
    assert time.monotonic() - started >= 0.9, "waited for the reset instead of spending a request on a 403"
    assert [c.status for c in gh.state.calls] == [200, 200]


def test_a_wait_longer_than_allowed_fails_fast(gh: RecordingGitHub) -> None:
    gh.state.rate_limit_next(seconds=3600)
    started = time.monotonic()
    with _client(gh, max_wait_s=5) as client, pytest.raises(GitHubError) as err:
        client.get(COMMENTS)
    assert time.monotonic() - started < 2
    assert "3600s" in err.value.line and "5s" in err.value.line


def test_bad_token_is_not_retried(gh: RecordingGitHub) -> None:
    with GitHubClient("wrong", gh.url, backoff_s=0.01) as client, pytest.raises(GitHubError) as err:
        client.get(COMMENTS)
    assert err.value.status == 401 and "Bad credentials" in err.value.line
    assert len(gh.state.calls) == 1


def test_token_never_follows_a_link_to_another_host(gh: RecordingGitHub) -> None:
    gh.state.page_size = 1
    other = gh.url.replace("127.0.0.1", "localhost")  # same server, another host name: the Link points away
    with GitHubClient("tok", other, backoff_s=0.01) as client:
        client.post(COMMENTS, {"body": "a"})
        client.post(COMMENTS, {"body": "b"})
        with pytest.raises(GitHubError, match="refusing to send the token to 127.0.0.1"):
            client.paginate(COMMENTS)


def test_no_server_is_retried_then_one_line() -> None:
    with GitHubClient("tok", "http://127.0.0.1:9", backoff_s=0.01, retries=2) as client, \
            pytest.raises(GitHubError) as err:
        client.get("/user")
    assert "no answer from 127.0.0.1:9" in err.value.line and client.requests == 3
