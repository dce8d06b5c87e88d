"""Render every icon the installers need from the one source SVG in resources/.

- the freedesktop hicolor theme: ``hicolor/<n>x<n>/apps/<APP_ID>.png`` for each of
  :data:`HICOLOR_SIZES`, and ``hicolor/scalable/apps/<APP_ID>.svg``;
- Windows: one ``.ico`` holding PNG images of :data:`ICO_SIZES`;
- macOS: an ``.iconset`` folder for ``iconutil -c icns``.

Qt's own SVG renderer draws them (PySide6 is a dependency already), offscreen, so the
build needs no image tool. Nothing rendered is committed: the build writes into build/.

    python packaging/icons.py hicolor DIR     # DIR/<n>x<n>/apps/<APP_ID>.png, DIR/scalable/...
    python packaging/icons.py ico FILE        # a Windows .ico
    python packaging/icons.py iconset DIR     # a macOS .iconset folder
"""

from __future__ import annotations

import os
import shutil
import struct
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
APP_ID = "dev.jobdesk.Jobdesk"
SOURCE_SVG = ROOT / "resources" / f"{APP_ID}.svg"

HICOLOR_SIZES = (16, 22, 24, 32, 48, 64, 128, 256, 512)
ICO_SIZES = (16, 24, 32, 48, 64, 128, 256)
ICONSET_SIZES = (16, 32, 128, 256, 512)  # each also at @2x


def render_png(size: int, target: Path, svg: Path = SOURCE_SVG) -> bytes:
    """Draw ``svg`` on a transparent ``size`` x ``size`` square; write and return the PNG."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QGuiApplication, QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    _app = QGuiApplication.instance() or QGuiApplication([sys.argv[0]])
    renderer = QSvgRenderer(str(svg))
    if not renderer.isValid():
        raise ValueError(f"{svg}: not a valid SVG")
    image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    renderer.render(painter)
    painter.end()
    target.parent.mkdir(parents=True, exist_ok=True)
    if not image.save(str(target)):  # PNG, from the suffix
        raise RuntimeError(f"could not write the {size} px icon to {target}")
    return target.read_bytes()


def hicolor(theme_dir: Path, svg: Path = SOURCE_SVG) -> list[Path]:
    """Fill ``theme_dir`` (``.../icons/hicolor``) with the PNG sizes and the scalable SVG."""
    written = []
    for size in HICOLOR_SIZES:
        target = theme_dir / f"{size}x{size}" / "apps" / f"{APP_ID}.png"
        render_png(size, target, svg)
        written.append(target)
    scalable = theme_dir / "scalable" / "apps" / f"{APP_ID}.svg"
    scalable.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(svg, scalable)
    written.append(scalable)
    return written


def ico(target: Path, svg: Path = SOURCE_SVG) -> Path:
    """A Windows icon: the ICONDIR header, one entry per size, PNG images (Vista and later)."""
    scratch = target.with_suffix(".sizes")
    images = [(size, render_png(size, scratch / f"{size}.png", svg)) for size in ICO_SIZES]
    shutil.rmtree(scratch)
    header = struct.pack("<HHH", 0, 1, len(images))
    offset = len(header) + 16 * len(images)
    entries, blobs = b"", b""
    for size, png in images:
        side = 0 if size >= 256 else size  # 0 means 256 in an ICONDIRENTRY
        entries += struct.pack("<BBBBHHII", side, side, 0, 0, 1, 32, len(png), offset)
        blobs += png
        offset += len(png)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(header + entries + blobs)
    return target


def iconset(folder: Path, svg: Path = SOURCE_SVG) -> Path:
    """A macOS ``.iconset`` folder (``iconutil -c icns`` makes the ``.icns`` from it)."""
    for size in ICONSET_SIZES:
        render_png(size, folder / f"icon_{size}x{size}.png", svg)
        render_png(size * 2, folder / f"icon_{size}x{size}@2x.png", svg)
    return folder


def main(argv: list[str]) -> int:
    makers = {"hicolor": hicolor, "ico": ico, "iconset": iconset}
    if len(argv) != 2 or argv[0] not in makers:
        print("usage: python packaging/icons.py {hicolor|ico|iconset} TARGET", file=sys.stderr)
        return 2
    makers[argv[0]](Path(argv[1]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
