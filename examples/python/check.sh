#!/bin/sh
# End-to-end check of the user-style PyTorch samplers in torch_sampler.py (see README.md next to this file).
set -e
cd "$(dirname "$0")/../.."
PYTHON="${RATELAB_PYTHON:-/usr/bin/python3}"
if ! "$PYTHON" -c "import torch" 2>/dev/null; then
    echo "examples/python: skipped, $PYTHON cannot import torch (Debian: apt-get install python3-torch)"
    exit 0
fi
RATELAB="${RATELAB:-dotnet src/Analysis.FSharp/bin/Release/net10.0/ratelab.dll}"
$RATELAB external examples/python/torch_sampler.py:sample_euler_ancestral --kind kdiffusion --backend torch \
    --d 8 --steps 16,32,64,128 --reference ddim --reference-param eta=1 --claim examples/python/claims.json
$RATELAB external examples/python/torch_sampler.py:sample_midpoint --kind kdiffusion --backend torch \
    --d 8 --steps 16,32,64,128
