"""The prompt builder and its validation messages."""

import pytest

from bot.errors import InvalidOption, InvalidPrompt
from bot.prompt import CAMERA_MOVES, STYLES, PromptSpec, clean_text


def test_parts_are_assembled_in_order_with_expanded_phrases():
    spec = PromptSpec.create(
        "a golden retriever running through a field of sunflowers",
        camera="tracking",
        style="cinematic",
        lighting="golden hour",
        setting="at the farm",
        details="4k",
    )
    assert spec.text() == (
        "a golden retriever running through a field of sunflowers, at the farm, "
        "tracking shot, following subject, cinematic, film grain, shallow depth of field, "
        "golden hour lighting, 4k"
    )


def test_every_camera_move_and_style_named_in_the_spec_exists():
    assert set(CAMERA_MOVES) == {
        "static",
        "pan_left",
        "pan_right",
        "dolly_in",
        "dolly_out",
        "tracking",
        "crane",
        "handheld",
        "drone",
        "orbit",
    }
    assert set(STYLES) == {"cinematic", "documentary", "commercial", "artistic", "anime", "realistic"}


@pytest.mark.parametrize("text", ["", "   ", "\u200b\u200b", "\n\t"])
def test_empty_prompts_are_refused(text):
    with pytest.raises(InvalidPrompt, match="empty"):
        PromptSpec.create(text)


def test_emoji_only_prompt_asks_for_words():
    with pytest.raises(InvalidPrompt, match="words"):
        PromptSpec.create("🐶🌻🔥")


def test_too_long_prompt_says_the_limit():
    with pytest.raises(InvalidPrompt, match="1000"):
        PromptSpec.create("a" * 10_000)
    with pytest.raises(InvalidPrompt, match="with all its parts"):
        PromptSpec.create("a" * 600, details="b" * 600)


def test_zero_width_and_control_characters_are_removed():
    assert clean_text("a\u200bb\u202ec \x00d\n\ne") == "abc d e"
    assert PromptSpec.create("  cat\u200d   jumps ").subject == "cat jumps"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"camera": "zoom_wildly"}, "Unknown camera"),
        ({"style": "vaporwave"}, "Unknown style"),
        ({"aspect": "5:4"}, "Unknown aspect ratio"),
        ({"duration": 0}, "out of range"),
        ({"duration": 3600}, "out of range"),
        ({"seed": -1}, "seed"),
        ({"seed": 2**40}, "seed"),
    ],
)
def test_absurd_options_get_clear_messages(kwargs, message):
    with pytest.raises(InvalidOption, match=message):
        PromptSpec.create("a cat", **kwargs)


def test_choices_are_forgiving_about_case_and_separators():
    spec = PromptSpec.create("a cat", camera="Dolly-In", style="Anime", aspect="9x16")
    assert (spec.camera, spec.style, spec.aspect) == ("dolly_in", "anime", "9:16")


def test_round_trip_through_storage_dict():
    spec = PromptSpec.create("a cat", camera="orbit", duration=6, seed=3)
    assert PromptSpec.from_dict(spec.to_dict()) == spec
