"""Greedy and beam-search decoding over a cached decoder step, in numpy.

The beam search is a line-by-line port of transformers' vectorised `_beam_search` (4.57) so that, given the
same logits, it picks the same tokens as `generate`: same candidate count (2 × beams), same length-penalised
scores, same early-stopping heuristic.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

# step(input_ids [N, T], keep_rows [N] or None) -> logits [N, V]. `keep_rows` reorders/selects the cached rows
# from the previous step before the new tokens are appended.
StepFn = Callable[[np.ndarray, np.ndarray | None], np.ndarray]

_NEG = np.float32(-1.0e9)


@dataclass(frozen=True)
class DecodeSettings:
    """How to decode; impossible combinations are refused here (ValueError), before any model work."""

    max_new_tokens: int = 20
    min_new_tokens: int = 0
    num_beams: int = 1
    length_penalty: float = 1.0
    early_stopping: bool = False

    def __post_init__(self) -> None:
        if self.max_new_tokens < 1:
            raise ValueError(f"the maximum number of new tokens must be at least 1, not {self.max_new_tokens}")
        if not 0 <= self.min_new_tokens <= self.max_new_tokens:
            raise ValueError(
                f"the minimum number of new tokens ({self.min_new_tokens}) must be between 0 and the maximum "
                f"({self.max_new_tokens})"
            )
        if self.num_beams < 1:
            raise ValueError(f"the number of beams must be at least 1, not {self.num_beams}")
        if not math.isfinite(self.length_penalty):
            raise ValueError(f"the length penalty must be a finite number, not {self.length_penalty}")


def log_softmax(logits: np.ndarray) -> np.ndarray:
    shifted = logits.astype(np.float32) - logits.max(axis=-1, keepdims=True)
    result: np.ndarray = shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))
    return result


def _trim(row: np.ndarray, prompt_len: int, eos_id: int) -> np.ndarray:
    generated = row[prompt_len:]
    stops = np.flatnonzero(generated == eos_id)
    end = prompt_len + (int(stops[0]) + 1 if len(stops) else len(generated))
    return row[:end].copy()


def greedy(step: StepFn, prompt: np.ndarray, batch: int, eos_id: int, settings: DecodeSettings) -> list[np.ndarray]:
    """Greedy decoding for `batch` rows sharing `prompt`; finished rows leave the batch to save compute."""
    sequences = np.tile(prompt.astype(np.int64), (batch, 1))
    outputs: list[np.ndarray | None] = [None] * batch
    active = np.arange(batch)
    next_input = sequences
    keep: np.ndarray | None = None
    for produced in range(settings.max_new_tokens):
        logits = step(next_input, keep)
        if produced < settings.min_new_tokens:
            logits[:, eos_id] = -np.inf
        tokens = logits.argmax(axis=-1).astype(np.int64)
        sequences = np.concatenate([sequences, tokens[:, None]], axis=1)
        done = tokens == eos_id
        if produced + 1 == settings.max_new_tokens:
            done[:] = True
        for row in np.flatnonzero(done):
            outputs[int(active[row])] = sequences[row].copy()
        alive = np.flatnonzero(~done)
        if len(alive) == 0:
            break
        keep = None if len(alive) == len(active) else alive
        active, sequences = active[alive], sequences[alive]
        next_input = sequences[:, -1:]
    return [out if out is not None else prompt.copy() for out in outputs]


def _gather(values: np.ndarray, indices: np.ndarray) -> np.ndarray:
    """values [B, K, ...] gathered along axis 1 by indices [B, J]."""
    expanded = indices.reshape(indices.shape + (1,) * (values.ndim - 2))
    return np.take_along_axis(values, expanded, axis=1)


def _topk(values: np.ndarray, k: int) -> np.ndarray:
    """Indices of the k largest entries of each row, largest first (ties: lower index first), as a stable sort of
    the whole row would give, but sorting only the entries that reach the row's k-th largest value. Row by row,
    so a thread waiting for the GIL gets it between rows (a whole-batch sort held it for tens of ms)."""
    if values.shape[1] <= 4 * k:
        return np.argsort(-values, axis=1, kind="stable")[:, :k]
    rows = []
    for row in values:
        threshold = -np.partition(-row, k - 1)[k - 1]
        candidates = np.flatnonzero(row >= threshold)  # ascending index: the stable sort keeps ties in index order
        rows.append(candidates[np.argsort(-row[candidates], kind="stable")[:k]])
    return np.stack(rows)


def beam_search(
    step: StepFn, prompt: np.ndarray, batch: int, eos_id: int, settings: DecodeSettings
) -> list[np.ndarray]:
    """Beam search for `batch` images; rows are laid out image-major ([b * beams + j])."""
    beams = settings.num_beams
    prompt_len = len(prompt)
    max_length = prompt_len + settings.max_new_tokens
    beams_to_keep = 2 * beams
    top_num_beam_mask = np.arange(beams_to_keep) < beams

    running = np.full((batch, beams, max_length), eos_id, dtype=np.int64)
    running[:, :, :prompt_len] = prompt
    finished_seqs = running.copy()
    running_scores = np.zeros((batch, beams), dtype=np.float32)
    running_scores[:, 1:] = _NEG
    finished_scores = np.full((batch, beams), _NEG, dtype=np.float32)
    is_finished = np.zeros((batch, beams), dtype=bool)
    improvable = np.ones((batch, 1), dtype=bool)
    batch_offset = (np.arange(batch) * beams)[:, None]

    cur_len = prompt_len
    next_input = running[:, :, :prompt_len].reshape(batch * beams, prompt_len)
    keep: np.ndarray | None = None
    while True:
        logits = step(next_input, keep)
        log_probs = log_softmax(logits)
        if cur_len - prompt_len < settings.min_new_tokens:
            log_probs[:, eos_id] = -np.inf
        vocab = log_probs.shape[-1]
        log_probs = log_probs.reshape(batch, beams, vocab) + running_scores[:, :, None]
        log_probs = log_probs.reshape(batch, beams * vocab)

        top = _topk(log_probs, beams_to_keep)
        top_scores = np.take_along_axis(log_probs, top, axis=1)
        top_beam = top // vocab
        top_ids = top % vocab
        top_seqs = _gather(running, top_beam)
        top_seqs[:, :, cur_len] = top_ids
        top_rows = top_beam + batch_offset
        hits = (top_ids == eos_id) | (cur_len + 1 >= max_length)

        # Beams that go on: the best `beams` candidates that did not stop.
        live_scores = top_scores + hits.astype(np.float32) * _NEG
        live = _topk(live_scores, beams)
        running = _gather(top_seqs, live)
        running_scores = np.take_along_axis(live_scores, live, axis=1)
        keep = np.take_along_axis(top_rows, live, axis=1).reshape(-1)

        # Candidates that stopped join the finished hypotheses if they rank among the best.
        just_finished = hits & top_num_beam_mask[None, :]
        scored = top_scores / np.float32((cur_len + 1 - prompt_len) ** settings.length_penalty)
        full = np.all(is_finished, axis=-1, keepdims=True) & settings.early_stopping
        scored = scored + full.astype(np.float32) * _NEG
        scored = scored + (~improvable).astype(np.float32) * _NEG
        scored = scored + (~just_finished).astype(np.float32) * _NEG
        merged_seqs = np.concatenate([finished_seqs, top_seqs], axis=1)
        merged_scores = np.concatenate([finished_scores, scored], axis=1)
        merged_finished = np.concatenate([is_finished, just_finished], axis=1)
        best = _topk(merged_scores, beams)
        finished_seqs = _gather(merged_seqs, best)
        finished_scores = np.take_along_axis(merged_scores, best, axis=1)
        is_finished = np.take_along_axis(merged_finished, best, axis=1)

        cur_len += 1
        best_len = cur_len - prompt_len
        best_possible = running_scores[:, :1] / np.float32(best_len**settings.length_penalty)
        worst_finished = np.where(is_finished, finished_scores.min(axis=1, keepdims=True), _NEG)
        improvable = improvable & np.any(best_possible > worst_finished, axis=-1, keepdims=True)

        exists_open_beam = not (bool(np.all(is_finished)) and settings.early_stopping)
        if not (bool(np.any(improvable)) and exists_open_beam and not bool(np.all(hits))):
            break
        next_input = running[:, :, cur_len - 1 : cur_len].reshape(batch * beams, 1)
    return [_trim(finished_seqs[b, 0], prompt_len, eos_id) for b in range(batch)]
