"""Colours derived from the palette, readable on it: WCAG contrast, and message colours that reach 4.5:1 on light
and dark palettes alike (a fixed red is unreadable on a dark one)."""

from __future__ import annotations

from PySide6.QtGui import QColor, QPalette

MIN_CONTRAST = 4.5  # WCAG AA for normal text

LEVELS = ("info", "success", "error")
HUES = {"success": 130, "error": 0}  # green, red


def luminance(colour: QColor) -> float:
    """WCAG relative luminance."""

    def linear(channel: float) -> float:
        return channel / 12.92 if channel <= 0.04045 else ((channel + 0.055) / 1.055) ** 2.4

    return 0.2126 * linear(colour.redF()) + 0.7152 * linear(colour.greenF()) + 0.0722 * linear(colour.blueF())


def contrast(first: QColor, second: QColor) -> float:
    light, dark = sorted((luminance(first), luminance(second)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def readable(hue: int, background: QColor, minimum: float = MIN_CONTRAST) -> QColor:
    """A saturated colour of `hue`, as light (on dark backgrounds) or dark (on light ones) as needed to reach
    `minimum` contrast against `background`."""
    dark_background = luminance(background) < 0.18
    for step in range(0, 101, 2):
        lightness = 0.5 + step / 200 if dark_background else 0.5 - step / 200
        colour = QColor.fromHslF(hue / 360, 0.75, lightness)
        if contrast(colour, background) >= minimum:
            return colour
    return QColor("white") if dark_background else QColor("black")


def message_colour(level: str, palette: QPalette) -> QColor:
    """Text colour of a status message: the palette's own text for information, a readable green or red."""
    background = palette.color(QPalette.ColorRole.Window)
    if level not in HUES:
        return palette.color(QPalette.ColorRole.WindowText)
    return readable(HUES[level], background)


# Kaggle fashion catalogue colour names (styles.csv baseColour) → swatch; other names go through QColor.
SWATCHES = {
    "beige": "#e8d9b5",
    "bronze": "#a6713a",
    "burgundy": "#7a1f32",
    "charcoal": "#36454f",
    "coffee brown": "#5b3a29",
    "copper": "#b56a3b",
    "cream": "#fff7da",
    "fluorescent green": "#5dff3b",
    "grey melange": "#a8a8a8",
    "khaki": "#c3b091",
    "lime green": "#8cd33f",
    "mauve": "#b784a7",
    "metallic": "#aaa9ad",
    "mushroom brown": "#8f7b69",
    "mustard": "#d9a514",
    "navy blue": "#1f2a5c",
    "nude": "#e3bc9a",
    "off white": "#f4f1e8",
    "peach": "#ffcba4",
    "rose": "#e8a0b0",
    "rust": "#b7410e",
    "sea green": "#2e8b57",
    "skin": "#e8c0a0",
    "steel": "#7b8a98",
    "taupe": "#8b7d6b",
    "turquoise blue": "#30c5d2",
}


def swatch(name: str) -> QColor | None:
    """The colour a colour name stands for, or None (e.g. "Multi")."""
    key = name.strip().casefold()
    if key in SWATCHES:
        return QColor(SWATCHES[key])
    compact = key.replace(" ", "")
    if QColor.isValidColorName(compact):
        return QColor(compact)
    return None
