# definition.awk - read postfix.tables, the layout definition
#
# SYNOPSIS
#	LC_ALL=C awk -v out=c -f definition.awk postfix.tables > layouts.c
#	LC_ALL=C awk -v want=LAYOUT -f definition.awk postfix.tables
#
# DESCRIPTION
#	Checks the definition (its grammar is in its own header), then:
#
#	out=c (splitsync's build): writes it as the constant layout_defs[]
#	of include/layout.h: per layout its name, its domain table, its
#	tables sorted bytewise (LC_ALL=C) and NULL-terminated, and its
#	row shapes in file order. Names are checked before they are
#	written, so they need no escaping in C.
#
#	want=LAYOUT (splitsync-deploy): prints "domains TABLE", the
#	layout's domain table, then "table T KEY=VALUE ..." for each of
#	its tables, in file order.
#
# DIAGNOSTICS
#	"FILE:LINE: what is wrong" for every error (on standard error with
#	out=c, on standard output otherwise), and exit 1: the build stops,
#	the script refuses to run. With want, exit 2 and one line when the
#	file has no such layout.

function err(msg) {
	if (out == "c")
		printf "%s:%d: %s\n", FILENAME, FNR, msg | "cat 1>&2"
	else
		printf "%s:%d: %s\n", FILENAME, FNR, msg
	bad = 1
}

function table_ok(t) {
	return t ~ /^[A-Za-z0-9_-][A-Za-z0-9._-]*$/ && t !~ /\.db$/ &&
	    t !~ /\.d$/
}

BEGIN {
	keyc["domain"] = "LAYOUT_DOMAIN"
	keyc["address"] = "LAYOUT_ADDRESS"
	keyc["@domain"] = "LAYOUT_AT_DOMAIN"
	valc["OK"] = "LAYOUT_OK"
	valc["address"] = "LAYOUT_ADDRESS"
	valc["@domain"] = "LAYOUT_AT_DOMAIN"
	valc["nexthop"] = "LAYOUT_NEXTHOP"
	valc[":"] = "LAYOUT_DEFAULT"
	nl = 0
}

/^[ \t]*(#|$)/ { next }

$1 == "layout" {
	if (NF != 3) {
		err("layout NAME DOMAIN_TABLE: " NF - 1 " words")
		next
	}
	if ($2 !~ /^[a-z][a-z0-9_-]*$/)
		err("layout " $2 ": not a layout name (a-z, 0-9, _, -)")
	else if ($2 in lnum)
		err("layout " $2 ": declared twice")
	else if (!table_ok($3))
		err("layout " $2 ": " $3 ": not a table name")
	else {
		lnum[$2] = ++nl
		lname[nl] = $2
		ldom[nl] = $3
		lline[nl] = FNR
		nt[nl] = nr[nl] = 0
	}
	next
}

$1 == "row" {
	if (NF != 5) {
		err("row LAYOUT TABLE KEY VALUE: " NF - 1 " words")
		next
	}
	if (!($2 in lnum)) {
		err("row of an undeclared layout " $2)
		next
	}
	if (!table_ok($3)) {
		err("row " $2 " " $3 ": not a table name (A-Z, a-z, 0-9, " \
		    "., _, -; not ending in .d or .db)")
		next
	}
	if (!($4 in keyc)) {
		err("unknown key shape " $4)
		next
	}
	if (!($5 in valc)) {
		err("unknown value shape " $5)
		next
	}
	if (($2, $3, $4, $5) in seen) {
		err("row " $2 " " $3 " " $4 " " $5 ": listed twice")
		next
	}
	seen[$2, $3, $4, $5] = 1
	l = lnum[$2]
	if (!(($2, $3) in shapes))
		table[l, ++nt[l]] = $3
	shapes[$2, $3] = shapes[$2, $3] " " $4 "=" $5
	r = ++nr[l]
	rtable[l, r] = $3
	rkey[l, r] = keyc[$4]
	rval[l, r] = valc[$5]
	if ($3 == ldom[l] && ($4 != "domain" || $5 != "OK"))
		err("row " $2 " " $3 ": the domain table holds only " \
		    "\"domain OK\" rows")
	next
}

{ err("unknown line: " $1 " (layout or row expected)") }

# layout_lines - the layout want, for splitsync-deploy
function layout_lines(    l, i, names) {
	if (!(want in lnum)) {
		for (l = 1; l <= nl; l++)
			names = names (l > 1 ? ", " : "") lname[l]
		printf "-l %s: not a layout of %s (%s)\n", want, FILENAME,
		    names
		exit 2
	}
	l = lnum[want]
	print "domains", ldom[l]
	for (i = 1; i <= nt[l]; i++)
		print "table", table[l, i] shapes[want, table[l, i]]
}

# c_source - every layout as C, for splitsync's build
function c_source(    l, i, j, r, v) {
	print "/* " FILENAME " in C, by layouts/definition.awk: do not edit */"
	print "#include <stddef.h>"
	print ""
	print "#include \"layout.h\""
	for (l = 1; l <= nl; l++) {
		# the tables, sorted (insertion sort: a handful of names)
		for (i = 2; i <= nt[l]; i++) {
			v = table[l, i]
			for (j = i - 1; j >= 1 && table[l, j] > v; j--)
				table[l, j + 1] = table[l, j]
			table[l, j + 1] = v
		}
		print ""
		printf "static const char *const tables_%d[] = {\n", l
		for (i = 1; i <= nt[l]; i++)
			printf "\t\"%s\",\n", table[l, i]
		print "\tNULL"
		print "};"
		printf "static const struct layout_row rows_%d[] = {\n", l
		for (r = 1; r <= nr[l]; r++)
			printf "\t{ \"%s\", %s, %s },\n", rtable[l, r],
			    rkey[l, r], rval[l, r]
		print "};"
	}
	print ""
	print "const struct layout_def layout_defs[] = {"
	for (l = 1; l <= nl; l++)
		printf "\t{ \"%s\", \"%s\", tables_%d, rows_%d, %d },\n",
		    lname[l], ldom[l], l, l, nr[l]
	print "};"
	printf "const size_t layout_ndefs = %d;\n", nl
}

END {
	if (nl == 0 && !bad) {
		FNR = 0
		err("no layout")
	}
	for (l = 1; l <= nl; l++)
		if (!((lname[l], ldom[l]) in shapes)) {
			FNR = lline[l]
			err("layout " lname[l] ": no row for " ldom[l])
		}
	if (bad)
		exit 1
	if (out == "c")
		c_source()
	else
		layout_lines()
}
