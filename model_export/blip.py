"""BLIP (image captioning) → two ONNX graphs with a key/value cache, via torch.onnx.export.

optimum has no BLIP exporter; the graphs are the modules of model_export.blip_graphs, exported with the
legacy TorchScript exporter at a fixed opset, with named inputs/outputs and dynamic batch/length axes.
"""

from __future__ import annotations

import logging
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import torch
from PIL import Image
from transformers import (
    BlipConfig,
    BlipForConditionalGeneration,
    BlipImageProcessor,
    BlipProcessor,
)

from fashion_desktop.models.base import PREPROCESS_FILE
from fashion_desktop.models.captioner import (
    GENERATION_FILE,
    TOKENIZER_FILE,
    Captioner,
    decoder_input_names,
    decoder_output_names,
    vision_output_names,
)
from fashion_desktop.models.decoding import DecodeSettings
from fashion_desktop.models.manifest import GraphInfo
from model_export.blip_graphs import TextDecoder, VisionEncoder
from model_export.common import OPSET, ExportError, Source, synthetic_images, write_json, write_manifest
from model_export.processors import preprocess_config_from_processor
from model_export.tokenizer import stand_in_tokenizer

log = logging.getLogger("fashion_desktop.export.blip")

VISION_FILE = "vision_encoder.onnx"
DECODER_FILE = "text_decoder.onnx"
OPENAI_CLIP_MEAN = [0.48145466, 0.4578275, 0.40821073]
OPENAI_CLIP_STD = [0.26862954, 0.26130258, 0.27577711]
# Salesforce/blip-image-captioning-base: text config differs from BlipTextConfig defaults in its head count, and
# the vision initializer_range default (1e-10) would make random vision weights ~0 and every caption identical.
FULL_CONFIG = {"text_config": {"num_attention_heads": 12}, "vision_config": {"initializer_range": 0.02}}
TINY_CONFIG = {
    "text_config": {
        "hidden_size": 32,
        "encoder_hidden_size": 32,
        "intermediate_size": 64,
        "num_hidden_layers": 2,
        "num_attention_heads": 2,
        "max_position_embeddings": 64,
        "initializer_range": 0.2,
    },
    "vision_config": {
        "hidden_size": 32,
        "intermediate_size": 64,
        "num_hidden_layers": 2,
        "num_attention_heads": 2,
        "image_size": 64,
        "patch_size": 16,
        "initializer_range": 0.2,
    },
    "projection_dim": 32,
}
# Tiny stand-ins: larger random weights so each image gets its own caption, and a [SEP] bias so captions end at
# varied lengths; both make the tests exercise image dependence and early stopping.
TINY_SEP_BIAS = 4.0
PARITY_SETTINGS = (
    DecodeSettings(max_new_tokens=12, num_beams=1),
    DecodeSettings(max_new_tokens=12, num_beams=3),
    DecodeSettings(max_new_tokens=12, min_new_tokens=5, num_beams=3),
)


def load(source: Source) -> tuple[BlipForConditionalGeneration, BlipProcessor]:
    if source.random_weights:
        torch.manual_seed(0)
        raw = TINY_CONFIG if source.random_weights == "tiny" else FULL_CONFIG
        config = BlipConfig(**raw)
        model = BlipForConditionalGeneration(config)
        if source.random_weights == "tiny":
            with torch.no_grad():
                model.text_decoder.cls.predictions.decoder.bias[config.text_config.sep_token_id] += TINY_SEP_BIAS
        size = config.vision_config.image_size
        image_processor = BlipImageProcessor(
            size={"height": size, "width": size}, image_mean=OPENAI_CLIP_MEAN, image_std=OPENAI_CLIP_STD
        )
        processor = BlipProcessor(image_processor=image_processor, tokenizer=stand_in_tokenizer())
    else:
        model = BlipForConditionalGeneration.from_pretrained(source.name_or_path, revision=source.revision)
        processor = BlipProcessor.from_pretrained(source.name_or_path, revision=source.revision)
    return model.eval(), processor


def export(source: Source, out_dir: Path) -> dict[str, Any]:
    """Write both graphs plus preprocess/tokenizer/generation JSON into `out_dir`; return parity figures."""
    model, processor = load(source)
    text = model.config.text_config
    layers, heads = text.num_hidden_layers, text.num_attention_heads
    head_dim = text.hidden_size // heads
    size = processor.image_processor.size["height"]

    pixel_values = torch.randn(2, 3, size, size)
    vision = VisionEncoder(model).eval()
    cross_names = vision_output_names(layers)
    _export(
        vision,
        (pixel_values,),
        out_dir / VISION_FILE,
        ["pixel_values"],
        cross_names,
        {"pixel_values": {0: "batch"}, **{n: {0: "batch"} for n in cross_names}},
    )

    with torch.no_grad():
        cross = vision(pixel_values)
    rows, past_len = 2, 3
    past = [torch.randn(rows, heads, past_len, head_dim) for _ in range(2 * layers)]
    input_ids = torch.randint(0, text.vocab_size, (rows, 2))
    in_names, out_names = decoder_input_names(layers), decoder_output_names(layers)
    axes: dict[str, dict[int, str]] = {"input_ids": {0: "rows", 1: "new_tokens"}, "logits": {0: "rows"}}
    axes |= {n: {0: "rows", 2: "past_len"} for n in in_names if n.startswith("past_")}
    axes |= {n: {0: "batch", 2: "image_tokens"} for n in in_names if n.startswith("cross_")}
    axes |= {n: {0: "rows", 2: "total_len"} for n in out_names if n.startswith("present_")}
    _export(TextDecoder(model).eval(), (input_ids, *past, *cross), out_dir / DECODER_FILE, in_names, out_names, axes)

    write_json(out_dir / PREPROCESS_FILE, preprocess_config_from_processor(processor.image_processor).to_dict())
    write_json(
        out_dir / GENERATION_FILE,
        {
            "num_layers": layers,
            "num_heads": heads,
            "head_dim": head_dim,
            "bos_token_id": text.bos_token_id,
            "eos_token_id": text.sep_token_id,
            "pad_token_id": text.pad_token_id,
            "max_positions": text.max_position_embeddings,
        },
    )
    _save_tokenizer(processor, out_dir)
    graphs = {
        "vision_encoder": GraphInfo(fp32=VISION_FILE, inputs=["pixel_values"], outputs=cross_names),
        "text_decoder": GraphInfo(fp32=DECODER_FILE, inputs=in_names, outputs=out_names),
    }
    # Checksums are needed before the run-time Captioner can load the folder for the parity check.
    write_manifest(out_dir, model="blip", source=source, graphs=graphs, parity={})
    parity = check_parity(model, processor, out_dir)
    write_manifest(out_dir, model="blip", source=source, graphs=graphs, parity=parity)
    return parity


def _export(
    module: torch.nn.Module,
    args: tuple[torch.Tensor, ...],
    path: Path,
    inputs: list[str],
    outputs: list[str],
    axes: dict[str, dict[int, str]],
) -> None:
    with torch.no_grad():
        torch.onnx.export(
            module,
            args,
            str(path),
            input_names=inputs,
            output_names=outputs,
            dynamic_axes=axes,
            opset_version=OPSET,
            do_constant_folding=True,
            dynamo=False,
        )


def _save_tokenizer(processor: BlipProcessor, out_dir: Path) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        processor.tokenizer.save_pretrained(tmp)
        tokenizer_json = Path(tmp) / TOKENIZER_FILE
        if not tokenizer_json.exists():
            raise ExportError("the BLIP tokenizer has no fast (tokenizer.json) form")
        (out_dir / TOKENIZER_FILE).write_bytes(tokenizer_json.read_bytes())


def reference_ids(
    model: BlipForConditionalGeneration,
    processor: BlipProcessor,
    images: list[Image.Image],
    settings: DecodeSettings,
    prompt: str | None = None,
) -> list[list[int]]:
    """transformers' generate, trimmed after the first [SEP] (it pads finished rows)."""
    inputs = processor(images=images, text=[prompt] * len(images) if prompt else None, return_tensors="pt")
    kwargs: dict[str, Any] = {
        "max_new_tokens": settings.max_new_tokens,
        "num_beams": settings.num_beams,
        "do_sample": False,
    }
    if settings.min_new_tokens:
        kwargs["min_new_tokens"] = settings.min_new_tokens
    with torch.no_grad():
        out = model.generate(**inputs, **kwargs)
    prompt_len = 1 if prompt is None else inputs["input_ids"].shape[1] - 1
    eos = model.config.text_config.sep_token_id
    trimmed = []
    for row in out.tolist():
        end = len(row)
        for index in range(prompt_len, len(row)):
            if row[index] == eos:
                end = index + 1
                break
        trimmed.append(row[:end])
    return trimmed


def check_parity(
    model: BlipForConditionalGeneration,
    processor: BlipProcessor,
    out_dir: Path,
    images: list[Image.Image] | None = None,
) -> dict[str, Any]:
    """Token ids from the ONNX graphs + numpy decoding vs transformers' generate, greedy and beam."""
    images = images if images is not None else synthetic_images(4, seed=3)
    captioner = Captioner(out_dir, variant="fp32")
    pixels = processor(images=images, return_tensors="pt")["pixel_values"]
    results: dict[str, Any] = {}
    for settings in PARITY_SETTINGS:
        expected = reference_ids(model, processor, images, settings)
        actual = [ids.tolist() for ids in captioner.generate_ids(pixels.numpy(), settings=settings)]
        label = f"beams{settings.num_beams}_min{settings.min_new_tokens}"
        matches = sum(a == e for a, e in zip(actual, expected, strict=True))
        log.info("BLIP parity %s: %d/%d token-identical", label, matches, len(images))
        if matches != len(images):
            raise ExportError(f"BLIP parity failed ({label}): onnxruntime {actual} vs transformers {expected}")
        results[label] = f"{matches}/{len(images)}"
    bos = np.full((len(images), 1), model.config.text_config.bos_token_id, dtype=np.int64)
    reference_logits = reference_next_token_logits(model, pixels, bos)
    first = captioner.next_token_logits(pixels.numpy(), bos)
    results["first_step_logits_max_abs_diff"] = float(np.abs(first - reference_logits).max())
    return results


def reference_next_token_logits(
    model: BlipForConditionalGeneration, pixels: torch.Tensor, input_ids: np.ndarray
) -> np.ndarray:
    """transformers' scores [B, vocab] for the token after `input_ids` [B, T] (Captioner.next_token_logits)."""
    with torch.no_grad():
        image_embeds = model.vision_model(pixel_values=pixels)[0]
        out = model.text_decoder(
            input_ids=torch.from_numpy(input_ids), encoder_hidden_states=image_embeds, return_dict=True
        )
    return np.asarray(out.logits[:, -1, :].numpy())
