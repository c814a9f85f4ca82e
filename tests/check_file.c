/*
 * check_file - files a configuration names (agent/file.c)
 *
 * DESCRIPTION
 *	file_open_named and file_read_named on every kind of file a
 *	configuration may name by mistake or by malice: missing, a
 *	directory, a FIFO (never waited on), a device (never read), a
 *	symbolic link (followed, or refused when asked), a file over its
 *	cap, one that changes while read; and for a secret, its owner and
 *	mode and its directory's. Each refusal names the file and says
 *	what it is; every reader of such a file (configuration, mapping,
 *	LDIF, metrics) refuses the same way.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "diag.h"
#include "errors.h"
#include "file.h"
#include "ldif.h"
#include "mapping.h"
#include "metrics.h"
#include "testlib.h"

static char *dir;

static void
setup(void)
{
	dir = testlib_tmpdir();
	ck_assert_ptr_nonnull(dir);
}

static void
teardown(void)
{
	char *out = NULL;

	/* a test may leave the directory unwritable or given away */
	testlib_sh(&out, "chmod 0700 '%s'; chown %ld '%s'", dir,
	    (long)geteuid(), dir);
	free(out);
	testlib_rmrf(dir);
	free(dir);
	dir = NULL;
}

/* at - a path in the test's directory (static buffer) */
static const char *
at(const char *name)
{
	static char path[1024];

	snprintf(path, sizeof path, "%s/%s", dir, name);
	return path;
}

/* sh - run a shell command in the test's directory, which must work */
static void
sh(const char *cmd)
{
	char *out = NULL;

	ck_assert_msg(testlib_sh(&out, "cd '%s' && %s", dir, cmd) == 0,
	    "%s: %s", cmd, out ? out : "");
	free(out);
}

/* said - the last error names path and holds text */
static void
said(const struct diag *d, const char *path, const char *text)
{
	size_t i;

	for (i = d->count; i > 0; i--)
		if (d->items[i - 1].level == DIAG_ERROR)
			break;
	ck_assert_msg(i > 0, "no error for %s", path);
	ck_assert_str_eq(d->items[i - 1].where, path);
	ck_assert_msg(strstr(d->items[i - 1].what, text) != NULL,
	    "%s: \"%s\" has no \"%s\"", path, d->items[i - 1].what, text);
}

/* read_as - file_read_named on name in the test's directory, with the
 * result and the message checked; data (when it reads) freed */
static void
read_as(const char *name, size_t max, unsigned flags, int want,
    const char *text)
{
	char *data = (char *)"x", path[1024];
	size_t len = 99;
	struct diag d;
	int rc;

	snprintf(path, sizeof path, "%s", name[0] == '/' ? name : at(name));
	diag_init(&d, NULL);
	rc = file_read_named(path, "test file", max, flags, &data, &len, &d);
	ck_assert_msg(rc == want, "%s: %s, want %s (%s)", name, err_str(rc),
	    err_str(want), diag_last_error(&d));
	if (rc < 0) {
		ck_assert_ptr_null(data);
		ck_assert_uint_eq(len, 0);
		said(&d, path, text);
	} else {
		ck_assert_uint_eq(d.count, 0);
		ck_assert_uint_eq(strlen(data), len);
		ck_assert_str_eq(data, text);
		free(data);
	}
	diag_free(&d);
}

START_TEST(reads_a_regular_file_whole)
{
	sh("printf 'one\\ntwo\\n' > f && printf '' > empty");
	read_as("f", 100, 0, 0, "one\ntwo\n");
	read_as("empty", 100, 0, 0, "");
	/* at the cap exactly: read */
	read_as("f", 8, 0, 0, "one\ntwo\n");
	/* a link is followed unless told otherwise */
	sh("ln -s f link");
	read_as("link", 100, 0, 0, "one\ntwo\n");
}
END_TEST

START_TEST(refuses_what_is_not_a_regular_file)
{
	sh("mkdir sub && mkfifo fifo && ln -s fifo link-to-fifo && "
	    "ln -s /dev/null null && ln -s missing dangling");
	read_as("missing", 100, 0, ERR_NOINPUT, "cannot open the test file: "
	    "No such file or directory");
	read_as("dangling", 100, 0, ERR_NOINPUT, "cannot open the test file");
	read_as("sub", 100, 0, ERR_CONFIG, "the test file is a directory, not "
	    "a regular file; refused");
	/* open() would wait for a writer: never opened */
	read_as("fifo", 100, 0, ERR_CONFIG, "the test file is a FIFO, not a "
	    "regular file; refused");
	read_as("link-to-fifo", 100, 0, ERR_CONFIG, "is a FIFO");
	read_as("null", 100, 0, ERR_CONFIG, "is a character device");
	read_as("/dev/zero", 100, 0, ERR_CONFIG, "is a character device");
}
END_TEST

START_TEST(nofollow_refuses_a_link)
{
	sh("printf 'x' > f && ln -s f link && ln -s /dev/zero zero");
	read_as("f", 100, FILE_NOFOLLOW, 0, "x");
	read_as("link", 100, FILE_NOFOLLOW, ERR_CONFIG, "the test file is a "
	    "symbolic link; refused");
	read_as("zero", 100, FILE_NOFOLLOW, ERR_CONFIG, "is a symbolic link");
}
END_TEST

START_TEST(caps_the_size_and_says_the_cap)
{
	sh("printf '0123456789A' > eleven && truncate -s 4194305 big && "
	    "truncate -s 65537 secretish");
	read_as("eleven", 10, 0, ERR_CONFIG, "the test file is larger than "
	    "10 bytes (11 bytes); refused");
	read_as("big", FILE_MAX_MAPPING, 0, ERR_CONFIG, "larger than 4 MiB "
	    "(4194305 bytes)");
	read_as("secretish", FILE_MAX_SECRET, 0, ERR_CONFIG, "larger than "
	    "64 KiB");
}
END_TEST

/* A file whose size says one thing and whose reads another, as one
 * being written does: refused, try again. /proc says 0 bytes and has
 * more. */
START_TEST(a_file_that_changes_while_read)
{
	read_as("/proc/self/status", 100000, 0, ERR_UNAVAIL, "the test file "
	    "changed while it was read; try again");
}
END_TEST

/* open_as - file_open_named of a secret in the test's directory */
static void
open_as(const char *name, int want, const char *text)
{
	struct diag d;
	size_t size = 7;
	int fd = 7, rc;
	char path[1024];

	snprintf(path, sizeof path, "%s", at(name));
	diag_init(&d, NULL);
	rc = file_open_named(path, "secret", FILE_MAX_SECRET, FILE_SECRET, &fd,
	    &size, &d);
	ck_assert_msg(rc == want, "%s: %s, want %s (%s)", name, err_str(rc),
	    err_str(want), diag_last_error(&d));
	if (rc == 0) {
		ck_assert_int_ge(fd, 0);
		ck_assert_uint_eq(size, 3);
		close(fd);
	} else {
		ck_assert_int_eq(fd, -1);
		said(&d, path, text);
	}
	diag_free(&d);
}

START_TEST(secret_owner_mode_and_link)
{
	sh("umask 077 && printf 'pw\\n' > pw && printf 'pw\\n' > open && "
	    "chmod 0640 open && printf 'pw\\n' > other && chmod 0604 other && "
	    "ln -s pw link && mkfifo -m 0600 fifo");
	open_as("pw", 0, NULL);
	open_as("open", ERR_CONFIG, "the secret's mode is 0640: group and "
	    "others must have no access (chmod 600)");
	open_as("other", ERR_CONFIG, "mode is 0604");
	open_as("link", ERR_CONFIG, "the secret is a symbolic link");
	open_as("fifo", ERR_CONFIG, "is a FIFO");
	open_as("missing", ERR_NOINPUT, "cannot open the secret");
	if (geteuid() == 0) {
		sh("chown 65534 pw");
		open_as("pw", ERR_CONFIG, "the secret is owned by uid 65534, "
		    "not by root or by uid 0");
	}
}
END_TEST

START_TEST(secret_directory)
{
	sh("umask 077 && printf 'pw\\n' > pw");
	ck_assert_int_eq(chmod(dir, 0750), 0);
	open_as("pw", 0, NULL);
	ck_assert_int_eq(chmod(dir, 0770), 0);
	open_as("pw", ERR_CONFIG, "is group-writable (mode 0770): anyone who "
	    "can write there can replace the file; refused");
	ck_assert_int_eq(chmod(dir, 0702), 0);
	open_as("pw", ERR_CONFIG, "is world-writable (mode 0702)");
	/* sticky or not: others can still put a file of their own there
	 * first */
	ck_assert_int_eq(chmod(dir, 01777), 0);
	open_as("pw", ERR_CONFIG, "world-writable (mode 1777)");
	ck_assert_int_eq(chmod(dir, 0700), 0);
	if (geteuid() == 0) {
		ck_assert_int_eq(chown(dir, 65534, 65534), 0);
		open_as("pw", ERR_CONFIG, "is owned by uid 65534, not by root");
		ck_assert_int_eq(chown(dir, 0, 0), 0);
	}
}
END_TEST

/* The directory checked is the one reached through the path, links
 * and all; the file is opened in it. */
START_TEST(secret_directory_through_a_link)
{
	char link[1100], path[1200];
	struct diag d;
	size_t size;
	int fd;

	sh("mkdir real && chmod 0700 real && umask 077 && "
	    "printf 'pw\\n' > real/pw");
	snprintf(link, sizeof link, "%s.link", dir);
	ck_assert_int_eq(symlink(at("real"), link), 0);
	snprintf(path, sizeof path, "%s/pw", link);
	diag_init(&d, NULL);
	ck_assert_int_eq(file_open_named(path, "secret", FILE_MAX_SECRET,
	    FILE_SECRET, &fd, &size, &d), 0);
	close(fd);
	ck_assert_int_eq(chmod(at("real"), 0777), 0);
	ck_assert_int_eq(file_open_named(path, "secret", FILE_MAX_SECRET,
	    FILE_SECRET, &fd, &size, &d), ERR_CONFIG);
	said(&d, path, "world-writable");
	diag_free(&d);
	unlink(link);
}
END_TEST

/* Each reader of a file a configuration names goes through the checks:
 * a FIFO (even behind a link) is refused unopened, a device unread,
 * whichever file it is. */
START_TEST(every_reader_refuses_what_is_not_a_file)
{
	static const char *const names[] = { "fifo", "link-to-fifo", "zero" };
	struct config *c = NULL;
	struct mapping *m = NULL;
	struct metrics met;
	struct diag d;
	size_t i;

	sh("mkfifo fifo && ln -s fifo link-to-fifo && ln -s /dev/zero zero");
	for (i = 0; i < sizeof names / sizeof *names; i++) {
		diag_init(&d, NULL);
		ck_assert_int_eq(config_load(at(names[i]), &c, &d), ERR_CONFIG);
		said(&d, at(names[i]), "the configuration file is a");
		ck_assert_int_eq(mapping_load(at(names[i]), &m, &d),
		    ERR_CONFIG);
		said(&d, at(names[i]), "the mapping file is a");
		ck_assert_int_eq(ldif_read_file(at(names[i]), NULL, NULL, &d),
		    ERR_CONFIG);
		said(&d, at(names[i]), "the LDIF file is a");
		ck_assert_int_eq(metrics_read(at(names[i]), &met, &d),
		    ERR_CONFIG);
		said(&d, at(names[i]), i == 0 ? "the metrics file is a FIFO" :
		    "the metrics file is a symbolic link");
		diag_free(&d);
	}
	ck_assert_ptr_null(c);
	ck_assert_ptr_null(m);
}
END_TEST

/* file_suite - reading checked files */
static Suite *
file_suite(void)
{
	Suite *s = suite_create("file");
	TCase *tc = tcase_create("read");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, reads_a_regular_file_whole);
	tcase_add_test(tc, refuses_what_is_not_a_regular_file);
	tcase_add_test(tc, nofollow_refuses_a_link);
	tcase_add_test(tc, caps_the_size_and_says_the_cap);
	tcase_add_test(tc, a_file_that_changes_while_read);
	tcase_add_test(tc, secret_owner_mode_and_link);
	tcase_add_test(tc, secret_directory);
	tcase_add_test(tc, secret_directory_through_a_link);
	tcase_add_test(tc, every_reader_refuses_what_is_not_a_file);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return testlib_main(file_suite());
}
