/*
 * log - one line per event, to stderr or syslog
 *
 * Control characters and non-ASCII bytes are written as \xHH so that no
 * value can start a new log line or confuse a terminal.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>

#include "buf.h"
#include "errors.h"
#include "log.h"

static const char *const level_names[] = {
	"error", "warning", "notice", "info", "debug"
};

static const int syslog_prio[] = {
	LOG_ERR, LOG_WARNING, LOG_NOTICE, LOG_INFO, LOG_DEBUG
};

/* log_open - set up a logger */
void
log_open(struct log *l, const char *ident, enum log_level level,
    int use_syslog)
{
	l->ident = ident;
	l->level = level;
	l->use_syslog = use_syslog;
	if (use_syslog)
		openlog(ident, LOG_PID, LOG_MAIL);
}

/* log_close - close syslog if it was opened */
void
log_close(struct log *l)
{
	if (l->use_syslog)
		closelog();
}

/* log_level_parse - level by name */
int
log_level_parse(const char *name, enum log_level *out)
{
	size_t i;

	for (i = 0; i < sizeof level_names / sizeof level_names[0]; i++) {
		if (strcasecmp(name, level_names[i]) == 0) {
			*out = (enum log_level)i;
			return 0;
		}
	}
	return ERR_INVAL;
}

/* utf8_len - length of the valid UTF-8 sequence at p, or 0 */
static size_t
utf8_len(const unsigned char *p)
{
	size_t n, i;
	unsigned min;
	unsigned long cp;

	if (p[0] < 0x80)
		return 1;
	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		n = 2, min = 0x80, cp = p[0] & 0x1f;
	else if (p[0] >= 0xe0 && p[0] <= 0xef)
		n = 3, min = 0x800, cp = p[0] & 0x0f;
	else if (p[0] >= 0xf0 && p[0] <= 0xf4)
		n = 4, min = 0x10000, cp = p[0] & 0x07;
	else
		return 0;
	for (i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (p[i] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

/* log_escape - append in, control characters and bytes that are not
 * UTF-8 written as \xHH */
int
log_escape(struct buf *out, const char *in)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p = (const unsigned char *)in;
	size_t n;
	int rc = 0;

	while (*p && rc == 0) {
		n = utf8_len(p);
		if (n == 0 || *p < 0x20 || *p == 0x7f) {
			char esc[4] = { '\\', 'x', hex[*p >> 4], hex[*p & 15] };
			rc = buf_append(out, esc, sizeof esc);
			p++;
		} else {
			rc = buf_append(out, p, n);
			p += n;
		}
	}
	return rc;
}

/* log_vmsg - format and emit one line */
void
log_vmsg(const struct log *l, enum log_level level, const char *fmt,
    va_list ap)
{
	char raw[2048];
	struct buf line = BUF_INIT;
	const char *text;

	if (l == NULL || level > l->level)
		return;
	vsnprintf(raw, sizeof raw, fmt, ap);
	/* Out of memory: still say something, unescaped but truncated. */
	text = log_escape(&line, raw) == 0 && line.data ? line.data : raw;
	if (l->use_syslog)
		syslog(syslog_prio[level], "%s", text);
	else
		fprintf(stderr, "%s: %s: %s\n", l->ident ? l->ident : "splitsync",
		    level_names[level], text);
	buf_free(&line);
}

/* log_msg - printf-style log_vmsg */
void
log_msg(const struct log *l, enum log_level level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(l, level, fmt, ap);
	va_end(ap);
}
