# directory.awk - the synthetic directory of the benchmark: who is who
#
# DESCRIPTION
#	Functions shared by gen-directory.awk (which writes the LDIF) and
#	changes.awk (which writes the changes of the persist test), so
#	both agree on every user's addresses and groups. User i (0 <= i <
#	n) is uid=u<i>,ou=people,dc=example,dc=com:
#
#	domain		example.com, example.org, example.fr, example.de
#			(i % 4); example.net is an alias of example.com,
#			example.de is described by a directory entry
#	mail		given.surname<i>@domain
#	alternates	u<i>@domain; every other user (i even) also
#			surname.given<i>@domain, or @example.net for
#			example.com users: 2.5 addresses per user
#	external	i % 10 < 3 (30 %): member of a team group
#			cn=legacy-team-T (TEAM users each), nested in
#			cn=legacy-site-S, nested in cn=legacy-users, the
#			split group of the mapping
#	disabled	i % 100 == 99: description "disabled", route none
#	partial		i % 50 == 7: u<i>@domain listed in
#			splitsyncExternalAddress (partly external)
#	department	every user is in cn=dept-<i / DEPT> (DEPT users),
#			groups the routing does not use
#
#	Only plain ASCII values, no conflicts, no refused value: every
#	user yields the same routes whichever tool computes them.

# dom_of - the domain of user i
function dom_of(i) {
	return DOMS[i % 4]
}

# given_of, surname_of - name parts of user i
function given_of(i) {
	return GIVEN[i % 8]
}

function surname_of(i) {
	return SURNAME[int(i / 8) % 8]
}

# mail_of - the default address of user i
function mail_of(i) {
	return given_of(i) "." surname_of(i) i "@" dom_of(i)
}

# alias1_of - the first alternate address; tag != "" makes a changed one
function alias1_of(i, tag) {
	return "u" i tag "@" dom_of(i)
}

# alias2_of - the second alternate address, or "" (odd users)
function alias2_of(i,   d) {
	if (i % 2)
		return ""
	d = dom_of(i)
	if (d == "example.com")
		d = "example.net"
	return surname_of(i) "." given_of(i) i "@" d
}

# is_external, is_disabled, is_partial - the routing situations
function is_external(i) {
	return i % 10 < 3
}

function is_disabled(i) {
	return i % 100 == 99
}

function is_partial(i) {
	return i % 50 == 7
}

# ext_index - rank of external user i among the external users
function ext_index(i) {
	return int(i / 10) * 3 + i % 10
}

# team_of - the team group of external user i
function team_of(i) {
	return int(ext_index(i) / TEAM)
}

# user_dn, team_dn, site_dn - DNs
function user_dn(i) {
	return "uid=u" i ",ou=people," BASE
}

function team_dn(t) {
	return "cn=legacy-team-" t ",ou=groups," BASE
}

function site_dn(s) {
	return "cn=legacy-site-" s ",ou=groups," BASE
}

# directory_init - the constants; call once from BEGIN
function directory_init(   t, k) {
	BASE = "dc=example,dc=com"
	TEAM = 500
	DEPT = 200
	SITES = 10
	split("example.com example.org example.fr example.de", t, " ")
	for (k = 1; k <= 4; k++)
		DOMS[k - 1] = t[k]
	split("anna bruno chloe david emma felix gina hugo", t, " ")
	for (k = 1; k <= 8; k++)
		GIVEN[k - 1] = t[k]
	split("martin bernard dubois thomas robert richard petit durand", t, " ")
	for (k = 1; k <= 8; k++)
		SURNAME[k - 1] = t[k]
}
