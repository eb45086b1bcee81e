"""/admin quota, /admin default, /admin budget: server limits; /admin gallery: every video made here;
/admin status: provider health (circuit breakers), the fallback lists and the queue;
/admin usage: what the server spent; /admin spendcap: its monthly cap in dollars.
For members with Manage Server.

The permission is the commands' default (Discord hides them from others) AND checked again here at
run time, because server admins can override a command's default permissions in their settings.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.app_commands import Range
from discord.ext import commands

from bot.edge.embeds import usage_embed
from bot.edge.translate import locale_of, words_for
from bot.i18n import in_language, phrase
from bot.services.fallback.health import HealthService
from bot.services.money import costs
from bot.services.money.quota import QuotaService, format_seconds
from bot.services.money.spend import MAX_DAYS
from bot.services.web.gallery import GalleryService
from bot.settings import Settings
from cogs.gallery import gallery_text

if TYPE_CHECKING:
    from bot.edge.client import VideoBot

Amount = Range[int, 0, 10_000_000]
Days = Range[int, 1, MAX_DAYS]
Dollars = Range[float, 0, 10_000_000]


@app_commands.default_permissions(manage_guild=True)
@app_commands.guild_only()
@app_commands.guild_install()  # server-only: never offered where the app is installed on a user
class Admin(commands.GroupCog, group_name="admin", group_description="Server limits for videos (Manage Server)."):
    """Quota settings for server admins."""

    def __init__(self, quota: QuotaService, settings: Settings, gallery: GalleryService, health: HealthService):
        self.quota_service = quota  # self.quota is the /quota command
        self.settings = settings
        self.gallery_service = gallery  # self.gallery is the /admin gallery command
        self.health = health
        super().__init__()

    async def interaction_check(self, interaction: discord.Interaction[Any]) -> bool:
        """Run-time permission check (whatever the server did to the command's defaults)."""
        perms = interaction.permissions
        if interaction.guild_id is None:
            raise app_commands.NoPrivateMessage()
        if not (perms.manage_guild or perms.administrator):
            raise app_commands.MissingPermissions(["manage_guild"])
        return True

    @app_commands.command(name="quota", description="Set one member's seconds of video per 24 h.")
    @app_commands.describe(user="The member", seconds="Seconds per 24 h (leave empty: back to the server default)")
    async def quota(
        self, interaction: discord.Interaction[Any], user: discord.Member | discord.User, seconds: Amount | None = None
    ) -> None:
        """Set a member's limit."""
        await interaction.response.defer(ephemeral=True, thinking=True)
        guild_id = interaction.guild_id
        await self.quota_service.set_user_limit(guild_id, user.id, None if seconds is None else float(seconds))
        status = await self.quota_service.status(user.id, guild_id)
        limit, used = format_seconds(status.limit), format_seconds(status.used)
        text = words_for(interaction, "admin.quota", member=user.mention, limit=limit, used=used)
        await interaction.followup.send(text, ephemeral=True, allowed_mentions=discord.AllowedMentions.none())

    @app_commands.command(name="default", description="Set the server's default seconds of video per member per 24 h.")
    @app_commands.describe(seconds="Seconds per member per 24 h (leave empty: the bot's default)")
    async def default(self, interaction: discord.Interaction[Any], seconds: Amount | None = None) -> None:
        """Set the guild default."""
        await interaction.response.defer(ephemeral=True, thinking=True)
        guild_id = int(interaction.guild_id or 0)
        await self.quota_service.set_guild_limits(guild_id, default_seconds=None if seconds is None else float(seconds))
        if seconds is not None:
            text = words_for(interaction, "admin.default", seconds=format_seconds(seconds))
        else:
            text = words_for(interaction, "admin.default_reset", seconds=self._bot_default())
        await interaction.followup.send(text, ephemeral=True)

    @app_commands.command(name="budget", description="Set the server's total seconds of video per 24 h.")
    @app_commands.describe(seconds="Seconds per 24 h for everyone together (leave empty: no server budget)")
    async def budget(self, interaction: discord.Interaction[Any], seconds: Amount | None = None) -> None:
        """Set the guild budget."""
        await interaction.response.defer(ephemeral=True, thinking=True)
        guild_id = int(interaction.guild_id or 0)
        await self.quota_service.set_guild_limits(guild_id, budget=None if seconds is None else float(seconds))
        if seconds is not None:
            text = words_for(interaction, "admin.budget", seconds=format_seconds(seconds))
        elif self.settings.guild_daily_budget is not None:
            default = format_seconds(self.settings.guild_daily_budget)
            text = words_for(interaction, "admin.budget_default", seconds=default)
        else:
            text = words_for(interaction, "admin.budget_none")
        await interaction.followup.send(text, ephemeral=True)

    @app_commands.command(name="gallery", description="A private link to a web page with every video made here.")
    async def gallery(self, interaction: discord.Interaction[Any]) -> None:
        """Send a signed link to the whole server's gallery (only the admin sees the reply)."""
        await interaction.response.defer(ephemeral=True, thinking=True)
        url = self.gallery_service.gallery_link(interaction.guild_id, None)
        text = gallery_text(interaction, url, self.settings.gallery_link_ttl, server=True)
        await interaction.followup.send(text, ephemeral=True, suppress_embeds=True)

    @app_commands.command(name="status", description="Provider health, circuit breakers, fallback lists and queue.")
    async def status(self, interaction: discord.Interaction[Any]) -> None:
        """Show the bot's provider health (only the admin sees the reply)."""
        await interaction.response.defer(ephemeral=True, thinking=True)
        report = await self.health.report()

        def say(key: str, /, **params: object) -> str:
            return words_for(interaction, key, **params)

        embed = discord.Embed(title=say("admin.status.title"), colour=0x5865F2)
        locale = locale_of(interaction)
        providers = "\n".join(in_language(locale, line) for line in report.providers)[:1024] or say("admin.status.none")
        embed.add_field(name=say("admin.status.providers"), value=providers, inline=False)
        fallback = "\n".join(in_language(locale, line) for line in report.fallback)[:1024]
        embed.add_field(name=say("admin.status.fallback"), value=fallback, inline=False)
        states = [
            say("admin.status.jobs", count=n, state=phrase(f"job_state.{state}")) for state, n in report.queue.items()
        ]
        queue = ", ".join(states) or say("admin.status.empty")
        embed.add_field(name=say("admin.status.queue"), value=queue[:1024], inline=False)
        if report.push_line:
            push = in_language(locale, report.push_line)[:1024]
            embed.add_field(name=say("admin.status.push"), value=push, inline=False)
        await interaction.followup.send(embed=embed, ephemeral=True)

    @app_commands.command(name="usage", description="What this server spent: by model and member, in dollars.")
    @app_commands.describe(days="How many days back (default 30)")
    async def usage(self, interaction: discord.Interaction[Any], days: Days = 30) -> None:
        """Spend of this server (provider units and dollars), jobs, failures refunded, cache hits saved."""
        await interaction.response.defer(ephemeral=True, thinking=True)
        summary = await self.quota_service.spend.usage(interaction.guild_id, days)
        await interaction.followup.send(
            embed=usage_embed(summary, locale_of(interaction)),
            ephemeral=True,
            allowed_mentions=discord.AllowedMentions.none(),
        )

    @app_commands.command(name="spendcap", description="Set the server's spend cap in US dollars per month.")
    @app_commands.describe(dollars="US dollars per calendar month (UTC); 0 or empty: no cap")
    async def spendcap(self, interaction: discord.Interaction[Any], dollars: Dollars | None = None) -> None:
        """Set or clear the monthly cap."""
        await interaction.response.defer(ephemeral=True, thinking=True)
        guild_id = int(interaction.guild_id or 0)
        await self.quota_service.spend.set_cap(guild_id, dollars)
        spent, cap = await self.quota_service.spend.cap_status(guild_id)
        usd = costs.dollars
        if cap:
            text = words_for(interaction, "admin.spendcap", cap=usd(cap), spent=usd(spent))
        else:
            text = words_for(interaction, "admin.spendcap_none", spent=usd(spent))
        if self.settings.monthly_spend_cap:
            text += words_for(interaction, "admin.spendcap_bot", cap=usd(self.settings.monthly_spend_cap))
        await interaction.followup.send(text, ephemeral=True)

    def _bot_default(self) -> str:
        return format_seconds(self.settings.daily_seconds)


async def setup(bot: VideoBot) -> None:
    """Extension entry point."""
    await bot.add_cog(Admin(bot.app.quota, bot.settings, bot.app.gallery, bot.app.health))
