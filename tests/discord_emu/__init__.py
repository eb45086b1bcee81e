"""A loopback Discord emulator for the real discord.py (placeholder docstring, replaced below)."""

from .emulator import DiscordEmulator
from .handle import InteractionHandle
from .harness import point_discord_py_at, running_bot
from .interactions import CommandNotPermitted, CommandNotSynced, Upload
from .models import Channel, Guild, Member, Role, User
from .records import Attachment, Interaction, Message, Pings
from .remote import ControlError, RemoteEmulator, standalone_emulator

__all__ = [
    "Attachment",
    "Channel",
    "CommandNotPermitted",
    "CommandNotSynced",
    "ControlError",
    "DiscordEmulator",
    "Guild",
    "Interaction",
    "InteractionHandle",
    "Member",
    "Message",
    "Pings",
    "RemoteEmulator",
    "Role",
    "Upload",
    "User",
    "point_discord_py_at",
    "running_bot",
    "standalone_emulator",
]
