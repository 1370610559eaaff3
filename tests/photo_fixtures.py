"""Photo stores for tests: a temporary folder instead of instance/uploads, and a fake
Cloudinary API on 127.0.0.1 that the real SDK talks to over HTTP.

The cloudinary SDK sends its requests with urllib3, not `requests`, so the `responses`
library cannot see them; a tiny local HTTP server is the honest fake at the HTTP boundary.
It checks the request signature with the real algorithm and a secret made up here.
"""
from __future__ import annotations

import hashlib
import io
import json
import struct
import threading
import time
import zlib
from dataclasses import dataclass, field
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from sweetshop.integrations import cloudinary as photos

CLOUD, API_KEY, API_SECRET = "mithai-test", "123456789012345", "made-up-secret-for-tests"

# Where the test photos were "taken": the kind of position a phone writes into EXIF.
GPS_LATITUDE, GPS_LONGITUDE = (12.0, 58.0, 44.52), (77.0, 35.0, 12.34)
CAMERA = "MadeUpPhone 12"


def photo_bytes(fmt: str = "JPEG", size: tuple[int, int] = (64, 48), *, gps: bool = False,
                icc: bytes | None = None, mode: str = "RGB", orientation: int | None = None,
                color=(200, 120, 40)) -> bytes:
    """A real, small photo made by Pillow: JPEG/PNG/WEBP, with GPS EXIF (and the camera's
    name) when gps=True, an ICC profile, and an EXIF orientation if asked."""
    from PIL import Image

    image = Image.new(mode, size, color if mode != "L" else 128)
    for x in range(min(size[0], 16)):  # a few distinct pixels, so orientation is visible
        image.putpixel((x, 0), (0, 0, 255) if mode == "RGB" else 0)
    options = {}
    if gps or orientation:
        exif = Image.Exif()
        if gps:
            exif[0x010F] = "MadeUp"  # Make
            exif[0x0110] = CAMERA    # Model
            exif.get_ifd(0x8825).update({1: "N", 2: GPS_LATITUDE, 3: "E", 4: GPS_LONGITUDE})
        if orientation:
            exif[0x0112] = orientation
        options["exif"] = exif.tobytes()
    if icc is not None:
        options["icc_profile"] = icc
    out = io.BytesIO()
    image.save(out, fmt, **options)
    return out.getvalue()


def srgb_icc() -> bytes:
    from PIL import ImageCms

    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


def bomb_png(width: int = 65535, height: int = 65535) -> bytes:
    """A valid PNG header for width × height pixels in a few KB: the IDAT is a short run of
    zlib-compressed zeros (a 'decompression bomb'). Never fully decodable in a test."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        return (struct.pack(">I", len(body)) + kind + body
                + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)  # 8-bit greyscale
    rows = zlib.compress(b"\x00" * 4096, 9)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", rows) \
        + chunk(b"IEND", b"")


def truncated(data: bytes, keep: float = 0.6) -> bytes:
    """The first part of a real photo, as an interrupted upload leaves it."""
    return data[: int(len(data) * keep)]
UNSIGNED = {"file", "api_key", "signature", "resource_type", "cloud_name"}


@dataclass
class FakeCloudinary:
    url: str
    calls: list = field(default_factory=list)   # (action, params, file bytes or None)
    fail_with: int | None = None                # answer uploads with this HTTP status
    delay: float = 0.0                          # seconds to wait before answering
    counter: int = 0

    @property
    def uploads(self):
        return [c for c in self.calls if c[0] == "upload"]

    @property
    def destroyed(self):
        return [c[1]["public_id"] for c in self.calls if c[0] == "destroy"]


def _parse_multipart(content_type: str, body: bytes) -> tuple[dict, bytes | None]:
    message = BytesParser(policy=HTTP).parsebytes(
        f"Content-Type: {content_type}\r\n\r\n".encode() + body)
    params, file = {}, None
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if name == "file":
            file = part.get_payload(decode=True)
        else:
            params[name] = part.get_payload(decode=True).decode()
    return params, file


def _signature(params: dict) -> str:
    to_sign = "&".join(f"{k}={v}" for k, v in sorted(params.items()) if k not in UNSIGNED and v)
    return hashlib.sha1((to_sign + API_SECRET).encode()).hexdigest()


def _handler(fake: FakeCloudinary):
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):  # keep test output quiet
            pass

        def _answer(self, status: int, payload: dict):
            body = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            params, file = _parse_multipart(self.headers["Content-Type"], body)
            action = self.path.rsplit("/", 1)[-1]
            fake.calls.append((action, params, file))
            time.sleep(fake.delay)
            expected_path = f"/v1_1/{CLOUD}/image/{action}"
            if self.path != expected_path or params.get("api_key") != API_KEY \
                    or params.get("signature") != _signature(params):
                return self._answer(401, {"error": {"message": "Invalid Signature"}})
            if action == "upload":
                if fake.fail_with:
                    return self._answer(fake.fail_with, {"error": {"message": "Try later"}})
                fake.counter += 1
                public_id = f"{params.get('folder', '')}/photo{fake.counter}".lstrip("/")
                return self._answer(200, {
                    "public_id": public_id, "version": 1700000000 + fake.counter,
                    "width": 1200, "height": 900, "format": "jpg", "resource_type": "image",
                    "bytes": len(file or b""), "secure_url":
                        f"https://res.cloudinary.com/{CLOUD}/image/upload/{public_id}.jpg"})
            if action == "destroy":
                return self._answer(200, {"result": "ok"})
            return self._answer(404, {"error": {"message": "Unknown action"}})

    return Handler


class _QuietServer(ThreadingHTTPServer):
    def handle_error(self, request, client_address):
        pass  # a client that timed out and left (the timeout test) is expected


@pytest.fixture
def local_photos(app, tmp_path, monkeypatch):
    """Photos stored in a temporary folder (only the local store configured)."""
    folder = tmp_path / "uploads"
    stores = {"local": photos.LocalImageStore(folder)}
    monkeypatch.setitem(app.extensions, "image_stores", stores)
    return folder


@pytest.fixture
def fake_cloudinary(app, tmp_path, monkeypatch):
    """Cloudinary configured (CLOUDINARY_URL style) against a fake API on a local port."""
    fake = FakeCloudinary(url="")
    server = _QuietServer(("127.0.0.1", 0), _handler(fake))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    fake.url = (f"cloudinary://{API_KEY}:{API_SECRET}@{CLOUD}"
                f"?upload_prefix=http://127.0.0.1:{server.server_port}")
    stores = {"local": photos.LocalImageStore(tmp_path / "uploads"),
              "cloudinary": photos.CloudinaryImageStore(photos.parse_cloudinary_url(fake.url),
                                                        timeout=5)}
    monkeypatch.setitem(app.extensions, "image_stores", stores)
    yield fake
    server.shutdown()
    server.server_close()
