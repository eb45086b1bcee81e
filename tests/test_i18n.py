"""The message catalogue (bot/locales/*.toml, bot/i18n.py): every shipped language has every key English has,
with the same placeholders; localized names follow Discord's naming rule; lookups fall back as documented.
That every command, option and choice the bot registers is in every language is checked against the real
registration payload in tests/discord/test_languages.py."""

from __future__ import annotations

import fnmatch
import re
import string
from pathlib import Path

import pytest

from bot.i18n import FALLBACK, Catalogue, catalogue, valid_name
from bot.providers.base import Capability

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
    on_demand = Catalogue.load(tmp_path, on_demand=True)  # (the shipped one: the CLI reads English alone)
    assert on_demand.text("es-ES", "hello", name="Ana") == "Hola Ana" and "xx" in on_demand.tables
    with pytest.raises(ValueError, match="unknown tables"):  # a file is held to the same rules when it is read
        on_demand.text("xx", "hello", name="Ana")


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


# --- every key the code says exists; translations keep Discord's markdown -----------------------------------------
SAID = re.compile(
    r"""(?:said\(\s*\w+,\s*|words(?:_for)?\(\s*[\w.()]+,\s*|keyed\(\s*|text\(\s*"en",\s*|phrase\(\s*)"""
    r"""(f?)"([a-z_.{}]+)\""""
)


def keys_in_code() -> set[str]:
    """The message keys the product names literally (an f-string key becomes a pattern: ``media.not_image.*``)."""
    root = Path(__file__).resolve().parent.parent
    found: set[str] = set()
    for path in [*(root / "bot").rglob("*.py"), *(root / "cogs").rglob("*.py")]:
        for is_f, key in SAID.findall(path.read_text(encoding="utf-8")):
            found.add(re.sub(r"\{[^}]*\}", "*", key) if is_f else key)
    return found


def test_every_message_key_the_code_says_is_in_english():
    english = CATALOGUE.tables[FALLBACK]["messages"]
    keys = keys_in_code()
    assert {"prompt.empty", "media.too_big.*", "form.expired", "job.not_owner", "delete.done", "capability.*"} <= keys
    missing = sorted(k for k in keys if not any(fnmatch.fnmatchcase(e, k) for e in english))
    assert not missing, f"en.toml [messages] lacks {missing}"


MARKDOWN = ("`", "**", "](", "/")


@pytest.mark.parametrize("locale", OTHERS)
def test_messages_keep_their_markdown_and_commands(locale):
    english = CATALOGUE.tables[FALLBACK]["messages"]
    commands = re.compile(r"(?<![\w/])/[a-z]+")
    wrong = {
        key: theirs
        for key, theirs in CATALOGUE.tables[locale]["messages"].items()
        if any(english[key].count(mark) != theirs.count(mark) for mark in MARKDOWN[:3])
        or sorted(commands.findall(english[key])) != sorted(commands.findall(theirs))
    }
    assert not wrong, f"{locale}.toml: markdown or /commands differ from English: {wrong}"


def test_said_errors_read_in_english_and_show_in_the_members_language():
    from bot.edge.errors import explain
    from bot.errors import InvalidMedia
    from bot.i18n import said

    error = said(InvalidMedia, "media.not_image.start", filename="a.txt")
    assert error.user_message == "The start frame (a.txt) is not an image: upload a PNG, JPEG, WebP or GIF."
    assert explain(error, "en-GB") == (error.user_message, True)
    assert (
        explain(error, "fr")[0] == "L'image de départ (a.txt) n'est pas une image : envoyez un PNG, JPEG, WebP ou GIF."
    )
    assert explain(error, "es-419")[0].startswith("El fotograma inicial (a.txt)")


@pytest.mark.parametrize("locale", CATALOGUE.locales)
def test_form_and_button_words_fit_discords_limits(locale):
    """A modal's title and a Label's text take 45 characters, a button's label 80, a select's placeholder 150
    (docs, "Component Reference", read 2026-12-06); with a 12-digit job number filled in."""
    messages = CATALOGUE.tables[locale]["messages"]
    shown = [k for k in messages if k.startswith(("form.", "button.", "film.pick", "film.shot"))]
    filled = {key: messages[key].format(id=123456789012, shot=8) for key in shown}
    forms = [k for k in filled if k.startswith("form.") and k not in ("form.expired", "form.not_yours")]
    assert forms and not [k for k in forms if len(filled[k]) > 45]
    buttons = [k for k in filled if k.startswith("button.")]
    assert buttons and not [k for k in buttons if len(filled[k]) + len(" 4/4") > 80]
    assert len(filled["film.pick"]) <= 150 and len(filled["film.shot"]) <= 100
    examples = [text for key, text in messages.items() if key.startswith("example.")]  # a text input's placeholder
    assert examples and not [text for text in examples if len(text) > 100]


def test_a_finish_quotes_notes_read_in_english_and_show_in_the_members_language():
    from bot.i18n import Phrase, in_language
    from bot.providers.finishes import FINISH_MODELS

    notes = [note for entry in FINISH_MODELS.values() for note in entry.makes("4k", 120)[2]]
    assert notes and all(isinstance(note, Phrase) for note in notes)
    english = [in_language("en-US", note) for note in notes]
    assert english == [str(note) for note in notes]  # the English line is the note itself, as before
    german = [in_language("de", note) for note in notes]
    assert all(g != e for g, e in zip(german, english, strict=True))
    assert in_language("de", "plain text") == "plain text"


def test_a_refusal_naming_the_models_that_can_says_the_hint_in_the_members_language():
    from bot.edge.errors import explain
    from bot.errors import InvalidOption
    from bot.i18n import phrase, said

    error = said(InvalidOption, "sequence.silent", model="x:silent", able=phrase("model.try", models="y:loud"))
    assert error.user_message == "x:silent makes silent videos, so `audio:on` cannot be honoured; try y:loud."
    assert explain(error, "fr")[0].endswith("; essayez y:loud.")
    assert explain(error, "de")[0].endswith("; versuch es mit y:loud.")


# --- a model's limits, said deep in the providers, shown in the member's language --------------------------------
def model_refusals() -> list:
    """One of each refusal the registry and a model's limits raise, from the shipped catalogue of models."""
    from bot.errors import VideobotError
    from bot.providers.catalogue import CATALOGUE as MODELS
    from bot.providers.registry import ProviderRegistry

    class Provider:  # the registry reads a provider's name and models, nothing else
        name = "runway"

        def models(self):
            return [entry.info() for key, entry in MODELS.items() if key.startswith("runway:")]

    registry = ProviderRegistry([Provider()])  # type: ignore[list-item]
    gen45, veo = registry.model("runway:gen4.5"), registry.model("runway:veo3.1")
    found: list[VideobotError] = []
    attempts = [
        lambda: registry.choose("runway:gen4_turbo", Capability.TEXT_TO_VIDEO),  # cannot do; try …
        lambda: registry.choose(None, {Capability.LOOP, Capability.FINISH}),  # no model can do a + b
        lambda: registry.model("runway:gen45"),  # did you mean …
        lambda: registry.model("luma:ray-2"),  # not enabled (no key)
        lambda: registry.model("zzzz"),  # unknown, nothing close
        lambda: registry.provider("luma:ray-2"),
        lambda: gen45.check_capabilities(frozenset({Capability.LOOP, Capability.EXTEND})),
        lambda: veo.check_duration(5),
        lambda: gen45.check_aspect("1:1", has_media=False),
        lambda: gen45.check_prompt("x" * (gen45.max_prompt_chars + 1)),
        lambda: gen45.check_prompt("🦊" * gen45.max_prompt_chars),
        lambda: gen45.check_seed(-1),
        lambda: gen45.check_references(gen45.max_references + 1),
    ]
    for attempt in attempts:
        with pytest.raises(VideobotError) as refused:
            attempt()
        found.append(refused.value)
    return found


def test_a_models_limits_read_as_before_in_english_and_differ_in_every_other_language():
    from bot.edge.errors import explain

    refusals = model_refusals()
    english = [error.user_message for error in refusals]
    assert english[0].startswith("runway:gen4_turbo cannot do text-to-video; try ") and "runway:gen4.5" in english[0]
    assert english[1] == ("No enabled model on this bot can do finish + loop; leave out the option that asks for it.")
    assert english[2].startswith("Unknown model 'runway:gen45'. Did you mean runway:gen4.5")
    assert english[6] == "runway:gen4.5 cannot do extend, loop."
    assert english[7] == "runway:veo3.1 makes clips of 4, 6 or 8 seconds, not 5; pick one of those."
    assert "(an emoji counts as 2)" in english[10]
    for error in refusals:
        assert error.message_parts, error.user_message
        assert explain(error, "en-US") == (error.user_message, True)
        for locale in OTHERS:
            said, expected = explain(error, locale)
            assert expected and said != error.user_message, (locale, said)
    french = explain(refusals[0], "fr")[0]
    assert french.startswith("runway:gen4_turbo ne prend pas en charge « texte vers vidéo » ; essayez ")
    assert explain(refusals[7], "ja")[0].startswith("runway:veo3.1 が作るクリップは 4、6 または 8 秒で")


@pytest.mark.parametrize("capability", list(Capability))
def test_every_capability_has_words(capability):
    from bot.i18n import in_language
    from bot.providers.base import capability_phrase

    said = capability_phrase(capability)
    assert str(said) == capability.value  # English: the value, as refusals always named it
    assert in_language("de", said) != capability.value and in_language("ja", said) != capability.value


def test_every_live_job_state_and_fallback_kind_has_words():
    from bot.services.fallback.policy import KINDS
    from storage import JobState

    english = CATALOGUE.tables[FALLBACK]["messages"]
    assert all(english[f"job_state.{state.value}"] == state.value for state in JobState if not state.finished)
    assert all(english[f"health.kind.{kind}"] == kind for kind in KINDS)


def test_what_a_result_came_from_reads_as_before_in_english_and_in_the_members_language():
    from bot.i18n import in_language
    from bot.services.requests import lineage
    from storage import CastUse, Job, JobInputs, JobState

    def job(kind: str, parent: int | None = 12, **inputs: object) -> Job:
        nothing = dict.fromkeys(
            ("provider_task_id", "raw_path", "result_path", "result_url", "error", "error_detail", "message_id"),
        )
        nothing |= dict.fromkeys(("delivered_at", "lease_owner", "lease_expires", "next_attempt_at"))
        nothing |= dict.fromkeys(("started_at", "finished_at"))
        return Job(
            id=20,
            kind=kind,
            state=JobState.DONE,
            owner_id=1,
            guild_id=2,
            channel_id=3,
            model="local:motion",
            spec={},
            inputs=JobInputs(**inputs),  # type: ignore[arg-type]
            delivery={},
            parent_job_id=parent,
            progress=1.0,
            cost_seconds=0.0,
            attempts=1,
            cancel_requested=False,
            created_at=0.0,
            updated_at=0.0,
            **nothing,  # type: ignore[arg-type]
        )

    cast = (CastUse(1, "Mara", ()), CastUse(2, "Teo", ()), CastUse(3, "Ana", ()))
    said = {
        "stitch of #3 + #5": lineage.describe(job("stitch", None, source_jobs=(3, 5))),
        "shot 2/4 of film #12": lineage.describe(job("shot", shot=2, of=4)),
        "film of 4 shots, a new version of #12": lineage.describe(job("sequence", of=4)),
        "variation 1/3 of #12": lineage.describe(job("variation", variation=1, of=3)),
        "refined from #12": lineage.describe(job("refine")),
        "from #12": lineage.describe(job("something new")),
        "with Mara, Teo and Ana": lineage.with_cast(job("video", None, cast=cast)),
    }
    assert {english: str(line) for english, line in said.items()} == {english: english for english in said}
    for locale in OTHERS:
        assert all(in_language(locale, line) != english for english, line in said.items()), locale
    assert in_language("fr", said["refined from #12"]) == "affiné à partir de #12"
    assert in_language("ja", said["with Mara, Teo and Ana"]) == "出演:Mara、TeoとAna"


def test_a_failed_jobs_notice_keeps_its_words_for_the_members_language():
    from bot.errors import VideobotError
    from bot.i18n import Phrase, in_language, said, told

    keyed = said(VideobotError, "notice.film_no_shot")
    notice = told(keyed)
    assert isinstance(notice, Phrase) and notice == keyed.user_message
    assert in_language("pt-BR", notice) == CATALOGUE.text("pt-BR", "notice.film_no_shot") != notice
    plain = VideobotError("Runway said no.")  # a provider's own words: as they are, in every language
    assert told(plain) == "Runway said no." and in_language("ja", told(plain)) == "Runway said no."
