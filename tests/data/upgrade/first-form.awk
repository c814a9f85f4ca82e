# first-form.awk - a route listing of the second form as 0.1.0 wrote it
#
# SYNOPSIS
#	awk -f first-form.awk DOMAINS OWNERS ROUTES | LC_ALL=C sort
#
# DESCRIPTION
#	Joins .splitsync/domains, the owners and the routes (one file of
#	each, or the shards of each concatenated) back into the first
#	form, "key TAB kind TAB nexthop TAB id TAB dn" per line: the
#	domains' rows with an empty id, each address with the nexthop its
#	domain gives by default when its row leaves it out, and the id and
#	DN of its owner. Fields stay %-encoded as both forms write them.
#	The output is unsorted: sort it bytewise.
BEGIN { FS = OFS = "\t" }
FILENAME == ARGV[1] {
	if (FNR > 2) {
		name = substr($1, 2)
		local[name] = $5
		relay[name] = $6
		print $1, $2, $3, "", $4
	}
	next
}
FILENAME == ARGV[2] { id[$1] = $2; dn[$1] = $3; next }
{
	domain = $1
	sub(/.*@/, "", domain)
	kind = $2 == "e" ? "external" : "internal"
	hop = $3
	if (hop == "")
		hop = kind == "external" ? relay[domain] : local[domain]
	print $1, kind, hop, id[$4], dn[$4]
}
