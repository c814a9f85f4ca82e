#!/bin/sh
# latency.sh SPLITSYNC [USERS] [CHANGES] - only the persist part of the
# benchmark: time from an LDAP modify to its commit on the branch, with
# splitsync run (feed = persist, debounce 0) against a private slapd
# holding USERS synthetic users (default 10000, at least 1000). Also
# reports run's memory and the repository growth per change. See run.sh.
set -eu
[ $# -ge 1 ] || { echo "usage: latency.sh SPLITSYNC [USERS] [CHANGES]" >&2; exit 2; }
BENCH_SIZES=${2:-10000} BENCH_CHANGES=${3:-50} BENCH_PARTS=persist \
    exec bash "$(dirname "$0")/run.sh" "$1"
