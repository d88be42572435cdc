"""Playwright's API for the browser tests, imported once: without the package a test module is skipped
with the reason outside CI, and fails in CI (the browser fixture says how to install it)."""

from __future__ import annotations

import os

import pytest

try:
    from playwright.sync_api import Locator, Page, expect
except ImportError:
    if os.environ.get("CI"):
        pytest.fail("the Python package playwright is not installed (pip install -e '.[dev]')", pytrace=False)
    pytest.skip("the Python package playwright is not installed", allow_module_level=True)

__all__ = ["Locator", "Page", "expect"]
