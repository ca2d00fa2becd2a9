#!/bin/sh
# Build a sample history as a Git repository in a temporary folder and check
# every commit of it:   samples/check-sample.sh [SAMPLE] [policycheck options]
set -eu
here=$(cd "$(dirname "$0")" && pwd)
sample=${1:-linkerd-retarget}
[ $# -gt 0 ] && shift
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$here/make-repo.sh" "$here/$sample" "$tmp/repo" >/dev/null
status=0
policycheck check --history --repo "$tmp/repo" "$@" || status=$?
exit "$status"
