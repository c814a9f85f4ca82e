#!/bin/sh
# admin-pipeline.sh LDAPI_URI BASE DIR FILTER ATTR... - the baseline:
# the script an administrator writes instead of splitsync. One paged
# ldapsearch piped into awk (admin-tables.awk), each table sorted, then
# git add and commit in the work tree DIR (created when missing).
# Exit status: that of the first step that failed.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
uri=$1 base=$2 dir=$3 filter=$4
shift 4
LDAPNOINIT=1
export LDAPNOINIT
[ -d "$dir/.git" ] || git init -q "$dir"
rm -f "$dir/ldapsearch.failed"
{ ldapsearch -LLL -o ldif-wrap=no -E pr=500/noprompt -H "$uri" \
    -Y EXTERNAL -Q -b "$base" "$filter" "$@" ||
    : > "$dir/ldapsearch.failed"; } |
	awk -v out="$dir" -f "$here/admin-tables.awk"
if [ -e "$dir/ldapsearch.failed" ]; then
	rm -f "$dir/ldapsearch.failed"
	echo "admin-pipeline.sh: ldapsearch failed" >&2
	exit 1
fi
for t in virtual_domains virtual_mailbox virtual_alias transport \
    master_relay_transport; do
	touch "$dir/$t"
	LC_ALL=C sort -u -o "$dir/$t" "$dir/$t"
done
git -C "$dir" add -A
git -C "$dir" -c user.name=admin -c user.email=admin@localhost \
    commit -q -m "routing update" || true
