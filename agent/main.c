/*
 * main - the splitsync command line
 *
 * SYNOPSIS
 *	splitsync [-v | -q] [--syslog] COMMAND [options]
 *	splitsync resync -c FILE [--repo DIR] [--dry-run] [--force]
 *	splitsync render -c FILE -o DIR
 *	splitsync check -c FILE
 *	splitsync run -c FILE [--repo DIR]
 *	splitsync confirm -c FILE [--repo DIR]
 *	splitsync status -c FILE [--repo DIR]
 *	splitsync --help | --version
 *
 * DESCRIPTION
 *	Parses the command line, loads the configuration, runs one job and
 *	turns its result into an exit status from sysexits.h
 *	(err_exit_status): 0 done (committed or nothing to commit), 64
 *	usage, 65 data error, 66 an input file missing or unreadable, 69
 *	source unavailable, 70 internal error (a bug), 73 cannot write, 75
 *	try again (a change held, the branch moved, or its lock held by
 *	another process), 77 credentials refused, 78 configuration error.
 *
 * DIAGNOSTICS
 *	Errors are logged on stderr (or syslog with --syslog) as
 *	"splitsync: level: module: object: what: why".
 */
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <unistd.h>

#include "config.h"
#include "daemon.h"
#include "diag.h"
#include "errors.h"
#include "job.h"
#include "log.h"
#include "status.h"

enum command {
	CMD_NONE, CMD_RESYNC, CMD_RENDER, CMD_CHECK, CMD_RUN, CMD_CONFIRM,
	CMD_STATUS
};

struct cli {
	enum command command;
	const char *config;
	const char *repo;
	const char *out_dir;
	int dry_run;
	int force;
	enum log_level level;
	int use_syslog;
};

static const char usage_text[] =
	"usage: splitsync [-v | -q] [--syslog] COMMAND [options]\n"
	"\n"
	"commands:\n"
	"  resync -c FILE [--repo DIR] [--dry-run] [--force]\n"
	"        read the whole directory, render the tables, commit them\n"
	"  render -c FILE -o DIR\n"
	"        write the tables into DIR, no git\n"
	"  check -c FILE\n"
	"        validate configuration and mapping, report data problems\n"
	"  run -c FILE [--repo DIR]\n"
	"        the sync service: follow the directory, commit changes\n"
	"  confirm -c FILE [--repo DIR]\n"
	"        accept the change the guard holds\n"
	"  status -c FILE [--repo DIR]\n"
	"        is routing in step? exit 0 ok, 1 warning, 2 critical\n"
	"\n"
	"options:\n"
	"  -c, --config FILE   configuration file\n"
	"      --repo DIR      repository to use instead of the configured one\n"
	"      --dry-run       print route changes and the table diff only\n"
	"      --force         accept a change the guard holds\n"
	"  -o, --output DIR    render: output directory\n"
	"  -v, --verbose       more log detail (repeatable)\n"
	"  -q, --quiet         errors only\n"
	"      --syslog        log to syslog instead of stderr\n"
	"      --log-level L   error, warning, notice (default), info, debug\n"
	"  -h, --help          this text\n"
	"  -V, --version       program version\n"
	"\n"
	"exit status: 0 done, 64 usage, 65 data error, 66 input file missing,\n"
	"69 source unavailable, 70 internal error, 73 cannot write,\n"
	"75 try again (change held, branch moved or locked), 77 credentials\n"
	"refused, 78 configuration error; status: 0 ok, 1 warning,\n"
	"2 critical\n";

/* sanitize_fds - make sure 0, 1 and 2 are open before anything else */
static void
sanitize_fds(void)
{
	struct stat st;
	int fd;

	for (fd = 0; fd < 3; fd++)
		if (fstat(fd, &st) < 0 && open("/dev/null", O_RDWR) != fd)
			_exit(EX_OSERR);
}

/* parse_command - the command word */
static enum command
parse_command(const char *word)
{
	if (strcmp(word, "resync") == 0)
		return CMD_RESYNC;
	if (strcmp(word, "render") == 0)
		return CMD_RENDER;
	if (strcmp(word, "check") == 0)
		return CMD_CHECK;
	if (strcmp(word, "run") == 0)
		return CMD_RUN;
	if (strcmp(word, "confirm") == 0)
		return CMD_CONFIRM;
	if (strcmp(word, "status") == 0)
		return CMD_STATUS;
	return CMD_NONE;
}

/* usage_error - complain and return the usage status */
static int
usage_error(const char *what)
{
	fprintf(stderr, "splitsync: %s\n%s", what, usage_text);
	return EX_USAGE;
}

/* What parse_args returns when it printed help or the version. */
#define PARSE_DONE (-1)

/* parse_args - fill cli from argv; 0 to go on, PARSE_DONE, or an exit
 * status to stop with */
static int
parse_args(int argc, char **argv, struct cli *cli)
{
	enum { OPT_REPO = 256, OPT_DRY, OPT_FORCE, OPT_SYSLOG, OPT_LEVEL };
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "output", required_argument, NULL, 'o' },
		{ "repo", required_argument, NULL, OPT_REPO },
		{ "dry-run", no_argument, NULL, OPT_DRY },
		{ "force", no_argument, NULL, OPT_FORCE },
		{ "syslog", no_argument, NULL, OPT_SYSLOG },
		{ "log-level", required_argument, NULL, OPT_LEVEL },
		{ "verbose", no_argument, NULL, 'v' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	int c;

	memset(cli, 0, sizeof *cli);
	cli->level = LOG_LEVEL_NOTICE;
	/* Options may come before or after the command word. */
	while ((c = getopt_long(argc, argv, "+c:o:vqhV", opts, NULL)) != -1 ||
	    (optind < argc && cli->command == CMD_NONE)) {
		if (c == -1) {
			cli->command = parse_command(argv[optind]);
			if (cli->command == CMD_NONE)
				return usage_error("unknown command");
			optind++;
			continue;
		}
		switch (c) {
		case 'c': cli->config = optarg; break;
		case 'o': cli->out_dir = optarg; break;
		case OPT_REPO: cli->repo = optarg; break;
		case OPT_DRY: cli->dry_run = 1; break;
		case OPT_FORCE: cli->force = 1; break;
		case OPT_SYSLOG: cli->use_syslog = 1; break;
		case OPT_LEVEL:
			if (log_level_parse(optarg, &cli->level) < 0)
				return usage_error("--log-level: error, warning, "
				    "notice, info or debug");
			break;
		case 'v':
			if (cli->level < LOG_LEVEL_DEBUG)
				cli->level++;
			break;
		case 'q': cli->level = LOG_LEVEL_ERROR; break;
		case 'h': fputs(usage_text, stdout); return PARSE_DONE;
		case 'V':
			printf("splitsync %s\n", SPLITSYNC_VERSION);
			return PARSE_DONE;
		default: return EX_USAGE;
		}
	}
	if (optind < argc)
		return usage_error("unexpected argument");
	if ((cli->config && *cli->config == '\0') ||
	    (cli->repo && *cli->repo == '\0') ||
	    (cli->out_dir && *cli->out_dir == '\0'))
		return usage_error("an empty file or directory name");
	if (cli->command == CMD_NONE)
		return usage_error("no command given");
	if (cli->config == NULL)
		return usage_error("-c FILE is required");
	if (cli->command == CMD_RENDER && cli->out_dir == NULL)
		return usage_error("render needs -o DIR");
	if (cli->command != CMD_RENDER && cli->out_dir)
		return usage_error("-o is for render only");
	if (cli->command != CMD_RESYNC && (cli->dry_run || cli->force))
		return usage_error("--dry-run and --force are for resync only");
	if (cli->repo && (cli->command == CMD_RENDER ||
	    cli->command == CMD_CHECK))
		return usage_error("--repo is for resync, run, confirm and status");
	return 0;
}

/* main - parse, load, run, map the result to an exit status */
int
main(int argc, char **argv)
{
	struct cli cli;
	struct log log;
	struct diag d;
	struct config *cfg = NULL;
	struct job_options o;
	enum status_verdict verdict = STATUS_OK;
	int rc, status_code = -1;

	sanitize_fds();
	umask(022);
	/* libldap writes to sockets: a closed peer is an error, not death. */
	signal(SIGPIPE, SIG_IGN);
	rc = parse_args(argc, argv, &cli);
	if (rc == PARSE_DONE)
		return EX_OK;
	if (rc > 0)
		return rc;
	log_open(&log, "splitsync", cli.level, cli.use_syslog);
	diag_init(&d, &log);
	if (cli.command == CMD_RUN) {
		/* The service loads (and reloads) its configuration itself. */
		rc = daemon_run(cli.config, cli.repo, &log);
		goto out;
	}
	rc = config_load(cli.config, &cfg, &d);
	if (rc == 0 && cli.repo)
		rc = config_set_repository(cfg, cli.repo);
	if (rc < 0) {
		if (rc == ERR_IO)
			rc = ERR_CONFIG;
		goto out;
	}
	memset(&o, 0, sizeof o);
	o.dry_run = cli.dry_run;
	o.force = cli.force;
	o.out_dir = cli.out_dir;
	switch (cli.command) {
	case CMD_RESYNC: rc = job_resync(cfg, &o, &log, stdout); break;
	case CMD_RENDER: rc = job_render(cfg, &o, &log, stdout); break;
	case CMD_CHECK: rc = job_check(cfg, &log, stdout); break;
	case CMD_CONFIRM: rc = job_confirm(cfg, &log, stdout); break;
	case CMD_STATUS:
		rc = status_report(cfg, &log, stdout, &verdict);
		if (rc == 0) {
			/* A monitoring check: the verdict is the status. */
			status_code = (int)verdict;
			goto out;
		}
		break;
	case CMD_RUN:
	case CMD_NONE: rc = ERR_BUG; break;
	}
out:
	fflush(stdout);
	config_free(cfg);
	diag_free(&d);
	log_close(&log);
	return status_code >= 0 ? status_code : err_exit_status(rc);
}
