/*
 * handedit - tables changed on the branch outside splitsync
 *
 * A person may commit on the deploy branch with git alone (a quick fix
 * in transport). The next commit splitsync makes holds the tables the
 * directory gives, so it undoes that change; handedit finds it so that
 * it is undone in the open: logged, described in the commit message,
 * shown by status until then.
 *
 * A commit is splitsync's own when its message carries the
 * Splitsync-Layout trailer (message.h) and its author is also its committer (an
 * amended, rebased or cherry-picked commit has another committer). The
 * hand edit is what differs between the head and the last own commit
 * below it (following first parents, at most HANDEDIT_DEPTH commits),
 * outside .splitsync/: the lines added and removed by hand, per file.
 * A shard file counts for its table ("transport.d/3" is "transport").
 */
#ifndef SPLITSYNC_HANDEDIT_H
#define SPLITSYNC_HANDEDIT_H

#include <stddef.h>
#include "buf.h"
#include "diag.h"
#include "git_sink.h"
#include "render.h"

#define HANDEDIT_DEPTH 1000     /* commits looked through for an own one */
#define HANDEDIT_KEEP 100       /* lines kept to be shown */
#define HANDEDIT_LOG_LINES 5    /* lines a log line shows */

struct handedit_line {
	const char *table;      /* borrowed from the handedit's tables */
	char *line;             /* without its newline */
	int added;              /* 1: added by hand; 0: removed by hand */
};

struct handedit_table {
	char *name;             /* a table, or the path of another file */
	size_t added;           /* lines added by hand */
	size_t removed;         /* lines removed by hand */
};

/* A hand edit found. Owned; release with handedit_clear. */
struct handedit {
	char head[41];          /* the edited head; "" when none was found */
	char own[41];           /* splitsync's last commit below it */
	size_t commits;         /* commits on top of own, the head included */
	struct handedit_table *tables;  /* in path order */
	size_t ntables;
	struct handedit_line *lines;    /* the first HANDEDIT_KEEP */
	size_t nlines;
	size_t total;           /* every line counted, kept or not */
};

/* handedit_init - empty (no hand edit) */
void handedit_init(struct handedit *h);
/* handedit_clear - release and empty; h stays usable */
void handedit_clear(struct handedit *h);

/* handedit_is_own - 1 when info describes a commit splitsync made */
int handedit_is_own(const struct git_sink_info *info);

/* handedit_find - the hand edit at the head of the sink's branch into
 * *h (h->head left "" when the head is splitsync's own, when no own
 * commit lies below it within HANDEDIT_DEPTH, or on an unborn branch).
 * With next, the tables about to be committed in place of the head's
 * (every file not among them goes), only the lines that commit undoes
 * count: a line added by hand that next does not hold, a line removed
 * by hand that next holds; with NULL every line counts. h->head is
 * set whenever own and head differ outside .splitsync/, even when no
 * line counts. ERR_IO, ERR_NOMEM (h is then empty). */
int handedit_find(struct git_sink *sink, const struct tables *next,
    struct handedit *h, struct diag *d);

/* handedit_describe - the paragraph for a commit message (appended to
 * out): what was edited by hand on branch and is restored, line by line
 * (at most HANDEDIT_KEEP). Nothing when no line counts; the caller adds
 * the Splitsync-Hand-Edit trailer naming h->head (message.h).
 * ERR_NOMEM */
int handedit_describe(const struct handedit *h, const char *branch,
    struct buf *out);

/* handedit_summary - one line for the log (appended to out): how many
 * lines, since which commit, and the first HANDEDIT_LOG_LINES of them
 * (not escaped: the log escapes). ERR_NOMEM */
int handedit_summary(const struct handedit *h, struct buf *out);

#endif
