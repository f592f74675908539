"""The API reference names every public name (``make docs`` then renders each strictly)."""

from __future__ import annotations

import re
from pathlib import Path

import mqp_jobs

API = Path(__file__).resolve().parent.parent / "docs" / "api"


def test_every_public_name_is_in_the_api_reference() -> None:
    documented = {
        name
        for page in API.glob("*.md")
        for name in re.findall(r"^::: mqp_jobs\.(\w+)\s*$", page.read_text(), re.MULTILINE)
    }
    assert sorted(set(mqp_jobs.__all__) - documented) == []
    assert sorted(documented - set(mqp_jobs.__all__)) == []
