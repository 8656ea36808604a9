"""The Teams app package: the manifest passes Microsoft's schema, its commands are the router's, the icons
follow Teams' rules, and `senbot package` writes nothing unless every check passes.
"""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from bot.admin import icons, packaging
from bot.admin.cli import main
from bot.flows import build_router
from bot.settings import ConfigError, Settings, load_settings
from bot.turn.core import Outbound
from bot.turn.router import Router
from tests.support.node import validate_manifest

APP_ID = "3f1e2d4c-5b6a-4789-9abc-def012345678"
ENV = {
    "SENBOT_APP_ID": APP_ID,
    "SENBOT_APP_PASSWORD": "test-secret",
    "SENBOT_TENANT_ID": "0d9b0e4e-1111-4222-8333-444455556666",
    "SENBOT_PUBLIC_HOST": "senbot.oakfield.example",
    "SENBOT_WEBSITE_URL": "https://oakfield.example",
    "SENBOT_PRIVACY_URL": "https://oakfield.example/privacy",
    "SENBOT_TERMS_URL": "https://oakfield.example/terms",
}


def settings(**overrides: Any) -> Settings:
    values: dict[str, Any] = {k.removeprefix("SENBOT_").lower(): v for k, v in ENV.items()}
    values.update(overrides)
    return Settings(**values)


def manifest(**overrides: Any) -> dict[str, Any]:
    return packaging.build_manifest(settings(**overrides), build_router().menu_commands())


async def _noop(_turn: Any) -> Outbound:
    return Outbound()


def router_with(*commands: tuple[str, str]) -> Router:
    router = Router()
    for word, summary in commands:
        router.command(word, summary=summary)(_noop)
    return router


# --- the manifest ---


def test_the_manifest_passes_the_official_teams_schema() -> None:
    result = validate_manifest(manifest())
    assert result["errors"] == [] and result["ok"]
    assert result["schemaVersion"] == packaging.SCHEMA_VERSION == "1.30"


def test_the_schema_check_can_fail() -> None:
    broken = manifest()
    broken["bots"][0]["botId"] = "not-a-guid"
    del broken["developer"]["privacyUrl"]
    result = validate_manifest(broken)
    assert not result["ok"] and len(result["errors"]) >= 2


def test_settings_fill_the_placeholders() -> None:
    m = manifest(app_version="2.3.4", developer_name="Oakfield Primary")
    assert m["id"] == m["bots"][0]["botId"] == APP_ID
    assert m["version"] == "2.3.4"
    assert m["developer"] == {
        "name": "Oakfield Primary",
        "websiteUrl": ENV["SENBOT_WEBSITE_URL"],
        "privacyUrl": ENV["SENBOT_PRIVACY_URL"],
        "termsOfUseUrl": ENV["SENBOT_TERMS_URL"],
    }
    assert m["validDomains"] == ["senbot.oakfield.example"]
    assert m["accentColor"] == icons.ACCENT
    assert packaging.check_manifest(m) == []


def test_a_separate_teams_app_id_is_used_for_the_app_not_the_bot() -> None:
    other = "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee"
    m = manifest(teams_app_id=other)
    assert m["id"] == other and m["bots"][0]["botId"] == APP_ID


def test_personal_scope_comes_first() -> None:
    assert manifest()["bots"][0]["scopes"] == ["personal", "team", "groupChat"]


def test_the_command_lists_are_the_routers_commands() -> None:
    routes = build_router().menu_commands()
    lists = {tuple(e["scopes"]): e["commands"] for e in manifest()["bots"][0]["commandLists"]}
    assert lists[("personal",)] == [{"title": r.key, "description": r.summary} for r in routes]
    # In a team or group chat only the commands that show no pupil data are offered.
    shared = lists.get(("team", "groupChat"), [])
    assert shared == [{"title": r.key, "description": r.summary} for r in routes if not r.personal_only]
    assert all(not r.personal_only for r in routes if r.key in {c["title"] for c in shared})


def test_pupil_level_commands_are_only_offered_in_the_personal_list() -> None:
    router = router_with(("help", "What I can do"))
    router.command("log", summary="Log an intervention", personal_only=True)(_noop)
    router.command("about", summary="About", personal_only=False)(_noop)
    lists = packaging.command_lists(router.commands())
    assert [c["title"] for c in lists[0]["commands"]] == ["help", "log", "about"]
    assert lists[1] == {
        "scopes": ["team", "groupChat"],
        "commands": [{"title": "about", "description": "About"}],
    }


def test_eleven_commands_are_refused() -> None:
    router = router_with(*((f"c{i}", f"Command {i}") for i in range(11)))
    with pytest.raises(packaging.PackageError, match="11 commands; Teams allows 10"):
        packaging.build(settings(), router.commands(), schema=False)


def test_ten_commands_are_accepted() -> None:
    router = router_with(*((f"c{i}", f"Command {i}") for i in range(10)))
    assert packaging.build(settings(), router.commands(), schema=False).manifest


@pytest.mark.parametrize(
    ("word", "summary", "problem"),
    [
        ("x" * 33, "Fine", "title must be 1 to 32"),
        ("ok", "d" * 129, "description must be 1 to 128"),
        ("ok", "", "description must be 1 to 128"),
    ],
)
def test_command_limits_are_enforced(word: str, summary: str, problem: str) -> None:
    with pytest.raises(packaging.PackageError, match=problem):
        packaging.build(settings(), router_with((word, summary)).commands(), schema=False)


def test_limits_at_the_edge_pass() -> None:
    router = router_with(("x" * 32, "d" * 128))
    assert packaging.build(settings(), router.commands(), schema=False)


@pytest.mark.parametrize("app_id", ["app", "00000000-0000-0000-0000-000000000000", APP_ID + "0"])
def test_ids_must_be_guids(app_id: str) -> None:
    with pytest.raises(packaging.PackageError, match="must be a GUID"):
        packaging.build(settings(app_id=app_id), build_router().menu_commands(), schema=False)


def test_missing_settings_are_each_named() -> None:
    bare = Settings(app_id=APP_ID, app_password="s", tenant_id="t")
    with pytest.raises(packaging.PackageError) as err:
        packaging.build_manifest(bare, build_router().menu_commands())
    named = " ".join(err.value.problems)
    for name in ("SENBOT_PUBLIC_HOST", "SENBOT_WEBSITE_URL", "SENBOT_PRIVACY_URL", "SENBOT_TERMS_URL"):
        assert name in named


def test_a_placeholder_left_in_the_template_is_caught(tmp_path: Path) -> None:
    template = json.loads(packaging.TEMPLATE.read_text())
    template["name"]["full"] = None
    path = tmp_path / "manifest.json"
    path.write_text(json.dumps(template))
    m = packaging.build_manifest(settings(), build_router().menu_commands(), template=path)
    assert packaging.check_manifest(m) == ["name.full was left unfilled in the template"]


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("SENBOT_PUBLIC_HOST", "https://senbot.example"),
        ("SENBOT_PUBLIC_HOST", "senbot.example:443"),
        ("SENBOT_PUBLIC_HOST", "senbot.example/api"),
        ("SENBOT_PRIVACY_URL", "http://oakfield.example/privacy"),
        ("SENBOT_TERMS_URL", "oakfield.example/terms"),
        ("SENBOT_APP_VERSION", "1.0"),
        ("SENBOT_APP_VERSION", "v1.0.0"),
        ("SENBOT_DEVELOPER_NAME", "x" * 33),
    ],
)
def test_bad_package_settings_stop_the_start_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, name: str, value: str
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError, match=name):
        load_settings()


# --- the icons ---


def _open(data: bytes) -> Image.Image:
    img = Image.open(io.BytesIO(data))
    img.load()
    return img


def test_the_colour_icon_is_192_square_in_the_accent_colour() -> None:
    img = _open(icons.color_icon()).convert("RGBA")
    assert _open(icons.color_icon()).format == "PNG" and img.size == (192, 192)
    accent = tuple(int(icons.ACCENT[i : i + 2], 16) for i in (1, 3, 5)) + (255,)
    assert img.getpixel((20, 96)) == accent  # the tile, left of the mark
    assert img.getpixel((100, 140)) == (255, 255, 255, 255)  # the staircase
    assert img.getpixel((0, 0))[3] == 0  # the rounded corner


def test_the_outline_icon_is_32_square_white_on_transparent() -> None:
    img = _open(icons.outline_icon())
    assert img.format == "PNG" and img.size == (32, 32) and img.mode == "RGBA"
    data = img.tobytes()
    pixels = [(tuple(data[i : i + 3]), data[i + 3]) for i in range(0, len(data), 4)]
    assert {rgb for rgb, _a in pixels} == {(255, 255, 255)}
    opaque = sum(1 for _rgb, a in pixels if a == 255)
    clear = sum(1 for _rgb, a in pixels if a == 0)
    assert opaque > 100 and clear > 400  # a shape, and a transparent background around it
    assert img.getpixel((0, 0))[3] == 0 and img.getpixel((31, 0))[3] == 0


def test_the_icons_are_the_same_bytes_every_time() -> None:
    assert icons.color_icon() == icons.color_icon()
    assert icons.outline_icon() == icons.outline_icon()


def _png(img: Image.Image) -> bytes:
    out = io.BytesIO()
    img.save(out, format="PNG")
    return out.getvalue()


def test_the_icon_checks_can_fail() -> None:
    wrong_size = _png(Image.new("RGBA", (100, 100), (0, 0, 0, 255)))
    grey = _png(Image.new("RGBA", (32, 32), (128, 128, 128, 255)))
    problems = packaging.check_icons(wrong_size, grey)
    assert any("color.png must be a 192×192" in p for p in problems)
    assert "outline.png may contain only white pixels" in problems
    assert "outline.png must have a transparent background" in problems
    no_alpha = _png(Image.new("RGB", (32, 32), (255, 255, 255)))
    assert "outline.png must have an alpha channel" in packaging.check_icons(icons.color_icon(), no_alpha)
    assert packaging.check_icons(icons.color_icon(), icons.outline_icon()) == []


# --- the zip and the command ---


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    monkeypatch.chdir(tmp_path)  # no stray .env
    for name, value in ENV.items():
        monkeypatch.setenv(name, value)
    return tmp_path


def test_senbot_package_writes_the_zip_teams_accepts(env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = env / "dist" / "senbot-teams.zip"
    assert main(["package", "--out", str(out)]) == 0
    with zipfile.ZipFile(out) as zf:
        assert sorted(zf.namelist()) == ["color.png", "manifest.json", "outline.png"]
        written = json.loads(zf.read("manifest.json"))
        assert zf.read("color.png") == icons.color_icon()
        assert zf.read("outline.png") == icons.outline_icon()
    assert written == manifest()
    assert validate_manifest(written)["ok"]
    assert "checked against the Teams schema" in capsys.readouterr().err


def test_the_package_is_reproducible(env: Path) -> None:
    assert main(["package", "--out", "a.zip"]) == 0
    assert main(["package", "--out", "b.zip"]) == 0
    assert (env / "a.zip").read_bytes() == (env / "b.zip").read_bytes()


def test_senbot_package_without_a_privacy_url_writes_nothing(
    env: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("SENBOT_PRIVACY_URL")
    assert main(["package", "--out", "senbot-teams.zip"]) == 2
    assert "SENBOT_PRIVACY_URL is required" in capsys.readouterr().err
    assert not (env / "senbot-teams.zip").exists()


def test_senbot_package_without_secrets_is_a_config_error(
    env: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("SENBOT_APP_PASSWORD")
    assert main(["package"]) == 2
    assert "SENBOT_APP_PASSWORD" in capsys.readouterr().err
    assert list(env.iterdir()) == []


def test_a_manifest_failing_the_schema_is_not_written(env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    validate_manifest({})  # skips (or fails under CI) without Node, like every schema test
    template = json.loads(packaging.TEMPLATE.read_text())
    template["name"]["short"] = "s" * 31  # the schema allows 30
    path = env / "template.json"
    path.write_text(json.dumps(template))
    assert main(["package", "--out", "senbot-teams.zip", "--template", str(path)]) == 1
    assert "schema:" in capsys.readouterr().err
    assert not (env / "senbot-teams.zip").exists()


def test_a_failed_write_keeps_the_old_package(env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = env / "senbot-teams.zip"
    out.write_bytes(b"old")

    def boom(_package: packaging.Package) -> bytes:
        raise OSError("disk full")

    monkeypatch.setattr(packaging, "zip_bytes", boom)
    with pytest.raises(OSError, match="disk full"):
        main(["package", "--out", str(out)])
    assert out.read_bytes() == b"old" and [p.name for p in env.iterdir()] == ["senbot-teams.zip"]
