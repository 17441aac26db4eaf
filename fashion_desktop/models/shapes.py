"""Reading the model folder's JSON files against the shape they must have.

A hand-edited, truncated or foreign file must fail with the key that is wrong and why, not with a KeyError or
a TypeError deep inside the model code; `ModelFolder` turns a `ShapeError` into a message naming the file.
"""

from __future__ import annotations

from typing import Any


class ShapeError(ValueError):
    """A JSON value is missing or of the wrong type or range; the message names the key."""


class JsonObject:
    """A JSON object whose members are read with the type and range they must have."""

    def __init__(self, raw: object, where: str = "") -> None:
        if not isinstance(raw, dict):
            raise ShapeError(f"{where or 'the file'} must be a JSON object, not {_kind(raw)}")
        self.raw: dict[str, Any] = raw
        self.where = where

    def _name(self, key: str) -> str:
        return f"{self.where}.{key}" if self.where else key

    def has(self, key: str) -> bool:
        return self.raw.get(key) is not None

    def value(self, key: str) -> Any:
        if key not in self.raw or self.raw[key] is None:
            raise ShapeError(f"'{self._name(key)}' is missing")
        return self.raw[key]

    def integer(self, key: str, *, minimum: int | None = None) -> int:
        value = self.value(key)
        if isinstance(value, bool) or not isinstance(value, int):
            raise ShapeError(f"'{self._name(key)}' must be a whole number, not {_kind(value)}")
        if minimum is not None and value < minimum:
            raise ShapeError(f"'{self._name(key)}' must be at least {minimum}, not {value}")
        return value

    def number(self, key: str, *, positive: bool = False) -> float:
        return self._as_number(self.value(key), self._name(key), positive)

    def boolean(self, key: str) -> bool:
        value = self.value(key)
        if not isinstance(value, bool):
            raise ShapeError(f"'{self._name(key)}' must be true or false, not {_kind(value)}")
        return value

    def text(self, key: str, *, choices: tuple[str, ...] | None = None) -> str:
        value = self.value(key)
        if not isinstance(value, str) or not value:
            raise ShapeError(f"'{self._name(key)}' must be a non-empty text, not {_kind(value)}")
        if choices is not None and value not in choices:
            raise ShapeError(f"'{self._name(key)}' must be one of {', '.join(choices)}, not {value!r}")
        return value

    def optional_text(self, key: str, *, choices: tuple[str, ...] | None = None) -> str | None:
        return self.text(key, choices=choices) if self.has(key) else None

    def texts(self, key: str) -> list[str]:
        value = self.value(key)
        if not isinstance(value, list) or not value or not all(isinstance(v, str) and v for v in value):
            raise ShapeError(f"'{self._name(key)}' must be a non-empty list of texts")
        return list(value)

    def numbers(self, key: str, count: int, *, positive: bool = False) -> list[float]:
        value = self.value(key)
        if not isinstance(value, list) or len(value) != count:
            raise ShapeError(f"'{self._name(key)}' must be a list of {count} numbers")
        return [self._as_number(v, f"{self._name(key)}[{i}]", positive) for i, v in enumerate(value)]

    def obj(self, key: str) -> JsonObject:
        return JsonObject(self.value(key), self._name(key))

    def optional_obj(self, key: str) -> JsonObject | None:
        return self.obj(key) if self.has(key) else None

    def members(self) -> dict[str, JsonObject]:
        """Every member, each of which must itself be an object (e.g. the manifest's graphs)."""
        return {key: JsonObject(value, self._name(key)) for key, value in self.raw.items()}

    def text_members(self) -> dict[str, str]:
        """Every member, each of which must be a text (e.g. the manifest's file checksums)."""
        return {key: self.text(key) for key in self.raw}

    @staticmethod
    def _as_number(value: object, name: str, positive: bool) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float) or value != value:  # NaN != NaN
            raise ShapeError(f"'{name}' must be a number, not {_kind(value)}")
        if positive and not 0 < value < float("inf"):
            raise ShapeError(f"'{name}' must be a positive number, not {value}")
        return float(value)


def _kind(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return f"{str(value).lower()}"
    if isinstance(value, int | float):
        return f"the number {value}"
    if isinstance(value, str):
        return f"the text {value[:40]!r}"
    return {"list": "a list", "dict": "an object"}.get(type(value).__name__, type(value).__name__)
