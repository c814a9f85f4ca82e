/*
 * check_message - commit messages, byte for byte, and their trailers
 * read back the way git reads them: from the last paragraph only
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "diag.h"
#include "errors.h"
#include "message.h"
#include "routes.h"
#include "testlib.h"

static struct route_row row_a = { "a@example.com", "internal",
	"lmtp:core.example.com:2400", "id-a", "uid=a,dc=example,dc=com" };
static struct route_row row_b0 = { "b@example.com", "internal", "",
	"", "uid=b,dc=example,dc=com" };
static struct route_row row_b1 = { "b@example.com", "external",
	"smtp:[legacy.example.com]:25", "", "uid=b,dc=example,dc=com" };
static struct route_row row_c = { "c@example.com", "external", "",
	"id-c", "" };

/* three_changes - one of each kind */
static void
three_changes(struct route_change ch[3])
{
	ch[0].op = '+';
	ch[0].old = NULL;
	ch[0].new = &row_a;
	ch[1].op = '~';
	ch[1].old = &row_b0;
	ch[1].new = &row_b1;
	ch[2].op = '-';
	ch[2].old = &row_c;
	ch[2].new = NULL;
}

#define CHANGE_LINES \
	"+ a@example.com: internal lmtp:core.example.com:2400 " \
	"(uid=a,dc=example,dc=com)\n" \
	"~ b@example.com: internal -> external smtp:[legacy.example.com]:25 " \
	"(uid=b,dc=example,dc=com)\n" \
	"- c@example.com: external\n"

START_TEST(a_change_says_what_it_did_and_how_to_resume)
{
	struct route_change ch[3];
	struct message_body b;
	struct message_trailers t;
	struct diag problems;
	struct buf msg = BUF_INIT;

	three_changes(ch);
	diag_init(&problems, NULL);
	diag_add(&problems, DIAG_WARNING, DIAG_CONFLICT,
	    "uid=d,dc=example,dc=com", "b@example.com: claimed by another");
	memset(&b, 0, sizeof b);
	b.changes = ch;
	b.nchanges = 3;
	b.naddresses = 7;
	b.ndomains = 2;
	b.problems = &problems;
	b.branch = "main";
	message_trailers_init(&t);
	t.source = "ldap://ldap.example.com\n";
	t.layout = "bluemind";
	t.rejected = 4;
	t.conflicts = 1;
	t.cookie = "rid=000,csn=1 2%\n";
	t.cookie_len = strlen(t.cookie);
	ck_assert_int_eq(message_compose(&msg, &b, &t), 0);
	ck_assert_str_eq(msg.data,
	    "splitsync: 1 added, 1 changed, 1 removed (7 addresses, "
	    "2 domains)\n\n"
	    CHANGE_LINES
	    "\nConflicts (existing routes kept):\n"
	    "! uid=d,dc=example,dc=com: b@example.com: claimed by another\n"
	    "\nSplitsync-Source: ldap://ldap.example.com\\x0a\n"
	    "Splitsync-Layout: bluemind\n"
	    "Splitsync-Rejected: 4\n"
	    "Splitsync-Conflicts: 1\n"
	    "Splitsync-Cookie: rid=000,csn=1%202%25%0A\n");
	buf_free(&msg);
	diag_free(&problems);
}
END_TEST

START_TEST(a_held_change_and_its_confirm)
{
	static const char base[] = "0123456789abcdef0123456789abcdef01234567";
	static const char held[] = "89abcdef0123456789abcdef0123456789abcdef";
	struct route_change ch[3];
	struct message_body b;
	struct message_trailers t, back;
	struct buf msg = BUF_INIT, conf = BUF_INIT;

	three_changes(ch);
	memset(&b, 0, sizeof b);
	b.held = "3 routes would be removed, more than "
	    "guard_max_delete_count = 2";
	b.changes = ch;
	b.nchanges = 3;
	b.naddresses = 7;
	b.ndomains = 2;
	message_trailers_init(&t);
	t.source = "directory.ldif";
	t.layout = "gateway";
	t.base = base;
	ck_assert_int_eq(message_compose(&msg, &b, &t), 0);
	ck_assert_str_eq(msg.data,
	    "splitsync: held: 3 routes would be removed, more than "
	    "guard_max_delete_count = 2\n\n"
	    "Confirm with splitsync confirm, or resync --force.\n\n"
	    "splitsync: 1 added, 1 changed, 1 removed (7 addresses, "
	    "2 domains)\n\n"
	    CHANGE_LINES
	    "\nSplitsync-Source: directory.ldif\n"
	    "Splitsync-Layout: gateway\n"
	    "Splitsync-Rejected: 0\n"
	    "Splitsync-Conflicts: 0\n"
	    "Splitsync-Base: 0123456789abcdef0123456789abcdef01234567\n");
	message_trailers_init(&t);
	t.held = held;
	t.confirmed_by = "admin@mx1";
	t.confirmed_at = "2026-01-01T00:00:00Z";
	ck_assert_int_eq(message_confirm(&conf, msg.data, &t, "main-held",
	    "main"), 0);
	ck_assert_str_eq(conf.data,
	    "splitsync: confirmed: 3 routes would be removed, more than "
	    "guard_max_delete_count = 2\n\n"
	    "Confirmed by admin@mx1 at 2026-01-01T00:00:00Z: the change held "
	    "on main-held (89abcdef0123) goes onto main.\n\n"
	    "splitsync: 1 added, 1 changed, 1 removed (7 addresses, "
	    "2 domains)\n\n"
	    CHANGE_LINES
	    "\nSplitsync-Source: directory.ldif\n"
	    "Splitsync-Layout: gateway\n"
	    "Splitsync-Rejected: 0\n"
	    "Splitsync-Conflicts: 0\n"
	    "Splitsync-Base: 0123456789abcdef0123456789abcdef01234567\n"
	    "Splitsync-Held: 89abcdef0123456789abcdef0123456789abcdef\n"
	    "Splitsync-Confirmed-By: admin@mx1\n"
	    "Splitsync-Confirmed-At: 2026-01-01T00:00:00Z\n");
	/* The confirm carries the held change's trailers and its own. */
	ck_assert_int_eq(message_parse(conf.data, &back), 0);
	ck_assert_str_eq(back.layout, "gateway");
	ck_assert_str_eq(back.base, base);
	ck_assert_str_eq(back.held, held);
	ck_assert_str_eq(back.confirmed_by, "admin@mx1");
	ck_assert_str_eq(back.confirmed_at, "2026-01-01T00:00:00Z");
	ck_assert_ptr_null(back.cookie);
	message_trailers_clear(&back);
	buf_free(&msg);
	buf_free(&conf);
}
END_TEST

START_TEST(the_state_alone_says_so)
{
	struct message_body b;
	struct message_trailers t;
	struct buf msg = BUF_INIT;

	memset(&b, 0, sizeof b);
	b.naddresses = 10;
	b.ndomains = 2;
	message_trailers_init(&t);
	t.source = "ldapi://%2Ftmp%2Fslapd";
	t.layout = "bluemind";
	t.cookie = "rid=000";
	t.cookie_len = 7;
	ck_assert_int_eq(message_state_saved(&msg, &b, &t), 0);
	ck_assert_str_eq(msg.data,
	    "splitsync: service state saved (no table changed)\n\n"
	    "The service's copy of the directory and its cookie, so that its "
	    "next start resumes from here.\n\n"
	    "splitsync: 0 added, 0 changed, 0 removed (10 addresses, "
	    "2 domains)\n\n"
	    "\nSplitsync-Source: ldapi://%2Ftmp%2Fslapd\n"
	    "Splitsync-Layout: bluemind\n"
	    "Splitsync-Rejected: 0\n"
	    "Splitsync-Conflicts: 0\n"
	    "Splitsync-Cookie: rid=000\n");
	buf_free(&msg);
}
END_TEST

START_TEST(every_trailer_reads_back)
{
	static const char hand[] = "fedcba9876543210fedcba9876543210fedcba98";
	struct message_body b;
	struct message_trailers t, back;
	struct buf msg = BUF_INIT;
	char cookie[256];
	size_t i;

	/* Every byte a cookie may hold survives the message. */
	for (i = 0; i < sizeof cookie; i++)
		cookie[i] = (char)(255 - i);
	memset(&b, 0, sizeof b);
	message_trailers_init(&t);
	t.source = "ldaps://ldap.example.com";
	t.layout = "bluemind";
	t.rejected = 3003;
	t.conflicts = 5001;
	t.base = "0123456789abcdef0123456789abcdef01234567";
	t.hand_edit = hand;
	t.cookie = cookie;
	t.cookie_len = sizeof cookie;
	ck_assert_int_eq(message_compose(&msg, &b, &t), 0);
	ck_assert_int_eq(message_parse(msg.data, &back), 0);
	ck_assert_str_eq(back.source, "ldaps://ldap.example.com");
	ck_assert_str_eq(back.layout, "bluemind");
	ck_assert_uint_eq(back.rejected, 3003);
	ck_assert_uint_eq(back.conflicts, 5001);
	ck_assert_str_eq(back.base, t.base);
	ck_assert_str_eq(back.hand_edit, hand);
	ck_assert_uint_eq(back.cookie_len, sizeof cookie);
	ck_assert_int_eq(memcmp(back.cookie, cookie, sizeof cookie), 0);
	ck_assert_ptr_null(back.held);
	message_trailers_clear(&back);
	/* A '%' that does not start an escape is the byte itself. */
	ck_assert_int_eq(message_parse("x\n\nSplitsync-Cookie: a%zz%4\n",
	    &back), 0);
	ck_assert_uint_eq(back.cookie_len, 6);
	ck_assert_int_eq(memcmp(back.cookie, "a%zz%4", 6), 0);
	message_trailers_clear(&back);
	buf_free(&msg);
}
END_TEST

/* Trailer-like lines in the body are not trailers: a person who pastes
 * splitsync's message into the body of a commit of theirs has not made
 * splitsync's commit. */
START_TEST(only_the_last_paragraph_holds_trailers)
{
	struct message_trailers back;

	ck_assert_int_eq(message_parse("quick fix\n\nundoes part of:\n"
	    "splitsync: 1 added, 0 changed, 0 removed\n"
	    "Splitsync-Layout: bluemind\n"
	    "Splitsync-Cookie: rid=000\n"
	    "Splitsync-Base: 0123456789abcdef0123456789abcdef01234567\n\n"
	    "Signed-off-by: Admin <admin@example.com>\n", &back), 0);
	ck_assert_ptr_null(back.layout);
	ck_assert_ptr_null(back.cookie);
	ck_assert_ptr_null(back.base);
	message_trailers_clear(&back);
	/* The title is never a trailer either. */
	ck_assert_int_eq(message_parse("Splitsync-Layout: bluemind\n", &back),
	    0);
	ck_assert_ptr_null(back.layout);
	message_trailers_clear(&back);
	ck_assert_int_eq(message_parse("", &back), 0);
	ck_assert_ptr_null(back.source);
	message_trailers_clear(&back);
}
END_TEST

/* An empty value is a value: the next trailer is still its own. */
START_TEST(empty_values_stay_empty)
{
	struct message_body b;
	struct message_trailers t, back;
	struct buf msg = BUF_INIT;

	memset(&b, 0, sizeof b);
	message_trailers_init(&t);
	t.source = "";
	t.layout = "gateway";
	t.conflicts = 2;
	t.cookie = "";
	t.cookie_len = 0;
	ck_assert_int_eq(message_compose(&msg, &b, &t), 0);
	ck_assert_int_eq(message_parse(msg.data, &back), 0);
	ck_assert_str_eq(back.source, "");
	ck_assert_str_eq(back.layout, "gateway");
	ck_assert_uint_eq(back.conflicts, 2);
	ck_assert_ptr_nonnull(back.cookie);
	ck_assert_uint_eq(back.cookie_len, 0);
	message_trailers_clear(&back);
	buf_free(&msg);
}
END_TEST

START_TEST(long_lists_are_cut_and_counted)
{
	struct route_change *ch;
	struct message_body b;
	struct message_trailers t;
	struct diag problems;
	struct buf msg = BUF_INIT;
	size_t i, lines = 0;
	const char *p;

	ch = calloc(MESSAGE_MAX_CHANGES + 5, sizeof *ch);
	ck_assert_ptr_nonnull(ch);
	for (i = 0; i < MESSAGE_MAX_CHANGES + 5; i++) {
		ch[i].op = '+';
		ch[i].new = &row_a;
	}
	diag_init(&problems, NULL);
	for (i = 0; i < MESSAGE_MAX_CHANGES + 2; i++)
		diag_add(&problems, DIAG_WARNING, DIAG_CONFLICT, "uid=d",
		    "claim %zu", i);
	memset(&b, 0, sizeof b);
	b.changes = ch;
	b.nchanges = MESSAGE_MAX_CHANGES + 5;
	b.problems = &problems;
	message_trailers_init(&t);
	t.source = "s";
	t.layout = "bluemind";
	ck_assert_int_eq(message_compose(&msg, &b, &t), 0);
	for (p = msg.data; (p = strstr(p, "\n+ a@")) != NULL; p++)
		lines++;
	ck_assert_uint_eq(lines, MESSAGE_MAX_CHANGES);
	ck_assert_ptr_nonnull(strstr(msg.data, "\n... and 5 more changes\n"));
	ck_assert_ptr_nonnull(strstr(msg.data,
	    "\n... and 2 more conflicts\n"));
	ck_assert_ptr_nonnull(strstr(msg.data, "splitsync: 1005 added, "));
	buf_free(&msg);
	diag_free(&problems);
	free(ch);
}
END_TEST

/* message_suite - the cases */
static Suite *
message_suite(void)
{
	Suite *s = suite_create("message");
	TCase *tc = tcase_create("message");

	tcase_add_test(tc, a_change_says_what_it_did_and_how_to_resume);
	tcase_add_test(tc, a_held_change_and_its_confirm);
	tcase_add_test(tc, the_state_alone_says_so);
	tcase_add_test(tc, every_trailer_reads_back);
	tcase_add_test(tc, only_the_last_paragraph_holds_trailers);
	tcase_add_test(tc, empty_values_stay_empty);
	tcase_add_test(tc, long_lists_are_cut_and_counted);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return testlib_main(message_suite());
}
