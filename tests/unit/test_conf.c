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
	int64_t interval;
	int flag;
};

#define K(n, t, f, lo, hi) { n, t, offsetof(struct t_conf, f), lo, hi, "X", "x" }
static const struct conf_key keys[] = {
	K("target", CONF_STR, target, 0, 1),	/* once per source */
	K("name", CONF_STR, name, 0, 0),	/* the last value wins */
	K("num", CONF_U32, num, 1, 100),
	K("flag", CONF_FLAG, flag, 0, 0),
	K("interval", CONF_DURATION, interval, 10000, 3600000000000ULL),
	K("renew", CONF_FLAG, flag, 0, 0),
	K("renew-after", CONF_U32, num, 0, 10),
	K("renew-gap", CONF_DURATION, interval, 0, 86400000000000ULL),
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

/* The nearest long option to a mistyped one, or none. */
static const struct suggest_case {
	const char *word;
	const char *want;	/* NULL: no suggestion */
} suggest_cases[] = {
	{ "intervall", "interval" },		/* a letter more */
	{ "inteval", "interval" },		/* a letter less */
	{ "intreval", "interval" },		/* two swapped: one edit */
	{ "interbal", "interval" },		/* one changed */
	{ "stamp_key_file", "stamp-key-file" },	/* two edits in 14 letters */
	{ "stmp", "stamp" },
	{ "ttl", "ttl" },
	{ "tll", "ttl" },
	{ "dscpp", "dscp" },
	{ "poison", "poisson" },
	{ "verison", "version" },
	{ "zzzzzz", NULL },			/* nothing near */
	{ "stampkeyfile", "stamp-key-file" },	/* two edits in 12 */
	{ "keyfile", NULL },			/* four edits in 7: too far */
	{ "x", NULL },				/* one edit from many */
	{ "icnp", "icmp" },
	{ "", NULL },
};

static const char *const client_names[] = {
	"cert", "key", "ca", "server", "icmp", "stamp", "stamp-key-file", "db",
	"interval", "count", "deadline", "timeout", "size", "poisson", "dscp",
	"ttl", "source", "interface", "json", "status", "renew", "config",
	"version", "help", "verbose", "quiet",
};

static void
test_suggest(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < NELEM(suggest_cases); i++) {
		const struct suggest_case *c = &suggest_cases[i];
		const char *got = conf_suggest(client_names, NELEM(client_names),
		    c->word);

		check_str(desc("conf_suggest(\"%s\")", c->word),
		    c->want ? c->want : "(none)", got ? got : "(none)");
	}
	check_u64("conf_distance(\"ab\", \"ba\")", 1, conf_distance("ab", "ba"));
	check_u64("conf_distance(\"\", \"abc\")", 3, conf_distance("", "abc"));
	check_u64("conf_distance(\"kitten\", \"sitting\")", 3,
	    conf_distance("kitten", "sitting"));
	check_done();
}

/* What the user is told for a command line that is refused. */
static const struct msg_case {
	const char *args;
	const char *err;	/* the whole message */
} msg_cases[] = {
	{ "--intervall 5", "unknown option --intervall; did you mean --interval?" },
	{ "--intervall=5", "unknown option --intervall; did you mean --interval?" },
	{ "--nmu 3", "unknown option --nmu; did you mean --num?" },
	{ "--zzzzzz", "unknown option --zzzzzz" },
	{ "--renew-", "ambiguous option --renew- (--renew-after, --renew-gap)" },
	{ "--version=1", "option --version takes no value" },
	{ "-x", "unknown option -x" },
	{ "--num", "missing value for option '--num'" },
	{ "-n 0", "invalid value '0' for -n: must be greater than 0 (1 to 100)" },
	{ "--num 101", "invalid value '101' for --num: must be from 1 to 100" },
	{ "--num 7x", "invalid value '7x' for --num (want a whole number from 1 to 100)" },
	{ "--interval 0", "invalid value '0' for --interval: must be greater than 0 "
	    "(10us to 1h)" },
	{ "--interval 1us", "invalid value '1us' for --interval: must be from 10us to 1h" },
	{ "--interval 61m", "invalid value '61m' for --interval: must be from 10us to 1h" },
	{ "--renew-gap 2d", "invalid value '2d' for --renew-gap: must be from 0 to 1d" },
	{ "--interval soon", "invalid value 'soon' for --interval (want a duration "
	    "such as 250ms, 10s, 5m)" },
};

static void
test_messages(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < NELEM(msg_cases); i++) {
		const struct msg_case *c = &msg_cases[i];
		const char *what = desc("conf_args(%s)", c->args);
		struct t_conf t;
		char err[256];

		if (run_args(c->args, NULL, &t, err, sizeof(err)) == 0)
			check_fail("%s: expected a refusal, got none", what);
		else
			check_str(what, c->err, err);
		conf_free(keys, NKEYS, &t);
	}
	check_done();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_once),
		cmocka_unit_test(test_suggest),
		cmocka_unit_test(test_messages),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
