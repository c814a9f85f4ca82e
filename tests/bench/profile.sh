#!/bin/bash
# profile.sh SPLITSYNC [USERS] [CHANGES] - where the time goes
#
# DESCRIPTION
#	Loads the benchmark's synthetic directory of USERS users (default
#	100000) into a private slapd, then samples with perf (cycles, call
#	graphs through DWARF): one splitsync resync into a new repository,
#	and splitsync run (persist, debounce 0) while it commits CHANGES
#	single changes (default 5) after its refresh. Prints, for each,
#	the shares per library and the top functions by self time and by
#	time including callees. Needs perf; run it on an idle machine.
#	BENCH_SHARDS sets table_shards (default 4096), as for run.sh.
#
# DIAGNOSTICS
#	Exit status 0, or 1 when a step failed. Everything it started is
#	stopped and its temp directory removed on exit.
set -eu
set -o pipefail
export LC_ALL=C LDAPNOINIT=1
PATH=$PATH:/usr/sbin
[ $# -ge 1 ] || { echo "usage: profile.sh SPLITSYNC [USERS] [CHANGES]" >&2; exit 2; }
bin=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
users=${2:-100000}
nchanges=${3:-5}
here=$(cd "$(dirname "$0")" && pwd)
command -v perf >/dev/null 2>&1 || { echo "profile.sh: perf not found" >&2; exit 1; }
work=$(mktemp -d "${TMPDIR:-/tmp}/splitsync-profile.XXXXXX")
agent=
cleanup() {
	[ -z "$agent" ] || kill -TERM "$agent" 2>/dev/null || true
	sh "$here/bench-slapd" stop "$work/slapd" >/dev/null 2>&1 || true
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# top DATA - the shares per library, then the top functions
top() {
	echo "-- by library (self)"
	perf report -i "$1" --stdio --no-children --sort dso -g none \
	    > "$work/report" 2>/dev/null
	grep -v '^#' "$work/report" | grep -v '^$' | awk 'NR <= 8'
	echo "-- top functions, self time"
	perf report -i "$1" --stdio --no-children --sort dso,symbol -g none \
	    > "$work/report" 2>/dev/null
	grep -v '^#' "$work/report" | grep -v '^$' | awk 'NR <= 25'
	echo "-- top functions, including callees"
	perf report -i "$1" --stdio --children --sort symbol -g none \
	    > "$work/report" 2>/dev/null
	grep -v '^#' "$work/report" | grep -v '^$' | awk 'NR <= 45'
}

mkdir "$work/slapd"
awk -v n="$users" -f "$here/directory.awk" -f "$here/gen-directory.awk" \
    > "$work/directory.ldif"
sh "$here/bench-slapd" start "$work/slapd" "$work/directory.ldif" \
    --owner $$ > /dev/null
# shellcheck disable=SC1091
. "$work/slapd/env"
for mode in resync persist; do
	{
		echo "source = ldap"
		echo "ldap_uri = $LDAPI_URI"
		echo "ldap_base = $BASE"
		echo "ldap_sasl_mech = EXTERNAL"
		echo "ldap_timeout = 3600"
		echo "mapping = $here/mapping.xml"
		echo "repository = $work/$mode.git"
		echo "table_shards = ${BENCH_SHARDS:-4096}"
		[ $mode = resync ] || printf 'feed = persist\ndebounce = 0\n'
	} > "$work/$mode.conf"
done

echo "== splitsync resync, $users users"
timeout 3600 perf record -q -F 499 --call-graph dwarf,16384 \
    -o "$work/resync.data" "$bin" -q resync -c "$work/resync.conf" \
    > /dev/null 2>&1
top "$work/resync.data"

echo
echo "== splitsync run: $nchanges single changes after the refresh, $users users"
"$bin" -q run -c "$work/persist.conf" 2> "$work/agent.log" &
agent=$!
ref=$work/persist.git/refs/heads/main
k=0
while [ ! -s "$ref" ]; do
	kill -0 "$agent" 2>/dev/null || { cat "$work/agent.log" >&2; exit 1; }
	k=$((k + 1))
	[ $k -lt 36000 ] || { echo "profile.sh: no refresh" >&2; exit 1; }
	sleep 0.1
done
sleep 1
# shellcheck disable=SC2046
cc -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -O2 \
    -o "$work/persist-client" "$here/persist-client.c" \
    $(pkg-config --cflags --libs ldap)
awk -v n="$users" -v count="$nchanges" -f "$here/directory.awk" \
    -f "$here/changes.awk" > "$work/changes"
perf record -q -F 499 --call-graph dwarf,16384 -p "$agent" \
    -o "$work/persist.data" > /dev/null 2>&1 &
perf=$!
sleep 1
"$work/persist-client" "$LDAPI_URI" "$ref" "$work/changes" 600000 \
    "$work/persist.tsv"
kill -INT "$perf"
wait "$perf" || true
awk '{ printf "change: %.0f ms\n", $3 / 1000 }' "$work/persist.tsv"
top "$work/persist.data"
