/*
 * mapping_eval - directory entries evaluated against a compiled mapping
 *
 * SYNOPSIS
 *	#include "mapping.h"
 *
 * DESCRIPTION
 *	mapping_classify() says what an entry is for the mapping;
 *	mapping_domain_from_entry() and mapping_mailbox_from_entry() turn
 *	it into a domain_spec or mailbox_spec. Values are lowercased
 *	(ASCII) and passed on; the model checks their syntax. A value
 *	with a NUL byte cannot be passed on as a C string: it is reported
 *	and skipped.
 *
 * DIAGNOSTICS
 *	Entry problems are reported with the entry's DN (DIAG_REJECTED).
 *	Allocation failure is ERR_NOMEM; a failed group lookup is returned
 *	as groups_is_member() returned it.
 */
#include <arpa/inet.h>
#include <regex.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "errors.h"
#include "filter.h"
#include "mapping.h"
#include "mapping_int.h"

/* mapping_classify - MAPPING_* bits for e */
unsigned
mapping_classify(const struct mapping *m, const struct entry *e)
{
	unsigned bits = 0;

	if (m->domrule && m->domrule->filter &&
	    filter_match(m->domrule->filter, e))
		bits |= MAPPING_DOMAIN;
	if (m->groups && filter_match(m->groups, e))
		bits |= MAPPING_GROUP;
	if (m->mbox.filter && filter_match(m->mbox.filter, e))
		bits |= MAPPING_MAILBOX;
	return bits;
}

/*
 * Evaluation: one entry into a spec.
 */

/* usable - whether value v of attribute attr can be passed on; a value
 * with a NUL byte is reported with the DN */
static int
usable(const struct entry *e, const char *attr, const struct entry_value *v,
    struct diag *d)
{
	if (memchr(v->data, '\0', v->len) == NULL)
		return 1;
	diag_add(d, DIAG_WARNING, DIAG_REJECTED, e->dn,
	    "%s: a value with a NUL byte is refused", attr);
	return 0;
}

/* first_value - the first usable, non-empty value of attr (of every
 * attribute of that base name), or NULL */
static const struct entry_value *
first_value(const struct entry *e, const char *attr, struct diag *d)
{
	const struct entry_value *v;
	struct entry_iter it;

	for (v = entry_value_first(e, attr, &it); v != NULL;
	    v = entry_value_next(&it))
		if (v->len > 0 && usable(e, attr, v, d))
			return v;
	return NULL;
}

/* build_nexthop - "transport:[host]:port" from a host name or IP */
static char *
build_nexthop(const struct hostrule *h, const struct entry_value *v)
{
	unsigned char addr[16];
	struct buf b = BUF_INIT;
	char *host, *p, *result = NULL;
	size_t len = v->len;
	int bracket = !h->mx, v6 = 0, rc;

	host = mapping_lower_dup(v->data, len);
	if (host == NULL || h->whole)
		return host;    /* a whole nexthop: the model validates it */
	p = host;
	/* A host already written in brackets keeps them. */
	if (len >= 2 && p[0] == '[' && p[len - 1] == ']') {
		p[len - 1] = '\0';
		p++;
		bracket = 1;
	}
	if (strncmp(p, "ipv6:", 5) == 0 && inet_pton(AF_INET6, p + 5, addr)
	    == 1) {
		p += 5;
		v6 = 1;
	} else if (inet_pton(AF_INET6, p, addr) == 1) {
		v6 = 1;
	} else if (inet_pton(AF_INET, p, addr) == 1) {
		bracket = 1;    /* an address has no MX to look up */
	}
	if (v6)
		rc = buf_printf(&b, "%s:[ipv6:%s]", h->transport, p);
	else
		rc = buf_printf(&b, bracket ? "%s:[%s]" : "%s:%s",
		    h->transport, p);
	if (rc == 0 && h->port)
		rc = buf_printf(&b, ":%u", h->port);
	if (rc == 0)
		result = buf_steal(&b);
	buf_free(&b);
	free(host);
	return result;
}

/* host_from_entry - *out = nexthop built from h's attribute, else a copy
 * of def (may be NULL); ERR_NOMEM */
static int
host_from_entry(const struct hostrule *h, const char *def,
    const struct entry *e, char **out, struct diag *d)
{
	const struct entry_value *v = first_value(e, h->attr, d);

	*out = NULL;
	if (v != NULL)
		*out = build_nexthop(h, v);
	else if (def != NULL)
		*out = strdup(def);
	else
		return 0;
	return *out ? 0 : ERR_NOMEM;
}

/* add_name - append a lowercased copy of v to sv unless already there */
static int
add_name(struct strv *sv, const struct entry_value *v)
{
	char *s = mapping_lower_dup(v->data, v->len);

	if (s == NULL)
		return ERR_NOMEM;
	if (mapping_strv_find(sv, s) >= 0) {
		free(s);
		return 0;
	}
	return mapping_strv_push(sv, s);
}

/* add_values - every usable value of attr into sv (lowercased, once) */
static int
add_values(struct strv *sv, const struct entry *e, const char *attr,
    struct diag *d)
{
	const struct entry_value *v;
	struct entry_iter it;
	int rc;

	for (v = entry_value_first(e, attr, &it); v != NULL;
	    v = entry_value_next(&it)) {
		if (v->len == 0 || !usable(e, attr, v, d))
			continue;
		rc = add_name(sv, v);
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* is_true - whether v is one of the true words (any case) */
static int
is_true(const struct domains_rule *r, const struct entry_value *v)
{
	size_t i;

	for (i = 0; i < r->ntrue_words; i++)
		if (strlen(r->true_words[i]) == v->len &&
		    strncasecmp(r->true_words[i], v->data, v->len) == 0)
			return 1;
	return 0;
}

/* mapping_domain_from_entry - a domain spec from a domain entry */
int
mapping_domain_from_entry(const struct mapping *m, const struct entry *e,
    struct domain_spec *out, struct diag *d)
{
	const struct domains_rule *r = m->domrule;
	const struct entry_value *v;
	struct strv names = { NULL, 0, 0 };
	size_t i;
	int rc;

	memset(out, 0, sizeof *out);
	if (r == NULL)
		return ERR_BUG;
	rc = add_values(&names, e, r->name_attr, d);
	for (i = 0; rc == 0 && i < r->nalias_attrs; i++)
		rc = add_values(&names, e, r->alias_attrs[i], d);
	if (rc < 0)
		goto cleanup;
	if (names.n == 0 || names.v[0][0] == '\0') {
		diag_add(d, DIAG_ERROR, DIAG_REJECTED, e->dn,
		    "domain entry has no %s value; skipped", r->name_attr);
		rc = ERR_DATA;
		goto cleanup;
	}
	out->name = names.v[0];
	/* The other names, in order, are the aliases. */
	memmove(names.v, names.v + 1, names.n * sizeof *names.v);
	out->aliases = names.v;
	out->naliases = names.n - 1;
	memset(&names, 0, sizeof names);
	rc = ERR_NOMEM;
	if ((out->origin = strdup(e->dn)) == NULL)
		goto cleanup;
	if (host_from_entry(&r->relay, r->relay_default, e, &out->relay, d) < 0
	    || host_from_entry(&r->local, r->local_default, e, &out->local,
	    d) < 0)
		goto cleanup;
	out->forward_unknown = r->fwd_default;
	if ((v = first_value(e, r->fwd_attr, d)) != NULL)
		out->forward_unknown = is_true(r, v);
	rc = 0;
cleanup:
	mapping_strv_free(&names);
	if (rc < 0)
		domain_spec_clear(out);
	return rc;
}

/* member_of_direct - memberOf on the entry names group (no groups known) */
static int
member_of_direct(const struct cond *k, const struct entry *e)
{
	const struct entry_value *v;
	struct entry_iter it;
	char *norm;
	int rc, found = 0;

	for (v = entry_value_first(e, "memberOf", &it); v != NULL && !found;
	    v = entry_value_next(&it)) {
		if (memchr(v->data, '\0', v->len))
			continue;
		rc = entry_dn_normalize(v->data, &norm);
		if (rc == ERR_NOMEM)
			return rc;
		if (rc < 0)
			continue;
		found = strcmp(norm, k->group) == 0;
		free(norm);
	}
	return found;
}

/* cond_eval - 1 when k holds for e, 0 when not, negative on error */
static int
cond_eval(const struct cond *k, const struct entry *e, struct groups *g)
{
	const struct entry_value *v;
	struct entry_iter it;
	size_t i;
	int rc;

	switch (k->kind) {
	case COND_MEMBER_OF:
		if (g != NULL)
			return groups_is_member(g, k->group, e, k->via);
		return (k->via & GROUPS_VIA_MEMBEROF) ?
		    member_of_direct(k, e) : 0;
	case COND_EQUALS:
		return entry_has_value(e, k->attr, k->value, strlen(k->value));
	case COND_PRESENT:
		return entry_value_first(e, k->attr, &it) != NULL;
	case COND_MATCHES:
		for (v = entry_value_first(e, k->attr, &it); v != NULL;
		    v = entry_value_next(&it))
			if (memchr(v->data, '\0', v->len) == NULL &&
			    regexec(&k->re, v->data, 0, NULL, 0) == 0)
				return 1;
		return 0;
	case COND_NOT:
		if (k->nkids == 0)
			return 0;
		rc = cond_eval(&k->kids[0], e, g);
		return rc < 0 ? rc : !rc;
	case COND_ANY:
		for (i = 0; i < k->nkids; i++)
			if ((rc = cond_eval(&k->kids[i], e, g)) != 0)
				return rc;
		return 0;
	case COND_ALL:
		for (i = 0; i < k->nkids; i++)
			if ((rc = cond_eval(&k->kids[i], e, g)) <= 0)
				return rc;
		return 1;
	}
	return 0;
}

/* decide_route - the first route whose conditions all hold, else the
 * default; negative on error */
static int
decide_route(const struct mailboxes_rule *r, const struct entry *e,
    struct groups *g, enum route_kind *out)
{
	size_t i, j;
	int rc;

	for (i = 0; i < r->nroutes; i++) {
		rc = 1;
		for (j = 0; j < r->routes[i].nconds; j++)
			if ((rc = cond_eval(&r->routes[i].conds[j], e, g)) <= 0)
				break;
		if (rc < 0)
			return rc;
		if (rc > 0) {
			*out = r->routes[i].to;
			return 0;
		}
	}
	*out = r->route_default;
	return 0;
}

/* mailbox_id - the id attribute's first value, else the DN, in the one
 * encoding of that attribute: a binary one (objectGUID) in lowercase
 * hex whatever its bytes, a text one as it is. A text value holding a
 * NUL byte is no id: reported, the DN is used. */
static char *
mailbox_id(const struct mailboxes_rule *r, const struct entry *e,
    struct diag *d)
{
	const struct entry_value *v;
	struct entry_iter it;
	struct buf b = BUF_INIT;
	size_t i;

	v = entry_value_first(e, r->id_attr, &it);
	if (v == NULL || v->len == 0)
		return strdup(e->dn);
	if (!r->id_hex)
		return usable(e, r->id_attr, v, d) ? strdup(v->data) :
		    strdup(e->dn);
	for (i = 0; i < v->len; i++)
		if (buf_printf(&b, "%02x", (unsigned char)v->data[i]) < 0) {
			buf_free(&b);
			return NULL;
		}
	return buf_steal(&b);
}

/* collect_addresses - addresses per the <address> rules, default first */
static int
collect_addresses(const struct mailboxes_rule *r, const struct entry *e,
    struct strv *sv, struct diag *d)
{
	const struct addrrule *ar;
	const struct entry_value *v;
	struct entry_value tail;
	struct entry_iter it;
	long primary = -1, at;
	size_t i, plen;
	char *s;
	int rc;

	for (i = 0; i < r->naddrs; i++) {
		ar = &r->addrs[i];
		for (v = entry_value_first(e, ar->attr, &it); v != NULL;
		    v = entry_value_next(&it)) {
			if (!usable(e, ar->attr, v, d))
				continue;
			tail = *v;
			plen = ar->primary ? strlen(ar->primary) : 0;
			if (plen && v->len >= plen &&
			    memcmp(v->data, ar->primary, plen) == 0) {
				tail.data += plen;
				tail.len -= plen;
			} else if (ar->prefix) {
				plen = strlen(ar->prefix);
				/* x500:, sip: and the like: no addresses */
				if (v->len < plen || strncasecmp(v->data,
				    ar->prefix, plen) != 0)
					continue;
				tail.data += plen;
				tail.len -= plen;
				plen = 0;
			} else {
				plen = 0;
			}
			s = mapping_lower_dup(tail.data, tail.len);
			if (s == NULL)
				return ERR_NOMEM;
			at = mapping_strv_find(sv, s);
			if (at < 0) {
				at = (long)sv->n;
				if ((rc = mapping_strv_push(sv, s)) < 0)
					return rc;
			} else {
				free(s);
			}
			if (plen && primary < 0)
				primary = at;
		}
	}
	if (primary > 0) {
		s = sv->v[primary];
		memmove(sv->v + 1, sv->v, (size_t)primary * sizeof *sv->v);
		sv->v[0] = s;
	}
	return 0;
}

/* external_flags - partly external: exactly the addresses listed in the
 * external-addresses attribute are external; NULL when none is listed */
static int
external_flags(const struct mailboxes_rule *r, const struct entry *e,
    struct mailbox_spec *out, struct diag *d)
{
	const struct entry_value *v;
	struct entry_iter it;
	unsigned char *flags;
	size_t j, matched = 0;
	char *s;

	v = entry_value_first(e, r->ext_attr, &it);
	if (v == NULL || out->naddresses == 0)
		return 0;
	flags = calloc(out->naddresses, 1);
	if (flags == NULL)
		return ERR_NOMEM;
	for (; v != NULL; v = entry_value_next(&it)) {
		if (!usable(e, r->ext_attr, v, d))
			continue;
		s = mapping_lower_dup(v->data, v->len);
		if (s == NULL) {
			free(flags);
			return ERR_NOMEM;
		}
		for (j = 0; j < out->naddresses; j++)
			if (strcmp(out->addresses[j], s) == 0)
				break;
		if (j < out->naddresses) {
			matched += !flags[j];
			flags[j] = 1;
		} else {
			diag_add(d, DIAG_WARNING, DIAG_REJECTED, e->dn,
			    "%s: \"%s\" is not an address of this mailbox; "
			    "ignored", r->ext_attr, s);
		}
		free(s);
	}
	if (matched == 0) {
		free(flags);
		return 0;
	}
	out->external = flags;
	return 0;
}

/* mapping_mailbox_from_entry - a mailbox spec from a mailbox entry */
int
mapping_mailbox_from_entry(const struct mapping *m, const struct entry *e,
    struct groups *g, struct mailbox_spec *out, struct diag *d)
{
	const struct mailboxes_rule *r = &m->mbox;
	struct strv addrs = { NULL, 0, 0 };
	int rc;

	memset(out, 0, sizeof *out);
	rc = ERR_NOMEM;
	if ((out->id = mailbox_id(r, e, d)) == NULL ||
	    (out->dn = strdup(e->dn)) == NULL)
		goto cleanup;
	rc = collect_addresses(r, e, &addrs, d);
	if (rc < 0)
		goto cleanup;
	out->addresses = addrs.v;
	out->naddresses = addrs.n;
	memset(&addrs, 0, sizeof addrs);
	rc = decide_route(r, e, g, &out->route);
	if (rc < 0)
		goto cleanup;
	if (out->route != ROUTE_NONE && r->nexthop.attr != NULL &&
	    (r->nexthop_applies & (1u << out->route))) {
		rc = host_from_entry(&r->nexthop, NULL, e, &out->nexthop, d);
		if (rc < 0)
			goto cleanup;
	}
	if (out->route != ROUTE_NONE && r->ext_attr != NULL) {
		rc = external_flags(r, e, out, d);
		if (rc < 0)
			goto cleanup;
	}
	rc = 0;
cleanup:
	mapping_strv_free(&addrs);
	if (rc < 0)
		mailbox_spec_clear(out);
	return rc;
}

