#!/usr/bin/env bash
# train_default_model.sh: trains the model shipped with ftmpi from the corpus's training
# scenarios (predictor/corpus/README.md) and evaluates it on the held-out ones.
#   scripts/train_default_model.sh [BUILD_DIR]
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$src/build}
cd "$src"
"$build/bin/ftmpi-train" predictor/corpus/scenario-00[0-7].h5 -o predictor/models/default.json
"$build/bin/ftmpi-eval" --model predictor/models/default.json predictor/corpus/scenario-0{08,09,10,11,14,15}.h5
