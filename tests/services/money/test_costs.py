"""What a job costs: the price table covers the catalogue, estimates and actual figures per unit, and the worker
re-prices a job for the model that actually ran (as a fallback changes it) and settles at the provider's figure."""

import re

import pytest

from bot.app import App
from bot.prompt import PromptSpec
from bot.providers.base import ProviderCost
from bot.providers.catalogue import CATALOGUE
from bot.providers.finishes import FINISH_MODELS
from bot.providers.prices import PRICES, price_of
from bot.services.delivery.port import FileDelivery
from bot.services.money import costs
from bot.services.requests.generation import Requester
from storage import Cost, JobState

pytestmark = pytest.mark.timeout(120)


def test_every_catalogue_model_has_a_dated_price_and_nothing_else_does():
    cloud_finishes = {name for name in FINISH_MODELS if not name.startswith("local:")}
    assert set(PRICES) == set(CATALOGUE) | cloud_finishes
    for name, price in PRICES.items():
        assert re.fullmatch(r"20\d\d-(0[1-9]|1[0-2])", price.read), name
        assert price.amount > 0 and price.source, name
    assert price_of("local:motion") is not None and costs.estimate("local:motion", 5).usd == 0


def test_estimates_follow_each_unit():
    assert costs.estimate("runway:gen4.5", 5, credit_usd=0.01) == Cost(60.0, "credits", 0.6)
    assert costs.estimate("runway:gen4.5", 5, credit_usd=0.02).usd == pytest.approx(1.2)
    assert costs.estimate("luma:ray-2", 5) == Cost(5.0, "output s", pytest.approx(0.71))
    assert costs.estimate("replicate:minimax-video-01", 6) == Cost(1.0, "videos", 0.5)
    zeroscope = costs.estimate("replicate:zeroscope", 2)
    assert zeroscope.unit == "GPU s" and zeroscope.usd == pytest.approx(zeroscope.units * 0.00115)
    assert costs.estimate("nobody:knows", 5).usd == 0


def test_actual_figures_come_from_the_provider_where_it_reports_them():
    credits = ProviderCost(48, "credits")
    assert costs.actual("runway:gen4.5", 4, credits, succeeded=False) == Cost(48, "credits", 0.48)
    gpu = ProviderCost(12.5, "predict_seconds")
    assert costs.actual("replicate:zeroscope", 2, gpu, succeeded=True) == Cost(12.5, "GPU s", pytest.approx(0.014375))
    # billed by output: predict time is not the bill; a failure costs nothing
    assert costs.actual("replicate:kling-v2.1", 5, gpu, succeeded=True) == Cost(5, "output s", pytest.approx(0.25))
    assert costs.actual("replicate:kling-v2.1", 5, gpu, succeeded=False).usd == 0
    # Luma and fal report no money: the table prices a success's seconds
    assert costs.actual("fal:kling-2.1", 10, None, succeeded=True).usd == pytest.approx(2.8)
    assert costs.actual("luma:ray-2", 5, None, succeeded=False).usd == 0


def test_months_reset_on_the_first_utc():
    jan = 1_798_761_600.0  # 2027-01-01T00:00:00Z
    assert costs.month_start(jan + 3600) == jan and costs.month_start(jan - 1) < jan
    assert costs.next_month(jan - 1).timestamp() == jan


async def test_a_job_whose_model_changed_is_repriced_for_the_model_that_ran(make_settings, emulator, tmp_path):
    settings = make_settings(RUNWAYML_API_SECRET=emulator.runway.api_key, RUNWAYML_BASE_URL=emulator.runway_url)
    app = await App.create(settings)
    app.router.register(FileDelivery())
    try:
        who = Requester(user_id=1, guild_id=7, delivery={"kind": "file", "path": str(tmp_path / "out.mp4")})
        spec = PromptSpec.create("a lighthouse", model="runway:gen4.5", duration=4)
        job = (await app.service.submit(who, spec)).job
        row = await app.storage.costs.job_cost(job.id)
        assert row is not None and (row["model"], row["reserved_units"], row["state"]) == (
            "runway:gen4.5",
            48,
            "reserved",
        )
        # what a fallback does before the task is created: another model takes the job
        await app.storage.jobs.update(job.id, model="runway:veo3.1")
        done = await app.worker.wait_for(job.id, timeout=60)
        assert done.state is JobState.DONE, done.error
        row = await app.storage.costs.job_cost(done.id)
        assert row is not None and row["model"] == "runway:veo3.1"
        assert row["reserved_units"] == 80 and row["reserved_usd"] == pytest.approx(0.8)  # 20 credits/s x 4 s
        billed = emulator.runway.reported[str(done.provider_task_id)]
        assert (row["actual_units"], row["spent_units"], row["state"]) == (billed, billed, "settled")
        assert row["spent_usd"] == pytest.approx(billed * 0.01)
    finally:
        await app.close()


def test_the_money_settings_come_from_the_environment(monkeypatch):
    from bot.errors import ConfigError
    from bot.settings import load_settings

    monkeypatch.setenv("VIDEOBOT_RUNWAY_CREDIT_USD", "0.012")
    monkeypatch.setenv("VIDEOBOT_MONTHLY_SPEND_CAP", "250")
    settings = load_settings()
    assert (settings.runway_credit_usd, settings.monthly_spend_cap) == (0.012, 250.0)
    monkeypatch.setenv("VIDEOBOT_MONTHLY_SPEND_CAP", "-5")
    with pytest.raises(ConfigError, match="VIDEOBOT_MONTHLY_SPEND_CAP"):
        load_settings()


def test_a_native_audio_model_is_priced_with_and_without_sound():
    from bot.providers.prices import price_of
    from bot.services.money import costs as money

    silent = money.estimate("runway:veo3.1", 8, credit_usd=0.01)
    sounding = money.estimate("runway:veo3.1", 8, credit_usd=0.01, sound=True)
    assert (silent.units, sounding.units) == (160, 320) and sounding.usd == pytest.approx(3.2)
    fal = money.estimate("fal:kling-3", 5, sound=True)
    assert fal.usd == pytest.approx(0.63) and money.estimate("fal:kling-3", 5).usd == pytest.approx(0.42)
    assert money.estimate("runway:gen4.5", 5, sound=True) == money.estimate("runway:gen4.5", 5)  # no sound mode
    for name in ("runway:veo3.1", "runway:veo3.1_fast", "runway:kling3.0_pro", "runway:seedance2", "runway:wan3"):
        price = price_of(name)
        assert price is not None and price.with_sound is not None and price.read == "2026-12", name
