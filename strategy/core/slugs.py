"""Slugs for URLs made from Russian titles by transliteration («Гений места» → genij-mesta)."""
import re

# Close to GOST 7.79-2000 system B, simplified for readable URLs (х → h, ц → c, no apostrophes).
CYRILLIC_TO_LATIN = {
    "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "е": "e", "ё": "yo", "ж": "zh", "з": "z",
    "и": "i", "й": "j", "к": "k", "л": "l", "м": "m", "н": "n", "о": "o", "п": "p", "р": "r",
    "с": "s", "т": "t", "у": "u", "ф": "f", "х": "h", "ц": "c", "ч": "ch", "ш": "sh",
    "щ": "shh", "ъ": "", "ы": "y", "ь": "", "э": "e", "ю": "yu", "я": "ya",
}
SLUG_MAX = 80
SLUG_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


def transliterate(text: str) -> str:
    return "".join(CYRILLIC_TO_LATIN.get(ch, ch) for ch in (text or "").lower())


def slugify(text: str, max_length: int = SLUG_MAX) -> str:
    """Lower-case Latin letters, digits and single dashes; '' when nothing readable is left."""
    words = re.findall(r"[a-z0-9]+", transliterate(text))
    slug = ""
    for word in words:
        candidate = f"{slug}-{word}" if slug else word
        if len(candidate) > max_length:
            break
        slug = candidate
    return slug or (words[0][:max_length] if words else "")


def is_valid_slug(slug: str) -> bool:
    return bool(slug) and len(slug) <= SLUG_MAX and bool(SLUG_PATTERN.match(slug))


def unique_slug(base: str, taken: set[str], fallback: str = "item") -> str:
    """base, or base-2, base-3 … when taken."""
    base = base or fallback
    if base not in taken:
        return base
    n = 2
    while f"{base}-{n}"[:SLUG_MAX] in taken:
        n += 1
    return f"{base[:SLUG_MAX - len(str(n)) - 1]}-{n}"
