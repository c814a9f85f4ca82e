/*
 * slapd - a private slapd for the Check suites
 *
 * DESCRIPTION
 *	A thin layer over tests/slapd/slapd-ctl: the script does the work,
 *	this file runs it and reads DIR/env back into a struct slapd.
 *
 * DIAGNOSTICS
 *	Functions return -1 with the script's output (or a short reason)
 *	in s->output; they never abort the test themselves.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "slapd.h"
#include "testlib.h"

/* set_output - replace the kept output with a copy of text */
static void
set_output(struct slapd *s, const char *text)
{
	free(s->output);
	s->output = strdup(text);
}

/* ctl - run slapd-ctl CMD DIR ARGS, keep its output; 0 or -1 */
static int
ctl(struct slapd *s, const char *cmd, const char *args)
{
	char *out = NULL;
	int rc;

	rc = testlib_sh(&out, "sh %s %s '%s' %s", SLAPD_CTL, cmd, s->dir,
	    args ? args : "");
	free(s->output);
	s->output = out ? out : strdup("(no output)");
	if (rc != 0) {
		char *more = NULL;

		if (asprintf(&more, "slapd-ctl %s exited with %d:\n%s", cmd,
		    rc, s->output ? s->output : "") >= 0) {
			free(s->output);
			s->output = more;
		}
		return -1;
	}
	return 0;
}

/* parse_port - a port number from the env file */
static int
parse_port(const char *text, int *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(text, &end, 10);
	if (errno != 0 || end == text || *end != '\0' || v < 1 || v > 65535)
		return -1;
	*out = (int)v;
	return 0;
}

/* read_env - fill s from DIR/env (NAME='value' lines); 0 or -1 */
static int
read_env(struct slapd *s)
{
	static const struct {
		const char *name;
		size_t off;
	} vars[] = {
		{ "LDAPI_URI", offsetof(struct slapd, ldapi_uri) },
		{ "LDAP_URI", offsetof(struct slapd, ldap_uri) },
		{ "LDAPS_URI", offsetof(struct slapd, ldaps_uri) },
		{ "CA_FILE", offsetof(struct slapd, ca_file) },
		{ "BASE", offsetof(struct slapd, base) },
		{ "ROOT_DN", offsetof(struct slapd, root_dn) },
		{ "ROOT_PW", offsetof(struct slapd, root_pw) },
		{ "READER_DN", offsetof(struct slapd, reader_dn) },
		{ "READER_PW", offsetof(struct slapd, reader_pw) },
		{ "EXTERNAL_DN", offsetof(struct slapd, external_dn) },
	};
	char *path = NULL, *text = NULL, *line, *next, *eq, *val;
	size_t i, len;
	int rc = -1;

	if (asprintf(&path, "%s/env", s->dir) < 0) {
		path = NULL;
		goto out;
	}
	text = testlib_read(path, NULL);
	if (text == NULL) {
		set_output(s, "slapd: cannot read DIR/env");
		goto out;
	}
	for (line = text; *line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		else
			next = line + strlen(line);
		eq = strchr(line, '=');
		if (eq == NULL)
			continue;
		*eq = '\0';
		val = eq + 1;
		len = strlen(val);
		if (len >= 2 && val[0] == '\'' && val[len - 1] == '\'') {
			val[len - 1] = '\0';
			val++;
		}
		if (strcmp(line, "PORT") == 0) {
			if (parse_port(val, &s->port) < 0)
				goto bad;
			continue;
		}
		if (strcmp(line, "TLS_PORT") == 0) {
			if (parse_port(val, &s->tls_port) < 0)
				goto bad;
			continue;
		}
		for (i = 0; i < sizeof vars / sizeof vars[0]; i++) {
			char **field = (char **)((char *)s + vars[i].off);

			if (strcmp(line, vars[i].name) != 0)
				continue;
			free(*field);
			*field = strdup(val);
			if (*field == NULL)
				goto out;
		}
	}
	for (i = 0; i < sizeof vars / sizeof vars[0]; i++)
		if (*(char **)((char *)s + vars[i].off) == NULL)
			goto bad;
	if (s->port == 0 || s->tls_port == 0)
		goto bad;
	rc = 0;
	goto out;
bad:
	set_output(s, "slapd: DIR/env is incomplete or invalid");
out:
	free(path);
	free(text);
	return rc;
}

/* slapd_start - new directory, start slapd, read DIR/env back */
int
slapd_start(struct slapd *s, const char *options)
{
	char *args;
	int rc;

	if (s->dir != NULL) {
		set_output(s, "slapd: struct slapd already in use");
		return -1;
	}
	s->dir = testlib_tmpdir();
	if (s->dir == NULL) {
		set_output(s, "slapd: cannot make a temp directory");
		return -1;
	}
	if (strchr(s->dir, '\'') != NULL) {
		set_output(s, "slapd: temp directory name has a quote");
		return -1;
	}
	if (asprintf(&s->log_file, "%s/slapd.log", s->dir) < 0) {
		s->log_file = NULL;
		return -1;
	}
	/* the server stops by itself if this process dies first */
	if (asprintf(&args, "--owner %ld %s", (long)getpid(),
	    options ? options : "") < 0) {
		args = NULL;
		set_output(s, "slapd: out of memory");
		return -1;
	}
	rc = ctl(s, "start", args);
	free(args);
	if (rc < 0)
		return -1;
	/* running from here on, so that cleanup stops it whatever happens */
	s->running = 1;
	return read_env(s);
}

/* slapd_load - add the entries of an LDIF file */
int
slapd_load(struct slapd *s, const char *ldif_path)
{
	char *arg = NULL;
	int rc;

	if (!s->running) {
		set_output(s, "slapd: not running");
		return -1;
	}
	if (strchr(ldif_path, '\'') != NULL ||
	    asprintf(&arg, "'%s'", ldif_path) < 0) {
		set_output(s, "slapd: bad LDIF path");
		return -1;
	}
	rc = ctl(s, "load", arg);
	free(arg);
	return rc;
}

/* slapd_modify - apply LDIF change records given as text */
int
slapd_modify(struct slapd *s, const char *ldif_text)
{
	char *path = NULL, *arg = NULL;
	int rc = -1;

	if (!s->running) {
		set_output(s, "slapd: not running");
		return -1;
	}
	if (asprintf(&path, "%s/modify.ldif", s->dir) < 0) {
		path = NULL;
		goto out;
	}
	if (testlib_write(path, ldif_text) < 0) {
		set_output(s, "slapd: cannot write DIR/modify.ldif");
		goto out;
	}
	if (asprintf(&arg, "'%s'", path) < 0) {
		arg = NULL;
		goto out;
	}
	rc = ctl(s, "modify", arg);
out:
	free(path);
	free(arg);
	return rc;
}

/* slapd_stop - stop the server, keep the directory */
int
slapd_stop(struct slapd *s)
{
	if (s->dir == NULL)
		return 0;
	if (ctl(s, "stop", NULL) < 0)
		return -1;
	s->running = 0;
	return 0;
}

/* slapd_restart - start again on the database left in DIR */
int
slapd_restart(struct slapd *s)
{
	char *args;
	int rc;

	if (s->dir == NULL || s->running) {
		set_output(s, "slapd: nothing stopped to restart");
		return -1;
	}
	if (asprintf(&args, "--owner %ld --keep-db", (long)getpid()) < 0) {
		set_output(s, "slapd: out of memory");
		return -1;
	}
	rc = ctl(s, "start", args);
	free(args);
	if (rc < 0)
		return -1;
	s->running = 1;
	return read_env(s);
}

/* slapd_cleanup - stop if running, remove the directory, free, zero */
void
slapd_cleanup(struct slapd *s)
{
	if (s->dir != NULL) {
		/* stop even when start failed half-way: the script knows */
		(void)slapd_stop(s);
		testlib_rmrf(s->dir);
	}
	free(s->dir);
	free(s->ldapi_uri);
	free(s->ldap_uri);
	free(s->ldaps_uri);
	free(s->ca_file);
	free(s->base);
	free(s->root_dn);
	free(s->root_pw);
	free(s->reader_dn);
	free(s->reader_pw);
	free(s->external_dn);
	free(s->log_file);
	free(s->output);
	memset(s, 0, sizeof *s);
}
