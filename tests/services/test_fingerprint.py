"""The result cache's key (:func:`bot.services.requests.intake.request_fingerprint`) is the one earlier versions
stored: the values below were computed by the version that read the inputs as a plain dict (main at 88c9128,
2026-12-06), so a typed ``JobInputs`` (or any later change) that alters a stored fingerprint fails here."""

from pathlib import Path

import pytest

from bot.prompt import PromptSpec
from bot.services.requests.intake import request_fingerprint
from storage import JobInputs

SPEC = PromptSpec.create("a red fox in snow", model="local:motion", duration=4, aspect="16:9", seed=7)


@pytest.mark.parametrize(
    ("kind", "inputs", "expected"),
    [
        ("generate", {}, "b22e404ae32912b441868c1e6a3dc286847c6fa7c515df2313cdbe96c15e9a10"),
        (
            "generate",
            {"image": "i.png", "loop": True},
            "02a793f437fccb08243db315c7ef04d2c9744bede44d6f4e078a0d26b7323b8d",
        ),
        (
            "extend",
            {"extend_task_id": "task-1", "concat_with": None},
            "38c770564f85388b4f6db5dbcdbc8d88ea5bbda33647b601102d198bb09839db",
        ),
        (
            "remix",
            {"video": "v.mp4", "strength": 0.8},
            "3f11ce1adbeb994e441bfebeaf99b5e87482cf4c9b09198946e24c933e2e4d20",
        ),
        (
            "stitch",
            {"op": "stitch", "sources": ["/m/1.mp4", "/m/2.mp4"], "crossfade": 0.5, "source_jobs": [1, 2]},
            "b40e63614e5114477ead719718b70b19806fb5d75128b5d049dfc20647568db0",
        ),
    ],
)
def test_fingerprints_stored_by_earlier_versions_still_match(tmp_path: Path, kind, inputs, expected):
    (tmp_path / "i.png").write_bytes(b"not really a png")  # files are hashed by content, not by path
    (tmp_path / "v.mp4").write_bytes(b"clip bytes")
    stored = {k: str(tmp_path / v) if k in ("image", "video") else v for k, v in inputs.items()}
    assert request_fingerprint(kind, SPEC, JobInputs.from_json(stored)) == expected
