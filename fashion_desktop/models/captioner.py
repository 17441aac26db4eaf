"""BLIP captions: a vision encoder graph and a cached text-decoder graph, decoded in numpy.

The vision graph returns the cross-attention keys/values of every decoder layer directly, so they are computed
once per image; the decoder graph takes the self-attention cache (empty on the first step) and returns it grown
by the new tokens. Beams of one image share that image's cross keys/values inside the graph, so beam search
does not copy them per beam.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from fashion_desktop.imaging import ImageSource, load_rgb
from fashion_desktop.models.decoding import DecodeSettings, beam_search, greedy
from fashion_desktop.models.embedder import PREPROCESS_FILE, Variant, choose_graph_file
from fashion_desktop.models.manifest import (
    load_manifest,
    read_json,
    verify_files,
)
from fashion_desktop.models.preprocess import PreprocessConfig, preprocess
from fashion_desktop.models.session import create_session

if TYPE_CHECKING:
    import onnxruntime
    import tokenizers

TOKENIZER_FILE = "tokenizer.json"
GENERATION_FILE = "generation.json"


@dataclass(frozen=True)
class DecoderLayout:
    """Shapes and special tokens of the exported decoder, from generation.json."""

    num_layers: int
    num_heads: int
    head_dim: int
    bos_token_id: int
    eos_token_id: int
    pad_token_id: int

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> DecoderLayout:
        return cls(**{name: int(raw[name]) for name in cls.__dataclass_fields__})


def decoder_input_names(num_layers: int) -> list[str]:
    names = ["input_ids"]
    names += [f"past_{kind}_{i}" for i in range(num_layers) for kind in ("key", "value")]
    names += [f"cross_{kind}_{i}" for i in range(num_layers) for kind in ("key", "value")]
    return names


def decoder_output_names(num_layers: int) -> list[str]:
    return ["logits"] + [f"present_{kind}_{i}" for i in range(num_layers) for kind in ("key", "value")]


def vision_output_names(num_layers: int) -> list[str]:
    return [f"cross_{kind}_{i}" for i in range(num_layers) for kind in ("key", "value")]


class Captioner:
    """BLIP captioning with two ONNX sessions, created lazily on first use and kept."""

    def __init__(self, model_dir: Path, *, variant: Variant = "auto", threads: int | None = None):
        self.model_dir = model_dir
        self.manifest = load_manifest(self.model_dir)
        self.preprocess_config = PreprocessConfig.from_dict(read_json(self.model_dir, PREPROCESS_FILE))
        self.layout = DecoderLayout.from_dict(read_json(self.model_dir, GENERATION_FILE))
        self.vision_file = choose_graph_file(self.manifest, "vision_encoder", variant)
        self.decoder_file = choose_graph_file(self.manifest, "text_decoder", variant)
        self._threads = threads
        self._vision: onnxruntime.InferenceSession | None = None
        self._decoder: onnxruntime.InferenceSession | None = None
        self._tokenizer: tokenizers.Tokenizer | None = None
        self._lock = threading.Lock()

    def load(self) -> None:
        """Verify the files and create both sessions now instead of on first use."""
        with self._lock:
            if self._decoder is not None:
                return
            names = [self.vision_file, self.decoder_file, PREPROCESS_FILE, TOKENIZER_FILE, GENERATION_FILE]
            verify_files(self.model_dir, self.manifest, names)
            from tokenizers import Tokenizer

            self._tokenizer = Tokenizer.from_file(str(self.model_dir / TOKENIZER_FILE))
            self._vision = create_session(self.model_dir / self.vision_file, self._threads)
            self._decoder = create_session(self.model_dir / self.decoder_file, self._threads)

    def _sessions(self) -> tuple[onnxruntime.InferenceSession, onnxruntime.InferenceSession, tokenizers.Tokenizer]:
        self.load()
        assert self._vision is not None and self._decoder is not None and self._tokenizer is not None
        return self._vision, self._decoder, self._tokenizer

    def pixel_values(self, image: ImageSource, *, fast_decode: bool = True) -> np.ndarray:
        draft = self.preprocess_config.draft_size if fast_decode else None
        return preprocess(load_rgb(image, draft_size=draft), self.preprocess_config)

    def prompt_ids(self, prompt: str | None) -> np.ndarray:
        """[bos] + prompt tokens: BLIP replaces the tokenizer's [CLS] with bos and drops the final [SEP]."""
        ids = [self.layout.bos_token_id]
        if prompt:
            _, _, tokenizer = self._sessions()
            ids += tokenizer.encode(prompt, add_special_tokens=False).ids
        return np.asarray(ids, dtype=np.int64)

    def encode_images(self, pixel_values: np.ndarray) -> list[np.ndarray]:
        """[B, 3, H, W] → the decoder's cross-attention keys/values, one array per layer and kind."""
        vision, _, _ = self._sessions()
        outputs = vision.run(None, {"pixel_values": np.ascontiguousarray(pixel_values, dtype=np.float32)})
        return [np.asarray(out) for out in outputs]

    def generate_ids(
        self, pixel_values: np.ndarray, *, settings: DecodeSettings, prompt: str | None = None
    ) -> list[np.ndarray]:
        """Token ids per image, starting with bos (and the prompt), ending with [SEP] when it was produced."""
        if settings.max_new_tokens < 1 or settings.num_beams < 1:
            raise ValueError("max_new_tokens and num_beams must be at least 1")
        _, decoder, _ = self._sessions()
        prompt_ids = self.prompt_ids(prompt)
        cross = self.encode_images(pixel_values)
        batch = len(pixel_values)
        layout = self.layout
        rows = batch * settings.num_beams
        empty = np.zeros((rows, layout.num_heads, 0, layout.head_dim), dtype=np.float32)
        state: dict[str, Any] = {"past": [empty] * (2 * layout.num_layers), "cross": cross}
        input_names = decoder_input_names(layout.num_layers)

        def step(input_ids: np.ndarray, keep_rows: np.ndarray | None) -> np.ndarray:
            past: list[np.ndarray] = state["past"]
            if keep_rows is not None:
                past = [p[keep_rows] for p in past]
                if settings.num_beams == 1:  # greedy drops finished images: their cross K/V go too
                    state["cross"] = [c[keep_rows] for c in state["cross"]]
            feeds = dict(zip(input_names, [input_ids, *past, *state["cross"]], strict=True))
            logits, *present = decoder.run(None, feeds)
            state["past"] = present
            return np.asarray(logits, dtype=np.float32)

        if settings.num_beams == 1:
            return greedy(step, prompt_ids, batch, layout.eos_token_id, settings)
        return beam_search(step, prompt_ids, batch, layout.eos_token_id, settings)

    def decode(self, ids: np.ndarray) -> str:
        _, _, tokenizer = self._sessions()
        return str(tokenizer.decode([int(i) for i in ids], skip_special_tokens=True)).strip()

    def caption(
        self,
        images: Sequence[ImageSource],
        *,
        beams: int = 3,
        max_tokens: int = 20,
        min_tokens: int = 5,
        prompt: str | None = None,
        batch_size: int = 10,
        fast_decode: bool = True,
    ) -> list[str]:
        """Captions in input order, encoded and decoded `batch_size` images at a time.

        The defaults are BLIP's own COCO captioning setting (beams 3, 5 to 20 new tokens).
        """
        settings = DecodeSettings(max_new_tokens=max_tokens, min_new_tokens=min_tokens, num_beams=beams)
        captions: list[str] = []
        for start in range(0, len(images), batch_size):
            chunk = images[start : start + batch_size]
            pixels = np.stack([self.pixel_values(image, fast_decode=fast_decode) for image in chunk])
            captions += [self.decode(ids) for ids in self.generate_ids(pixels, settings=settings, prompt=prompt)]
        return captions
