"""Writing outputs safely: a reader never sees a half-written output, a failed write never
destroys the previous one, and a build never replaces a folder it did not write.

Files (`atomic_path`, `write_text` …) are written to a temporary file beside the target and
renamed over it on success only. Whole folders (`atomic_dir`) are staged beside the target and
swapped in. A build directory (`build_directory`) additionally carries

- `BUILD_MARKER` (`.kg-build.json`): who wrote it ({"tool": "policy-kg", "version", "build_id",
  "created"}); `kg build` replaces an existing folder only when it is empty or carries this marker;
- `BUILD_LOCK` (`.kg-build.lock`): an empty file readers lock shared (`hold_build`) while they use
  the build. A builder takes it exclusively before deleting a build; a swapped-out build some
  reader still holds is parked as `.<name>.old-<build_id>` and removed by a later build.

Every OSError while writing (no space, permission, read-only file system, a name too long, a
file where a folder should be …) becomes `InputError(path, reason)`: one line, exit status 2.
"""
from __future__ import annotations

import contextlib
import csv
import ctypes
import errno
import fcntl
import importlib.metadata
import json
import os
import re
import shutil
import sys
import tempfile
import uuid
from datetime import datetime, timezone
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterable, Iterator, Optional

from kg.errors import InputError

BUILD_MARKER = ".kg-build.json"
BUILD_LOCK = ".kg-build.lock"
TOOL = "policy-kg"
# temporary names do not grow with the target's name: any name the file system takes works
TEMP_PREFIX = ".kg-tmp-"
# the longest suffix a build directory's name gets: ".<name>.old-<32 hex digits>"
PARKED_NAME_EXTRA = len("..old-") + 32

# linux/include/uapi/linux/fs.h: #define RENAME_EXCHANGE (1 << 1); fcntl.h: AT_FDCWD -100
RENAME_EXCHANGE = 1 << 1
AT_FDCWD = -100

_REASONS = {
    errno.ENOSPC: "no space left on the device",
    errno.EDQUOT: "disk quota exceeded",
    errno.EACCES: "permission denied",
    errno.EPERM: "operation not permitted",
    errno.EROFS: "read-only file system",
    errno.ENAMETOOLONG: "file name too long",
    errno.ENOTDIR: "a part of the path is a file, not a folder",
    errno.EISDIR: "is a folder, not a file",
    errno.EEXIST: "already exists",
    errno.ENOENT: "no such file or folder",
    errno.ENOTEMPTY: "the folder is not empty",
    errno.EIO: "input/output error",
    errno.ELOOP: "too many levels of symbolic links",
    errno.EFBIG: "file too large",
}


def os_reason(err: OSError) -> str:
    """An OSError's cause in words, without the paths (the message names the path once)."""
    if err.errno in _REASONS:
        return _REASONS[err.errno]
    text = err.strerror or str(err) or type(err).__name__
    return text[:1].lower() + text[1:]


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _name_max(folder: Path) -> int:
    """NAME_MAX of the file system holding ``folder`` (or its nearest existing ancestor)."""
    for candidate in (folder, *folder.parents):
        try:
            return os.pathconf(candidate, "PC_NAME_MAX")
        except (OSError, ValueError):
            continue
    return 255


def check_file_name(target: Path) -> None:
    """InputError unless ``target``'s last part is a name the file system can hold."""
    if target.name in ("", ".", ".."):
        raise InputError(target, "is not a file name")
    size = len(os.fsencode(target.name))
    limit = _name_max(target.parent)
    if size > limit:
        raise InputError(target, f"file name too long ({size} bytes; at most {limit} here)")


def make_folder(folder: Path | str) -> Path:
    """``mkdir -p`` whose failures are one line naming the folder and the reason."""
    folder = Path(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        raise InputError(folder, "is a file, not a folder") from None
    except NotADirectoryError:
        blocker = next((p for p in folder.parents if os.path.exists(p) and not os.path.isdir(p)), None)
        reason = f"{os.fspath(blocker)} is a file, not a folder" if blocker else _REASONS[errno.ENOTDIR]
        raise InputError(folder, f"cannot create the folder: {reason}") from None
    except OSError as err:
        raise InputError(folder, f"cannot create the folder: {os_reason(err)}") from err
    return folder


def _write_error(err: OSError, target: Path, temporary: Optional[Path] = None) -> InputError:
    """InputError naming what the user asked for (never our temporary name) and why writing failed."""
    path: Path | str = target
    if err.filename and temporary is not None and os.fspath(err.filename) not in (os.fspath(temporary), os.fspath(target)):
        inside = _relative_to(Path(os.fspath(err.filename)), temporary)
        path = target / inside if inside is not None else err.filename
    return InputError(path, f"cannot write: {os_reason(err)}")


def _relative_to(path: Path, folder: Path) -> Optional[Path]:
    try:
        return path.relative_to(folder)
    except ValueError:
        return None


@contextlib.contextmanager
def atomic_path(target: Path | str, suffix: str = "") -> Iterator[Path]:
    """Yield a temporary path beside ``target``; rename it over ``target`` on success only.

    The temporary file is ``.kg-tmp-XXXXXXXX<suffix>`` whatever the target's name, so a target
    name the file system accepts always works. Any OSError while writing becomes
    ``InputError(target, "cannot write: <reason>")``; ``target`` is then untouched and the
    temporary file removed.
    """
    target = Path(target)
    check_file_name(target)
    if os.path.isdir(target):
        raise InputError(target, "is a folder, not a file")
    make_folder(target.parent)
    try:
        fd, tmp = tempfile.mkstemp(prefix=TEMP_PREFIX, suffix=suffix, dir=target.parent)
    except OSError as err:
        raise _write_error(err, target) from err
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        # mkstemp makes owner-only files; outputs are ordinary files for everyone who reads the build
        os.chmod(tmp_path, 0o666 & ~_umask())
        os.replace(tmp_path, target)
    except OSError as err:
        _discard(tmp_path)
        raise _write_error(err, target, tmp_path) from err
    except BaseException:
        _discard(tmp_path)
        raise


def _discard(path: Path) -> None:
    with contextlib.suppress(OSError):
        if os.path.isdir(path) and not os.path.islink(path):
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)


# --------------------------------------------------------------------------- swapping folders


@lru_cache(maxsize=1)
def _renameat2():
    """libc's renameat2, or None where there is none (not Linux, glibc < 2.28, musl …)."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        function = ctypes.CDLL(None, use_errno=True).renameat2
    except (OSError, AttributeError):
        return None
    function.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    function.restype = ctypes.c_int
    return function


def exchange(first: Path | str, second: Path | str) -> bool:
    """Atomically exchange two existing paths (Linux ``renameat2(RENAME_EXCHANGE)``).

    Returns False, changing nothing, where the system cannot: no ``renameat2`` in libc, a kernel
    without it (ENOSYS) or a file system without exchange support (EINVAL, e.g. some network
    and FUSE file systems). Other failures raise OSError.
    """
    function = _renameat2()
    if function is None:
        return False
    if function(AT_FDCWD, os.fsencode(first), AT_FDCWD, os.fsencode(second), RENAME_EXCHANGE) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP):
        return False
    raise OSError(code, os.strerror(code), os.fspath(first), None, os.fspath(second))


def swap_in(new: Path, target: Path, aside: Path) -> Path:
    """Put folder ``new`` at ``target`` (which exists); return where the old ``target`` now is.

    With ``exchange`` the path never goes missing: a reader finds the old or the new folder.
    Where exchange is not supported, the fallback renames ``target`` to ``aside`` and ``new``
    to ``target``: for that moment the path is missing (the old behaviour; a reader retrying
    finds the new folder). If the second rename fails, the old folder is put back.
    """
    if exchange(new, target):
        return new
    os.rename(target, aside)
    try:
        os.rename(new, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.rename(aside, target)
        raise
    return aside


@contextlib.contextmanager
def atomic_dir(target: Path | str) -> Iterator[Path]:
    """Yield a fresh temporary folder beside ``target``; swap it in on success only.

    The swap is atomic where the system can exchange two paths (see ``swap_in``); the old
    folder is then deleted. OSErrors become ``InputError(target, reason)``, the temporary
    folder is removed and ``target`` untouched.
    """
    target = Path(target)
    check_file_name(target)
    make_folder(target.parent)
    try:
        tmp = Path(tempfile.mkdtemp(prefix=TEMP_PREFIX, dir=target.parent))
    except OSError as err:
        raise _write_error(err, target) from err
    try:
        yield tmp
        os.chmod(tmp, 0o777 & ~_umask())
        if os.path.lexists(target):
            old = swap_in(tmp, target, tmp.with_name(tmp.name + "-old"))
            _discard(old)
        else:
            os.rename(tmp, target)
    except OSError as err:
        _discard(tmp)
        raise _write_error(err, target, tmp) from err
    except BaseException:
        _discard(tmp)
        raise


# --------------------------------------------------------------------------- build directories


def _package_version() -> str:
    try:
        return importlib.metadata.version(TOOL)
    except Exception:  # not installed as a distribution (a source checkout on sys.path)
        return "unknown"


def new_build_marker(build_id: Optional[str] = None) -> dict[str, str]:
    return {"tool": TOOL, "version": _package_version(), "build_id": build_id or uuid.uuid4().hex,
            "created": datetime.now(timezone.utc).isoformat(timespec="seconds")}


def _parse_marker(raw: bytes) -> Optional[dict]:
    try:
        marker = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return None
    if not isinstance(marker, dict) or marker.get("tool") != TOOL or not isinstance(marker.get("build_id"), str):
        return None
    return marker


def read_build_marker(build_dir: Path | str) -> Optional[dict]:
    """The marker `kg build` wrote into ``build_dir``; None if absent or unreadable."""
    try:
        return _parse_marker((Path(build_dir) / BUILD_MARKER).read_bytes())
    except OSError:
        return None


def _read_marker_at(dir_fd: int) -> Optional[dict]:
    try:
        fd = os.open(BUILD_MARKER, os.O_RDONLY | os.O_CLOEXEC, dir_fd=dir_fd)
    except OSError:
        return None
    try:
        with os.fdopen(fd, "rb") as stream:
            return _parse_marker(stream.read())
    except OSError:
        return None


def _is_current(lock_fd: int, dir_fd: int) -> bool:
    """True if the lock file we hold is still the one in the folder (not deleted meanwhile)."""
    try:
        named = os.stat(BUILD_LOCK, dir_fd=dir_fd, follow_symlinks=False)
    except OSError:
        return False
    held = os.fstat(lock_fd)
    return (named.st_dev, named.st_ino) == (held.st_dev, held.st_ino)


@contextlib.contextmanager
def hold_build(build_dir: Path | str) -> Iterator[Optional[dict]]:
    """Hold a build while reading it: its files are not deleted while the context is open.

    Takes a shared ``flock`` on ``build_dir/.kg-build.lock`` and yields the build's marker
    (read from the same folder as the lock, so both describe one build). If a new build is
    swapped in meanwhile, the held one is parked as ``.<name>.old-<build_id>`` beside it and
    removed by a later build after release; the marker's ``build_id`` tells whether the path
    still holds the same build (``read_build_marker(build_dir)``). A build without a lock file
    (written before markers existed) is yielded unprotected: its marker is None.
    Raises InputError if ``build_dir`` is not a readable folder.
    """
    build_dir = Path(build_dir)
    while True:
        try:
            dir_fd = os.open(build_dir, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
        except OSError as err:
            raise InputError(build_dir, f"cannot open the build directory: {os_reason(err)}") from err
        try:
            lock_fd = os.open(BUILD_LOCK, os.O_RDONLY | os.O_CLOEXEC, dir_fd=dir_fd)
        except FileNotFoundError:
            lock_fd = None
        except OSError as err:
            os.close(dir_fd)
            raise InputError(build_dir / BUILD_LOCK, f"cannot open: {os_reason(err)}") from err
        if lock_fd is None:
            break
        try:
            fcntl.flock(lock_fd, fcntl.LOCK_SH)
            current = _is_current(lock_fd, dir_fd)
        except BaseException:
            os.close(lock_fd)
            os.close(dir_fd)
            raise
        if current:
            break
        # a builder deleted this build between our open and our lock: look at the path again
        os.close(lock_fd)
        os.close(dir_fd)
    try:
        yield _read_marker_at(dir_fd) if lock_fd is not None else None
    finally:
        if lock_fd is not None:
            os.close(lock_fd)
        os.close(dir_fd)


def _try_exclusive(folder: Path) -> tuple[Optional[int], bool]:
    """(fd holding an exclusive lock on folder's lock file, whether the folder has one)."""
    try:
        fd = os.open(folder / BUILD_LOCK, os.O_RDONLY | os.O_CLOEXEC | os.O_NOFOLLOW)
    except FileNotFoundError:
        return None, False
    except OSError:
        return None, True
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:  # held by a reader or a running build
        os.close(fd)
        return None, True
    return fd, True


def remove_stale(target: Path) -> list[Path]:
    """Remove ``.<name>.staging-*`` and ``.<name>.old-*`` folders beside ``target`` that nobody holds.

    A folder is removed only when its lock file can be locked exclusively: a staging folder of
    a running build, or a parked build a reader holds, is kept. Folders without a lock file
    are not ours to delete and are kept too. Returns the folders removed.
    """
    prefixes = (f".{target.name}.staging-", f".{target.name}.old-")
    removed = []
    try:
        entries = list(target.parent.iterdir())
    except OSError:
        return removed
    for entry in entries:
        if not entry.name.startswith(prefixes) or os.path.islink(entry) or not os.path.isdir(entry):
            continue
        fd, _ = _try_exclusive(entry)
        if fd is None:
            continue
        try:
            shutil.rmtree(entry, ignore_errors=True)
        finally:
            os.close(fd)
        removed.append(entry)
    return removed


def _retire(old: Path, target: Path) -> None:
    """Delete a swapped-out build, or park it as ``.<name>.old-<build_id>`` if a reader holds it."""
    fd, has_lock = _try_exclusive(old)
    if fd is not None:
        try:
            shutil.rmtree(old, ignore_errors=True)
        finally:
            os.close(fd)
        return
    if not has_lock:
        if read_build_marker(old) is not None:  # a build whose lock file was removed: nobody can hold it
            shutil.rmtree(old, ignore_errors=True)
            return
        with contextlib.suppress(OSError):
            old.rmdir()  # the empty folder the first build replaced
            return
    marker = read_build_marker(old) or {}
    parked = target.with_name(f".{target.name}.old-{marker.get('build_id') or uuid.uuid4().hex}")
    if parked != old:
        with contextlib.suppress(OSError):
            os.rename(old, parked)


def build_target_state(target: Path) -> str:
    """'absent', 'empty', 'build' (carries the marker), 'file' or 'foreign' (a folder with other files)."""
    if not os.path.lexists(target):
        return "absent"
    if not os.path.isdir(target):
        return "file"
    try:
        with os.scandir(target) as entries:
            empty = next(entries, None) is None
    except OSError as err:
        raise InputError(target, f"cannot read the folder: {os_reason(err)}") from err
    if empty:
        return "empty"
    return "build" if read_build_marker(target) is not None else "foreign"


def _refuse_foreign(target: Path, shown: str) -> None:
    state = build_target_state(target)
    if state == "file":
        raise InputError(shown, "is a file, not a build directory; choose another -o")
    if state == "foreign":
        raise InputError(shown.rstrip("/") + "/", "not a kg build directory; choose another -o or remove it")


def check_build_target(out_dir: Path | str, corpus_dir: Path | str | None = None) -> Path:
    """The resolved build directory ``out_dir`` names, or InputError saying why it cannot be one.

    Refused: an existing file; a non-empty folder without the marker (a user's folder); the
    corpus folder, a folder inside it or one containing it; the root folder; the current
    folder or one containing it (a build replaces the folder itself, which would leave the
    shell in a deleted folder); a name too long for the parked name ``.<name>.old-<id>``; a
    parent folder that cannot be created. Accepted: an absent path, an empty folder, a
    previous build. ``.``, ``..``, ``~``, trailing slashes and symbolic links are resolved first.
    """
    shown = os.fspath(out_dir)
    try:
        target = Path(out_dir).expanduser().resolve()
    except (OSError, RuntimeError) as err:
        reason = os_reason(err) if isinstance(err, OSError) else "symbolic link loop"
        raise InputError(shown, f"cannot resolve the path: {reason}") from err
    if target.parent == target:
        raise InputError(shown, "is the root folder; choose another -o")
    if corpus_dir is not None:
        corpus = Path(corpus_dir).expanduser().resolve()
        if target == corpus:
            raise InputError(shown, "is the corpus folder; choose another -o")
        if corpus in target.parents:
            raise InputError(shown, f"is inside the corpus folder {os.fspath(corpus_dir)}; choose another -o")
        if target in corpus.parents:
            raise InputError(shown, f"contains the corpus folder {os.fspath(corpus_dir)}; choose another -o")
    try:
        cwd = Path.cwd().resolve()
    except OSError:
        cwd = None
    if cwd is not None and (target == cwd or target in cwd.parents):
        where = "is" if target == cwd else "contains"
        raise InputError(shown, f"{where} the current folder, which a build would replace; "
                                "choose a folder inside it (e.g. -o build)")
    _refuse_foreign(target, shown)
    size, limit = len(os.fsencode(target.name)), _name_max(target.parent)
    if size + PARKED_NAME_EXTRA > limit:
        raise InputError(shown, f"name too long for a build directory ({size} bytes; "
                                f"at most {limit - PARKED_NAME_EXTRA} here)")
    make_folder(target.parent)
    return target


@contextlib.contextmanager
def build_directory(target: Path | str) -> Iterator[Path]:
    """Stage a build directory beside ``target`` and swap it in on success only.

    ``target`` should have passed ``check_build_target``. First removes stale staging and
    parked folders nobody holds (``remove_stale``). The staging folder
    ``.<name>.staging-<id>`` holds an exclusive lock for the whole build, so no other build
    removes it. On success the marker is written, the staging folder swapped with ``target``
    (``swap_in``: atomic exchange on Linux, a plain rename for the first build) and the old
    build deleted, or parked if a reader holds it (``hold_build``). On failure the staging
    folder is removed and ``target`` untouched; OSErrors become InputError naming the output.
    """
    target = Path(target)
    make_folder(target.parent)
    remove_stale(target)
    build_id = uuid.uuid4().hex
    try:
        # created under a neutral name and locked before it gets its staging name, so no
        # other build's cleanup ever sees it unlocked
        fresh = Path(tempfile.mkdtemp(prefix=TEMP_PREFIX, dir=target.parent))
    except OSError as err:
        raise _write_error(err, target) from err
    staging = fresh
    swapped = False  # from then on `staging` may hold the old build: never discard it
    lock_fd: Optional[int] = None
    try:
        lock_fd = os.open(fresh / BUILD_LOCK, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o666)
        fcntl.flock(lock_fd, fcntl.LOCK_EX)
        staging = target.with_name(f".{target.name}.staging-{build_id[:12]}")
        os.rename(fresh, staging)
        yield staging
        write_json(staging / BUILD_MARKER, new_build_marker(build_id))
        os.chmod(staging, 0o777 & ~_umask())
        _refuse_foreign(target, os.fspath(target))  # nobody put files there while we built
        if os.path.lexists(target):
            old_marker = read_build_marker(target) or {}
            aside = target.with_name(f".{target.name}.old-{old_marker.get('build_id') or uuid.uuid4().hex}")
            old = swap_in(staging, target, aside)
        else:
            os.rename(staging, target)
            old = None
        swapped = True
        os.close(lock_fd)  # readers may lock the new build from now on
        lock_fd = None
        if old is not None:
            _retire(old, target)
    except InputError as err:  # name the output the user asked for, not the staging folder
        if not swapped:
            _discard(staging)
        inside = _relative_to(Path(err.path), staging)
        if inside is None:
            raise
        raise InputError(target / inside, err.problem) from err
    except OSError as err:
        if not swapped:
            _discard(staging)
        raise _write_error(err, target, staging) from err
    except BaseException:
        if not swapped:
            _discard(staging)
        raise
    finally:
        if lock_fd is not None:
            os.close(lock_fd)


# --------------------------------------------------------------------------- writers and readers


def write_text(target: Path | str, text: str) -> None:
    with atomic_path(target) as tmp:
        tmp.write_text(text, encoding="utf-8")


def write_json(target: Path | str, data: Any) -> None:
    write_text(target, json.dumps(data, ensure_ascii=False, indent=2) + "\n")


def write_jsonl(target: Path | str, rows: Iterable[dict[str, Any]]) -> None:
    encode = _JSONL_ENCODER.encode  # json.dumps(row, ensure_ascii=False), without a new encoder per row
    with atomic_path(target) as tmp, tmp.open("w", encoding="utf-8") as out:
        for row in rows:
            out.write(encode(row) + "\n")


_JSONL_ENCODER = json.JSONEncoder(ensure_ascii=False)


def read_jsonl(path: Path | str) -> list[dict[str, Any]]:
    with Path(path).open(encoding="utf-8") as lines:
        return [json.loads(line) for line in lines if line.strip()]


# A spreadsheet evaluates a cell starting with one of these as a formula (OWASP, CSV Injection).
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
PLAIN_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")


def spreadsheet_safe(value: Any) -> str:
    """A CSV cell a spreadsheet shows as text: ``'`` before a leading = + - @ tab or CR.

    Document text and manifests are untrusted; ``=HYPERLINK(...)`` or ``-1+cmd|...`` must not
    become a formula when an analyst opens the CSV. Plain numbers (``-5``, ``+3.2``, ``-0.5``) are
    data and stay as they are; None is an empty cell. Every CSV writer of the tool uses this.
    """
    if value is None:
        return ""
    text = str(value)  # what the csv module would write for a number too
    if text.startswith(FORMULA_TRIGGERS) and not PLAIN_NUMBER.fullmatch(text):
        return "'" + text
    return text


def write_csv(target: Path | str, columns: list[str], rows: Iterable[dict[str, Any]]) -> None:
    """A CSV table for spreadsheets: every cell passes through :func:`spreadsheet_safe`."""
    with atomic_path(target) as tmp, tmp.open("w", encoding="utf-8", newline="") as out:
        writer = csv.DictWriter(out, fieldnames=columns, extrasaction="ignore")
        writer.writeheader()
        for row in rows:
            writer.writerow({k: spreadsheet_safe(row.get(k)) for k in columns})
