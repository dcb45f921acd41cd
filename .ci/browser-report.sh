#!/usr/bin/env bash
# The report of the default scenario with a PSA (with EVPPI) and a DSA (with a two-way grid),
# checked as a reviewer would get it:
# - report.html and survival.svg open in Debian's headless Chromium with no console errors, and
#   the page and the plot are not blank (screenshots);
# - every figure's PNG copy has coloured pixels (not blank);
# - `report --pdf` prints through headless Chromium: the PDF has the expected number of pages
#   (pdfinfo), every page has ink and the figures' pages colour (pdftoppm), and its text has every
#   figure's and table's caption (pdftotext); poppler-utils comes from Debian.
# Chromium and poppler-utils are installed here with apt-get if missing. If they cannot be
# installed, say so and skip (never a silent pass); once they run, any failure fails CI.
set -uo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d /tmp/cirrhosim-browser.XXXXXX)
trap 'rm -rf "$work"' EXIT
install() { # install <command> <debian package>
  command -v "$1" >/dev/null 2>&1 && return 0
  apt-get install -y -q "$2" >"$work/apt.log" 2>&1 || { apt-get update -q >>"$work/apt.log" 2>&1 && apt-get install -y -q "$2" >>"$work/apt.log" 2>&1; }
}
install chromium chromium || { echo "SKIPPED: browser report check: chromium could not be installed:"; tail -n 5 "$work/apt.log"; exit 0; }
install pdftoppm poppler-utils || { echo "SKIPPED: browser report check: poppler-utils could not be installed:"; tail -n 5 "$work/apt.log"; exit 0; }
fail() { echo "$1"; echo "browser: 0 passed, 1 failed"; exit 1; }
cargo build --release --quiet || exit 1
bin="${CARGO_TARGET_DIR:-target}/release/cirrhosim"
"$bin" psa --draws 300 --quiet --out "$work/psa" || fail "psa failed"
"$bin" evppi "$work/psa" --quiet || fail "evppi failed"
"$bin" dsa --two-way msc_meld_md_24wk,c_msc_infusion --steps 9 --quiet --out "$work/dsa" || fail "dsa failed"
start=$(date +%s.%N)
"$bin" report --patients 20000 --psa "$work/psa" --dsa "$work/dsa" --pdf --quiet --out "$work/report" || fail "report --pdf failed"
end=$(date +%s.%N)
echo "report --pdf (20000 patients, 300 PSA draws) took $(python3 -c "print(round($end - $start, 1))") s"
shot() {
  chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run --disable-background-networking \
    --disable-component-update --disable-sync --user-data-dir="$work/profile-$2" --enable-logging=stderr --v=0 \
    --window-size=1000,1400 --screenshot="$work/$2.png" "file://$1" 2>"$work/$2.log"
}
shot "$work/report/report.html" page || { cat "$work/page.log"; fail "chromium failed"; }
shot "$work/report/survival.svg" plot || { cat "$work/plot.log"; fail "chromium failed"; }
if grep -q 'CONSOLE' "$work/page.log"; then
  echo "console messages:"; grep 'CONSOLE' "$work/page.log"; fail "the page logged to the console"
fi
pages=$(pdfinfo "$work/report/report.pdf" | sed -n 's/^Pages: *//p')
pdftoppm -r 40 "$work/report/report.pdf" "$work/pdf-page" || fail "pdftoppm failed"
pdftotext -layout "$work/report/report.pdf" "$work/report.txt" || fail "pdftotext failed"
python3 - "$work" "$pages" <<'PY' || fail "report checks failed"
import glob, os, re, struct, subprocess, sys, zlib

work, pages = sys.argv[1], int(sys.argv[2])

def png_pixels(path):
    """Decode an 8-bit RGB/RGBA PNG (Chromium's and resvg's) into rows of (r, g, b)."""
    data = open(path, "rb").read()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", path
    pos, idat, width = 8, b"", None
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            width, height, depth, colour = struct.unpack(">IIBB", body[:10])
            assert depth == 8 and colour in (2, 6), (path, depth, colour)
            bpp = 3 if colour == 2 else 4
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    raw, stride, rows, prev = zlib.decompress(idat), width * bpp, [], bytearray(width * bpp)
    for y in range(height):
        f, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b, c = prev[i], prev[i - bpp] if i >= bpp else 0
            if f == 1: line[i] = (line[i] + a) & 255
            elif f == 2: line[i] = (line[i] + b) & 255
            elif f == 3: line[i] = (line[i] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c; pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append([tuple(line[x * bpp:x * bpp + 3]) for x in range(width)])
        prev = line
    return rows

def ppm_pixels(path):
    """Read a binary PPM (P6, what pdftoppm writes) into a flat list of (r, g, b)."""
    data = open(path, "rb").read()
    fields, pos = [], 0
    while len(fields) < 4:
        m = re.compile(rb"\s*(#[^\n]*\n\s*)*(\S+)").match(data, pos)
        fields.append(m.group(2)); pos = m.end()
    assert fields[0] == b"P6" and fields[3] == b"255", path
    body = data[pos + 1:]
    return [tuple(body[i:i + 3]) for i in range(0, len(body) - 2, 3)]

coloured = lambda px: sum(1 for (r, g, b) in px if max(r, g, b) - min(r, g, b) > 60)
failures = []

# The Chromium screenshots: the survival plot has its curves, the page is not blank.
plot = png_pixels(os.path.join(work, "plot.png"))
n = coloured([p for row in plot[60:420] for p in row[70:840]])
if n <= 2000: failures.append(f"survival plot in Chromium looks blank: {n} coloured pixels")
page = png_pixels(os.path.join(work, "page.png"))
distinct = len({p for row in page[::7] for p in row[::7]})
if distinct <= 50: failures.append(f"report page looks blank: {distinct} distinct colours")

# Every figure's PNG copy is not blank: colour, or for the model diagram (pale boxes) and the
# frontier (a line between a few points) ink.
html = open(os.path.join(work, "report", "report.html"), encoding="utf-8").read()
figures = re.findall(r'<figure id="([^"]+)">', html)
files = re.findall(r"\(files ([a-z_0-9]+)\.svg,", html)
assert len(files) == len(figures), (files, figures)
for name in files:
    px = [p for row in png_pixels(os.path.join(work, "report", name + ".png"))[::2] for p in row[::2]]
    ink = sum(1 for p in px if min(p) < 200)
    if (coloured(px) if name not in ("model", "frontier") else ink) < 300:
        failures.append(f"{name}.png looks blank: {coloured(px)} coloured, {ink} dark pixels")
expected = ["model", "survival", "occupancy_1", "occupancy_2", "frontier", "costs", "qalys", "ce_plane", "ceac",
            "evpi", "tornado", "two_way"]
if files != expected: failures.append(f"figures {files}, expected {expected}")

# The PDF: pages within the expected range; ink on every page; colour on the figures' pages.
if not 8 <= pages <= 40: failures.append(f"report.pdf has {pages} pages (expected 8 to 40)")
ppms = sorted(glob.glob(os.path.join(work, "pdf-page-*.ppm")))
if len(ppms) != pages: failures.append(f"pdftoppm made {len(ppms)} pages of {pages}")
colour_pages = 0
for path in ppms:
    px = ppm_pixels(path)
    ink = sum(1 for p in px if min(p) < 160) / len(px)
    # A page with little ink (the last rows of a table on the last page) is not blank if it has
    # text: pdftotext reads the page on its own.
    page = int(re.search(r"-(\d+)\.ppm$", path).group(1))
    words = subprocess.run(["pdftotext", "-f", str(page), "-l", str(page), os.path.join(work, "report", "report.pdf"), "-"],
                           capture_output=True, text=True).stdout.split()
    if ink < 0.002 and len(words) < 10:
        failures.append(f"{os.path.basename(path)} looks blank ({ink:.4f} of its pixels have ink, {len(words)} words)")
    colour_pages += coloured(px) > 400
if colour_pages < 6: failures.append(f"only {colour_pages} pages of the PDF have coloured figures (expected 6 or more)")
text = open(os.path.join(work, "report.txt"), encoding="utf-8").read()
tables = len(re.findall(r'<table id="[a-z-]+-table"><caption>', html))
for k in range(1, len(figures) + 1):
    if f"Figure {k}." not in text: failures.append(f"the PDF lacks the caption of figure {k}")
for k in range(1, tables + 1):
    if f"Table {k}." not in text: failures.append(f"the PDF lacks the caption of table {k}")
if failures:
    print("\n".join(failures)); sys.exit(1)
print(f"report.pdf: {pages} pages, all with ink, {colour_pages} with coloured figures; "
      f"{len(figures)} figures and {tables} tables captioned in the PDF; {len(files)} figure PNGs not blank")
PY
echo "report.html, its figures and report.pdf render in headless Chromium with no console errors"
echo "browser: 1 passed, 0 failed"
