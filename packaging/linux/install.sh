#!/bin/sh
# Install Clary Desktop for the current user, from the unpacked .tar.gz:
#   ./install.sh              copy the program to ~/.local/opt/clary-desktop, link
#                             clary-desktop and clary-models into ~/.local/bin, and add
#                             the menu entry, icons and AppStream data under ~/.local/share
#   ./install.sh --uninstall  remove all of that again (your models, catalog, settings and
#                             license in ~/.local/share/clary-desktop and ~/.config stay)
# PREFIX (default ~/.local) and XDG_DATA_HOME (default $PREFIX/share) move it.
set -eu

APP=clary-desktop
APP_ID=ai.clary.ClaryDesktop
PREFIX=${PREFIX:-$HOME/.local}
DATA=${XDG_DATA_HOME:-$PREFIX/share}
TARGET=$PREFIX/opt/$APP
BIN=$PREFIX/bin
HERE=$(cd "$(dirname "$0")" && pwd)
SIZES="16 32 48 64 128 256 512"

refresh() {
    command -v update-desktop-database >/dev/null 2>&1 \
        && update-desktop-database -q "$DATA/applications" 2>/dev/null || true
    command -v update-mime-database >/dev/null 2>&1 \
        && update-mime-database "$DATA/mime" 2>/dev/null || true
    command -v gtk-update-icon-cache >/dev/null 2>&1 \
        && gtk-update-icon-cache -q -t "$DATA/icons/hicolor" 2>/dev/null || true
}

if [ "${1:-}" = "--uninstall" ]; then
    rm -f "$BIN/clary-desktop" "$BIN/clary-models"
    rm -f "$DATA/applications/$APP.desktop" "$DATA/metainfo/$APP_ID.metainfo.xml"
    rm -f "$DATA/mime/packages/$APP.xml"
    rm -f "$DATA/icons/hicolor/scalable/apps/$APP.svg"
    for size in $SIZES; do
        rm -f "$DATA/icons/hicolor/${size}x${size}/apps/$APP.png"
    done
    rm -rf "$TARGET"
    refresh
    echo "Clary Desktop removed (your data in ~/.local/share/$APP and ~/.config/$APP is kept)."
    exit 0
fi
if [ -n "${1:-}" ]; then
    echo "usage: $0 [--uninstall]" >&2
    exit 2
fi
if [ ! -x "$HERE/clary-desktop" ] || [ ! -d "$HERE/_internal/resources" ]; then
    echo "install.sh: run me from the unpacked Clary Desktop folder" >&2
    exit 1
fi
RES=$HERE/_internal/resources

# The program: a fresh copy (an older version is replaced whole).
if [ "$HERE" != "$TARGET" ]; then
    mkdir -p "$PREFIX/opt"
    rm -rf "$TARGET.new"
    cp -a "$HERE" "$TARGET.new"
    rm -rf "$TARGET"
    mv "$TARGET.new" "$TARGET"
fi
mkdir -p "$BIN"
ln -sf "$TARGET/clary-desktop" "$BIN/clary-desktop"
ln -sf "$TARGET/clary-models" "$BIN/clary-models"

# Menu entry (with the absolute path: ~/.local/bin is not always on PATH), icons, AppStream.
mkdir -p "$DATA/applications" "$DATA/metainfo" "$DATA/icons/hicolor/scalable/apps" \
    "$DATA/mime/packages"
sed -e "s|^Exec=clary-desktop|Exec=$TARGET/clary-desktop|" \
    -e "s|^TryExec=clary-desktop|TryExec=$TARGET/clary-desktop|" \
    "$RES/desktop/$APP.desktop" > "$DATA/applications/$APP.desktop"
cp "$RES/desktop/$APP_ID.metainfo.xml" "$DATA/metainfo/"
cp "$RES/desktop/$APP-mime.xml" "$DATA/mime/packages/$APP.xml"  # .clarylicense files
cp "$RES/icons/$APP.svg" "$DATA/icons/hicolor/scalable/apps/$APP.svg"
for size in $SIZES; do
    mkdir -p "$DATA/icons/hicolor/${size}x${size}/apps"
    cp "$RES/icons/$APP-$size.png" "$DATA/icons/hicolor/${size}x${size}/apps/$APP.png"
done
refresh
echo "Clary Desktop installed in $TARGET; start it from the menu or with $BIN/clary-desktop."
# The window needs X11 libraries that minimal systems lack; the program names them.
if ! QT_QPA_PLATFORM=${QT_QPA_PLATFORM:-xcb} "$TARGET/clary-desktop" --check-libraries \
        >/dev/null; then
    echo "Install the packages above before starting the window; clary-models works already." >&2
fi
