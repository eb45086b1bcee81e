"""Right-click a message → Apps: "Animate this image", "Remix this video", "Extend", "Add sound".

Each menu finds what it needs on the message (an image, a video, one of the bot's results) or refuses privately,
opens a short form prefilled from the message (bot.edge.forms), and the form's submission runs as the matching
command does (/animate, /remix, /extend, /sound).  The menus are data (:data:`MENUS`): a new one is a row and a
method pair (``open_<action>`` and ``submit_<action>``).  "Add sound" is there only when a sound model is enabled,
as /sound is.
"""

from __future__ import annotations

import mimetypes
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import discord
from discord import app_commands

from bot.edge.cogkit import JobCog, anywhere
from bot.edge.forms import Answers, FormBook, OpenForm, Upload, check_image, text_field
from bot.edge.start import Starter, interaction_requester
from bot.edge.translate import words_for
from bot.edge.views import job_ids_of
from bot.errors import InvalidMedia, InvalidOption
from bot.i18n import said
from bot.prompt import MAX_PART_CHARS, PromptSpec
from bot.providers.base import Capability
from bot.providers.registry import ProviderRegistry
from bot.services.requests.generation import GenerationService, Requester, Submitted
from bot.services.requests.remix import Remixer
from bot.services.requests.sound import Sounds
from bot.settings import Settings

if TYPE_CHECKING:
    from bot.edge.client import VideoBot

LINK = re.compile(r"https?://\S+")
MENTION = re.compile(r"<[@#][!&]?\d+>")


@dataclass(frozen=True)
class Menu:
    """One entry of the Apps menu on messages: its name (as members see it) and the action it runs."""

    name: str
    action: str


MENUS = (
    Menu("Animate this image", "animate"),
    Menu("Remix this video", "remix"),
    Menu("Extend", "extend"),
    Menu("Add sound", "sound"),  # only with a sound model (Apps.menus)
)


def message_text(message: discord.Message) -> str | None:
    """What the message says, without links and mentions (a form's prefill), or None."""
    text = " ".join(MENTION.sub(" ", LINK.sub(" ", message.content or "")).split())
    return text[:MAX_PART_CHARS] or None


def image_on(message: discord.Message, media_hosts: frozenset[str]) -> Upload | None:
    """The message's first image: an attached one, else an image link Discord unfurled into an embed, read
    through Discord's media proxy (``proxy_url`` on one of ``media_hosts``; never the link itself, which could
    point anywhere)."""
    for attachment in message.attachments:
        upload = Upload.from_attachment(attachment)
        if upload.is_image:
            return upload
    for embed in message.embeds:
        for media in (embed.image, embed.thumbnail):
            url = media.proxy_url or ""
            if (urlsplit(url).hostname or "") in media_hosts:
                name = urlsplit(url).path.rsplit("/", 1)[-1] or "image"
                kind = mimetypes.guess_type(name)[0] or "image/jpeg"
                return Upload(name, kind, 0, url)
    return None


def media_hosts(api_base: str | None) -> frozenset[str]:
    """Where the bot reads linked images from: Discord's CDN and media proxy (and a test Discord's own host)."""
    hosts = {"cdn.discordapp.com", "media.discordapp.net", *(f"images-ext-{n}.discordapp.net" for n in (1, 2))}
    if api_base:
        hosts.add(urlsplit(api_base).hostname or "")
    return frozenset(hosts - {""})


def video_on(message: discord.Message) -> Upload | None:
    """The message's first attached video."""
    for attachment in message.attachments:
        upload = Upload.from_attachment(attachment)
        if upload.is_video:
            return upload
    return None


class Apps(JobCog):
    """The message context menus."""

    def __init__(
        self,
        bot: VideoBot,
        service: GenerationService,
        registry: ProviderRegistry,
        starter: Starter,
        settings: Settings,
        remixer: Remixer,
        forms: FormBook,
        sounds: Sounds,
    ):
        super().__init__(service, registry, starter, settings)
        self.bot = bot
        self.remixer = remixer
        self.forms = forms
        self.sounds = sounds
        offered = [menu for menu in MENUS if menu.action != "sound" or sounds.available]
        self.menus = [self._menu(menu) for menu in offered]
        for menu in offered:
            forms.handle(f"menu-{menu.action}", getattr(self, f"submit_{menu.action}"))

    def _menu(self, menu: Menu) -> app_commands.ContextMenu:
        opener = getattr(self, f"open_{menu.action}")

        async def callback(interaction: discord.Interaction[Any], message: discord.Message) -> None:
            await opener(interaction, message)

        return anywhere(app_commands.ContextMenu(name=menu.name, callback=callback))

    async def cog_load(self) -> None:
        """Add the menus to the command tree (a cog cannot hold context menus itself)."""
        for context_menu in self.menus:
            self.bot.tree.add_command(context_menu)

    async def cog_unload(self) -> None:
        """Take the menus away again."""
        for context_menu in self.menus:
            self.bot.tree.remove_command(context_menu.name, type=context_menu.type)

    async def _show(
        self, interaction: discord.Interaction[Any], action: str, title: str, *fields: Any, **ctx: Any
    ) -> None:
        modal = self.forms.modal(f"menu-{action}", interaction.user.id, title, *fields, **ctx)
        await interaction.response.send_modal(modal)

    # --- Animate this image --------------------------------------------------------------------------------
    async def open_animate(self, interaction: discord.Interaction[Any], message: discord.Message) -> None:
        """The message's image, a form for the prompt."""
        image = image_on(message, media_hosts(self.settings.discord_api_base))
        if image is None:
            raise said(InvalidMedia, "menu.no_image")
        if image.size:  # a linked image's size is only known once read
            check_image(image, self.settings.max_image_bytes)
        what = words_for(interaction, "form.menu.what_happens")
        prompt = text_field(
            what,
            "prompt",
            paragraph=True,
            default=message_text(message),
            placeholder=words_for(interaction, "example.animate_image"),
        )
        await self._show(interaction, "animate", words_for(interaction, "form.menu.animate"), prompt, image=image)

    async def submit_animate(self, interaction: discord.Interaction[Any], form: OpenForm, answers: Answers) -> None:
        """Run as /animate does."""
        image: Upload = form.context["image"]
        spec = PromptSpec.create(answers.get("prompt"), allow_empty_subject=True)
        self.service.check(spec, image=True)
        cap = self.settings.max_image_bytes

        async def submit(who: Requester) -> Submitted:
            return await self.service.submit(who, spec, image=await self.forms.download(image, cap))

        await self.starter.from_interaction(interaction, submit)

    # --- Remix this video ----------------------------------------------------------------------------------
    async def open_remix(self, interaction: discord.Interaction[Any], message: discord.Message) -> None:
        """The message's video, a form for the new look."""
        video = video_on(message)
        if video is None:
            raise said(InvalidMedia, "menu.no_video")
        self.remixer.check(video_bytes=video.size)  # its size and a model, before the form
        look = text_field(
            words_for(interaction, "form.menu.new_look"),
            "prompt",
            paragraph=True,
            default=message_text(message),
            placeholder=words_for(interaction, "example.look"),
        )
        await self._show(interaction, "remix", words_for(interaction, "form.menu.remix"), look, video=video)

    async def submit_remix(self, interaction: discord.Interaction[Any], form: OpenForm, answers: Answers) -> None:
        """Run as /remix does."""
        video: Upload = form.context["video"]
        request = self.remixer.check(video_bytes=video.size, prompt=answers.get("prompt"))
        cap = self.settings.max_video_bytes

        async def submit(who: Requester) -> Submitted:
            return await self.remixer.remix(who, request, await self.forms.download(video, cap))

        await self.starter.from_interaction(interaction, submit)

    # --- Extend --------------------------------------------------------------------------------------------
    def _result_on(self, message: discord.Message, action: str) -> int:
        """The job of one of the bot's single results, or a private refusal (in the words of ``action``)."""
        me = self.bot.user
        job_ids = job_ids_of(message) if me is not None and message.author.id == me.id else []
        if not job_ids:
            raise said(InvalidOption, f"menu.not_a_result.{action}")
        if len(job_ids) > 1:
            raise said(InvalidOption, f"menu.several_takes.{action}")
        return job_ids[0]

    async def open_extend(self, interaction: discord.Interaction[Any], message: discord.Message) -> None:
        """One of the member's results: a form for what happens next (prefilled with its prompt)."""
        job_id = self._result_on(message, "extend")
        job = await self.service.extendable(interaction_requester(interaction), job_id)  # own, finished, kept
        subject = str(job.spec.get("subject") or "") or None
        label = words_for(interaction, "form.menu.what_next")
        nxt = text_field(
            label, "prompt", paragraph=True, default=subject, placeholder=words_for(interaction, "example.next")
        )
        await self._show(interaction, "extend", words_for(interaction, "form.menu.extend", id=job.id), nxt, job=job.id)

    async def submit_extend(self, interaction: discord.Interaction[Any], form: OpenForm, answers: Answers) -> None:
        """Run as /extend does."""
        job_id: int = form.context["job"]
        prompt = answers.get("prompt")
        await self.starter.from_interaction(interaction, lambda who: self.service.extend(who, job_id, prompt=prompt))

    # --- Add sound -----------------------------------------------------------------------------------------
    async def open_sound(self, interaction: discord.Interaction[Any], message: discord.Message) -> None:
        """One of the member's silent results: a form for what to hear (optional: else heard from the picture)."""
        job_id = self._result_on(message, "sound")
        job = await self.service.extendable(interaction_requester(interaction), job_id)  # own, finished, kept
        if job.result_audio:
            raise said(InvalidOption, "menu.has_sound", id=job.id)
        label = words_for(interaction, "form.menu.what_to_hear")
        hear = text_field(
            label, "prompt", paragraph=True, required=False, placeholder=words_for(interaction, "example.hear")
        )
        await self._show(interaction, "sound", words_for(interaction, "form.menu.sound", id=job.id), hear, job=job.id)

    async def submit_sound(self, interaction: discord.Interaction[Any], form: OpenForm, answers: Answers) -> None:
        """Run as /sound does."""
        job_id: int = form.context["job"]
        prompt = answers.get("prompt")
        self.sounds.check(Capability.VIDEO_TO_AUDIO, prompt)  # refusals before acknowledging
        await self.starter.from_interaction(interaction, lambda who: self.sounds.add(who, job_id, prompt))


async def setup(bot: VideoBot) -> None:
    """Extension entry point."""
    app = bot.app
    await bot.add_cog(
        Apps(bot, app.service, app.registry, bot.starter, bot.settings, app.remixer, bot.forms, app.sounds)
    )
