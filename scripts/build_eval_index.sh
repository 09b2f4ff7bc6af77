#!/usr/bin/env bash
# Build the index that eval/questions.jsonl is asked against: the bundled corpus plus real Ofsted reports.
#
#   bash scripts/build_eval_index.sh REPORTS_DIR [DATA_DIR]            every REPORTS_DIR/*.pdf but Kirklees's
#   bash scripts/build_eval_index.sh --listed REPORTS_DIR [DATA_DIR]   only the reports eval/reports.csv lists
#
# The PDFs are copied (ingest refuses symbolic links) into a folder named `reports` under a temporary
# directory, so that the index names them reports/<file>, and `python -m ingest corpus <that folder>` runs
# with ASSISTANT_DATA_DIR=DATA_DIR (default: /tmp/eval-index). Kirklees's own PDFs are left out: the corpus
# already holds Kirklees. Every report eval/reports.csv lists must be in REPORTS_DIR. Ingest skips files it
# already holds unchanged, so running this again on the same DATA_DIR redoes only what changed; the index then
# holds what was copied this time (a report gone from a scanned folder is removed). Then, for example:
#
#   ASSISTANT_DATA_DIR=/tmp/eval-index .venv/bin/python -m assistant eval eval/questions.jsonl --split heldout --out result.json
set -euo pipefail
cd "$(dirname "$0")/.."

listed=0
if [ "${1:-}" = "--listed" ]; then listed=1; shift; fi
if [ $# -lt 1 ] || [ ! -d "$1" ]; then
  echo "usage: $0 [--listed] REPORTS_DIR [DATA_DIR]" >&2
  exit 2
fi
reports_dir=$1
data_dir=${2:-/tmp/eval-index}
python=${PYTHON:-.venv/bin/python}

mapfile -t listed_files < <(tail -n +2 eval/reports.csv | cut -d, -f1)
missing=0
for file in "${listed_files[@]}"; do
  if [ ! -f "$reports_dir/$file" ]; then echo "missing: $reports_dir/$file (eval/reports.csv lists it)" >&2; missing=1; fi
done
[ "$missing" = 0 ] || exit 1

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir "$work/reports"
if [ "$listed" = 1 ]; then
  for file in "${listed_files[@]}"; do cp -- "$reports_dir/$file" "$work/reports/"; done
else
  for path in "$reports_dir"/*.pdf; do
    name=$(basename "$path")
    case "$name" in kirklees-*) continue ;; esac
    cp -L -- "$path" "$work/reports/"
  done
fi
echo "$(ls "$work/reports" | wc -l) reports copied; indexing them with corpus/ into $data_dir" >&2

mkdir -p "$data_dir"
export ASSISTANT_DATA_DIR="$data_dir" HF_HUB_OFFLINE=1 ORT_DISABLE_TELEMETRY=1 GRADIO_ANALYTICS_ENABLED=False
"$python" -m ingest corpus "$work/reports"
