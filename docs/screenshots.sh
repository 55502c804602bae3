#!/usr/bin/env bash
# Render the README's screenshots from the sample files (needs LibreOffice and poppler; the first
# screen also needs Xvfb, ImageMagick's `import` and python3-uno).
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cp "samples/swia-commissioning/returns/swia-commissioning_adult-social-care_2026-q4.xlsx" "$tmp/filled.xlsx"
cp samples/lga-cbo/consolidated.xlsx "$tmp/consolidated.xlsx"
soffice -env:UserInstallation="file://$tmp/profile" --headless --convert-to pdf --outdir "$tmp" \
    "$tmp/filled.xlsx" "$tmp/consolidated.xlsx" >/dev/null
pdftoppm -r 80 -png -f 3 -l 3 -singlefile "$tmp/filled.pdf" docs/images/workbook-theme-sheet
# The consolidated workbook's pages carry their sheet's name at the end of the footer.
page_of() {
    local pages
    pages=$(pdfinfo "$1" | awk '/^Pages:/ {print $2}')
    for ((p = 1; p <= pages; p++)); do
        if pdftotext -layout -f "$p" -l "$p" "$1" - | grep -v '^\s*$' | tail -1 | grep -q "$2\s*$"; then
            echo "$p"; return
        fi
    done
}
dashboard=$(page_of "$tmp/consolidated.pdf" Dashboard)
ratings=$(page_of "$tmp/consolidated.pdf" Ratings)
pdftoppm -r 110 -png -f "$dashboard" -l "$dashboard" -singlefile "$tmp/consolidated.pdf" docs/images/consolidated-dashboard
pdftoppm -r 110 -png -f "$ratings" -l "$ratings" -singlefile "$tmp/consolidated.pdf" docs/images/consolidated-ratings
# The Dashboard as LibreOffice shows it on a 1366x768 laptop, at the zoom the workbook stores.
/usr/bin/python3 tests/lo_uno_screen.py samples/lga-cbo/consolidated.xlsx --png docs/images/consolidated-first-screen.png \
    >/dev/null
echo "wrote docs/images/workbook-theme-sheet.png, consolidated-dashboard.png, consolidated-ratings.png and" \
     "consolidated-first-screen.png"
