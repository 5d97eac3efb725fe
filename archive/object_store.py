"""Media and raw caption files on an S3-compatible object store (``--media-store s3://bucket/prefix``).

The only module that imports boto3 (the ``s3`` extra). ``S3Files`` is a ``catalog.FileStore``: the catalog's
relative paths (``media/3/talk.mp4``) become object keys under the prefix (``prefix/media/3/talk.mp4``).

* Integrity on the way in: a file of up to ``PART`` bytes is one PutObject with its SHA-256 in
  ``x-amz-checksum-sha256`` (the server refuses bytes that differ) and in the object's metadata (``sha256``);
  a larger one is a multipart upload whose every part carries its own SHA-256 checksum, hashed whole on the way
  for the catalog. Staged uploads (``.incoming/…``) are moved into place by a server-side copy and a delete.
* Errors from boto3 become ``FileStoreError`` naming the store and the file, never a traceback.
* Credentials and region come from ``Settings`` (the standard ``AWS_*`` variables) when given, else boto3's own
  chain (instance profile, ``~/.aws``); the endpoint from ``USCM_ARCHIVE_S3_ENDPOINT`` (SeaweedFS, MinIO, Ceph).
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

from catalog import FileMissing, FileStore, FileStoreError, StoredFile, TooLarge, check_relpath

PART = 8 * 1024**2  # bytes per multipart part (and the largest single PutObject)
CHUNK = 1 << 20
BUCKET = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")


@dataclass(frozen=True)
class S3Location:
    bucket: str
    prefix: str  # no leading or trailing slash; may be empty

    @property
    def url(self) -> str:
        return f"s3://{self.bucket}/{self.prefix}".rstrip("/")


def parse_store_url(url: str) -> S3Location:
    """``s3://bucket`` or ``s3://bucket/some/prefix``, else ``FileStoreError`` saying what it should look like."""
    found = re.fullmatch(r"s3://([^/]+)(?:/(.*))?", url.strip())
    if not found or not BUCKET.fullmatch(found.group(1)):
        raise FileStoreError(
            f"media store {url!r} is not an S3 location like s3://bucket/prefix "
            "(a bucket name of 3 to 63 lower-case letters, digits, dots or dashes)"
        )
    prefix = (found.group(2) or "").strip("/")
    if prefix and any(part in ("", ".", "..") for part in prefix.split("/")):
        raise FileStoreError(f"media store {url!r}: the prefix must not hold empty, '.' or '..' parts")
    return S3Location(found.group(1), prefix)


def make_client(
    endpoint: str | None = None,
    region: str | None = None,
    access_key: str | None = None,
    secret_key: str | None = None,
    session_token: str | None = None,
):
    try:
        import boto3
        from botocore.config import Config
    except ImportError as exc:  # the s3 extra is not installed
        raise FileStoreError("an s3:// media store needs boto3: pip install 'uscm-archive[s3]'") from exc
    config = Config(
        s3={"addressing_style": "path"} if endpoint else {},
        retries={"max_attempts": 3, "mode": "standard"},
        connect_timeout=5,
        read_timeout=60,
        # SeaweedFS, MinIO and older gateways do not all take the newer default CRC32 trailers
        request_checksum_calculation="when_required",
        response_checksum_validation="when_required",
    )
    try:
        return boto3.client(
            "s3",
            endpoint_url=endpoint or None,
            region_name=region or "us-east-1",
            aws_access_key_id=access_key or None,
            aws_secret_access_key=secret_key or None,
            aws_session_token=session_token or None,
            config=config,
        )
    except Exception as exc:  # botocore: an invalid endpoint or region
        raise FileStoreError(f"the S3 client cannot be made for endpoint {endpoint!r}: {exc}") from exc


class S3Files(FileStore):
    def __init__(self, url: str, client=None, **client_options):
        self.location = parse_store_url(url)
        self.description = self.location.url
        self.client = client if client is not None else make_client(**client_options)

    def _key(self, path: str) -> str:
        check_relpath(path)
        return f"{self.location.prefix}/{path}" if self.location.prefix else path

    def _path(self, key: str) -> str:
        return key[len(self.location.prefix) + 1 :] if self.location.prefix else key

    def _error(self, exc: Exception, path: str, doing: str) -> FileStoreError:
        shown = path.rsplit("/", 1)[-1] if path.startswith(".incoming/") else path  # a staged file: its name
        return FileStoreError(f"{self.description}: cannot {doing} {shown}: {_reason(exc)}")

    # -- writing ----------------------------------------------------------------------------------------------
    def put(
        self, path: str, stream: BinaryIO, *, max_bytes: int | None = None, mime: str | None = None
    ) -> tuple[int, str]:
        key = self._key(path)
        first = _read_up_to(stream, PART + 1)
        if max_bytes is not None and len(first) > max_bytes:
            raise TooLarge(f"the file is larger than {max_bytes // 1024**2} MB")
        if len(first) <= PART:
            return self._put_one(key, path, first, mime)
        return self._put_parts(key, path, first, stream, max_bytes, mime)

    def _put_one(self, key: str, path: str, data: bytes, mime: str | None) -> tuple[int, str]:
        digest = hashlib.sha256(data)
        extra = {"ContentType": mime} if mime else {}
        try:
            self.client.put_object(
                Bucket=self.location.bucket,
                Key=key,
                Body=data,
                ChecksumSHA256=base64.b64encode(digest.digest()).decode(),
                Metadata={"sha256": digest.hexdigest()},
                **extra,
            )
        except Exception as exc:
            raise self._error(exc, path, "write") from exc
        return len(data), digest.hexdigest()

    def _put_parts(
        self, key: str, path: str, first: bytes, stream: BinaryIO, max_bytes: int | None, mime: str | None
    ) -> tuple[int, str]:
        bucket, whole, size = self.location.bucket, hashlib.sha256(), 0
        extra = {"ContentType": mime} if mime else {}
        try:
            upload = self.client.create_multipart_upload(
                Bucket=bucket, Key=key, ChecksumAlgorithm="SHA256", **extra
            )["UploadId"]
        except Exception as exc:
            raise self._error(exc, path, "write") from exc
        try:
            parts, buffer = [], first
            while buffer:
                part, buffer = buffer[:PART], buffer[PART:]
                if len(buffer) < PART:
                    buffer += _read_up_to(stream, PART + 1 - len(buffer))
                size += len(part)
                if max_bytes is not None and size > max_bytes:
                    raise TooLarge(f"the file is larger than {max_bytes // 1024**2} MB")
                whole.update(part)
                checksum = base64.b64encode(hashlib.sha256(part).digest()).decode()
                answer = self.client.upload_part(
                    Bucket=bucket,
                    Key=key,
                    UploadId=upload,
                    PartNumber=len(parts) + 1,
                    Body=part,
                    ChecksumSHA256=checksum,
                )
                parts.append(
                    {"PartNumber": len(parts) + 1, "ETag": answer["ETag"], "ChecksumSHA256": checksum}
                )
            self.client.complete_multipart_upload(
                Bucket=bucket, Key=key, UploadId=upload, MultipartUpload={"Parts": parts}
            )
        except BaseException as exc:
            with contextlib.suppress(Exception):  # the first error is the one to report
                self.client.abort_multipart_upload(Bucket=bucket, Key=key, UploadId=upload)
            if isinstance(exc, FileStoreError) or not isinstance(exc, Exception):
                raise
            raise self._error(exc, path, "write") from exc
        return size, whole.hexdigest()

    def move(self, source: str, target: str) -> None:
        bucket = self.location.bucket
        try:
            self.client.copy({"Bucket": bucket, "Key": self._key(source)}, bucket, self._key(target))
            self.client.delete_object(Bucket=bucket, Key=self._key(source))
        except Exception as exc:
            raise self._error(exc, source, f"move to {target}") from exc

    def delete(self, path: str) -> None:
        try:
            self.client.delete_object(Bucket=self.location.bucket, Key=self._key(path))
        except Exception as exc:
            raise self._error(exc, path, "delete") from exc

    # -- reading ----------------------------------------------------------------------------------------------
    def stat(self, path: str) -> StoredFile | None:
        try:
            head = self.client.head_object(Bucket=self.location.bucket, Key=self._key(path))
        except Exception as exc:
            if _status(exc) == 404:
                return None
            raise self._error(exc, path, "read") from exc
        return StoredFile(path, head["ContentLength"], (head.get("Metadata") or {}).get("sha256"))

    def chunks(self, path: str, start: int = 0, end: int | None = None) -> Iterator[bytes]:
        body = self.open(path, start, end)[0]
        try:
            yield from body.iter_chunks(CHUNK)
        except Exception as exc:
            raise self._error(exc, path, "read") from exc
        finally:
            body.close()

    def open(self, path: str, start: int = 0, end: int | None = None):
        """(body stream, ContentRange or None, total size) of ``start``..``end`` of the object."""
        extra = {}
        if start or end is not None:
            extra["Range"] = f"bytes={start}-{'' if end is None else end}"
        try:
            answer = self.client.get_object(Bucket=self.location.bucket, Key=self._key(path), **extra)
        except Exception as exc:
            if _status(exc) == 404:
                raise FileMissing(f"{path}: not in {self.description}") from exc
            raise self._error(exc, path, "read") from exc
        return answer["Body"], answer.get("ContentRange"), answer["ContentLength"]

    def list(self, folder: str) -> list[StoredFile]:
        prefix = self._key(folder.strip("/")) + "/"
        found = []
        try:
            pages = self.client.get_paginator("list_objects_v2").paginate(
                Bucket=self.location.bucket, Prefix=prefix
            )
            for page in pages:
                found += [
                    StoredFile(self._path(o["Key"]), o["Size"], modified=o["LastModified"].timestamp())
                    for o in page.get("Contents", ())
                ]
        except Exception as exc:
            raise self._error(exc, folder, "list") from exc
        return sorted(found, key=lambda f: f.path)

    def reachable(self) -> str | None:
        """``None`` when the bucket answers, else why not (for ``/healthz`` and ``check``)."""
        try:
            self.client.head_bucket(Bucket=self.location.bucket)
        except Exception as exc:  # noqa: BLE001 - any failure is the answer
            return "no such bucket" if _status(exc) == 404 else _reason(exc)
        return None


def _read_up_to(stream: BinaryIO, amount: int) -> bytes:
    buffer = io.BytesIO()
    while buffer.tell() < amount:
        chunk = stream.read(min(CHUNK, amount - buffer.tell()))
        if not chunk:
            break
        buffer.write(chunk)
    return buffer.getvalue()


def _status(exc: Exception) -> int | None:
    response = getattr(exc, "response", None)
    if not isinstance(response, dict):
        return None
    status = response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    code = response.get("Error", {}).get("Code")
    return 404 if code in ("404", "NoSuchKey", "NotFound") else status


def _reason(exc: Exception) -> str:
    response = getattr(exc, "response", None)
    if isinstance(response, dict) and response.get("Error"):
        error = response["Error"]
        code, message = error.get("Code", ""), error.get("Message", "")
        if code in ("403", "AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch"):
            return f"access refused ({code}): check AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"
        if code in ("NoSuchBucket",):
            return "no such bucket"
        return f"{code} {message}".strip()
    name = type(exc).__name__
    if name in ("EndpointConnectionError", "ConnectTimeoutError", "ConnectionClosedError"):
        return f"the store does not answer ({exc})"
    if name in ("NoCredentialsError", "PartialCredentialsError"):
        return "no credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"
    return str(exc) or name
