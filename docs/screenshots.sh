#!/usr/bin/env bash
# Render the README's screenshots from the sample files (needs LibreOffice and pdftoppm).
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cp "samples/swia-commissioning/returns/swia-commissioning_adult-social-care_2026-q4.xlsx" "$tmp/filled.xlsx"
cp samples/swia-commissioning/consolidated.xlsx "$tmp/consolidated.xlsx"
soffice -env:UserInstallation="file://$tmp/profile" --headless --convert-to pdf --outdir "$tmp" \
    "$tmp/filled.xlsx" "$tmp/consolidated.xlsx" >/dev/null
pdftoppm -r 80 -png -f 3 -l 3 -singlefile "$tmp/filled.pdf" docs/images/workbook-theme-sheet
pdftoppm -r 80 -png -f 1 -l 1 -singlefile "$tmp/consolidated.pdf" docs/images/consolidated-overview
echo "wrote docs/images/workbook-theme-sheet.png and docs/images/consolidated-overview.png"
