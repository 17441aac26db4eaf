"""Run-time preprocessing equals the Hugging Face image processors, on every awkward kind of image."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from transformers import BlipImageProcessor, ConvNextImageProcessor

from fashion_desktop.imaging import ImageDecodeError, load_rgb
from fashion_desktop.models.preprocess import PreprocessConfig, preprocess
from model_export.blip import OPENAI_CLIP_MEAN, OPENAI_CLIP_STD
from model_export.processors import preprocess_config_from_processor
from model_export.resnet import RESNET50_PROCESSOR
from tests.images import gradient, jpeg_bytes, write_awkward_images

RESNET_PROCESSOR = ConvNextImageProcessor(**RESNET50_PROCESSOR)
BLIP_PROCESSOR = BlipImageProcessor(
    size={"height": 384, "width": 384}, image_mean=OPENAI_CLIP_MEAN, image_std=OPENAI_CLIP_STD
)


@pytest.fixture(scope="module")
def awkward(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return write_awkward_images(tmp_path_factory.mktemp("awkward"))


@pytest.mark.parametrize("processor", [RESNET_PROCESSOR, BLIP_PROCESSOR], ids=["resnet", "blip"])
@pytest.mark.parametrize(
    "name",
    [
        "tiny.png",
        "huge.png",
        "portrait.jpg",
        "grayscale.png",
        "cmyk.jpg",
        "palette_alpha.png",
        "rgba.png",
        "exif_rotated.jpg",
        "sixteen_bit.png",
    ],
)
def test_matches_hf_processor(awkward: dict[str, Path], name: str, processor: object) -> None:
    config = preprocess_config_from_processor(processor)
    image = load_rgb(awkward[name])
    ours = preprocess(image, config)
    theirs = processor(images=image, return_tensors="np")["pixel_values"][0]  # type: ignore[operator]
    assert ours.shape == theirs.shape == (3, *config.output_size)
    assert ours.dtype == np.float32
    assert np.abs(ours - theirs).max() <= 1e-5


def test_resnet_config_is_the_convnext_rule() -> None:
    config = preprocess_config_from_processor(RESNET_PROCESSOR)
    assert (config.resize_mode, config.resize_height, config.crop_height) == ("shortest_edge", 256, 224)


def test_exif_orientation_is_applied(awkward: dict[str, Path]) -> None:
    assert load_rgb(awkward["exif_rotated.jpg"]).size == (200, 400)  # stored 400×200, displayed upright


def test_transparency_is_composited_on_white(awkward: dict[str, Path]) -> None:
    for name in ("palette_alpha.png", "rgba.png"):
        pixels = np.asarray(load_rgb(awkward[name]))
        assert (pixels[:, :60] == 255).all(), name
        assert (pixels[:, 100:] != 255).any(), name


def test_sixteen_bit_is_scaled_not_clipped(awkward: dict[str, Path]) -> None:
    pixels = np.asarray(load_rgb(awkward["sixteen_bit.png"]))
    assert pixels.min() == 0 and pixels.max() == 255
    assert 100 < np.median(pixels) < 155


def test_cmyk_and_grayscale_become_rgb(awkward: dict[str, Path]) -> None:
    for name in ("cmyk.jpg", "grayscale.png"):
        assert load_rgb(awkward[name]).mode == "RGB"


def test_reduced_scale_jpeg_decoding_stays_within_documented_tolerance() -> None:
    config = preprocess_config_from_processor(RESNET_PROCESSOR)
    data = jpeg_bytes(gradient(2400, 3200, seed=9))
    fast_image = load_rgb(data, draft_size=config.draft_size)
    assert fast_image.size == (300, 400)  # decoded at 1/8 scale, still above the 256 px resize target
    exact = preprocess(load_rgb(data), config)
    fast = preprocess(fast_image, config)
    difference = np.abs(fast - exact)
    assert difference.max() <= 0.25 and difference.mean() <= 0.03  # README: Preprocessing


def test_small_jpeg_is_never_reduced() -> None:
    data = jpeg_bytes(gradient(300, 300))
    assert load_rgb(data, draft_size=256).size == (300, 300)


@pytest.mark.parametrize("payload", [b"", b"not an image", jpeg_bytes(gradient(50, 50))[:200]])
def test_undecodable_input_raises_a_clear_error(payload: bytes) -> None:
    with pytest.raises(ImageDecodeError):
        load_rgb(payload)


def test_config_round_trips_through_json_form() -> None:
    config = preprocess_config_from_processor(BLIP_PROCESSOR)
    assert PreprocessConfig.from_dict(config.to_dict()) == config


def test_non_rgb_input_is_refused() -> None:
    with pytest.raises(ValueError):
        preprocess(Image.new("L", (10, 10)), preprocess_config_from_processor(BLIP_PROCESSOR))
