"""Load a form file into a `CompiledForm`, with a cache keyed by the file's hash.

Parsing an XLSForm through pyxform is the slow part of opening a form; the
normalised `FormDef` (pure data, including parsed expressions) is pickled in
the user cache directory under the SHA-256 of the file bytes and the engine's
model version, so re-opening an unchanged form only re-compiles closures.
A cache entry that cannot be read is ignored and rebuilt.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import pickle
import tempfile
from pathlib import Path

import pyxform

from app import __version__
from app.core import paths
from app.core.errors import FormError, Location
from app.engine.compiled import CompiledForm
from app.engine.model import FormDef

log = logging.getLogger(__name__)

FORM_SUFFIXES = (".xlsx", ".xls", ".csv", ".md")


def _engine_fingerprint() -> str:
    """Changes whenever the code that produces a FormDef changes, so that a cache
    entry made by an older adapter is never reused (the package version when
    the sources are not on disk, as in a frozen build)."""
    digest = hashlib.sha256(f"{__version__}:pyxform-{pyxform.__version__}".encode())
    engine = Path(__file__).resolve().parent
    sources = [*sorted(engine.glob("ingest*.py")), engine / "model.py"]
    for source in sources:
        try:
            digest.update(source.read_bytes())
        except OSError:
            continue
    return digest.hexdigest()


_FINGERPRINT = _engine_fingerprint()


def _cache_key(data: bytes) -> str:
    digest = hashlib.sha256(f"samluat-form:{_FINGERPRINT}:".encode())
    digest.update(data)
    return digest.hexdigest()


def _cache_file(key: str) -> Path:
    folder = paths.cache_dir() / "forms"
    folder.mkdir(parents=True, exist_ok=True)
    return folder / f"{key}.pickle"


def _read_cache(key: str) -> FormDef | None:
    path = _cache_file(key)
    if not path.exists():
        return None
    try:
        with path.open("rb") as handle:
            formdef = pickle.load(handle)
    except Exception:  # a damaged entry is rebuilt, never fatal
        log.warning("ignoring unreadable form cache entry %s", path, exc_info=True)
        return None
    return formdef if isinstance(formdef, FormDef) else None


def _write_cache(key: str, formdef: FormDef) -> None:
    """Save a parsed form for next time. The cache only saves time, so a write that
    fails for any reason (a full disk; a form whose expression or group tree is too
    deep for pickle, which raises RecursionError) is logged and skipped, and leaves
    no temporary file behind."""
    temporary: Path | None = None
    try:
        path = _cache_file(key)
        with tempfile.NamedTemporaryFile("wb", dir=path.parent, delete=False) as handle:
            temporary = Path(handle.name)
            pickle.dump(formdef, handle, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(temporary, path)
    except Exception:
        log.warning("could not write form cache entry %s", key, exc_info=True)
        if temporary is not None:
            with contextlib.suppress(OSError):
                temporary.unlink(missing_ok=True)


# Short of memory, the C parts of the readers (lxml, zlib) fail with MemoryError, or with
# "SystemError: error return without exception set" when the failure left no exception
# behind; Python then raises it where the reader's result is returned, so above the
# reader's own handlers. Either means the form is too large for this computer, whether
# it struck while reading or while compiling.
_OUT_OF_MEMORY = (MemoryError, SystemError)


def _too_large(filename: str) -> FormError:
    from app.engine.ingest import OUT_OF_MEMORY

    return FormError(OUT_OF_MEMORY, Location(filename))


def parse_form_bytes(data: bytes, filename: str) -> FormDef:
    """Parse (without compiling) through the ingest adapter."""
    from app.engine.ingest import read_xlsform_bytes

    try:
        return read_xlsform_bytes(data, filename)
    except _OUT_OF_MEMORY:
        raise _too_large(filename) from None


def load_form_bytes(data: bytes, filename: str, *, use_cache: bool = True) -> CompiledForm:
    """Load a form from its file bytes; raises `FormError`/`FormErrors` naming the problem."""
    try:
        return _load_form_bytes(data, filename, use_cache=use_cache)
    except _OUT_OF_MEMORY:  # also when raised as parse_form_bytes returned
        raise _too_large(filename) from None


def _load_form_bytes(data: bytes, filename: str, *, use_cache: bool) -> CompiledForm:
    key = _cache_key(data) if use_cache else ""
    formdef = _read_cache(key) if use_cache else None
    if formdef is not None and Path(formdef.source.file).name == Path(filename).name:
        return CompiledForm.build(formdef)
    formdef = parse_form_bytes(data, filename)
    compiled = CompiledForm.build(formdef)
    if use_cache:
        _write_cache(key, formdef)
    return compiled


def load_form(path: str | Path, *, use_cache: bool = True) -> CompiledForm:
    """Load and compile a form file (.xlsx, .xls, .csv or .md)."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as error:
        raise FormError(
            f"cannot read the file: {error.strerror or error}", Location(str(path))
        ) from None
    return load_form_bytes(data, str(path), use_cache=use_cache)


def form_files(folder: str | Path) -> list[Path]:
    """Form files in a folder, sorted by name (every .xlsx, .xls, .csv, .md file)."""
    folder = Path(folder)
    return sorted(p for p in folder.iterdir() if p.suffix.lower() in FORM_SUFFIXES and p.is_file())
