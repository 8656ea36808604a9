"""The layout holds: the import contracts catch a forbidden import, and the README's map matches the tree.

Why these run lint-imports on a copy: a contract that cannot fail proves nothing, so each case adds one
forbidden import to a copy of the packages and expects that contract, by name, to break.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")
PACKAGES = ("bot", "cards", "storage")


def _contracts() -> dict[str, dict[str, object]]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    return {c["name"]: c for c in config["tool"]["importlinter"]["contracts"]}


def _lint_imports(where: Path) -> subprocess.CompletedProcess[str]:
    # PYTHONPATH first, so the copy is analysed and not the installed (editable) packages.
    env = {**os.environ, "PYTHONPATH": str(where)}
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"],
        cwd=where,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture
def copy(tmp_path: Path) -> Path:
    for package in PACKAGES:
        shutil.copytree(ROOT / package, tmp_path / package, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    shutil.copy(ROOT / "app.py", tmp_path / "app.py")
    return tmp_path


def test_the_contracts_hold_on_the_tree_as_it_is(copy: Path) -> None:
    done = _lint_imports(copy)
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"Contracts: {len(_contracts())} kept, 0 broken." in done.stdout


@pytest.mark.parametrize(
    ("module", "forbidden", "contract"),
    [
        ("cards/common.py", "import bot.settings", "cards and storage never import bot"),
        ("storage/models.py", "import cards.texts", "storage never imports cards"),
        ("bot/jobs/outbox.py", "import app", "nothing imports the top-level app (it only wires)"),
        ("bot/turn/forms.py", "import botbuilder.schema", "only bot.teams imports the Teams SDK"),
        ("bot/flows/help.py", "import bot.flows.roles", "flows never import each other"),
        (
            "bot/rules/policy.py",
            "import bot.turn.core",
            "bot's packages in layers, each importing only those below it",
        ),
        ("cards/verbs.py", "import cards.help", "no import cycles between sibling modules"),
    ],
)
def test_a_forbidden_import_breaks_its_contract(
    copy: Path, module: str, forbidden: str, contract: str
) -> None:
    assert contract in _contracts()
    target = copy / module
    target.write_text(target.read_text(encoding="utf-8") + f"\n{forbidden}\n", encoding="utf-8")
    done = _lint_imports(copy)
    assert done.returncode == 1, done.stdout + done.stderr
    # The named contract breaks (a layer breach may also make a cycle; the tree as it is breaks none).
    assert f"{contract} BROKEN" in done.stdout, done.stdout


def _parts_of_bot() -> set[str]:
    """Every package and top-level module under bot/, as `bot/name/` or `bot/name.py`."""
    parts = set()
    for entry in (ROOT / "bot").iterdir():
        if entry.is_dir() and (entry / "__init__.py").exists():
            parts.add(f"bot/{entry.name}/")
        elif entry.suffix == ".py" and entry.name != "__init__.py":
            parts.add(f"bot/{entry.name}")
    return parts


def test_every_part_of_bot_but_the_seam_is_refused_the_sdk() -> None:
    sources = set(_contracts()["only bot.teams imports the Teams SDK"]["source_modules"])  # type: ignore[arg-type]
    expected = {p.removesuffix("/").removesuffix(".py").replace("/", ".") for p in _parts_of_bot()}
    assert sources == (expected - {"bot.teams"}) | {"cards", "storage"}


def _map_of_the_code() -> list[str]:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Map of the code\n", 1)[1].split("\n## ", 1)[0]
    [block] = re.findall(r"```\n(.*?)```", section, flags=re.DOTALL)
    # Each entry starts at the left margin with its path; continuation lines are indented.
    return [line.split()[0] for line in block.splitlines() if line and not line[0].isspace()]


def test_everything_the_readme_map_lists_exists() -> None:
    listed = _map_of_the_code()
    assert listed, "the README has no map of the code"
    missing = [path for path in listed if not (ROOT / path).exists()]
    assert not missing, f"the README's map lists what is not in the tree: {missing}"
    for path in listed:
        assert path.endswith("/") == (ROOT / path).is_dir(), (
            f"{path}: a folder ends with '/', a file does not"
        )


def test_every_part_of_bot_and_every_top_level_folder_is_in_the_readme_map() -> None:
    listed = set(_map_of_the_code())
    expected = _parts_of_bot() | {
        "app.py",
        "cards/",
        "storage/",
        "storage/queries/",
        "storage/migrations/",
        "tests/",
        "benchmarks/",
        "docs/",
        "manifest/",
    }
    assert not expected - listed, f"missing from the README's map: {sorted(expected - listed)}"


def test_every_section_of_docs_design_that_is_cited_exists() -> None:
    headings = {
        line.lstrip("#").strip()
        for line in (ROOT / "docs" / "design.md").read_text(encoding="utf-8").splitlines()
        if line.startswith("#")
    }
    cited: dict[str, str] = {}
    sources = [ROOT / "README.md", ROOT / "app.py"]
    sources += [
        p for folder in ("bot", "cards", "storage", "tests", "docs") for p in (ROOT / folder).rglob("*.py")
    ]
    sources += list((ROOT / "docs").glob("*.md"))
    for source in sources:
        text = source.read_text(encoding="utf-8")
        for name in re.findall(r'docs/design\.md[,:]? "([^"\n]+)"', text):
            cited[name] = str(source.relative_to(ROOT))
    assert cited, "nothing cites docs/design.md by section: the pattern is wrong"
    missing = {name: where for name, where in cited.items() if name not in headings}
    assert not missing, f"cited sections missing from docs/design.md: {missing}"
