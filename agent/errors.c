/*
 * errors - names of the error codes
 */
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
