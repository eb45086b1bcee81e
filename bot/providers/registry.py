"""The enabled providers and their models, built from settings.

``local`` is always there (the offline preview renderer); a cloud provider is enabled when its
key is set.  When no model is asked for, the default is ``VIDEOBOT_DEFAULT_MODEL`` if it can do
the job, else the first enabled model that can in the preference order of the request's kind
(:mod:`bot.providers.defaults`: text, image or video; the local renderer last).
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence

from bot.errors import InvalidOption
from bot.i18n import Phrase, joined, phrase, said, verbatim
from bot.providers.base import Capability, ModelInfo, VideoProvider, capabilities_phrase, capability_phrase
from bot.providers.catalogue import ALIASES, CATALOGUE, RETIRED, canonical_name
from bot.providers.defaults import DEFAULT_ORDER, KINDS, kind_of


class ProviderRegistry:
    """Providers by name and models by ``provider:model``."""

    def __init__(self, providers: Iterable[VideoProvider], default_model: str | None = None):
        self.providers: dict[str, VideoProvider] = {p.name: p for p in providers}
        self._models: dict[str, ModelInfo] = {}
        for provider in self.providers.values():
            for info in provider.models():
                self._models[info.name] = info
        self.default_model = default_model

    def models(self) -> Sequence[ModelInfo]:
        """Every enabled model, cloud providers first."""
        return sorted(self._models.values(), key=lambda m: (m.provider == "local", m.name))

    def model(self, name: str) -> ModelInfo:
        """A model by name, or InvalidOption naming the enabled ones."""
        key = canonical_name(name)
        if ":" not in key:  # allow "gen4.5" when unambiguous
            matches = [m for m in self._models if m.split(":", 1)[1] == key]
            if len(matches) == 1:
                key = matches[0]
        info = self._models.get(key)
        retired = RETIRED.get(key) or next((n for m, n in RETIRED.items() if m.split(":", 1)[1] == key), None)
        if info is None and retired:  # why it retired is the catalogue's own note (English, like model names)
            raise said(InvalidOption, "model.retired", name=repr(name.strip()[:60]), why=retired)
        if info is None:
            raise self._unknown(name.strip()[:60], key)
        return info

    def _unknown(self, typed: str, key: str) -> InvalidOption:
        """Why a name is refused: a catalogue model whose provider has no key, or the close matches."""
        enabled = ", ".join(m.name for m in self.models())
        if key in CATALOGUE:
            return said(InvalidOption, "model.not_enabled", name=repr(typed), enabled=enabled)
        names = list(self._models) + [alias for alias, target in ALIASES.items() if target in self._models]
        close = difflib.get_close_matches(key, names, n=3, cutoff=0.6)
        close += [n for n in names if ":" not in key and n.split(":", 1)[1].startswith(key) and n not in close]
        if close:
            models = joined([verbatim(model) for model in close[:3]], "list.or")
            return said(InvalidOption, "model.unknown_close", name=repr(typed), models=models, enabled=enabled)
        return said(InvalidOption, "model.unknown", name=repr(typed), enabled=enabled)

    def provider(self, model: str) -> VideoProvider:
        """The provider serving a model."""
        name = model.split(":", 1)[0]
        try:
            return self.providers[name]
        except KeyError:
            raise said(InvalidOption, "model.provider_not_enabled", provider=repr(name)) from None

    def choose(self, requested: str | None, capability: Capability | Iterable[Capability]) -> ModelInfo:
        """The model to use: the requested one (checked for the capabilities) or the default: the first
        of ``VIDEOBOT_DEFAULT_MODEL`` and the request kind's preference order (bot.providers.defaults) that can."""
        needs = frozenset({capability} if isinstance(capability, Capability) else capability)
        if requested:
            info = self.model(requested)
            missing = sorted(needs - info.capabilities)
            if missing:
                what = capability_phrase(missing[0])
                raise said(InvalidOption, "model.cannot_do", model=info.name, what=what, able=self.who_can(needs))
            return info
        default = self.default_for(needs)
        if default is None:
            raise said(InvalidOption, "model.none_can_do", what=capabilities_phrase(needs, "list.plus"))
        return default

    def default_for(self, needs: frozenset[Capability]) -> ModelInfo | None:
        """The default model for a request needing ``needs`` (see :meth:`choose`), or None when none can."""
        if self.default_model:
            configured = self.model(self.default_model)
            if _fits(configured, needs):
                return configured
        kind = kind_of(needs)
        for name in DEFAULT_ORDER.get(kind, ()) if kind else ():
            info = self._models.get(name)
            if info is not None and _fits(info, needs):
                return info
        # what no order covers (edits; a model added to the catalogue but not yet to an order): cloud first
        return next((m for m in self.models() if _fits(m, needs)), None)

    def defaults(self) -> dict[str, ModelInfo | None]:
        """The default model of each kind of request (text, image, video), as ``videobot models`` shows them."""
        needs = {
            "text": Capability.TEXT_TO_VIDEO,
            "image": Capability.IMAGE_TO_VIDEO,
            "video": Capability.VIDEO_TO_VIDEO,
        }
        return {kind: self.default_for(frozenset({needs[kind]})) for kind in KINDS}

    def who_can(self, capability: Capability | Iterable[Capability]) -> Phrase:
        """A hint naming the enabled models that can do all of ``capability`` (a phrase: English as it reads, the
        member's language where it is said in a refusal's words)."""
        needs = frozenset({capability} if isinstance(capability, Capability) else capability)
        able = [m.name for m in self.models() if _fits(m, needs)]
        return phrase("model.try", models=", ".join(able)) if able else phrase("model.none_can")

    async def aclose(self) -> None:
        """Close every provider."""
        for provider in self.providers.values():
            await provider.aclose()


def _fits(info: ModelInfo, needs: frozenset[Capability]) -> bool:
    """Whether the model can do all of ``needs`` (a cast without a start image: not on models that need one)."""
    try:
        info.check_capabilities(needs)
    except InvalidOption:
        return False
    return True
