"""The exported tiny models on onnxruntime give what transformers' PyTorch models give."""

from __future__ import annotations

from contextlib import nullcontext
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from fashion_desktop.models.captioner import Captioner, CaptioningStopped, CaptionStop
from fashion_desktop.models.decoding import DecodeSettings
from fashion_desktop.models.embedder import ImageEmbedder
from fashion_desktop.priority import models_in_background
from model_export import blip, resnet
from model_export.common import synthetic_images
from tests.images import gradient, write_awkward_images
from tests.support import TorchModel


def test_embeddings_match_pytorch_end_to_end(tiny_models: Path, torch_resnet: TorchModel, tmp_path: Path) -> None:
    model, processor = torch_resnet
    files = write_awkward_images(tmp_path)
    paths = [files[n] for n in ("portrait.jpg", "grayscale.png", "cmyk.jpg", "rgba.png", "exif_rotated.jpg")]
    embedder = ImageEmbedder(tiny_models / "resnet50", variant="fp32")
    ours = embedder.embed(paths, batch_size=2, fast_decode=False)

    from fashion_desktop.imaging import load_rgb

    pixels = processor(images=[load_rgb(p) for p in paths], return_tensors="pt")["pixel_values"]
    reference = resnet.torch_pooled(model, pixels)
    reference /= np.linalg.norm(reference, axis=1, keepdims=True)
    assert ours.shape == (5, 128) and ours.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(ours, axis=1), 1.0, atol=1e-6)
    assert np.abs(ours - reference).max() <= 1e-4
    assert float(np.min(np.sum(ours * reference, axis=1))) >= 0.99999


def test_batch_axis_is_dynamic(tiny_models: Path) -> None:
    embedder = ImageEmbedder(tiny_models / "resnet50", variant="fp32")
    images = [gradient(120, 160, seed=s) for s in range(5)]
    one_by_one = np.concatenate([embedder.embed([image]) for image in images])
    batched = embedder.embed(images, batch_size=5)
    assert np.abs(one_by_one - batched).max() <= 1e-5
    assert embedder.embed([]).shape == (0, 128)


def test_export_parity_check_fails_on_a_different_model(tiny_models: Path, torch_resnet: TorchModel) -> None:
    model, processor = torch_resnet
    other = type(model)(model.config).eval()  # same architecture, other weights
    with pytest.raises(Exception, match="parity failed"):
        resnet.check_parity(other, processor, tiny_models / "resnet50")


CASES = [
    pytest.param(DecodeSettings(max_new_tokens=10), None, id="greedy"),
    pytest.param(DecodeSettings(max_new_tokens=10, num_beams=3), None, id="beam3"),
    pytest.param(DecodeSettings(max_new_tokens=8, num_beams=2, min_new_tokens=6), None, id="beam2-min6"),
    pytest.param(DecodeSettings(max_new_tokens=7, min_new_tokens=3), "a picture of", id="greedy-prompt"),
    pytest.param(DecodeSettings(max_new_tokens=7, num_beams=3), "a picture of", id="beam3-prompt"),
]


@pytest.mark.parametrize(("settings", "prompt"), CASES)
def test_caption_ids_identical_to_generate(
    tiny_models: Path, torch_blip: TorchModel, settings: DecodeSettings, prompt: str | None
) -> None:
    model, processor = torch_blip
    images = synthetic_images(5, seed=11)
    expected = blip.reference_ids(model, processor, images, settings, prompt=prompt)
    captioner = Captioner(tiny_models / "blip", variant="fp32")
    pixels = np.stack([captioner.pixel_values(image) for image in images])
    actual = [ids.tolist() for ids in captioner.generate_ids(pixels, settings=settings, prompt=prompt)]
    assert actual == expected
    assert len({tuple(ids) for ids in actual}) > 1, "random vision weights must still tell images apart"
    texts = [captioner.decode(np.asarray(ids)) for ids in actual]
    assert texts == [processor.decode(ids, skip_special_tokens=True).strip() for ids in expected]


def test_greedy_stops_at_sep_and_rows_leave_independently(tiny_models: Path, torch_blip: TorchModel) -> None:
    """Find a batch whose greedy captions end at different steps, and check each against generate."""
    model, processor = torch_blip
    settings = DecodeSettings(max_new_tokens=25)
    captioner = Captioner(tiny_models / "blip", variant="fp32")
    images = synthetic_images(12, seed=5)
    expected = blip.reference_ids(model, processor, images, settings)
    pixels = np.stack([captioner.pixel_values(image) for image in images])
    actual = [ids.tolist() for ids in captioner.generate_ids(pixels, settings=settings)]
    assert actual == expected
    sep = captioner.layout.eos_token_id
    ended = [ids[-1] == sep for ids in actual]
    lengths = {len(ids) for ids in actual}
    if not any(ended) or len(lengths) < 2:
        pytest.fail(f"tiny model produced no early [SEP] in 12 images (lengths {lengths}); pick other seeds")


def test_caption_api_batches_and_keeps_order(tiny_models: Path) -> None:
    captioner = Captioner(tiny_models / "blip", variant="fp32")
    images = synthetic_images(5, seed=21)
    together = captioner.caption(images, batch_size=5)
    alone = [captioner.caption([image])[0] for image in images]
    assert together == alone
    assert all(isinstance(text, str) and text for text in together)


class StoppingSession:
    """A model session whose `stop_at`-th run (counted across sessions) is stopped as it begins, as from another
    thread while it runs; counts the runs that finished."""

    def __init__(self, session: Any, stop: CaptionStop, stop_at: int, runs: list[str]) -> None:
        self.session, self.stop, self.stop_at, self.runs = session, stop, stop_at, runs

    def _counted(self, run: Any, names: Any, feeds: Any, run_options: Any) -> Any:
        self.runs.append("started")
        if self.runs.count("started") == self.stop_at:
            self.stop.stop()
        outputs = run(names, feeds, run_options)
        self.runs.append("finished")
        return outputs

    def run(self, names: Any, feeds: Any, run_options: Any = None) -> Any:  # at the caller's priority
        return self._counted(self.session.run, names, feeds, run_options)

    def run_with_ort_values(self, names: Any, feeds: Any, run_options: Any = None) -> Any:  # in the background
        return self._counted(self.session.run_with_ort_values, names, feeds, run_options)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.session, name)


@pytest.mark.parametrize("background", [False, True], ids=["waited-for", "background"])
@pytest.mark.parametrize("stop_at", [1, 4])  # the vision encoder, the third decoder step
def test_a_caption_stop_ends_the_model_run_in_progress(
    tiny_models: Path, monkeypatch: pytest.MonkeyPatch, stop_at: int, background: bool
) -> None:
    """Stopped while a model run is in progress, that run ends there (onnxruntime's terminate flag), nothing more
    runs and nothing is returned. A stop that is never stopped changes no caption. The same for captions written in
    the background, whose runs are lowered (fashion_desktop.priority)."""
    captioner = Captioner(tiny_models / "blip", variant="fp32")
    images = synthetic_images(3, seed=5)
    with models_in_background() if background else nullcontext():
        plain = captioner.caption(images, batch_size=3)
        assert captioner.caption(images, batch_size=3, stop=CaptionStop()) == plain
        stop, runs = CaptionStop(), list[str]()
        sessions = {name: StoppingSession(s, stop, stop_at, runs) for name, s in captioner.sessions().items()}
        monkeypatch.setattr(captioner, "sessions", lambda: sessions)
        with pytest.raises(CaptioningStopped):
            captioner.caption(images, batch_size=3, stop=stop)
        assert runs.count("started") == stop_at, "nothing ran after the stop"
        assert runs.count("finished") == stop_at - 1, "the run in progress ended"
        with pytest.raises(CaptioningStopped):
            captioner.caption(images, batch_size=3, stop=stop)
        assert runs.count("started") == stop_at, "a stopped stop runs nothing"


def test_first_step_from_empty_cache_matches_pytorch(tiny_models: Path, torch_blip: TorchModel) -> None:
    model, processor = torch_blip
    pixels = processor(images=synthetic_images(3, seed=4), return_tensors="pt")["pixel_values"]
    captioner = Captioner(tiny_models / "blip", variant="fp32")
    bos = np.full((3, 1), captioner.layout.bos_token_id, dtype=np.int64)
    expected = blip.reference_next_token_logits(model, pixels, bos)
    actual = captioner.next_token_logits(pixels.numpy(), bos)
    assert actual.shape == expected.shape == (3, model.config.text_config.vocab_size)
    assert np.abs(actual - expected).max() <= 1e-4
    prompt = np.concatenate([bos, np.tile(captioner.prompt_ids("a picture of", 1)[1:], (3, 1))], axis=1)
    assert np.abs(captioner.next_token_logits(pixels.numpy(), prompt) - expected).max() > 1e-3, "the prompt counts"
    expected = blip.reference_next_token_logits(model, pixels, prompt)
    assert np.abs(captioner.next_token_logits(pixels.numpy(), prompt) - expected).max() <= 1e-4


def test_int8_variants_run(tiny_models: Path) -> None:
    images = synthetic_images(3, seed=8)
    vectors = ImageEmbedder(tiny_models / "resnet50", variant="int8").embed(images)
    assert vectors.shape == (3, 128)
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    captions = Captioner(tiny_models / "blip", variant="int8").caption(images, beams=2, max_tokens=5)
    assert len(captions) == 3 and all(captions)
