/*
 * testlib - helpers shared by the Check suites
 *
 * Tests run from the top of the source tree (tests/run-all.sh does it);
 * SPLITSYNC_BIN names the binary under test. Temp directories are made
 * under $TMPDIR (or /tmp) and removed by the test that made them.
 */
#ifndef SPLITSYNC_TESTLIB_H
#define SPLITSYNC_TESTLIB_H

#include <check.h>
#include <stddef.h>

/* testlib_tmpdir - a new private directory; caller frees the string and
 * removes the directory with testlib_rmrf */
char *testlib_tmpdir(void);
void testlib_rmrf(const char *dir);
/* testlib_write - write text to path (created 0600); 0 or -1 */
int testlib_write(const char *path, const char *text);
/* testlib_read - whole file, NUL-terminated (free()), or NULL */
char *testlib_read(const char *path, size_t *len);
/* testlib_sh - run a shell command line, capture stdout and stderr
 * together into *output (free(); may be NULL), return its exit status
 * (or -1 when it could not run or was killed) */
int testlib_sh(char **output, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* testlib_bin - path of the splitsync binary under test */
const char *testlib_bin(void);
/* testlib_main - run the suite, print Check's summary, exit status */
int testlib_main(Suite *s);

#endif
