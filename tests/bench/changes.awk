# changes.awk - the single changes of the persist test
#
# SYNOPSIS
#	awk -v n=USERS -v count=K -f directory.awk -f changes.awk > CHANGES
#
# DESCRIPTION
#	K lines for persist-client (tab-separated: kind, DN, operation,
#	attribute, values). Nine changes in ten ("alias") replace a user's
#	alternate addresses, the first one renamed: one alias route goes,
#	another comes. The tenth ("member") takes an external user out of
#	its team group, or puts the previous one back: that user's routes
#	go from external to internal and back, through a group of 500
#	members. Every change alters a table, so every one is committed.
#	Disabled and partly external users are never picked.

BEGIN {
	directory_init()
	n += 0
	count += 0
	if (n < 1000 || count < 1) {
		print "changes.awk: need n >= 1000 and count >= 1" > "/dev/stderr"
		exit 2
	}
	for (k = 0; k < count; k++) {
		if (k % 10 == 9) {
			x = (int(k / 20) * 104729 + 5) % n
			x -= x % 10
			printf "member\t%s\t%s\tmember\t%s\n", team_dn(team_of(x)),
			    k % 20 == 9 ? "delete" : "add", user_dn(x)
			continue
		}
		u = (k * 7919 + 13) % n
		while (is_disabled(u) || is_partial(u))
			u = (u + 1) % n
		printf "alias\t%s\treplace\tmailAlternateAddress\t%s", user_dn(u),
		    alias1_of(u, ".c" k)
		if (alias2_of(u) != "")
			printf "\t%s", alias2_of(u)
		printf "\n"
	}
}
