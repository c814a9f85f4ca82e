#!/bin/sh
# demo.sh SPLITSYNC - run the quickstart: check, resync, show the commit.
set -eu
bin=$1
here=$(cd "$(dirname "$0")" && pwd)
repo=${TMPDIR:-/tmp}/splitsync-quickstart.git
rm -rf "$repo"

echo "== splitsync check: what is wrong in the directory"
"$bin" check -c "$here/splitsync.conf" || true
echo
echo "== splitsync resync: render the tables and commit them"
"$bin" resync -c "$here/splitsync.conf" --repo "$repo"
echo
echo "== the commit"
git --git-dir="$repo" log -1 --format='%H%n%an <%ae>%n%n%B' main
echo "== transport"
git --git-dir="$repo" show main:transport
echo "== virtual_mailbox"
git --git-dir="$repo" show main:virtual_mailbox
echo
echo "== a second resync: nothing changed, so no commit"
"$bin" resync -c "$here/splitsync.conf" --repo "$repo"
echo
echo "repository: $repo"
