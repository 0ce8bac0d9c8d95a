#!/usr/bin/env bash
# Create or refresh .venv. Keyed on a hash of pyproject.toml, so a second run with nothing changed takes seconds.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3.11}
VENV=.venv
STAMP=$VENV/.pyproject.sha256
want=$(sha256sum pyproject.toml | cut -d' ' -f1)
if [ -x "$VENV/bin/python" ] && [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$want" ]; then
  exit 0
fi
echo "setup: preparing $VENV (first run builds llama-cpp-python; about 5-8 minutes)"
[ -x "$VENV/bin/python" ] || "$PY" -m venv "$VENV"
"$VENV/bin/python" -m pip install -q --upgrade pip setuptools wheel
# torch first: the CPU build on local disk. Anything that pulls torch later (the gpu and train extras, which the
# tests need: the torch embedder backend is tested against the ONNX one) must find it already satisfied.
"$VENV/bin/python" -m pip install -q torch==2.13.0
CMAKE_ARGS="${CMAKE_ARGS:--DLLAVA_BUILD=OFF}" "$VENV/bin/python" -m pip install -q -e ".[dev,gpu,train]"
echo "$want" > "$STAMP"
echo "setup: done"
