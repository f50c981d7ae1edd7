"""Recording storage in an S3 bucket (AWS or any S3-compatible server), streamed part by part.

A write holds at most one part in memory: the stream is cut into parts of PART bytes or a bit
more and sent as a multipart upload, or as one PutObject when it all fits in the first part.
Nothing is kept when a write fails or runs past its limit: the multipart upload is aborted,
and S3 only makes an object visible once the upload completes.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator
from typing import BinaryIO

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from connector.storage.protocol import BLOCK, Digest, Written, blocks, check_key

# Every part but the last must be at least 5 MiB, and an upload has at most 10,000 parts
# (https://docs.aws.amazon.com/AmazonS3/latest/userguide/qfacts.html): 8 MiB parts stay well
# above the minimum and allow objects of up to about 78 GiB.
PART = 8 * 1024 * 1024
# DeleteObjects takes at most 1,000 keys a request
# (https://docs.aws.amazon.com/AmazonS3/latest/API/API_DeleteObjects.html).
DELETE_BATCH = 1000
_MISSING = {"404", "NoSuchKey", "NotFound"}


class S3Storage:
    """Objects named prefix/key in one bucket."""

    def __init__(self, bucket: str, prefix: str = "", **client_options):
        self.bucket = bucket
        self.prefix = prefix.strip("/")
        self.client = _client(client_options)

    def _name(self, key: str) -> str:
        """The object name of a checked key."""
        key = check_key(key)
        return f"{self.prefix}/{key}" if self.prefix else key

    def write(self, key: str, stream: BinaryIO, max_bytes: int) -> Written:
        """Store the stream under key; TooLarge past max_bytes, leaving nothing behind."""
        return self._upload(self._name(key), blocks(stream), Digest(max_bytes))

    def compose(self, keys: list[str], dest: str) -> Written:
        """Store the concatenation of the objects under keys as dest."""
        names = [self._name(key) for key in keys]
        target = self._name(dest)
        # UploadPartCopy would copy server-side, but each copied part other than the last must
        # be 5 MiB or more, and chunks are often smaller: stream the bytes through instead.
        source = (block for name in names for block in self._blocks(name))
        return self._upload(target, source, Digest())

    def read(self, key: str) -> Iterator[bytes]:
        """The object's bytes in blocks; FileNotFoundError when there is none."""
        return self._blocks(self._name(key))

    def download_url(self, key: str, seconds: int = 300, mime_type: str | None = None,
                     attachment: str | None = None) -> str:
        """A short-lived presigned GET, so browsers fetch (and seek in) media from S3 itself;
        with `attachment`, a file of that name to save."""
        params = {"Bucket": self.bucket, "Key": self._name(key)}
        if mime_type:
            params["ResponseContentType"] = mime_type
        if attachment:
            params["ResponseContentDisposition"] = f'attachment; filename="{attachment}"'
        return self.client.generate_presigned_url("get_object", Params=params, ExpiresIn=seconds)

    def exists(self, key: str) -> bool:
        """Whether an object is stored under key."""
        name = self._name(key)
        try:
            self.client.head_object(Bucket=self.bucket, Key=name)
        except ClientError as exc:
            if _missing(exc):
                return False
            raise
        return True

    def delete(self, keys: Iterable[str]) -> None:
        """Delete the objects under keys; keys with no object are ignored, as S3 does."""
        names = [self._name(key) for key in keys]
        for start in range(0, len(names), DELETE_BATCH):
            self._delete_batch(names[start:start + DELETE_BATCH])

    def keys(self, prefix: str) -> list[str]:
        """Every key under prefix/."""
        start = self._name(prefix) + "/"
        pages = self.client.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix=start)
        own = len(self.prefix) + 1 if self.prefix else 0
        return sorted(item["Key"][own:] for page in pages for item in page.get("Contents", ()))

    def delete_prefix(self, prefix: str) -> int:
        """Delete every object under prefix/; returns how many went."""
        keys = self.keys(prefix)
        self.delete(keys)
        return len(keys)

    def _delete_batch(self, names: list[str]) -> None:
        """One DeleteObjects request; it answers 200 even when some keys failed, so check."""
        objects = [{"Key": name} for name in names]
        answer = self.client.delete_objects(
            Bucket=self.bucket, Delete={"Objects": objects, "Quiet": True})
        errors = answer.get("Errors") or []
        if errors:
            first = errors[0]
            raise OSError(f"could not delete {len(errors)} objects, first {first.get('Key')!r}: "
                          f"{first.get('Code')} {first.get('Message')}")

    def _blocks(self, name: str) -> Iterator[bytes]:
        """Stream one object's body."""
        try:
            body = self.client.get_object(Bucket=self.bucket, Key=name)["Body"]
        except ClientError as exc:
            if _missing(exc):
                raise FileNotFoundError(f"no object {name!r}") from exc
            raise
        with contextlib.closing(body):
            yield from body.iter_chunks(BLOCK)

    def _upload(self, name: str, source: Iterable[bytes], digest: Digest) -> Written:
        """Send the blocks as one object, in a single request or as a multipart upload."""
        upload = None
        etags: list[str] = []
        try:
            for number, part in enumerate(_parts(source, digest), start=1):
                if upload is None and len(part) < PART:  # the whole stream fits in one part
                    self.client.put_object(Bucket=self.bucket, Key=name, Body=part)
                    return digest.written()
                upload = upload or self._start(name)
                etags.append(self._send_part(name, upload, number, part))
            self._finish(name, upload, etags)
        except BaseException:
            if upload is not None:
                self._abort(name, upload)
            raise
        return digest.written()

    def _start(self, name: str) -> str:
        """Begin a multipart upload and return its id."""
        return self.client.create_multipart_upload(Bucket=self.bucket, Key=name)["UploadId"]

    def _send_part(self, name: str, upload: str, number: int, part: bytearray) -> str:
        """Upload one part and return its ETag."""
        answer = self.client.upload_part(Bucket=self.bucket, Key=name, UploadId=upload,
                                         PartNumber=number, Body=part)
        return answer["ETag"]

    def _finish(self, name: str, upload: str, etags: list[str]) -> None:
        """Complete the upload: only now does the object appear."""
        parts = [{"ETag": etag, "PartNumber": n} for n, etag in enumerate(etags, start=1)]
        self.client.complete_multipart_upload(Bucket=self.bucket, Key=name, UploadId=upload,
                                              MultipartUpload={"Parts": parts})

    def _abort(self, name: str, upload: str) -> None:
        """Drop the parts sent so far, keeping the error that caused it."""
        # Should this fail too, the parts stay billed but invisible until a bucket lifecycle
        # rule (AbortIncompleteMultipartUpload) removes them: see
        # https://docs.aws.amazon.com/AmazonS3/latest/userguide/mpu-abort-incomplete-mpu-lifecycle-config.html
        with contextlib.suppress(BotoCoreError, ClientError):
            self.client.abort_multipart_upload(Bucket=self.bucket, Key=name, UploadId=upload)


def _parts(source: Iterable[bytes], digest: Digest) -> Iterator[bytearray]:
    """Cut blocks into parts of at least PART bytes (the last one shorter), through digest."""
    part = bytearray()
    sent = False
    for block in source:
        digest.update(block)
        part += block
        if len(part) >= PART:
            yield part
            sent = True
            # The caller has sent the part by the time this resumes: reuse the buffer, so that
            # only one part is ever held.
            part.clear()
    if part or not sent:
        yield part


def _client(options: dict):
    """An S3 client; for a server other than AWS, settings most S3-compatible servers accept."""
    options = dict(options)
    if options.get("endpoint_url"):
        # Since botocore 1.36 uploads carry CRC checksum headers by default, which several
        # S3-compatible servers reject; "when_required" sends them only where the API demands
        # (https://docs.aws.amazon.com/sdkref/latest/guide/feature-dataintegrity.html).
        # Path-style addressing needs no DNS entry per bucket on a self-hosted server.
        defaults = Config(s3={"addressing_style": "path"},
                          request_checksum_calculation="when_required",
                          response_checksum_validation="when_required")
        options["config"] = defaults.merge(options["config"]) if options.get("config") \
            else defaults
    # A Session of its own: the default session that boto3.client() shares is not thread-safe
    # (https://docs.aws.amazon.com/boto3/latest/guide/session.html).
    return boto3.session.Session().client("s3", **options)


def _missing(exc: ClientError) -> bool:
    """Whether S3 answered that there is no such object."""
    return exc.response.get("Error", {}).get("Code") in _MISSING
