#!/bin/sh
# latency.sh SPLITSYNC [USERS] [CHANGES] - time from an LDAP modify to
# its commit on the branch, with splitsync run (feed = persist,
# debounce 0) against a private slapd holding USERS synthetic users.
# Prints p50, p90, p99 and max in milliseconds.
set -eu
bin=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
users=${2:-1000}
changes=${3:-50}
top=$(cd "$(dirname "$0")/../.." && pwd)
ctl="$top/tests/slapd/slapd-ctl"
work=$(mktemp -d "${TMPDIR:-/tmp}/splitsync-latency.XXXXXX")
agent=
cleanup() {
	[ -n "$agent" ] && kill "$agent" 2>/dev/null
	sh "$ctl" stop "$work/slapd" >/dev/null 2>&1 || true
	rm -rf "$work"
}
trap cleanup EXIT INT TERM

mkdir "$work/slapd"
sh "$ctl" start "$work/slapd" >/dev/null
. "$work/slapd/env"
sh "$ctl" load "$work/slapd" "$top/tests/slapd/base.ldif" >/dev/null
awk -v n="$users" 'BEGIN {
	printf "dn: cn=legacy-users,ou=groups,dc=example,dc=com\n"
	printf "objectClass: groupOfNames\ncn: legacy-users\n"
	printf "member: uid=u0,ou=people,dc=example,dc=com\n\n"
	for (i = 0; i < n; i++) {
		printf "dn: uid=u%d,ou=people,dc=example,dc=com\n", i
		printf "objectClass: inetOrgPerson\nobjectClass: splitsyncMailUser\n"
		printf "uid: u%d\ncn: u%d\nsn: u%d\nmail: u%d@example.com\n", i, i, i, i
		printf "mailAlternateAddress: alias%d@example.com\n\n", i
	}
}' > "$work/users.ldif"
sh "$ctl" load "$work/slapd" "$work/users.ldif" >/dev/null
cat > "$work/splitsync.conf" <<CONF
source = ldap
ldap_uri = $LDAPI_URI
ldap_base = dc=example,dc=com
ldap_sasl_mech = EXTERNAL
mapping = $top/examples/quickstart/mapping.xml
repository = $work/routing.git
feed = persist
debounce = 0
CONF
"$bin" -q run -c "$work/splitsync.conf" 2> "$work/agent.log" &
agent=$!
ref=$work/routing.git/refs/heads/main
i=0
while [ ! -s "$ref" ]; do
	sleep 0.1
	i=$((i + 1))
	[ $i -lt 600 ] || { cat "$work/agent.log"; exit 1; }
done

: > "$work/times"
k=0
while [ $k -lt "$changes" ]; do
	before=$(cat "$ref")
	u=$((k % users))
	printf 'dn: uid=u%d,ou=people,dc=example,dc=com\nchangetype: modify\nreplace: mailAlternateAddress\nmailAlternateAddress: alias%d.%d@example.com\n' \
	    "$u" "$u" "$k" > "$work/change.ldif"
	t0=$(date +%s%N)
	LDAPNOINIT=1 ldapmodify -H "$LDAPI_URI" -Y EXTERNAL -Q -f "$work/change.ldif" >/dev/null
	while [ "$(cat "$ref")" = "$before" ]; do :; done
	t1=$(date +%s%N)
	echo $(( (t1 - t0) / 1000 )) >> "$work/times"
	k=$((k + 1))
done
sort -n "$work/times" | awk -v users="$users" '
function pct(q,   i) { i = int(NR * q + 0.5); if (i < 1) i = 1; if (i > NR) i = NR; return v[i] / 1000 }
{ v[NR] = $1 }
END {
	printf "users %d, changes %d: p50 %.1f ms, p90 %.1f ms, p99 %.1f ms, max %.1f ms\n",
	    users, NR, pct(0.50), pct(0.90), pct(0.99), pct(1)
}'
