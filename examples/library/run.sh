#!/usr/bin/env bash
# Runs one library example against the packages in artifacts/packages (build them first with `dotnet pack`, see
# docs/library.md): `run.sh fsx` runs MidpointUla.fsx, `run.sh csharp` the CSharpKernel project. The exit status is the
# example's own. RateLab.* is cleared from the examples' package cache first, so a re-packed 0.1.0 is the one used.
set -uo pipefail
cd "$(dirname "$0")"
rm -rf .packages/ratelab.core .packages/ratelab.analysis .packages/ratelab.testing
case "${1:-}" in
  fsx) exec dotnet fsi MidpointUla.fsx ;;
  csharp) exec dotnet run --project CSharpKernel -c Release ;;
  *) echo "usage: run.sh fsx|csharp" >&2; exit 2 ;;
esac
