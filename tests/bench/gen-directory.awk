# gen-directory.awk - the synthetic directory of the benchmark as LDIF
#
# SYNOPSIS
#	awk -v n=USERS -f directory.awk -f gen-directory.awk > FILE.ldif
#
# DESCRIPTION
#	Writes the tree (parents first, as slapadd wants it), one domain
#	entry, n users, the team groups of the external users nested in
#	site groups nested in cn=legacy-users, and department groups. See
#	directory.awk for who is who.

BEGIN {
	directory_init()
	if (n !~ /^[0-9]+$/ || n < 1) {
		print "gen-directory.awk: n must be a positive number" > "/dev/stderr"
		exit 2
	}
	n += 0
	printf "dn: %s\nobjectClass: dcObject\nobjectClass: organization\n", BASE
	printf "dc: example\no: Example\n\n"
	split("people groups domains", ous, " ")
	for (k = 1; k <= 3; k++)
		printf "dn: ou=%s,%s\nobjectClass: organizationalUnit\nou: %s\n\n",
		    ous[k], BASE, ous[k]
	printf "dn: associatedDomain=example.de,ou=domains,%s\n", BASE
	printf "objectClass: domainRelatedObject\nobjectClass: splitsyncDomain\n"
	printf "objectClass: organizationalUnit\nou: example.de\n"
	printf "associatedDomain: example.de\nsplitsyncRelay: legacy.example.de\n"
	printf "splitsyncForwardUnknown: TRUE\n\n"

	for (i = 0; i < n; i++) {
		printf "dn: %s\n", user_dn(i)
		printf "objectClass: inetOrgPerson\nobjectClass: splitsyncMailUser\n"
		printf "uid: u%d\ncn: %s %s\nsn: %s\n", i, given_of(i),
		    surname_of(i), surname_of(i)
		printf "mail: %s\n", mail_of(i)
		printf "mailAlternateAddress: %s\n", alias1_of(i, "")
		if (alias2_of(i) != "")
			printf "mailAlternateAddress: %s\n", alias2_of(i)
		if (is_disabled(i))
			printf "description: disabled\n"
		if (is_partial(i))
			printf "splitsyncExternalAddress: %s\n", alias1_of(i, "")
		printf "\n"
	}

	# Team groups: the external users in order, TEAM per group.
	teams = 0
	for (i = 0; i < n; i++) {
		if (!is_external(i))
			continue
		if (ext_index(i) % TEAM == 0) {
			if (teams > 0)
				printf "\n"
			printf "dn: %s\nobjectClass: groupOfNames\n", team_dn(teams)
			printf "cn: legacy-team-%d\n", teams
			teams++
		}
		printf "member: %s\n", user_dn(i)
	}
	if (teams > 0)
		printf "\n"
	sites = teams < SITES ? teams : SITES
	for (s = 0; s < sites; s++) {
		printf "dn: %s\nobjectClass: groupOfNames\ncn: legacy-site-%d\n",
		    site_dn(s), s
		for (t = s; t < teams; t += sites)
			printf "member: %s\n", team_dn(t)
		printf "\n"
	}
	printf "dn: cn=legacy-users,ou=groups,%s\nobjectClass: groupOfNames\n", BASE
	printf "cn: legacy-users\n"
	for (s = 0; s < sites; s++)
		printf "member: %s\n", site_dn(s)
	if (sites == 0)
		printf "member: %s\n", BASE
	printf "\n"

	for (i = 0; i < n; i++) {
		if (i % DEPT == 0) {
			if (i > 0)
				printf "\n"
			printf "dn: cn=dept-%d,ou=groups,%s\n", i / DEPT, BASE
			printf "objectClass: groupOfNames\ncn: dept-%d\n", i / DEPT
		}
		printf "member: %s\n", user_dn(i)
	}
	printf "\n"
}
