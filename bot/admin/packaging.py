"""The Teams app package: manifest.json, color.png and outline.png at the root of a zip.

Why here and checked so hard: Teams rejects a bad package with a vague message, long after it was built,
in an admin centre the developer may not have access to. So the package is built from the template in
manifest/, the settings and the route table (the one source of the command list), then checked, and
nothing is written unless every check passes: the official JSON schema (Node and @microsoft/app-manifest,
when present) and the rules the schema does not carry (GUIDs, Teams' command limits, icon sizes).

The manifest is filled as a data structure; no JSON text is ever edited.
"""

from __future__ import annotations

import copy
import io
import json
import os
import re
import shutil
import subprocess
import tempfile
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PIL import Image

from bot.admin import icons
from bot.settings import Settings
from bot.turn.router import Route

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "manifest" / "manifest.json"
VALIDATOR = ROOT / "tests" / "node" / "validate_manifest.js"
SCHEMA_VERSION = "1.30"

# Personal scope first: every command works there. Team and group chats get only the commands that show
# no pupil data; the dispatcher refuses the others there with texts.PERSONAL_ONLY (bot/turn/dispatch.py).
SCOPES = ("personal", "team", "groupChat")
SHARED_SCOPES = ("team", "groupChat")
# Teams' limits on a bot's command menu (the JSON schema is looser: 12 commands, 128/4000 characters).
MAX_COMMANDS = 10
MAX_TITLE = 32
MAX_DESCRIPTION = 128
# A zip entry's date: fixed, so the same inputs give the same bytes.
_ZIP_DATE = (2020, 1, 1, 0, 0, 0)
_GUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.IGNORECASE)
_NIL_GUID = "00000000-0000-0000-0000-000000000000"


class PackageError(Exception):
    """The package cannot be built; `problems` says every reason, each naming what to fix."""

    def __init__(self, problems: Iterable[str]) -> None:
        self.problems = list(problems)
        super().__init__("; ".join(self.problems))


@dataclass(frozen=True)
class Package:
    manifest: dict[str, Any]
    color: bytes
    outline: bytes
    schema_checked: bool


def required_settings(settings: Settings) -> list[str]:
    """What `senbot package` needs that `senbot serve` does not, by environment variable."""
    problems = []
    if not settings.app_id:
        problems.append("SENBOT_APP_ID is required to build the app package (the Azure Bot's app id)")
    for name, value in (
        ("SENBOT_PUBLIC_HOST", settings.public_host),
        ("SENBOT_WEBSITE_URL", settings.website_url),
        ("SENBOT_PRIVACY_URL", settings.privacy_url),
        ("SENBOT_TERMS_URL", settings.terms_url),
    ):
        if not value:
            problems.append(f"{name} is required to build the app package")
    return problems


def command_lists(routes: Iterable[Route]) -> list[dict[str, Any]]:
    """The manifest's commandLists, from the route table: one list for the 1:1 chat, one for the rest."""
    routes = list(routes)
    lists = [{"scopes": ["personal"], "commands": [_command(r) for r in routes]}]
    shared = [_command(r) for r in routes if not r.personal_only]
    if shared:
        lists.append({"scopes": list(SHARED_SCOPES), "commands": shared})
    return lists


def _command(route: Route) -> dict[str, str]:
    return {"title": route.key, "description": route.summary}


def build_manifest(
    settings: Settings, routes: Iterable[Route], *, template: Path = TEMPLATE
) -> dict[str, Any]:
    problems = required_settings(settings)
    if problems:
        raise PackageError(problems)
    manifest: dict[str, Any] = copy.deepcopy(json.loads(template.read_text(encoding="utf-8")))
    manifest["version"] = settings.app_version
    manifest["id"] = settings.manifest_app_id
    manifest["accentColor"] = icons.ACCENT
    manifest["developer"].update(
        name=settings.developer_name,
        websiteUrl=settings.website_url,
        privacyUrl=settings.privacy_url,
        termsOfUseUrl=settings.terms_url,
    )
    bot = manifest["bots"][0]
    bot["botId"] = settings.app_id
    bot["scopes"] = list(SCOPES)
    bot["commandLists"] = command_lists(routes)
    manifest["validDomains"] = [settings.public_host]
    return manifest


def check_manifest(manifest: dict[str, Any]) -> list[str]:
    """The rules the JSON schema does not enforce, or enforces more loosely than Teams does."""
    problems = [f"{path} was left unfilled in the template" for path in _nulls(manifest, "")]
    if manifest.get("manifestVersion") != SCHEMA_VERSION:
        problems.append(f"manifestVersion must be {SCHEMA_VERSION}")
    for name, value in (("id", manifest.get("id")), ("bots[0].botId", _bot(manifest).get("botId"))):
        if not isinstance(value, str) or not _GUID.fullmatch(value) or value == _NIL_GUID:
            problems.append(f"{name} must be a GUID (SENBOT_APP_ID / SENBOT_TEAMS_APP_ID), not {value!r}")
    for entry in _bot(manifest).get("commandLists") or []:
        scopes = "/".join(entry.get("scopes", []))
        commands = entry.get("commands", [])
        if len(commands) > MAX_COMMANDS:
            problems.append(f"{scopes} list has {len(commands)} commands; Teams allows {MAX_COMMANDS}")
        titles = [c.get("title", "") for c in commands]
        if len(set(titles)) != len(titles):
            problems.append(f"{scopes} command list repeats a command")
        for c in commands:
            title, description = c.get("title", ""), c.get("description", "")
            if not title or len(title) > MAX_TITLE:
                problems.append(f"command {title!r}: the title must be 1 to {MAX_TITLE} characters")
            if not description or len(description) > MAX_DESCRIPTION:
                problems.append(
                    f"command {title!r}: the description must be 1 to {MAX_DESCRIPTION} characters"
                )
    return problems


def _bot(manifest: dict[str, Any]) -> dict[str, Any]:
    bots = manifest.get("bots") or [{}]
    bot: dict[str, Any] = bots[0]
    return bot


def _nulls(value: Any, path: str) -> Iterator[str]:
    if value is None:
        yield path or "(root)"
    elif isinstance(value, dict):
        for k, v in value.items():
            yield from _nulls(v, f"{path}.{k}" if path else k)
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _nulls(v, f"{path}[{i}]")


def check_icons(color: bytes, outline: bytes) -> list[str]:
    """Teams' icon rules: colour 192×192; outline 32×32, white on a transparent background."""
    problems = []
    with Image.open(io.BytesIO(color)) as img:
        if img.format != "PNG" or img.size != (icons.COLOR_SIZE, icons.COLOR_SIZE):
            problems.append(f"color.png must be a {icons.COLOR_SIZE}×{icons.COLOR_SIZE} PNG, not {img.size}")
    with Image.open(io.BytesIO(outline)) as img:
        if img.format != "PNG" or img.size != (icons.OUTLINE_SIZE, icons.OUTLINE_SIZE):
            problems.append(
                f"outline.png must be a {icons.OUTLINE_SIZE}×{icons.OUTLINE_SIZE} PNG, not {img.size}"
            )
        if img.mode != "RGBA":
            problems.append("outline.png must have an alpha channel")
        else:
            rgba = img.convert("RGBA")
            colours = {rgb for rgb, _alpha in _pixels(rgba) if _alpha}
            if colours - {icons.WHITE}:
                problems.append("outline.png may contain only white pixels")
            corners = [rgba.getpixel(xy) for xy in ((0, 0), (0, img.height - 1))]
            if any(not isinstance(p, tuple) or p[3] != 0 for p in corners):
                problems.append("outline.png must have a transparent background")
    return problems


def _pixels(image: Image.Image) -> Iterator[tuple[tuple[int, int, int], int]]:
    data = image.tobytes()
    for i in range(0, len(data), 4):
        yield (data[i], data[i + 1], data[i + 2]), data[i + 3]


def schema_check(manifest: dict[str, Any]) -> list[str] | None:
    """Errors from the official Teams schema (offline, @microsoft/app-manifest), or None if unavailable."""
    node = shutil.which("node")
    installed = (VALIDATOR.parent / "node_modules" / "@microsoft" / "app-manifest").is_dir()
    if node is None or not VALIDATOR.is_file() or not installed:
        return None
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "manifest.json"
        path.write_text(json.dumps(manifest), encoding="utf-8")
        done = subprocess.run(
            [node, str(VALIDATOR), str(path)], capture_output=True, text=True, timeout=120, check=False
        )
    if done.returncode not in (0, 1):
        return [f"the schema validator failed to run: {done.stderr.strip()}"]
    errors: list[str] = json.loads(done.stdout)["errors"]
    return [f"schema: {e}" for e in errors]


def build(
    settings: Settings, routes: Iterable[Route], *, template: Path = TEMPLATE, schema: bool = True
) -> Package:
    """Build and check everything; raise PackageError with every problem found."""
    manifest = build_manifest(settings, routes, template=template)
    color, outline = icons.color_icon(), icons.outline_icon()
    problems = check_manifest(manifest) + check_icons(color, outline)
    schema_errors = schema_check(manifest) if schema else None
    problems += schema_errors or []
    if problems:
        raise PackageError(problems)
    return Package(manifest, color, outline, schema_checked=schema_errors is not None)


def zip_bytes(package: Package) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in (
            ("manifest.json", (json.dumps(package.manifest, indent=2, ensure_ascii=False) + "\n").encode()),
            ("color.png", package.color),
            ("outline.png", package.outline),
        ):
            info = zipfile.ZipInfo(name, date_time=_ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            zf.writestr(info, data)
    return out.getvalue()


def write(package: Package, out: Path) -> None:
    """Write the zip atomically: a failed write never leaves a half package where the old one was."""
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=out.parent, prefix=f".{out.name}.")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(zip_bytes(package))
        os.replace(tmp, out)
    except BaseException:
        os.unlink(tmp)
        raise
