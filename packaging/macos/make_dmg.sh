#!/bin/sh
# Wrap the PyInstaller app bundle into a drag-to-install disk image (macOS only):
#   pyinstaller --noconfirm --distpath dist --workpath build/pyinstaller packaging/clary-desktop.spec
#   sh packaging/macos/make_dmg.sh            -> dist/clary-desktop-<version>-macos.dmg
# Uses create-dmg (brew install create-dmg) when present for the window layout, else
# plain hdiutil. Signing and notarisation come before this step when a Developer ID
# is available:  codesign --deep --options runtime --sign "Developer ID Application: ..."
set -eu

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
APP="$ROOT/dist/Clary Desktop.app"
VERSION=$(sed -n 's/^__version__ = "\(.*\)"/\1/p' "$ROOT/clary_desktop/__init__.py")
DMG="$ROOT/dist/clary-desktop-$VERSION-macos.dmg"

if [ "$(uname -s)" != "Darwin" ]; then
    echo "make_dmg.sh: disk images are made on macOS (hdiutil)" >&2
    exit 1
fi
if [ ! -d "$APP" ]; then
    echo "make_dmg.sh: $APP is missing; build it with PyInstaller first" >&2
    exit 1
fi
# The bundle's version must be the program's (the spec writes it into Info.plist).
PLIST_VERSION=$(/usr/libexec/PlistBuddy -c "Print :CFBundleShortVersionString" "$APP/Contents/Info.plist")
if [ "$PLIST_VERSION" != "$VERSION" ]; then
    echo "make_dmg.sh: Info.plist says $PLIST_VERSION, the program $VERSION: rebuild" >&2
    exit 1
fi
rm -f "$DMG"

if command -v create-dmg >/dev/null 2>&1; then
    create-dmg \
        --volname "Clary Desktop $VERSION" \
        --volicon "$ROOT/resources/icons/clary-desktop.icns" \
        --window-size 540 360 \
        --icon-size 112 \
        --icon "Clary Desktop.app" 140 170 \
        --app-drop-link 400 170 \
        --hide-extension "Clary Desktop.app" \
        "$DMG" "$APP"
else
    STAGE=$(mktemp -d)
    trap 'rm -rf "$STAGE"' EXIT
    cp -R "$APP" "$STAGE/"
    ln -s /Applications "$STAGE/Applications"
    hdiutil create -volname "Clary Desktop $VERSION" -srcfolder "$STAGE" -ov -format UDZO "$DMG"
fi
echo "wrote $DMG"
