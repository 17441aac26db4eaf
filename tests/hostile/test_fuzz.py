"""Images: seeded mutation fuzzing of every supported format through the one decoding path (see fuzz.py)."""

from __future__ import annotations

import io
import re
import subprocess
import sys

import pytest

from tests.hostile.fuzz import seed_files
from tests.support import REPO


def test_seed_files_cover_every_supported_format() -> None:
    from PIL import Image

    from fashion_desktop.imaging import SUPPORTED_FORMATS, decode

    formats = set()
    for data in seed_files().values():
        decode(data)  # each seed is valid
        with Image.open(io.BytesIO(data)) as image:
            formats.add(image.format)
    assert set(SUPPORTED_FORMATS) - {"DIB"} <= formats


@pytest.mark.slow
@pytest.mark.parametrize("seed", [1, 2])
def test_mutated_files_decode_or_are_refused_with_a_reason_in_bounded_memory(seed: int) -> None:
    """3000 mutated files per seed: every one decodes to a finite model input or raises ImageDecodeError; never
    another exception, never a hang; the whole run stays small in memory whatever sizes the headers claim."""
    result = subprocess.run(
        [sys.executable, "-m", "tests.hostile.fuzz", "--cases", "3000", "--seed", str(seed)],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=300,
    )
    summary = result.stdout.strip().splitlines()[-1] if result.stdout.strip() else ""
    assert result.returncode == 0, f"{summary}\n{result.stderr[-4000:]}"
    found = re.search(
        r"3000 cases .*: (\d+) decoded, (\d+) refused with a reason, 0 failed; peak RSS (\d+) MiB", summary
    )
    assert found, summary
    decoded, refused, peak = map(int, found.groups())
    assert decoded > 300 and refused > 300, "the mutations must exercise both outcomes"
    assert peak < 400, f"peak RSS {peak} MiB"
