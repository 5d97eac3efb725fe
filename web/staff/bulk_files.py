"""Bulk catalog uploads: a JSON Lines or CSV file (the fields of ``import-catalog``) made into JSON Lines.

The type is judged by content. A browser upload may not name transcript files (that would read files on the
server); caption files are uploaded one by one on the "Add a session" page instead.
"""

from __future__ import annotations

import csv
import io
import json
import re
import secrets
from pathlib import Path

from catalog import DataFolder

LIST_FIELDS = ("speakers", "topics")
CSV_FIELDS = ("title", "date", "event", "description", "speakers", "topics", "source_url", "video_url")
CSV_FIELDS += ("language", "draft", "key")
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{20,64}$")


class BulkFileError(ValueError):
    """An upload that cannot be a catalog file; the message names the line."""


def to_jsonl(data: bytes) -> str:
    """The upload as JSON Lines text: JSONL is checked line by line, CSV (with a header row) converted."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise BulkFileError(f"the file is not UTF-8 text (byte {exc.start})") from None
    if "\x00" in text:
        raise BulkFileError("the file is binary, not JSON Lines or CSV")
    first = next((line.strip() for line in text.splitlines() if line.strip()), "")
    if not first:
        raise BulkFileError("the file is empty")
    if first.startswith("{"):
        return _checked_jsonl(text)
    if "title" in [c.strip().lower() for c in next(csv.reader([first]))]:
        return _csv_to_jsonl(text)
    raise BulkFileError("this is neither JSON Lines (one {...} object a line) nor CSV with a 'title' column")


def _checked_jsonl(text: str) -> str:
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except (json.JSONDecodeError, RecursionError):
            continue  # the import reports it, with its line number
        if isinstance(row, dict) and row.get("transcript"):
            raise BulkFileError(
                f"line {number}: a browser upload cannot name transcript files; "
                "add each caption file on the 'Add a session' page"
            )
    return text


def _csv_to_jsonl(text: str) -> str:
    reader = csv.DictReader(io.StringIO(text))
    header = [(name or "").strip().lower() for name in reader.fieldnames or []]
    unknown = [name for name in header if name and name not in CSV_FIELDS]
    if unknown:
        raise BulkFileError(f"unknown CSV columns: {', '.join(unknown)} (known: {', '.join(CSV_FIELDS)})")
    lines = []
    for row in reader:
        record = {}
        for name, value in zip(header, (row.get(f) for f in reader.fieldnames), strict=False):
            value = (value or "").strip()
            if not name or not value:
                continue
            if name in LIST_FIELDS:
                record[name] = [part.strip() for part in value.split(";") if part.strip()]
            elif name == "draft":
                record[name] = _csv_draft(value, reader.line_num)
            else:
                record[name] = value
        while len(lines) < reader.line_num - 1:  # keep each record on its CSV line number, for the report
            lines.append("")
        lines.append(json.dumps(record, ensure_ascii=False) if record else "")
    return "\n".join(lines) + "\n"


CSV_DRAFT = {"1": True, "true": True, "yes": True, "draft": True, "0": False, "false": False, "no": False}
CSV_DRAFT |= {"published": False}


def _csv_draft(value: str, line: int) -> bool:
    """CSV holds only text, so its draft column takes these words; anything else is an error, not 'published'."""
    try:
        return CSV_DRAFT[value.lower()]
    except KeyError:
        words = ", ".join(sorted(CSV_DRAFT))
        raise BulkFileError(f"line {line}: draft is {value[:40]!r}; use one of {words}") from None


def keep_upload(data_dir: Path, text: str) -> str:
    """Keep the converted file until the staffer confirms; returns its token."""
    folder = DataFolder(data_dir).bulk_uploads
    folder.mkdir(parents=True, exist_ok=True)
    token = secrets.token_urlsafe(24)
    (folder / f"{token}.jsonl").write_text(text, encoding="utf-8")
    return token


def kept_upload(data_dir: Path, token: str) -> Path:
    path = DataFolder(data_dir).bulk_uploads / f"{token}.jsonl"
    if not _TOKEN.match(token or "") or not path.is_file():
        raise BulkFileError("this upload is no longer here: upload the file again")
    return path
