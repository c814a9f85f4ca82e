/*
 * check_groups_watch - watched closures kept up to date: against a
 * closure computed from scratch after every step of a random sequence
 * of puts and removes, and what a change costs at the benchmark's
 * shape, counted in steps
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "errors.h"
#include "groupkeys.h"
#include "groups.h"
#include "testlib.h"

#define ANY GROUPS_VIA_ANY
#define MOF GROUPS_VIA_MEMBEROF
#define MEM GROUPS_VIA_MEMBER
#define UNQ GROUPS_VIA_UNIQUEMEMBER
#define UID GROUPS_VIA_MEMBERUID

/*
 * The randomized comparison: a small universe of DNs (groups and
 * users) and uid values; groups put, changed and removed at random,
 * with nesting both ways and cycles; after each step every user's
 * answer for every watched (target, ways) against a plain fixpoint
 * computed from scratch, and the drained crossings against the keys
 * whose standing changed.
 */
#define RG 10                   /* groups g0..g9 */
#define RU 8                    /* user DNs */
#define RDN (RG + RU + 1)       /* and one group never put: the ghost */
#define RUID 6
#define RUSERS 16
#define RTARGETS 4
#define RLIST 5

struct rgroup {
	int present;
	int list[4][RLIST];     /* member, unique, uids, memberof: indices */
	int n[4];
};

struct ruser {
	int dn;                 /* index into the DNs */
	int memberof[3];
	int nmemberof;
	int uid[2];
	int nuid;
};

struct rworld {
	uint64_t dn[RDN];       /* the keys of the DNs */
	uint64_t uid[RUID];
	struct rgroup grp[RG];
	struct ruser user[RUSERS];
};

/* The standing of every key for one watch, and its users' answers. */
struct rstate {
	int inc[RDN];           /* in the closure */
	int inm[RDN];           /* listed as member by it */
	int inu[RUID];          /* listed as memberUid by it */
	int ing[RDN];           /* counts for a memberOf naming it */
	int answer[RUSERS];
};

/* rnd - a small deterministic generator */
static uint64_t
rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* rpick - a DN index: mostly groups, so that nesting and cycles come */
static int
rpick(uint64_t *s)
{
	uint64_t r = rnd(s) % 10;

	if (r < 6)
		return (int)(rnd(s) % RG);
	if (r < 7)
		return RDN - 1;
	return RG + (int)(rnd(s) % RU);
}

/* rgroup_random - a new version of group x */
static void
rgroup_random(struct rgroup *gr, uint64_t *s)
{
	int l, i;

	memset(gr, 0, sizeof *gr);
	gr->present = 1;
	for (l = 0; l < 4; l++) {
		gr->n[l] = (int)(rnd(s) % (l == 0 ? RLIST + 1 : 3));
		for (i = 0; i < gr->n[l]; i++)
			gr->list[l][i] = l == 2 ? (int)(rnd(s) % RUID) :
			    rpick(s);
	}
}

/* rput - the group's version into the store */
static void
rput(struct groups *g, const struct rworld *w, int x)
{
	const struct rgroup *gr = &w->grp[x];
	uint64_t keys[4][RLIST + 1];
	struct groups_entry e;
	int l, i;

	for (l = 0; l < 4; l++) {
		for (i = 0; i < gr->n[l]; i++)
			keys[l][i] = l == 2 ? w->uid[gr->list[l][i]] :
			    w->dn[gr->list[l][i]];
		keys[l][gr->n[l]] = 0;  /* a value that was not a DN */
	}
	memset(&e, 0, sizeof e);
	e.dn = w->dn[x];
	e.member = keys[0];
	e.nmember = (size_t)gr->n[0] + 1;
	e.unique = keys[1];
	e.nunique = (size_t)gr->n[1];
	e.uids = keys[2];
	e.nuids = (size_t)gr->n[2];
	e.memberof = keys[3];
	e.nmemberof = (size_t)gr->n[3];
	ck_assert_int_eq(groups_put(g, &e), 0);
}

/* rlists - whether list l of group x (present) is read by ways via */
static int
rlists(unsigned via, int l)
{
	static const unsigned need[4] = { MEM, UNQ, UID, MOF };

	return (via & need[l]) != 0;
}

/* rcompute - the closure of target t by ways via, from scratch */
static void
rcompute(const struct rworld *w, int t, unsigned via, struct rstate *st)
{
	const struct rgroup *gr;
	const struct ruser *u;
	int changed = 1, x, y, l, i, j, hit, consult;

	memset(st, 0, sizeof *st);
	st->inc[t] = 1;
	while (changed) {
		changed = 0;
		for (x = 0; x < RG; x++) {
			gr = &w->grp[x];
			if (!gr->present || !st->inc[x])
				continue;
			for (l = 0; l < 2; l++)
				for (i = 0; rlists(via, l) && i < gr->n[l];
				    i++) {
					y = gr->list[l][i];
					if (y < RG && w->grp[y].present &&
					    !st->inc[y])
						st->inc[y] = changed = 1;
				}
		}
		for (y = 0; (via & MOF) && y < RG; y++) {
			gr = &w->grp[y];
			if (!gr->present || st->inc[y])
				continue;
			for (i = 0; i < gr->n[3]; i++)
				if (st->inc[gr->list[3][i]])
					st->inc[y] = changed = 1;
		}
	}
	for (x = 0; x < RG; x++) {
		gr = &w->grp[x];
		if (!gr->present || !st->inc[x])
			continue;
		for (l = 0; l < 3; l++)
			for (i = 0; rlists(via, l) && i < gr->n[l]; i++) {
				if (l == 2)
					st->inu[gr->list[l][i]] = 1;
				else
					st->inm[gr->list[l][i]] = 1;
			}
	}
	for (x = 0; x < RDN; x++) {
		consult = !(via & ~MOF) || x >= RG || !w->grp[x].present;
		st->ing[x] = (via & MOF) && consult &&
		    (st->inc[x] || st->inm[x]);
	}
	for (j = 0; j < RUSERS; j++) {
		u = &w->user[j];
		hit = st->inm[u->dn];
		for (i = 0; i < u->nuid; i++)
			hit |= st->inu[u->uid[i]];
		for (i = 0; i < u->nmemberof; i++)
			hit |= st->ing[u->memberof[i]];
		st->answer[j] = hit;
	}
}

/* rfind - the index of key among n keys, or -1 */
static int
rfind(const uint64_t *keys, int n, uint64_t key)
{
	int i;

	for (i = 0; i < n; i++)
		if (keys[i] == key)
			return i;
	return -1;
}

/* rcheck - the store's answers and crossings against the fixpoint */
static void
rcheck(struct groups *g, const struct rworld *w, const int *target,
    const size_t (*handle)[16], int nwatched, struct rstate (*prev)[16],
    struct groupkeys_crossings *c, size_t step)
{
	struct rstate now;
	struct groups_keys k;
	uint64_t mof[3], uids[2];
	const struct groupkeys_cross *x;
	int t, v, j, i, want, found, idx, covered;
	unsigned via;

	groupkeys_drain(g, c);
	for (t = 0; t < nwatched; t++)
		for (v = 0; v < 16; v++) {
			via = (unsigned)v;
			rcompute(w, target[t], via, &now);
			for (j = 0; j < RUSERS; j++) {
				const struct ruser *u = &w->user[j];

				for (i = 0; i < u->nmemberof; i++)
					mof[i] = w->dn[u->memberof[i]];
				for (i = 0; i < u->nuid; i++)
					uids[i] = w->uid[u->uid[i]];
				k.dn = w->dn[u->dn];
				k.memberof = mof;
				k.nmemberof = (size_t)u->nmemberof;
				k.uids = uids;
				k.nuids = (size_t)u->nuid;
				ck_assert_msg(groups_contains(g,
				    handle[t][v], &k) == now.answer[j],
				    "step %zu, target %d, via %u, user %d: "
				    "want %d", step, target[t], via, j,
				    now.answer[j]);
				/* a changed answer has a key given */
				if (now.answer[j] == prev[t][v].answer[j])
					continue;
				covered = 0;
				for (i = 0; i < (int)c->n; i++) {
					x = &c->v[i];
					if (x->handle != handle[t][v])
						continue;
					covered |= x->kind ==
					    GROUPS_CROSS_DN && x->key == k.dn;
					covered |= x->kind ==
					    GROUPS_CROSS_UID &&
					    rfind(uids, u->nuid, x->key) >= 0;
					covered |= x->kind ==
					    GROUPS_CROSS_GROUP &&
					    rfind(mof, u->nmemberof, x->key)
					    >= 0;
				}
				ck_assert_msg(covered, "step %zu, target %d, "
				    "via %u, user %d changed unseen", step,
				    target[t], via, j);
			}
			/* the crossings are exactly the keys whose
			 * standing changed, with the standing now */
			found = 0;
			for (i = 0; i < (int)c->n; i++) {
				x = &c->v[i];
				if (x->handle != handle[t][v])
					continue;
				found++;
				if (x->kind == GROUPS_CROSS_UID) {
					idx = rfind(w->uid, RUID, x->key);
					ck_assert_int_ge(idx, 0);
					ck_assert_int_eq(x->in, now.inu[idx]);
					ck_assert_int_ne(x->in,
					    prev[t][v].inu[idx]);
					continue;
				}
				idx = rfind(w->dn, RDN, x->key);
				ck_assert_int_ge(idx, 0);
				if (x->kind == GROUPS_CROSS_DN) {
					ck_assert_int_eq(x->in, now.inm[idx]);
					ck_assert_int_ne(x->in,
					    prev[t][v].inm[idx]);
					continue;
				}
				ck_assert_int_eq(x->kind, GROUPS_CROSS_GROUP);
				ck_assert_int_eq(x->in, now.ing[idx]);
				ck_assert_int_ne(x->in, prev[t][v].ing[idx]);
			}
			want = 0;
			for (i = 0; i < RUID; i++)
				want += now.inu[i] != prev[t][v].inu[i];
			for (i = 0; i < RDN; i++)
				want += now.inm[i] != prev[t][v].inm[i];
			for (i = 0; i < RDN; i++)
				want += now.ing[i] != prev[t][v].ing[i];
			ck_assert_msg(found == want, "step %zu, target %d, "
			    "via %u: %d crossings, %d changes", step,
			    target[t], via, found, want);
			prev[t][v] = now;
		}
}

START_TEST(test_random)
{
	struct rworld w;
	struct rstate prev[RTARGETS][16];
	size_t handle[RTARGETS][16];
	struct groupkeys_crossings c;
	/* cn=g2 is watched late, from the state reached by then */
	static const int target[RTARGETS] = { 0, 1, RDN - 1, 2 };
	struct groups *g = NULL;
	struct rgroup *gr;
	uint64_t s = 0x9e3779b97f4a7c15ull, r;
	char text[64];
	int i, j, t, v, x, nwatched = 3, l;
	size_t step;

	memset(&w, 0, sizeof w);
	memset(&c, 0, sizeof c);
	for (i = 0; i < RDN; i++) {
		if (i < RG)
			snprintf(text, sizeof text, "cn=g%d,ou=groups,dc=ex",
			    i);
		else if (i < RDN - 1)
			snprintf(text, sizeof text, "uid=u%d,ou=people,dc=ex",
			    i - RG);
		else
			snprintf(text, sizeof text, "cn=ghost,dc=ex");
		w.dn[i] = groupkeys_dn(text);
	}
	for (i = 0; i < RUID; i++) {
		snprintf(text, sizeof text, "v%d", i);
		w.uid[i] = groupkeys_uid(text);
	}
	for (j = 0; j < RUSERS; j++) {
		/* mostly users, a few named like groups */
		w.user[j].dn = j < 12 ? RG + j % RU : (int)(rnd(&s) % RG);
		w.user[j].nmemberof = (int)(rnd(&s) % 4);
		for (i = 0; i < w.user[j].nmemberof; i++)
			w.user[j].memberof[i] = rpick(&s);
		w.user[j].nuid = (int)(rnd(&s) % 3);
		for (i = 0; i < w.user[j].nuid; i++)
			w.user[j].uid[i] = (int)(rnd(&s) % RUID);
	}
	ck_assert_int_eq(groups_new(&g), 0);
	for (t = 0; t < RTARGETS; t++)
		for (v = 0; v < 16 && t < nwatched; v++) {
			ck_assert_int_eq(groups_watch(g, w.dn[target[t]],
			    (unsigned)v, &handle[t][v]), 0);
			rcompute(&w, target[t], (unsigned)v, &prev[t][v]);
		}
	for (step = 0; step < 1500; step++) {
		if (step == 700) {
			for (v = 0; v < 16; v++) {
				ck_assert_int_eq(groups_watch(g,
				    w.dn[target[3]], (unsigned)v,
				    &handle[3][v]), 0);
				rcompute(&w, target[3], (unsigned)v,
				    &prev[3][v]);
			}
			nwatched = 4;
		}
		x = (int)(rnd(&s) % RG);
		gr = &w.grp[x];
		r = rnd(&s) % 100;
		if (r < 40 || (!gr->present && r < 90)) {
			rgroup_random(gr, &s);
			rput(g, &w, x);
		} else if (r < 75) {
			/* one value more or less, mostly among members */
			l = r < 60 ? 0 : (int)(rnd(&s) % 4);
			if (gr->n[l] > 0 && rnd(&s) % 2) {
				i = (int)(rnd(&s) % (uint64_t)gr->n[l]);
				gr->n[l]--;
				gr->list[l][i] = gr->list[l][gr->n[l]];
			} else if (gr->n[l] < RLIST)
				gr->list[l][gr->n[l]++] = l == 2 ?
				    (int)(rnd(&s) % RUID) : rpick(&s);
			rput(g, &w, x);
		} else if (r < 90) {
			gr->present = 0;
			ck_assert_int_eq(groups_remove(g, w.dn[x]), 0);
		} else {
			/* put again as it is (or removed twice) */
			if (gr->present)
				rput(g, &w, x);
			else
				ck_assert_int_eq(groups_remove(g, w.dn[x]),
				    0);
		}
		rcheck(g, &w, target, handle, nwatched, prev, &c, step);
	}
	groupkeys_crossings_free(&c);
	groups_free(g);
}
END_TEST

/* key_of - a synthetic key */
static uint64_t
key_of(const char *kind, size_t i)
{
	char text[64];

	snprintf(text, sizeof text, "%s%zu", kind, i);
	return groupkeys_uid(text);
}

/* put_team - team t with members first..first+n-1, and extra unless
 * it is 0 */
static void
put_team(struct groups *g, size_t t, size_t first, size_t n,
    uint64_t extra)
{
	uint64_t *m = malloc((n + 1) * sizeof *m);
	struct groups_entry e;
	size_t i;

	ck_assert_ptr_nonnull(m);
	for (i = 0; i < n; i++)
		m[i] = key_of("u", first + i);
	m[n] = extra;
	memset(&e, 0, sizeof e);
	e.dn = key_of("team", t);
	e.member = m;
	e.nmember = n + (extra != 0);
	ck_assert_int_eq(groups_put(g, &e), 0);
	free(m);
}

/* put_site - site s with its teams, but for team skip */
static void
put_site(struct groups *g, size_t s, size_t teams, size_t sites,
    size_t skip)
{
	uint64_t m[64];
	struct groups_entry e;
	size_t t, n = 0;

	for (t = s; t < teams; t += sites)
		if (t != skip)
			m[n++] = key_of("team", t);
	memset(&e, 0, sizeof e);
	e.dn = key_of("site", s);
	e.member = m;
	e.nmember = n;
	ck_assert_int_eq(groups_put(g, &e), 0);
}

/*
 * The benchmark's shape: 600 team groups of 500 in 10 site groups in
 * one, 300 000 members. A change of one member costs a few steps, a
 * team nested or taken out costs its own members; neither walks the
 * closure.
 */
START_TEST(test_work)
{
	const size_t teams = 600, team = 500, sites = 10;
	struct groupkeys_crossings c0, *c = &c0;
	struct groups *g = NULL;
	struct groups_entry e;
	struct groups_keys u;
	uint64_t top[10], before, cost;
	size_t t, s, mem, any;

	memset(c, 0, sizeof *c);
	ck_assert_int_eq(groups_new(&g), 0);
	for (t = 0; t < teams; t++)
		put_team(g, t, t * team, team, 0);
	for (s = 0; s < sites; s++) {
		put_site(g, s, teams, sites, SIZE_MAX);
		top[s] = key_of("site", s);
	}
	memset(&e, 0, sizeof e);
	e.dn = key_of("top", 0);
	e.member = top;
	e.nmember = sites;
	ck_assert_int_eq(groups_put(g, &e), 0);
	ck_assert_int_eq(groups_watch(g, e.dn, MEM, &mem), 0);
	ck_assert_int_eq(groups_watch(g, e.dn, ANY, &any), 0);
	memset(&u, 0, sizeof u);
	u.dn = key_of("u", teams * team);
	ck_assert_int_eq(groups_contains(g, mem, &u), 0);

	/* one member more in team 7, then one less */
	before = groups_work(g);
	put_team(g, 7, 7 * team, team, u.dn);
	cost = groups_work(g) - before;
	ck_assert_msg(cost <= 8, "a member added cost %llu",
	    (unsigned long long)cost);
	ck_assert_int_eq(groups_contains(g, mem, &u), 1);
	ck_assert_int_eq(groups_contains(g, any, &u), 1);
	groupkeys_drain(g, c);
	ck_assert(groupkeys_has(c, mem, GROUPS_CROSS_DN, u.dn, 1));
	ck_assert_uint_eq(c->n, 3);
	before = groups_work(g);
	put_team(g, 7, 7 * team, team, 0);
	cost = groups_work(g) - before;
	ck_assert_msg(cost <= 8, "a member removed cost %llu",
	    (unsigned long long)cost);
	ck_assert_int_eq(groups_contains(g, mem, &u), 0);
	groupkeys_drain(g, c);
	ck_assert(groupkeys_has(c, mem, GROUPS_CROSS_DN, u.dn, 0));

	/* team 7 out of its site, and back */
	u.dn = key_of("u", 7 * team + 3);
	before = groups_work(g);
	put_site(g, 7, teams, sites, 7);
	cost = groups_work(g) - before;
	ck_assert_msg(cost <= 2 * 4 * (team + 4), "a team out cost %llu",
	    (unsigned long long)cost);
	ck_assert_int_eq(groups_contains(g, mem, &u), 0);
	/* its members, and itself, no longer listed */
	groupkeys_drain(g, c);
	ck_assert_uint_eq(groupkeys_count(c, mem), team + 1);
	ck_assert(groupkeys_has(c, mem, GROUPS_CROSS_DN, key_of("team", 7), 0));
	before = groups_work(g);
	put_site(g, 7, teams, sites, SIZE_MAX);
	cost = groups_work(g) - before;
	ck_assert_msg(cost <= 2 * 4 * (team + 4), "a team in cost %llu",
	    (unsigned long long)cost);
	ck_assert_int_eq(groups_contains(g, mem, &u), 1);
	groupkeys_drain(g, c);
	ck_assert_uint_eq(groupkeys_count(c, mem), team + 1);
	groupkeys_crossings_free(c);
	groups_free(g);
}
END_TEST

/* shuffle - the n keys in a random order */
static void
shuffle(uint64_t *v, size_t n, uint64_t *s)
{
	uint64_t t;
	size_t i, j;

	for (i = n; i > 1; i--) {
		j = (size_t)(rnd(s) % i);
		t = v[i - 1];
		v[i - 1] = v[j];
		v[j] = t;
	}
}

/* Large member lists in any order, with repeats and values that are
 * not DNs: each member counts once, and a new version crosses out
 * exactly the members it dropped and in exactly those it gained. */
START_TEST(test_big_lists)
{
	const size_t n = 20000;
	struct groupkeys_crossings c;
	struct groups *g = NULL;
	struct groups_entry e;
	struct groups_keys u;
	uint64_t *m = malloc(2 * n * sizeof *m), s = 42;
	size_t i, h, k;

	ck_assert_ptr_nonnull(m);
	memset(&c, 0, sizeof c);
	ck_assert_int_eq(groups_new(&g), 0);
	ck_assert_int_eq(groups_watch(g, key_of("big", 0), MEM | UNQ, &h),
	    0);
	/* members 0..n-1, the first hundred twice, and zeros */
	for (i = 0; i < n; i++)
		m[i] = key_of("u", i);
	for (k = n; k < n + 100; k++)
		m[k] = key_of("u", k - n);
	for (; k < n + 110; k++)
		m[k] = 0;
	shuffle(m, k, &s);
	memset(&e, 0, sizeof e);
	e.dn = key_of("big", 0);
	e.member = m;
	e.nmember = k;
	e.unique = m;
	e.nunique = 50;
	ck_assert_int_eq(groups_put(g, &e), 0);
	groupkeys_drain(g, &c);
	ck_assert_uint_eq(groupkeys_count(&c, h), n);
	memset(&u, 0, sizeof u);
	for (i = 0; i < n + 10; i++) {
		u.dn = key_of("u", i);
		ck_assert_int_eq(groups_contains(g, h, &u), i < n);
	}
	/* the even ones go, n..n+99 come, uniqueMember goes: a member
	 * listed both ways still counts once it is listed one way */
	for (i = 0, k = 0; i < n + 100; i++)
		if (i >= n || i % 2)
			m[k++] = key_of("u", i);
	shuffle(m, k, &s);
	e.member = m;
	e.nmember = k;
	e.nunique = 0;
	ck_assert_int_eq(groups_put(g, &e), 0);
	groupkeys_drain(g, &c);
	ck_assert_uint_eq(groupkeys_count(&c, h), n / 2 + 100);
	for (i = 0; i < n + 100; i++) {
		u.dn = key_of("u", i);
		ck_assert_int_eq(groups_contains(g, h, &u), i >= n || i % 2);
		ck_assert_int_eq(groupkeys_has(&c, h, GROUPS_CROSS_DN, u.dn,
		    i >= n), i >= n || i % 2 == 0);
	}
	groupkeys_crossings_free(&c);
	groups_free(g);
	free(m);
}
END_TEST
static Suite *
groups_watch_suite(void)
{
	Suite *s = suite_create("groups_watch");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_random);
	tcase_add_test(tc, test_work);
	tcase_add_test(tc, test_big_lists);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return testlib_main(groups_watch_suite());
}
