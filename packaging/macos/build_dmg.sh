#!/usr/bin/env bash
# macOS: wrap dist/jobdesk.app (the spec's BUNDLE) into dist/jobdesk-<version>.dmg, a
# compressed disk image with a link to /Applications to drag the app onto.
#
#   uv run --no-sync pyinstaller --noconfirm packaging/jobdesk.spec && bash packaging/macos/build_dmg.sh
#
# Not signed or notarized: Gatekeeper asks on first open (right-click > Open).
set -euo pipefail
cd "$(dirname "$0")/../.."

version=$(sed -n 's/^__version__ = "\(.*\)"$/\1/p' jobdesk/__init__.py)
app=dist/jobdesk.app
dmg="dist/jobdesk-${version}.dmg"
[ -d "$app" ] || { echo "build_dmg: no $app: run PyInstaller first" >&2; exit 1; }

staging=$(mktemp -d)
trap 'rm -rf "$staging"' EXIT
cp -R "$app" "$staging/"
ln -s /Applications "$staging/Applications"
hdiutil create -volname "jobdesk ${version}" -srcfolder "$staging" -fs HFS+ -format UDZO -ov "$dmg"
echo "build_dmg: $dmg $(du -h "$dmg" | cut -f1), app $(du -sh "$app" | cut -f1)"
