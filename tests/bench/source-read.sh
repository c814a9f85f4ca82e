#!/bin/bash
# source-read.sh [USERS] [ROUNDS] [MODES] - the LDAP source against ldapsearch
#
# DESCRIPTION
#	Builds tests/bench/source-read.c with the sources of agent/ (-O2,
#	as the release binary), loads the benchmark's synthetic directory
#	of USERS users (default 100000) into a private slapd (bench-slapd),
#	warms it up, then runs ROUNDS rounds (default 5), each timing in
#	turn ldapsearch -LLL -o ldif-wrap=no -E pr=500/noprompt to
#	/dev/null and source-read in each of MODES (default "view entry"),
#	all with the filter and attributes of tests/bench/mapping.xml.
#	Prints each time (and the client's CPU time, user + system), then
#	per tool the median time and CPU time, and per mode the median of
#	its per-round ratio to ldapsearch. PERF=MODE records one more run
#	of that mode with perf record -g and prints the top functions.
#
# DIAGNOSTICS
#	Exit status 0, or 1 when a step failed. The slapd and the temporary
#	directory are removed on exit.
if [ -z "${BASH_VERSION:-}" ]; then
	exec bash "$0" "$@"
fi
set -eu
set -o pipefail
export LC_ALL=C LDAPNOINIT=1
PATH=$PATH:/usr/sbin:/usr/local/sbin
users=${1:-100000}
rounds=${2:-5}
modes=${3:-view entry}
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/splitsync-source-read.XXXXXX")
cleanup() {
	sh "$here/bench-slapd" stop "$work/slapd" >/dev/null 2>&1 || true
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# The search the bench mapping makes splitsync send (as run.sh).
FILTER='(|(objectClass=splitsyncDomain)(objectClass=groupOfNames)(&(objectClass=inetOrgPerson)(mail=*)))'
ATTRS="objectClass entryUUID associatedDomain splitsyncRelay
splitsyncForwardUnknown member uniqueMember memberUid memberOf uid mail
mailAlternateAddress description splitsyncExternalAddress"

# now_us - microseconds, wall clock
now_us() {
	local t=$EPOCHREALTIME
	echo "${t/./}"
}

# median FILE - median of a column of numbers (the lower one of two)
median() {
	sort -n "$1" | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'
}

# secs US - microseconds as seconds
secs() {
	awk -v us="$1" 'BEGIN { printf "%.3f", us / 1e6 }'
}

cd "$top"
make --no-print-directory build/gen/mapping_rng.c build/gen/layouts.c \
    > /dev/null
srcs=()
for f in agent/*.c; do
	[ "$f" = agent/main.c ] || srcs+=("$f")
done
# shellcheck disable=SC2046
cc -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -O2 -g -Iinclude \
    -DSPLITSYNC_VERSION='"bench"' -o "$work/source-read" \
    "$here/source-read.c" "${srcs[@]}" \
    build/gen/mapping_rng.c build/gen/layouts.c \
    $(pkg-config --cflags --libs ldap libxml-2.0 libgit2 zlib gnutls nettle)
mkdir "$work/slapd"
awk -v n="$users" -f "$here/directory.awk" -f "$here/gen-directory.awk" \
    > "$work/directory.ldif"
sh "$here/bench-slapd" start "$work/slapd" \
    "$work/directory.ldif" --owner $$ > /dev/null
# shellcheck disable=SC1091
. "$work/slapd/env"

# dump - the floor: ldapsearch printing the same entries to /dev/null
dump() {
	# shellcheck disable=SC2086
	ldapsearch -LLL -o ldif-wrap=no -E pr=500/noprompt -H "$LDAPI_URI" \
	    -Y EXTERNAL -Q -b "$BASE" "$FILTER" $ATTRS > /dev/null
}

reader() {
	"$work/source-read" "$here/mapping.xml" "$LDAPI_URI" "$BASE" "$1" 1
}

# timed NAME OUT CMD... - run CMD, its output into OUT; append its wall
# and CPU microseconds to $work/NAME and $work/NAME.cpu
timed() {
	local name=$1 out=$2 t0 t1
	shift 2
	t0=$(now_us)
	/usr/bin/time -f '%U %S' -o "$work/cpu" "$@" > "$out"
	t1=$(now_us)
	echo "$((t1 - t0))" >> "$work/$name"
	awk '{ printf "%d\n", ($1 + $2) * 1e6 }' "$work/cpu" \
	    >> "$work/$name.cpu"
	last=$((t1 - t0))
	last_cpu=$(tail -n 1 "$work/$name.cpu")
}

dump
for m in $modes; do
	reader "$m" > /dev/null
done
for r in $(seq 1 "$rounds"); do
	# shellcheck disable=SC2086
	timed ldapsearch /dev/null ldapsearch -LLL -o ldif-wrap=no \
	    -E pr=500/noprompt -H "$LDAPI_URI" -Y EXTERNAL -Q -b "$BASE" \
	    "$FILTER" $ATTRS
	ls_us=$last
	printf 'round %s: ldapsearch %s s (cpu %s s)' "$r" "$(secs "$ls_us")" \
	    "$(secs "$last_cpu")"
	for m in $modes; do
		timed "$m" "$work/out" "$work/source-read" "$here/mapping.xml" \
		    "$LDAPI_URI" "$BASE" "$m" 1
		echo "$last $ls_us" | awk '{ printf "%.4f\n", $1 / $2 }' \
		    >> "$work/$m.ratio"
		printf ', %s %s s (cpu %s s; %s)' "$m" "$(secs "$last")" \
		    "$(secs "$last_cpu")" \
		    "$(sed 's/^[a-z]*: //; s/, [0-9.]* s$//' "$work/out")"
	done
	echo
done
printf 'median: ldapsearch %s s, cpu %s s\n' \
    "$(secs "$(median "$work/ldapsearch")")" \
    "$(secs "$(median "$work/ldapsearch.cpu")")"
for m in $modes; do
	printf 'median: %s %s s, cpu %s s, ratio to ldapsearch %s\n' "$m" \
	    "$(secs "$(median "$work/$m")")" \
	    "$(secs "$(median "$work/$m.cpu")")" "$(median "$work/$m.ratio")"
done
if [ -n "${PERF:-}" ]; then
	perf record -q -g -o "$work/perf.data" "$work/source-read" \
	    "$here/mapping.xml" "$LDAPI_URI" "$BASE" "$PERF" 1 > /dev/null
	perf report -i "$work/perf.data" --stdio --no-children \
	    --sort dso,symbol -g none 2>/dev/null | grep -v '^#' |
	    grep -v '^$' | awk 'NR <= 30'
fi
