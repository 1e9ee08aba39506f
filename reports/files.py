"""Writing output files so that a failure leaves nothing half-written behind."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable
from pathlib import Path

from plan.errors import InputError, SetupError

UK_DATE_FORMAT = "DD/MM/YYYY"  # Excel's number format for a date written the UK way


def write_atomically(path: Path, write: Callable[[Path], object]) -> None:
    """``write`` fills a temporary file beside ``path``, which then replaces ``path`` in one step."""
    if not path.parent.is_dir():
        raise InputError(f"{path.parent} is not a folder csip can write to.")
    if path.is_dir():
        raise InputError(f"{path} is a folder; give a file name.")
    # Same folder, so the final rename is atomic; created normally, so the umask applies.
    temporary = path.with_name(f".{path.stem}.{uuid.uuid4().hex}{path.suffix}")
    try:
        write(temporary)
        os.replace(temporary, path)
    except PermissionError as error:
        temporary.unlink(missing_ok=True)
        raise SetupError(f"cannot write {path}: {error.strerror}.") from None
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def write_bytes(path: Path, content: bytes) -> None:
    write_atomically(path, lambda temporary: temporary.write_bytes(content))
