"""fashion_desktop.ui.collector: garbage made by any thread is collected, by the GUI thread only, by Python's own
rule, and the automatic collector is back as it was once the collector stops."""

from __future__ import annotations

import gc
import threading
import weakref
from collections.abc import Iterator

import pytest
from pytestqt.qtbot import QtBot

from fashion_desktop.ui.collector import GuiThreadCollector, generation_due

DEFAULT = (700, 10, 10)


class Node:
    """Made in pairs pointing at each other: a cycle only the collector frees."""

    partner: Node


@pytest.fixture
def collections() -> Iterator[list[tuple[str, int]]]:
    """(thread name, generation) of every collection while the test runs."""
    seen: list[tuple[str, int]] = []

    def record(phase: str, info: dict[str, int]) -> None:
        if phase == "stop":
            seen.append((threading.current_thread().name, info["generation"]))

    gc.callbacks.append(record)
    yield seen
    gc.callbacks.remove(record)


def cycles_made_on_a_worker_thread(pairs: int) -> list[weakref.ref[Node]]:
    """Garbage cycles, with a few watched, made by another thread (as the window's workers make theirs)."""
    watched: list[weakref.ref[Node]] = []

    def make() -> None:
        for number in range(pairs):
            first, second = Node(), Node()
            first.partner, second.partner = second, first
            if number % 500 == 0:
                watched.append(weakref.ref(first))

    worker = threading.Thread(target=make, name="worker")
    worker.start()
    worker.join()
    return watched


@pytest.mark.parametrize(
    ("counts", "pending", "kept", "due"),
    [
        ((700, 0, 0), 0, 0, None),  # at the threshold, not past it
        ((701, 0, 0), 0, 0, 0),
        ((701, 11, 0), 0, 0, 1),  # the oldest generation past its threshold is the one collected
        ((5, 11, 0), 0, 0, 1),
        ((701, 11, 11), 300, 1000, 2),  # promoted since the last full collection: 30 % of what it kept
        ((701, 11, 11), 200, 1000, 1),  # 20 %: Python leaves the full collection for later
        ((701, 3, 11), 200, 1000, 0),
        ((3, 3, 11), 200, 1000, None),
    ],
)
def test_the_generation_collected_is_the_one_python_would_collect(
    counts: tuple[int, int, int], pending: int, kept: int, due: int | None
) -> None:
    assert generation_due(counts, DEFAULT, pending, kept) == due


def test_no_collection_when_thresholds_turn_collection_off() -> None:
    assert generation_due((10_000, 50, 50), (0, 10, 10), 10_000, 0) is None


def test_garbage_made_on_another_thread_is_collected_on_the_gui_thread_only(
    qtbot: QtBot, collections: list[tuple[str, int]]
) -> None:
    assert gc.isenabled()
    collector = GuiThreadCollector()
    collector.start()
    try:
        assert not gc.isenabled()
        watched = cycles_made_on_a_worker_thread(20_000)  # 40k objects: 57 times the youngest generation's threshold
        assert gc.get_count()[0] > gc.get_threshold()[0]  # so the worker itself collected nothing
        assert all(reference() is not None for reference in watched)
        qtbot.waitUntil(lambda: all(reference() is None for reference in watched), timeout=5000)
        assert collections
        assert {thread for thread, _ in collections} == {threading.main_thread().name}
    finally:
        collector.stop()
    assert gc.isenabled()


def test_the_automatic_collector_is_left_as_it_was(qtbot: QtBot) -> None:
    gc.disable()  # as an embedding application may have it
    try:
        collector = GuiThreadCollector()
        collector.start()
        collector.stop()
        assert not gc.isenabled()
    finally:
        gc.enable()
    collector.start()
    collector.stop()
    assert gc.isenabled()


def test_cycles_that_reached_the_oldest_generation_are_collected_in_full_collections(
    qtbot: QtBot, collections: list[tuple[str, int]]
) -> None:
    """With the automatic collector off, garbage cycles that lived long enough to be promoted to the oldest generation
    must still be freed by a full collection once enough has been promoted, or they would be kept for the app's
    lifetime. Low thresholds and start-up frozen keep the test short (the rule is the same)."""
    thresholds = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(100, 2, 2)
    collector = GuiThreadCollector()
    collector.start()
    try:
        survivors: list[Node] = []
        for _ in range(16):  # a first full collection, which keeps the survivors: the next waits for promotions
            survivors.extend(Node() for _ in range(200))
            collector.collect_if_due()
        assert 2 in {generation for _, generation in collections}
        collections.clear()
        held = [Node() for _ in range(300)]
        for node in held:
            node.partner = node
        watched = [weakref.ref(node) for node in held]
        for _ in range(12):  # young collections promote `held` to the oldest generation
            survivors.extend(Node() for _ in range(200))
            collector.collect_if_due()
        oldest = {id(thing) for thing in gc.get_objects(generation=2)}
        assert all(id(node) in oldest for node in held)
        del held, node, oldest
        for _ in range(40):
            survivors.extend(Node() for _ in range(200))
            collector.collect_if_due()
        assert all(reference() is None for reference in watched)
        assert 2 in {generation for _, generation in collections}
    finally:
        collector.stop()
        gc.set_threshold(*thresholds)
        gc.unfreeze()
