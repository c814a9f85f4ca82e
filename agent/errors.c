/*
 * errors - names of the error codes and the exit status of each
 */
#include <sysexits.h>

#include "errors.h"

/* err_str - short constant name of an error code */
const char *
err_str(int code)
{
	switch (code) {
	case ERR_OK: return "success";
	case ERR_NOMEM: return "out of memory";
	case ERR_INVAL: return "invalid argument";
	case ERR_CONFIG: return "configuration error";
	case ERR_DATA: return "data error";
	case ERR_UNAVAIL: return "source unavailable";
	case ERR_AUTH: return "credentials refused";
	case ERR_IO: return "input/output error";
	case ERR_NOTFOUND: return "not found";
	case ERR_HELD: return "change held";
	case ERR_MOVED: return "branch moved";
	case ERR_STOP: return "stopped";
	case ERR_BUG: return "internal error";
	case ERR_NOINPUT: return "input file missing";
	case ERR_BUSY: return "locked by another process";
	}
	return "unknown error";
}

/* err_exit_status - sysexits status for an error code; a code that
 * reaches here unconverted (an invalid argument, a callback's stop, one
 * without a status of its own) is the program's inconsistency: 70. The
 * command line's own mistakes end with 64 before any module runs. */
int
err_exit_status(int rc)
{
	switch (rc) {
	case 0: return EX_OK;
	case ERR_CONFIG: return EX_CONFIG;
	case ERR_DATA: return EX_DATAERR;
	case ERR_UNAVAIL: return EX_UNAVAILABLE;
	case ERR_AUTH: return EX_NOPERM;
	case ERR_IO: return EX_CANTCREAT;
	case ERR_HELD: return EX_TEMPFAIL;
	case ERR_MOVED: return EX_TEMPFAIL;
	case ERR_NOTFOUND: return EX_DATAERR;
	case ERR_NOINPUT: return EX_NOINPUT;
	case ERR_BUSY: return EX_TEMPFAIL;
	case ERR_BUG: return EX_SOFTWARE;
	}
	return EX_SOFTWARE;
}
