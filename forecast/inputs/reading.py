"""Reading input files as bureaus save them: encodings, Excel, and limits a broken file cannot pass.

Rules (stated once, in the README too):

* **Encodings of CSV files.** A byte-order mark decides (UTF-8 or UTF-16); otherwise
  the file is read as UTF-8 if it is valid UTF-8, else as GB18030 (the national
  standard, a superset of GBK and GB2312, which Excel and WPS on Chinese Windows
  write) if it is valid GB18030, else as the encoding charset-normalizer finds most
  likely. Anything read other than as UTF-8 is reported in a note, and
  ``--encoding NAME`` (``gbk``, ``utf-8``, ...) names the encoding instead of
  detecting it.
* **Excel** ``.xlsx``/``.xlsm`` through openpyxl (the first sheet); old ``.xls`` files
  are refused with the fix "save as .xlsx".
* **Scenario files** are UTF-8 text (a BOM is allowed); anything else is refused with
  the fix, never a decoding traceback.
* **Limits**: a table file over `MAX_TABLE_BYTES` or `MAX_ROWS` rows, a scenario over
  `MAX_SCENARIO_BYTES`, is refused with a message, so a huge or runaway file cannot
  hang a command.
"""

from __future__ import annotations

import codecs
import csv
import io
from pathlib import Path

import pandas as pd

from forecast.errors import InputError, Problem

MAX_TABLE_BYTES = 20_000_000
MAX_ROWS = 100_000
MAX_SCENARIO_BYTES = 1_000_000
EXCEL_SUFFIXES = {".xlsx", ".xlsm"}
CSV_SUFFIXES = {".csv", ".txt"}
_BOMS = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))


def _refuse(path: Path, what: str, fix: str, where: str = "file") -> InputError:
    return InputError([Problem(str(path), where, what, fix)])


def checked_file(path: Path, limit: int, missing_fix: str) -> Path:
    """`path` if it is a file no larger than `limit` bytes; else an `InputError` saying why."""
    path = Path(path)
    if not path.exists():
        raise _refuse(path, "not found", missing_fix)
    if not path.is_file():
        raise _refuse(path, "is a folder, not a file", "give the path of a file inside it")
    size = path.stat().st_size
    if size > limit:
        raise _refuse(
            path,
            f"is {size / 1e6:.1f} MB, more than the {limit / 1e6:g} MB this tool reads",
            "check it is the right file; split or trim it",
        )
    return path


def decode_table_text(data: bytes, path: Path, encoding: str | None = None) -> tuple[str, str]:
    """The text of a CSV file and the encoding it was read in (rules in the module docstring)."""
    if encoding:
        try:
            codecs.lookup(encoding)
        except LookupError:
            raise _refuse(
                path, f"unknown encoding '{encoding}'", "name one such as utf-8, gbk or gb18030", "--encoding"
            ) from None
        try:
            return data.decode(encoding), encoding
        except UnicodeDecodeError as exc:
            raise _refuse(
                path,
                f"is not {encoding} text (byte {exc.start} cannot be read)",
                "leave out --encoding to detect it, or name the encoding it was saved in (e.g. gbk, utf-8)",
            ) from None
    for bom, name in _BOMS:
        if data.startswith(bom):
            try:
                return data.decode(name), name
            except UnicodeDecodeError:
                break
    for name in ("utf-8", "gb18030"):
        try:
            return data.decode(name), name
        except UnicodeDecodeError:
            continue
    from charset_normalizer import from_bytes

    best = from_bytes(data[:200_000]).best()
    if best is not None and b"\x00" not in data:
        try:
            return data.decode(best.encoding), best.encoding
        except (UnicodeDecodeError, LookupError):
            pass
    raise _refuse(
        path,
        "is not a text table in an encoding this tool recognises (it may be a binary file)",
        "save it as CSV (UTF-8) or .xlsx, or name its encoding with --encoding",
    )


def read_table(path: Path, encoding: str | None = None, notes: list[str] | None = None) -> pd.DataFrame:
    """Read a CSV or Excel file as strings, so every cell can be checked and reported.

    `encoding` names a CSV file's encoding (default: detected); a note on how the file
    was read is appended to `notes` where it was not plain UTF-8.
    """
    path = checked_file(path, MAX_TABLE_BYTES, "check the path, or omit the option to use the bundled file")
    suffix = path.suffix.lower()
    if suffix == ".xls":
        raise _refuse(path, "is an old-style .xls workbook", "open it in Excel or WPS and save it as .xlsx or CSV")
    if suffix not in EXCEL_SUFFIXES | CSV_SUFFIXES:
        raise _refuse(path, f"unknown file type '{path.suffix}'", "give a .csv or .xlsx file")
    if suffix in EXCEL_SUFFIXES:
        table = _read_excel(path)
    else:
        text, used = decode_table_text(path.read_bytes(), path, encoding)
        if notes is not None and used not in {"utf-8", "utf-8-sig", "utf_8"} and not encoding:
            notes.append(f"{path}: read as {used.upper()} text (detected; name another with --encoding)")
        table = _parse_csv(text, path)
    if len(table) > MAX_ROWS:
        raise _refuse(path, f"has more than {MAX_ROWS:,} rows", "split the file, or keep the rows this forecast needs")
    table.columns = [str(c).strip() for c in table.columns]
    return table.apply(lambda col: col.astype(str).str.strip())


def _parse_csv(text: str, path: Path) -> pd.DataFrame:
    try:
        return pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, nrows=MAX_ROWS + 1)
    except (pd.errors.ParserError, ValueError, csv.Error) as exc:
        raise _refuse(
            path,
            f"cannot be read as a table ({str(exc)[:200]})",
            "save it as CSV (comma-separated, one header row) or .xlsx",
        ) from exc


def _read_excel(path: Path) -> pd.DataFrame:
    try:
        return pd.read_excel(path, dtype=str, keep_default_na=False, nrows=MAX_ROWS + 1, engine="openpyxl")
    except Exception as exc:  # openpyxl raises many kinds on a damaged workbook; all mean "cannot read it"
        raise _refuse(
            path,
            f"cannot be read as an Excel workbook ({type(exc).__name__}: {str(exc)[:200]})",
            "open it in Excel or WPS and save it again as .xlsx, or save it as CSV",
        ) from exc


def read_text(path: Path, limit: int = MAX_SCENARIO_BYTES, missing_fix: str = "check the path") -> str:
    """A UTF-8 text file (scenario), or an `InputError` naming the file and the fix."""
    path = checked_file(path, limit, missing_fix)
    data = path.read_bytes()
    if b"\x00" in data and not data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise _refuse(
            path,
            "is a binary file, not a text file",
            "give a scenario written as YAML text (see scenarios/ for examples), saved as UTF-8",
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        hint = ""
        try:
            data.decode("gb18030")
            hint = " (it looks like GBK/GB18030 text)"
        except UnicodeDecodeError:
            pass
        raise _refuse(
            path,
            f"is not UTF-8 text{hint}: byte {exc.start} cannot be read",
            "save it as UTF-8 (Notepad or WPS: Save as, Encoding UTF-8)",
        ) from None
