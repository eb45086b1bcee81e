"""The hostile-input corpus as data: what each case sends, what the user is told, and what must hold.

``via``: ``e2e`` runs the real VideoBot against the loopback Discord emulator; ``service`` calls the
GenerationService / worker on a real SQLite file and the real ffmpeg; ``core`` calls one core function.
``says`` is a fragment (case-insensitive) of the message the user sees; ``outcome`` is what the product
does.  ``holds`` lists the guarantees the test asserts (see the constants below).  ``test`` names the test
function that runs the case; ``test_table.py`` checks that every row is run by a test that exists.
"""

from __future__ import annotations

from dataclasses import dataclass

# --- guarantees -----------------------------------------------------------------------------------------
NO_CHARGE = "no quota charged (ledger unchanged)"
NO_JOB = "no job row"
REFUNDED = "its job ended FAILED with the reservation refunded"
NO_INPUT_FILE = "nothing left in data/inputs"
NO_RESULT_FILE = "no result file"
NOTHING_READ = "neither the FIFO wire nor the loopback recorder was touched"
NOT_DECODED = "refused from the header: only ffmpeg -i runs on it, in well under a second"
NOBODY_PINGED = "no @everyone/@here/role/other-user ping in any message"
ESCAPED = "user text shows as text: markdown escaped, within embed limits"
CLEANED = "zero-width and control characters removed before storing"
VICTIM_UNTOUCHED = "the owner's job, result message and quota are unchanged"
NOTHING_STUCK = "every accepted job finishes; every interaction got an answer"
NO_OVERSPEND = "accepted seconds never exceed the limit"
LOOP_FREE = "other users are acknowledged within a second meanwhile"
LIMITS_UNCHANGED = "quota limits unchanged"

REFUSED = "refused"
ACCEPTED = "accepted"


@dataclass(frozen=True)
class Case:
    """One hostile input and its expected outcome."""

    name: str
    group: str
    via: str
    given: str
    outcome: str
    says: str
    holds: tuple[str, ...]
    test: str


_REFUSED_UPLOAD = (NO_JOB, NO_CHARGE, NO_INPUT_FILE)
_REFUSED_TEXT = (NO_JOB, NO_CHARGE)
_BAD_OUTPUT = (REFUNDED, NO_RESULT_FILE)
_OTHERS = (VICTIM_UNTOUCHED,)

CASES: tuple[Case, ...] = (
    # --- uploads (/animate) ------------------------------------------------------------------------------
    Case(
        "not_an_image",
        "upload",
        "e2e",
        "ZIP bytes named photo.png (image/png)",
        REFUSED,
        "not an image",
        _REFUSED_UPLOAD,
        "test_refused_uploads",
    ),
    Case(
        "svg",
        "upload",
        "e2e",
        "an SVG with a script and an external <image> (image/svg+xml)",
        REFUSED,
        "an svg drawing",
        _REFUSED_UPLOAD,
        "test_refused_uploads",
    ),
    Case(
        "png_bomb",
        "upload",
        "e2e",
        "a 1.5 KB PNG declaring 60000x60000 pixels",
        REFUSED,
        "decompression bomb",
        _REFUSED_UPLOAD,
        "test_refused_uploads",
    ),
    Case(
        "truncated_jpeg",
        "upload",
        "e2e",
        "a JPEG cut off half-way",
        REFUSED,
        "damaged",
        _REFUSED_UPLOAD,
        "test_refused_uploads",
    ),
    Case(
        "video_as_image",
        "upload",
        "e2e",
        "a real MP4 named clip.png",
        REFUSED,
        "a video file, not a still image",
        _REFUSED_UPLOAD,
        "test_refused_uploads",
    ),
    Case(
        "hls_as_image",
        "upload",
        "e2e",
        "an HLS playlist (FIFO + loopback URL segments) named cat.png",
        REFUSED,
        "a playlist (hls)",
        (*_REFUSED_UPLOAD, NOTHING_READ),
        "test_refused_uploads",
    ),
    Case(
        "concat_as_image",
        "upload",
        "e2e",
        "an ffmpeg concat script (FIFO + loopback URL) named cat.jpg",
        REFUSED,
        "an ffmpeg concat script",
        (*_REFUSED_UPLOAD, NOTHING_READ),
        "test_refused_uploads",
    ),
    Case(
        "declared_100mb",
        "upload",
        "e2e",
        "a 100 MiB upload (Discord reports its size)",
        REFUSED,
        "images up to 20 mib",
        (*_REFUSED_UPLOAD, "answered before any byte is downloaded"),
        "test_a_100_mib_upload_is_refused_before_download",
    ),
    Case(
        "bytes_over_cap",
        "upload",
        "service",
        "21 MiB of image bytes handed to the service",
        REFUSED,
        "the limit is 20.0 mb",
        _REFUSED_UPLOAD,
        "test_bytes_over_the_cap_are_refused_by_the_core",
    ),
    Case(
        "image_over_quota",
        "upload",
        "e2e",
        "a valid PNG from a user with no quota left",
        REFUSED,
        "not enough quota",
        _REFUSED_UPLOAD,
        "test_a_valid_image_over_quota_leaves_no_file",
    ),
    Case(
        "huge_valid_image",
        "upload",
        "e2e",
        "a valid 4000x4000 noisy JPEG (seconds to re-encode)",
        REFUSED,
        "not enough quota",
        (*_REFUSED_UPLOAD, LOOP_FREE),
        "test_a_huge_image_does_not_stall_the_bot",
    ),
    Case(
        "animated_gif",
        "upload",
        "e2e",
        "a 3-frame GIF (red, green, blue)",
        ACCEPTED,
        "only its first frame is used",
        ("the first frame is used, and the user is told privately",),
        "test_an_animated_gif_is_animated_from_its_first_frame",
    ),
    # --- provider output (the only place a video comes in) -------------------------------------------------
    Case(
        "hls_as_output",
        "provider-output",
        "service",
        "the provider's 'video' is an HLS playlist",
        REFUSED,
        "a playlist (hls)",
        (*_BAD_OUTPUT, NOTHING_READ),
        "test_script_outputs_are_refused_unread",
    ),
    Case(
        "concat_as_output",
        "provider-output",
        "service",
        "the provider's 'video' is a concat script",
        REFUSED,
        "an ffmpeg concat script",
        (*_BAD_OUTPUT, NOTHING_READ),
        "test_script_outputs_are_refused_unread",
    ),
    Case(
        "mp4_magic_playlist_output",
        "provider-output",
        "service",
        "ftyp box + HLS playlist",
        REFUSED,
        "could not be processed",
        (*_BAD_OUTPUT, NOTHING_READ),
        "test_script_outputs_are_refused_unread",
    ),
    Case(
        "two_hour_output",
        "provider-output",
        "service",
        "a real 2-hour MP4 from the provider",
        REFUSED,
        "not a usable video",
        (*_BAD_OUTPUT, NOT_DECODED),
        "test_a_two_hour_video_is_refused_cheaply",
    ),
    Case(
        "file_url_output",
        "provider-output",
        "core",
        "the provider's output URL is file:///etc/passwd",
        REFUSED,
        "unusable link",
        (NO_RESULT_FILE,),
        "test_a_file_url_is_never_fetched",
    ),
    # --- prompts (/video) ---------------------------------------------------------------------------------
    Case(
        "blank_prompt",
        "prompt",
        "e2e",
        "'   ' (Discord requires 1 character)",
        REFUSED,
        "the prompt is empty",
        _REFUSED_TEXT,
        "test_refused_prompts",
    ),
    Case(
        "empty_prompt",
        "prompt",
        "service",
        "''",
        REFUSED,
        "the prompt is empty",
        _REFUSED_TEXT,
        "test_refused_prompts_in_the_service",
    ),
    Case(
        "prompt_10000",
        "prompt",
        "service",
        "10 000 characters",
        REFUSED,
        "10000 characters long",
        _REFUSED_TEXT,
        "test_refused_prompts_in_the_service",
    ),
    Case(
        "prompt_6000",
        "prompt",
        "e2e",
        "6000 characters (Discord's own ceiling; our 1000 lifted)",
        REFUSED,
        "6000 characters long",
        _REFUSED_TEXT,
        "test_refused_prompts",
    ),
    Case(
        "parts_too_long",
        "prompt",
        "e2e",
        "prompt, setting and details of 900 characters each",
        REFUSED,
        "with all its parts",
        _REFUSED_TEXT,
        "test_refused_prompts",
    ),
    Case(
        "emoji_only",
        "prompt",
        "e2e",
        "'🎬🔥🦊✨🌈'",
        REFUSED,
        "needs some words",
        _REFUSED_TEXT,
        "test_refused_prompts",
    ),
    Case(
        "zero_width_only",
        "prompt",
        "e2e",
        "U+200B U+200C U+200D U+FEFF",
        REFUSED,
        "the prompt is empty",
        _REFUSED_TEXT,
        "test_refused_prompts",
    ),
    Case(
        "zero_width_inside",
        "prompt",
        "e2e",
        "'a\\u200bcat\\u200d walking\\u2066 home\\x07'",
        ACCEPTED,
        "",
        (CLEANED,),
        "test_zero_width_characters_are_removed",
    ),
    Case(
        "mass_mentions",
        "prompt",
        "e2e",
        "@everyone @here <@&role> <@user> in prompt, setting and details",
        ACCEPTED,
        "",
        (NOBODY_PINGED, ESCAPED),
        "test_mentions_and_markdown_are_shown_as_text",
    ),
    Case(
        "markdown",
        "prompt",
        "e2e",
        "# header, ```code```, `ticks`, ||spoiler||, [link](http://x), **, ~~, "
        "a 600-letter word; and one starting with '> '",
        ACCEPTED,
        "",
        (ESCAPED, NOBODY_PINGED),
        "test_mentions_and_markdown_are_shown_as_text",
    ),
    # --- option values -------------------------------------------------------------------------------------
    Case(
        "duration_beyond_model",
        "option",
        "e2e",
        "duration=30 (Discord allows 1-60; the model 1-10)",
        REFUSED,
        "not 30",
        _REFUSED_TEXT,
        "test_refused_options",
    ),
    Case(
        "duration_zero",
        "option",
        "e2e",
        "duration=0 (schema minimum lifted)",
        REFUSED,
        "out of range",
        _REFUSED_TEXT,
        "test_refused_options",
    ),
    Case(
        "seed_negative",
        "option",
        "e2e",
        "seed=-1 (schema minimum lifted)",
        REFUSED,
        "seed must be",
        _REFUSED_TEXT,
        "test_refused_options",
    ),
    Case(
        "aspect_unknown",
        "option",
        "e2e",
        "aspect='7:3' (free text, not a choice)",
        REFUSED,
        "unknown aspect ratio",
        _REFUSED_TEXT,
        "test_refused_options",
    ),
    Case(
        "model_3000_chars",
        "option",
        "e2e",
        "model='x' * 3000 (free text)",
        REFUSED,
        "unknown model",
        (*_REFUSED_TEXT, "the answer fits one Discord message"),
        "test_refused_options",
    ),
    Case(
        "model_wrong_kind",
        "option",
        "e2e",
        "/video model=local:motion (image-only)",
        REFUSED,
        "cannot do",
        _REFUSED_TEXT,
        "test_refused_options",
    ),
    Case(
        "duration_huge",
        "option",
        "service",
        "duration=10**9",
        REFUSED,
        "out of range",
        _REFUSED_TEXT,
        "test_refused_options_in_the_service",
    ),
    Case(
        "seed_2_32",
        "option",
        "service",
        "seed=2**32",
        REFUSED,
        "seed must be",
        _REFUSED_TEXT,
        "test_refused_options_in_the_service",
    ),
    Case(
        "aspect_service",
        "option",
        "service",
        "aspect='7:3'",
        REFUSED,
        "unknown aspect ratio",
        _REFUSED_TEXT,
        "test_refused_options_in_the_service",
    ),
    Case(
        "camera_unknown",
        "option",
        "service",
        "camera='warp_drive'",
        REFUSED,
        "unknown camera",
        _REFUSED_TEXT,
        "test_refused_options_in_the_service",
    ),
    Case(
        "model_service",
        "option",
        "service",
        "model='../../etc/passwd'",
        REFUSED,
        "unknown model",
        _REFUSED_TEXT,
        "test_refused_options_in_the_service",
    ),
    Case(
        "admin_negative_quota",
        "option",
        "e2e",
        "/admin quota seconds=-5 by an admin (schema minimum lifted)",
        REFUSED,
        "a quota must be between 0",
        (LIMITS_UNCHANGED,),
        "test_an_admin_cannot_set_a_negative_quota",
    ),
    # --- someone else's job ----------------------------------------------------------------------------------
    Case(
        "extend_command_others",
        "ownership",
        "e2e",
        "/extend job=<alice's job> by a stranger",
        REFUSED,
        "belongs to someone else",
        (*_REFUSED_TEXT, *_OTHERS),
        "test_strangers_cannot_touch_a_result",
    ),
    Case(
        "extend_button_others",
        "ownership",
        "e2e",
        "Extend button on alice's result by a stranger",
        REFUSED,
        "belongs to someone else",
        (*_REFUSED_TEXT, *_OTHERS),
        "test_strangers_cannot_touch_a_result",
    ),
    Case(
        "extend_reaction_others",
        "ownership",
        "e2e",
        "⏩ on alice's result by a stranger",
        REFUSED,
        "belongs to someone else",
        (*_REFUSED_TEXT, *_OTHERS),
        "test_strangers_cannot_touch_a_result",
    ),
    Case(
        "delete_button_others",
        "ownership",
        "e2e",
        "Delete button on alice's result by a stranger",
        REFUSED,
        "owner",
        _OTHERS,
        "test_strangers_cannot_touch_a_result",
    ),
    Case(
        "delete_reaction_others",
        "ownership",
        "e2e",
        "❌ on alice's result by a stranger",
        REFUSED,
        "owner",
        _OTHERS,
        "test_strangers_cannot_touch_a_result",
    ),
    Case(
        "cancel_others",
        "ownership",
        "e2e",
        "/cancel <alice's queued job> by a stranger",
        REFUSED,
        "belongs to someone else",
        (*_OTHERS, NOTHING_STUCK),
        "test_strangers_cannot_cancel_a_job",
    ),
    Case(
        "cancel_others_service",
        "ownership",
        "service",
        "service.cancel of another user's job, not admin",
        REFUSED,
        "belongs to someone else",
        _OTHERS,
        "test_strangers_cannot_cancel_a_job",
    ),
    # --- admin commands --------------------------------------------------------------------------------------
    Case(
        "admin_hidden",
        "admin",
        "e2e",
        "/admin quota|default|budget by a plain member",
        REFUSED,
        "",
        (LIMITS_UNCHANGED, "Discord refuses it (default_member_permissions)"),
        "test_admin_commands_refuse_non_admins",
    ),
    Case(
        "admin_opened_to_all",
        "admin",
        "e2e",
        "the same, after the server cleared the default permissions",
        REFUSED,
        "manage server",
        (LIMITS_UNCHANGED,),
        "test_admin_commands_refuse_non_admins",
    ),
    Case(
        "admin_by_moderator",
        "admin",
        "e2e",
        "the same by a member with Manage Messages only",
        REFUSED,
        "manage server",
        (LIMITS_UNCHANGED,),
        "test_admin_commands_refuse_non_admins",
    ),
    # --- flooding --------------------------------------------------------------------------------------------
    Case(
        "fifty_submits_e2e",
        "flood",
        "e2e",
        "50 /video from one user within one second (5 s of quota)",
        REFUSED,
        "not enough quota",
        (NO_OVERSPEND, NOTHING_STUCK),
        "test_fifty_submits_in_one_second",
    ),
    Case(
        "fifty_submits_service",
        "flood",
        "service",
        "50 concurrent submits with the same image (5 s quota)",
        REFUSED,
        "not enough quota",
        (NO_OVERSPEND, NOTHING_STUCK, NO_INPUT_FILE),
        "test_fifty_concurrent_image_submits",
    ),
)


def cases(group: str, via: str | None = None) -> list[Case]:
    """The cases of one group (and one way of running them)."""
    return [c for c in CASES if c.group == group and (via is None or c.via == via)]


def case(name: str) -> Case:
    """One case by name."""
    return next(c for c in CASES if c.name == name)
