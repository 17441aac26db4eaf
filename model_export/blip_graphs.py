"""BLIP as two exportable torch modules with flat tensor inputs/outputs.

They reuse the modules (and so the weights) of transformers' BlipForConditionalGeneration and recompute the
text decoder's attention explicitly, so that the cache is plain tensors instead of transformers' Cache
objects. Parity with `generate` (export_models.py and the tests) proves the recomputation equal.
"""

from __future__ import annotations

import math

import torch
from torch import nn
from transformers import BlipForConditionalGeneration


class VisionEncoder(nn.Module):  # type: ignore[misc]
    """pixel_values → every decoder layer's cross-attention key and value, [B, heads, patches+1, head_dim]."""

    def __init__(self, blip: BlipForConditionalGeneration):
        super().__init__()
        self.vision = blip.vision_model
        self.layers = blip.text_decoder.bert.encoder.layer
        self.heads = blip.config.text_config.num_attention_heads

    def forward(self, pixel_values: torch.Tensor) -> tuple[torch.Tensor, ...]:
        image_embeds = self.vision(pixel_values=pixel_values)[0]
        batch = image_embeds.shape[0]
        outputs = []
        for layer in self.layers:
            attention = layer.crossattention.self
            for projection in (attention.key, attention.value):
                outputs.append(_split_heads(projection(image_embeds), batch, self.heads))
        return tuple(outputs)


class TextDecoder(nn.Module):  # type: ignore[misc]
    """One decoding step with a self-attention cache; also the first step, from an empty cache.

    Inputs: input_ids [N, T]; past key/value per layer [N, heads, P, head_dim]; cross key/value per layer
    [B, heads, S, head_dim] with N = B × beams (rows image-major). Outputs: logits of the last position [N, vocab]
    and the grown cache [N, heads, P+T, head_dim].
    """

    def __init__(self, blip: BlipForConditionalGeneration):
        super().__init__()
        decoder = blip.text_decoder
        self.embeddings = decoder.bert.embeddings
        self.layers = decoder.bert.encoder.layer
        self.head = decoder.cls
        self.heads = blip.config.text_config.num_attention_heads
        self.num_layers = len(self.layers)

    def forward(self, input_ids: torch.Tensor, *caches: torch.Tensor) -> tuple[torch.Tensor, ...]:
        past = caches[: 2 * self.num_layers]
        cross = caches[2 * self.num_layers :]
        rows, new = input_ids.shape[0], input_ids.shape[1]
        past_len = past[0].shape[2]
        positions = torch.arange(new, dtype=torch.long).unsqueeze(0) + past_len
        hidden = self.embeddings(input_ids=input_ids, position_ids=positions)
        # Causal mask over [past + new]: query i may see key j when j <= past_len + i.
        key_pos = torch.arange(past_len + new, dtype=torch.long).unsqueeze(0)
        query_pos = torch.arange(new, dtype=torch.long).unsqueeze(1) + past_len
        mask = (key_pos > query_pos).to(hidden.dtype) * torch.finfo(hidden.dtype).min

        presents: list[torch.Tensor] = []
        for index, layer in enumerate(self.layers):
            attention = layer.attention.self
            query = _split_heads(attention.query(hidden), rows, self.heads)
            key = torch.cat([past[2 * index], _split_heads(attention.key(hidden), rows, self.heads)], dim=2)
            value = torch.cat([past[2 * index + 1], _split_heads(attention.value(hidden), rows, self.heads)], dim=2)
            presents += [key, value]
            context = _attend(query, key, value, mask)
            hidden = layer.attention.output(_merge_heads(context), hidden)

            cross_attention = layer.crossattention.self
            cross_query = _split_heads(cross_attention.query(hidden), rows, self.heads)
            context = _attend_shared(cross_query, cross[2 * index], cross[2 * index + 1])
            hidden = layer.crossattention.output(_merge_heads(context), hidden)
            hidden = layer.output(layer.intermediate(hidden), hidden)
        logits = self.head(hidden[:, -1, :])
        return (logits, *presents)


def _split_heads(states: torch.Tensor, rows: int, heads: int) -> torch.Tensor:
    return states.view(rows, -1, heads, states.shape[-1] // heads).transpose(1, 2)


def _merge_heads(context: torch.Tensor) -> torch.Tensor:
    rows, heads, length, dim = context.shape
    return context.transpose(1, 2).reshape(rows, length, heads * dim)


def _head_dim(states: torch.Tensor) -> int:
    """The head size is fixed by the weights; reading it as a Python int keeps it a constant in the graph."""
    return int(states.shape[-1])


def _attend(query: torch.Tensor, key: torch.Tensor, value: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    scores = torch.matmul(query, key.transpose(-1, -2)) / math.sqrt(_head_dim(query)) + mask
    return torch.matmul(torch.softmax(scores, dim=-1), value)


def _attend_shared(query: torch.Tensor, key: torch.Tensor, value: torch.Tensor) -> torch.Tensor:
    """Cross-attention where each image's keys/values serve all of its beams.

    query [B*beams, H, T, D] is regrouped to [B, H, beams*T, D] so the image's [B, H, S, D] keys/values are used
    in place instead of being repeated once per beam.
    """
    rows, heads, length, dim = query.shape
    images = key.shape[0]
    beams = rows // images
    grouped = (
        query.reshape(images, beams, heads, length, dim).transpose(1, 2).reshape(images, heads, beams * length, dim)
    )
    scores = torch.matmul(grouped, key.transpose(-1, -2)) / math.sqrt(_head_dim(query))
    context = torch.matmul(torch.softmax(scores, dim=-1), value)
    return context.reshape(images, heads, beams, length, dim).transpose(1, 2).reshape(rows, heads, length, dim)
