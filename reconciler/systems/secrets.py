"""A secret from the environment: the variable itself, or a file its `_FILE` form names.

`MOCO_API_KEY=…` holds the secret; `MOCO_API_KEY_FILE=/run/secrets/moco` names a file that holds it, the
convention of Docker and Kubernetes, where Secrets are mounted as files. Never both at once. Surrounding
whitespace (a file's trailing newline) is stripped. A problem with the file is an error naming the variable
and the path, never the content: missing, a directory, unreadable, empty, not UTF-8 or over 64 KiB.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from reconciler.errors import ReconcileError

FILE_SUFFIX = "_FILE"
MAX_SECRET_BYTES = 64 * 1024  # a secret file holds one key or token; anything bigger is the wrong file


def file_variable(name: str) -> str:
    """The variable that names a file holding the secret `name` would hold: `MOCO_API_KEY_FILE`."""
    return name + FILE_SUFFIX


def is_set(environ: Mapping[str, str], name: str) -> bool:
    """Whether `name` or its `_FILE` form is set (not blank); the file is not read."""
    return bool(environ.get(name, "").strip() or environ.get(file_variable(name), "").strip())


def secret(environ: Mapping[str, str], name: str) -> str | None:
    """The secret in `name`, or in the file `name_FILE` names; None when neither is set (or both are blank).
    Raises ReconcileError when both are set, or the file cannot give a secret."""
    value = environ.get(name, "").strip()
    file_name = file_variable(name)
    path = environ.get(file_name, "").strip()
    if value and path:
        raise ReconcileError(f"both ${name} and ${file_name} are set: set one, the secret or the path of a file "
                             "that holds it")
    if not path:
        return value or None
    return _read(file_name, path)


def _read(variable: str, path: str) -> str:
    where = f"${variable} names {path}"
    try:
        with Path(path).open("rb") as file:
            raw = file.read(MAX_SECRET_BYTES + 1)  # no more: it may be the wrong file, or endless (/dev/zero)
    except FileNotFoundError:
        raise ReconcileError(f"{where}, which does not exist") from None
    except IsADirectoryError:
        raise ReconcileError(f"{where}, which is a directory; name the file that holds the secret") from None
    except OSError as exc:
        raise ReconcileError(f"{where}, which cannot be read: {exc.strerror or type(exc).__name__}") from None
    if len(raw) > MAX_SECRET_BYTES:
        raise ReconcileError(f"{where}, which is over {MAX_SECRET_BYTES // 1024} KiB: a secret file holds the "
                             "secret only")
    try:
        text = raw.decode("utf-8").strip()
    except UnicodeDecodeError:
        raise ReconcileError(f"{where}, which is not UTF-8 text") from None
    if not text:
        raise ReconcileError(f"{where}, which is empty")
    return text
