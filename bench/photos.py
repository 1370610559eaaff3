"""How long re-encoding an uploaded photo takes (sweetshop.images.clean_image), by size.

    .venv/bin/python bench/photos.py

The owner's upload request does this work before answering; with gevent workers it also
holds that worker's other requests for as long, so it should stay well under a second
for a phone photo (12 MP, ~3-4 MB). Photos are synthetic (noise over a gradient, saved
as JPEG quality 92 like a phone camera) so the figure does not depend on a fixture file.
"""
from __future__ import annotations

import io
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from PIL import Image  # noqa: E402

from sweetshop.images import clean_image  # noqa: E402

SIZES = [(1600, 1200), (4000, 3000), (6000, 4500)]


def phone_like_jpeg(width: int, height: int) -> bytes:
    noise = Image.effect_noise((width // 4, height // 4), 60).resize((width, height))
    gradient = Image.linear_gradient("L").resize((width, height))
    out = io.BytesIO()
    Image.blend(noise.convert("RGB"), gradient.convert("RGB"), 0.5).save(out, "JPEG",
                                                                          quality=92)
    return out.getvalue()


def main() -> None:
    for width, height in SIZES:
        data = phone_like_jpeg(width, height)
        best = min(_timed(data) for _ in range(3))
        clean = clean_image(data, "jpg")
        print(f"{width}x{height} ({width * height / 1e6:.0f} MP), {len(data) / 1e6:.1f} MB in, "
              f"{len(clean.data) / 1e6:.1f} MB out: {best * 1000:.0f} ms (best of 3)")


def _timed(data: bytes) -> float:
    started = time.perf_counter()
    clean_image(data, "jpg")
    return time.perf_counter() - started


if __name__ == "__main__":
    main()
