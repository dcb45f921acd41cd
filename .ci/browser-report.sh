#!/usr/bin/env bash
# Opens report.html and the survival figure in Debian's headless Chromium (installed here with
# apt-get if missing), takes screenshots, and checks that the page logged no console errors and
# that the plot area is not blank. If Chromium cannot be installed, say so and skip (never a
# silent pass); once it runs, any failure fails CI.
set -uo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d /tmp/cirrhosim-browser.XXXXXX)
trap 'rm -rf "$work"' EXIT
if ! command -v chromium >/dev/null 2>&1; then
  if ! { apt-get install -y -q chromium >"$work/apt.log" 2>&1 || { apt-get update -q >>"$work/apt.log" 2>&1 && apt-get install -y -q chromium >>"$work/apt.log" 2>&1; }; }; then
    echo "SKIPPED: browser report check: chromium could not be installed:"; tail -n 5 "$work/apt.log"; exit 0
  fi
fi
cargo build --release --quiet || exit 1
./target/release/cirrhosim report --patients 20000 --out "$work/report" >/dev/null || exit 1
shot() {
  chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run --disable-background-networking \
    --disable-component-update --disable-sync --user-data-dir="$work/profile-$2" --enable-logging=stderr --v=0 \
    --window-size=1000,1400 --screenshot="$work/$2.png" "file://$1" 2>"$work/$2.log"
}
shot "$work/report/report.html" page || { echo "chromium failed"; cat "$work/page.log"; echo "browser: 0 passed, 1 failed"; exit 1; }
shot "$work/report/survival.svg" plot || { echo "chromium failed"; cat "$work/plot.log"; echo "browser: 0 passed, 1 failed"; exit 1; }
if grep -q 'CONSOLE' "$work/page.log"; then
  echo "console messages:"; grep 'CONSOLE' "$work/page.log"; echo "browser: 0 passed, 1 failed"; exit 1
fi
python3 - "$work/plot.png" "$work/page.png" <<'PY' || { echo "browser: 0 passed, 1 failed"; exit 1; }
import struct, sys, zlib

def pixels(path):
    """Decode an 8-bit RGB/RGBA PNG (what Chromium writes) into rows of (r, g, b)."""
    data = open(path, "rb").read()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", path
    pos, idat, width = 8, b"", None
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            width, height, depth, colour = struct.unpack(">IIBB", body[:10])
            assert depth == 8 and colour in (2, 6), (depth, colour)
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

plot = pixels(sys.argv[1])
# The plot area of survival.svg (860 x 460): the curves start top-left and run right.
area = [p for row in plot[60:420] for p in row[70:840]]
coloured = sum(1 for (r, g, b) in area if max(r, g, b) - min(r, g, b) > 60)
assert coloured > 2000, f"survival plot looks blank: {coloured} coloured pixels"
page = pixels(sys.argv[2])
distinct = len({p for row in page[::7] for p in row[::7]})
assert distinct > 50, f"report page looks blank: {distinct} distinct colours"
print(f"survival plot: {coloured} coloured pixels; report page: {distinct} distinct colours")
PY
echo "report.html and survival.svg render in headless Chromium with no console errors"
echo "browser: 1 passed, 0 failed"
