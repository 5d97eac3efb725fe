"""A test-only yt-dlp extractor pair serving a fake video site from a ``LocalServer`` on 127.0.0.1.

It behaves like YouTube where the archive cares: uploaded and automatic captions per language, machine
translations (``tlang=``), chapters, channels listing their videos newest first as flat references.

    site = FakeSite(local_server)
    site.video("v1", "Housing panel", manual={"en": VTT}, auto={"en": VTT2}, translations=("es",))
    site.channel("mayors", ["v1", "v2"])
    options = IngestOptions(downloader=make_downloader, ...)
    archive.ingest(catalog, data_dir, [site.channel_url("mayors")], options)

Every page is JSON on the local server, so a test can make any of them answer 503, 429 or 404.
``make_downloader`` builds a ``YoutubeDL`` that knows only these two extractors.
"""

from __future__ import annotations

import json

from support.httpserver import LocalServer, Reply
from yt_dlp import YoutubeDL
from yt_dlp.extractor.common import InfoExtractor

HOST = r"https?://127\.0\.0\.1:\d+"


class FakeVideoIE(InfoExtractor):
    IE_NAME = "fakevideo"
    _VALID_URL = HOST + r"/fake/video/(?P<id>[\w-]+)$"

    def _real_extract(self, url):
        video_id = self._match_id(url)
        data = self._download_json(url + ".json", video_id)
        return {
            "id": video_id,
            "url": data["media_url"],
            "ext": "mp4",
            "title": data["title"],
            "description": data.get("description"),
            "upload_date": data.get("upload_date"),
            "duration": data.get("duration"),
            "channel": data.get("channel"),
            "tags": data.get("tags") or [],
            "thumbnail": data.get("thumbnail"),
            "chapters": data.get("chapters") or None,
            "subtitles": data.get("subtitles") or {},
            "automatic_captions": data.get("automatic_captions") or {},
            "webpage_url": url,
        }


class FakeChannelIE(InfoExtractor):
    IE_NAME = "fakechannel"
    _VALID_URL = HOST + r"/fake/channel/(?P<id>[\w-]+)$"

    def _real_extract(self, url):
        channel_id = self._match_id(url)
        data = self._download_json(url + ".json", channel_id)
        base = url.split("/fake/")[0]
        entries = [
            self.url_result(
                f"{base}/fake/video/{v['id']}", ie=FakeVideoIE.ie_key(), video_id=v["id"], title=v["title"]
            )
            for v in data["videos"]
        ]
        return self.playlist_result(entries, channel_id, data["title"])


def make_downloader(params: dict) -> YoutubeDL:
    """The downloader factory for tests: a ``YoutubeDL`` that knows only the fake site."""
    ydl = YoutubeDL(params, auto_init=False)
    ydl.add_info_extractor(FakeVideoIE())
    ydl.add_info_extractor(FakeChannelIE())
    return ydl


class FakeSite:
    """Builds the fake site's pages on a ``LocalServer``."""

    def __init__(self, server: LocalServer):
        self.server = server
        self.titles: dict[str, str] = {}

    def video_url(self, video_id: str) -> str:
        return self.server.url(f"/fake/video/{video_id}")

    def channel_url(self, channel_id: str) -> str:
        return self.server.url(f"/fake/channel/{channel_id}")

    def caption_path(self, video_id: str, language: str, kind: str) -> str:
        return f"/fake/captions/{video_id}.{language}.{kind}.vtt"

    def video(
        self,
        video_id: str,
        title: str,
        *,
        manual: dict[str, str] | None = None,
        auto: dict[str, str] | None = None,
        translations: tuple[str, ...] = (),
        chapters: list[dict] | None = None,
        upload_date: str = "20240118",
        description: str = "",
        page: Reply | None = None,
    ) -> None:
        """Serve a video page; ``translations`` adds machine-translated automatic tracks of the English one."""
        subtitles = {
            lang: self._track(video_id, lang, "manual", text) for lang, text in (manual or {}).items()
        }
        automatic = {lang: self._track(video_id, lang, "auto", text) for lang, text in (auto or {}).items()}
        source = self.server.url(self.caption_path(video_id, "en", "auto"))
        for lang in translations:
            automatic[lang] = [
                {"url": f"{source}?tlang={lang}", "ext": "vtt", "name": f"{lang} (translated)"}
            ]
        data = {
            "title": title,
            "description": description,
            "upload_date": upload_date,
            "duration": 600,
            "channel": "U.S. Conference of Mayors",
            "tags": ["mayors", "housing"],
            "thumbnail": self.server.url(f"/fake/thumbs/{video_id}.jpg"),
            "media_url": self.server.url(f"/fake/media/{video_id}.mp4"),
            "chapters": chapters or [],
            "subtitles": subtitles,
            "automatic_captions": automatic,
        }
        self.titles[video_id] = title
        replies = [page] if page is not None else []  # a scripted first answer, then the real page
        self.server.add(f"/fake/video/{video_id}.json", *replies, Reply(body=json.dumps(data)))
        self.server.add(f"/fake/media/{video_id}.mp4", Reply(body=b"\x00\x00\x00\x18ftypmp42" + bytes(4000)))

    def channel(self, channel_id: str, video_ids: list[str], title: str = "USCM videos") -> None:
        """Serve a channel listing its videos in the order given (newest first, like YouTube)."""
        videos = [{"id": v, "title": self.titles.get(v, v)} for v in video_ids]
        self.server.add(f"/fake/channel/{channel_id}.json", json.dumps({"title": title, "videos": videos}))

    def _track(self, video_id: str, language: str, kind: str, text: str) -> list[dict]:
        path = self.caption_path(video_id, language, kind)
        self.server.add(path, text)
        return [
            {"url": self.server.url(path.replace(".vtt", ".json3")), "ext": "json3"},
            {"url": self.server.url(path), "ext": "vtt"},
        ]


def vtt(*lines: str, start: float = 1.0, step: float = 3.0) -> str:
    """A small WebVTT file with one cue per line."""
    cues = []
    for number, line in enumerate(lines):
        begin = start + number * step
        cues.append(f"{_clock(begin)} --> {_clock(begin + step - 0.5)}\n{line}\n")
    return "WEBVTT\n\n" + "\n".join(cues)


def _clock(seconds: float) -> str:
    whole = int(seconds)
    return (
        f"{whole // 3600:02d}:{whole % 3600 // 60:02d}:{whole % 60:02d}.{round((seconds - whole) * 1000):03d}"
    )
