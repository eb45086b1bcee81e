"""/video, /animate and /extend: each checks its options, acknowledges, and calls one service method.  /video with
no prompt and /animate with no image open a form first (bot.edge.forms), whose submission runs the same way.

The `model`, `duration` and `aspect` options autocomplete only what the chosen model can do with the options typed
so far (`aspect`: bot.edge.cogkit.aspect_choices, the ratios for text or for an image)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.app_commands import Choice, Range
from discord.ext import commands

from bot.edge.cogkit import AUDIO_CHOICES, AUDIO_HELP, anywhere, aspect_choices, audio_value, job_choices
from bot.edge.forms import Answers, FormBook, OpenForm, Upload, check_image, file_field, text_field
from bot.edge.start import Starter
from bot.edge.translate import words_for
from bot.errors import InvalidMedia, JobNotFound
from bot.i18n import said
from bot.prompt import CAMERA_MOVES, MAX_PART_CHARS, MAX_SEED, STYLES, PromptSpec
from bot.providers.base import Capability, needs_for
from bot.providers.registry import ProviderRegistry
from bot.services.cast.roster import Members, Roster
from bot.services.requests.generation import GenerationService, Requester, Submitted
from bot.services.requests.presets import Presets
from cogs.cast import cast_choices
from cogs.presets import preset_choices

if TYPE_CHECKING:
    from bot.edge.client import VideoBot

CAMERA_CHOICES = [Choice(name=key.replace("_", " "), value=key) for key in CAMERA_MOVES]
STYLE_CHOICES = [Choice(name=key, value=key) for key in STYLES]
Text = Range[str, 1, MAX_PART_CHARS]
Seconds = Range[int, 1, 60]
Seed = Range[int, 0, MAX_SEED]
CAST_HELP = "Up to 3 of this server's cast, comma-separated (or write @Name in the prompt)"


@dataclass(frozen=True)
class VideoOptions:
    """The options of a /video or /animate besides the prompt parts, kept while its form is open."""

    camera: str | None
    style: str | None
    duration: int | None
    aspect: str | None
    model: str | None
    seed: int | None
    negative: str | None
    loop: bool
    preset: str | None
    cast: str | None = None
    audio: bool | None = None


def _value(choice: Choice[str] | None) -> str | None:
    return choice.value if choice is not None else None


def _needs(interaction: discord.Interaction[Any], capability: Capability) -> frozenset[Capability]:
    """What the options typed so far need from the model (for autocomplete)."""
    namespace = interaction.namespace
    end_image = getattr(namespace, "end_image", None) is not None
    return needs_for(
        image=capability is Capability.IMAGE_TO_VIDEO,
        end_image=end_image,
        loop=bool(getattr(namespace, "loop", False)),
        audio=audio_value(getattr(namespace, "audio", None)) is True,
    )


class Generate(commands.Cog):
    """Make videos from prompts and images, and extend them."""

    def __init__(
        self,
        service: GenerationService,
        registry: ProviderRegistry,
        starter: Starter,
        max_image_bytes: int,
        presets: Presets,
        forms: FormBook,
        roster: Roster,
    ):
        self.service = service
        self.registry = registry
        self.starter = starter
        self.max_image_bytes = max_image_bytes
        self.presets = presets  # fills the options a request leaves out from a named preset
        self.forms = forms  # /video with no prompt and /animate with no image open a form
        forms.handle("video", self._video_form)
        forms.handle("animate", self._animate_form)
        self.roster = roster  # the server's cast: the `cast` option and @Name in prompts

    async def _cast(self, interaction: discord.Interaction[Any], current: str) -> list[Choice[str]]:
        return await cast_choices(self.roster, interaction, current)

    async def _resolve_cast(
        self, interaction: discord.Interaction[Any], cast: str | None, preset: str | None, spec: PromptSpec
    ) -> Members:
        """The cast members this request uses: the option (else the preset's), then @Name in the prompt."""
        names = cast or await self.presets.cast_of(interaction.user.id, interaction.guild_id, preset)
        return await self.roster.resolve(interaction.guild_id, names, spec.text())

    async def _presets(self, interaction: discord.Interaction[Any], current: str) -> list[Choice[str]]:
        return await preset_choices(self.presets, interaction, current)

    # --- autocomplete ------------------------------------------------------------------------------------
    def _model_choices(
        self, interaction: discord.Interaction[Any], current: str, capability: Capability
    ) -> list[Choice[str]]:
        """The enabled models that can do what the options typed so far ask (input kind, end image, loop,
        duration, aspect)."""
        needs = _needs(interaction, capability)
        namespace = interaction.namespace
        duration, aspect = getattr(namespace, "duration", None), getattr(namespace, "aspect", None)
        has_media = capability is Capability.IMAGE_TO_VIDEO
        out = []
        for info in self.registry.models():
            if not needs <= info.capabilities or current.lower() not in info.name.lower():
                continue
            if isinstance(duration, int) and duration not in info.durations:
                continue
            if isinstance(aspect, str) and aspect not in info.aspects_for(has_media=has_media):
                continue
            durations = info.durations
            span = f"{durations[0]}-{durations[-1]} s" if len(durations) > 2 else "/".join(map(str, durations)) + " s"
            out.append(Choice(name=f"{info.name} · {span}"[:100], value=info.name))
        return out[:25]

    def _duration_choices(self, interaction: discord.Interaction[Any], capability: Capability) -> list[Choice[int]]:
        model = getattr(interaction.namespace, "model", None)
        try:
            info = self.registry.choose(model or None, _needs(interaction, capability))
        except Exception:  # an unknown model typed so far: offer nothing rather than fail the autocomplete
            return []
        return [Choice(name=f"{d} s ({info.name})", value=d) for d in info.durations][:25]

    async def _t2v_models(self, interaction: discord.Interaction[Any], current: str) -> list[Choice[str]]:
        return self._model_choices(interaction, current, Capability.TEXT_TO_VIDEO)

    async def _i2v_models(self, interaction: discord.Interaction[Any], current: str) -> list[Choice[str]]:
        return self._model_choices(interaction, current, Capability.IMAGE_TO_VIDEO)

    async def _t2v_durations(self, interaction: discord.Interaction[Any], current: str) -> list[Choice[int]]:
        return self._duration_choices(interaction, Capability.TEXT_TO_VIDEO)

    async def _i2v_durations(self, interaction: discord.Interaction[Any], current: str) -> list[Choice[int]]:
        return self._duration_choices(interaction, Capability.IMAGE_TO_VIDEO)

    async def _t2v_aspects(self, interaction: discord.Interaction[Any], current: str) -> list[Choice[str]]:
        return aspect_choices(self.registry, interaction, current, _needs(interaction, Capability.TEXT_TO_VIDEO))

    async def _i2v_aspects(self, interaction: discord.Interaction[Any], current: str) -> list[Choice[str]]:
        return aspect_choices(self.registry, interaction, current, _needs(interaction, Capability.IMAGE_TO_VIDEO))

    async def _finished_jobs(self, interaction: discord.Interaction[Any], current: str) -> list[Choice[int]]:
        return await job_choices(self.service, interaction.user.id, current)

    # --- commands ----------------------------------------------------------------------------------------
    @app_commands.command(name="video", description="Make a video from a text prompt (no prompt: a form opens).")
    @anywhere
    @app_commands.describe(
        prompt="The subject and what it does, e.g. 'a red fox trotting through fresh snow'; leave out for a form",
        camera="Camera move",
        style="Visual style",
        setting="Where and when, e.g. 'a pine forest at dawn'",
        lighting="e.g. 'golden hour', 'neon'",
        details="Anything else: colours, mood, lens…",
        duration="Seconds (the model decides what it accepts)",
        aspect="Aspect ratio (the ones the chosen model can make)",
        model="Which model (default: the server's)",
        seed="Same seed + same prompt = same video",
        negative="What to avoid",
        loop="Make a seamless loop (models that can, e.g. Luma)",
        preset="One of your presets (options given here win)",
        cast=CAST_HELP,
        audio=AUDIO_HELP,
    )
    @app_commands.choices(camera=CAMERA_CHOICES, style=STYLE_CHOICES, audio=AUDIO_CHOICES)
    @app_commands.autocomplete(
        model=_t2v_models, duration=_t2v_durations, aspect=_t2v_aspects, preset=_presets, cast=_cast
    )  # type: ignore[misc]
    async def video(
        self,
        interaction: discord.Interaction[Any],
        prompt: Text | None = None,
        camera: Choice[str] | None = None,
        style: Choice[str] | None = None,
        setting: Text | None = None,
        lighting: Text | None = None,
        details: Text | None = None,
        duration: Seconds | None = None,
        aspect: str | None = None,
        model: str | None = None,
        seed: Seed | None = None,
        negative: Text | None = None,
        loop: bool = False,
        preset: str | None = None,
        cast: Range[str, 1, 120] | None = None,
        audio: Choice[str] | None = None,
    ) -> None:
        """Make a video from a text prompt; with no prompt, a form asks for it (and the setting, lighting, details)."""
        options = VideoOptions(
            _value(camera),
            _value(style),
            duration,
            aspect,
            model,
            seed,
            negative,
            loop,
            preset,
            cast,
            audio_value(audio),
        )
        if prompt is None:

            def say(key: str) -> str:
                return words_for(interaction, key)

            modal = self.forms.modal(
                "video",
                interaction.user.id,
                say("form.video.title"),
                text_field(
                    say("field.prompt"), "prompt", paragraph=True, required=True, placeholder=say("example.prompt")
                ),
                text_field(say("field.setting"), "setting", default=setting, placeholder=say("example.setting")),
                text_field(say("field.lighting"), "lighting", default=lighting, placeholder=say("example.lighting")),
                text_field(
                    say("field.details"), "details", paragraph=True, default=details, placeholder=say("example.details")
                ),
                options=options,
            )
            await interaction.response.send_modal(modal)
            return
        await self._start_video(interaction, prompt, setting, lighting, details, options)

    async def _video_form(self, interaction: discord.Interaction[Any], form: OpenForm, answers: Answers) -> None:
        """The /video form was sent: run it as the command does."""
        parts = answers.get("prompt"), answers.get("setting"), answers.get("lighting"), answers.get("details")
        await self._start_video(interaction, *parts, form.context["options"])

    async def _start_video(
        self,
        interaction: discord.Interaction[Any],
        prompt: str | None,
        setting: str | None,
        lighting: str | None,
        details: str | None,
        o: VideoOptions,
    ) -> None:
        # Options are checked before acknowledging: a bad one gets a private answer and nothing public.
        spec = PromptSpec.create(
            prompt,
            setting=setting,
            camera=o.camera,
            style=o.style,
            lighting=lighting,
            details=details,
            negative=o.negative,
            duration=o.duration,
            aspect=o.aspect,
            seed=o.seed,
            model=o.model,
            audio=o.audio,
        )
        spec = await self.presets.apply(interaction.user.id, interaction.guild_id, o.preset, spec)
        members = await self._resolve_cast(interaction, o.cast, o.preset, spec)
        self.service.check(spec, loop=o.loop, cast=members)  # every model-dependent refusal, before acknowledging
        await self.starter.from_interaction(
            interaction, lambda who: self.service.submit(who, spec, loop=o.loop, cast=members)
        )

    @app_commands.command(name="animate", description="Animate an image into a video (no image: a form opens).")
    @anywhere
    @app_commands.describe(
        image="The image to animate (PNG, JPEG, WebP or GIF); leave out for a form taking start and end frames",
        prompt="What should happen, e.g. 'the cat slowly turns its head'",
        camera="Camera move",
        style="Visual style",
        duration="Seconds (the model decides what it accepts)",
        aspect="Aspect ratio (the ones the chosen model can make)",
        model="Which model (default: the server's)",
        seed="Same seed + same image = same video",
        end_image="The last frame: animate from image to this one (models that can, e.g. Luma, Runway veo3.1)",
        preset="One of your presets (options given here win)",
        cast=CAST_HELP,
        audio=AUDIO_HELP,
    )
    @app_commands.choices(camera=CAMERA_CHOICES, style=STYLE_CHOICES, audio=AUDIO_CHOICES)
    @app_commands.autocomplete(
        model=_i2v_models, duration=_i2v_durations, aspect=_i2v_aspects, preset=_presets, cast=_cast
    )  # type: ignore[misc]
    async def animate(
        self,
        interaction: discord.Interaction[Any],
        image: discord.Attachment | None = None,
        prompt: Text | None = None,
        camera: Choice[str] | None = None,
        style: Choice[str] | None = None,
        duration: Seconds | None = None,
        aspect: str | None = None,
        model: str | None = None,
        seed: Seed | None = None,
        end_image: discord.Attachment | None = None,
        preset: str | None = None,
        cast: Range[str, 1, 120] | None = None,
        audio: Choice[str] | None = None,
    ) -> None:
        """Animate an image into a video; with no image, a form takes the start and end frames as uploads."""
        options = VideoOptions(
            _value(camera), _value(style), duration, aspect, model, seed, None, False, preset, cast, audio_value(audio)
        )
        last = Upload.from_attachment(end_image) if end_image is not None else None
        if image is None:

            def say(key: str) -> str:
                return words_for(interaction, key)

            modal = self.forms.modal(
                "animate",
                interaction.user.id,
                say("form.animate.title"),
                file_field(say("form.start_frame"), "image", required=True, description=say("form.image_kinds")),
                file_field(say("form.end_frame"), "end_image", required=False, description=say("form.end_frame_help")),
                text_field(
                    say("field.prompt"), "prompt", paragraph=True, default=prompt, placeholder=say("example.animate")
                ),
                options=options,
                end_image=last,
            )
            await interaction.response.send_modal(modal)
            return
        await self._start_animate(interaction, Upload.from_attachment(image), last, prompt, options)

    async def _animate_form(self, interaction: discord.Interaction[Any], form: OpenForm, answers: Answers) -> None:
        """The /animate form was sent: its uploads are the frames."""
        image = answers.file("image")
        if image is None:
            raise said(InvalidMedia, "media.no_start_frame")
        last = answers.file("end_image") or form.context["end_image"]
        await self._start_animate(interaction, image, last, answers.get("prompt"), form.context["options"])

    async def _start_animate(
        self,
        interaction: discord.Interaction[Any],
        image: Upload,
        end_image: Upload | None,
        prompt: str | None,
        o: VideoOptions,
    ) -> None:
        cap = self.max_image_bytes
        check_image(image, cap, "start" if end_image else "file")
        if end_image is not None:
            check_image(end_image, cap, "end")  # the declared type and size, before downloading
        spec = PromptSpec.create(
            prompt,
            camera=o.camera,
            style=o.style,
            duration=o.duration,
            aspect=o.aspect,
            seed=o.seed,
            model=o.model,
            allow_empty_subject=True,
            audio=o.audio,
        )
        spec = await self.presets.apply(interaction.user.id, interaction.guild_id, o.preset, spec)
        members = await self._resolve_cast(interaction, o.cast, o.preset, spec)
        self.service.check(spec, image=True, end_image=end_image is not None, cast=members)  # before acknowledging

        async def submit(who: Requester) -> Submitted:
            data = await self.forms.download(image, cap)  # from the URL in Discord's own payload
            last = await self.forms.download(end_image, cap) if end_image is not None else None
            return await self.service.submit(who, spec, image=data, end_image=last, cast=members)

        await self.starter.from_interaction(interaction, submit)

    @app_commands.command(name="extend", description="Continue one of your videos (default: your latest).")
    @anywhere
    @app_commands.describe(job="Which of your videos (default: the latest)", prompt="What happens next")
    @app_commands.autocomplete(job=_finished_jobs)
    async def extend(
        self, interaction: discord.Interaction[Any], job: int | None = None, prompt: Text | None = None
    ) -> None:
        """Continue one of your videos."""

        async def submit(who: Requester) -> Submitted:
            job_id = job
            if job_id is None:  # looked up after acknowledging: nothing but the defer comes first
                latest = await self.service.history(interaction.user.id, limit=1)
                if not latest:
                    raise JobNotFound(words_for(interaction, "refusal.nothing_to_extend"))
                job_id = latest[0].id
            return await self.service.extend(who, job_id, prompt=prompt)

        await self.starter.from_interaction(interaction, submit)


async def setup(bot: VideoBot) -> None:
    """Extension entry point."""
    app = bot.app
    await bot.add_cog(
        Generate(app.service, app.registry, bot.starter, app.settings.max_image_bytes, app.presets, bot.forms, app.cast)
    )
