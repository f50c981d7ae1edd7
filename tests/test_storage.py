"""The storage contract, run against a directory and against an S3 server on loopback (moto).

The S3 server runs in a child process: moto keeps whole objects in memory, and in this process
that would hide the client's own figure in the tracemalloc peak of the memory test.
"""

from __future__ import annotations

import hashlib
import io
import random
import tracemalloc
import urllib.request
import uuid
from pathlib import Path

import pytest

from connector.storage import FileStorage, TooLarge, storage_for
from connector.storage.s3 import PART, S3Storage
from tests.conftest import BUCKET

MiB = 1024 * 1024
BAD_KEYS = ["../x", "a//b", "/abs", "a/b/../../c", ""]
@pytest.fixture(params=["file", "s3"])
def store(request, tmp_path):
    """Each backend, empty: a fresh directory, or a fresh prefix in the shared bucket."""
    if request.param == "file":
        return FileStorage(tmp_path / "recordings")
    return S3Storage(BUCKET, f"tests/{uuid.uuid4().hex}", **request.getfixturevalue("s3_options"))


class Lazy:
    """A file-like stream of `size` bytes made up as they are read, hashed as they go."""

    def __init__(self, size: int, seed: int = 1, fail_after: int | None = None):
        self.left, self.seed, self.fail_after = size, seed, fail_after
        self.served = 0
        self.hash = hashlib.sha256()

    def read(self, n: int = -1) -> bytes:
        if self.fail_after is not None and self.served >= self.fail_after:
            raise OSError("connection reset")
        n = self.left if n < 0 else min(n, self.left)
        self.seed += 1
        block = (self.seed.to_bytes(8, "big") * (n // 8 + 1))[:n]
        self.left -= n
        self.served += n
        self.hash.update(block)
        return block


def data(size: int, seed: int = 0) -> bytes:
    """Reproducible random bytes."""
    return random.Random(seed).randbytes(size)


def content(store, key: str) -> bytes:
    """Everything stored under key."""
    return b"".join(store.read(key))


def leftovers(store) -> list[str]:
    """Every file, object or unfinished multipart upload the store holds."""
    if isinstance(store, FileStorage):
        root = Path(store.root)
        return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())
    client, prefix = store.client, store.prefix + "/"
    objects = client.list_objects_v2(Bucket=BUCKET, Prefix=prefix).get("Contents", [])
    uploads = client.list_multipart_uploads(Bucket=BUCKET, Prefix=prefix).get("Uploads", [])
    return sorted([o["Key"][len(prefix):] for o in objects]
                  + [f"upload:{u['Key'][len(prefix):]}" for u in uploads])


def test_round_trip(store):
    body = data(700 * 1024)
    written = store.write("interview/1/answer-0", io.BytesIO(body), len(body))
    assert written.size == len(body)
    assert written.sha256 == hashlib.sha256(body).hexdigest()
    assert written.head == body[:64]
    assert content(store, "interview/1/answer-0") == body
    assert store.exists("interview/1/answer-0")


def test_empty_stream(store):
    written = store.write("empty", io.BytesIO(b""), 10)
    assert (written.size, written.head) == (0, b"")
    assert written.sha256 == hashlib.sha256(b"").hexdigest()
    assert content(store, "empty") == b""


def test_write_replaces(store):
    store.write("k", io.BytesIO(b"first version"), 100)
    store.write("k", io.BytesIO(b"second"), 100)
    assert content(store, "k") == b"second"


@pytest.mark.parametrize("limit", [1000, PART + MiB], ids=["one-part", "multipart"])
def test_max_bytes(store, limit):
    assert store.write("exact", Lazy(limit), limit).size == limit
    with pytest.raises(TooLarge):
        store.write("over", Lazy(limit + 1), limit)
    assert not store.exists("over")
    assert leftovers(store) == ["exact"]


def test_failing_stream_keeps_nothing(store):
    with pytest.raises(OSError, match="connection reset"):
        store.write("broken", Lazy(20 * MiB, fail_after=PART + 3 * MiB), 64 * MiB)
    assert leftovers(store) == []


def test_compose(store):
    # Chunks below the 5 MiB minimum part size, in all over one 8 MiB part.
    sizes = [3 * MiB, 1024, 5 * MiB - 1, 2 * MiB + 7, 100]
    chunks = [data(size, seed) for seed, size in enumerate(sizes)]
    keys = [f"a/chunks/{i}" for i in range(len(chunks))]
    for key, chunk in zip(keys, chunks):
        store.write(key, io.BytesIO(chunk), len(chunk))
    whole = b"".join(chunks)
    assert len(whole) > PART
    written = store.compose(keys, "a/answer")
    assert written.size == len(whole)
    assert written.sha256 == hashlib.sha256(whole).hexdigest()
    assert written.head == whole[:64]
    assert content(store, "a/answer") == whole
    assert all(store.exists(key) for key in keys)


def test_compose_small(store):
    store.write("c/0", io.BytesIO(b"abc"), 10)
    store.write("c/1", io.BytesIO(b"defg"), 10)
    written = store.compose(["c/0", "c/1"], "c/all")
    assert written.sha256 == hashlib.sha256(b"abcdefg").hexdigest()
    assert content(store, "c/all") == b"abcdefg"


def test_compose_missing_source(store):
    store.write("m/0", io.BytesIO(b"abc"), 10)
    with pytest.raises(FileNotFoundError):
        store.compose(["m/0", "m/1"], "m/all")
    assert leftovers(store) == ["m/0"]


def test_read_missing(store):
    with pytest.raises(FileNotFoundError):
        content(store, "nothing/here")


def test_delete(store):
    for key in ("d/1", "d/2", "keep"):
        store.write(key, io.BytesIO(key.encode()), 10)
    store.delete(["d/1", "d/missing", "d/2"])
    assert not store.exists("d/1") and not store.exists("d/2")
    store.delete(["d/1", "never/written"])
    store.delete([])
    assert leftovers(store) == ["keep"]


def test_exists(store):
    assert not store.exists("x/y")
    store.write("x/y", io.BytesIO(b"1"), 1)
    assert store.exists("x/y")
    assert not store.exists("x")


class NoIO:
    """A client that fails the test on any use."""

    def __getattr__(self, name):
        raise AssertionError(f"{name} was called for an invalid key")


@pytest.mark.parametrize("bad", BAD_KEYS)
def test_invalid_keys(store, bad):
    if isinstance(store, S3Storage):
        store.client = NoIO()
    calls = [lambda: store.write(bad, io.BytesIO(b"x"), 10),
             lambda: store.compose(["ok"], bad),
             lambda: store.compose([bad], "ok"),
             lambda: list(store.read(bad)),
             lambda: store.exists(bad),
             lambda: store.delete([bad]),
             lambda: store.delete(["ok", bad])]
    for call in calls:
        with pytest.raises(ValueError, match="invalid storage key"):
            call()
    if isinstance(store, FileStorage):
        assert leftovers(store) == []


def test_memory_is_bounded(store, capsys):
    stream = Lazy(64 * MiB)
    tracemalloc.start()
    try:
        written = store.write("big", stream, 64 * MiB)
        write_peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.reset_peak()
        digest = hashlib.sha256()
        for block in store.read("big"):
            digest.update(block)
        read_peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    with capsys.disabled():
        print(f"\n{type(store).__name__}: 64 MiB written with a peak of {write_peak / MiB:.1f} MiB,"
              f" read with {read_peak / MiB:.1f} MiB")
    assert written.size == 64 * MiB
    assert written.sha256 == stream.hash.hexdigest() == digest.hexdigest()
    assert write_peak < 24 * MiB
    assert read_peak < 8 * MiB


def s3_etag(store: S3Storage, key: str) -> str:
    return store.client.head_object(Bucket=BUCKET, Key=f"{store.prefix}/{key}")["ETag"]


@pytest.fixture
def s3_store(s3_options):
    return S3Storage(BUCKET, f"tests/{uuid.uuid4().hex}", **s3_options)


def test_s3_uses_multipart_past_one_part(s3_store):
    s3_store.write("one", Lazy(PART - 1), PART)
    s3_store.write("two", Lazy(PART + 1), PART + 1)
    # A multipart upload's ETag ends with its number of parts; a single PutObject's does not.
    assert "-" not in s3_etag(s3_store, "one")
    assert s3_etag(s3_store, "two").endswith('-2"')


def test_s3_objects_live_under_the_prefix(s3_store):
    s3_store.write("a/b", io.BytesIO(b"x"), 1)
    head = s3_store.client.head_object(Bucket=BUCKET, Key=f"{s3_store.prefix}/a/b")
    assert head["ContentLength"] == 1


def test_s3_deletes_in_batches_of_1000(s3_store, monkeypatch):
    sent = []
    original = s3_store.client.delete_objects

    def spy(**kwargs):
        sent.append(len(kwargs["Delete"]["Objects"]))
        return original(**kwargs)

    monkeypatch.setattr(s3_store.client, "delete_objects", spy)
    s3_store.delete(f"gone/{i}" for i in range(2500))
    assert sent == [1000, 1000, 500]


def test_storage_for_file():
    store = storage_for("file:///tmp/x")
    assert isinstance(store, FileStorage)
    assert Path(store.root) == Path("/tmp/x")


def test_storage_for_s3():
    options = {"endpoint_url": "http://127.0.0.1:9", "region_name": "eu-west-3",
               "aws_access_key_id": "id", "aws_secret_access_key": "secret"}
    store = storage_for("s3://bucket/some/prefix/", options)
    assert isinstance(store, S3Storage)
    assert (store.bucket, store.prefix) == ("bucket", "some/prefix")
    assert store.client.meta.endpoint_url == "http://127.0.0.1:9"
    assert store.client.meta.region_name == "eu-west-3"
    assert storage_for("s3://bucket", options).prefix == ""


def test_storage_for_unknown_scheme():
    with pytest.raises(ValueError):
        storage_for("ftp://host/path")


def test_keys_and_delete_prefix(store):
    for key in ("7/int_a/q1/answer-take-1.webm", "7/int_a/q2/take-1/chunk-00000",
                "7/int_ab/q1/answer-take-1.webm"):
        store.write(key, io.BytesIO(b"x"), 10)
    assert store.keys("7/int_a") == ["7/int_a/q1/answer-take-1.webm",
                                     "7/int_a/q2/take-1/chunk-00000"]
    assert store.delete_prefix("7/int_a") == 2
    assert store.keys("7/int_a") == []
    assert store.keys("7/int_ab") == ["7/int_ab/q1/answer-take-1.webm"]  # a neighbour stays
    assert store.delete_prefix("7/int_a") == 0  # again: nothing, and no error


def test_an_s3_download_link_names_the_file_to_save(s3_store):
    s3_store.write("1/ses_x/q1/answer.webm", io.BytesIO(b"webm bytes"), 100)
    url = s3_store.download_url("1/ses_x/q1/answer.webm", 60, "video/webm",
                                attachment="answer-1.webm")
    with urllib.request.urlopen(url) as response:  # the moto server on loopback
        assert response.headers["Content-Disposition"] == 'attachment; filename="answer-1.webm"'
        assert response.read() == b"webm bytes"
