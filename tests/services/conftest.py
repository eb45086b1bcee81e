"""Fixtures of the service tests: an App on a temp data dir with the scripted provider and a recording target."""

import pytest

from bot.app import App
from tests.support.scripted import RecordingDelivery, ScriptedProvider


@pytest.fixture
def provider(sample_mp4):
    return ScriptedProvider(video=sample_mp4)


@pytest.fixture
async def make_app(make_settings, provider):
    apps = []

    async def build(**overrides):
        app = await App.create(make_settings(**overrides), providers=[provider])
        target = RecordingDelivery()
        app.router.register(target)
        apps.append(app)
        return app, target

    yield build
    for app in apps:
        await app.close()
