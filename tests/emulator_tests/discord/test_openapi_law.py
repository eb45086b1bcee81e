"""The emulator holds bodies, path and query parameters to Discord's published OpenAPI description
(emulators/discord/openapi.py): a request Discord would refuse gets 400 50035 and is recorded, the emulator's own
answers are checked too, and the fixtures fail a test at teardown on any recorded violation.

The tests that send invalid bodies here do it on purpose: each takes its violations (``take_violations``) and
asserts them, which is the explicit opt-out of the teardown check."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import aiohttp
import discord
import pytest

from emulators.discord import DiscordEmulator, openapi
from tests.support.emulator_bot import Running

pytestmark = pytest.mark.timeout(60)


async def post(emu: DiscordEmulator, path: str, body: Any) -> tuple[int, Any]:
    """POST a JSON body as the bot would (its token), bypassing discord.py's own checks."""
    headers = {"Authorization": f"Bot {emu.token}"}
    async with aiohttp.ClientSession() as http, http.post(emu.api_base + path, json=body, headers=headers) as resp:
        return resp.status, await resp.json(content_type=None)


async def post_multipart(emu: DiscordEmulator, path: str, payload: Any, file: bytes) -> tuple[int, Any]:
    """POST ``payload_json`` and one ``files[0]`` part, as discord.py sends an upload."""
    form = aiohttp.FormData(quote_fields=False)
    form.add_field("payload_json", json.dumps(payload), content_type="application/json")
    form.add_field("files[0]", file, filename="clip.mp4", content_type="application/octet-stream")
    headers = {"Authorization": f"Bot {emu.token}"}
    async with aiohttp.ClientSession() as http, http.post(emu.api_base + path, data=form, headers=headers) as resp:
        return resp.status, await resp.json(content_type=None)


def messages_path(emu: DiscordEmulator) -> str:
    return f"/channels/{emu.channel.id}/messages"


def first_error(errors: dict[str, Any], *path: str) -> dict[str, Any]:
    node = errors
    for part in path:
        node = node[part]
    first: dict[str, Any] = node["_errors"][0]
    return first


async def test_a_made_up_field_in_a_message_create_is_refused_with_50035(discord_emulator: DiscordEmulator) -> None:
    emu = discord_emulator
    status, body = await post(emu, messages_path(emu), {"content": "hello", "colour": "red"})
    assert status == 400 and body["code"] == 50035 and body["message"] == "Invalid Form Body"
    assert first_error(body["errors"], "colour")["code"] == "UNKNOWN_FIELD"
    assert emu.messages(emu.channel) == []  # refused before anything was posted
    [violation] = emu.take_violations()
    assert violation.kind == "request" and violation.operation == "POST /channels/{channel_id}/messages"
    assert violation.status == 400 and violation.problems[0].startswith("colour: UNKNOWN_FIELD")
    # nested too: a made-up key inside an embed
    status, body = await post(emu, messages_path(emu), {"embeds": [{"title": "t", "colour": 5}]})
    assert status == 400 and first_error(body["errors"], "embeds", "0", "colour")["code"] == "UNKNOWN_FIELD"
    assert len(emu.take_violations()) == 1


async def test_a_wrong_type_or_length_is_refused(discord_emulator: DiscordEmulator) -> None:
    emu = discord_emulator
    status, body = await post(emu, messages_path(emu), {"content": 5})
    assert status == 400 and body["code"] == 50035
    assert first_error(body["errors"], "content")["code"] == "BASE_TYPE_BAD_TYPE"
    status, body = await post(emu, messages_path(emu), {"content": "x", "embeds": [{"title": "t" * 257}]})
    assert status == 400 and first_error(body["errors"], "embeds", "0", "title")["code"] == "BASE_TYPE_MAX_LENGTH"
    # an interaction callback whose type does not fit its data: the union's branches are all refused
    status, body = await post(emu, "/interactions/1/tok/callback", {"type": 4, "data": {"content": 5}})
    assert status == 400 and first_error(body["errors"], "data", "content")["code"] == "BASE_TYPE_BAD_TYPE"
    assert [v.operation for v in emu.take_violations()] == [
        "POST /channels/{channel_id}/messages",
        "POST /channels/{channel_id}/messages",
        "POST /interactions/{interaction_id}/{interaction_token}/callback",
    ]


async def test_a_snowflake_may_be_an_integer_but_nothing_looser(discord_emulator: DiscordEmulator) -> None:
    emu = discord_emulator
    original = await emu.post_user_message(emu.alice, content="reply to me")
    for message_id in (original.id, str(original.id)):  # discord.py sends the integer; Discord takes both
        reference = {"message_id": message_id}
        status, body = await post(emu, messages_path(emu), {"content": "re", "message_reference": reference})
        assert status == 200 and body["message_reference"]["message_id"] == str(original.id)
    assert emu.violations == []
    for bad in (-1, "01", "12a", 1.5):
        status, body = await post(emu, messages_path(emu), {"content": "re", "message_reference": {"message_id": bad}})
        assert status == 400 and body["code"] == 50035, bad
    assert len(emu.take_violations()) == 4


async def test_path_and_query_parameters_are_held_to_their_schemas(discord_emulator: DiscordEmulator) -> None:
    """Choice 4: a parameter's text read as its schema's type, then validated; an unknown query parameter refused
    (Discord would ignore a misspelt ``with_components`` and drop the components silently)."""
    emu = discord_emulator
    webhook = f"/webhooks/{emu.application_id}/a-token"
    for wait in ("1", "true", "True", "0", "false", "False"):  # Discord's docs: "Boolean Query Strings"
        assert openapi.check_parameters("POST", webhook, [("wait", wait), ("with_components", "1")]) == []
    refused = {
        ("POST", webhook, ("wait", "yes")): ("wait", "BOOLEAN_TYPE_COERCE"),
        ("POST", webhook, ("with_component", "1")): ("with_component", "UNKNOWN_QUERY_PARAMETER"),
        ("POST", webhook, ("thread_id", "12a")): ("thread_id", "BASE_TYPE_BAD_FORMAT"),
        ("GET", messages_path(emu), ("limit", "101")): ("limit", "NUMBER_TYPE_MAX"),
        ("GET", messages_path(emu), ("limit", "ten")): ("limit", "NUMBER_TYPE_COERCE"),
        ("GET", "/channels/abc/messages", ("limit", "10")): ("channel_id", "BASE_TYPE_BAD_FORMAT"),
    }
    for (method, path, pair), (name, code) in refused.items():
        assert [(p.path, p.code) for p in openapi.check_parameters(method, path, [pair])] == [((name,), code)], pair
    # through the emulator: refused as Discord refuses a body (400 50035), and recorded
    headers = {"Authorization": f"Bot {emu.token}"}
    async with aiohttp.ClientSession() as http:
        url = f"{emu.api_base}{messages_path(emu)}?with_component=1"
        async with http.post(url, json={"content": "hi"}, headers=headers) as resp:
            status, body = resp.status, await resp.json(content_type=None)
    assert status == 400 and first_error(body["errors"], "with_component")["code"] == "UNKNOWN_QUERY_PARAMETER"
    assert [v.operation for v in emu.take_violations()] == ["POST /channels/{channel_id}/messages"]


async def test_a_correct_body_is_accepted_and_the_answer_checked(discord_emulator: DiscordEmulator) -> None:
    emu = discord_emulator
    body_in = {
        "content": "hello",
        "embeds": [{"title": "t", "description": "d", "fields": [{"name": "n", "value": "v", "inline": True}]}],
        "components": [{"type": 1, "components": [{"type": 2, "style": 1, "label": "Go", "custom_id": "go"}]}],
        "allowed_mentions": {"parse": []},
        "nonce": "n-1",
        "tts": False,
    }
    status, body = await post(emu, messages_path(emu), body_in)
    assert status == 200 and body["content"] == "hello"
    assert body["components"][0]["components"][0]["id"] == 2  # Discord numbers components sent without an id
    assert emu.violations == []  # the request and the emulator's answer both fit the description
    assert openapi.check_response("POST", messages_path(emu), 200, body) == []


async def test_real_discord_py_bodies_pass(running: Running) -> None:
    """discord.py's own message, reply (integer snowflakes), embed (``flags``) and edit (``tts``) bodies."""
    emu, bot = running.emu, running.bot
    channel = bot.get_channel(emu.channel.id)
    assert isinstance(channel, discord.TextChannel)
    first = await channel.send("first", embed=discord.Embed(title="t"))
    reply = await channel.send("second", reference=first, file=discord.File(io.BytesIO(b"\x00" * 10), "a.bin"))
    await reply.edit(content="edited")
    replies = [r for r in emu.rest.log if r.method == "POST" and r.path.endswith("/messages")]
    assert replies[1].payload is not None and replies[1].payload["message_reference"]["message_id"] == first.id
    assert emu.violations == []


async def test_a_multipart_payload_json_is_checked(discord_emulator: DiscordEmulator) -> None:
    emu = discord_emulator
    attachment = [{"id": 0, "filename": "clip.mp4"}]
    status, body = await post_multipart(emu, messages_path(emu), {"content": "x", "attachment": attachment}, b"1")
    assert status == 400 and body["code"] == 50035
    assert first_error(body["errors"], "attachment")["code"] == "UNKNOWN_FIELD"
    assert emu.attachments == {}  # the file was not kept
    [violation] = emu.take_violations()
    assert violation.body.startswith('{"content": "x", "attachment"')
    status, body = await post_multipart(emu, messages_path(emu), {"content": "x", "attachments": attachment}, b"1")
    assert status == 200 and body["attachments"][0]["filename"] == "clip.mp4"
    assert emu.violations == []


async def test_an_unlawful_answer_is_recorded_and_found_at_once(discord_emulator: DiscordEmulator) -> None:
    """The emulator checks its own answers when the loop has a moment; reading the violations checks the waiting
    ones first, so none is missed however soon they are read."""
    emu = discord_emulator
    emu.bot.username = 5  # type: ignore[assignment]  # the answer of GET /users/@me now breaks the description
    headers = {"Authorization": f"Bot {emu.token}"}
    async with aiohttp.ClientSession() as http, http.get(emu.api_base + "/users/@me", headers=headers) as resp:
        assert resp.status == 200
    [violation] = emu.take_violations()
    assert (violation.kind, violation.operation) == ("response", "GET /users/@me")
    assert any(line.startswith("username: BASE_TYPE_BAD_TYPE") for line in violation.problems)


def test_the_answer_check_finds_what_discord_never_sends() -> None:
    problems = openapi.check_response("GET", "/users/@me", 200, {"id": 1, "username": "x"})
    lines = [p.line() for p in problems]
    assert "avatar: BASE_TYPE_REQUIRED: This field is required" in lines
    assert any(line.startswith("id: BASE_TYPE_BAD_TYPE") for line in lines)  # answers hold snowflakes as strings
    assert openapi.check_response("POST", "/channels/1/messages", 201, {})[0].code == "UNDOCUMENTED_STATUS"
    assert openapi.check_response("GET", "/nowhere", 200, {})[0].code == "UNDOCUMENTED_OPERATION"
    # literal path segments win over parameters
    assert openapi.find_operation("PATCH", "/webhooks/1/t/messages/@original") == openapi.Operation(
        "patch", "/webhooks/{webhook_id}/{webhook_token}/messages/@original"
    )


def test_a_lawful_body_seen_before_is_lawful_again_and_a_refused_one_is_checked_each_time() -> None:
    callback = "/interactions/1/t/callback"
    op = openapi.find_operation("POST", callback)
    assert op is not None
    lawful, unlawful = {"type": 5, "data": {"flags": 64}}, {"type": 5, "made_up": True}
    assert openapi.check_request("POST", callback, lawful) == []
    assert openapi._body_key(op, {"data": {"flags": 64}, "type": 5}) in openapi._lawful  # by canonical JSON
    assert openapi.check_request("POST", callback, {"data": {"flags": 64}, "type": 5}) == []
    for _ in range(2):  # never remembered: its errors are reported every time
        assert [p.code for p in openapi.check_request("POST", callback, unlawful)] == ["UNKNOWN_FIELD"]
        assert openapi._body_key(op, unlawful) not in openapi._lawful
    # other types are other bodies (5 and 5.0, True and 1); a body that is not plain JSON is never remembered
    assert openapi._body_key(op, {"type": 5}) != openapi._body_key(op, {"type": 5.0})
    assert openapi._body_key(op, {"a": True}) != openapi._body_key(op, {"a": 1})
    assert openapi._body_key(op, {"a": float("nan")}) is None


async def test_assert_lawful_lists_the_violations(discord_emulator: DiscordEmulator) -> None:
    emu = discord_emulator
    await post(emu, messages_path(emu), {"content": "x", "bogus": True})
    with pytest.raises(AssertionError, match=r"(?s)POST /channels/\{channel_id\}/messages.*bogus: UNKNOWN_FIELD"):
        emu.assert_lawful()
    emu.take_violations()
    emu.assert_lawful()


INNER_TEST = """
import aiohttp


async def test_sends_a_bad_body(discord_emulator):
    emu = discord_emulator
    async with aiohttp.ClientSession() as http:
        url = f"{emu.api_base}/channels/{emu.channel.id}/messages"
        auth = {"Authorization": f"Bot {emu.token}"}
        async with http.post(url, json={"content": "x", "bogus": 1}, headers=auth) as r:
            assert r.status == 400  # the test itself passes ...
"""


def test_the_fixture_fails_the_test_at_teardown(tmp_path: Path) -> None:
    """... and the ``discord_emulator`` fixture's teardown fails it, listing the violation."""
    (tmp_path / "test_inner.py").write_text(textwrap.dedent(INNER_TEST))
    ini = ["-o", "asyncio_mode=auto", "-o", "asyncio_default_fixture_loop_scope=function"]
    args = ["-p", "no:cacheprovider", "-p", "no:xdist", *ini, "-q", "test_inner.py"]
    run = subprocess.run(
        [sys.executable, "-m", "pytest", *args], cwd=tmp_path, capture_output=True, text=True, timeout=50
    )
    assert run.returncode == 1, run.stdout + run.stderr
    summary = run.stdout.strip().splitlines()[-1]
    assert "1 passed" in summary and "1 error" in summary, run.stdout
    assert "ERROR at teardown of test_sends_a_bad_body" in run.stdout
    assert "bogus: UNKNOWN_FIELD" in run.stdout


BUTTON = {"type": 2, "style": 1, "label": "Again", "custom_id": "again:1"}


@pytest.mark.parametrize(
    "button",
    [
        BUTTON,
        {**BUTTON, "style": 5, "url": "https://example.com", "custom_id": None},
        {**BUTTON, "style": 9},  # no such style
        {**BUTTON, "made_up": 1},  # a key no component has
        {**BUTTON, "type": 99},  # no such component
        {**BUTTON, "label": 3},
        "not a component",
    ],
)
def test_the_quick_pass_says_what_the_full_walk_says(button: Any) -> None:
    """The quick pass (``anyOf``/``oneOf`` stop at a branch's first error) answers a body as the full walk does:
    a message's components are ``oneOf``s of ``anyOf``s, where a wrong answer would show."""
    body = {"content": "x", "components": [{"type": 1, "components": [button]}]}
    op = openapi.find_operation("POST", "/channels/1/messages")
    assert op is not None
    law = openapi._request_validator(op)
    assert law is not None
    lawful = not list(law.full.iter_errors(body))
    assert law.quick.is_valid(body) is lawful
    assert (openapi.check_request("POST", "/channels/1/messages", body) == []) is lawful


@pytest.mark.parametrize("instance", [5, -1, "x", 2.5, None, [], {"a": 1}, True, 1, 1.0, 0])
@pytest.mark.parametrize(
    "schema",
    [
        {"oneOf": [{"type": "integer"}, {"minimum": 0}]},  # 5 holds under both: refused
        {"anyOf": [{"type": "integer"}, {"minimum": 0}]},
        {"oneOf": [{"type": "string"}, {"anyOf": [{"type": "null"}, {"type": "array"}]}]},
        {"anyOf": [{"oneOf": [{"type": "number"}, {"type": "integer"}]}, {"type": "object", "required": ["a"]}]},
        # the description's enumerations: consts with annotations, compared as ``const`` does (1 is not true)
        {"oneOf": [{"title": "A", "description": "", "const": 1}, {"title": "B", "const": True}]},
        {"oneOf": [{"title": "A", "const": 5}, {"title": "again", "const": 5}, {"title": "C", "const": "x"}]},
        {
            "anyOf": [
                {"title": "none", "const": None},
                {"title": "empty", "const": []},
                {"title": "a", "const": {"a": 1}},
            ]
        },
        {"type": "integer", "oneOf": [{"title": "zero", "const": 0}, {"title": "one", "const": 1}]},
        {"oneOf": [{"title": "A", "const": 1}, {"type": "string"}]},  # not every branch a const: each validated
    ],
)
def test_the_quick_keywords_agree_with_jsonschemas_own(schema: dict[str, Any], instance: Any) -> None:
    assert openapi._Quick(schema).is_valid(instance) is openapi.Draft202012Validator(schema).is_valid(instance)


def test_requests_and_answers_keep_their_own_reading_of_a_reference() -> None:
    """Both descriptions live under one URI; the quick pass remembers references per description: a snowflake
    sent as a JSON integer is lawful in a request (choice 1) and still refused in an answer after it."""
    reply = {"content": "x", "message_reference": {"message_id": 5}}
    for _ in range(2):
        assert openapi.check_request("POST", "/channels/1/messages", reply) == []
        problems = openapi.check_response("GET", "/users/@me", 200, {"id": 1, "username": "x"})
        assert any(p.line().startswith("id: BASE_TYPE_BAD_TYPE") for p in problems)


def test_a_parameters_quick_yes_is_jsonschemas_own() -> None:
    """Every parameter of the description with a quick check: where it says yes, jsonschema says yes too (a no
    goes to the full walk), and on the plain samples below the two agree both ways."""
    samples: list[Any] = ["", "0", "7", "01", "12a", "abc", "1579159104092504068", "x" * 200, True, False]
    samples += [-1, 0, 1, 2, 25, 100, 101, 1000, 10**20, 1.5]
    checked = 0
    for template, item in openapi.spec()["paths"].items():
        for method in (m for m in item if m in openapi.HTTP_METHODS):
            for param in openapi._parameters(openapi.Operation(method, template)).values():
                if param.lawful is None:
                    continue
                checked += 1
                for value in samples:
                    assert param.lawful(value) == param.law.full.is_valid(value), (template, method, value)
    assert checked > 100  # the snowflakes, tokens, booleans and limits of most operations
