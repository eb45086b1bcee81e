"""The message catalogue (bot/locales/*.toml, bot/i18n.py): every shipped language has every key English has,
with the same placeholders; localized names follow Discord's naming rule; lookups fall back as documented.
That every command, option and choice the bot registers is in every language is checked against the real
registration payload in tests/discord/test_languages.py."""

from __future__ import annotations

import string

import pytest

from bot.i18n import FALLBACK, Catalogue, catalogue, valid_name

SHIPPED = ["de", "en", "es-ES", "fr", "ja", "pt-BR"]
CATALOGUE = catalogue()
OTHERS = [locale for locale in CATALOGUE.locales if locale != FALLBACK]


def placeholders(template: str) -> set[str]:
    return {field for _, field, _, _ in string.Formatter().parse(template) if field}


def test_the_languages_the_issue_asks_for_are_shipped():
    assert sorted(CATALOGUE.locales) == SHIPPED


@pytest.mark.parametrize("locale", OTHERS)
@pytest.mark.parametrize("section", ["names", "menus", "descriptions", "choices", "messages"])
def test_every_english_key_is_in_every_language(locale, section):
    english, theirs = CATALOGUE.tables[FALLBACK][section], CATALOGUE.tables[locale][section]
    missing = sorted(set(english) - set(theirs))
    extra = sorted(set(theirs) - set(english))
    assert not missing, f"{locale}.toml [{section}] lacks {missing}"
    assert not extra, f"{locale}.toml [{section}] has keys English does not: {extra}"
    empty = [key for key, value in theirs.items() if not value.strip()]
    assert not empty, f"{locale}.toml [{section}] leaves {empty} empty"


@pytest.mark.parametrize("locale", OTHERS)
def test_messages_keep_their_placeholders(locale):
    english = CATALOGUE.tables[FALLBACK]["messages"]
    wrong = {
        key: (placeholders(english[key]), placeholders(text))
        for key, text in CATALOGUE.tables[locale]["messages"].items()
        if placeholders(text) != placeholders(english[key])
    }
    assert not wrong, f"{locale}.toml: placeholders differ from English: {wrong}"


@pytest.mark.parametrize("locale", CATALOGUE.locales)
def test_names_follow_discords_rule_and_lengths_fit(locale):
    table = CATALOGUE.tables[locale]
    assert not [n for n in table["names"].values() if not valid_name(n)], "lowercase, no spaces, 1-32 characters"
    assert not [d for d in table["descriptions"].values() if not 1 <= len(d) <= 100]
    assert not [c for c in table["choices"].values() if not 1 <= len(c) <= 100]
    assert not [m for m in table["menus"].values() if not 1 <= len(m) <= 32]  # a context menu's name may have spaces


def test_discords_naming_rule():
    assert valid_name("vidéo") and valid_name("image_finale") and valid_name("動画") and valid_name("bande-son")
    for bad in ("Video", "end image", "", "x" * 33, "a/b", "what?"):
        assert not valid_name(bad), bad


def test_lookup_falls_back_to_the_same_language_then_english(tmp_path):
    (tmp_path / "en.toml").write_text('[messages]\n"hello" = "Hello {name}"\n"bye" = "Bye"\n', encoding="utf-8")
    (tmp_path / "es-ES.toml").write_text('[messages]\n"hello" = "Hola {name}"\n', encoding="utf-8")
    words = Catalogue.load(tmp_path)
    assert words.text("es-ES", "hello", name="Ana") == "Hola Ana"
    assert words.text("es-419", "hello", name="Ana") == "Hola Ana"  # no file of its own: the same language
    assert words.text("es-ES", "bye") == "Bye"  # missing in Spanish: English
    assert words.text("ko", "hello", name="Min") == "Hello Min"  # no such language: English
    with pytest.raises(KeyError):
        words.text("en-US", "nope")
    (tmp_path / "xx.toml").write_text('[commands]\n"a" = "b"\n', encoding="utf-8")
    with pytest.raises(ValueError, match="unknown tables"):
        Catalogue.load(tmp_path)


# --- the core's refusals, said in catalogue words ------------------------------------------------------------------
def refusals(make_settings) -> list:
    from bot.errors import JobNotFound, NotJobOwner
    from bot.services.money.quota import QuotaService
    from storage import QuotaRefused, Usage

    now = 1_800_000_000.0
    quota = QuotaService(None, make_settings(), clock=lambda: now)  # type: ignore[arg-type]  # words only
    used = Usage(used=50.0, oldest_at=now - 3600, entries=((now - 3600, 50.0),))
    return [
        quota.refusal(QuotaRefused("user", used, 60.0), 20.0),  # frees up later
        quota.refusal(QuotaRefused("user", used, 60.0), 90.0),  # more than the whole limit
        quota.refusal(QuotaRefused("guild", used, 60.0), 20.0),
        quota.refusal(QuotaRefused("queue", Usage(used=10, oldest_at=None), 10), 5.0),
        JobNotFound("There is no job #12.").keyed("job.not_found", id=12),
        NotJobOwner("Job #12 belongs to someone else.").keyed("job.not_owner", id=12),
    ]


def test_keyed_refusals_read_the_same_in_english_and_differ_in_other_languages(make_settings):
    from bot.edge.errors import explain

    for error in refusals(make_settings):
        assert error.message_parts, error
        assert explain(error, "en-US") == (error.user_message, True)
        for locale in OTHERS:
            text, expected = explain(error, locale)
            assert expected and text != error.user_message, (locale, text)
    french = [explain(error, "fr")[0] for error in refusals(make_settings)]
    assert french[0].startswith("Quota insuffisant : il vous reste 10 s de vidéo") and "Assez se libère" in french[0]
    assert french[-1] == "Le travail n° 12 appartient à quelqu'un d'autre."
