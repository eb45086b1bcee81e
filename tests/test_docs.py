"""The documentation keeps up with the code: every setting is documented, the README's links resolve, and the
README's two first commands are the ones a newcomer (and CI) runs.  ``mkdocs build --strict`` (in ``.ci/run``)
checks the links inside ``docs/``."""

from __future__ import annotations

import re
import shlex

from bot.settings import Settings, _env_name
from tests.support.readme import README, ROOT, readme_commands


def test_every_setting_is_documented_in_the_configuration_page() -> None:
    page = (ROOT / "docs" / "configuration.md").read_text(encoding="utf-8")
    names = {_env_name(field) for field in Settings.model_fields}
    assert "VIDEOBOT_DAILY_SECONDS" in names and "RUNWAYML_API_SECRET" in names  # the names are really read
    missing = sorted(name for name in names if f"`{name}`" not in page)
    assert not missing, f"settings missing from docs/configuration.md: {missing}"


def test_the_readme_starts_with_the_two_commands_and_ci_runs_the_second() -> None:
    install_and_run, install_and_test = readme_commands()
    assert "pip install ." in install_and_run and "videobot generate" in install_and_run
    assert "pip install -e '.[test]'" in install_and_test and install_and_test.endswith("pytest -q")
    for line in (install_and_run, install_and_test):
        assert line.startswith("python3 -m venv .venv && . .venv/bin/activate && ")
        shlex.split(line)  # each is one valid shell line
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    assert install_and_test in ci, ".ci/run must run exactly the README's test command"


def test_the_readme_links_resolve_and_stay_short() -> None:
    text = README.read_text(encoding="utf-8")
    assert len(text.splitlines()) < 200
    targets = re.findall(r"\]\(([^)#]+)(?:#[^)]*)?\)", text)
    local = [t for t in targets if not t.startswith(("http://", "https://"))]
    assert "docs/configuration.md" in local and "docs/result-page.png" in local
    broken = [t for t in local if not (ROOT / t).exists()]
    assert not broken, f"README.md links to missing files: {broken}"


def test_the_default_model_order_in_the_docs_is_the_one_the_bot_uses() -> None:
    from bot.providers.defaults import DEFAULT_ORDER

    page = (ROOT / "docs" / "providers.md").read_text(encoding="utf-8")
    rows = dict(re.findall(r"^\| (text|image|video) \| ([^|]+) \|$", page, flags=re.M))
    assert {kind: tuple(m.strip() for m in models.split(",")) for kind, models in rows.items()} == DEFAULT_ORDER
