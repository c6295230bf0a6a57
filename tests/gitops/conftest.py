"""Fixtures for the GitOps kit (action.yml, gitops/sticky_comment.py, .pre-commit-hooks.yaml)."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator

import pytest

sys.path.insert(0, os.path.dirname(__file__))

from github_stub import GitHubStub


@pytest.fixture
def github() -> Iterator[GitHubStub]:
    """A stub GitHub API on a free 127.0.0.1 port, stopped after the test."""
    stub = GitHubStub().start()
    try:
        yield stub
    finally:
        stub.stop()
