#!/usr/bin/env python3
"""Post the tablespec plan as ONE sticky pull-request comment: created on the first run, edited in
place on every later push, so a PR carries one current plan instead of a stack of stale ones.

The GitHub Action (``action.yml``) calls this script after ``tablespec plan --format markdown``.
It is standard library only (urllib), so it runs on the runner's Python before or without any
install, and it is a script rather than part of the ``tablespec`` package because it belongs to
the Action, not to the library. Every API call goes to ``--api-url`` (default ``GITHUB_API_URL``),
so the tests point it at a stub server on 127.0.0.1.

The comment is found by a hidden marker, ``<!-- tablespec-plan -->`` or, with ``--key K``,
``<!-- tablespec-plan:K -->`` (several plans on one PR, e.g. one per environment, do not clash).
The token is read from ``GITHUB_TOKEN`` only (never an argument, which would show in the process
list) and is never printed: every message passes through :func:`_redact`.

Exit codes: 0 posted (or nothing to do), 1 GitHub API or network error, 2 bad arguments/input.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

MARKER = "tablespec-plan"
# GitHub rejects issue comments longer than 65536 characters ("body is too long").
GITHUB_COMMENT_LIMIT = 65536
TIMEOUT_SECONDS = 30.0
MAX_PAGES = 50  # 100 comments a page: a PR with more than 5000 comments is not worth searching
USER_AGENT = "tablespec-sticky-comment"
CLOSERS_ROOM = 64  # room kept for the fence / </details> closers a cut may need


class CommentError(Exception):
    """A failure to report to the person reading the workflow log: what failed and what to do."""


def marker(key: str = "") -> str:
    """The hidden HTML comment that identifies our comment among all the PR's comments."""
    if key and not re.fullmatch(r"[A-Za-z0-9_.\-/]+", key):
        raise CommentError(f"--key {key!r} may only hold letters, digits and _ . - /")
    return f"<!-- {MARKER}:{key} -->" if key else f"<!-- {MARKER} -->"


def failure_section(step: str, code: int, log: str) -> str:
    """What to show when a step failed (invalid spec, unreachable storage): the step, its exit code
    and its own error output, so the PR says why there is no plan instead of keeping an old one."""
    fence = "```"
    while fence in log:
        fence += "`"
    text = log.strip() or "(no output)"
    return f"\n\n**`tablespec {step}` failed (exit {code}):**\n\n{fence}text\n{text}\n{fence}\n"


def build_body(markdown: str, *, key: str = "", limit: int = GITHUB_COMMENT_LIMIT, run_url: str = "") -> str:
    """The comment: the marker line, then the markdown exactly as given (the output of ``tablespec
    plan --format markdown``, plus a failure section when a step failed).

    Past GitHub's limit the text is cut at a line boundary, anything the cut left open (a code
    fence, a ``<details>``) is closed, and a note says where the whole plan is (the run's
    artifact), so a huge plan still updates the comment instead of failing the job.
    """
    head = marker(key) + "\n"
    if len(head) + len(markdown) <= limit:
        return head + markdown
    where = f" in the [workflow run]({run_url})" if run_url else " in the workflow run"
    note = (f"\n\n> **Plan truncated**: {len(markdown):,} characters is more than a GitHub comment holds. "
            f"The whole plan is in the `tablespec-plan` artifact{where}.\n")
    cut = markdown[:max(0, limit - len(head) - len(note) - CLOSERS_ROOM)]
    cut = cut[:cut.rindex("\n")] if "\n" in cut else ""
    closers = "\n```" if cut.count("```") % 2 else ""
    closers += "\n</details>" * min(2, max(0, cut.count("<details") - cut.count("</details>")))
    return head + cut + closers + note


@dataclass(frozen=True)
class Target:
    api_url: str
    repo: str
    number: int
    token: str


class GitHub:
    """The three REST calls the sticky comment needs, with bounded timeouts and readable errors."""

    def __init__(self, target: Target, *, timeout: float = TIMEOUT_SECONDS) -> None:
        self.target, self.timeout = target, timeout

    def request(self, method: str, url: str, payload: dict[str, Any] | None = None) -> tuple[Any, str]:
        """One call: the decoded JSON and the Link header (for pagination)."""
        data = json.dumps(payload).encode() if payload is not None else None
        req = urllib.request.Request(url, data=data, method=method, headers={
            "Accept": "application/vnd.github+json",
            "Authorization": f"Bearer {self.target.token}",
            "X-GitHub-Api-Version": "2022-11-28",
            "User-Agent": USER_AGENT,
            **({"Content-Type": "application/json"} if data is not None else {}),
        })
        where = f"{method} {_path_of(url)}"
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as resp:
                raw = resp.read()
                link = resp.headers.get("Link", "")
        except urllib.error.HTTPError as e:
            raise CommentError(self._http_error(where, e)) from None
        except (urllib.error.URLError, OSError) as e:
            reason = getattr(e, "reason", e)
            raise CommentError(f"GitHub API {where}: cannot reach {self.target.api_url}: {reason}") from None
        try:
            return (json.loads(raw) if raw else None), link
        except ValueError:
            raise CommentError(f"GitHub API {where}: the answer is not JSON: {raw[:200]!r}") from None

    def _http_error(self, where: str, e: urllib.error.HTTPError) -> str:
        try:
            detail = json.loads(e.read() or b"{}").get("message", "")
        except (ValueError, AttributeError, OSError):
            detail = ""
        text = f"GitHub API {where} returned {e.code} {e.reason}" + (f": {detail}" if detail else "")
        if e.code in (401, 403):
            text += ("\nhint: the token needs `pull-requests: write` (or `issues: write`) permission; "
                     "on pull requests from forks GITHUB_TOKEN is read-only, so set `comment: false` there")
        elif e.code == 404:
            text += (f"\nhint: check the repository ({self.target.repo}) "
                     f"and the pull request number ({self.target.number})")
        return text

    def comments_url(self) -> str:
        return f"{self.target.api_url}/repos/{self.target.repo}/issues/{self.target.number}/comments"

    def find(self, mark: str) -> dict[str, Any] | None:
        """The first comment (oldest) holding ``mark``, following the Link: rel="next" pages."""
        url: str | None = self.comments_url() + "?per_page=100"
        for _ in range(MAX_PAGES):
            if url is None:
                return None
            page, link = self.request("GET", url)
            if not isinstance(page, list):
                raise CommentError(f"GitHub API GET {_path_of(url)}: expected a list of comments, "
                                   f"got {type(page).__name__}")
            for comment in page:
                if mark in (comment.get("body") or ""):
                    return comment
            url = _next_link(link)
        return None

    def create(self, body: str) -> dict[str, Any]:
        return self.request("POST", self.comments_url(), {"body": body})[0]

    def update(self, comment_id: int, body: str) -> dict[str, Any]:
        url = f"{self.target.api_url}/repos/{self.target.repo}/issues/comments/{comment_id}"
        return self.request("PATCH", url, {"body": body})[0]


def post(github: GitHub, body: str, mark: str) -> tuple[str, dict[str, Any]]:
    """Create the sticky comment, or update it in place: ("created" | "updated" | "unchanged", comment)."""
    existing = github.find(mark)
    if existing is None:
        return "created", github.create(body)
    if existing.get("body") == body:
        return "unchanged", existing
    return "updated", github.update(int(existing["id"]), body)


def _next_link(link: str) -> str | None:
    for part in link.split(","):
        match = re.match(r'\s*<([^>]+)>\s*;.*\brel="?next"?', part)
        if match:
            return match.group(1)
    return None


def _path_of(url: str) -> str:
    return re.sub(r"^[a-z]+://[^/]+", "", url)


def _redact(text: str, token: str) -> str:
    return text.replace(token, "***") if token else text


def _pr_number(arg: int | None, event_path: str | None) -> int | None:
    """The PR number from --pr, else from the event payload GitHub writes for the run."""
    if arg is not None:
        return arg
    if not event_path:
        return None
    try:
        event = json.loads(Path(event_path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise CommentError(f"cannot read the event payload {event_path}: {e}") from None
    number = (event.get("pull_request") or {}).get("number")
    if number is None and "pull_request" in (event.get("issue") or {}):
        number = event["issue"].get("number")
    return int(number) if number is not None else None


def _parser() -> argparse.ArgumentParser:
    env = os.environ
    p = argparse.ArgumentParser(description="Create or update the sticky tablespec plan comment on a pull request.")
    p.add_argument("--body-file", required=True,
                   help="markdown to post (the output of `tablespec plan --format markdown`)")
    p.add_argument("--failed-step", metavar="STEP", help="a tablespec step that failed (validate, plan): "
                   "its error output (--log-file) is added to the comment")
    p.add_argument("--exitcode", type=int, default=1, help="the failed step's exit code")
    p.add_argument("--log-file", help="the failed step's error output")
    p.add_argument("--key", default=env.get("TABLESPEC_COMMENT_KEY", ""),
                   help="tells this plan's comment apart from other tablespec comments on the same PR")
    p.add_argument("--api-url", default=env.get("GITHUB_API_URL", "https://api.github.com"),
                   help="GitHub REST API base URL (default: GITHUB_API_URL)")
    p.add_argument("--repo", default=env.get("GITHUB_REPOSITORY"), help="owner/name (default: GITHUB_REPOSITORY)")
    p.add_argument("--pr", type=int, default=None, help="pull request number (default: from GITHUB_EVENT_PATH)")
    p.add_argument("--run-url", default=_run_url(env), help="link for the truncation note (default: this workflow run)")
    p.add_argument("--timeout", type=float, default=TIMEOUT_SECONDS, help="seconds per API call")
    p.add_argument("--print-body", action="store_true", help="print the comment body and post nothing")
    return p


def _read(path: str, what: str) -> str:
    try:
        return Path(path).read_text(encoding="utf-8", errors="replace")
    except OSError as e:
        raise CommentError(f"cannot read {what} {path}: {e.strerror or e}") from None


def _run_url(env: os._Environ[str] | dict[str, str]) -> str:
    parts = [env.get(k, "") for k in ("GITHUB_SERVER_URL", "GITHUB_REPOSITORY", "GITHUB_RUN_ID")]
    return f"{parts[0]}/{parts[1]}/actions/runs/{parts[2]}" if all(parts) else ""


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    token = os.environ.get("GITHUB_TOKEN", "")
    try:
        markdown = _read(args.body_file, "--body-file")
        if args.failed_step:
            log = _read(args.log_file, "--log-file") if args.log_file else ""
            markdown += failure_section(args.failed_step, args.exitcode, log)
        body = build_body(markdown, key=args.key, run_url=args.run_url)
        if args.print_body:
            sys.stdout.write(body)
            return 0
        number = _pr_number(args.pr, os.environ.get("GITHUB_EVENT_PATH"))
        problems = [what for what, missing in (
            ("GITHUB_TOKEN is not set (the action passes its github-token input)", not token),
            ("no repository: pass --repo owner/name or set GITHUB_REPOSITORY", not args.repo),
            ("no pull request: pass --pr N, or run on a pull_request event", number is None),
        ) if missing]
        if problems:
            print("sticky_comment: " + "; ".join(problems), file=sys.stderr)
            return 2
        assert number is not None
        github = GitHub(Target(args.api_url.rstrip("/"), args.repo, number, token), timeout=args.timeout)
        what, comment = post(github, body, marker(args.key))
    except CommentError as e:
        print(_redact(f"sticky_comment: {e}", token), file=sys.stderr)
        return 1
    print(_redact(f"sticky_comment: {what} comment {comment.get('id')} on {args.repo}#{number}"
                  + (f": {comment['html_url']}" if comment.get("html_url") else ""), token))
    return 0


if __name__ == "__main__":
    sys.exit(main())
