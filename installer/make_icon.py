"""The app icon (256 px PNG), cut from the sample catalog's dress."""

import sys
from pathlib import Path

from PIL import Image

from fashion_desktop.sample import sample_catalog_dir

source = Image.open(sample_catalog_dir() / "twemoji" / "twemoji-dress.jpg").convert("RGB")
side = min(source.size) - 60
left, top = (source.width - side) // 2, (source.height - side) // 2 - 20
source.crop((left, top, left + side, top + side)).resize((256, 256), Image.Resampling.LANCZOS).save(Path(sys.argv[1]))
