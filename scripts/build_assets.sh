#!/usr/bin/env bash
# Front-end assets of the web pages, from the npm registry (no CDN): `make assets`, run by `make run` and `make test`.
#   npm ci (only when package-lock.json changed since the last install), then copies the files the pages load from
#   node_modules/ into webui/static/webui/vendor/.
# The copies are committed, so that `make run` and the Docker image work on a machine without Node.js; on such a
# machine this script only checks that they are there. VENDOR below is the one list of what is copied.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

DEST=webui/static/webui/vendor
# "package file in node_modules  name in $DEST"
VENDOR=(
  "htmx.org/dist/htmx.min.js  htmx.min.js"
  "htmx.org/LICENSE           htmx.LICENSE.txt"
  # bpmn.io form-js: the viewer's browser bundle (global FormViewer; preact, FEEL and flatpickr inside) and its CSS,
  # for the step forms (webui/static/webui/stepform.js). The umbrella package ships the UMD bundle; the
  # @bpmn-io/form-js-viewer package alone has only ES/CJS modules, which would need a bundler.
  "@bpmn-io/form-js/dist/form-viewer.umd.js   form-viewer.umd.js"
  "@bpmn-io/form-js/dist/assets/form-js.css   form-js.css"
  "@bpmn-io/form-js/LICENSE                   form-js.LICENSE.txt"
  # bpmn-js's navigated viewer (pan and zoom, no editing) for the auditors' dossier diagram and the step heatmap,
  # shipped by bpmn-js as a UMD bundle (global BpmnJS); its CSS and the BPMN icon font it uses.
  "bpmn-js/dist/bpmn-navigated-viewer.production.min.js  bpmn-navigated-viewer.min.js"
  "bpmn-js/dist/assets/diagram-js.css                    diagram-js.css"
  "bpmn-js/dist/assets/bpmn-js.css                       bpmn-js.css"
  "bpmn-js/LICENSE                                       bpmn-js.LICENSE.txt"
  # Chart.js for the leaders' dashboard charts (UMD bundle, global Chart).
  "chart.js/dist/chart.umd.min.js  chart.umd.min.js"
  "chart.js/LICENSE.md             chart.js.LICENSE.txt"
)
# The designer studio's bundle, built (not copied) by esbuild from webui/static_src/ (build.mjs): bpmn-js Modeler,
# its properties panel, bpmnlint's recommended rules pre-compiled, form-js's editor; and their CSS and licences.
STUDIO=(studio.bundle.js studio.bundle.css studio.bundle.LICENSES.txt)
STAMP=node_modules/.motcua-npm-ci.stamp

log() { echo "build_assets: $*"; }

# use_committed WHY: carry on with the committed copies when they are all there, else fail.
use_committed() {
  for row in "${VENDOR[@]}"; do
    read -r _ name <<<"$row"
    [ -s "$DEST/$name" ] || { echo "build_assets: ERROR: $1, and $DEST/$name is not there" >&2; exit 1; }
  done
  for name in "${STUDIO[@]}"; do
    [ -s "$DEST/$name" ] || { echo "build_assets: ERROR: $1, and $DEST/$name is not there" >&2; exit 1; }
  done
  log "$1; using the committed files in $DEST"
  exit 0
}

command -v npm >/dev/null 2>&1 || use_committed "npm not found"

if [ ! -e "$STAMP" ] || [ package-lock.json -nt "$STAMP" ] || [ package.json -nt "$STAMP" ]; then
  npm ci --ignore-scripts --no-audit --no-fund --loglevel=error || use_committed "npm ci failed (offline?)"
  touch "$STAMP"
fi

mkdir -p "$DEST"
for row in "${VENDOR[@]}"; do
  read -r src name <<<"$row"
  if ! cmp -s "node_modules/$src" "$DEST/$name"; then
    cp "node_modules/$src" "$DEST/$name"
    log "copied node_modules/$src -> $DEST/$name"
  fi
done

# The studio bundle: rebuilt when a source or the lock is newer than it (esbuild's output is deterministic).
if [ ! -s "$DEST/studio.bundle.js" ] || [ -n "$(find webui/static_src package-lock.json -newer "$DEST/studio.bundle.js" -print -quit)" ]; then
  node webui/static_src/build.mjs "$DEST"
  log "built $DEST/studio.bundle.js and studio.bundle.css (esbuild, webui/static_src)"
fi
