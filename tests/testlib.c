/*
 * testlib - helpers shared by the Check suites
 */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <fcntl.h>
#include <unistd.h>

#include "testlib.h"

char *
testlib_tmpdir(void)
{
	const char *base = getenv("TMPDIR");
	char *path;

	if (base == NULL || *base == '\0')
		base = "/tmp";
	if (asprintf(&path, "%s/splitsync-test.XXXXXX", base) < 0)
		return NULL;
	if (mkdtemp(path) == NULL) {
		free(path);
		return NULL;
	}
	return path;
}

void
testlib_rmrf(const char *dir)
{
	char *out = NULL;

	if (dir && *dir && strcmp(dir, "/") != 0)
		testlib_sh(&out, "rm -rf '%s'", dir);
	free(out);
}

int
testlib_write(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	size_t n = strlen(text);

	if (f == NULL)
		return -1;
	chmod(path, 0600);
	if (fwrite(text, 1, n, f) != n) {
		fclose(f);
		return -1;
	}
	return fclose(f) == 0 ? 0 : -1;
}

char *
testlib_read(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *data = NULL;
	size_t cap = 0, n = 0, r;

	if (f == NULL)
		return NULL;
	for (;;) {
		if (n + 4096 + 1 > cap) {
			char *p = realloc(data, cap = cap * 2 + 8192);
			if (p == NULL) {
				free(data);
				fclose(f);
				return NULL;
			}
			data = p;
		}
		r = fread(data + n, 1, cap - n - 1, f);
		n += r;
		if (r == 0)
			break;
	}
	fclose(f);
	data[n] = '\0';
	if (len)
		*len = n;
	return data;
}

int
testlib_sh(char **output, const char *fmt, ...)
{
	va_list ap;
	char *cmd = NULL, *full = NULL;
	FILE *p;
	int status, rc = -1;
	size_t n = 0, cap = 0, r;
	char *data = NULL;

	va_start(ap, fmt);
	if (vasprintf(&cmd, fmt, ap) < 0)
		cmd = NULL;
	va_end(ap);
	if (cmd == NULL || asprintf(&full, "( %s ) 2>&1", cmd) < 0)
		goto out;
	p = popen(full, "r");
	if (p == NULL)
		goto out;
	for (;;) {
		if (n + 4096 + 1 > cap) {
			char *q = realloc(data, cap = cap * 2 + 8192);
			if (q == NULL)
				break;
			data = q;
		}
		r = fread(data + n, 1, cap - n - 1, p);
		n += r;
		if (r == 0)
			break;
	}
	if (data)
		data[n] = '\0';
	status = pclose(p);
	if (status != -1 && WIFEXITED(status))
		rc = WEXITSTATUS(status);
out:
	free(cmd);
	free(full);
	if (output)
		*output = data;
	else
		free(data);
	return rc;
}

const char *
testlib_bin(void)
{
	const char *b = getenv("SPLITSYNC_BIN");

	return b && *b ? b : "./splitsync";
}

int
testlib_main(Suite *s)
{
	SRunner *sr = srunner_create(s);
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
