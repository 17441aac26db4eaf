"""Image → model input, in numpy/PIL, equal to the Hugging Face image processors the models were exported with.

The parameters are read from `preprocess.json`, written by export_models.py from the checkpoint's own
processor, so a different checkpoint brings its own sizes and statistics.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from PIL import Image

from fashion_desktop.models.shapes import JsonObject

_RESAMPLE = {
    "nearest": Image.Resampling.NEAREST,
    "bilinear": Image.Resampling.BILINEAR,
    "bicubic": Image.Resampling.BICUBIC,
    "lanczos": Image.Resampling.LANCZOS,
}
RESIZE_MODES = ("shortest_edge", "exact")


@dataclass(frozen=True)
class PreprocessConfig:
    """`resize_mode` is "shortest_edge" (keep aspect, then centre crop) or "exact" (stretch to height×width)."""

    resize_mode: str
    resize_height: int
    resize_width: int
    crop_height: int | None
    crop_width: int | None
    resample: str
    rescale_factor: float
    mean: tuple[float, float, float]
    std: tuple[float, float, float]

    @property
    def output_size(self) -> tuple[int, int]:
        if self.crop_height is not None and self.crop_width is not None:
            return self.crop_height, self.crop_width
        return self.resize_height, self.resize_width

    @property
    def draft_size(self) -> int:
        """Smallest side a reduced-scale JPEG decode may produce without upsampling in resize."""
        return max(self.resize_height, self.resize_width)

    @classmethod
    def from_dict(cls, raw: object) -> PreprocessConfig:
        """The form written to preprocess.json; raises ShapeError naming the key that is missing or wrong."""
        top = JsonObject(raw)
        resize = top.obj("resize")
        crop = top.optional_obj("crop")
        mean = top.numbers("mean", 3)
        std = top.numbers("std", 3, positive=True)
        return cls(
            resize_mode=resize.text("mode", choices=RESIZE_MODES),
            resize_height=resize.integer("height", minimum=1),
            resize_width=resize.integer("width", minimum=1),
            crop_height=crop.integer("height", minimum=1) if crop else None,
            crop_width=crop.integer("width", minimum=1) if crop else None,
            resample=top.text("resample", choices=tuple(_RESAMPLE)),
            rescale_factor=top.number("rescale_factor", positive=True),
            mean=(mean[0], mean[1], mean[2]),
            std=(std[0], std[1], std[2]),
        )

    def to_dict(self) -> dict[str, Any]:
        crop = None if self.crop_height is None else {"height": self.crop_height, "width": self.crop_width}
        return {
            "resize": {"mode": self.resize_mode, "height": self.resize_height, "width": self.resize_width},
            "crop": crop,
            "resample": self.resample,
            "rescale_factor": self.rescale_factor,
            "mean": list(self.mean),
            "std": list(self.std),
        }


def resized_size(width: int, height: int, config: PreprocessConfig) -> tuple[int, int]:
    """(width, height) after resizing, with the rounding of transformers' get_resize_output_image_size."""
    if config.resize_mode == "exact":
        return config.resize_width, config.resize_height
    short_target = config.resize_height
    short, long = (width, height) if width <= height else (height, width)
    new_long = int(short_target * long / short)
    return (short_target, new_long) if width <= height else (new_long, short_target)


# Above this many pixels, a resize would cost more memory than the model input is worth: only a sliver (an image
# 1 pixel wide and thousands tall, a few hundred bytes on disk) gets there, never a photo.
LARGE_INTERMEDIATE = 4_000_000
# Pillow's resize holds (output size × scale) filter weights: shrinking 30 million rows to 384 takes gigabytes. Past
# this ratio, the image is first reduced by an integer factor (box average); a 120-megapixel photo stays below it.
MAX_RESIZE_RATIO = 64


def preprocess(image: Image.Image, config: PreprocessConfig) -> np.ndarray:
    """An RGB PIL image → float32 array [3, H, W], normalised."""
    if image.mode != "RGB":
        raise ValueError(f"expected an RGB image, got mode {image.mode}")
    image = _resized_and_cropped(image, config)
    planes = np.asarray(image, dtype=np.float32).transpose(2, 0, 1)
    out = np.empty(planes.shape, dtype=np.float32)
    for channel in range(3):
        # One fused scale and shift per channel plane: ~7x faster than broadcasting over HWC.
        scale = config.rescale_factor / config.std[channel]
        shift = config.mean[channel] / config.std[channel]
        np.multiply(planes[channel], scale, out=out[channel])
        out[channel] -= shift
    return out


def _resized_and_cropped(image: Image.Image, config: PreprocessConfig) -> Image.Image:
    """Resize, then centre-crop, in memory that follows the model input rather than the image's shape.

    A sliver's shortest-edge resize (1×100000 px → 256×25600000) is computed only over the part the crop keeps
    (Pillow's `box`), and an extreme reduction is preceded by an integer box reduction. Photos take the plain
    path, equal to the Hugging Face processors.
    """
    resample = _RESAMPLE[config.resample]
    new_w, new_h = resized_size(image.width, image.height, config)
    crop_h, crop_w = config.crop_height, config.crop_width
    if new_w * new_h > LARGE_INTERMEDIATE:
        if crop_h is None or crop_w is None or crop_h > new_h or crop_w > new_w:
            raise ValueError(f"image too elongated for this model ({image.width}×{image.height} pixels)")
        left, top = (new_w - crop_w) // 2, (new_h - crop_h) // 2
        x_scale, y_scale = image.width / new_w, image.height / new_h
        box = (left * x_scale, top * y_scale, (left + crop_w) * x_scale, (top + crop_h) * y_scale)
        return image.resize((crop_w, crop_h), resample=resample, box=box)
    if max(image.width / new_w, image.height / new_h) > MAX_RESIZE_RATIO:
        image = image.reduce((max(image.width // (new_w * 8), 1), max(image.height // (new_h * 8), 1)))
    if (new_w, new_h) != image.size:
        image = image.resize((new_w, new_h), resample=resample)
    if crop_h is not None and crop_w is not None:
        image = _center_crop(image, crop_h, crop_w)
    return image


def _center_crop(image: Image.Image, crop_h: int, crop_w: int) -> Image.Image:
    if image.height < crop_h or image.width < crop_w:
        # transformers pads with zeros (black) before cropping; do the same so results stay equal.
        canvas = Image.new("RGB", (max(image.width, crop_w), max(image.height, crop_h)), (0, 0, 0))
        canvas.paste(image, ((canvas.width - image.width) // 2, (canvas.height - image.height) // 2))
        image = canvas
    top = (image.height - crop_h) // 2
    left = (image.width - crop_w) // 2
    return image.crop((left, top, left + crop_w, top + crop_h))
