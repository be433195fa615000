/*
 * hooks: a queue of events and at most one child: posix_spawn of /bin/sh -c
 * CMD in a process group of its own, so that the time limit kills what the
 * command started too.
 */
#include <errno.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

#include "hooks.h"
#include "log.h"
#include "timeutil.h"

#define HOOKS_QUEUE 64
#define HOOKS_MAX_VARS 24
#define HOOKS_VAR_LEN 256

extern char **environ;

struct hook_event {
	size_t n;
	char var[HOOKS_MAX_VARS][HOOKS_VAR_LEN];
};

static const char *command;
static int64_t limit;
static struct hook_event queue[HOOKS_QUEUE];
static size_t qhead, qlen;
static pid_t child = -1;
static int64_t child_start;
static int killed;
static int warned_full, warned_slow;

int
hooks_check(const char *cmd, char *err, size_t errlen)
{
	char word[256], probe[512];
	size_t n = strcspn(cmd + strspn(cmd, " \t"), " \t;|&<>");
	const char *w = cmd + strspn(cmd, " \t");
	int r;

	if (n == 0 || n >= sizeof(word)) {
		snprintf(err, errlen, "--on-loss '%s': no command to run", cmd);
		return -1;
	}
	memcpy(word, w, n);
	word[n] = '\0';
	/* The shell's own lookup, so builtins and PATH work as they will when
	 * the hook runs. */
	snprintf(probe, sizeof(probe), "command -v -- '%s' >/dev/null 2>&1",
	    word);
	if (strchr(word, '\'') != NULL)
		return 0;	/* quoting the shell will judge */
	r = system(probe);
	if (r == -1 || !WIFEXITED(r) || WEXITSTATUS(r) != 0) {
		snprintf(err, errlen, "--on-loss: '%s' is not a command or "
		    "executable file", word);
		return -1;
	}
	return 0;
}

void
hooks_init(const char *cmd, int64_t limit_ns)
{
	command = cmd;
	limit = limit_ns;
	/* Inherited as ignored, children would be reaped by the kernel and
	 * waitpid() would never see the one running. */
	signal(SIGCHLD, SIG_DFL);
}

void
hooks_push(const struct hook_var *vars, size_t n)
{
	struct hook_event *e;
	size_t i;

	if (command == NULL)
		return;
	if (qlen == HOOKS_QUEUE) {
		if (!warned_full++)
			log_warnx("--on-loss: %d events wait for the command; "
			    "dropping further ones", HOOKS_QUEUE);
		return;
	}
	e = &queue[(qhead + qlen++) % HOOKS_QUEUE];
	e->n = n < HOOKS_MAX_VARS ? n : HOOKS_MAX_VARS;
	for (i = 0; i < e->n; i++)
		snprintf(e->var[i], sizeof(e->var[i]), "%s=%s", vars[i].name,
		    vars[i].value);
	hooks_tick(mono_ns());
}

static void
start_next(int64_t now)
{
	char *argv[] = { "sh", "-c", (char *)command, NULL };
	struct hook_event *e = &queue[qhead];
	posix_spawnattr_t attr;
	sigset_t none, dfl;
	size_t i, base = 0;
	char **envp;
	int r;

	while (environ[base] != NULL)
		base++;
	qhead = (qhead + 1) % HOOKS_QUEUE;
	qlen--;
	if ((envp = calloc(base + e->n + 1, sizeof(*envp))) == NULL)
		return;
	memcpy(envp, environ, base * sizeof(*envp));
	for (i = 0; i < e->n; i++)
		envp[base + i] = e->var[i];
	posix_spawnattr_init(&attr);
	/* The command gets a plain signal state: the client blocks SIGINT
	 * and SIGTERM (they go to its signalfd) and ignores SIGPIPE. */
	sigemptyset(&none);
	sigemptyset(&dfl);
	sigaddset(&dfl, SIGPIPE);
	posix_spawnattr_setsigmask(&attr, &none);
	posix_spawnattr_setsigdefault(&attr, &dfl);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP |
	    POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
	posix_spawnattr_setpgroup(&attr, 0);
	r = posix_spawn(&child, "/bin/sh", NULL, &attr, argv, envp);
	posix_spawnattr_destroy(&attr);
	free(envp);
	if (r != 0) {
		child = -1;
		log_warnx("--on-loss: cannot start /bin/sh: %s", strerror(r));
		return;
	}
	child_start = now;
	killed = 0;
}

void
hooks_tick(int64_t now)
{
	int status;

	if (child > 0) {
		pid_t r = waitpid(child, &status, WNOHANG);

		if (r == child || (r < 0 && errno == ECHILD))
			child = -1;
		else if (!killed && limit > 0 && now - child_start > limit) {
			if (!warned_slow++)
				log_warnx("--on-loss: the command ran past %.0f s and "
				    "was killed (said once)", limit / 1e9);
			(void)kill(-child, SIGKILL);
			killed = 1;
		}
	}
	if (child < 0 && qlen > 0)
		start_next(now);
}

size_t
hooks_pending(void)
{
	return qlen + (child > 0);
}

/* A second SIGINT or SIGTERM, waiting (blocked, for the signalfd). */
static int
stop_asked(void)
{
	sigset_t p;

	return sigpending(&p) == 0 && (sigismember(&p, SIGINT) == 1 ||
	    sigismember(&p, SIGTERM) == 1);
}

void
hooks_drain(int64_t deadline)
{
	struct timespec ts = { 0, 10 * 1000 * 1000 };
	int64_t now;

	while ((child > 0 || qlen > 0) && (now = mono_ns()) < deadline &&
	    !stop_asked()) {
		hooks_tick(now);
		nanosleep(&ts, NULL);
	}
	if (child > 0) {
		(void)kill(-child, SIGKILL);
		(void)waitpid(child, NULL, 0);
		child = -1;
	}
	if (qlen > 0)
		log_warnx("--on-loss: %zu events not run at exit", qlen);
}
