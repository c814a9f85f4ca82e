#!/bin/sh
# git-commit.sh [SHARDS] [BLOBS] - time the git sink's big commits
#
# DESCRIPTION
#	Builds tests/bench/git-commit.c with the sources of agent/ (-O2,
#	as the release binary), then times a commit of six tables of
#	SHARDS shards (default 4096: 24 576 files) and one of BLOBS small
#	files (default 100000) into new repositories, each again with
#	nothing changed and with one file changed; checks both
#	repositories with git fsck --full. PERF=1 records the run with
#	perf record -g and prints the top functions.
#
# DIAGNOSTICS
#	Exit status 0, or 1 when a step or fsck failed. The temporary
#	directory is removed on exit.
set -eu
shards=${1:-4096}
blobs=${2:-100000}
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/splitsync-git-commit.XXXXXX")
trap 'rm -rf "$work"' EXIT
trap 'exit 1' INT TERM
cd "$top"
make --no-print-directory build/gen/mapping_rng.c build/gen/layouts.c \
    > /dev/null
# shellcheck disable=SC2046
cc -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -O2 -g -Iinclude \
    -DSPLITSYNC_VERSION='"bench"' -o "$work/git-commit" \
    "$here/git-commit.c" $(ls agent/*.c | grep -v '^agent/main.c$') \
    build/gen/mapping_rng.c build/gen/layouts.c \
    $(pkg-config --cflags --libs ldap libxml-2.0 libgit2 zlib gnutls nettle)
mkdir "$work/repos"
if [ "${PERF:-0}" = 1 ]; then
	perf record -q -g -o "$work/perf.data" \
	    "$work/git-commit" "$work/repos" "$shards" "$blobs"
	perf report -i "$work/perf.data" --stdio --no-children \
	    --sort dso,symbol -g none 2>/dev/null | grep -v '^#' |
	    grep -v '^$' | awk 'NR <= 30'
else
	"$work/git-commit" "$work/repos" "$shards" "$blobs"
fi
for r in "$work"/repos/*.git; do
	git --git-dir="$r" fsck --full --no-progress
done
