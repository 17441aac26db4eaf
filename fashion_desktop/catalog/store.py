"""The catalog store: SQLite (WAL) for items, captions and metadata; a vector file (`vectors.py`) for vectors.

Lives in the data directory, never in the catalog folder. Vectors are appended and fsynced before the SQLite
transaction that references them commits (with the vector file's id and its committed length), so after a crash
the database never points past the file; the uncommitted tail is cut, under the write lock, before the next
indexing, which also re-embeds any vector found missing or damaged. An old schema, another model's vectors, or a
damaged database are set aside and rebuilt rather than crashed on; a store that is only unavailable (disk full, I/O
error, locked, unreadable) is reported and left alone. Damage is looked for with SQLite's quick_check (a second at
a million items), skipped on an open that finds the database exactly as a clean close left it (`CheckRecord`). On a
read-only data folder the store opens read-only: searching works, indexing says why it cannot. No pickle anywhere.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import logging
import os
import re
import sqlite3
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from dataclasses import fields as dataclass_fields
from functools import cached_property
from pathlib import Path, PurePosixPath
from typing import Any, TypeVar, cast

import numpy as np

from fashion_desktop.catalog.fields import COLUMNS, NAME
from fashion_desktop.catalog.locks import LockBusyError, file_lock
from fashion_desktop.catalog.scan import ScannedFile
from fashion_desktop.catalog.vectors import LEGACY_NAME, NAME_PATTERN, VectorFile, sound_rows, vector_file_path

log = logging.getLogger("fashion_desktop.catalog.store")

Counted = TypeVar("Counted")

SCHEMA_VERSION = 1
DB_FILE = "catalog.sqlite"
OPEN_LOCK = "open.lock"
WRITE_LOCK = "write.lock"
VECTORS_FILE = LEGACY_NAME  # the headerless vector file of earlier versions (migrated by the next indexing)
VECTOR_FILE_KEY = "vector_file"  # meta: id of the vector file the committed rows are in
VECTOR_ROWS_KEY = "vector_rows"  # meta: how many rows of it committed transactions wrote
VECTOR_CHECKED_KEY = "vector_checked"  # meta: the vector file (name, size, mtime) when its rows were last all good
SEARCH_CACHES = "search-*"  # caches derived from vector file * (search-<id>.tree, search-<id>.rows)
GENERATION_KEY = "index_generation"  # meta: bumped (by triggers) by any change to which item uses which row
GENERATION_EVENTS = (
    ("items", "INSERT"),
    ("items", "DELETE"),
    ("items", "UPDATE OF status, content_hash"),
    ("vectors", "INSERT"),
    ("vectors", "DELETE"),
    ("vectors", "UPDATE OF row, content_hash"),
)
SQL_CHUNK = 500  # ids per `IN (…)`: well under SQLite's bound-parameter limit
CHECK_RECORD = f"{DB_FILE}.checked"  # the database's identity when it was last known sound (see CheckRecord)
CHECK_MAX_AGE = 7 * 86400  # seconds: a full check at least this often, whatever the record says
OPEN_ATTEMPTS = 3  # an unavailable store (I/O error, locked, cannot open) is tried again this often, then reported

# SQLite's primary result codes (sqlite3 exceptions carry them as sqlite_errorcode): only these two mean the file
# itself is damaged. Everything else (full disk, I/O error, locked, cannot open, read-only) leaves it alone.
_SQLITE_CORRUPT, _SQLITE_NOTADB = 11, 26

# What store operations raise when the database is unavailable; callers outside the store catch this name rather
# than importing sqlite3 (the store is the only owner of SQL).
DatabaseFailure = sqlite3.Error

# Full-text search over the product name, the caption and every other field plus the file's path. Porter stemming:
# "shoes" finds "Shoe" and "Formal Shoes"; diacritics folded ("pantalón" finds "pantalon").
TEXT_INDEX = (
    "CREATE VIRTUAL TABLE text_index USING fts5(name, caption, details, "
    "tokenize='porter unicode61 remove_diacritics 2')"
)

SCHEMA = f"""
CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE items(
    id INTEGER PRIMARY KEY,
    path TEXT NOT NULL UNIQUE,
    stem TEXT NOT NULL,
    size INTEGER NOT NULL,
    mtime_ns INTEGER NOT NULL,
    content_hash TEXT,
    width INTEGER,
    height INTEGER,
    status TEXT NOT NULL CHECK (status IN ('pending', 'ok', 'error')),
    error TEXT,
    scan INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX items_hash ON items(content_hash);
CREATE INDEX items_status ON items(status);
CREATE INDEX items_stem ON items(stem);
CREATE TABLE vectors(content_hash TEXT PRIMARY KEY, row INTEGER NOT NULL UNIQUE);
CREATE TABLE captions(content_hash TEXT NOT NULL, model TEXT NOT NULL, caption TEXT NOT NULL,
                      PRIMARY KEY (content_hash, model));
CREATE TABLE styles(stem TEXT PRIMARY KEY, {", ".join(f"{f} TEXT" for f in COLUMNS)});
{TEXT_INDEX};
"""


class StoreError(RuntimeError):
    """The store cannot be used (e.g. the data directory is not writable)."""


class _DamagedStore(Exception):
    """The database file is damaged (not merely unavailable): the one reason to set a store aside."""


@dataclass
class ScanDiff:
    new: int = 0
    changed: int = 0
    unchanged: int = 0
    removed: int = 0


@dataclass(frozen=True)
class IndexResult:
    """What indexing one file produced; `needs_vector` when its vector is in the batch's new rows."""

    item_id: int
    content_hash: str | None
    width: int | None = None
    height: int | None = None
    needs_vector: bool = False
    error: str | None = None


@dataclass(frozen=True)
class Item:
    id: int
    path: str
    size: int
    mtime_ns: int
    content_hash: str | None
    width: int | None
    height: int | None
    status: str
    error: str | None


def catalog_key(root: Path) -> str:
    """A stable folder name for a catalog root: readable slug + hash of the absolute path."""
    absolute = str(root.expanduser().resolve())
    slug = re.sub(r"[^A-Za-z0-9_-]+", "-", Path(absolute).name).strip("-")[:40] or "catalog"
    return f"{slug}-{hashlib.sha256(os.fsencode(absolute)).hexdigest()[:12]}"  # the name's bytes, UTF-8 or not


def store_dir_for(catalogs_dir: Path, root: Path) -> Path:
    """The store folder of catalog `root` below the data directory's catalogs folder."""
    return catalogs_dir / catalog_key(root)


class CheckRecord:
    """Opening checks the database for damage (quick_check reads every page: a second or more at a million items)
    unless it finds the file exactly as a clean close of a sound database left it. A close that leaves no
    write-ahead log behind (the last connection, checkpointed) records the database's identity: size, mtime and
    ctime in nanoseconds, inode and device. The next open compares it with the file before connecting; a match skips
    the check. Any write since changes the identity (a crash after writing, another program's edit, a copy or a
    restore), and so does resetting the mtime, which changes the ctime; those opens check in full. What a match
    cannot see: damage that changes no metadata (the disk's own bit rot; on Windows, where st_ctime is the creation
    time, also an edit that puts the mtime back), hence a full check anyway once the last one is CHECK_MAX_AGE old;
    a query that meets such damage before then fails as it would have without the record."""

    def __init__(self, folder: Path):
        self.path = folder / CHECK_RECORD
        self.database = folder / DB_FILE
        self.wal = folder / f"{DB_FILE}-wal"

    def identity(self) -> dict[str, list[int] | None]:
        """Raises OSError when it cannot be told (a file that exists but cannot be looked at)."""
        return {"database": _file_identity(self.database), "wal": _file_identity(self.wal)}

    def vouched(self) -> float | None:
        """When the database was last checked in full, if it is (called before connecting, which makes a log) as
        the record holds and that check is recent; else None: check it now."""
        try:
            identity = self.identity()
            record = json.loads(self.path.read_text())
            checked = float(record["checked"])
            matches = record["identity"] == identity and identity["database"] is not None
        except (OSError, ValueError, KeyError, TypeError):
            return None
        return checked if matches and 0 <= time.time() - checked <= CHECK_MAX_AGE else None

    def write(self, checked: float) -> None:
        """After this process closed its connection: the database as it is now, vouched for by a full check at
        `checked` and by SQLite alone having written it since. Not while another connection has a write-ahead log
        open (its own close records the state it leaves). Written aside and renamed; a read-only folder goes
        without."""
        temporary = self.path.with_name(f"{self.path.name}.{os.getpid()}.tmp")
        try:
            identity = self.identity()
            wal = identity["wal"]
            if identity["database"] is None or (wal is not None and wal[0] > 0):
                return
            temporary.write_text(json.dumps({"identity": identity, "checked": checked}))
            os.replace(temporary, self.path)
        except OSError as exc:
            log.info("could not record the store's check: %s", exc)
            temporary.unlink(missing_ok=True)

    def forget(self) -> None:
        try:
            self.path.unlink(missing_ok=True)
        except OSError as exc:
            log.info("could not remove %s: %s", self.path, exc)


def _file_identity(path: Path) -> list[int] | None:
    try:
        info = os.stat(path)
    except FileNotFoundError:
        return None
    return [info.st_size, info.st_mtime_ns, info.st_ctime_ns, info.st_ino, info.st_dev]


class CatalogStore:
    """One catalog's persistent state. Not thread-safe: each thread opens its own store on the same folder."""

    def __init__(self, folder: Path, root: Path, model_id: str, dimension: int):
        self.folder = folder
        self.root = root.expanduser().resolve()
        self.model_id = model_id
        self.dimension = dimension
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(f"cannot create the catalog store in {folder}: {exc}") from exc
        self._writers = 0  # depth of nested writing() blocks in this store
        self._damaged = 0  # items the outermost writing() found without a sound vector (pending again)
        self._checks = CheckRecord(folder)
        self._checked: float | None = None  # when the database was last found sound in full (None: not this open)
        self._kept_counts: dict[tuple[str, ...], tuple[tuple[int, int], Any]] = {}  # see _kept
        self.read_only: str | None = None if _writable(folder) else f"the data folder {folder} is read-only"
        if self.read_only:
            self.db = self._open_read_only()
        else:
            try:
                with file_lock(folder / OPEN_LOCK):  # one opener at a time may create or rebuild the store
                    self.db = self._open_with_retries()
                    self._upgrade_text_index_or_close()
            except (StoreError, OSError) as exc:
                self.db = self._open_read_only_instead(exc)
        self.vectors = VectorFile(vector_file_path(folder, self._vector_state()[0]), dimension, model_id)
        self._count_generations()

    @contextmanager
    def writing(self) -> Iterator[int]:
        """Held by the one indexer allowed at a time; it alone appends, repairs and compacts vectors. Yields how
        many items lost their vector to damage found on the way in (they are pending again). Nested use in one
        store (the catalog importing styles, then indexing) holds it once and yields the same count."""
        if self._writers:
            self._writers += 1
            try:
                yield self._damaged
            finally:
                self._writers -= 1
            return
        if self.read_only:
            raise StoreError(f"{self.read_only}: searching works, indexing cannot")
        try:
            with file_lock(self.folder / WRITE_LOCK, blocking=False):
                self._writers = 1
                try:
                    self._damaged = self._repair_vector_file()
                    yield self._damaged
                finally:
                    self._writers = 0
        except LockBusyError:
            raise StoreError(f"{self.root} is already being indexed (by another window or process)") from None

    # -- opening -------------------------------------------------------------------------------------------
    def _connect(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.folder / DB_FILE, timeout=30, isolation_level=None)
        db.row_factory = sqlite3.Row
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")
        db.execute("PRAGMA foreign_keys=ON")
        return db

    def _open_with_retries(self) -> sqlite3.Connection:
        """Open, retrying a store that is only unavailable (I/O error, locked, cannot open, disk full), which is
        then reported as such: never set aside, never rebuilt."""
        for attempt in range(1, OPEN_ATTEMPTS + 1):
            try:
                return self._open_or_rebuild()
            except sqlite3.Error as exc:
                if attempt == OPEN_ATTEMPTS:
                    raise StoreError(
                        f"the catalog store in {self.folder} is unavailable ({exc}); nothing was changed, "
                        "try again once the disk is back or has room"
                    ) from exc
                log.warning("catalog store %s unavailable (%s); trying again", self.folder, exc)
                time.sleep(0.2 * attempt)
        raise AssertionError("unreachable")

    def _open_or_rebuild(self) -> sqlite3.Connection:
        db: sqlite3.Connection | None = None
        vouched = self._checks.vouched()
        try:
            db = self._connect()
            reason = self._incompatibility(db, vouched)
        except _DamagedStore as exc:
            reason = str(exc)
        except sqlite3.DatabaseError as exc:
            if not _is_damage(exc):
                if db is not None:
                    db.close()
                raise
            reason = f"damaged database ({exc})"
        if reason is None and db is not None:
            return db
        if reason == "new store" and db is not None:
            log.info("creating catalog store %s", self.folder)
            (self.folder / VECTORS_FILE).unlink(missing_ok=True)  # left by a store whose database was deleted
        else:
            log.warning("setting catalog store %s aside and starting afresh: %s", self.folder, reason)
            if db is not None:
                db.close()
            self._set_aside()
            db = self._connect()
        try:
            self._create_schema(db)
        except BaseException:
            db.close()
            raise
        self._checked = time.time()  # made just now: sound
        return db

    def _create_schema(self, db: sqlite3.Connection) -> None:
        """One transaction: a store whose creation failed (a full disk) is left empty, not half made."""
        with self.transaction(db):
            for statement in filter(str.strip, SCHEMA.split(";")):
                db.execute(statement)
            db.executemany(
                "INSERT INTO meta(key, value) VALUES (?, ?)",
                [
                    ("schema", str(SCHEMA_VERSION)),
                    ("root", _db_text(str(self.root))),
                    ("model", self.model_id),
                    ("dimension", str(self.dimension)),
                    ("created", str(time.time())),
                ],
            )

    def _open_read_only_instead(self, failure: StoreError | OSError) -> sqlite3.Connection:
        """A store that cannot be opened for writing (a full disk cannot even hold SQLite's shared-memory file)
        is still searched, read-only, when it can be; else the original failure is reported."""
        reason = str(failure)
        self.read_only = f"the catalog store cannot be written ({reason})"
        try:
            db = self._open_read_only()
        except StoreError:
            raise StoreError(reason) from failure
        log.warning("catalog store %s opened read-only: %s", self.folder, reason)
        return db

    def _open_read_only(self) -> sqlite3.Connection:
        """A store that cannot be written (a read-only data folder, a full disk): searched as it is. SQLite needs
        a WAL database's -shm file; when it cannot be created and no write-ahead log is pending, the database is
        opened as immutable (nobody can write it either)."""
        database = self.folder / DB_FILE
        if not database.is_file():
            raise StoreError(f"{self.root} has no index yet, and {self.read_only}")
        wal = self.folder / f"{DB_FILE}-wal"
        modes = ["mode=ro"] if wal.exists() and wal.stat().st_size > 0 else ["mode=ro", "immutable=1"]
        vouched = self._checks.vouched()
        db = None
        reason: str | None = None
        for mode in modes:
            try:
                db = sqlite3.connect(f"{database.as_uri()}?{mode}", uri=True, timeout=30, isolation_level=None)
                db.row_factory = sqlite3.Row
                reason = self._incompatibility(db, vouched)
                break
            except (sqlite3.OperationalError, _DamagedStore) as exc:
                if db is not None:
                    db.close()
                    db = None
                reason = str(exc)
        if db is None or reason is not None:
            if db is not None:
                db.close()
            raise StoreError(f"the catalog store in {self.folder} cannot be read ({self.read_only}): {reason}")
        return db

    def _incompatibility(self, db: sqlite3.Connection, vouched: float | None) -> str | None:
        """None when the store can be used; else why it must be created or set aside. Raises _DamagedStore on a
        damaged file and sqlite3 errors when it is only unavailable. `vouched`: when the check record says the
        database, untouched since, was last checked in full (the check is then skipped)."""
        try:
            tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
            if not tables:
                return "new store"
            if "meta" not in tables:
                return "not a catalog store"
            meta = dict(db.execute("SELECT key, value FROM meta").fetchall())
            if meta.get("schema") != str(SCHEMA_VERSION):
                return f"schema {meta.get('schema')} (this app uses {SCHEMA_VERSION})"
            if meta.get("model") != self.model_id or meta.get("dimension") != str(self.dimension):
                return "vectors were made by another image model"
            verdict = "ok" if vouched is not None else str(db.execute("PRAGMA quick_check").fetchone()[0])
        except sqlite3.DatabaseError as exc:
            if _is_damage(exc):
                raise _DamagedStore(f"damaged database ({exc})") from exc
            raise
        if verdict != "ok":
            raise _DamagedStore(f"damaged database ({verdict})")
        self._checked = vouched if vouched is not None else time.time()
        return None

    def _set_aside(self) -> None:
        self._checks.forget()
        stamp = time.strftime("%Y%m%d-%H%M%S")
        for name in (DB_FILE, f"{DB_FILE}-wal", f"{DB_FILE}-shm", VECTORS_FILE):
            path = self.folder / name
            if path.exists():
                if name == DB_FILE and path.stat().st_size > 0:
                    os.replace(path, self.folder / f"{name}.old-{stamp}")
                else:
                    path.unlink()

    def close(self) -> None:
        if "boards" in self.__dict__:  # opened on first use (see the boards section)
            self.boards.close()
        self.vectors.close()
        self.db.close()
        if self._checked is not None and not self.read_only:
            self._checks.write(self._checked)
        self._checked = None  # a second close vouches for nothing (others may have written since the first)

    @contextmanager
    def transaction(self, db: sqlite3.Connection | None = None) -> Iterator[sqlite3.Connection]:
        conn = db if db is not None else self.db
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield conn
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    # -- items -------------------------------------------------------------------------------------------
    def items_by_path(self) -> dict[str, Item]:
        return {item.path: item for item in map(_item, self.db.execute("SELECT * FROM items"))}

    def item(self, item_id: int) -> Item | None:
        row = self.db.execute("SELECT * FROM items WHERE id=?", (item_id,)).fetchone()
        return _item(row) if row else None

    def items(self, ids: Iterable[int]) -> dict[int, Item]:
        query = "SELECT * FROM items WHERE id IN ({})"
        return {row["id"]: _item(row) for row in self._rows_where_in(query, map(int, ids))}

    def _rows_where_in(
        self, template: str, values: Iterable[object], then: Sequence[object] = ()
    ) -> Iterator[sqlite3.Row]:
        """Rows of `template` (one `{}` for the `IN` list, then the parameters `then`) for all of `values`, in chunks
        SQLite accepts. Values must be plain Python ints or strings: sqlite3 binds a numpy integer as a blob, which
        matches nothing."""
        values = list(values)
        for start in range(0, len(values), SQL_CHUNK):
            chunk = values[start : start + SQL_CHUNK]
            yield from self.db.execute(template.format(",".join("?" * len(chunk))), [*chunk, *then])

    def ids_with_hashes(self, hashes: Iterable[str]) -> list[int]:
        """Items whose content is one of these (a query image that is itself a catalog item)."""
        return [int(row[0]) for row in self._rows_where_in("SELECT id FROM items WHERE content_hash IN ({})", hashes)]

    def ids_with_paths(self, paths: Iterable[str]) -> list[int]:
        """Items at these paths (relative to the catalog root)."""
        query = "SELECT id FROM items WHERE path IN ({})"
        return [int(row[0]) for row in self._rows_where_in(query, map(_db_text, paths))]

    def items_with_status(self, status: str) -> list[Item]:
        return [_item(r) for r in self.db.execute("SELECT * FROM items WHERE status=? ORDER BY path", (status,))]

    def counts(self) -> dict[str, int]:
        """Items per status (kept between changes, see _kept: a scan of every item, 0.7 s at a million)."""
        query = "SELECT status, COUNT(*) FROM items GROUP BY status"
        return dict(self._kept(("statuses",), lambda: {str(s): int(n) for s, n in self.db.execute(query)}))

    def _kept(self, key: tuple[str, ...], count: Callable[[], Counted]) -> Counted:
        """`count()`, counted again only when the store has changed since: another connection committed
        (data_version) or this one wrote (total_changes). For the counts the background captions ask for each time
        they resume (after every scroll), which take SQLite seconds at a million items. store_captions brings the
        counts its own writes change up to date instead of dropping them."""
        stamp = self.change_stamp()  # before counting: a commit meanwhile makes the next call count again
        kept = self._kept_counts.get(key)
        if kept is None or kept[0] != stamp:
            kept = self._kept_counts[key] = (stamp, count())
        return cast(Counted, kept[1])

    def apply_scan(self, scanned: Iterable[ScannedFile], keep_under: Sequence[str] = ()) -> ScanDiff:
        """Mark-and-sweep against a full scan: unchanged files (size + mtime) are kept untouched, new or changed
        ones become pending, files no longer present leave the catalog, except below the folders in `keep_under`
        (which could not be read this time). One transaction, which writes only what changed."""
        known = {
            _fs_text(row[1]): (int(row[0]), row[2], row[3])
            for row in self.db.execute("SELECT id, path, size, mtime_ns FROM items")
        }
        diff = ScanDiff()
        new: list[tuple[str, str, int, int]] = []
        changed: list[tuple[int, int, int]] = []
        seen: set[str] = set()
        for entry in scanned:
            if entry.path in seen:
                continue
            seen.add(entry.path)
            previous = known.get(entry.path)
            if previous is None:
                stem = PurePosixPath(entry.path).stem
                new.append((_db_text(entry.path), _db_text(stem), entry.size, entry.mtime_ns))
            elif previous[1:] != (entry.size, entry.mtime_ns):
                changed.append((entry.size, entry.mtime_ns, previous[0]))
            else:
                diff.unchanged += 1
        kept = tuple(folder.rstrip("/") + "/" for folder in keep_under)
        gone = [
            item_id
            for path, (item_id, _, _) in known.items()
            if path not in seen and not ("/" in kept or path.startswith(kept))
        ]
        with self.transaction():
            self.db.executemany(
                "INSERT INTO items(path, stem, size, mtime_ns, status) VALUES (?, ?, ?, ?, 'pending')", new
            )
            self.db.executemany(
                "UPDATE items SET size=?, mtime_ns=?, status='pending', content_hash=NULL, error=NULL WHERE id=?",
                changed,
            )
            for start in range(0, len(gone), SQL_CHUNK):
                chunk = gone[start : start + SQL_CHUNK]
                marks = ",".join("?" * len(chunk))
                self.db.execute(f"DELETE FROM text_index WHERE rowid IN ({marks})", chunk)
                self.db.execute(f"DELETE FROM items WHERE id IN ({marks})", chunk)
        diff.new, diff.changed, diff.removed = len(new), len(changed), len(gone)
        return diff

    def retry_failures(self, context: str) -> int:
        """Failed items become pending again when what judged them changed (`context`: the image model, its
        preprocessing, the decoder versions); a changed file is retried by the scan already."""
        if self._meta("failure_context") == context:
            return 0
        with self.transaction():
            cursor = self.db.execute("UPDATE items SET status='pending', error=NULL WHERE status='error'")
            self._set_meta("failure_context", context)
        return int(cursor.rowcount)

    def record_results(self, results: Sequence[IndexResult], vectors: np.ndarray) -> None:
        """Commit one batch: vectors first (durably), then the rows that reference them."""
        before = self._signature()
        rows = self.append_vectors(vectors) if len(vectors) else []
        after = self._signature()
        fresh = iter(rows)
        with self.transaction():
            for result in results:
                if result.error is not None:
                    self.db.execute(
                        "UPDATE items SET status='error', error=?, content_hash=? WHERE id=?",
                        (result.error, result.content_hash, result.item_id),
                    )
                    continue
                if result.needs_vector:
                    self.db.execute(
                        "INSERT OR IGNORE INTO vectors(content_hash, row) VALUES (?, ?)",
                        (result.content_hash, next(fresh)),
                    )
                self.db.execute(
                    "UPDATE items SET status='ok', error=NULL, content_hash=?, width=?, height=? WHERE id=?",
                    (result.content_hash, result.width, result.height, result.item_id),
                )
            if rows:
                self._set_vector_state(self.vectors.file_id, rows[-1] + 1)
                # Still known good if it was just before this append (nobody else touched it in between).
                self.db.execute("UPDATE meta SET value=? WHERE key=? AND value=?", (after, VECTOR_CHECKED_KEY, before))

    def collect_garbage(self) -> int:
        """Forget vectors no item refers to any more (their rows are reclaimed by compact_vectors)."""
        with self.transaction():
            cursor = self.db.execute(
                "DELETE FROM vectors WHERE content_hash NOT IN "
                "(SELECT content_hash FROM items WHERE content_hash IS NOT NULL)"
            )
        return int(cursor.rowcount)

    def known_hashes(self) -> set[str]:
        return {str(r[0]) for r in self.db.execute("SELECT content_hash FROM vectors")}

    def append_vectors(self, vectors: np.ndarray) -> list[int]:
        """Append rows durably (fsync) and return their row numbers; the caller then commits the references to them
        together with the file's new committed length (record_results)."""
        if not sound_rows(vectors).all():
            raise ValueError("refusing to store vectors that are not finite unit vectors")
        file_id, committed = self._vector_state()
        target = self._follow(file_id)
        if target.layout == "missing" and committed == 0:
            target = self.vectors = VectorFile.create(self.folder, self.dimension, self.model_id)
        return list(target.append(vectors, committed))

    def load_vector_rows(self) -> tuple[np.ndarray, np.ndarray]:
        """(item ids, rows in `self.vectors`) of every indexed item, in item-id order, from one snapshot. Nothing
        is read from the vector file: the search index reads the rows it needs. The answer is kept beside the
        vector file for as long as the database's generation says it holds (the query takes seconds at a million)."""
        with self._snapshot():
            file_id, _ = self._vector_state()
            row = self.db.execute("SELECT value FROM meta WHERE key=?", (GENERATION_KEY,)).fetchone()
            generation = int(row[0]) if row is not None else None
            cache = self._search_cache(file_id, "rows")
            pairs = _cached_pairs(cache, generation)
            if pairs is None:
                cursor = self.db.cursor()
                cursor.row_factory = None  # plain tuples
                cursor.execute(
                    "SELECT items.id, vectors.row FROM items JOIN vectors USING (content_hash) "
                    "WHERE items.status='ok' ORDER BY items.id"
                )
                pairs = np.fromiter(itertools.chain.from_iterable(cursor), dtype=np.int64).reshape(-1, 2).T
                if generation is not None:
                    _save_pairs(cache, generation, pairs)
        self._follow(file_id)
        return pairs[0].copy(), pairs[1].copy()

    def _count_generations(self) -> None:
        """Triggers that bump the generation whenever which item uses which row may have changed (made once per
        store; a read-only store goes without, and without the cache that relies on them)."""
        if self.read_only:
            return
        names = [f"index_generation_{number}" for number in range(len(GENERATION_EVENTS))]
        marks = ",".join("?" * len(names))
        present = self.db.execute(
            f"SELECT COUNT(*) FROM sqlite_master WHERE type='trigger' AND name IN ({marks})", names
        )
        if present.fetchone()[0] == len(names):
            return
        bump = f"UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = '{GENERATION_KEY}'"
        try:
            with self.transaction():
                self.db.execute("INSERT OR IGNORE INTO meta(key, value) VALUES (?, '0')", (GENERATION_KEY,))
                for name, (table, event) in zip(names, GENERATION_EVENTS, strict=True):
                    self.db.execute(f"CREATE TRIGGER IF NOT EXISTS {name} AFTER {event} ON {table} BEGIN {bump}; END")
        except sqlite3.Error as exc:
            log.info("no search caches for %s: %s", self.folder, exc)

    def load_vectors_for(self, item_ids: Sequence[int]) -> tuple[np.ndarray, np.ndarray]:
        """(item ids, [n, D] float32 vectors) of those of these items that are indexed and whose vector is intact;
        damaged vectors are left out and logged (the next indexing makes them again)."""
        query = (
            "SELECT items.id, vectors.row FROM items JOIN vectors USING (content_hash) "
            "WHERE items.status='ok' AND items.id IN ({})"
        )
        with self._snapshot():
            file_id, _ = self._vector_state()
            found = [(int(r[0]), int(r[1])) for r in self._rows_where_in(query, map(int, item_ids))]
        vectors, intact = self._follow(file_id).read([row for _, row in found])
        if not intact.all():
            log.warning("%d stored vectors are damaged: left out until the next indexing", int((~intact).sum()))
        ids = np.array([item for item, _ in found], dtype=np.int64)
        return ids[intact], vectors[intact]

    def indexed_ids(self) -> set[int]:
        query = "SELECT items.id FROM items JOIN vectors USING (content_hash) WHERE items.status='ok'"
        return {int(r[0]) for r in self.db.execute(query)}

    def change_stamp(self) -> tuple[int, int]:
        """Changes whenever anything was committed, by this connection or another (data_version alone misses
        this connection's own writes)."""
        return self.data_version(), self.db.total_changes

    def data_version(self) -> int:
        """Changes whenever another connection (e.g. the indexing thread) commits."""
        return int(self.db.execute("PRAGMA data_version").fetchone()[0])

    def garbage_rows(self) -> int:
        """Rows of the vector file no item refers to any more (reclaimed by compact_vectors)."""
        file_id, committed = self._vector_state()
        referenced = self.db.execute("SELECT COUNT(*) FROM vectors").fetchone()[0]
        return int(max(committed, self._follow(file_id).rows) - referenced)

    def compact_vectors(self) -> None:
        """Rewrite the vector file without unreferenced rows: a new file, which the transaction renumbering the rows
        makes the current one; the old file is removed after (or, after a crash, by the next indexing)."""
        rows = self.db.execute("SELECT content_hash, row FROM vectors ORDER BY row").fetchall()
        fresh = self.vectors.rewrite(np.array([r[1] for r in rows], dtype=np.int64))
        try:
            with self.transaction():
                self.db.execute("UPDATE vectors SET row = -row - 1")
                self.db.executemany(
                    "UPDATE vectors SET row=? WHERE content_hash=?", [(i, r[0]) for i, r in enumerate(rows)]
                )
                self._set_vector_state(fresh.file_id, len(rows))
        except BaseException:
            fresh.delete()
            raise
        old, self.vectors = self.vectors, fresh
        old.delete()

    # -- vectors ------------------------------------------------------------------------------------------
    def _vector_state(self) -> tuple[str | None, int]:
        """(id of the vector file the committed rows are in, how many rows of it were committed)."""
        meta = dict(
            self.db.execute(
                "SELECT key, value FROM meta WHERE key IN (?, ?)", (VECTOR_FILE_KEY, VECTOR_ROWS_KEY)
            ).fetchall()
        )
        if VECTOR_ROWS_KEY in meta:
            return meta.get(VECTOR_FILE_KEY) or None, int(meta[VECTOR_ROWS_KEY])
        # A store of an earlier version: a headerless file, as long as the rows referenced
        return None, int(self.db.execute("SELECT COALESCE(MAX(row) + 1, 0) FROM vectors").fetchone()[0])

    def _set_vector_state(self, file_id: str | None, rows: int) -> None:
        """Inside the transaction that makes these rows (of that file) the committed ones."""
        self.db.executemany(
            "INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)",
            [(VECTOR_FILE_KEY, file_id or ""), (VECTOR_ROWS_KEY, str(rows))],
        )

    def _follow(self, file_id: str | None) -> VectorFile:
        """The vector file a snapshot of the database refers to. A file an older snapshot referred to is left open
        for whoever still reads it (a search index built from it) and closes when they let go of it."""
        path = vector_file_path(self.folder, file_id)
        if self.vectors.path != path:
            self.vectors = VectorFile(path, self.dimension, self.model_id)
        return self.vectors

    @contextmanager
    def _snapshot(self) -> Iterator[None]:
        """Several reads that see one committed state (a WAL read transaction)."""
        self.db.execute("BEGIN")
        try:
            yield
        finally:
            self.db.execute("COMMIT")

    def _signature(self) -> str:
        """The vector file as the file system sees it: any write by anyone changes it."""
        try:
            info = os.stat(self.vectors.path)
        except FileNotFoundError:
            return ""
        return f"{self.vectors.path.name}:{info.st_size}:{info.st_mtime_ns}"

    def note_vector_damage(self) -> None:
        """A reader found a damaged row: the next indexing checks every row (and embeds the damaged ones again)
        even if the file looks untouched. A read-only data folder just goes without."""
        try:
            with self.transaction():
                self.db.execute("UPDATE meta SET value='' WHERE key=?", (VECTOR_CHECKED_KEY,))
        except sqlite3.Error as exc:
            log.info("could not note vector damage for the next indexing: %s", exc)

    def vector_file_id(self) -> str | None:
        """Id of the vector file of the latest commit: a search index built on another one must be rebuilt."""
        return self._vector_state()[0]

    def search_cache_path(self, file_id: str) -> Path:
        """Where the search index may keep what it derived from vector file `file_id` (projection and tree)."""
        return self._search_cache(file_id, "tree")

    def _search_cache(self, file_id: str | None, kind: str) -> Path:
        return self.folder / f"{SEARCH_CACHES.replace('*', file_id or 'none')}.{kind}"

    def _repair_vector_file(self) -> int:
        """Under the write lock, before indexing: make the vector file and the database agree. Cuts the uncommitted
        tail, migrates a headerless file, removes files nothing refers to, and forgets the rows that are missing or
        damaged so that indexing re-embeds exactly those items. Returns how many items that is."""
        file_id, committed = self._vector_state()
        vectors = self._follow(file_id)
        if vectors.layout == "unusable" or (file_id is not None and vectors.layout == "missing"):
            problem = vectors.problem or f"{vectors.path} is missing"
            log.warning("%s; its %d vectors will be made again", problem, committed)
            lost = list(range(committed))
            with self.transaction():
                self._set_vector_state(None, 0)
            vectors.delete()
            self.vectors = VectorFile(vector_file_path(self.folder, None), self.dimension, self.model_id)
        elif vectors.layout == "legacy":
            started = time.monotonic()
            fresh = vectors.rewrite(np.arange(committed))
            with self.transaction():
                self._set_vector_state(fresh.file_id, committed)
            vectors.delete()
            self.vectors = fresh
            lost = fresh.verify(committed)
            seconds = time.monotonic() - started
            log.info("vector file migrated to %s (%d rows, %.1fs)", fresh.path.name, committed, seconds)
        else:
            checked = self.db.execute("SELECT value FROM meta WHERE key=?", (VECTOR_CHECKED_KEY,)).fetchone()
            if checked is not None and checked[0] == self._signature() and vectors.rows >= committed:
                lost = []  # untouched since every row was last found good (by the last run, or as it wrote them)
            else:
                lost = vectors.verify(committed)
            present = min(committed, vectors.rows)
            vectors.cut(present)  # the uncommitted tail, or a torn record after the last whole row
            if present < committed:  # the file was cut short: the next rows go where it ends now
                with self.transaction():
                    self._set_vector_state(file_id, present)
        self._remove_unreferenced_files()
        forgotten = self._forget_rows(lost)
        signature = self._signature()
        noted = self.db.execute("SELECT value FROM meta WHERE key=?", (VECTOR_CHECKED_KEY,)).fetchone()
        if noted is None or noted[0] != signature:  # written only when it changed: an unchanged relaunch commits
            with self.transaction():  # nothing, so the window need not ask its question again
                self.db.execute(
                    "INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)", (VECTOR_CHECKED_KEY, signature)
                )
        if lost:
            log.warning(
                "%d stored vectors in %s are missing or damaged (%d items): they are embedded again",
                len(lost),
                self.vectors.path,
                forgotten,
            )
        return forgotten

    def _forget_rows(self, rows: Sequence[int]) -> int:
        """Drop the references to these rows; the items that used them are pending again. Returns how many."""
        if not rows:
            return 0
        hashes = [str(r[0]) for r in self._rows_where_in("SELECT content_hash FROM vectors WHERE row IN ({})", rows)]
        pending = 0
        with self.transaction():
            for start in range(0, len(hashes), SQL_CHUNK):
                chunk = hashes[start : start + SQL_CHUNK]
                marks = ",".join("?" * len(chunk))
                self.db.execute(f"DELETE FROM vectors WHERE content_hash IN ({marks})", chunk)
                cursor = self.db.execute(
                    f"UPDATE items SET status='pending' WHERE status='ok' AND content_hash IN ({marks})", chunk
                )
                pending += int(cursor.rowcount)
        return pending

    def _remove_unreferenced_files(self) -> None:
        """Vector files a crash left behind (a compaction or migration that never committed, or one that did and
        could not remove the old file yet), and search caches made for files no longer in use."""
        current = {self._search_cache(self.vectors.file_id, kind) for kind in ("tree", "rows")}
        keep = {self.vectors.path, *current}
        stale = [*self.folder.glob(NAME_PATTERN), *self.folder.glob(SEARCH_CACHES)]
        if self.vectors.layout != "legacy":
            stale.append(self.folder / LEGACY_NAME)
        for path in stale:
            if path not in keep:
                try:
                    path.unlink(missing_ok=True)
                except OSError as exc:  # still open in another window on Windows: next time
                    log.info("could not remove %s yet: %s", path, exc)

    # -- captions and text ----------------------------------------------------------------------------------
    def captions_count(self) -> int:
        return int(self.db.execute("SELECT COUNT(*) FROM captions").fetchone()[0])

    _NO_CAPTION = (
        "NOT EXISTS (SELECT 1 FROM captions WHERE captions.content_hash = items.content_hash AND captions.model = ?)"
    )
    _UNCAPTIONED = f"FROM items WHERE status='ok' AND {_NO_CAPTION}"

    def uncaptioned_ids(self, model: str, after: int = 0, limit: int | None = None) -> list[int]:
        """Indexed items with no caption by `model` yet, oldest first: those after item id `after`, at most
        `limit` of them (a batch at a time: listing all of a big catalog's ids is Python work holding the GIL)."""
        query = f"SELECT id {self._UNCAPTIONED} AND id > ? ORDER BY id LIMIT ?"
        return [int(row[0]) for row in self.db.execute(query, (model, after, -1 if limit is None else limit))]

    def uncaptioned_count(self, model: str) -> int:
        """How many indexed items have no caption by `model` yet (counted by SQLite, which releases the GIL; kept
        while nothing else changes, see _kept)."""
        query = f"SELECT COUNT(*) {self._UNCAPTIONED}"
        return self._kept(("uncaptioned", model), lambda: int(self.db.execute(query, (model,)).fetchone()[0]))

    def store_captions(self, model: str, captions: Iterable[tuple[str, str]]) -> None:
        pairs = list(captions)
        if self.read_only:
            log.info("read-only data folder: %d captions not cached", len(pairs))
            return
        with self.transaction():  # no other connection commits until this one has: the kept counts hold till here
            before = self.change_stamp()
            kept = {key: count for key, (stamp, count) in self._kept_counts.items() if stamp == before}
            if ("uncaptioned", model) in kept:
                kept["uncaptioned", model] -= self._uncaptioned_among(model, {h for h, _ in pairs})
            self.db.executemany(
                "INSERT OR REPLACE INTO captions(content_hash, model, caption) VALUES (?, ?, ?)",
                [(h, model, c) for h, c in pairs],
            )
        ids = [r[0] for h, _ in pairs for r in self.db.execute("SELECT id FROM items WHERE content_hash=?", (h,))]
        self.refresh_text(ids, model)
        after = self.change_stamp()
        # Only this connection's writes since `before` (data_version unchanged): the counts are those, as adjusted.
        self._kept_counts = {key: (after, count) for key, count in kept.items()} if after[0] == before[0] else {}

    def _uncaptioned_among(self, model: str, hashes: Iterable[str]) -> int:
        """Indexed items with one of these contents and no caption by `model` yet. Looked up by content (`+status`
        keeps SQLite from walking every indexed item instead: 180 ms a batch at a million items, against 0.3 ms)."""
        query = f"SELECT COUNT(*) FROM items WHERE content_hash IN ({{}}) AND +status='ok' AND {self._NO_CAPTION}"
        return sum(int(row[0]) for row in self._rows_where_in(query, hashes, (model,)))

    def refresh_text(self, item_ids: Sequence[int], caption_model: str) -> None:
        """Re-index the product name, caption, other metadata and path of these items for full-text search."""
        details = " || ' ' || ".join(f"COALESCE(styles.{c}, '')" for c in COLUMNS if c != NAME)
        insert = (
            "INSERT INTO text_index(rowid, name, caption, details) "
            f"SELECT items.id, COALESCE(styles.{NAME}, ''), COALESCE((SELECT caption FROM captions "
            "WHERE captions.content_hash = items.content_hash AND (?1 = '' OR captions.model = ?1) LIMIT 1), ''), "
            f"{details} || ' ' || items.path FROM items "
            "LEFT JOIN styles ON styles.stem = items.stem "
            "WHERE items.id IN ({})"
        )  # without a caption model (the indexer has none), whichever caption the item has is kept searchable
        ids = [int(i) for i in item_ids]
        with self.transaction():
            for start in range(0, len(ids), SQL_CHUNK):
                chunk = ids[start : start + SQL_CHUNK]
                marks = ",".join("?" * len(chunk))
                self.db.execute(f"DELETE FROM text_index WHERE rowid IN ({marks})", chunk)
                self.db.execute(insert.format(marks), [caption_model, *chunk])

    def _upgrade_text_index_or_close(self) -> None:
        """`_upgrade_text_index`; when it cannot be written (a full disk), the connection is closed and the
        failure reported as the store being unavailable (the caller then opens it read-only)."""
        try:
            self._upgrade_text_index()
        except sqlite3.Error as exc:
            self.db.close()
            raise StoreError(f"the full-text index in {self.folder} could not be upgraded ({exc})") from exc

    def _upgrade_text_index(self) -> None:
        """A store made before the full-text index covered every field (and stemmed words) gets the new index,
        filled from what the store holds; vectors, captions and metadata are kept."""
        row = self.db.execute("SELECT sql FROM sqlite_master WHERE name='text_index'").fetchone()
        if row is not None and row[0] == TEXT_INDEX:
            return
        log.info("upgrading the full-text index of %s", self.folder)
        model = self.db.execute("SELECT model FROM captions GROUP BY model ORDER BY COUNT(*) DESC LIMIT 1").fetchone()
        with self.transaction():
            self.db.execute("DROP TABLE IF EXISTS text_index")
            self.db.execute(TEXT_INDEX)
        self.refresh_text(self.ids_missing_text(), str(model[0]) if model else "")

    def ids_missing_text(self) -> list[int]:
        """Indexed items without a full-text row (new, moved or renamed since the last refresh): none at all on an
        unchanged catalog, since every item has a row (its path at least)."""
        query = "SELECT id FROM items WHERE status='ok' AND id NOT IN (SELECT rowid FROM text_index)"
        return [int(r[0]) for r in self.db.execute(query)]

    def text_search(self, query: str, limit: int = 200) -> list[int]:
        match = _match_expression(query)
        if match is None:
            return []
        rows = self.db.execute(
            "SELECT rowid FROM text_index WHERE text_index MATCH ? ORDER BY rank LIMIT ?", (match, limit)
        ).fetchall()
        return [int(r[0]) for r in rows]

    # -- metadata -------------------------------------------------------------------------------------------
    def replace_styles(self, rows: Iterable[dict[str, str]], source: str | None) -> int:
        """Replace the metadata with `rows` (streamed: a million rows take no more memory than one), remembering
        `source` (the styles file's identity) in the same transaction, so an unchanged file is not imported
        again."""
        columns = ("stem", *COLUMNS)
        count = 0

        def values() -> Iterator[tuple[str, ...]]:
            nonlocal count
            for row in rows:
                count += 1
                yield tuple(row.get(c, "") for c in columns)

        with self.transaction():
            self.db.execute("DELETE FROM styles")
            self.db.executemany(
                f"INSERT OR REPLACE INTO styles({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})",
                values(),
            )
            self._set_meta("styles_source", source)
        return count

    def styles_source(self) -> str | None:
        """Identity of the styles file last imported (None: none was)."""
        return self._meta("styles_source")

    def rebuild_text_index(self, caption_model: str) -> None:
        """Re-index the text of every item (after a styles import: names and fields changed)."""
        self.refresh_text([int(row[0]) for row in self.db.execute("SELECT id FROM items")], caption_model)

    def _meta(self, key: str) -> str | None:
        row = self.db.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def _set_meta(self, key: str, value: str | None) -> None:
        """Inside the caller's transaction."""
        if value is None:
            self.db.execute("DELETE FROM meta WHERE key=?", (key,))
        else:
            self.db.execute("INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)", (key, value))

    def styles_for(self, item_ids: Sequence[int]) -> dict[int, dict[str, str]]:
        query = "SELECT items.id AS item_id, styles.* FROM items JOIN styles USING (stem) WHERE items.id IN ({})"
        rows = self._rows_where_in(query, map(int, item_ids))
        return {row["item_id"]: {f: row[f] for f in COLUMNS if row[f]} for row in rows}

    def styles_count(self) -> int:
        return int(self.db.execute("SELECT COUNT(*) FROM styles").fetchone()[0])

    def distinct_values(self, column: str, limit: int = 200) -> list[str]:
        """The values a metadata column takes, sorted, for the window's filter menus."""
        _check_column(column)
        query = f"SELECT DISTINCT {column} FROM styles WHERE {column} <> '' ORDER BY {column} LIMIT ?"
        return [str(row[0]) for row in self.db.execute(query, (limit,))]

    def ids_matching(self, column: str, value: str) -> set[int]:
        _check_column(column)
        query = f"SELECT items.id FROM items JOIN styles USING (stem) WHERE styles.{column} = ? COLLATE NOCASE"
        return {int(r[0]) for r in self.db.execute(query, (value,))}

    def ids_under(self, folder: str) -> set[int]:
        prefix = _db_text(folder.strip("/") + "/")
        return {
            int(r[0])
            for r in self.db.execute("SELECT id FROM items WHERE substr(path, 1, ?) = ?", (len(prefix), prefix))
        }

    # -- boards (issue 11; domain logic in catalog/boards.py) --------------------------------------------------
    @cached_property
    def boards(self) -> BoardTables:
        """The boards of this catalog, in their own database file next to this one: a rebuild of the catalog
        database (another image model, a new schema, damage) sets aside items and vectors, which can be made
        again, but never the stylist's boards, which cannot."""
        return BoardTables(self.folder / BOARDS_DB_FILE)

    def item_at(self, path: str) -> Item | None:
        """The item of this path (relative to the root, forward slashes), as of the last scan."""
        row = self.db.execute("SELECT * FROM items WHERE path=?", (_db_text(path),)).fetchone()
        return _item(row) if row else None

    def items_with_hashes(self, hashes: Iterable[str]) -> dict[str, list[Item]]:
        """Catalog items holding each of these contents (one content may be in several files), by path."""
        found: dict[str, list[Item]] = {}
        query = "SELECT * FROM items WHERE content_hash IN ({}) ORDER BY path"
        for row in self._rows_where_in(query, hashes):
            found.setdefault(row["content_hash"], []).append(_item(row))
        return found

    def styles_for_stems(self, stems: Iterable[str]) -> dict[str, dict[str, str]]:
        """styles.csv metadata by file stem (also for files gone from the catalog, known by their last name)."""
        rows = self._rows_where_in("SELECT * FROM styles WHERE stem IN ({})", map(_db_text, stems))
        return {row["stem"]: {f: row[f] for f in COLUMNS if row[f]} for row in rows}

    def captions_for_hashes(self, hashes: Iterable[str], model: str) -> dict[str, str]:
        """Cached captions by `model` of these contents."""
        query = "SELECT content_hash, model, caption FROM captions WHERE content_hash IN ({})"
        rows = self._rows_where_in(query, hashes)
        return {str(row[0]): str(row[2]) for row in rows if row[1] == model}

    # -- browsing: the window's library view -------------------------------------------------------------------
    def library_rows(self) -> list[tuple[object, ...]]:
        """(id, path, mtime_ns, *metadata in COLUMNS order) of every indexed item: one read for the window's
        browse order, filters and counts (tens of milliseconds at 44k items)."""
        cursor = self.db.cursor()
        cursor.row_factory = None
        columns = ", ".join(f"styles.{c}" for c in COLUMNS)
        query = f"SELECT items.id, items.path, items.mtime_ns, {columns} FROM items LEFT JOIN styles USING (stem) "
        return cursor.execute(query + "WHERE items.status='ok' ORDER BY items.id").fetchall()

    def text_matches(self, query: str) -> set[int]:
        """Every item whose text (name, caption, any field, path) matches all words of `query`."""
        match = _match_expression(query)
        if match is None:
            return set()
        return {int(r[0]) for r in self.db.execute("SELECT rowid FROM text_index WHERE text_index MATCH ?", (match,))}


def _match_expression(query: str) -> str | None:
    """Words of `query` as an FTS5 expression: each a prefix, all required (None when there is no word)."""
    terms = [t for t in re.findall(r"\w+", query.lower()) if t]
    return " ".join(f'"{t}"*' for t in terms) if terms else None


def _check_column(column: str) -> None:
    """Column names are put into SQL text: only the declared metadata columns may get there."""
    if column not in COLUMNS:
        raise ValueError(f"unknown metadata field {column!r}; known: {', '.join(COLUMNS)}")


def _item(row: sqlite3.Row) -> Item:
    """The one mapping from an `items` row to an Item (its path exactly as the file system spells it)."""
    values = {f.name: row[f.name] for f in dataclass_fields(Item)}
    values["path"] = _fs_text(values["path"])
    return Item(**values)


def _db_text(name: str) -> str:
    """A file name as stored. Names that are not valid UTF-8 reach Python with surrogate escapes, which SQLite
    cannot hold: each surrogate is stored as NUL and four hex digits. No real file name holds a NUL, so this is
    unambiguous, and valid names are stored unchanged."""
    if name.isascii():
        return name
    try:
        name.encode("utf-8")
        return name
    except UnicodeEncodeError:
        return "".join(f"\x00{ord(c):04x}" if 0xD800 <= ord(c) <= 0xDFFF else c for c in name)


def _fs_text(stored: str) -> str:
    """Inverse of `_db_text`: the exact name to open."""
    if "\x00" not in stored:
        return stored
    return re.sub("\x00([0-9a-f]{4})", lambda match: chr(int(match.group(1), 16)), stored)


def _is_damage(exc: sqlite3.DatabaseError) -> bool:
    """Only a corrupt file or one that is not a database is damage; a full disk, an I/O error, a lock or a file
    that cannot be opened is not (those are reported and tried again, and the store is kept)."""
    code = getattr(exc, "sqlite_errorcode", None)
    if code is None:
        return not isinstance(exc, sqlite3.OperationalError)
    return (code & 0xFF) in (_SQLITE_CORRUPT, _SQLITE_NOTADB)


def _writable(folder: Path) -> bool:
    """False on a read-only data folder (a read-only mount refuses even root, unlike file modes)."""
    database = folder / DB_FILE
    return os.access(folder, os.W_OK) and (not database.exists() or os.access(database, os.W_OK))


def _cached_pairs(cache: Path, generation: int | None) -> np.ndarray | None:
    """The [2, n] (item ids, rows) saved for this generation, if that is what the cache holds."""
    if generation is None:
        return None
    try:
        saved = np.load(cache, mmap_mode="r", allow_pickle=False)
    except (OSError, ValueError):
        return None
    if saved.ndim != 2 or saved.shape[0] != 2 or saved.shape[1] < 1 or int(saved[0, 0]) != generation:
        return None
    pairs: np.ndarray = saved[:, 1:]
    return pairs


def _save_pairs(cache: Path, generation: int, pairs: np.ndarray) -> None:
    """Written aside and renamed (a reader never sees half of it); a read-only folder just goes without."""
    temporary = cache.with_name(f"{cache.name}.{os.getpid()}.tmp")
    try:
        with temporary.open("wb") as handle:
            np.save(handle, np.concatenate([[[generation], [-1]], pairs], axis=1))
        os.replace(temporary, cache)
    except OSError as exc:
        log.info("search cache not saved: %s", exc)
        temporary.unlink(missing_ok=True)


# -- boards (issue 11) ------------------------------------------------------------------------------------------
BOARDS_DB_FILE = "boards.sqlite"
BOARDS_SCHEMA_VERSION = 1  # PRAGMA user_version of the boards database

BOARDS_SCHEMA = """
CREATE TABLE IF NOT EXISTS boards(
    id INTEGER PRIMARY KEY AUTOINCREMENT,  -- ids are never reused: an undo token cannot name another board
    name TEXT NOT NULL,
    created REAL NOT NULL,
    modified REAL NOT NULL,
    deleted REAL  -- NULL: live; else when it went to the trash (restore undoes the delete)
);
CREATE UNIQUE INDEX IF NOT EXISTS boards_live_names ON boards(name COLLATE NOCASE) WHERE deleted IS NULL;
CREATE TABLE IF NOT EXISTS board_items(
    board_id INTEGER NOT NULL REFERENCES boards(id) ON DELETE CASCADE,
    content_hash TEXT NOT NULL,  -- identity: survives renames and moves, and comes back with the content
    position INTEGER NOT NULL,  -- 0..n-1 within the board
    note TEXT NOT NULL DEFAULT '',
    last_path TEXT NOT NULL,  -- where the content was last seen, relative to the catalog root
    added REAL NOT NULL,
    PRIMARY KEY (board_id, content_hash)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS board_items_order ON board_items(board_id, position);
"""


@dataclass(frozen=True)
class Board:
    id: int
    name: str
    created: float
    modified: float
    deleted: float | None  # when it was moved to the trash; None for a live board
    count: int  # items on it


@dataclass(frozen=True)
class BoardEntry:
    """One row of a board as stored: what is on it, not where that content is now (see catalog/boards.py)."""

    content_hash: str
    position: int
    note: str
    last_path: str
    added: float


_BOARD_COLUMNS = "boards.id, boards.name, boards.created, boards.modified, boards.deleted"
_BOARD_SELECT = (
    f"SELECT {_BOARD_COLUMNS}, COUNT(board_items.content_hash) AS count FROM boards "
    "LEFT JOIN board_items ON board_items.board_id = boards.id"
)


class BoardTables:
    """The SQL of boards, on their own connection to `boards.sqlite` (opened on first use, created if absent; a
    damaged file is set aside and a fresh one started). Each edit of catalog/boards.py runs in one `writing()`
    transaction, so a kill leaves every board as it was before or after that edit."""

    def __init__(self, path: Path):
        self.path = path
        try:
            self.db = self._open()
        except sqlite3.DatabaseError as exc:
            stamp = time.strftime("%Y%m%d-%H%M%S")
            log.error("boards database %s is damaged (%s); set aside, starting with no boards", path, exc)
            for suffix in ("", "-wal", "-shm"):
                damaged = path.with_name(path.name + suffix)
                if damaged.exists():
                    os.replace(damaged, path.with_name(f"{path.name}{suffix}.damaged-{stamp}"))
            self.db = self._open()

    def _open(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        try:
            db.row_factory = sqlite3.Row
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            db.execute("PRAGMA foreign_keys=ON")
            version = int(db.execute("PRAGMA user_version").fetchone()[0])
            if version > BOARDS_SCHEMA_VERSION:
                raise StoreError(f"the boards in {self.path} were saved by a newer version of the app")
            if db.execute("PRAGMA quick_check").fetchone()[0] != "ok":
                raise sqlite3.DatabaseError("quick_check failed")
            db.executescript(BOARDS_SCHEMA + f"PRAGMA user_version={BOARDS_SCHEMA_VERSION};")
        except BaseException:
            db.close()
            raise
        return db

    def close(self) -> None:
        self.db.close()

    @contextmanager
    def writing(self) -> Iterator[None]:
        """One write transaction; nested uses join the outer one (so an edit reads and writes atomically)."""
        if self.db.in_transaction:
            yield
            return
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")

    def data_version(self) -> int:
        """Changes whenever another connection (another window, the command line) commits a board edit."""
        return int(self.db.execute("PRAGMA data_version").fetchone()[0])

    # -- boards ----------------------------------------------------------------------------------------------
    def boards(self, *, deleted: bool = False) -> list[Board]:
        """Live boards by name, or the trash, most recently deleted first."""
        where, order = ("IS NOT NULL", "boards.deleted DESC") if deleted else ("IS NULL", "boards.name COLLATE NOCASE")
        query = f"{_BOARD_SELECT} WHERE boards.deleted {where} GROUP BY boards.id ORDER BY {order}, boards.id"
        return [Board(*row) for row in self.db.execute(query)]

    def board(self, board_id: int) -> Board | None:
        row = self.db.execute(f"{_BOARD_SELECT} WHERE boards.id=? GROUP BY boards.id", (board_id,)).fetchone()
        return Board(*row) if row else None

    def live_board_named(self, name: str) -> Board | None:
        query = f"{_BOARD_SELECT} WHERE boards.deleted IS NULL AND boards.name=? COLLATE NOCASE GROUP BY boards.id"
        row = self.db.execute(query, (name,)).fetchone()
        return Board(*row) if row else None

    def insert_board(self, name: str, now: float) -> int:
        cursor = self.db.execute("INSERT INTO boards(name, created, modified) VALUES (?, ?, ?)", (name, now, now))
        return int(cursor.lastrowid or 0)

    def rename_board(self, board_id: int, name: str, now: float) -> None:
        self.db.execute("UPDATE boards SET name=?, modified=? WHERE id=?", (name, now, board_id))

    def set_deleted(self, board_id: int, deleted: float | None) -> None:
        self.db.execute("UPDATE boards SET deleted=? WHERE id=?", (deleted, board_id))

    def touch(self, board_id: int, now: float) -> None:
        self.db.execute("UPDATE boards SET modified=? WHERE id=?", (now, board_id))

    def purge_deleted(self, before: float) -> int:
        """Forget boards that went to the trash before `before` (their items go with them)."""
        return int(self.db.execute("DELETE FROM boards WHERE deleted < ?", (before,)).rowcount)

    # -- items on a board --------------------------------------------------------------------------------------
    def entries(self, board_id: int) -> list[BoardEntry]:
        query = (
            "SELECT content_hash, position, note, last_path, added FROM board_items WHERE board_id=? ORDER BY position"
        )
        return [BoardEntry(h, p, n, _fs_text(last), a) for h, p, n, last, a in self.db.execute(query, (board_id,))]

    def insert_entries(self, board_id: int, entries: Iterable[BoardEntry]) -> None:
        self.db.executemany(
            "INSERT INTO board_items(board_id, content_hash, position, note, last_path, added) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            [(board_id, e.content_hash, e.position, e.note, _db_text(e.last_path), e.added) for e in entries],
        )

    def delete_entries(self, board_id: int, hashes: Iterable[str]) -> None:
        self.db.executemany(
            "DELETE FROM board_items WHERE board_id=? AND content_hash=?", [(board_id, h) for h in hashes]
        )

    def write_order(self, board_id: int, hashes: Sequence[str]) -> None:
        """Positions 0..n-1 in this order (every item of the board must be named)."""
        self.db.executemany(
            "UPDATE board_items SET position=? WHERE board_id=? AND content_hash=?",
            [(position, board_id, h) for position, h in enumerate(hashes)],
        )

    def set_note(self, board_id: int, content_hash: str, note: str) -> bool:
        cursor = self.db.execute(
            "UPDATE board_items SET note=? WHERE board_id=? AND content_hash=?", (note, board_id, content_hash)
        )
        return cursor.rowcount > 0

    def set_last_paths(self, paths: dict[str, str]) -> None:
        """Where each content is now (on every board holding it), so a file that goes missing later is named
        by where it was last seen."""
        rows = [(_db_text(path), digest) for digest, path in paths.items()]
        self.db.executemany("UPDATE board_items SET last_path=? WHERE content_hash=?", rows)
