"""Speed of offline transcription on this machine: ``python -m bench.asr [--repeat N] [--threads 2]``.

Synthesises the known passage (bench/speech.py) ``repeat`` times over, transcribes it in a child process with the
asr extra's model (int8, VAD on, ``threads`` CPU threads) and records: audio length, model load time,
transcription time, real-time factor (transcription time / audio length), the child's peak memory (max RSS) and
word accuracy. Writes bench/results/asr.md and prints it.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

from bench.machine import code_version, describe
from bench.speech import PASSAGE, synthesise, word_accuracy

RESULTS = Path(__file__).resolve().parent / "results" / "asr.md"
CHILD = """
import json, resource, sys, time
from pathlib import Path
t0 = time.perf_counter()
from archive import asr
from archive.asr_model import choose_model
choice = choose_model()
t1 = time.perf_counter()
result = asr.recognise(Path(sys.argv[1]), threads=int(sys.argv[2]))
t2 = time.perf_counter()
print(json.dumps({
    "check_and_import_s": t1 - t0, "transcribe_s": t2 - t1, "duration_s": result.duration,
    "text": " ".join(s.segment.text for s in result.segments), "model": choice.name,
    "max_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
}))
"""


def measure(repeat: int, threads: int) -> dict:
    with tempfile.TemporaryDirectory(prefix="uscm-bench-asr-") as folder:
        media, _, _ = synthesise(Path(folder), repeat=repeat)
        run = subprocess.run(
            [sys.executable, "-c", CHILD, str(media), str(threads)],
            capture_output=True,
            text=True,
            check=True,
        )
    figures = json.loads(run.stdout.strip().splitlines()[-1])
    figures["accuracy"] = word_accuracy(" ".join(PASSAGE * repeat), figures.pop("text"))
    figures["rtf"] = figures["transcribe_s"] / figures["duration_s"]
    return figures


def report(figures: dict, threads: int, machine: dict) -> str:
    return "\n".join(
        [
            "# Offline transcription speed",
            "",
            f"Measured by `python -m bench.asr` at {code_version()} on {machine['cpu']} ({machine['cores']} cores, "
            f"{machine['memory_gib']} GiB), load average {machine['load_average']} at the start: the machine is "
            "shared, so times are upper bounds.",
            "",
            "| what | figure |",
            "|---|---|",
            f"| model | {figures['model']} (CTranslate2 int8, VAD on, {threads} CPU threads) |",
            f"| audio (espeak-ng, the passage of bench/speech.py) | {figures['duration_s']:.1f} s |",
            f"| pin check (sha256 of the model files) and import | {figures['check_and_import_s']:.2f} s |",
            f"| transcription, model load included | {figures['transcribe_s']:.2f} s |",
            f"| real-time factor (transcription / audio) | {figures['rtf']:.3f} |",
            f"| peak memory of the process (max RSS) | {figures['max_rss_mib']:.0f} MiB |",
            f"| word accuracy (1 - WER) | {figures['accuracy']:.1%} |",
            "",
        ]
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=4, help="the passage this many times over (~95 s each)")
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args(argv)
    machine = describe()
    text = report(measure(args.repeat, args.threads), args.threads, machine)
    RESULTS.write_text(text, encoding="utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
