#!/usr/bin/env bash
# Runs one library example against the packages in artifacts/packages (build them first with `dotnet pack`, see
# docs/library.md): `run.sh fsx` runs MidpointUla.fsx, `run.sh csharp` the CSharpKernel project. The exit status is the
# example's own. RateLab.* is cleared from the examples' package cache first, so a re-packed 0.1.0 is the one used.
set -uo pipefail
cd "$(dirname "$0")"
rm -rf .packages/ratelab.core .packages/ratelab.boltzmann .packages/ratelab.analysis .packages/ratelab.testing
# Restore into the examples' own package folder whatever the machine-wide cache holds (dotnet fsi's `#r "nuget:"`
# does not read nuget.config's globalPackagesFolder), and forget dotnet fsi's cached resolutions that name RateLab:
# they point at the files of an earlier 0.1.0, which would shadow the one just packed.
export NUGET_PACKAGES="$PWD/.packages"
cache="${HOME:-/root}/.packagemanagement/nuget/Cache"
if [ -d "$cache" ]; then
  grep -il "ratelab" "$cache"/*.resolvedReferences.paths 2>/dev/null | while read -r paths; do
    rm -f "$paths" "${paths%.resolvedReferences.paths}.fsx"
  done
fi
case "${1:-}" in
  fsx) exec dotnet fsi MidpointUla.fsx ;;
  csharp) exec dotnet run --project CSharpKernel -c Release ;;
  *) echo "usage: run.sh fsx|csharp" >&2; exit 2 ;;
esac
