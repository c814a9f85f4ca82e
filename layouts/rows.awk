# rows.awk - the shapes of table rows, in awk, for splitsync-deploy
#
# SYNOPSIS
#	awk -v shapes="KEY=VALUE ..." -v t=TABLE -v dtab=DOMAIN_TABLE \
#	    -v transports="smtp ..." [-v self=1] "$(cat rows.awk)"'
#	BEGIN { rows_init() } ... why = shape(key, value) ...'
#
# DESCRIPTION
#	Functions only, for a program that reads table lines: rows_init()
#	takes the shapes table t may have (the KEY=VALUE list definition.awk
#	prints for it), the allowed transports, and the managed domains
#	from the file named by the environment variable
#	SPLITSYNC_DEPLOY_DOMAINS, one per line (with self set, for the
#	domain table itself, any domain name counts as managed).
#	shape(k, v) then says why the row "k v" has none of those shapes,
#	or "" when it has one.
#
#	The syntax of domain names, addresses and nexthops is splitsync's
#	own (agent/validate.c), and so are the shapes (agent/layout.c):
#	what splitsync writes passes here, what it would never write does
#	not. A domain name is lowercase LDH labels, two at least, the last
#	not all digits; an address a dot-atom local part of RFC 5321 atext
#	(lowercase, no "#"), one "@", a managed domain; a nexthop
#	transport:destination, the transport allowed, the destination
#	host, [host], [ipv4] or [ipv6:address], each with an optional
#	:port (1 to 65535), never inet: or unix:, never a list.
#
# DIAGNOSTICS
#	shape() returns a short reason, quoting the key or value.

# rows_init - the shapes of table t, the transports, the managed domains
function rows_init(    n, i, pr, eq, ks, f, d) {
	n = split(shapes, pr, " ")
	for (i = 1; i <= n; i++) {
		eq = index(pr[i], "=")
		ks = substr(pr[i], 1, eq - 1)
		if (!(ks in kvals))
			kinds = kinds (kinds == "" ? "" : ", ") ks
		kvals[ks] = kvals[ks] " " substr(pr[i], eq + 1)
	}
	n = split(transports, pr, " ")
	for (i = 1; i <= n; i++)
		allowed[pr[i]] = 1
	f = ENVIRON["SPLITSYNC_DEPLOY_DOMAINS"]
	while (shapes != "" && !self && f != "" && (getline d < f) > 0)
		managed[d] = 1
	# the atext of RFC 5321, less # (never in a table)
	atext = "^[a-z0-9!$%&'*+/=?^_`{|}~-]+$"
}
# shape - why "k v" has no shape of table t, or ""
function shape(k, v,    kk, vk, w, n, i, c) {
	kk = substr(k, 1, 1) == "@" ? "@domain" : index(k, "@") ? "address" : \
	    "domain"
	if (kk == "domain" && (w = domain_why(k)) != "")
		return "key \"" k "\": not a domain name, an address or " \
		    "@domain (" w ")"
	if (!(kk in kvals))
		return "key \"" k "\": " (kk == "address" ? "an " : "a ") kk \
		    " key is never in " t " (keys: " kinds ")"
	if ((w = shape_why(kk, k)) != "")
		return "key \"" k "\": " w
	vk = v == "OK" ? "OK" : v == ":" ? ":" : substr(v, 1, 1) == "@" ? \
	    "@domain" : index(v, "@") ? "address" : index(v, ":") ? \
	    "nexthop" : ""
	n = split(kvals[kk], c, " ")
	for (i = 1; i <= n; i++)
		if (c[i] == vk) {
			w = shape_why(vk, v)
			return w == "" ? "" : "value \"" v "\": " w
		}
	w = ""
	for (i = 1; i <= n; i++)
		w = w (i > 1 ? " or " : "") (c[i] == "nexthop" ? \
		    "transport:nexthop" : c[i] == ":" ? "\":\"" : c[i])
	return "value \"" v "\": " w " expected"
}
# shape_why - why x does not have shape s, or ""
function shape_why(s, x) {
	if (s == "domain")
		return managed_why(x)
	if (s == "@domain")
		return substr(x, 1, 1) == "@" ? managed_why(substr(x, 2)) : \
		    "not @domain"
	if (s == "address")
		return address_why(x)
	if (s == "nexthop")
		return nexthop_why(x)
	if (s == "OK" || s == ":")
		return x == s ? "" : "not " s
	return "unknown shape " s
}
# managed_why - why d is not a managed domain, or ""
function managed_why(d,    w) {
	if ((w = domain_why(d)) != "")
		return "not a domain name (" w ")"
	if (!self && !(d in managed))
		return d " is not a managed domain (not in " dtab ")"
	return ""
}
# domain_why - why d is not a domain name, or "" (validate_domain)
function domain_why(d,    n, i, lab) {
	if (d == "")
		return "empty domain"
	if (d ~ /[A-Z]/)
		return "uppercase letter in domain"
	if (d !~ /^[a-z0-9.-]+$/)
		return "invalid character in domain"
	if (length(d) > 253)
		return "domain longer than 253 bytes"
	if (substr(d, 1, 1) == ".")
		return "domain starts with a dot"
	if (substr(d, length(d)) == ".")
		return "domain ends with a dot"
	n = split(d, lab, ".")
	for (i = 1; i <= n; i++) {
		if (lab[i] == "")
			return "empty label in domain"
		if (length(lab[i]) > 63)
			return "label longer than 63 bytes"
		if (lab[i] ~ /^-/)
			return "label starts with a hyphen"
		if (lab[i] ~ /-$/)
			return "label ends with a hyphen"
	}
	if (n < 2)
		return "domain needs at least two labels"
	if (lab[n] ~ /^[0-9]+$/)
		return "top-level label is all digits"
	return ""
}
# address_why - why a is not one address of a managed domain, or ""
function address_why(a,    at, loc, atoms) {
	if (index(a, ","))
		return "a list (,): one address only"
	if (substr(a, 1, 1) == "\"")
		return "quoted local parts are not supported"
	if (!(at = index(a, "@")))
		return "not one address: no @"
	if (index(substr(a, at + 1), "@"))
		return "not one address: more than one @"
	if (length(a) > 254)
		return "address longer than 254 bytes"
	loc = substr(a, 1, at - 1)
	if (loc == "")
		return "empty local part"
	if (length(loc) > 64)
		return "local part longer than 64 bytes"
	if (loc ~ /[A-Z]/)
		return "invalid local part: uppercase letter"
	atoms = loc
	gsub(/\./, "", atoms)
	if (atoms !~ atext)
		return "invalid local part: a character an address cannot hold"
	if (loc ~ /^\./ || loc ~ /\.$/ || index(loc, ".."))
		return "invalid local part: a dot first, last or twice"
	return managed_why(substr(a, at + 1))
}
# nexthop_why - why v is not an allowed nexthop, or "" (validate_nexthop)
function nexthop_why(v,    c, tr, dest, rb, rest, port, w) {
	if (index(v, ","))
		return "a list (,): one nexthop only"
	if (!(c = index(v, ":")))
		return "no : between transport and destination"
	tr = substr(v, 1, c - 1)
	if (tr == "")
		return "empty transport"
	if (!(tr in allowed))
		return "transport " tr " is not allowed (" transports ")"
	dest = substr(v, c + 1)
	if (dest == "")
		return "empty destination"
	if (dest ~ /^(inet|unix):/)
		return "inet: and unix: destinations are not supported"
	if (substr(dest, 1, 1) == "[") {
		if (!(rb = index(dest, "]")))
			return "missing ]"
		if ((w = bracketed_why(substr(dest, 2, rb - 2))) != "")
			return w
		rest = substr(dest, rb + 1)
		if (rest == "")
			return ""
		if (substr(rest, 1, 1) != ":")
			return "garbage after ]"
		return port_why(substr(rest, 2))
	}
	if (!(c = index(dest, ":")))
		return host_why(dest)
	if ((w = host_why(substr(dest, 1, c - 1))) != "")
		return w
	port = substr(dest, c + 1)
	return index(port, ":") ? "port is not a number" : port_why(port)
}
# host_why - why h is not a host name, or ""
function host_why(h,    w) {
	w = domain_why(h)
	return w == "" ? "" : "host " h ": not a domain name (" w ")"
}
# bracketed_why - why h, between [ and ], is no destination, or ""
function bracketed_why(h) {
	if (h == "")
		return "empty host in brackets"
	if (substr(h, 1, 5) == "ipv6:") {
		if (substr(h, 6) ~ /[A-F]/)
			return "uppercase in IPv6 address"
		return ipv6_ok(substr(h, 6)) ? "" : "invalid IPv6 address"
	}
	if (tolower(substr(h, 1, 5)) == "ipv6:")
		return "write the ipv6: prefix in lowercase"
	if (index(h, ":"))
		return "IPv6 address needs the ipv6: prefix"
	if (h ~ /^[0-9.]+$/)
		return ipv4_ok(h) ? "" : "invalid IPv4 address"
	return host_why(h)
}
# port_why - why p is not a port, or ""
function port_why(p) {
	if (p == "")
		return "empty port"
	if (p !~ /^[0-9]+$/)
		return "port is not a number"
	if (length(p) > 1 && substr(p, 1, 1) == "0")
		return "port has a leading zero"
	if (length(p) > 5 || p + 0 < 1 || p + 0 > 65535)
		return "port out of range 1..65535"
	return ""
}
# ipv4_ok - s is a dotted quad, no leading zeros
function ipv4_ok(s,    n, i, q) {
	if ((n = split(s, q, ".")) != 4)
		return 0
	for (i = 1; i <= 4; i++)
		if (q[i] !~ /^(0|[1-9][0-9]?[0-9]?)$/ || q[i] + 0 > 255)
			return 0
	return 1
}
# ipv6_ok - s is an IPv6 address in lowercase (RFC 4291)
function ipv6_ok(s,    c, h, t) {
	if (s !~ /^[0-9a-f:.]+$/)
		return 0
	if (!(c = index(s, "::")))
		return v6_groups(s, 1) == 8
	if (index(substr(s, c + 1), "::"))
		return 0
	h = substr(s, 1, c - 1) == "" ? 0 : v6_groups(substr(s, 1, c - 1), 0)
	t = substr(s, c + 2) == "" ? 0 : v6_groups(substr(s, c + 2), 1)
	return h >= 0 && t >= 0 && h + t <= 7
}
# v6_groups - the 16-bit groups in p (an IPv4 tail, when last, counts
# two), or -1
function v6_groups(p, last,    n, i, q, g) {
	n = split(p, q, ":")
	for (i = 1; i <= n; i++) {
		if (i == n && last && index(q[i], ".")) {
			if (!ipv4_ok(q[i]))
				return -1
			g += 2
		} else if (q[i] !~ /^[0-9a-f]+$/ || length(q[i]) > 4)
			return -1
		else
			g++
	}
	return g
}
