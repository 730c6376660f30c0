"""Text colours of the stylesheet meet WCAG AA (4.5:1) on the backgrounds they are used on."""
import re
from pathlib import Path

import pytest

CSS = (Path(__file__).resolve().parent.parent / "static" / "css" / "app.css").read_text()
VARIABLES = dict(re.findall(r"--([\w-]+):\s*(#[0-9a-fA-F]{6}\b|#[0-9a-fA-F]{3}\b)", CSS))


def colour(value: str) -> str:
    value = VARIABLES[value[2:]] if value.startswith("--") else value
    if len(value) == 4:  # #fff → #ffffff
        value = "#" + "".join(ch * 2 for ch in value[1:])
    return value


def luminance(hex_colour: str) -> float:
    channels = [int(hex_colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(text: str, background: str) -> float:
    high, low = sorted((luminance(colour(text)), luminance(colour(background))), reverse=True)
    return (high + 0.05) / (low + 0.05)


PAIRS = [
    ("--ink", "--bg"), ("--ink", "--card"), ("--muted", "--card"), ("--muted", "--bg"),
    ("--accent", "--card"), ("--accent-ink", "--accent"), ("--accent", "--accent-soft"),
    ("--ok", "#e3f3e7"), ("--danger", "#f6e9e8"), ("--warn", "#fff4d6"),
    ("#ffffff", "--ok"), ("#ffffff", "--danger"), ("--ink", "#eef1f5"),
    ("--danger", "--card"),
]


@pytest.mark.parametrize("text, background", PAIRS)
def test_text_colours_meet_aa(text, background):
    assert contrast(text, background) >= 4.5, f"{text} on {background}: {contrast(text, background):.2f}"


def test_the_colours_checked_are_the_stylesheet_ones():
    assert {"ink", "muted", "accent", "ok", "danger", "warn", "bg", "card"} <= set(VARIABLES)
    for _, background in PAIRS:
        if background.startswith("#") and background != "#ffffff":
            assert background in CSS, f"{background} is no longer used in app.css"
