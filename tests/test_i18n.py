"""Russian by default, English beside it: the catalogue is complete and compiled."""
from pathlib import Path

from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

TRANSLATIONS = Path(__file__).resolve().parent.parent / "translations"
PO = TRANSLATIONS / "en" / "LC_MESSAGES" / "messages.po"
MO = TRANSLATIONS / "en" / "LC_MESSAGES" / "messages.mo"


def test_every_english_message_is_translated_and_compiled():
    with PO.open("rb") as handle:
        catalog = read_po(handle)
    with MO.open("rb") as handle:
        compiled = read_mo(handle)
    missing = [m.id for m in catalog if m.id and not m.string]
    assert missing == [], f"untranslated: {missing[:5]}"
    stale = [m.id for m in catalog if m.id and (compiled.get(m.id) is None
                                                or compiled.get(m.id).string != m.string)]
    assert stale == [], f"messages.mo is older than messages.po: run make translations ({stale[:3]})"


def test_language_switch_shows_english_and_back(client, event):
    assert "Присоединиться" in client.get("/").get_data(as_text=True)
    client.post("/lang/en", data={"next": "/"})
    english = client.get("/").get_data(as_text=True)
    assert 'lang="en"' in english and "Join" in english and "Присоединиться" not in english
    client.post("/lang/ru", data={"next": "/"})
    assert 'lang="ru"' in client.get("/").get_data(as_text=True)


def test_unknown_language_is_ignored(client, event):
    client.post("/lang/xx", data={"next": "https://evil.example/"})
    response = client.get("/")
    assert 'lang="ru"' in response.get_data(as_text=True)


def test_no_message_is_in_the_catalogue_twice():
    """Branches append to the catalogue; a message added twice keeps only one translation
    (silently the last), so one Russian word with two meanings needs two messages."""
    import re

    text = PO.read_text(encoding="utf-8")
    keys = re.findall(r'^(?:msgctxt (".*")\n)?msgid ((?:".*"\n)+)msgstr', text, re.M)
    keys = [key for key in keys if key[1] != '""\n']
    repeated = sorted({key[1].strip() for key in keys if keys.count(key) > 1})
    assert repeated == []
