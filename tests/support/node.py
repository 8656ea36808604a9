"""Run the offline Node validators (tests/node) from Python tests."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

import pytest

from tests.support.cards import reserved_data_names

NODE_DIR = Path(__file__).resolve().parents[1] / "node"
MISSING = (
    "Node.js or tests/node/node_modules is missing: Adaptive Card and manifest schema checks cannot run. "
    "Install Node 20.19+ and run `make test` (it runs `npm ci` in tests/node)."
)


def require_node() -> str:
    node = shutil.which("node")
    if node and (NODE_DIR / "node_modules" / "adaptivecards").is_dir():
        return node
    if os.environ.get("CI"):
        pytest.fail(MISSING)
    pytest.skip(MISSING)


def _run(script: str, payload: Any) -> dict[str, Any]:
    node = require_node()
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as fh:
        json.dump(payload, fh)
        path = fh.name
    try:
        done = subprocess.run(
            [node, str(NODE_DIR / script), path], capture_output=True, text=True, timeout=120, check=False
        )
    finally:
        os.unlink(path)
    if done.returncode not in (0, 1):
        raise AssertionError(f"{script} failed to run: {done.stderr}")
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def validate_cards(cards: dict[str, dict[str, Any]]) -> dict[str, list[str]]:
    """Card name → its errors, for the cards that have any: Microsoft's validator, and submit data
    that uses a name the Teams client reserves (such a button does nothing when pressed)."""
    result = _run("validate_cards.js", [{"name": n, "card": c} for n, c in cards.items()])
    errors: dict[str, list[str]] = {r["name"]: r["errors"] for r in result["results"] if r["errors"]}
    for name, c in cards.items():
        for reserved in reserved_data_names(c):
            errors.setdefault(name, []).append(f"submit data uses the reserved name {reserved!r}")
    return errors


def validate_manifest(manifest: dict[str, Any]) -> dict[str, Any]:
    return _run("validate_manifest.js", manifest)
