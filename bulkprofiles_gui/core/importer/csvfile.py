"""Reading an operator's CSV file: encoding, delimiter, header, streamed records.

The file is never read whole: :func:`sniff` looks at its first 64 KB to choose
the encoding (a UTF-8 BOM, else UTF-8 if the sample decodes, else the
operator must name one) and the delimiter (``,`` ``;`` or tab, by
:class:`csv.Sniffer` restricted to those, else the most frequent of them in
the header line).  :func:`records` then streams the records with the
physical line each starts on, so a reject can name it.

Bytes that do not decode in the chosen encoding do not stop the import: they
are kept as surrogates (``surrogateescape``) and the row holding them is
rejected by :func:`has_undecodable`.
"""

from __future__ import annotations

import codecs
import csv
import io
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from ..limits import MAX_IMPORT_COLUMNS, short
from ..store import StoreError

SAMPLE_BYTES = 64 * 1024
DELIMITERS = (",", ";", "\t")
DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab"}
#: The largest cell the reader accepts (a bigger one is a broken file, not data).
MAX_CELL = 1_000_000
csv.field_size_limit(MAX_CELL)


class ImportFileError(StoreError):
    """A file that cannot be imported as it is; one line naming the file and the problem."""


@dataclass(frozen=True)
class CsvFormat:
    encoding: str
    delimiter: str

    @property
    def delimiter_name(self) -> str:
        return DELIMITER_NAMES.get(self.delimiter, repr(self.delimiter))


def _read_sample(path: Path) -> bytes:
    try:
        with path.open("rb") as fh:
            return fh.read(SAMPLE_BYTES)
    except FileNotFoundError:
        raise ImportFileError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise ImportFileError(f"{path}: is a folder, not a CSV file") from None
    except OSError as exc:
        raise ImportFileError(f"{path}: cannot be read ({exc.strerror or exc})") from None


def _encoding_of(path: Path, sample: bytes, encoding: str | None) -> str:
    if encoding:
        try:
            "".encode(encoding)
        except LookupError:
            raise ImportFileError(f"{path}: unknown encoding {short(encoding)!r}") from None
        if encoding.lower().replace("-", "").replace("_", "") == "utf8" and sample.startswith(
            b"\xef\xbb\xbf"
        ):
            return "utf-8-sig"
        return encoding
    if sample.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig"
    if sample.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"
    try:
        # A multi-byte character may be cut at the end of the sample.
        sample.decode("utf-8") if len(sample) < SAMPLE_BYTES else sample[:-4].decode("utf-8")
    except UnicodeDecodeError as exc:
        line = sample[: exc.start].count(b"\n") + 1
        raise ImportFileError(
            f"{path}: line {line} is not UTF-8 text; choose the file's encoding "
            "(e.g. --encoding cp1252 or latin-1)"
        ) from None
    return "utf-8"


def _delimiter_of(path: Path, text: str, delimiter: str | None) -> str:
    if delimiter:
        named = {"comma": ",", "semicolon": ";", "tab": "\t", "\\t": "\t"}.get(delimiter, delimiter)
        if named not in DELIMITERS:
            raise ImportFileError(
                f"{path}: delimiter {short(delimiter)!r} is not one of comma, semicolon, tab"
            )
        return named
    header = text.splitlines()[0] if text else ""
    try:
        return csv.Sniffer().sniff(text, delimiters="".join(DELIMITERS)).delimiter
    except csv.Error:
        counts = {d: header.count(d) for d in DELIMITERS}
        best = max(counts, key=lambda d: counts[d])
        return best if counts[best] else ","


def sniff(
    path: str | Path, *, encoding: str | None = None, delimiter: str | None = None
) -> CsvFormat:
    """The file's encoding and delimiter (either may be given by the operator)."""
    path = Path(path)
    sample = _read_sample(path)
    if not sample.strip():
        raise ImportFileError(f"{path}: the file is empty (a CSV file needs a header line)")
    chosen = _encoding_of(path, sample, encoding)
    try:
        # Decoded the way the reader will read it (text files decode
        # incrementally: bytes.decode takes a UTF-16 file without a byte order
        # mark that the reader then refuses).
        decoder = codecs.getincrementaldecoder(chosen)(errors="surrogateescape")
        text = decoder.decode(sample, final=len(sample) < SAMPLE_BYTES)
    except UnicodeError as exc:  # "UTF-16 stream does not start with BOM" and the like
        raise ImportFileError(f"{path}: cannot be read as {short(chosen)}: {exc}") from None
    if len(sample) == SAMPLE_BYTES:  # do not sniff a cut last line
        text = text[: text.rfind("\n") + 1] or text
    return CsvFormat(chosen, _delimiter_of(path, text, delimiter))


@dataclass(frozen=True)
class Record:
    """One data record: its index among the records (0-based), the physical
    line it starts on (1-based, the header is line 1), and its cells."""

    index: int
    line: int
    cells: list[str]


def has_undecodable(cells: list[str]) -> bool:
    """True if a cell holds bytes the chosen encoding could not decode."""
    try:
        "".join(cells).encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


class CsvReader:
    """The header and the streamed records of one CSV file."""

    def __init__(self, path: str | Path, fmt: CsvFormat) -> None:
        self.path = Path(path)
        self.fmt = fmt
        self._fh: io.TextIOWrapper | None = None

    def __enter__(self) -> CsvReader:
        try:
            self._fh = self.path.open(
                "r", encoding=self.fmt.encoding, errors="surrogateescape", newline=""
            )
        except OSError as exc:
            raise ImportFileError(f"{self.path}: cannot be read ({exc.strerror or exc})") from None
        # strict: a quote that is never closed is an error with its line, not
        # every following row swallowed into one cell.
        self._reader = csv.reader(self._fh, delimiter=self.fmt.delimiter, strict=True)
        self.header = self._read_header()
        return self

    def __exit__(self, *_exc: object) -> None:
        if self._fh is not None:
            self._fh.close()

    def _read_header(self) -> list[str]:
        try:
            header = next(self._reader)
        except StopIteration:
            raise ImportFileError(f"{self.path}: the file is empty (no header line)") from None
        except csv.Error as exc:
            raise ImportFileError(f"{self.path}: line 1: {exc}") from None
        if len(header) > MAX_IMPORT_COLUMNS:
            raise ImportFileError(
                f"{self.path}: the header has {len(header):,} columns; an import takes at "
                f"most {MAX_IMPORT_COLUMNS:,} (is the delimiter right?)"
            )
        return [h.strip() for h in header]

    def records(self, start: int = 0) -> Iterator[Record]:
        """Data records from index ``start`` on (earlier ones are read and dropped)."""
        reader = self._reader
        index = 0
        line = reader.line_num + 1
        while True:
            try:
                cells = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                raise ImportFileError(f"{self.path}: line {line}: {exc}") from None
            if any(cell.strip() for cell in cells):  # a line of empty cells is blank
                if index >= start:
                    yield Record(index, line, cells)
                index += 1
            line = reader.line_num + 1

    def position(self) -> int:
        """Bytes read so far (for progress while the file is read)."""
        if self._fh is None:
            return 0
        try:
            return os.lseek(self._fh.fileno(), 0, os.SEEK_CUR)
        except OSError:
            return 0


def preview(path: str | Path, fmt: CsvFormat, rows: int = 20) -> tuple[list[str], list[list[str]]]:
    """The header and the first ``rows`` data records (for the wizard and ``--dry-run``)."""
    with CsvReader(path, fmt) as reader:
        found: list[list[str]] = []
        for record in reader.records():
            found.append(record.cells)
            if len(found) >= rows:
                break
        return reader.header, found
