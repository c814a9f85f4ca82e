# admin-tables.awk - the tables an administrator's script would compute
#
# SYNOPSIS
#	ldapsearch -LLL -o ldif-wrap=no ... | awk -v out=DIR -f admin-tables.awk
#
# DESCRIPTION
#	The baseline of the benchmark: what a site writes instead of
#	splitsync, for this directory only. Reads the entries the bench
#	mapping selects, resolves the nested members of the split group,
#	and writes the five BlueMind tables (unsorted) into DIR, meaning
#	what splitsync writes for the same directory: the domains are
#	written here as they are in mapping.xml. No validation of values,
#	no conflict handling, no route listing: an administrator's script
#	does not have them.

BEGIN {
	SPLIT = "cn=legacy-users,ou=groups,dc=example,dc=com"
	LOCALHOP = "lmtp:core.example.com:2400"
	add_domain("example.com", "smtp:[legacy.example.com]:25", 0)
	ALIAS["example.net"] = "example.com"
	add_domain("example.org", "smtp:[legacy.example.org]:25", 1)
	add_domain("example.fr", "smtp:[legacy.example.fr]:25", 0)
	nrec = 0
}

# add_domain - one managed domain
function add_domain(name, relay, fwd) {
	MANAGED[name] = 1
	RELAY[name] = relay
	FWD[name] = fwd
}

# flush - one entry read: keep what the tables need
function flush(   k, m, i) {
	if (dn == "")
		return
	if (oc["groupofnames"]) {
		m = split(vals["member"], t, "\n")
		for (k = 2; k <= m; k++)
			MEMBERS[dn] = MEMBERS[dn] "\n" tolower(t[k])
	} else if (oc["splitsyncdomain"]) {
		split(vals["associateddomain"], t, "\n")
		name = tolower(t[2])
		split(vals["splitsyncrelay"], t, "\n")
		relay = t[2] == "" ? "" : "smtp:[" tolower(t[2]) "]:25"
		split(vals["splitsyncforwardunknown"], t, "\n")
		fwd = tolower(t[2]) ~ /^(true|yes|1)$/
		add_domain(name, relay, fwd && relay != "")
	} else if (oc["inetorgperson"] && vals["mail"] != "") {
		i = ++nrec
		UDN[i] = dn
		UADDR[i] = vals["mail"] vals["mailalternateaddress"]
		UEXT[i] = vals["splitsyncexternaladdress"]
		UOFF[i] = tolower(vals["description"]) ~ /\ndisabled(\n|$)/
	}
	dn = ""
	delete oc
	delete vals
}

/^dn: / {
	flush()
	dn = tolower(substr($0, 5))
	next
}

/^$/ {
	flush()
	next
}

{
	p = index($0, ": ")
	if (p == 0)
		next
	a = tolower(substr($0, 1, p - 1))
	v = substr($0, p + 2)
	if (a == "objectclass")
		oc[tolower(v)] = 1
	else
		vals[a] = vals[a] "\n" v
}

# route_of - "ext" or "int" for address a of user i
function route_of(a, base, partial) {
	if (!partial)
		return base
	return (a in EXTSET) ? "ext" : "int"
}

END {
	flush()
	# Everything reachable from the split group, nesting followed.
	queue[1] = SPLIT
	nq = 1
	seen[SPLIT] = 1
	for (h = 1; h <= nq; h++) {
		m = split(MEMBERS[queue[h]], t, "\n")
		for (k = 2; k <= m; k++) {
			if (!(t[k] in seen)) {
				seen[t[k]] = 1
				queue[++nq] = t[k]
			}
		}
	}
	for (d in MANAGED) {
		print d, "OK" > (out "/virtual_domains")
		if (FWD[d]) {
			print "@" d, "OK" > (out "/virtual_mailbox")
			print d, RELAY[d] > (out "/master_relay_transport")
		}
	}
	# A catch-all only for a domain that forwards unknown recipients;
	# in master mode each address gets its twin in the alias domain.
	for (d in ALIAS) {
		print d, "OK" > (out "/virtual_domains")
		if (FWD[ALIAS[d]])
			print "@" d, "@" ALIAS[d] > (out "/virtual_alias")
	}
	for (i = 1; i <= nrec; i++)
		if (!UOFF[i]) {
			n = split(tolower(UADDR[i]), addr, "\n")
			for (j = 2; j <= n; j++)
				KNOWN[addr[j]] = 1
		}
	for (i = 1; i <= nrec; i++) {
		if (UOFF[i])
			continue
		base = (UDN[i] in seen) ? "ext" : "int"
		delete EXTSET
		partial = 0
		n = split(tolower(UADDR[i]), addr, "\n")
		m = split(tolower(UEXT[i]), t, "\n")
		for (k = 2; k <= m; k++)
			for (j = 2; j <= n; j++)
				if (addr[j] == t[k]) {
					EXTSET[t[k]] = 1
					partial = 1
				}
		def = ""
		for (j = 2; j <= n; j++) {
			a = addr[j]
			at = index(a, "@")
			d = substr(a, at + 1)
			dom = (d in ALIAS) ? ALIAS[d] : d
			if (!(dom in MANAGED))
				continue
			r = route_of(a, base, partial)
			hop = r == "ext" ? RELAY[dom] : LOCALHOP
			isalias = 0
			if (def == "") {
				def = a
				defr = r
				defhop = hop
			} else if (r == defr && hop == defhop)
				isalias = 1
			if (!FWD[dom] && d == dom)
				for (al in ALIAS)
					if (ALIAS[al] == dom) {
						twin = substr(a, 1, at) al
						if (!(twin in KNOWN))
							print twin, (isalias ? def : a) > (out "/virtual_alias")
					}
			if (isalias) {
				print a, def > (out "/virtual_alias")
				continue
			}
			if (FWD[dom] && d != dom)
				print a, a > (out "/virtual_alias")
			if (!FWD[dom])
				print a, "OK" > (out "/virtual_mailbox")
			print a, hop > (out "/transport")
		}
	}
}
