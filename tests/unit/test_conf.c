/*
 * conf: the settings table over the command line and INI text. Each case
 * is one command line (and maybe a file) and what must come out of it.
 */
#include "check.h"
#include <unistd.h>

#include "../../shared/conf.c"

struct t_conf {
	char *target, *name;
	uint32_t num;
	int flag;
};

#define K(n, t, f, lo, hi) { n, t, offsetof(struct t_conf, f), lo, hi, "X", "x" }
static const struct conf_key keys[] = {
	K("target", CONF_STR, target, 0, 1),	/* once per source */
	K("name", CONF_STR, name, 0, 0),	/* the last value wins */
	K("num", CONF_U32, num, 1, 100),
	K("flag", CONF_FLAG, flag, 0, 0),
};
#undef K
#define NKEYS NELEM(keys)

static const struct conf_alias aliases[] = { { 'n', "num" } };

/* argv as a space-separated line; "--config" reads the file text wrote. */
static int
run_args(const char *line, const char *file, struct t_conf *c, char *err,
    size_t errlen)
{
	char path[] = "/tmp/pktmon-test-conf.XXXXXX";
	char buf[512], *argv[32], *tok, *save = NULL;
	const char *config = NULL;
	int argc = 0, fd = -1, r;

	snprintf(buf, sizeof(buf), "prog %s", line);
	for (tok = strtok_r(buf, " ", &save); tok != NULL && argc < 31;
	    tok = strtok_r(NULL, " ", &save))
		argv[argc++] = strcmp(tok, "FILE") == 0 ? path : tok;
	argv[argc] = NULL;
	if (file != NULL) {
		if ((fd = mkstemp(path)) < 0 ||
		    write(fd, file, strlen(file)) != (ssize_t)strlen(file))
			fail_msg("cannot write the test's config file");
		close(fd);
	}
	memset(c, 0, sizeof(*c));
	err[0] = '\0';
	r = conf_args(keys, NKEYS, c, argc, argv, aliases, NELEM(aliases), "v",
	    NULL, NULL, &config, err, errlen);
	if (file != NULL)
		unlink(path);
	return r;
}

static const struct once_case {
	const char *args;
	const char *file;	/* NULL: none */
	int ret;
	const char *target;	/* on success */
	const char *err;	/* a part of the message on failure */
} once_cases[] = {
	{ "--target a", NULL, 0, "a", NULL },
	{ "--target a --target b", NULL, PM_E_LIMIT, NULL, "--target given twice" },
	{ "--target=a --target=a", NULL, PM_E_LIMIT, NULL, "--target given twice" },
	{ "--target a --name x --target b", NULL, PM_E_LIMIT, NULL, "--target given twice" },
	/* Other keys: the last value wins, as before. */
	{ "--name x --name y --target a", NULL, 0, "a", NULL },
	{ "-n 3 -n 4 --num 5 --target a", NULL, 0, "a", NULL },
	/* The command line replaces the file's value. */
	{ "--config FILE --target b", "target = a\n", 0, "b", NULL },
	{ "--config FILE", "target = a\n", 0, "a", NULL },
	{ "--config FILE", "target = a\n[more]\ntarget = b\n", PM_E_LIMIT, NULL,
	    "line 3: target given twice" },
	{ "--config FILE --target b --target c", "target = a\n", PM_E_LIMIT,
	    NULL, "--target given twice" },
	/* The first error in a file is the one reported. */
	{ "--config FILE", "num = 0\ntarget = a\ntarget = b\n", PM_E_FORMAT, NULL,
	    "line 1: invalid value '0' for num" },
};

static void
test_once(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < NELEM(once_cases); i++) {
		const struct once_case *c = &once_cases[i];
		const char *what = desc("conf_args(%s)%s%s", c->args,
		    c->file ? " with file " : "", c->file ? c->file : "");
		struct t_conf t;
		char err[256];
		int r = run_args(c->args, c->file, &t, err, sizeof(err));

		if (check_err(what, c->ret, r) && c->ret == 0)
			check_str(what, c->target, t.target ? t.target : "(null)");
		else if (c->ret != 0 && strstr(err, c->err) == NULL)
			check_fail("%s: expected the message to hold \"%s\", got "
			    "\"%s\"", what, c->err, err);
		conf_free(keys, NKEYS, &t);
	}
	check_done();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_once),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
