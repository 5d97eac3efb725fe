"""Write tests/fixtures/direct-media.mp4: 40 s of H.264 video (160x90, one frame a second, a bar that moves with
the time) with silent AAC audio, the "direct MP4 from an allowed host" of the browser tests. Committed; remake it
with ``python -m tests.support.make_mp4`` after ``pip install -e '.[media-tools]'`` (PyAV, which bundles FFmpeg)."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

TARGET = Path(__file__).resolve().parents[1] / "fixtures" / "direct-media.mp4"
SECONDS = 40
WIDTH, HEIGHT = 160, 90
RATE = 16_000


def main() -> None:
    import av
    import numpy as np

    with av.open(str(TARGET), "w", format="mp4", options={"movflags": "+faststart"}) as out:
        video = out.add_stream("libx264", rate=1, options={"crf": "40", "preset": "veryslow"})
        video.width, video.height, video.pix_fmt = WIDTH, HEIGHT, "yuv420p"
        audio = out.add_stream("aac", rate=RATE, layout="mono")
        audio.bit_rate = 8000
        for second in range(SECONDS):
            picture = np.full((HEIGHT, WIDTH, 3), 30, dtype=np.uint8)
            picture[:, : (second + 1) * WIDTH // SECONDS] = (11, 79, 138)
            frame = av.VideoFrame.from_ndarray(picture, format="rgb24")
            frame.pts, frame.time_base = second, Fraction(1, 1)
            out.mux(video.encode(frame))
        out.mux(video.encode())
        samples = 1024
        for index in range(SECONDS * RATE // samples + 1):
            frame = av.AudioFrame.from_ndarray(
                np.zeros((1, samples), dtype=np.float32), format="fltp", layout="mono"
            )
            frame.sample_rate, frame.pts = RATE, index * samples
            out.mux(audio.encode(frame))
        out.mux(audio.encode())
    print(f"{TARGET}: {TARGET.stat().st_size} bytes")


if __name__ == "__main__":
    main()
