"""Reading delimited input files (folder or zip) into DuckDB text tables, with located errors.

Shared by every file-based source: it opens a folder or a zip, fingerprints each file, checks the
header and the encoding, and reads the rows with DuckDB's CSV reader, turning rejected rows into
problems that name the file, the line and the field.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
import shutil
import tempfile
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import duckdb

from workbench.errors import InputError, Problem

DATA_SUFFIXES = {".csv", ".tsv", ".txt"}
MAX_REPORTED = 20


@dataclass(frozen=True)
class InputFile:
    """One input file: its name as the user knows it and where it sits on disk."""

    name: str
    path: Path
    sha256: str
    size: int

    @property
    def stem(self) -> str:
        return Path(self.name).stem


@dataclass(frozen=True)
class InputPackage:
    location: str
    files: tuple[InputFile, ...]

    def find(self, name: str) -> InputFile | None:
        """The file whose base name matches ``name`` (case-insensitive), if any."""
        for f in self.files:
            if Path(f.name).name.lower() == name.lower():
                return f
        return None


def fingerprint(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _collect(root: Path, base: Path) -> list[InputFile]:
    files = []
    for p in sorted(root.rglob("*")):
        if p.is_file() and p.suffix.lower() in DATA_SUFFIXES and not p.name.startswith("."):
            name = p.relative_to(base).as_posix()
            files.append(InputFile(name, p, fingerprint(p), p.stat().st_size))
    return files


def _extract_zip(path: Path, into: Path) -> None:
    try:
        with zipfile.ZipFile(path) as zf:
            for member in zf.infolist():
                target = (into / member.filename).resolve()
                if not str(target).startswith(str(into.resolve())):
                    raise InputError.one(
                        f"zip member {member.filename!r} points outside the archive",
                        file=path.name,
                        hint="rebuild the zip with plain relative paths",
                    )
            zf.extractall(into)
    except zipfile.BadZipFile as exc:
        raise InputError.one(
            f"not a readable zip archive ({exc})",
            file=path.name,
            hint="the download or copy may be incomplete; fetch the file again",
        ) from exc


@contextmanager
def open_package(path: str | Path) -> Iterator[InputPackage]:
    """Open a folder, a zip or a single file as a package of data files."""
    src = Path(path)
    if not src.exists():
        raise InputError.one(f"{src} does not exist", hint="check the path and try again")
    if src.is_dir():
        yield InputPackage(str(src), tuple(_collect(src, src)))
        return
    if src.suffix.lower() == ".zip":
        tmp = Path(tempfile.mkdtemp(prefix="workbench-zip-"))
        try:
            _extract_zip(src, tmp)
            files = _collect(tmp, tmp)
            # a zip holding one top folder is read as that folder
            tops = {f.name.split("/")[0] for f in files}
            if len(tops) == 1 and all("/" in f.name for f in files):
                top = tops.pop()
                files = [
                    InputFile(f.name[len(top) + 1 :], f.path, f.sha256, f.size) for f in files
                ]
            yield InputPackage(str(src), tuple(files))
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        return
    if src.suffix.lower() in DATA_SUFFIXES:
        yield InputPackage(str(src), (InputFile(src.name, src, fingerprint(src), src.stat().st_size),))
        return
    raise InputError.one(
        f"{src.name} is neither a folder, a .zip, nor a .csv/.tsv/.txt file",
        file=src.name,
        hint="point at the export folder or its zip",
    )


@dataclass(frozen=True)
class Header:
    names: list[str]
    delimiter: str


def _first_line(f: InputFile) -> bytes:
    with f.path.open("rb") as fh:
        raw = fh.read(1 << 16)
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    return raw.split(b"\n", 1)[0].rstrip(b"\r")


def encoding_hint(path: Path) -> str:
    """Advice for a file that is not valid UTF-8, naming the first offending byte."""
    with path.open("rb") as fh:
        data = fh.read(1 << 24)
    try:
        data.decode("utf-8")
        return "re-export the file as UTF-8"
    except UnicodeDecodeError as exc:
        byte = data[exc.start : exc.start + 1]
    try:
        char = byte.decode("cp1252")
    except UnicodeDecodeError:
        return "re-export the file as UTF-8"
    return (f"byte 0x{byte.hex().upper()} is {char!r} in Windows-1252: the file, or part of it, was "
            "saved as Windows-1252; re-export it as UTF-8 (or convert it with "
            "iconv -f cp1252 -t utf-8)")


def read_header(f: InputFile) -> Header:
    """The header of a delimited file: names as written, and the delimiter (tab or comma)."""
    if f.size == 0:
        raise InputError.one(
            "the file is empty", file=f.name, line=1, hint="re-export it; a table needs a header row"
        )
    line = _first_line(f)
    try:
        text = line.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError.one("the header is not valid UTF-8", file=f.name, line=1,
                             hint=encoding_hint(f.path)) from exc
    if not text.strip():
        raise InputError.one(
            "the first line is blank; a header row is required", file=f.name, line=1,
            hint="remove blank lines above the header",
        )
    delimiter = "\t" if text.count("\t") > text.count(",") else ","
    names = next(csv.reader(io.StringIO(text), delimiter=delimiter))
    names = [n.strip() for n in names]
    problems = []
    seen: dict[str, int] = {}
    for i, n in enumerate(names, start=1):
        if not n:
            problems.append(Problem(f"header column {i} has no name", file=f.name, line=1,
                                    hint="give every column a name or delete the empty column"))
        elif n.lower() in seen:
            problems.append(Problem(f"header names {n!r} twice (columns {seen[n.lower()]} and {i})",
                                    file=f.name, line=1, field=n, hint="remove the duplicate column"))
        else:
            seen[n.lower()] = i
    if problems:
        raise InputError(problems)
    return Header(names, delimiter)


def _quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def read_text_table(
    cur: duckdb.DuckDBPyConnection,
    f: InputFile,
    table: str,
    columns: list[str],
    header: Header,
) -> int:
    """Create ``table`` (a quoted, schema-qualified name) with every column as VARCHAR.

    ``columns`` are the names to give the file's columns, in file order. Any row the reader rejects
    (too many or too few fields, an unterminated quote, bytes that are not UTF-8) fails the whole
    read; the file is then read again to locate every problem by line and field. Returns the row
    count.
    """
    col_spec = "{" + ", ".join(f"'{c.replace(chr(39), chr(39) * 2)}': 'VARCHAR'" for c in columns) + "}"
    options = (f"auto_detect=false, header=true, delim=?, quote='\"', escape='\"', "
               f"columns={col_spec}")
    try:
        # Fast path: a strict read that stops at the first bad row.
        cur.execute(f"CREATE TABLE {table} AS SELECT * FROM read_csv(?, {options})",
                    [str(f.path), header.delimiter])
    except duckdb.Error as exc:
        raise _locate(f, columns, header, options, exc) from exc
    row = cur.execute(f"SELECT count(*) FROM {table}").fetchone()
    return int(row[0]) if row else 0


def _locate(
    f: InputFile, columns: list[str], header: Header, options: str, exc: duckdb.Error
) -> InputError:
    """Read the file again, collecting every rejected row, to say where and what is wrong.

    The failed read has aborted the load's transaction, so this runs on a private in-memory
    database.
    """
    scratch = duckdb.connect()
    try:
        # materialise every column: a count(*) would skip parsing (and checking) the values
        scratch.execute(
            f"CREATE TABLE scan AS SELECT * FROM read_csv(?, {options}, store_rejects=true, "
            "rejects_table='wb_rejects', rejects_scan='wb_reject_scans', rejects_limit=1000)",
            [str(f.path), header.delimiter],
        )
        rejects = scratch.execute(
            "SELECT line, column_name, error_type, csv_line FROM wb_rejects ORDER BY line LIMIT ?",
            [MAX_REPORTED + 1],
        ).fetchall()
    except duckdb.Error:
        rejects = []
    finally:
        scratch.close()
    if rejects:
        return InputError([reject_problem(f, columns, header, *r) for r in rejects])
    line = re.search(r"CSV Error on Line: (\d+)", str(exc))
    return InputError.one(
        f"the file cannot be read as delimited text: {str(exc).splitlines()[0]}",
        file=f.name,
        line=int(line.group(1)) if line else None,
        hint="check that it is a complete CSV/TSV export",
    )


def reject_problem(
    f: InputFile, columns: list[str], header: Header, line: int, column: str | None,
    error_type: str, csv_line: str | None,
) -> Problem:
    label = header.names[columns.index(column)] if column in columns else column
    n = len(columns)
    if error_type == "TOO MANY COLUMNS":
        found = len(next(csv.reader(io.StringIO(csv_line or ""), delimiter=header.delimiter), []))
        return Problem(f"row has {found} fields, the header has {n}", file=f.name, line=line,
                       hint="a value probably contains an unquoted delimiter; quote it or re-export")
    if error_type == "MISSING COLUMNS":
        return Problem(f"row ends early: field {label} and after are missing (header has {n})",
                       file=f.name, line=line, field=label,
                       hint="the file may be truncated or a value holds an unquoted line break; re-export it")
    if error_type == "INVALID ENCODING":
        return Problem("bytes that are not valid UTF-8", file=f.name, line=line, field=label,
                       hint=encoding_hint(f.path))
    if error_type == "UNQUOTED VALUE":
        return Problem("a quoted value is never closed", file=f.name, line=line, field=label,
                       hint="the file may be truncated; re-export it")
    return Problem(f"unreadable row ({error_type.lower()})", file=f.name, line=line, field=label,
                   hint="fix the row or re-export the file")
