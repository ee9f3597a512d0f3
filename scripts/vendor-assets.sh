#!/usr/bin/env bash
# Refresh the vendored front-end libraries from the npm registry.
# Usage: scripts/vendor-assets.sh   (run from the repository root; needs npm)
# The versions are pinned here; internal/web/static/vendor/VERSIONS.md records
# what was fetched, its licence and its sha256.
set -euo pipefail
HTMX=2.0.11
ECHARTS=6.1.0
LEAFLET=1.9.4
MARKERCLUSTER=1.5.3

root=$(cd "$(dirname "$0")/.." && pwd)
dest="$root/internal/web/static/vendor"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"

fetch() { # name version
  npm pack --silent "$1@$2" >/dev/null
  mkdir -p "pkg-$1" && tar -xzf "$(ls ${1//\//-}-*.tgz | head -1)" -C "pkg-$1"
  rm -f ./*.tgz
}
fetch htmx.org "$HTMX"
fetch echarts "$ECHARTS"
fetch leaflet "$LEAFLET"
fetch leaflet.markercluster "$MARKERCLUSTER"

rm -rf "$dest" && mkdir -p "$dest/htmx" "$dest/echarts" "$dest/leaflet/images" "$dest/markercluster"
cp pkg-htmx.org/package/dist/htmx.min.js "$dest/htmx/"
cp pkg-htmx.org/package/LICENSE "$dest/htmx/LICENSE"
cp pkg-echarts/package/dist/echarts.min.js "$dest/echarts/"
cp pkg-echarts/package/LICENSE "$dest/echarts/LICENSE"
cp pkg-leaflet/package/dist/leaflet.js pkg-leaflet/package/dist/leaflet.css "$dest/leaflet/"
cp pkg-leaflet/package/dist/images/*.png "$dest/leaflet/images/"
cp pkg-leaflet/package/LICENSE "$dest/leaflet/LICENSE"
cp pkg-leaflet.markercluster/package/dist/leaflet.markercluster.js pkg-leaflet.markercluster/package/dist/MarkerCluster.css \
  pkg-leaflet.markercluster/package/dist/MarkerCluster.Default.css "$dest/markercluster/"
cp pkg-leaflet.markercluster/package/MIT-LICENCE.txt "$dest/markercluster/LICENSE"

{
  echo "# Vendored front-end libraries"
  echo
  echo "Fetched from the npm registry by \`scripts/vendor-assets.sh\` (edit the pinned versions there and rerun)."
  echo
  echo "| package | version | licence | files |"
  echo "|---|---|---|---|"
  for p in htmx.org:htmx echarts:echarts leaflet:leaflet leaflet.markercluster:markercluster; do
    name=${p%%:*}; dir=${p##*:}
    ver=$(node -p "require('./pkg-$name/package/package.json').version")
    lic=$(node -p "require('./pkg-$name/package/package.json').license")
    echo "| $name | $ver | $lic | $(cd "$dest/$dir" && ls | tr '\n' ' ') |"
  done
  echo
  echo "sha256:"
  echo '```'
  (cd "$dest" && find . -type f ! -name VERSIONS.md | sort | xargs sha256sum)
  echo '```'
} > "$dest/VERSIONS.md"
echo "vendored into $dest"
