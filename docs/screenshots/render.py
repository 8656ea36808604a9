"""Render the bot's main cards to PNGs for the README, with Microsoft's own renderer in headless Chromium.

Why this way: a screenshot drawn by hand drifts from what the bot really sends. Here the cards come from
the project's card builders, are rendered by the `adaptivecards` npm package (the renderer Teams' web
client is built on; tests/node/node_modules, installed by `make test`) with a Teams-like host config, and
are photographed by Chromium. Run it again after changing a card:

    .venv/bin/python docs/screenshots/render.py            # writes docs/screenshots/<name>.png

It needs `chromium` (Debian package) and `npm ci` in tests/node. Nothing is fetched from the network.
To add a card, return it from `cards_to_render()`.
"""

from __future__ import annotations

import argparse
import html
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from PIL import Image, ImageChops

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from bot.flows import build_router  # noqa: E402
from cards.help import CommandLine, help_card, not_in_directory_card, welcome_card  # noqa: E402

OUT = Path(__file__).resolve().parent
RENDERER = ROOT / "tests" / "node" / "node_modules" / "adaptivecards" / "dist" / "adaptivecards.js"
WIDTH = 520
BACKGROUND = "#F5F5F5"  # Teams' light chat background, so the white card reads as a card

# Teams' light theme, approximately: Segoe UI where present (Liberation Sans otherwise), Teams' purple
# for links and actions, its spacing.
HOST_CONFIG: dict[str, Any] = {
    "fontFamily": "'Segoe UI', 'Helvetica Neue', 'Liberation Sans', Arial, sans-serif",
    "spacing": {"small": 4, "default": 8, "medium": 16, "large": 20, "extraLarge": 24, "padding": 16},
    "separator": {"lineThickness": 1, "lineColor": "#E1DFDD"},
    "supportsInteractivity": True,
    "fontSizes": {"small": 12, "default": 14, "medium": 14, "large": 18, "extraLarge": 24},
    "fontWeights": {"lighter": 300, "default": 400, "bolder": 600},
    "containerStyles": {
        "default": {
            "backgroundColor": "#FFFFFF",
            "foregroundColors": {
                "default": {"default": "#242424", "subtle": "#616161"},
                "accent": {"default": "#6264A7", "subtle": "#8B8CC7"},
                "good": {"default": "#237B4B", "subtle": "#4F9C73"},
                "warning": {"default": "#835C00", "subtle": "#A8833A"},
                "attention": {"default": "#C4314B", "subtle": "#D1636F"},
            },
        },
        "emphasis": {
            "backgroundColor": "#F5F5F5",
            "foregroundColors": {"default": {"default": "#242424", "subtle": "#616161"}},
        },
    },
    "actions": {
        "maxActions": 6,
        "spacing": "default",
        "buttonSpacing": 8,
        "showCard": {"actionMode": "inline", "inlineTopMargin": 16},
        "actionsOrientation": "horizontal",
        "actionAlignment": "left",
    },
    "factSet": {
        "title": {"weight": "bolder", "size": "default", "color": "default", "wrap": True, "maxWidth": 150},
        "value": {"weight": "default", "size": "default", "color": "default", "wrap": True},
        "spacing": 12,
    },
}

CSS = """
body { margin: 0; padding: 16px; background: BACKGROUND; width: WIDTHpx; }
#card { background: #fff; border-radius: 6px; box-shadow: 0 1px 3px rgba(0,0,0,.15); overflow: hidden; }
.ac-pushButton { font: 600 14px 'Segoe UI', 'Liberation Sans', sans-serif; color: #242424; background: #fff;
  border: 1px solid #D1D1D1; border-radius: 4px; padding: 6px 16px; min-height: 32px; }
.ac-pushButton.style-positive { background: #5B5FC7; color: #fff; border-color: #5B5FC7; }
.ac-pushButton.style-destructive { color: #C4314B; }
.ac-input { font: 14px 'Segoe UI', 'Liberation Sans', sans-serif; border: 1px solid #D1D1D1;
  border-radius: 4px; padding: 5px 8px; }
"""


def cards_to_render() -> dict[str, dict[str, Any]]:
    """Every card shown in the README: file name → card, built with the project's own builders."""
    commands = [CommandLine(r.usage, r.summary) for r in build_router().commands()]
    return {
        "welcome": welcome_card(
            name="Alex Wilber",
            roles=["admin", "senco", "teacher"],
            school="Oakfield Primary",
            commands=commands,
        ),
        "help": help_card(commands),
        "not-in-directory": not_in_directory_card(["Alex Wilber", "Megan Bowen"]),
    }


def page(card: dict[str, Any]) -> str:
    css = CSS.replace("BACKGROUND", BACKGROUND).replace("WIDTH", str(WIDTH))
    # The card and host config are JSON values in a script element, never text spliced into markup.
    data = json.dumps({"card": card, "hostConfig": HOST_CONFIG}).replace("</", "<\\/")
    return f"""<!doctype html>
<html><head><meta charset="utf-8"><style>{css}</style>
<script src="{html.escape(RENDERER.as_uri())}"></script></head>
<body><div id="card"></div>
<script type="application/json" id="data">{data}</script>
<script>
  const data = JSON.parse(document.getElementById("data").textContent);
  const card = new AdaptiveCards.AdaptiveCard();
  card.hostConfig = new AdaptiveCards.HostConfig(data.hostConfig);
  card.parse(data.card);
  document.getElementById("card").appendChild(card.render());
</script></body></html>
"""


def screenshot(chromium: str, html_file: Path, png: Path) -> None:
    subprocess.run(
        [
            chromium,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
            "--allow-file-access-from-files",
            f"--window-size={WIDTH + 32},1400",
            f"--screenshot={png}",
            html_file.as_uri(),
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )
    _trim(png)


def _trim(png: Path) -> None:
    """Cut the empty background below the card (the window is taller than any card)."""
    with Image.open(png) as img:
        rgb = img.convert("RGB")
    background = Image.new("RGB", rgb.size, BACKGROUND)
    box = ImageChops.difference(rgb, background).getbbox()
    if box:
        rgb = rgb.crop((0, 0, rgb.width, min(rgb.height, box[3] + 16)))
    rgb.save(png, optimize=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--chromium", default=shutil.which("chromium") or shutil.which("chromium-browser"))
    args = parser.parse_args(argv)
    if not args.chromium:
        print("render: chromium not found (apt-get install chromium)", file=sys.stderr)
        return 2
    if not RENDERER.is_file():
        print(f"render: {RENDERER} missing (run `npm ci` in tests/node)", file=sys.stderr)
        return 2
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        for name, card in cards_to_render().items():
            html_file = Path(tmp) / f"{name}.html"
            html_file.write_text(page(card), encoding="utf-8")
            png = args.out / f"{name}.png"
            screenshot(args.chromium, html_file, png)
            print(f"render: wrote {png}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
