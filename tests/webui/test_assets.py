"""The pages' front-end files come from npm (pinned, locked, copied by scripts/build_assets.sh), never from a CDN; the
English catalogue is compiled from its .po."""
import ast
import gettext
import json
import re
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
VENDOR = REPO / "webui" / "static" / "webui" / "vendor"
LOCALE = REPO / "webui" / "locale" / "en" / "LC_MESSAGES"


def test_npm_dependencies_are_pinned_and_locked():
    package = json.loads((REPO / "package.json").read_text())
    lock = json.loads((REPO / "package-lock.json").read_text())
    for name, version in {**package["dependencies"], **package.get("devDependencies", {})}.items():
        assert re.fullmatch(r"\d+\.\d+\.\d+", version), f"{name} is not pinned to an exact version: {version}"
        assert lock["packages"][f"node_modules/{name}"]["version"] == version
    assert "/node_modules/" in (REPO / ".gitignore").read_text().split()


def test_vendor_files_are_the_locked_packages_files():
    assert (VENDOR / "htmx.min.js").stat().st_size > 10_000
    installed = REPO / "node_modules" / "htmx.org"
    assert installed.exists(), "node_modules missing: make test runs `make assets` (npm ci) first"
    version = json.loads((installed / "package.json").read_text())["version"]
    assert version == json.loads((REPO / "package.json").read_text())["dependencies"]["htmx.org"]
    assert (installed / "dist" / "htmx.min.js").read_bytes() == (VENDOR / "htmx.min.js").read_bytes()
    # every file build_assets.sh copies (the VENDOR list) is the locked package's file, committed
    script = (REPO / "scripts" / "build_assets.sh").read_text()
    rows = re.findall(r'^\s*"(\S+)\s+(\S+)"\s*$', script.split("VENDOR=(", 1)[1].split("\n)", 1)[0], re.M)
    assert {name for _, name in rows} >= {"htmx.min.js", "form-viewer.umd.js", "bpmn-navigated-viewer.min.js",
                                          "chart.umd.min.js"}
    for source, name in rows:
        assert (REPO / "node_modules" / source).read_bytes() == (VENDOR / name).read_bytes(), name


STUDIO_PACKAGES = ["bpmn-js", "bpmn-js-properties-panel", "@bpmn-io/properties-panel", "bpmnlint", "bpmn-js-bpmnlint",
                   "@bpmn-io/form-js", "bpmn-auto-layout"]


def test_studio_bundle_is_built_from_the_locked_packages(tmp_path):
    """vendor/studio.bundle.{js,css} are esbuild's output of webui/static_src with the locked packages: the banner
    names their versions, and building again gives the same bytes (a stale committed bundle fails here)."""
    package = json.loads((REPO / "package.json").read_text())
    wanted = " ".join(f"{name}@{package['dependencies'][name]}" for name in STUDIO_PACKAGES)
    js = (VENDOR / "studio.bundle.js").read_bytes()
    css = (VENDOR / "studio.bundle.css").read_bytes()
    assert len(js) > 1_000_000 and len(css) > 100_000
    for built in (js, css):
        banner = built.split(b"\n", 1)[0].decode()
        assert f"bundle: {wanted};" in banner, banner
        assert f"esbuild@{package['devDependencies']['esbuild']}" in banner
    for name in STUDIO_PACKAGES:
        installed = json.loads((REPO / "node_modules" / name / "package.json").read_text())["version"]
        assert installed == package["dependencies"][name], name
    licenses = (VENDOR / "studio.bundle.LICENSES.txt").read_text()
    assert f"==== bpmn-js@{package['dependencies']['bpmn-js']} ====" in licenses
    # the CSS is self-contained: no font or image fetched from anywhere (all inline)
    assert not re.search(rb"url\(\s*(?!['\"]?data:)", css)
    subprocess.run(["node", str(REPO / "webui" / "static_src" / "build.mjs"), str(tmp_path)], check=True, cwd=REPO,
                   timeout=120)
    for name in ("studio.bundle.js", "studio.bundle.css", "studio.bundle.LICENSES.txt"):
        assert (tmp_path / name).read_bytes() == (VENDOR / name).read_bytes(), \
            f"{name} is stale: run scripts/build_assets.sh and commit webui/static/webui/vendor/"


def test_no_page_loads_anything_from_another_site():
    for template in (REPO / "webui" / "templates").rglob("*.html"):
        text = template.read_text()
        assert not re.search(r"""(src|href)=["']?(https?:)?//""", text), template


def test_build_assets_script_parses():
    for name in ("build_assets.sh", "ensure_chromium.sh"):
        subprocess.run(["bash", "-n", str(REPO / "scripts" / name)], check=True)


def _po_entries(path):
    """msgid (with context as 'ctx\\x04msgid') -> msgstr (first form), for translated entries."""
    entries, current, key = {}, {}, None
    for line in path.read_text().splitlines() + [""]:
        if line.startswith("#,") and "fuzzy" in line:
            current["fuzzy"] = True
        match = re.match(r'^(msgctxt|msgid|msgid_plural|msgstr(?:\[0\])?|msgstr\[\d\]) (".*")$', line)
        if match:
            key = match.group(1)
            current[key] = ast.literal_eval(match.group(2))
        elif line.startswith('"') and key:
            current[key] += ast.literal_eval(line)
        elif not line.strip():
            msgid, msgstr = current.get("msgid"), current.get("msgstr", current.get("msgstr[0]"))
            if msgid and msgstr and not current.get("fuzzy"):
                entries[f"{current['msgctxt']}\x04{msgid}" if "msgctxt" in current else msgid] = msgstr
            current, key = {}, None
    return entries


def test_english_catalogue_is_compiled_from_its_po():
    text = (LOCALE / "django.po").read_text()
    assert not re.search(r"^#,.*fuzzy", text, re.M), "a fuzzy entry is not compiled: check its translation"
    entries = _po_entries(LOCALE / "django.po")
    assert len(entries) > 100
    with (LOCALE / "django.mo").open("rb") as handle:
        catalogue = gettext.GNUTranslations(handle)
    for msgid, msgstr in entries.items():
        if "\x04" in msgid:
            context, plain = msgid.split("\x04")
            assert catalogue.pgettext(context, plain) == msgstr, msgid
        else:
            assert catalogue.gettext(msgid) == msgstr, f"{msgid!r}: run compilemessages"
