"""Russian typography shared by the screens' texts and the downloads."""
import re

NBSP = "\u00a0"

_DASH = re.compile(r"[ \t\u00a0]+(?:-|–|—|--)[ \t\u00a0]+")
_LEADING_DASH = re.compile(r"^(?:-|–|--)[ \t]+", re.MULTILINE)
_OPENING = re.compile(r'(^|[\s(\[{\u00a0«„/-])"')


def typograph(text: str) -> str:
    """Russian typography: «ёлочки» with „лапки“ inside, an em dash with a non-breaking space
    before it, so the dash never starts a line."""
    if not text:
        return ""
    if "-" in text or "–" in text or "—" in text:  # the regexes only where they can match
        text = _DASH.sub(f"{NBSP}— ", text)
        text = _LEADING_DASH.sub("— ", text)
    if '"' in text:
        text = _OPENING.sub(r"\1«", text).replace('"', "»")
    return nest_quotes(text)


def nest_quotes(text: str) -> str:
    """Quotes inside quotes become „лапки“, as Russian typesetting asks."""
    if text.count("«") < 2:  # no quote can be inside another (the draft's common case)
        return text
    out, depth = [], 0
    for char in text:
        if char == "«":
            depth += 1
            out.append("„" if depth > 1 else char)
        elif char == "»" and depth > 0:
            out.append("“" if depth > 1 else char)
            depth -= 1
        else:
            out.append(char)
    return "".join(out)
