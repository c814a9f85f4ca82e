/*
 * log - one line per event, to stderr or syslog
 *
 * Lines read "module: object: what happened: why". A struct log is a
 * plain value owned by the caller (main); modules never log on their own,
 * they record problems in a struct diag, which forwards to the log.
 * Control characters in messages are escaped, so a hostile directory
 * value cannot forge log lines.
 */
#ifndef SPLITSYNC_LOG_H
#define SPLITSYNC_LOG_H

#include <stdarg.h>
#include "buf.h"

enum log_level {
	LOG_LEVEL_ERROR = 0,
	LOG_LEVEL_WARNING,
	LOG_LEVEL_NOTICE,
	LOG_LEVEL_INFO,
	LOG_LEVEL_DEBUG
};

struct log {
	enum log_level level;   /* messages above this level are dropped */
	int use_syslog;         /* 0: stderr, 1: syslog(3) */
	const char *ident;      /* program name, borrowed */
};

/* log_open - set up a logger; opens syslog when asked */
void log_open(struct log *l, const char *ident, enum log_level level,
    int use_syslog);
void log_close(struct log *l);
/* log_level_parse - "error".."debug" to a level; 0 or ERR_INVAL */
int log_level_parse(const char *name, enum log_level *out);
/* log_escape - append in to out with bytes below 0x20, 0x7f and bytes
 * that are not part of valid UTF-8 written as \xHH; ERR_NOMEM */
int log_escape(struct buf *out, const char *in);
void log_msg(const struct log *l, enum log_level level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void log_vmsg(const struct log *l, enum log_level level, const char *fmt,
    va_list ap);

#endif
