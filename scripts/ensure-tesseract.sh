#!/usr/bin/env bash
# Installs tesseract with its French, English and German data, and the Latin script model
# the parties' names are read again with for their accents (extractors/name_marks.py), from
# Debian's packages when any of them is missing; says exactly which packages to install when
# it cannot.
set -euo pipefail

packages=(tesseract-ocr tesseract-ocr-fra tesseract-ocr-eng tesseract-ocr-deu tesseract-ocr-script-latn)

missing_languages() {
  local installed
  installed=$(tesseract --list-langs 2>/dev/null | tail -n +2 || true)
  for lang in fra eng deu Latin; do
    grep -qx "$lang" <<<"$installed" || echo "$lang"
  done
}

if command -v tesseract >/dev/null 2>&1 && [ -z "$(missing_languages)" ]; then
  exit 0
fi

if [ "$(id -u)" -eq 0 ]; then
  as_root=()
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
  as_root=(sudo -n)
else
  echo "invoicebot needs tesseract with fra, eng, deu and Latin data. Install the Debian packages:" >&2
  echo "  sudo apt-get install ${packages[*]}" >&2
  exit 1
fi

echo "Installing ${packages[*]} with apt-get"
if ! { "${as_root[@]}" apt-get update -qq \
      && DEBIAN_FRONTEND=noninteractive "${as_root[@]}" apt-get install -y -qq "${packages[@]}"; }; then
  echo "Could not install ${packages[*]}: install them with apt-get, then run make again." >&2
  exit 1
fi
tesseract --version | head -n 1
