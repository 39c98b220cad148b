"""A stand-in for the Hugging Face Hub on 127.0.0.1: serves files the way huggingface_hub downloads them
(HEAD for metadata, GET with Range for resuming), and can cut a download or lie about a checksum."""

from __future__ import annotations

import hashlib
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

COMMIT = "0123456789abcdef0123456789abcdef01234567"
_RESOLVE = re.compile(r"^/(?P<repo>[^/]+/[^/]+)/resolve/(?P<revision>[^/]+)/(?P<filename>.+)$")


class Hub:
    def __init__(self, files: dict[tuple[str, str], bytes]) -> None:
        self.files = dict(files)
        self.wrong_checksum: set[tuple[str, str]] = set()
        self.cut_after: int | None = (
            None  # the next GET sends only this many bytes, then drops the connection
        )
        self.down = False  # every GET fails with 503 (set after a cut: the network is gone)
        self.requests: list[tuple[str, str, str | None]] = []  # (method, path, Range header)
        hub = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_HEAD(self):
                hub._answer(self, body=False)

            def do_GET(self):
                hub._answer(self, body=True)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self._thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def _answer(self, handler: BaseHTTPRequestHandler, *, body: bool) -> None:
        self.requests.append((handler.command, handler.path, handler.headers.get("Range")))
        match = _RESOLVE.match(handler.path.split("?")[0])
        key = (match["repo"], match["filename"]) if match else None
        if key is None or key not in self.files:
            known_repo = match is not None and any(repo == match["repo"] for repo, _ in self.files)
            handler.send_response(404)
            handler.send_header("X-Error-Code", "EntryNotFound" if known_repo else "RepoNotFound")
            handler.send_header("Content-Length", "0")
            handler.end_headers()
            return
        data = self.files[key]
        sha = hashlib.sha256(data).hexdigest()
        if key in self.wrong_checksum:
            sha = hashlib.sha256(data + b"tampered").hexdigest()
        if body and self.down:
            handler.send_response(503)
            handler.send_header("Content-Length", "0")
            handler.end_headers()
            return
        start = 0
        ranged = handler.headers.get("Range")
        if body and ranged:
            start = int(re.match(r"bytes=(\d+)-", ranged)[1])
        handler.send_response(206 if start else 200)
        handler.send_header("X-Repo-Commit", COMMIT)
        handler.send_header("ETag", f'"{sha}"')
        handler.send_header("X-Linked-Etag", f'"{sha}"')
        handler.send_header("X-Linked-Size", str(len(data)))
        handler.send_header("Accept-Ranges", "bytes")
        handler.send_header("Content-Length", str(len(data) - start))
        if start:
            handler.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
        handler.end_headers()
        if not body:
            return
        payload = data[start:]
        if self.cut_after is not None:
            self.down = True
            handler.wfile.write(payload[: self.cut_after])
            handler.wfile.flush()
            handler.close_connection = True
            handler.connection.shutdown(2)  # the connection drops mid-file
            return
        handler.wfile.write(payload)
