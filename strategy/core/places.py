"""A participant's library and municipality as one line, the place named once: every screen
and download that shows who wrote something uses it («Центральная городская библиотека,
Черемхово», not «…, Черемхово, Черемхово»)."""
import re

#: Words of a municipality's name that say what kind of place it is, not which.
PLACE_KINDS = {"район", "районный", "городской", "город", "округ", "муниципальный",
               "муниципальное", "образование", "поселение", "сельское", "городское", "мо", "г",
               "рп", "пгт", "село", "поселок", "посёлок"}


def names_place(library: str, municipality: str) -> bool:
    """Does the library's name already say where it is? («Центральная городская библиотека,
    Черемхово» and «Черемхово»; «…библиотека Ольхонского района» and «Ольхонский район»)."""
    words = [w for w in re.findall(r"[^\W\d_]+", library.casefold().replace("ё", "е"))]
    place = [w for w in re.findall(r"[^\W\d_]+", municipality.casefold().replace("ё", "е"))
             if w not in PLACE_KINDS and len(w) > 2]
    if not place:
        return municipality.casefold() in library.casefold()

    def found(word: str) -> bool:
        stem = word[:max(3, min(len(word) - 2, 6))]
        return any(w.startswith(stem) for w in words)

    return all(found(word) for word in place)


def place_line(library: str, municipality: str) -> str:
    """Library and municipality without saying the place twice."""
    if library and municipality and names_place(library, municipality):
        return library
    return ", ".join(part for part in (library, municipality) if part)
