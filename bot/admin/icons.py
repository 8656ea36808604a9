"""The app's two Teams icons, drawn in code.

Why in code: no binary is committed and nothing is copied from elsewhere; the package build draws them,
byte for byte the same every time (a test checks), so a package built twice is the same package.

The mark is a staircase of four steps, one for each stage of the graduated approach (Assess, Plan,
Do, Review), with a child on the top step, in white on a calm teal rounded square. The outline icon is
the same mark, white on transparent, as Teams asks (only white pixels, their alpha carrying the shape).
"""

from __future__ import annotations

import io

from PIL import Image, ImageDraw

# The teal of the colour icon; the manifest's accentColor is the same, so the tile and icon match.
ACCENT = "#2B7A78"
COLOR_SIZE = 192
OUTLINE_SIZE = 32
WHITE = (255, 255, 255)
# Drawn this many times larger, then reduced: smooth edges without depending on a font or a renderer.
_SCALE = 8


def _steps(draw: ImageDraw.ImageDraw, size: int, margin: float, fill: int | tuple[int, ...]) -> None:
    """A four-step staircase rising to the right, with a dot (the child) on the top step.

    Drawn inside `margin` (a fraction of `size`) on each side.
    """
    left, right = margin * size, (1 - margin) * size
    bottom, top = (1 - margin) * size, margin * size
    span = right - left
    width = span / 4
    tread = (bottom - top) * 0.17
    radius = width * 0.18
    for i in range(4):
        # Each step is a column from the floor; neighbours overlap so the staircase reads as one shape.
        x0 = left + i * width
        step_top = bottom - tread * (i + 1) - (bottom - top) * 0.02
        x1 = right if i == 3 else x0 + width + radius
        draw.rounded_rectangle(
            (x0, step_top, x1, bottom),
            radius=radius,
            fill=fill,
            # Only the outer corners are round; inner ones would show as notches between steps.
            corners=(True, i == 3, i == 3, i == 0),
        )
    dot = width * 0.36
    cx, cy = right - width / 2, bottom - tread * 4 - (bottom - top) * 0.02 - dot * 1.35
    draw.ellipse((cx - dot, cy - dot, cx + dot, cy + dot), fill=fill)


def _png(image: Image.Image) -> bytes:
    out = io.BytesIO()
    # No timestamps or text chunks are written, so the bytes depend only on the pixels.
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()


def color_icon() -> bytes:
    """192×192 full colour: white steps on a teal rounded square (transparent corners)."""
    big = COLOR_SIZE * _SCALE
    image = Image.new("RGBA", (big, big), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.rounded_rectangle((0, 0, big - 1, big - 1), radius=big * 0.22, fill=ACCENT)
    _steps(draw, big, 0.22, (*WHITE, 255))
    return _png(image.resize((COLOR_SIZE, COLOR_SIZE), Image.Resampling.LANCZOS))


def outline_icon() -> bytes:
    """32×32 white on transparent: every pixel is white, the alpha channel alone draws the steps."""
    big = OUTLINE_SIZE * _SCALE
    mask = Image.new("L", (big, big), 0)
    _steps(ImageDraw.Draw(mask), big, 0.12, 255)
    # Reducing the mask (not an RGBA image) keeps the colour pure white at every partly covered edge.
    alpha = mask.resize((OUTLINE_SIZE, OUTLINE_SIZE), Image.Resampling.BOX)
    image = Image.new("RGBA", (OUTLINE_SIZE, OUTLINE_SIZE), (*WHITE, 0))
    image.putalpha(alpha)
    return _png(image)
