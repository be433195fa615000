/*
 * hooks: posix_spawn of /bin/sh -c CMD with an extended environment.
 */
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "hooks.h"
#include "log.h"

#define HOOKS_MAX_RUNNING 4
#define HOOKS_MAX_VARS 16

extern char **environ;

static unsigned running;

static size_t
env_count(void)
{
	size_t n = 0;

	while (environ[n] != NULL)
		n++;
	return n;
}

int
hooks_run(const char *cmd, const struct hook_var *vars, size_t n)
{
	char *argv[] = { "sh", "-c", (char *)cmd, NULL };
	char buf[HOOKS_MAX_VARS][256];
	size_t i, base = env_count();
	char **envp;
	pid_t pid;
	int r;

	if (running >= HOOKS_MAX_RUNNING) {
		log_warnx("--on-loss: %u commands still running; not starting another",
		    running);
		return -1;
	}
	if (n > HOOKS_MAX_VARS || (envp = calloc(base + n + 1, sizeof(*envp))) == NULL)
		return -1;
	memcpy(envp, environ, base * sizeof(*envp));
	for (i = 0; i < n; i++) {
		snprintf(buf[i], sizeof(buf[i]), "%s=%s", vars[i].name, vars[i].value);
		envp[base + i] = buf[i];
	}
	r = posix_spawn(&pid, "/bin/sh", NULL, NULL, argv, envp);
	free(envp);
	if (r != 0) {
		log_warnx("--on-loss: cannot start /bin/sh: %s", strerror(r));
		return -1;
	}
	running++;
	return 0;
}

void
hooks_reap(void)
{
	int status;

	while (running > 0 && waitpid(-1, &status, WNOHANG) > 0)
		running--;
}
