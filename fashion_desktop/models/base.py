"""The one base of the app's ONNX models: a folder written by export_models.py, checked, then loaded lazily.

Construction reads and checks the small files (checksums first, then each JSON file against its shape), so a
broken or swapped folder is named before any work starts. `load()` verifies the graphs' checksums (once per file
identity, see checksums.ChecksumMemo), creates the onnxruntime sessions and checks that the graphs agree with
the JSON files; it runs under a lock, so two threads may share one model. `release()` drops the sessions.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar, Literal, NoReturn, Self

import numpy as np

from fashion_desktop.imaging import ImageSource, load_rgb
from fashion_desktop.memory import return_freed_memory
from fashion_desktop.models.checksums import ChecksumMemo, verify_files
from fashion_desktop.models.manifest import (
    MANIFEST_NAME,
    REMEDY,
    ModelFilesError,
    ModelManifest,
    find_model_dir,
    load_manifest,
    read_model_json,
)
from fashion_desktop.models.preprocess import PreprocessConfig, preprocess
from fashion_desktop.models.session import create_session
from fashion_desktop.priority import lower_this_thread_priority

if TYPE_CHECKING:
    import onnxruntime

    from fashion_desktop.paths import AppPaths

Variant = Literal["auto", "fp32", "int8"]
PREPROCESS_FILE = "preprocess.json"


def choose_graph_file(manifest: ModelManifest, graph: str, variant: Variant) -> str:
    """fp32 unless int8 is asked for, or `auto` and int8 passed the quality gate."""
    info = manifest.graphs[graph]
    if variant == "int8" or (variant == "auto" and manifest.int8_usable):
        if info.int8 is None:
            raise ValueError(f"{manifest.model} has no int8 variant of {graph}; export with --quantize int8")
        return info.int8
    return info.fp32


class OnnxModel:
    """A model folder's graphs, preprocessing and side files, loaded on first use and kept until `release()`."""

    name: ClassVar[str]  # the manifest's "model", also the folder's name on the models search path
    graphs: ClassVar[tuple[str, ...]]  # the manifest graphs this model runs
    identity_graph: ClassVar[str]  # the graph whose weights name the model's results (see `identity`)
    side_files: ClassVar[tuple[str, ...]] = (PREPROCESS_FILE,)

    def __init__(
        self,
        model_dir: Path,
        *,
        variant: Variant = "auto",
        threads: int | None = None,
        checksum_memo: Path | None = None,
    ) -> None:
        self.model_dir = model_dir
        self.manifest = load_manifest(model_dir, self.name)
        missing = [graph for graph in self.graphs if graph not in self.manifest.graphs]
        if missing:
            raise ModelFilesError(
                f"Model file invalid: {model_dir / MANIFEST_NAME} lacks the graph(s) {', '.join(missing)} "
                f"that the '{self.name}' model has. {REMEDY}"
            )
        self.graph_files = {graph: choose_graph_file(self.manifest, graph, variant) for graph in self.graphs}
        self.threads = threads
        self._memo = ChecksumMemo(checksum_memo)
        verify_files(model_dir, self.manifest, self.side_files, self._memo)
        self.preprocess_config = read_model_json(model_dir, PREPROCESS_FILE, PreprocessConfig.from_dict)
        self.read_side_files()
        self._sessions: dict[str, onnxruntime.InferenceSession] = {}
        self._lock = threading.Lock()

    def read_side_files(self) -> None:
        """Subclasses read and check their own files here (after their checksums were verified)."""

    @classmethod
    def from_paths(cls, paths: AppPaths, *, variant: Variant = "auto", threads: int | None = None) -> Self:
        """The model found on the app's models search path, with the checksum memo of its data directory."""
        return cls(
            find_model_dir(cls.name, paths.models_search_path),
            variant=variant,
            threads=threads,
            checksum_memo=paths.model_checks_file,
        )

    @property
    def identity(self) -> str:
        """Source, revision, graph file and checksum prefix: cached vectors or captions made under another
        identity came from other weights and are stale."""
        return self.manifest.identity(self.graph_files[self.identity_graph])

    @property
    def loaded(self) -> bool:
        return bool(self._sessions)

    def load(self) -> None:
        """Verify the graphs and create their sessions now (e.g. on a worker thread) instead of on first use."""
        self.sessions()

    def sessions(self) -> dict[str, onnxruntime.InferenceSession]:
        """The sessions by graph name, loaded first if needed. Callers keep the dict for the length of one
        computation, so a `release()` from another thread does not pull a session from under them."""
        sessions = self._sessions
        if sessions:
            return sessions
        with self._lock:
            if not self._sessions:
                self._verify_graphs()
                created = {}
                for graph, file in self.graph_files.items():  # one after another: loading one costs twice its size
                    created[graph] = create_session(self.model_dir / file, self.threads)
                    return_freed_memory()  # what the loading left behind (the graph as read from disk)
                self.check_graphs(created)
                self._sessions = created
            return self._sessions

    def _verify_graphs(self) -> None:
        """The graphs' checksums, side by side (hashing releases the GIL; usually only the memo is read)."""
        files = list(self.graph_files.values())
        if len(files) == 1:
            verify_files(self.model_dir, self.manifest, files, self._memo)
            return
        with ThreadPoolExecutor(len(files), "model-check", lower_this_thread_priority) as pool:
            checks = [pool.submit(verify_files, self.model_dir, self.manifest, [file], self._memo) for file in files]
            for check in checks:
                check.result()

    def verify_all(self) -> None:
        """Everything at once, for the exporter deciding whether a folder is a valid export: the checksum of every
        file the manifest lists (every variant, hashed anew), and the graphs loaded and checked."""
        verify_files(self.model_dir, self.manifest, sorted(self.manifest.files), ChecksumMemo(None))
        self.load()

    def release(self) -> None:
        """Drop the sessions and the memory they hold; the next use loads them again (without re-hashing).
        A computation already running in another thread keeps its sessions until it ends.

        Freeing a session holds the GIL for as long as its memory takes to go back: 26 ms for BLIP's vision
        encoder and 42 ms for its decoder, measured quiet (bench/models-full). Freed together, in one statement,
        they stalled every other thread, the GUI's included, for 79-100 ms. One per statement lets a thread that
        waits for the GIL have it in between."""
        with self._lock:
            dropped = list(self._sessions.values())
            self._sessions = {}
        while dropped:
            dropped.pop()  # this session is freed here, unless a computation still holds it
        return_freed_memory()

    def check_graphs(self, sessions: dict[str, onnxruntime.InferenceSession]) -> None:
        """Raise ModelFilesError when a graph disagrees with the manifest or the JSON files (names, sizes)."""
        for graph, session in sessions.items():
            info = self.manifest.graphs[graph]
            inputs = [node.name for node in session.get_inputs()]
            outputs = [node.name for node in session.get_outputs()]
            if inputs != info.inputs or outputs != info.outputs:
                self.graph_mismatch(graph, f"its inputs/outputs are not the ones {MANIFEST_NAME} lists")

    def check_image_input(self, session: onnxruntime.InferenceSession, graph: str) -> None:
        """The graph's image input is [batch, 3, H, W] with H, W what preprocess.json produces (when fixed)."""
        shape = session.get_inputs()[0].shape
        height, width = self.preprocess_config.output_size
        if len(shape) != 4 or (isinstance(shape[1], int) and shape[1] != 3):
            self.graph_mismatch(graph, f"it takes input of shape {shape}, not images [batch, 3, H, W]")
        fixed = [size for size in shape[2:] if isinstance(size, int)]
        if len(fixed) == 2 and fixed != [height, width]:
            self.graph_mismatch(
                graph, f"it takes {fixed[0]}×{fixed[1]} images but {PREPROCESS_FILE} makes {height}×{width}"
            )

    def graph_mismatch(self, graph: str, detail: str) -> NoReturn:
        path = self.model_dir / self.graph_files[graph]
        raise ModelFilesError(
            f"Model files disagree: {path} does not match the model folder's JSON files ({detail}). {REMEDY}"
        )

    def pixel_values(self, image: ImageSource, *, fast_decode: bool = True) -> np.ndarray:
        """One image → [3, H, W] float32 model input."""
        draft = self.preprocess_config.draft_size if fast_decode else None
        return preprocess(load_rgb(image, draft_size=draft), self.preprocess_config)
