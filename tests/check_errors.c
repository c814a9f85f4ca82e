/*
 * check_errors - every error code has a name and the exit status the
 * manual gives it
 *
 * DESCRIPTION
 *	The table below is splitsync(8) EXIT STATUS read from the other
 *	side: each code the modules return ends a command with exactly one
 *	status. No failure ends with 64: that status is for the command
 *	line only, and parse_args returns it itself.
 */
#include <string.h>
#include <sysexits.h>

#include "errors.h"
#include "testlib.h"

static const struct exit_case {
	int code;
	int status;
} exit_cases[] = {
	{ ERR_OK, 0 },
	{ ERR_NOMEM, EX_SOFTWARE },
	{ ERR_INVAL, EX_SOFTWARE },     /* a caller's mistake: a bug */
	{ ERR_CONFIG, EX_CONFIG },
	{ ERR_DATA, EX_DATAERR },
	{ ERR_UNAVAIL, EX_UNAVAILABLE },
	{ ERR_AUTH, EX_NOPERM },
	{ ERR_IO, EX_CANTCREAT },
	{ ERR_NOTFOUND, EX_DATAERR },
	{ ERR_HELD, EX_TEMPFAIL },
	{ ERR_MOVED, EX_TEMPFAIL },
	{ ERR_STOP, EX_SOFTWARE },
	{ ERR_BUG, EX_SOFTWARE },
	{ ERR_NOINPUT, EX_NOINPUT },
	{ ERR_BUSY, EX_TEMPFAIL },
};

START_TEST(each_code_has_its_exit_status)
{
	const struct exit_case *c = &exit_cases[_i];

	ck_assert_msg(err_exit_status(c->code) == c->status,
	    "%s (%d): exit %d, want %d", err_str(c->code), c->code,
	    err_exit_status(c->code), c->status);
}
END_TEST

START_TEST(no_failure_exits_with_the_usage_status)
{
	int code;

	/* Codes nobody returns yet are internal errors too. */
	for (code = -1; code >= -64; code--)
		ck_assert_msg(err_exit_status(code) != EX_USAGE,
		    "%s (%d) exits %d", err_str(code), code, EX_USAGE);
	ck_assert_int_eq(err_exit_status(-1000), EX_SOFTWARE);
}
END_TEST

START_TEST(each_code_has_a_name)
{
	size_t i;

	for (i = 0; i < sizeof exit_cases / sizeof *exit_cases; i++)
		ck_assert_msg(strcmp(err_str(exit_cases[i].code),
		    "unknown error") != 0, "%d has no name",
		    exit_cases[i].code);
	ck_assert_str_eq(err_str(-1000), "unknown error");
}
END_TEST

/* errors_suite - the table and the two rules */
static Suite *
errors_suite(void)
{
	Suite *s = suite_create("errors");
	TCase *tc = tcase_create("errors");

	tcase_add_loop_test(tc, each_code_has_its_exit_status, 0,
	    sizeof exit_cases / sizeof *exit_cases);
	tcase_add_test(tc, no_failure_exits_with_the_usage_status);
	tcase_add_test(tc, each_code_has_a_name);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return testlib_main(errors_suite());
}
