/*
 * errors - the error codes every module returns
 *
 * 0 is success; a negative value is an error. The human-readable message
 * is recorded in a struct diag (diag.h) by the function that failed, and
 * callers propagate the code without rewriting the message.
 */
#ifndef SPLITSYNC_ERRORS_H
#define SPLITSYNC_ERRORS_H

enum {
	ERR_OK = 0,
	ERR_NOMEM = -1,     /* allocation failed */
	ERR_INVAL = -2,     /* invalid argument or syntax (a bug or bad input) */
	ERR_CONFIG = -3,    /* configuration or mapping file is invalid */
	ERR_DATA = -4,      /* input data is malformed (LDIF, entry) */
	ERR_UNAVAIL = -5,   /* a server is unreachable: retrying later may help */
	ERR_AUTH = -6,      /* credentials refused: retrying will not help */
	ERR_IO = -7,        /* cannot read or write a file or repository */
	ERR_NOTFOUND = -8,  /* the thing looked up does not exist */
	ERR_HELD = -9,      /* a change was held by the deletion guard */
	ERR_MOVED = -10,    /* a ref moved under us (compare-and-swap failed) */
	ERR_STOP = -11,     /* a callback asked to stop early (not a failure) */
	ERR_BUG = -12,      /* the program is inconsistent: a bug, never input */
	ERR_NOINPUT = -13,  /* an input file the configuration names is missing */
	ERR_BUSY = -14      /* another process holds a lock: try again */
};

/* err_str - short constant name of an error code; never NULL */
const char *err_str(int code);
/* err_exit_status - the exit status (sysexits.h) a command ends with
 * when it fails with code; 0 for 0 */
int err_exit_status(int code);

#endif
