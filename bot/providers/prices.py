"""What each model costs, as data: one :class:`Price` per catalogue model, each with its unit, amount and the
month it was read.  :mod:`bot.services.money.costs` turns a price (and the provider's own figure, where it reports
one) into dollars; nothing else reads this table.

Units:

- ``credits_per_second``: Runway credits per second of output (dollars at ``VIDEOBOT_RUNWAY_CREDIT_USD``);
  the task's final ``cost.credits`` is the actual figure.
- ``usd_per_hardware_second``: Replicate community models, billed per second of the hardware they run on;
  ``metrics.predict_time`` is the actual figure (``hardware_seconds`` per second of output is the estimate).
  fal's RIFE is billed per compute second too; fal reports no such figure, so its estimate is what is kept.
- ``usd_per_output_second``: billed per second of video made (Replicate official models, Luma, fal).
- ``usd_per_video``: one price per clip (Replicate's MiniMax Video-01).

The amounts were read from the providers' price pages in the month given in ``read`` (``source`` says
where); prices change: update an entry and its date together.  The local renderer is free.
"""

from __future__ import annotations

from dataclasses import dataclass

CREDITS = "credits_per_second"
HARDWARE = "usd_per_hardware_second"
OUTPUT = "usd_per_output_second"
VIDEO = "usd_per_video"


@dataclass(frozen=True)
class Price:
    """One model's price."""

    unit: str  # CREDITS | HARDWARE | OUTPUT | VIDEO
    amount: float  # credits or US dollars per unit
    read: str  # the month the figure was read, "YYYY-MM"
    source: str  # where it was read
    hardware_seconds: float = 0.0  # HARDWARE: typical seconds of hardware per second of output (the estimate)
    note: str = ""
    with_sound: float | None = None  # the amount when the model makes sound with the picture (None: no such mode)

    def sounding(self, sound: bool) -> Price:
        """This price for a clip made with sound (``sound``) or without."""
        if not sound or self.with_sound is None:
            return self
        return Price(self.unit, self.with_sound, self.read, self.source, self.hardware_seconds, self.note)


_RUNWAY = "Runway API pricing (docs.dev.runwayml.com, credits per second)"
_REPLICATE_HW = "Replicate hardware pricing (replicate.com/pricing, {})"
_REPLICATE_MODEL = "the model's page on replicate.com (billed by output)"
_LUMA = "Luma Dream Machine API pricing (lumalabs.ai/api, 720p)"
_FAL = "the model's page on fal.ai (billed by output)"
_FAL_COMPUTE = "fal.ai/models/{}/llms.txt (billed per compute second)"
_RUNWAY_SKILL = "Runway's API reference in github.com/runwayml/skills (rw-api-reference, credits per second)"
_ESTIMATE = "estimate: not on Runway's published list when read; the task's cost.credits is what is recorded"

# fmt: off
PRICES: dict[str, Price] = {
    "runway:gen4.5": Price(CREDITS, 12, "2026-11", _RUNWAY),
    "runway:gen4_turbo": Price(CREDITS, 5, "2026-11", _RUNWAY),
    # The native-audio models: ``amount`` without sound, ``with_sound`` with it (audio: true).  Read 2026-12-06 from
    # Runway's API reference as its own skill repository states it (github.com/runwayml/skills, rw-api-reference:
    # "veo3.1 20-40", "veo3.1_fast 10-15", "seedance2 36" credits/s, "eleven_text_to_sound_v2 1-2 credits").
    # Kling 3.0 Pro, Wan 3 and Mirelo were not on that list: their figures are estimates (_ESTIMATE); Runway
    # reports every task's final ``cost.credits``, and that is what the cost ledger keeps.
    "runway:veo3.1": Price(CREDITS, 20, "2026-12", _RUNWAY_SKILL, with_sound=40),
    "runway:veo3.1_fast": Price(CREDITS, 10, "2026-12", _RUNWAY_SKILL, with_sound=15),
    "runway:kling3.0_pro": Price(CREDITS, 15, "2026-12", _ESTIMATE, with_sound=20),
    "runway:seedance2": Price(CREDITS, 36, "2026-12", _RUNWAY_SKILL, with_sound=36, note="one price, sound or not"),
    "runway:wan3": Price(CREDITS, 10, "2026-12", _ESTIMATE, with_sound=12),
    # sound alone, per second of sound made
    "runway:mirelo-sfx": Price(CREDITS, 2, "2026-12", _ESTIMATE, note="video to audio, per second of sound"),
    "runway:eleven-sfx": Price(CREDITS, 0.2, "2026-12", _RUNWAY_SKILL, note="1-2 credits a sound, as 0.2/s of 10 s"),
    "runway:aleph2": Price(CREDITS, 15, "2026-11", _RUNWAY),
    # the reference models (2026-12): Seedance 2.0's 36 credits/s is from runwayml/skills' rw-integrate-video
    # model table; the Kling and Seedance Fast figures are estimates until read from Runway's price page (the
    # task's final cost.credits is the actual charge either way)
    "runway:seedance2_fast": Price(CREDITS, 20, "2026-12", _RUNWAY, note="estimate, not read"),
    "runway:klingo3_pro": Price(CREDITS, 24, "2026-12", _RUNWAY, note="estimate, not read"),
    "runway:klingo3_standard": Price(CREDITS, 18, "2026-12", _RUNWAY, note="estimate, not read"),
    "runway:kling_4": Price(CREDITS, 24, "2026-12", _RUNWAY, note="estimate, not read"),
    "runway:hailuo3": Price(CREDITS, 20, "2026-12", _RUNWAY, note="estimate, not read"),
    # the finishing models: Runway publishes no per-second figure for video_upscale where we read (2026-12-06;
    # the SDK's usage types list the models, not their prices): an estimate the quote calls "about", and the
    # task's final cost.credits is what the ledger keeps
    "runway:magnific-upscale": Price(CREDITS, 10, "2026-12", _RUNWAY, note="estimate; cost.credits is the actual"),
    "runway:frame-rate": Price(CREDITS, 5, "2026-12", _RUNWAY, note="estimate; cost.credits is the actual"),
    "replicate:stable-video-diffusion": Price(HARDWARE, 0.0014, "2026-11", _REPLICATE_HW.format("A100 80 GB"),
                                              hardware_seconds=20),
    "replicate:animate-diff": Price(HARDWARE, 0.000725, "2026-11", _REPLICATE_HW.format("A40"), hardware_seconds=15),
    "replicate:zeroscope": Price(HARDWARE, 0.00115, "2026-11", _REPLICATE_HW.format("A100 40 GB"),
                                 hardware_seconds=25),
    "replicate:kling-v2.1": Price(OUTPUT, 0.05, "2026-11", _REPLICATE_MODEL, note="standard mode, 720p"),
    "replicate:wan-2.2-i2v": Price(OUTPUT, 0.09, "2026-11", _REPLICATE_MODEL, note="480p"),
    "replicate:minimax-video-01": Price(VIDEO, 0.50, "2026-11", _REPLICATE_MODEL),
    "replicate:veo-3": Price(OUTPUT, 0.75, "2026-11", _REPLICATE_MODEL, note="with audio"),
    "replicate:seedance-2.0": Price(OUTPUT, 0.18, "2026-12", _REPLICATE_MODEL, note="720p; estimate, not read"),
    "replicate:topaz-video": Price(OUTPUT, 0.04, "2026-12", _REPLICATE_MODEL,
                                   note="estimate: Replicate's page prices it by output size and rate; ~1080p 30 fps"),
    "luma:ray-2": Price(OUTPUT, 0.142, "2026-11", _LUMA),
    "luma:ray-flash-2": Price(OUTPUT, 0.048, "2026-11", _LUMA),
    "luma:upscale": Price(OUTPUT, 0.05, "2026-12", _LUMA, note="estimate: no per-second upscale figure found"),
    "fal:pika-2.2": Price(OUTPUT, 0.04, "2026-11", _FAL, note="720p"),
    "fal:pikaframes": Price(OUTPUT, 0.04, "2026-11", _FAL, note="720p"),
    "fal:kling-2.1": Price(OUTPUT, 0.28, "2026-11", _FAL, note="Kling 2.1 Master"),
    "fal:hailuo-02": Price(OUTPUT, 0.045, "2026-11", _FAL, note="standard, 768p"),
    "fal:topaz": Price(OUTPUT, 0.02, "2026-12", _FAL,
                       note="720p-1080p output at 30 fps; above 1080p $0.08/s, 60 fps doubles (the estimate's tier)"),
    # fal.ai/models/fal-ai/rife/video/llms.txt (read 2026-12-06): "$0.0013 per compute second"; fal reports no
    # compute figure, so the ledger keeps the estimate: 3 GPU seconds per second of video (RIFE runs faster than
    # real time on a datacentre GPU; the rest is fal's decode, encode and start), an estimate, not read
    "fal:rife": Price(HARDWARE, 0.0013, "2026-12", _FAL_COMPUTE.format("fal-ai/rife/video"), hardware_seconds=3,
                      note="per compute second; 3 s of GPU per second of video is an estimate"),
    # fal.ai/models/fal-ai/kling-video/v3/standard/text-to-video/llms.txt (read 2026-12-06): "$0.084 (audio off)
    # or $0.126 (audio on)" per second
    "fal:kling-3": Price(OUTPUT, 0.084, "2026-12", _FAL, note="Kling 3.0 Standard", with_sound=0.126),
}
# fmt: on

FREE = Price(OUTPUT, 0.0, "2026-11", "the built-in offline renderer")


def price_of(model: str, *, sound: bool = False) -> Price | None:
    """A model's price (with ``sound``: for a clip with sound, where the model prices that apart); the ``local``
    provider is free; None for a model the table does not know."""
    if model.startswith("local:"):
        return FREE
    price = PRICES.get(model)
    return price.sounding(sound) if price is not None else None


def price_label(model: str, credit_usd: float = 0.01, *, sound: bool = False) -> str:
    """A short label for menus: ``12 credits/s ($0.12/s)``, ``$0.05/s``, ``$0.50/clip``, ``free``."""
    price = price_of(model, sound=sound)
    if model.startswith("comfyui:"):  # the owner's GPU: $0, or VIDEOBOT_COMFYUI_USD_PER_GPU_SECOND once it ran
        return "your own GPU"
    if price is None:
        return "price unknown"
    if price.amount == 0:
        return "free"
    if price.unit == CREDITS:
        return f"{price.amount:g} credits/s (${price.amount * credit_usd:.2f}/s)"
    if price.unit == HARDWARE:
        return f"${price.amount:g}/s of GPU"
    if price.unit == VIDEO:
        return f"${price.amount:.2f}/clip"
    return f"${price.amount:.3g}/s"
