"""Static files with fingerprinted URLs: ``/static/site.css?v=<hash of its bytes>``, cached for a year.

Templates write ``{{ static_url("site.css") }}``. A request whose ``v`` is the file's current fingerprint gets
``Cache-Control: public, max-age=31536000, immutable`` (a new version has a new URL); any other request for a
static file is revalidated (``no-cache``) with the ETag StaticFiles sends.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from urllib.parse import parse_qs

from fastapi.staticfiles import StaticFiles
from starlette.types import Scope

IMMUTABLE = "public, max-age=31536000, immutable"


def fingerprints(folder: Path) -> dict[str, str]:
    """Each file's path below ``folder`` (POSIX) mapped to the first 12 hex digits of its SHA-256."""
    return {
        path.relative_to(folder).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()[:12]
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


BUILD_FILES = {".py", ".html", ".xml", ".css", ".js", ".png", ".svg"}


def build_id(*folders: Path) -> str:
    """One hash of the code, templates and static files a response is made by: part of every page's ETag, so
    an upgrade gives pages new validators. The same in every worker (compiled ``__pycache__`` is left out)."""
    digest = hashlib.sha256()
    for folder in folders:
        for path in sorted(folder.rglob("*")):
            if path.suffix in BUILD_FILES and "__pycache__" not in path.parts and path.is_file():
                digest.update(f"{path.relative_to(folder.parent).as_posix()}\n".encode())
                digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()[:16]


class FingerprintedStatic(StaticFiles):
    def __init__(self, directory: Path):
        super().__init__(directory=directory)
        self.versions = fingerprints(Path(directory))

    def url(self, name: str) -> str:
        version = self.versions.get(name)
        return f"/static/{name}?v={version}" if version else f"/static/{name}"

    def file_response(self, full_path, stat_result, scope: Scope, status_code: int = 200):
        response = super().file_response(full_path, stat_result, scope, status_code)
        name = Path(self.get_path(scope)).as_posix()
        asked = parse_qs(scope.get("query_string", b"").decode("latin-1")).get("v", [""])[0]
        current = self.versions.get(name)
        response.headers["cache-control"] = IMMUTABLE if current and asked == current else "no-cache"
        return response
