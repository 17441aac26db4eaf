"""BLIP captions: a vision encoder graph and a cached text-decoder graph, decoded in numpy.

The vision graph returns the cross-attention keys/values of every decoder layer directly, so they are computed
once per image; the decoder graph takes the self-attention cache (empty on the first step) and returns it grown
by the new tokens. Beams of one image share that image's cross keys/values inside the graph, so beam search
does not copy them per beam.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypedDict, Unpack

import numpy as np

from fashion_desktop.imaging import ImageDecodeError, ImageSource
from fashion_desktop.models.base import PREPROCESS_FILE, OnnxModel
from fashion_desktop.models.decoding import DecodeSettings, beam_search, greedy
from fashion_desktop.models.manifest import BLIP_DIR, MANIFEST_NAME, REMEDY, ModelFilesError, read_model_json
from fashion_desktop.models.session import run_session
from fashion_desktop.models.shapes import JsonObject

if TYPE_CHECKING:
    import onnxruntime
    import tokenizers

TOKENIZER_FILE = "tokenizer.json"
GENERATION_FILE = "generation.json"
DEFAULT_MIN_TOKENS = 5  # BLIP's COCO captioning setting: beams 3, 5 to 20 new tokens


class CaptioningStopped(Exception):
    """A CaptionStop was stopped: the batch in hand ended within its model run, and nothing of it is returned."""


class CaptionStop:
    """Stops one batch of captions from any thread, at once: `stop()` ends the model run in progress (onnxruntime's
    terminate flag, honoured within about 10 ms, measured on the vision encoder) and every later one. A batch of 2
    full-size images takes seconds (its vision encoder alone 1.5 s); the window stops one nobody waits for any more,
    e.g. when indexing starts, rather than let it compete for the cores and memory."""

    def __init__(self) -> None:
        import onnxruntime

        self.run_options = onnxruntime.RunOptions()
        self._stopped = threading.Event()

    def stop(self) -> None:
        self._stopped.set()
        self.run_options.terminate = True

    @property
    def stopped(self) -> bool:
        return self._stopped.is_set()


class CaptionOptions(TypedDict, total=False):
    """The keyword options of Captioner.captions_or_errors (and caption)."""

    beams: int
    max_tokens: int
    min_tokens: int | None
    prompt: str | None
    batch_size: int
    fast_decode: bool
    stop: CaptionStop | None


@dataclass(frozen=True)
class DecoderLayout:
    """Shapes, special tokens and length limit of the exported decoder, from generation.json."""

    num_layers: int
    num_heads: int
    head_dim: int
    bos_token_id: int
    eos_token_id: int
    pad_token_id: int
    max_positions: int  # token positions the decoder has embeddings for: prompt + new tokens must fit

    @classmethod
    def from_dict(cls, raw: object) -> DecoderLayout:
        top = JsonObject(raw)
        return cls(
            num_layers=top.integer("num_layers", minimum=1),
            num_heads=top.integer("num_heads", minimum=1),
            head_dim=top.integer("head_dim", minimum=1),
            bos_token_id=top.integer("bos_token_id", minimum=0),
            eos_token_id=top.integer("eos_token_id", minimum=0),
            pad_token_id=top.integer("pad_token_id", minimum=0),
            max_positions=top.integer("max_positions", minimum=2),
        )


def decoder_input_names(num_layers: int) -> list[str]:
    names = ["input_ids"]
    names += [f"past_{kind}_{i}" for i in range(num_layers) for kind in ("key", "value")]
    names += [f"cross_{kind}_{i}" for i in range(num_layers) for kind in ("key", "value")]
    return names


def decoder_output_names(num_layers: int) -> list[str]:
    return ["logits"] + [f"present_{kind}_{i}" for i in range(num_layers) for kind in ("key", "value")]


def vision_output_names(num_layers: int) -> list[str]:
    return [f"cross_{kind}_{i}" for i in range(num_layers) for kind in ("key", "value")]


class Captioner(OnnxModel):
    """BLIP captioning with two sessions, created on first use and kept until `release()` (the window releases
    them after some idle minutes; the next caption loads them again)."""

    name = BLIP_DIR
    graphs = ("vision_encoder", "text_decoder")
    identity_graph = "text_decoder"
    side_files = (PREPROCESS_FILE, TOKENIZER_FILE, GENERATION_FILE)

    def read_side_files(self) -> None:
        self.layout = read_model_json(self.model_dir, GENERATION_FILE, DecoderLayout.from_dict)
        self._tokenizer: tokenizers.Tokenizer | None = None
        layers = self.layout.num_layers
        expected = {
            "vision_encoder": (["pixel_values"], vision_output_names(layers)),
            "text_decoder": (decoder_input_names(layers), decoder_output_names(layers)),
        }
        for graph, (inputs, outputs) in expected.items():
            info = self.manifest.graphs[graph]
            if info.inputs != inputs or info.outputs != outputs:
                raise ModelFilesError(
                    f"Model files disagree: {self.model_dir / GENERATION_FILE} describes a {layers}-layer decoder "
                    f"but {self.model_dir / MANIFEST_NAME} lists the inputs/outputs of another for '{graph}'. "
                    f"{REMEDY}"
                )

    @property
    def tokenizer(self) -> tokenizers.Tokenizer:
        """tokenizer.json, parsed on first use or with the sessions, not when the model is merely named. Parsing
        takes 20-35 ms, and another Python thread waited up to 18 ms meanwhile (more on a busy laptop): tokenizers
        keeps the GIL. The boards worker names the captioner on every catalog opened (to find the cached captions),
        and that parse showed as the window's worst stall while a catalog opened and indexed. The caption worker
        parses it once, when it first opens a catalog."""
        if self._tokenizer is None:
            self._tokenizer = _load_tokenizer(self)
        return self._tokenizer

    def load(self) -> None:
        """The tokenizer, then the sessions: a broken tokenizer.json is said when the model loads, before a caption
        (and before the graphs' own checks, which would name the decoder for a token id the tokenizer lacks)."""
        self.tokenizer  # noqa: B018 - parsed and checked now
        super().load()

    def check_graphs(self, sessions: dict[str, onnxruntime.InferenceSession]) -> None:
        super().check_graphs(sessions)
        self.check_image_input(sessions["vision_encoder"], "vision_encoder")
        decoder = sessions["text_decoder"]
        layout = self.layout
        past = decoder.get_inputs()[1].shape
        if len(past) != 4 or [past[1], past[3]] != [layout.num_heads, layout.head_dim]:
            self.graph_mismatch(
                "text_decoder",
                f"its cache is {past}, not [rows, {layout.num_heads} heads, length, {layout.head_dim}] as "
                f"{GENERATION_FILE} says",
            )
        vocabulary = decoder.get_outputs()[0].shape[-1]
        if isinstance(vocabulary, int) and max(layout.bos_token_id, layout.eos_token_id) >= vocabulary:
            self.graph_mismatch("text_decoder", f"it scores {vocabulary} tokens, fewer than {GENERATION_FILE} needs")

    @property
    def vision_file(self) -> str:
        return self.graph_files["vision_encoder"]

    @property
    def decoder_file(self) -> str:
        return self.graph_files["text_decoder"]

    def prompt_ids(self, prompt: str | None, max_new_tokens: int) -> np.ndarray:
        """[bos] + prompt tokens (BLIP replaces the tokenizer's [CLS] with bos and drops the final [SEP]), refused
        when prompt and new tokens would not fit the decoder's positions."""
        ids = [self.layout.bos_token_id]
        if prompt:
            ids += self.tokenizer.encode(prompt, add_special_tokens=False).ids
        positions = len(ids) + max_new_tokens - 1  # the last new token is never fed back
        if positions > self.layout.max_positions:
            raise ValueError(
                f"the prompt ({len(ids) - 1} tokens) and up to {max_new_tokens} new tokens need {positions} "
                f"positions; the captioning model reads at most {self.layout.max_positions}: shorten the prompt "
                "or ask for fewer tokens"
            )
        return np.asarray(ids, dtype=np.int64)

    def encode_images(self, pixel_values: np.ndarray) -> list[np.ndarray]:
        """[B, 3, H, W] → the decoder's cross-attention keys/values, one array per layer and kind."""
        return _encode(self.sessions()["vision_encoder"], pixel_values)

    def next_token_logits(self, pixel_values: np.ndarray, input_ids: np.ndarray) -> np.ndarray:
        """Scores [B, vocab] of the token after `input_ids` [B, T] for each image: one decoder pass from an
        empty cache (what the exporter's parity check compares with transformers)."""
        sessions = self.sessions()
        layout = self.layout
        cross = _encode(sessions["vision_encoder"], pixel_values)
        empty = np.zeros((len(pixel_values), layout.num_heads, 0, layout.head_dim), dtype=np.float32)
        feeds: list[np.ndarray] = [np.asarray(input_ids, dtype=np.int64), *[empty] * (2 * layout.num_layers), *cross]
        names = decoder_input_names(layout.num_layers)
        (logits,) = run_session(sessions["text_decoder"], ["logits"], dict(zip(names, feeds, strict=True)))
        return np.asarray(logits, dtype=np.float32)

    def generate_ids(
        self,
        pixel_values: np.ndarray,
        *,
        settings: DecodeSettings,
        prompt: str | None = None,
        stop: CaptionStop | None = None,
    ) -> list[np.ndarray]:
        """Token ids per image, starting with bos (and the prompt), ending with [SEP] when it was produced; raises
        CaptioningStopped when `stop` is stopped, even in the middle of a model run."""
        prompt_ids = self.prompt_ids(prompt, settings.max_new_tokens)
        sessions = self.sessions()
        decoder = sessions["text_decoder"]
        cross = _encode(sessions["vision_encoder"], pixel_values, stop)
        batch = len(pixel_values)
        layout = self.layout
        rows = batch * settings.num_beams
        empty = np.zeros((rows, layout.num_heads, 0, layout.head_dim), dtype=np.float32)
        state: dict[str, list[np.ndarray]] = {"past": [empty] * (2 * layout.num_layers), "cross": cross}
        input_names = decoder_input_names(layout.num_layers)

        def step(input_ids: np.ndarray, keep_rows: np.ndarray | None) -> np.ndarray:
            past = state["past"]
            if keep_rows is not None:
                past = [p[keep_rows] for p in past]
                if settings.num_beams == 1:  # greedy drops finished images: their cross K/V go too
                    state["cross"] = [c[keep_rows] for c in state["cross"]]
            feeds = dict(zip(input_names, [input_ids, *past, *state["cross"]], strict=True))
            logits, *present = _run(decoder, feeds, stop)
            state["past"] = present
            scores = np.asarray(logits, dtype=np.float32)
            if not np.isfinite(scores).all():
                raise ModelFilesError(
                    f"{self.model_dir / self.decoder_file} produced non-finite scores: the model is damaged. {REMEDY}"
                )
            return scores

        search = greedy if settings.num_beams == 1 else beam_search
        with np.errstate(all="ignore"):  # -inf scores are part of the algorithm; no RuntimeWarning on the terminal
            return search(step, prompt_ids, batch, layout.eos_token_id, settings)

    def decode(self, ids: np.ndarray) -> str:
        return str(self.tokenizer.decode([int(i) for i in ids], skip_special_tokens=True)).strip()

    def caption(self, images: Sequence[ImageSource], **options: Unpack[CaptionOptions]) -> list[str]:
        """Captions in input order (options as for `captions_or_errors`); an unreadable image raises
        ImageDecodeError."""
        captions = []
        for outcome in self.captions_or_errors(images, **options):
            if isinstance(outcome, ImageDecodeError):
                raise outcome
            captions.append(outcome)
        return captions

    def captions_or_errors(
        self,
        images: Sequence[ImageSource],
        *,
        beams: int = 3,
        max_tokens: int = 20,
        min_tokens: int | None = None,
        prompt: str | None = None,
        batch_size: int = 10,
        fast_decode: bool = True,
        stop: CaptionStop | None = None,
    ) -> Iterator[str | ImageDecodeError]:
        """Each image's caption, or the error that made it unreadable, in input order, `batch_size` images per
        model run. The defaults are BLIP's COCO setting (beams 3, 5 to 20 new tokens; at most `max_tokens` when
        fewer are asked for). Settings and prompt are checked before any work; images are decoded on two threads
        ahead of the model, and the sessions load (on first use) while the first images decode. `stop` (see
        `generate_ids`) ends them with CaptioningStopped."""
        minimum = min(DEFAULT_MIN_TOKENS, max_tokens) if min_tokens is None else min_tokens
        settings = DecodeSettings(max_new_tokens=max_tokens, min_new_tokens=minimum, num_beams=beams)
        if batch_size < 1:
            raise ValueError("batch_size must be at least 1")
        self.prompt_ids(prompt, settings.max_new_tokens)
        with ThreadPoolExecutor(2, "caption-decode") as pool:  # at the caller's priority: fashion_desktop.priority
            sources = iter(images)
            ahead: deque[Future[np.ndarray]] = deque()

            def decode_ahead(count: int) -> None:
                for image in sources:
                    ahead.append(pool.submit(self.pixel_values, image, fast_decode=fast_decode))
                    if len(ahead) >= count:
                        return

            decode_ahead(2 * batch_size)
            if ahead:
                self.load()  # while the first images decode
            while ahead:
                chunk = [ahead.popleft() for _ in range(min(batch_size, len(ahead)))]
                decode_ahead(2 * batch_size)  # the next batch decodes while this one runs in the model
                outcomes: list[np.ndarray | ImageDecodeError] = []
                for future in chunk:
                    try:
                        outcomes.append(future.result())
                    except ImageDecodeError as exc:
                        outcomes.append(exc)
                    except Exception as exc:  # Pillow raises many kinds on malformed files: each is one bad image
                        outcomes.append(ImageDecodeError(f"image could not be decoded: {exc!r}"))
                pixels = [p for p in outcomes if isinstance(p, np.ndarray)]
                ids = self.generate_ids(np.stack(pixels), settings=settings, prompt=prompt, stop=stop) if pixels else []
                texts = iter([self.decode(row) for row in ids])
                for outcome in outcomes:
                    yield outcome if isinstance(outcome, ImageDecodeError) else next(texts)


def _run(
    session: onnxruntime.InferenceSession, feeds: dict[str, np.ndarray], stop: CaptionStop | None
) -> list[np.ndarray]:
    """All outputs of one model run; CaptioningStopped when `stop` was stopped before or during it."""
    if stop is None:
        return run_session(session, None, feeds)
    if stop.stopped:
        raise CaptioningStopped
    try:
        return run_session(session, None, feeds, stop.run_options)
    except Exception:
        if stop.stopped:  # onnxruntime's own error for a terminated run
            raise CaptioningStopped from None
        raise


def _encode(
    vision: onnxruntime.InferenceSession, pixel_values: np.ndarray, stop: CaptionStop | None = None
) -> list[np.ndarray]:
    if pixel_values.ndim != 4 or len(pixel_values) == 0 or not np.isfinite(pixel_values).all():
        raise ValueError(f"expected a non-empty [B, 3, H, W] batch of finite pixel values, got {pixel_values.shape}")
    outputs = _run(vision, {"pixel_values": np.ascontiguousarray(pixel_values, dtype=np.float32)}, stop)
    return [np.asarray(out) for out in outputs]


def _load_tokenizer(captioner: Captioner) -> tokenizers.Tokenizer:
    """tokenizer.json, loaded and checked to know the decoder's special tokens."""
    from tokenizers import Tokenizer

    path = captioner.model_dir / TOKENIZER_FILE
    try:
        tokenizer = Tokenizer.from_file(str(path))
    except Exception as exc:  # tokenizers raises plain Exception for unreadable files
        raise ModelFilesError(
            f"Model file unreadable: {path} could not be loaded as a tokenizer ({exc}). {REMEDY}"
        ) from None
    layout = captioner.layout
    for token in (layout.bos_token_id, layout.eos_token_id):
        if tokenizer.id_to_token(token) is None:
            raise ModelFilesError(
                f"Model files disagree: {path} has no token {token}, which {GENERATION_FILE} names. {REMEDY}"
            )
    return tokenizer
