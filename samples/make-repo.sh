#!/bin/sh
# Turn a sample history (numbered snapshot folders, each with a MESSAGE file)
# into a real Git repository, one commit per folder.
#   samples/make-repo.sh samples/linkerd-retarget /tmp/sample-repo
set -eu
src=$(cd "$1" && pwd)
dest=$2
if [ -e "$dest" ]; then
  echo "make-repo.sh: $dest exists; remove it or pick another folder" >&2
  exit 2
fi
mkdir -p "$dest"
cd "$dest"
git init -q -b main .
export GIT_AUTHOR_NAME="Sample Author" GIT_AUTHOR_EMAIL="sample@example.com"
export GIT_COMMITTER_NAME="Sample Author" GIT_COMMITTER_EMAIL="sample@example.com"
n=0
for step in "$src"/[0-9]*/; do
  n=$((n + 1))
  find . -mindepth 1 -maxdepth 1 ! -name .git -exec rm -rf {} +
  (cd "$step" && find . -type f ! -name MESSAGE) | while read -r f; do
    mkdir -p "$(dirname "$f")"
    cp "$step/$f" "$f"
  done
  git add -A
  export GIT_AUTHOR_DATE="2024-11-0${n}T12:00:00Z" GIT_COMMITTER_DATE="2024-11-0${n}T12:00:00Z"
  git -c commit.gpgsign=false commit -q --allow-empty -F "$step/MESSAGE"
done
echo "$dest: $(git rev-list --count HEAD) commits"
