#!/bin/bash
# run.sh SPLITSYNC - the splitsync benchmark (make bench)
#
# SYNOPSIS
#	bash tests/bench/run.sh ./splitsync	(make bench)
#	BENCH_SIZES=1000000 make bench
#
# DESCRIPTION
#	For each size N of BENCH_SIZES, generates a synthetic directory of
#	N users (gen-directory.awk), loads it with slapadd into a private
#	slapd (bench-slapd: mdb, syncprov, ldapi), and measures in one run,
#	each figure beside a baseline measured in the same run:
#
#	resync	splitsync resync over ldapi + SASL EXTERNAL into a new
#		repository; against ldapsearch dumping the same entries
#		and attributes (same filter, paged by 500) to /dev/null,
#		and against the administrator's pipeline (admin-pipeline.sh:
#		ldapsearch | awk | sort, git add + commit). BENCH_REPS
#		rounds, the tools interleaved; medians. Also a second
#		resync with nothing to commit. The tables of splitsync and
#		of the pipeline are compared, and slapd's log is checked
#		for the search splitsync sent.
#	persist	splitsync run (feed persist, debounce 0): time from
#		sending an LDAP modify to the new commit on the branch
#		(persist-client: one bound connection, inotify on the ref),
#		one change at a time; the modify's round trip is the floor.
#	memory	peak RSS of resync (/usr/bin/time, else getrusage through
#		python3) and VmHWM of run after its refresh and after the
#		changes, per directory entry selected; against the LDIF
#		bytes of those entries (what ldapsearch prints).
#	growth	bytes of git objects each commit of run added (on-disk,
#		zlib-compressed loose objects), and where they go;
#		against the pipeline committing single changes.
#
#	Prints a report in Markdown on stdout (progress on stderr).
#	Every step has a timeout; servers, agents and temp files are
#	removed on exit, interrupted or not.
#
# ENVIRONMENT
#	BENCH_SIZES	users per directory (default "10000 100000"; each
#			at least 1000)
#	BENCH_REPS	resync rounds (default 3)
#	BENCH_CHANGES	changes sent in the persist test (default 300)
#	BENCH_PERSIST_BUDGET	seconds after which no more changes are
#			sent (default 600): at large sizes every change takes
#			seconds
#	BENCH_ADMIN_CHANGES	single changes the pipeline commits for
#			the growth baseline (default 3)
#	BENCH_PARTS	any of "resync persist" (default both; growth
#			needs persist)
#	BENCH_TIMEOUT	seconds any one step may take (default 3600)
#	BENCH_CHANGE_TIMEOUT	seconds one change may take to be committed
#			(default 600)
#	BENCH_SHARDS	table_shards for splitsync (default 4096; 0: one
#			file per table)
#	BENCH_RESULTS	a directory to copy the raw measurements into
#	TMPDIR		where the directories and repositories are made
#
# DIAGNOSTICS
#	Exit status 0 when every measurement ran; 1 when a step failed or
#	timed out (the report so far is printed), 2 on a usage error.
#	Targets missed do not fail the run: they are reported.
# Bash is needed (pipefail, EPOCHREALTIME): run by sh, start again.
if [ -z "${BASH_VERSION:-}" ]; then
	exec bash "$0" "$@"
fi
set -eu
set -o pipefail -o errtrace
export LC_ALL=C LDAPNOINIT=1
PATH=$PATH:/usr/sbin:/usr/local/sbin
export PATH

# die MSG - a step failed: exit 1 (cleanup prints the report so far)
die() {
	echo "run.sh: $*" >&2
	exit 1
}

[ $# -eq 1 ] || { echo "usage: run.sh SPLITSYNC" >&2; exit 2; }
[ -x "$1" ] || { echo "run.sh: $1: not an executable" >&2; exit 2; }
here=$(cd "$(dirname "$0")" && pwd)

sizes=${BENCH_SIZES:-10000 100000}
reps=${BENCH_REPS:-3}
nchanges=${BENCH_CHANGES:-300}
budget=${BENCH_PERSIST_BUDGET:-600}
admin_changes=${BENCH_ADMIN_CHANGES:-3}
parts=${BENCH_PARTS:-resync persist}
step_timeout=${BENCH_TIMEOUT:-3600}
change_timeout=${BENCH_CHANGE_TIMEOUT:-600}
BENCH_SHARDS=${BENCH_SHARDS:-4096}
case $BENCH_SHARDS in
0|16|256|4096|65536) ;;
*) echo "run.sh: BENCH_SHARDS must be 0, 16, 256, 4096 or 65536" >&2; exit 2 ;;
esac
for v in "$reps" "$nchanges" "$budget" "$admin_changes" "$step_timeout" \
    "$change_timeout" \
    $sizes; do
	case $v in
	''|*[!0-9]*|0) echo "run.sh: not a positive number: '$v'" >&2; exit 2 ;;
	esac
	[ ${#v} -le 9 ] || { echo "run.sh: too large: $v" >&2; exit 2; }
done
for n in $sizes; do
	[ "$n" -ge 1000 ] || { echo "run.sh: size $n < 1000" >&2; exit 2; }
done
want() {
	case " $parts " in *" $1 "*) return 0 ;; esac
	return 1
}

# The search the bench mapping makes splitsync send (see mapping.xml).
FILTER='(|(objectClass=splitsyncDomain)(objectClass=groupOfNames)(&(objectClass=inetOrgPerson)(mail=*)))'
ATTRS="objectClass entryUUID associatedDomain splitsyncRelay
splitsyncForwardUnknown member uniqueMember memberUid memberOf uid mail
mailAlternateAddress description splitsyncExternalAddress"
BASE=dc=example,dc=com
TABLES="virtual_domains virtual_mailbox virtual_alias transport master_relay_transport"

work=$(mktemp -d "${TMPDIR:-/tmp}/splitsync-bench.XXXXXX")
agent=
slapdir=
reported=
cleanup() {
	local rc=$?
	trap - EXIT INT TERM ERR
	if [ $rc -ne 0 ] && [ -z "$reported" ] && [ -s "$work/results" ]; then
		echo "run.sh: failed; the measurements made so far:" >&2
		report || true
	fi
	if [ -n "$agent" ] && kill -0 "$agent" 2>/dev/null; then
		kill -TERM "$agent" 2>/dev/null || true
		sleep 1
		kill -KILL "$agent" 2>/dev/null || true
	fi
	[ -z "$slapdir" ] || sh "$here/bench-slapd" stop "$slapdir" \
	    >/dev/null 2>&1 || true
	if [ -n "${BENCH_RESULTS:-}" ]; then
		mkdir -p "$BENCH_RESULTS"
		cp "$work/results" "$BENCH_RESULTS/" 2>/dev/null || true
		for n in $sizes; do
			[ -d "$work/$n" ] || continue
			mkdir -p "$BENCH_RESULTS/$n"
			cp "$work/$n"/*.tsv "$work/$n/agent.log" \
			    "$BENCH_RESULTS/$n/" 2>/dev/null || true
		done
	fi
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
trap 'echo "run.sh: line $LINENO: a command failed" >&2' ERR
# A copy: a rebuild of the tree during the run changes nothing here.
bin=$work/splitsync
cp "$1" "$bin"

log() {
	echo "bench: $*" >&2
}

# put SIZE KEY VALUE - one result
put() {
	printf '%s %s %s\n' "$1" "$2" "$3" >> "$work/results"
}

# get SIZE KEY - a result, or "n/a"
get() {
	awk -v n="$1" -v k="$2" '$1 == n && $2 == k { v = $3 } END {
		print v == "" ? "n/a" : v }' "$work/results"
}

# now_us - microseconds, wall clock
now_us() {
	local t=$EPOCHREALTIME
	echo "${t/./}"
}

# bounded CMD... - the command under the step timeout
bounded() {
	timeout -k 10 "$step_timeout" "$@"
}

# timed OUT CMD... - run CMD, append "elapsed_us maxrss_kB" to OUT
timed() {
	local out=$1 t0 t1 rc=0
	shift
	t0=$(now_us)
	if [ -x /usr/bin/time ]; then
		bounded /usr/bin/time -f %M -o "$work/rss" "$@" || rc=$?
	else
		bounded python3 -c '
import resource, subprocess, sys
rc = subprocess.call(sys.argv[2:])
with open(sys.argv[1], "w") as f:
    f.write("%d\n" % resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
sys.exit(rc)' "$work/rss" "$@" || rc=$?
	fi
	t1=$(now_us)
	[ $rc -eq 0 ] || return $rc
	echo "$((t1 - t0)) $(tail -n 1 "$work/rss")" >> "$out"
}

# median FILE COLUMN - median of a column (the lower one of two)
median() {
	sort -n -k "$2,$2" "$1" | awk -v c="$2" '{ v[NR] = $c }
	    END { print NR ? v[int((NR + 1) / 2)] : "n/a" }'
}

# vm_hwm PID - VmHWM of a process in kB
vm_hwm() {
	awk '$1 == "VmHWM:" { print $2 }' "/proc/$1/status"
}

# ldap_dump - the floor: the entries and attributes splitsync reads
ldap_dump() {
	# shellcheck disable=SC2086
	ldapsearch -LLL -o ldif-wrap=no -E pr=500/noprompt -H "$LDAPI_URI" \
	    -Y EXTERNAL -Q -b "$BASE" "$FILTER" $ATTRS
}

ldap_dump_null() {
	ldap_dump > /dev/null
}
export -f ldap_dump ldap_dump_null
export BASE FILTER ATTRS

# write_conf FILE REPO [persist] - a splitsync configuration
write_conf() {
	{
		echo "source = ldap"
		echo "ldap_uri = $LDAPI_URI"
		echo "ldap_base = $BASE"
		echo "ldap_sasl_mech = EXTERNAL"
		echo "ldap_timeout = 3600"
		echo "mapping = $here/mapping.xml"
		echo "repository = $2"
		[ "$BENCH_SHARDS" = 0 ] || echo "table_shards = $BENCH_SHARDS"
		if [ $# -gt 2 ]; then
			echo "feed = persist"
			echo "debounce = 0"
		fi
	} > "$1"
}

# check_search DIR - slapd saw only the bench search on the base
check_search() {
	local f a
	f=$(grep -o 'SRCH base="dc=example,dc=com".*filter=".*"' \
	    "$slapdir/slapd.log" | sed 's/.*filter="\(.*\)"/\1/' | sort -u)
	a=$(grep -o 'SRCH attr=.*' "$slapdir/slapd.log" |
	    grep -v 'namingContexts' | sort -u)
	[ "$f" = "$FILTER" ] ||
		die "splitsync searched with another filter: $f"
	[ "$a" = "SRCH attr=$(printf '%s' "$ATTRS" | tr '\n' ' ')" ] ||
		die "splitsync asked for other attributes: $a"
}

# resync_part N DIR - the resync comparison and the resync memory
resync_part() {
	local n=$1 d=$2 r
	log "$n: warming up slapd"
	bounded bash -c ldap_dump_null || die "$n: ldapsearch failed"
	for r in $(seq 1 "$reps"); do
		log "$n: resync round $r/$reps"
		timed "$d/ldapsearch.tsv" bash -c ldap_dump_null ||
			die "$n: ldapsearch failed"
		write_conf "$d/resync.conf" "$d/resync-$r.git"
		timed "$d/resync.tsv" "$bin" -q resync -c "$d/resync.conf" \
		    > "$d/resync.out" || die "$n: splitsync resync failed"
		timed "$d/resync-nochange.tsv" "$bin" -q resync \
		    -c "$d/resync.conf" > "$d/resync.out" ||
			die "$n: splitsync resync (no change) failed"
		# shellcheck disable=SC2086
		timed "$d/admin.tsv" sh "$here/admin-pipeline.sh" \
		    "$LDAPI_URI" "$BASE" "$d/admin-$r" "$FILTER" $ATTRS ||
			die "$n: the admin pipeline failed"
		if [ "$r" -eq 1 ]; then
			for t in $TABLES; do
				assembled "$d/resync-1.git" "$t" |
				    cmp -s - "$d/admin-1/$t" ||
					die "$n: table $t differs between" \
					    "splitsync and the admin pipeline"
			done
			check_search
		fi
		[ "$r" -eq 1 ] || rm -rf "$d/resync-$r.git"
		rm -rf "$d/admin-$r"
	done
	paste "$d/resync.tsv" "$d/ldapsearch.tsv" |
	    awk '{ printf "%.6f\n", $1 / $3 }' > "$d/ratio.tsv"
	put "$n" resync_s "$(median "$d/resync.tsv" 1)"
	put "$n" resync_nochange_s "$(median "$d/resync-nochange.tsv" 1)"
	put "$n" ldapsearch_s "$(median "$d/ldapsearch.tsv" 1)"
	put "$n" admin_s "$(median "$d/admin.tsv" 1)"
	put "$n" ratio_median "$(median "$d/ratio.tsv" 1)"
	put "$n" resync_rss_kb "$(median "$d/resync.tsv" 2)"
	put "$n" ldapsearch_rss_kb "$(median "$d/ldapsearch.tsv" 2)"
	put "$n" admin_rss_kb "$(median "$d/admin.tsv" 2)"
	put "$n" tables_identical yes
	put "$n" routes "$(assembled "$d/resync-1.git" .splitsync/routes |
	    wc -l | tr -d ' ')"
	rm -rf "$d/resync-1.git"
}

# persist_part N DIR - run: refresh, single changes, memory, growth
persist_part() {
	local n=$1 d=$2 ref t0 t1 rc=0 k
	write_conf "$d/run.conf" "$d/run.git" persist
	awk -v n="$n" -v count=$((nchanges + admin_changes * 10 + 10)) \
	    -f "$here/directory.awk" -f "$here/changes.awk" > "$d/all-changes"
	head -n "$nchanges" "$d/all-changes" > "$d/changes"
	ref=$d/run.git/refs/heads/main
	log "$n: splitsync run: refresh"
	t0=$(now_us)
	"$bin" run -c "$d/run.conf" 2> "$d/agent.log" &
	agent=$!
	while [ ! -s "$ref" ]; do
		kill -0 "$agent" 2>/dev/null || {
			tail -n 20 "$d/agent.log" >&2
			die "$n: splitsync run stopped"
		}
		[ $(( $(now_us) - t0 )) -lt $((step_timeout * 1000000)) ] ||
			die "$n: no first commit from splitsync run"
		sleep 0.02
	done
	t1=$(now_us)
	put "$n" run_refresh_s "$((t1 - t0))"
	put "$n" run_hwm_refresh_kb "$(vm_hwm "$agent")"
	git --git-dir="$d/run.git" rev-parse main > "$d/first-commit"
	log "$n: splitsync run: up to $nchanges changes, at most ${budget} s"
	"$work/persist-client" "$LDAPI_URI" "$ref" "$d/changes" \
	    $((change_timeout * 1000)) "$d/persist.tsv" $((budget * 1000)) ||
		rc=$?
	[ $rc -eq 0 ] || die "$n: persist-client failed ($rc)"
	put "$n" run_hwm_changes_kb "$(vm_hwm "$agent")"
	kill -TERM "$agent"
	k=0
	while kill -0 "$agent" 2>/dev/null && [ $k -lt 600 ]; do
		sleep 0.1
		k=$((k + 1))
	done
	kill -0 "$agent" 2>/dev/null && die "$n: splitsync run ignored TERM"
	wait "$agent" || die "$n: splitsync run exited with $?"
	agent=
	latency_stats "$n" "$d"
	growth "$n" "$d"
	admin_growth "$n" "$d"
}

# latency_stats N DIR - percentiles of the persist test
latency_stats() {
	local n=$1 d=$2
	awk '{ print $3 }' "$d/persist.tsv" | sort -n > "$d/commit.sorted"
	awk '{ print $2 }' "$d/persist.tsv" | sort -n > "$d/modify.sorted"
	put "$n" changes "$(wc -l < "$d/persist.tsv" | tr -d ' ')"
	for p in 50 90 99 100; do
		put "$n" "commit_p$p" "$(pct "$d/commit.sorted" $p)"
		put "$n" "modify_p$p" "$(pct "$d/modify.sorted" $p)"
	done
	for kind in alias member; do
		awk -v k=$kind '$1 == k { print $3 }' "$d/persist.tsv" |
		    sort -n > "$d/commit-$kind.sorted"
		put "$n" "commit_${kind}_p50" "$(pct "$d/commit-$kind.sorted" 50)"
	done
	# The first and the last tenth: does a change cost more as commits
	# pile up?
	awk '{ v[NR] = $3 } END { t = int(NR / 10); if (t < 1) t = 1
		for (i = 1; i <= t; i++) { a += v[i]; b += v[NR - t + i] }
		printf "%d %d\n", a / t, b / t }' "$d/persist.tsv" > "$d/drift"
	put "$n" commit_first_tenth_mean "$(cut -d' ' -f1 "$d/drift")"
	put "$n" commit_last_tenth_mean "$(cut -d' ' -f2 "$d/drift")"
}

# pct FILE P - nearest-rank percentile of a sorted column
pct() {
	awk -v p="$2" '{ v[NR] = $1 } END {
		if (NR == 0) { print "n/a"; exit }
		i = int(NR * p / 100); if (i < NR * p / 100) i++
		if (i < 1) i = 1
		print v[i] }' "$1"
}

# assembled GITDIR PATH - the file PATH at main, or its shards PATH.d
# joined and sorted, as the deploy step assembles them
assembled() {
	if git --git-dir="$1" cat-file -e "main:$2.d" 2>/dev/null; then
		git --git-dir="$1" archive --format=tar main "$2.d" |
		    tar -xOf - | sort
	else
		git --git-dir="$1" show "main:$2"
	fi
}

# new_objects GITDIR COMMIT - "disk_bytes path" of the objects COMMIT
# added to its parent's
new_objects() {
	git --git-dir="$1" rev-list --objects "$2" --not "$2^" |
	    while read -r oid path; do
		printf '%s %s\n' "$(git --git-dir="$1" cat-file \
		    --batch-check='%(objectsize:disk)' <<< "$oid")" \
		    "${path:-(commit)}"
	    done
}

# growth N DIR - bytes per commit of run, and where they go
growth() {
	local n=$1 d=$2 g="git --git-dir=$2/run.git" c
	: > "$d/growth.tsv"
	for c in $($g rev-list main --not "$(cat "$d/first-commit")"); do
		# shellcheck disable=SC2046
		$g rev-list --objects "$c" --not "$c^" | cut -d' ' -f1 |
		    $g cat-file --batch-check='%(objectsize:disk)' |
		    awk '{ s += $1 } END { print s + 0 }' >> "$d/growth.tsv"
	done
	put "$n" growth_commits "$(wc -l < "$d/growth.tsv" | tr -d ' ')"
	put "$n" growth_median_bytes "$(median "$d/growth.tsv" 1)"
	put "$n" growth_max_bytes "$(sort -n "$d/growth.tsv" | tail -n 1)"
	# Where the bytes of the first change go (no head: SIGPIPE).
	$g rev-list main --not "$(cat "$d/first-commit")" > "$d/commits"
	c=$(tail -n 1 "$d/commits")
	new_objects "$d/run.git" "$c" | awk '
		$2 ~ /^\.splitsync\/mirror\// { m += $1; next }
		$2 ~ /^\.splitsync\/routes/ { r += $1; next }
		$2 ~ /^(virtual_|transport|master_)/ { t += $1; next }
		{ o += $1 }
		END { printf "%d %d %d %d\n", t, r, m, o }' > "$d/split"
	put "$n" growth_last_tables "$(cut -d' ' -f1 "$d/split")"
	put "$n" growth_last_routes "$(cut -d' ' -f2 "$d/split")"
	put "$n" growth_last_mirror "$(cut -d' ' -f3 "$d/split")"
	put "$n" growth_last_trees "$(cut -d' ' -f4 "$d/split")"
	put "$n" repo_kib "$($g count-objects -v | awk '
	    $1 == "size:" || $1 == "size-pack:" { s += $2 } END { print s }')"
	# What fetching one commit transfers: a thin pack, deltas against
	# the parent (the last three commits).
	: > "$d/thin.tsv"
	awk 'NR <= 3' "$d/commits" > "$d/last-commits"
	while read -r c; do
		printf '%s\n^%s^\n' "$c" "$c" |
		    bounded git --git-dir="$d/run.git" pack-objects --revs \
		    --thin --stdout -q | wc -c | tr -d ' ' >> "$d/thin.tsv"
	done < "$d/last-commits"
	put "$n" growth_thin_bytes "$(median "$d/thin.tsv" 1)"
}

# admin_growth N DIR - the pipeline committing single changes
admin_growth() {
	local n=$1 d=$2 i line a=$2/admin-growth
	# shellcheck disable=SC2086
	bounded sh "$here/admin-pipeline.sh" "$LDAPI_URI" "$BASE" "$a" \
	    "$FILTER" $ATTRS || die "$n: the admin pipeline failed"
	: > "$d/admin-growth.tsv"
	i=0
	# Alias changes the persist test did not send.
	awk -v from=$((nchanges + 1)) -v max="$admin_changes" \
	    'NR >= from && /^alias/ && k < max { print; k++ }' \
	    "$d/all-changes" > "$d/admin-changes"
	while IFS= read -r line; do
		printf '%s\n' "$line" | awk -F '\t' '{
			printf "dn: %s\nchangetype: modify\n%s: %s\n", $2, $3, $4
			for (i = 5; i <= NF; i++) printf "%s: %s\n", $4, $i }' |
		    bounded ldapmodify -H "$LDAPI_URI" -Y EXTERNAL -Q > /dev/null ||
			die "$n: ldapmodify failed"
		# shellcheck disable=SC2086
		bounded sh "$here/admin-pipeline.sh" "$LDAPI_URI" "$BASE" "$a" \
		    "$FILTER" $ATTRS || die "$n: the admin pipeline failed"
		git -C "$a" rev-list --objects HEAD --not HEAD^ | cut -d' ' -f1 |
		    git -C "$a" cat-file --batch-check='%(objectsize:disk)' |
		    awk '{ s += $1 } END { print s + 0 }' >> "$d/admin-growth.tsv"
		i=$((i + 1))
	done < "$d/admin-changes"
	put "$n" admin_growth_median_bytes "$(median "$d/admin-growth.tsv" 1)"
	rm -rf "$a"
}

# bench_size N - everything for one size
bench_size() {
	local n=$1 d=$work/$1 t0 t1
	mkdir -p "$d/slapd"
	put "$n" load_before "$(cut -d' ' -f1 /proc/loadavg)"
	log "$n: generating the directory"
	awk -v n="$n" -f "$here/directory.awk" -f "$here/gen-directory.awk" \
	    > "$d/directory.ldif"
	put "$n" ldif_bytes "$(wc -c < "$d/directory.ldif" | tr -d ' ')"
	log "$n: slapadd and start slapd"
	slapdir=$d/slapd
	t0=$(now_us)
	bounded sh "$here/bench-slapd" start "$slapdir" "$d/directory.ldif" \
	    --owner $$ || die "$n: slapd did not start"
	t1=$(now_us)
	put "$n" slapadd_s "$((t1 - t0))"
	rm -f "$d/directory.ldif"
	# shellcheck disable=SC1091
	. "$slapdir/env"
	export LDAPI_URI
	# What the filter selects, and its size as ldapsearch prints it.
	bounded bash -c ldap_dump > "$d/dump.ldif" ||
		die "$n: ldapsearch failed"
	put "$n" entries "$(grep -c '^dn: ' "$d/dump.ldif")"
	put "$n" dump_bytes "$(wc -c < "$d/dump.ldif" | tr -d ' ')"
	rm -f "$d/dump.ldif"
	if want resync; then
		resync_part "$n" "$d"
	fi
	if want persist; then
		persist_part "$n" "$d"
	fi
	sh "$here/bench-slapd" stop "$slapdir" || true
	slapdir=
	put "$n" load_after "$(cut -d' ' -f1 /proc/loadavg)"
	rm -rf "$d/slapd" "$d"/*.git "$d"/admin-*
}

# --- the report ----------------------------------------------------

# s US - seconds with 2 decimals; ms US - milliseconds with 1
s() {
	awk -v v="$1" 'BEGIN { if (v == "n/a") print v; else printf "%.2f", v / 1e6 }'
}

ms() {
	awk -v v="$1" 'BEGIN { if (v == "n/a") print v; else printf "%.1f ms", v / 1e3 }'
}

# div A B [FMT] - A / B
div() {
	awk -v a="$1" -v b="$2" -v f="${3:-%.2f}" 'BEGIN {
		if (a == "n/a" || b == "n/a" || b == 0) print "n/a"
		else printf f, a / b }'
}

# f2 V - V with 2 decimals
f2() {
	awk -v v="$1" 'BEGIN { if (v == "n/a") print v; else printf "%.2f", v }'
}

# per_entry KB ENTRIES - bytes per entry, rounded
per_entry() {
	awk -v k="$1" -v e="$2" 'BEGIN {
		if (k == "n/a" || e == "n/a" || e == 0) print "n/a"
		else printf "%.0f", k * 1024 / e }'
}

# mib KB - MiB, rounded
mib() {
	div "$1" 1024 "%.0f"
}

# verdict VALUE TARGET - "met (x0.52 of the target)" or "missed (x3.1)"
verdict() {
	awk -v v="$1" -v t="$2" 'BEGIN {
		if (v == "n/a") { print "not measured"; exit }
		r = v / t
		if (v <= t) printf "met (%.2fx the target)", r
		else printf "**missed: %.1fx the target**", r }'
}

report() {
	local n
	echo "### Sizes: $sizes"
	echo
	echo "Machine: $(nproc) cores, $(awk '/MemTotal/ {
	    printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo),"\
	    "$(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo);"\
	    "$(slapd -VV 2>&1 | sed -n 's/.*\(slapd [0-9][^ ]*\).*/\1/p' |
	    awk 'NR == 1'); libgit2 $(pkg-config --modversion libgit2 2>/dev/null ||
	    echo '?'); $("$bin" --version 2>&1 | awk 'NR == 1')"
	echo
	echo "| users | entries selected | LDIF of them | slapadd + start | load average before / after |"
	echo "| ---: | ---: | ---: | ---: | ---: |"
	for n in $sizes; do
		echo "| $n | $(get "$n" entries) | $(div "$(get "$n" dump_bytes)" \
		    1048576 "%.1f MiB") | $(s "$(get "$n" slapadd_s)") s |" \
		    "$(get "$n" load_before) / $(get "$n" load_after) |"
	done
	echo
	if want resync; then
		echo "#### Full resync (median of $reps rounds)"
		echo
		echo "| users | ldapsearch (floor) | splitsync resync | ratio to ldapsearch | admin pipeline | splitsync / pipeline | resync, nothing to commit |"
		echo "| ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
		for n in $sizes; do
			echo "| $n | $(s "$(get "$n" ldapsearch_s)") s |" \
			    "$(s "$(get "$n" resync_s)") s |" \
			    "$(f2 "$(get "$n" ratio_median)") |" \
			    "$(s "$(get "$n" admin_s)") s |" \
			    "$(div "$(get "$n" resync_s)" "$(get "$n" admin_s)") |" \
			    "$(s "$(get "$n" resync_nochange_s)") s |"
		done
		echo
		echo "Ratio: the median of the per-round ratios. Tables of splitsync and of the pipeline identical at every size: $(for n in $sizes; do get "$n" tables_identical; done | sort -u | tr '\n' ' ')"
		echo
	fi
	if want persist; then
		echo "#### Persist: LDAP modify to commit (debounce 0)"
		echo
		echo "| users | changes | p50 | p90 | p99 | max | modify round trip p50 / p99 (floor) | p50 / floor p50 | alias p50 | member p50 | first / last tenth mean | refresh |"
		echo "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
		for n in $sizes; do
			echo "| $n | $(get "$n" changes) |" \
			    "$(ms "$(get "$n" commit_p50)") |" \
			    "$(ms "$(get "$n" commit_p90)") |" \
			    "$(ms "$(get "$n" commit_p99)") |" \
			    "$(ms "$(get "$n" commit_p100)") |" \
			    "$(ms "$(get "$n" modify_p50)") / $(ms "$(get "$n" modify_p99)") |" \
			    "$(div "$(get "$n" commit_p50)" "$(get "$n" modify_p50)" "%.0f") |" \
			    "$(ms "$(get "$n" commit_alias_p50)") |" \
			    "$(ms "$(get "$n" commit_member_p50)") |" \
			    "$(ms "$(get "$n" commit_first_tenth_mean)") / $(ms "$(get "$n" commit_last_tenth_mean)") |" \
			    "$(s "$(get "$n" run_refresh_s)") s |"
		done
		echo
	fi
	echo "#### Peak memory per selected entry"
	echo
	echo "| users | LDIF / entry (baseline) | resync peak RSS | per entry | x LDIF | run VmHWM after refresh | per entry | after the changes | per entry | x LDIF | peak of ldapsearch / admin pipeline |"
	echo "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
	for n in $sizes; do
		e=$(get "$n" entries)
		lb=$(div "$(get "$n" dump_bytes)" "$e" "%.0f")
		rr=$(get "$n" resync_rss_kb)
		rh=$(get "$n" run_hwm_refresh_kb)
		rc=$(get "$n" run_hwm_changes_kb)
		echo "| $n | $lb B | $(mib "$rr") MiB | $(per_entry "$rr" "$e") B |" \
		    "$(div "$(per_entry "$rr" "$e")" "$lb" "%.1f") |" \
		    "$(mib "$rh") MiB | $(per_entry "$rh" "$e") B |" \
		    "$(mib "$rc") MiB | $(per_entry "$rc" "$e") B |" \
		    "$(div "$(per_entry "$rc" "$e")" "$lb" "%.1f") |" \
		    "$(mib "$(get "$n" ldapsearch_rss_kb)") / $(mib "$(get "$n" admin_rss_kb)") MiB |"
	done
	echo
	if want persist; then
		echo "#### Repository growth per single-entry change"
		echo
		echo "| users | commits | median bytes / commit | max | tables | .splitsync/routes | mirror shard | trees + commit | admin pipeline / commit (baseline) | ratio | repository after | thin pack / commit (fetched) |"
		echo "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
		for n in $sizes; do
			echo "| $n | $(get "$n" growth_commits) |" \
			    "$(div "$(get "$n" growth_median_bytes)" 1024 "%.0f") KiB |" \
			    "$(div "$(get "$n" growth_max_bytes)" 1024 "%.0f") KiB |" \
			    "$(div "$(get "$n" growth_last_tables)" 1024 "%.0f") KiB |" \
			    "$(div "$(get "$n" growth_last_routes)" 1024 "%.0f") KiB |" \
			    "$(div "$(get "$n" growth_last_mirror)" 1024 "%.0f") KiB |" \
			    "$(div "$(get "$n" growth_last_trees)" 1024 "%.1f") KiB |" \
			    "$(div "$(get "$n" admin_growth_median_bytes)" 1024 "%.0f") KiB |" \
			    "$(div "$(get "$n" growth_median_bytes)" "$(get "$n" admin_growth_median_bytes)" "%.1f") |" \
			    "$(div "$(get "$n" repo_kib)" 1024 "%.0f") MiB |" \
			    "$(div "$(get "$n" growth_thin_bytes)" 1024 "%.1f") KiB |"
		done
		echo
		echo "Bytes: on-disk (zlib) size of the loose git objects each commit adds; the split by path is for the first change (an alias change). Thin pack: what a fetch of one commit transfers (median of the last three)."
		echo
	fi
	echo "#### Targets"
	echo
	echo "| users | target | measured | verdict |"
	echo "| ---: | --- | ---: | --- |"
	for n in $sizes; do
		e=$(get "$n" entries)
		if want resync; then
			echo "| $n | resync / ldapsearch <= 1.15 | $(f2 "$(get "$n" ratio_median)") | $(verdict "$(get "$n" ratio_median)" 1.15) |"
			v=$(div "$(get "$n" resync_nochange_s)" "$(get "$n" ldapsearch_s)")
			echo "| $n | resync with nothing to commit / ldapsearch <= 1.15 | $v | $(verdict "$v" 1.15) |"
			v=$(div "$(get "$n" resync_s)" "$(get "$n" admin_s)")
			echo "| $n | resync / admin pipeline < 1 | $v | $(verdict "$v" 1) |"
			v=$(per_entry "$(get "$n" resync_rss_kb)" "$e")
			echo "| $n | resync memory <= 300 B / entry | $v B | $(verdict "$v" 300) |"
		fi
		if want persist; then
			echo "| $n | persist p50 <= 10 ms | $(ms "$(get "$n" commit_p50)") | $(verdict "$(get "$n" commit_p50)" 10000) |"
			echo "| $n | persist p99 <= 50 ms | $(ms "$(get "$n" commit_p99)") | $(verdict "$(get "$n" commit_p99)" 50000) |"
			echo "| $n | growth <= 16 KiB / change | $(div "$(get "$n" growth_median_bytes)" 1024 "%.0f") KiB | $(verdict "$(get "$n" growth_median_bytes)" 16384) |"
			v=$(per_entry "$(get "$n" run_hwm_refresh_kb)" "$e")
			echo "| $n | run memory after the refresh <= 300 B / entry | $v B | $(verdict "$v" 300) |"
			v=$(per_entry "$(get "$n" run_hwm_changes_kb)" "$e")
			echo "| $n | run memory after the changes <= 300 B / entry | $v B | $(verdict "$v" 300) |"
		fi
	done
	echo
	echo "The targets hold at every size: the ratios at 100k and 1M, memory and growth at 1M; smaller sizes are shown against the same numbers for reference."
}

# --- main ----------------------------------------------------------

command -v ldapsearch >/dev/null 2>&1 || die "ldapsearch not found (ldap-utils)"
command -v git >/dev/null 2>&1 || die "git not found"
: > "$work/results"
# shellcheck disable=SC2046
cc -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -O2 -Wall -Wextra \
    -Werror -Wshadow -Wstrict-prototypes -Wformat=2 \
    -o "$work/persist-client" "$here/persist-client.c" \
    $(pkg-config --cflags --libs ldap) || die "cannot build persist-client"
for n in $sizes; do
	bench_size "$n"
done
reported=1
report
