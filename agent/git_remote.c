/*
 * git_remote - pushing to and fetching from remotes named by URL
 *
 * DESCRIPTION
 *	Remotes are anonymous (a URL, nothing in the repository's
 *	configuration). The same callbacks serve push and fetch, so a
 *	credential hook for SSH has one place to go. A push writes the
 *	objects first and each remote ref last; a server updates each ref
 *	atomically against the value it advertised. libgit2's transport
 *	for local paths does not: it overwrites the ref without comparing.
 *	So for a local remote the sink holds an advisory lock (flock) on
 *	the remote's directory from the moment it reads the remote's refs
 *	until the refs are written: two agents pushing to one local remote
 *	take turns, and the second sees the first one's commit and is
 *	refused as non-fast-forward instead of overwriting it.
 *
 *	A fetch receives a pack through libgit2's indexer, under the pack
 *	writers' lock (git_tidy), and moves only its tracking ref.
 *
 * DIAGNOSTICS
 *	"git_sink: URL: what failed: why", why being libgit2's message or
 *	the remote's reason for refusing a ref. ERR_NOTFOUND from
 *	git_sink_fetch (the remote lacks the branch) records nothing.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <git2.h>

#include "buf.h"
#include "diag.h"
#include "errors.h"
#include "git_int.h"
#include "git_sink.h"
#include "git_tidy.h"

#define TRACK_PREFIX "refs/splitsync/remotes/"
#define TRACK_ID_LEN 16         /* hex digits naming a remote URL */
#define LOCK_WAIT_MS 30000      /* give up on a local remote's lock */

/* what a remote operation reports back through libgit2's callbacks */
struct remote_ctx {
	const char *url;
	struct diag *d;
	int rc;                 /* 0, or the worst refusal: ERR_MOVED, ERR_IO */
};

/* remote_credentials - no credential is configured yet: pass, so that
 * libgit2 reports the refusal (the place for an SSH key hook) */
static int
remote_credentials(git_credential **out, const char *url,
    const char *user, unsigned int allowed, void *payload)
{
	(void)out;
	(void)url;
	(void)user;
	(void)allowed;
	(void)payload;
	return GIT_PASSTHROUGH;
}

/* moved_reason - whether a remote's refusal means "the ref is not where
 * you thought": fetch, recompute and retry will do. A ref merely locked
 * is not: a lock left by a crash stays, so back off (ERR_IO) instead. */
static int
moved_reason(const char *why)
{
	static const char *const moved[] = {
		"non-fast-forward", "fetch first", "stale info",
		"already exists", "but expected"
	};
	size_t i;

	for (i = 0; i < sizeof moved / sizeof *moved; i++)
		if (strstr(why, moved[i]))
			return 1;
	return 0;
}

/* push_status - per-ref answer of the remote: NULL status is success */
static int
push_status(const char *refname, const char *status, void *payload)
{
	struct remote_ctx *c = payload;

	if (status == NULL)
		return 0;
	diag_error(c->d, NULL, "git_sink: %s: cannot push %s: remote refused: "
	    "%s", c->url, refname, status);
	if (!moved_reason(status))
		c->rc = ERR_IO;
	else if (c->rc == 0)
		c->rc = ERR_MOVED;
	return 0;
}

/* remote_callbacks - the callbacks of every remote operation */
static void
remote_callbacks(git_remote_callbacks *cb, struct remote_ctx *c)
{
	cb->credentials = remote_credentials;
	cb->push_update_reference = push_status;
	cb->payload = c;
}

/* remote_fail - record a failed remote operation, return our code:
 * ERR_AUTH when credentials or the certificate were refused,
 * ERR_UNAVAIL when the remote could not be reached or read (connecting
 * is always that), ERR_IO otherwise */
static int
remote_fail(struct diag *d, const char *url, const char *what,
    int code, int connecting)
{
	const git_error *e = git_error_last();
	int klass = e ? e->klass : GIT_ERROR_NONE;

	diag_error(d, NULL, "git_sink: %s: %s: %s", url, what,
	    e && e->message ? e->message : "unknown error");
	if (klass == GIT_ERROR_NOMEMORY)
		return ERR_NOMEM;
	if (code == GIT_EAUTH || code == GIT_ECERTIFICATE)
		return ERR_AUTH;
	if (connecting || klass == GIT_ERROR_NET || klass == GIT_ERROR_SSH ||
	    klass == GIT_ERROR_HTTP || klass == GIT_ERROR_SSL)
		return ERR_UNAVAIL;
	return ERR_IO;
}

/* local_path - the directory of a local remote into *out (free()), or
 * NULL for a remote reached over the network. Local are the forms
 * libgit2 takes as local, file:///PATH and file://localhost/PATH
 * (percent-encoded), and a plain path: absolute, or naming a
 * directory. */
static int
local_path(const char *url, char **out, struct diag *d)
{
	struct stat st;
	const char *p;
	char *q;
	int hi, lo;

	*out = NULL;
	if (strncmp(url, "file://", 7) != 0) {
		if (strstr(url, "://") == NULL && (*url == '/' ||
		    (stat(url, &st) == 0 && S_ISDIR(st.st_mode))) &&
		    (*out = strdup(url)) == NULL)
			return git_sink__nomem(d, url);
		return 0;
	}
	p = url + 7;
	if (strncmp(p, "localhost/", 10) == 0)
		p += 9;
	if (*p != '/')
		return git_sink__inval(d, url,
		    "a file URL needs an absolute path");
	if ((*out = q = malloc(strlen(p) + 1)) == NULL)
		return git_sink__nomem(d, url);
	for (; *p; p++) {
		if (*p == '%') {
			hi = buf_hexval(p[1]);
			lo = hi < 0 ? -1 : buf_hexval(p[2]);
			if (hi < 0 || lo < 0 || (hi == 0 && lo == 0)) {
				free(*out);
				*out = NULL;
				return git_sink__inval(d, url,
				    "bad %-escape in file URL");
			}
			*q++ = (char)(hi * 16 + lo);
			p += 2;
		} else
			*q++ = *p;
	}
	*q = '\0';
	return 0;
}

/* open_local - check that a local remote's directory is there and,
 * when lock is set, take its advisory lock into *fd, waiting at most
 * LOCK_WAIT_MS. ERR_UNAVAIL when the directory cannot be opened or
 * stays locked, ERR_IO when it cannot be locked at all. */
static int
open_local(const char *url, const char *path, int lock, int *fd,
    struct diag *d)
{
	struct timespec ts;
	long waited = 0, step = 5;
	int rc = ERR_UNAVAIL;

	*fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (*fd < 0) {
		diag_error(d, NULL, "git_sink: %s: cannot reach remote: %s",
		    url, strerror(errno));
		return ERR_UNAVAIL;
	}
	for (;;) {
		if (!lock || flock(*fd, LOCK_EX | LOCK_NB) == 0)
			return 0;
		if (errno != EWOULDBLOCK && errno != EINTR) {
			diag_error(d, NULL, "git_sink: %s: cannot lock "
			    "remote: %s", url, strerror(errno));
			rc = ERR_IO;
			break;
		}
		if (waited >= LOCK_WAIT_MS) {
			diag_error(d, NULL, "git_sink: %s: cannot lock "
			    "remote: another push held it for %d ms", url,
			    LOCK_WAIT_MS);
			break;
		}
		ts.tv_sec = 0;
		ts.tv_nsec = step * 1000000L;
		nanosleep(&ts, NULL);
		waited += step;
		if (step < 100)
			step *= 2;
	}
	close(*fd);
	*fd = -1;
	return rc;
}

/* remote_open - an anonymous remote for url, connected in direction;
 * a local remote must exist, and is locked (*lockfd, else -1) when
 * pushing */
static int
remote_open(struct git_sink *s, const char *url, git_direction direction,
    struct remote_ctx *c, git_remote **out, int *lockfd, struct diag *d)
{
	git_remote_create_options co;
	git_remote_connect_options o;
	char *path = NULL;
	int rc;

	*out = NULL;
	*lockfd = -1;
	if (url == NULL || *url == '\0')
		return git_sink__inval(d, "(remote)", "empty remote URL");
	if ((rc = local_path(url, &path, d)) < 0)
		goto cleanup;
	if (path && (rc = open_local(url, path,
	    direction == GIT_DIRECTION_PUSH, lockfd, d)) < 0)
		goto cleanup;
	if (direction != GIT_DIRECTION_PUSH && *lockfd >= 0) {
		close(*lockfd);         /* only checked */
		*lockfd = -1;
	}
	/* anonymous, as git_remote_create_anonymous makes it, but the URL
	 * is taken as configured: no url.*.insteadOf rewriting (whose
	 * lookup also leaks memory in libgit2 1.5) */
	if ((rc = git_remote_create_options_init(&co,
	    GIT_REMOTE_CREATE_OPTIONS_VERSION)) == 0) {
		co.repository = s->repo;
		co.name = NULL;
		co.flags = GIT_REMOTE_CREATE_SKIP_INSTEADOF |
		    GIT_REMOTE_CREATE_SKIP_DEFAULT_FETCHSPEC;
		rc = git_remote_create_with_opts(out, url, &co);
	}
	if (rc < 0) {
		rc = git_sink__lib_fail(d, url, "invalid remote URL");
		if (rc == ERR_IO)
			rc = ERR_INVAL;
		goto cleanup;
	}
	if ((rc = git_remote_connect_options_init(&o,
	    GIT_REMOTE_CONNECT_OPTIONS_VERSION)) < 0) {
		rc = git_sink__lib_fail(d, url, "cannot connect");
		goto cleanup;
	}
	remote_callbacks(&o.callbacks, c);
	if ((rc = git_remote_connect_ext(*out, direction, &o)) < 0)
		rc = remote_fail(d, url, "cannot reach remote", rc, 1);
cleanup:
	free(path);
	if (rc < 0) {
		git_remote_free(*out);
		*out = NULL;
		if (*lockfd >= 0)
			close(*lockfd);
		*lockfd = -1;
	}
	return rc;
}

/* remote_close - disconnect, free, then release the lock */
static void
remote_close(git_remote *remote, int lockfd)
{
	if (remote)
		git_remote_disconnect(remote);
	git_remote_free(remote);
	if (lockfd >= 0)
		close(lockfd);          /* releases the flock */
}

/* advertised - the id the remote advertises for refname, or NULL */
static const git_oid *
advertised(git_remote *remote, const char *refname)
{
	const git_remote_head **heads;
	size_t i, n;

	if (git_remote_ls(&heads, &n, remote) < 0)
		return NULL;
	for (i = 0; i < n; i++)
		if (strcmp(heads[i]->name, refname) == 0)
			return &heads[i]->oid;
	return NULL;
}

/* free_specs - release refspec strings */
static void
free_specs(char **v, size_t n)
{
	size_t i;

	if (v == NULL)
		return;
	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/* push_specs - "[+]refs/heads/B:refs/heads/B" per branch, or
 * ":refs/heads/B" when deleting; every branch name checked, and for a
 * push every branch must exist here */
static int
push_specs(struct git_sink *s, const char *url,
    const char *const *branches, size_t n, const unsigned char *force,
    int deleting, char ***out, struct diag *d)
{
	struct buf ref = BUF_INIT, spec = BUF_INIT;
	char **v;
	git_oid id;
	size_t i;
	int rc = 0;

	*out = NULL;
	if (n > 0 && branches == NULL)
		return git_sink__inval(d, url, "no branch list");
	if ((v = calloc(n ? n : 1, sizeof *v)) == NULL)
		return git_sink__nomem(d, url);
	for (i = 0; i < n; i++) {
		buf_reset(&ref);
		buf_reset(&spec);
		if ((rc = git_sink__branch_ref(s, branches[i], !deleting,
		    &ref, d)) < 0)
			goto cleanup;
		if (!deleting) {
			rc = git_reference_name_to_id(&id, s->repo, ref.data);
			if (rc == GIT_ENOTFOUND) {
				diag_error(d, NULL, "git_sink: %s: cannot push "
				    "%s: no such branch here", url, branches[i]);
				rc = ERR_NOTFOUND;
				goto cleanup;
			}
			if (rc < 0) {
				rc = git_sink__lib_fail(d, s->path,
				    "cannot read branch");
				goto cleanup;
			}
		}
		if (buf_printf(&spec, "%s%s:%s",
		    !deleting && force && force[i] ? "+" : "",
		    deleting ? "" : ref.data, ref.data) < 0 ||
		    (v[i] = buf_steal(&spec)) == NULL) {
			rc = git_sink__nomem(d, url);
			goto cleanup;
		}
	}
cleanup:
	buf_free(&ref);
	buf_free(&spec);
	if (rc < 0)
		free_specs(v, n);
	else
		*out = v;
	return rc;
}

/* push_refs - push the refspecs v[0..n) to url; a delete of a ref the
 * remote does not have is dropped before anything is sent */
static int
push_refs(struct git_sink *s, const char *url, char *const *v, size_t n,
    struct diag *d)
{
	struct remote_ctx c = { url, d, 0 };
	git_push_options o;
	git_remote *remote = NULL;
	git_strarray specs = { NULL, 0 };
	size_t i;
	int rc, lockfd = -1;

	if ((specs.strings = calloc(n ? n : 1, sizeof *specs.strings)) ==
	    NULL)
		return git_sink__nomem(d, url);
	if ((rc = remote_open(s, url, GIT_DIRECTION_PUSH, &c, &remote,
	    &lockfd, d)) < 0)
		goto cleanup;
	for (i = 0; i < n; i++)
		if (v[i][0] != ':' || advertised(remote, v[i] + 1))
			specs.strings[specs.count++] = v[i];   /* borrowed */
	if (specs.count == 0)
		goto cleanup;
	if ((rc = git_push_options_init(&o, GIT_PUSH_OPTIONS_VERSION)) < 0) {
		rc = git_sink__lib_fail(d, url, "cannot push");
		goto cleanup;
	}
	remote_callbacks(&o.callbacks, &c);
	rc = git_remote_upload(remote, &specs, &o);
	if (rc == GIT_ENONFASTFORWARD) {
		/* refused here, before anything was sent */
		remote_fail(d, url, "cannot push", rc, 0);
		rc = ERR_MOVED;
	} else if (rc < 0)
		rc = remote_fail(d, url, "cannot push", rc, 0);
	else
		rc = c.rc;
cleanup:
	remote_close(remote, lockfd);
	free(specs.strings);
	return rc;
}

/* git_sink_push - push branches to the same names on a remote */
int
git_sink_push(struct git_sink *s, const char *remote_url,
    const char *const *branches, size_t n, const unsigned char *force,
    struct diag *d)
{
	char **v = NULL;
	int rc;

	git_error_clear();
	if (n == 0)
		return 0;
	if ((rc = push_specs(s, remote_url ? remote_url : "(remote)",
	    branches, n, force, 0, &v, d)) == 0)
		rc = push_refs(s, remote_url, v, n, d);
	free_specs(v, n);
	return rc;
}

/* git_sink_push_delete - delete a branch on a remote */
int
git_sink_push_delete(struct git_sink *s, const char *remote_url,
    const char *branch, struct diag *d)
{
	char **v = NULL;
	int rc;

	git_error_clear();
	if ((rc = push_specs(s, remote_url ? remote_url : "(remote)",
	    &branch, 1, NULL, 1, &v, d)) == 0)
		rc = push_refs(s, remote_url, v, 1, d);
	free_specs(v, 1);
	return rc;
}

/* tracking_ref - "refs/splitsync/remotes/ID/BRANCH", ID naming the URL
 * by the first hex digits of its hash: stable across runs and hosts */
static int
tracking_ref(const char *url, const char *branch, struct buf *out,
    struct diag *d)
{
	char hex[GIT_OID_HEXSZ + 1];
	git_oid id;

	git_pack_id(GIT_OBJECT_BLOB, url, strlen(url), &id);
	git_oid_tostr(hex, sizeof hex, &id);
	if (buf_printf(out, "%s%.*s/%s", TRACK_PREFIX, TRACK_ID_LEN, hex,
	    branch) < 0)
		return git_sink__nomem(d, url);
	return 0;
}

/* git_sink_fetch - fetch a remote branch into its tracking ref */
int
git_sink_fetch(struct git_sink *s, const char *remote_url,
    const char *branch, char oid_hex[41], struct diag *d)
{
	struct remote_ctx c = { remote_url, d, 0 };
	struct buf ref = BUF_INIT, track = BUF_INIT, spec = BUF_INIT;
	git_fetch_options o;
	git_remote *remote = NULL;
	git_commit *commit = NULL;
	git_strarray specs;
	const git_oid *adv;
	char *one[1];
	git_oid id;
	int rc, lockfd = -1, packfd;

	oid_hex[0] = '\0';
	git_error_clear();
	if ((rc = git_sink__branch_ref(s, branch, 1, &ref, d)) < 0)
		goto cleanup;
	if ((rc = remote_open(s, remote_url, GIT_DIRECTION_FETCH, &c,
	    &remote, &lockfd, d)) < 0)
		goto cleanup;
	if ((rc = tracking_ref(remote_url, branch, &track, d)) < 0)
		goto cleanup;
	if ((adv = advertised(remote, ref.data)) == NULL) {
		/* gone from the remote: so is what we knew of it */
		rc = git_reference_remove(s->repo, track.data);
		if (rc < 0 && rc != GIT_ENOTFOUND) {
			rc = git_sink__lib_fail(d, s->path,
			    "cannot remove tracking ref");
			goto cleanup;
		}
		rc = ERR_NOTFOUND;
		goto cleanup;
	}
	if (buf_printf(&spec, "+%s:%s", ref.data, track.data) < 0) {
		rc = git_sink__nomem(d, remote_url);
		goto cleanup;
	}
	one[0] = spec.data;
	specs.strings = one;
	specs.count = 1;
	if ((rc = git_fetch_options_init(&o, GIT_FETCH_OPTIONS_VERSION)) < 0) {
		rc = git_sink__lib_fail(d, remote_url, "cannot fetch");
		goto cleanup;
	}
	remote_callbacks(&o.callbacks, &c);
	o.prune = GIT_FETCH_NO_PRUNE;
	o.update_fetchhead = 0;
	o.download_tags = GIT_REMOTE_DOWNLOAD_TAGS_NONE;
	/* objects first (a pack: under the pack writers' lock), the
	 * tracking ref last */
	if ((rc = git_tidy_pack_lock(s->repo, s->path, &packfd, d)) < 0)
		goto cleanup;
	rc = git_remote_download(remote, &specs, &o);
	git_tidy_pack_unlock(packfd);
	if (rc < 0 || (rc = git_remote_update_tips(remote, &o.callbacks, 0,
	    GIT_REMOTE_DOWNLOAD_TAGS_NONE, "splitsync: fetch")) < 0) {
		rc = remote_fail(d, remote_url, "cannot fetch", rc, 0);
		goto cleanup;
	}
	if (git_reference_name_to_id(&id, s->repo, track.data) < 0) {
		rc = git_sink__lib_fail(d, s->path, "cannot read tracking ref");
		goto cleanup;
	}
	if (git_commit_lookup(&commit, s->repo, &id) < 0) {
		rc = git_sink__lib_fail(d, remote_url,
		    "fetched branch is not a commit");
		goto cleanup;
	}
	git_oid_tostr(oid_hex, GIT_OID_HEXSZ + 1, &id);
cleanup:
	git_commit_free(commit);
	remote_close(remote, lockfd);
	buf_free(&spec);
	buf_free(&track);
	buf_free(&ref);
	return rc;
}

