/*
 * conf: settings tables over inih.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ini.h>

#include "conf.h"
#include "parse.h"
#include "pktmon_config.h"

const struct conf_key *
conf_find(const struct conf_key *keys, size_t n, const char *name)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(keys[i].name, name) == 0)
			return &keys[i];
	return NULL;
}

static int
conf_flag(const char *v, int *out)
{
	static const char *const yes[] = { "yes", "true", "on", "1" };
	static const char *const no[] = { "no", "false", "off", "0" };
	size_t i;

	for (i = 0; i < 4; i++) {
		if (strcmp(v, yes[i]) == 0)
			return *out = 1, 0;
		if (strcmp(v, no[i]) == 0)
			return *out = 0, 0;
	}
	return PM_E_FORMAT;
}

static int
conf_list_add(struct conf_list *l, const char *v)
{
	char **nv = realloc(l->v, (l->n + 1) * sizeof(*nv));

	if (nv == NULL)
		return PM_E_NOMEM;
	l->v = nv;
	if ((l->v[l->n] = strdup(v)) == NULL)
		return PM_E_NOMEM;
	l->n++;
	return 0;
}

static int
conf_apply(const struct conf_key *k, void *dst, const char *v)
{
	char *at = (char *)dst + k->offset;
	uint64_t d;
	char *s;

	switch (k->type) {
	case CONF_STR:
		if ((s = strdup(v)) == NULL)
			return PM_E_NOMEM;
		free(*(char **)at);
		*(char **)at = s;
		return 0;
	case CONF_LIST:
		return conf_list_add((struct conf_list *)at, v);
	case CONF_U32:
		return parse_u32(v, (uint32_t)k->lo, (uint32_t)k->hi, (uint32_t *)at);
	case CONF_DURATION:
		if (parse_duration_ns(v, k->lo, k->hi, &d) != 0)
			return PM_E_RANGE;
		*(int64_t *)at = (int64_t)d;
		return 0;
	case CONF_FLAG:
		return conf_flag(v, (int *)at);
	}
	return PM_E_FORMAT;
}

static const char *
conf_expect(const struct conf_key *k, char *buf, size_t len)
{
	switch (k->type) {
	case CONF_STR:
	case CONF_LIST:
		return "a string";
	case CONF_U32:
		snprintf(buf, len, "a whole number from %llu to %llu",
		    (unsigned long long)k->lo, (unsigned long long)k->hi);
		return buf;
	case CONF_DURATION:
		return "a duration such as 250ms, 10s, 5m";
	case CONF_FLAG:
		return "yes or no";
	}
	return "?";
}

int
conf_set(const struct conf_key *keys, size_t n, void *dst, const char *name,
    const char *value, char *err, size_t errlen)
{
	const struct conf_key *k = conf_find(keys, n, name);
	char buf[96];
	int r;

	if (k == NULL) {
		snprintf(err, errlen, "unknown setting '%s'", name);
		return PM_E_NOTFOUND;
	}
	if ((r = conf_apply(k, dst, value)) != 0)
		snprintf(err, errlen, "invalid value '%s' for %s (want %s)", value,
		    name, conf_expect(k, buf, sizeof(buf)));
	return r;
}

/*
 * A key that takes one value per source (CONF_STR with hi 1) given a second
 * time in the same file or command line: PM_E_LIMIT with err naming it.
 * seen counts each key's values so far in this source.
 */
static int
conf_once(const struct conf_key *keys, size_t n, unsigned char *seen,
    const char *name, const char *dashes, char *err, size_t errlen)
{
	const struct conf_key *k = conf_find(keys, n, name);

	if (k == NULL || k->type != CONF_STR || k->hi != 1)
		return 0;
	if (seen[k - keys]++ == 0)
		return 0;
	snprintf(err, errlen, "%s%s given twice", dashes, name);
	return PM_E_LIMIT;
}

struct conf_ctx {
	const struct conf_key *keys;
	size_t n;
	void *dst;
	unsigned char *seen;	/* values per key in this file */
	int r;			/* the first error's code */
	char err[256];		/* and what it was */
};

static int
conf_ini_handler(void *user, const char *section, const char *name,
    const char *value)
{
	struct conf_ctx *cx = user;
	char err[sizeof(cx->err)];
	int r;

	(void)section;
	if ((r = conf_once(cx->keys, cx->n, cx->seen, name, "", err,
	    sizeof(err))) == 0)
		r = conf_set(cx->keys, cx->n, cx->dst, name, value, err,
		    sizeof(err));
	/* inih goes on after an error and reports the first one's line. */
	if (r != 0 && cx->r == 0) {
		cx->r = r;
		snprintf(cx->err, sizeof(cx->err), "%s", err);
	}
	return r == 0;
}

/* inih's verdict as one line naming the file (or name) and the line. */
static int
conf_verdict(int line, const struct conf_ctx *cx, const char *path, char *err,
    size_t errlen)
{
	if (line == 0)
		return 0;
	if (line == -1)
		snprintf(err, errlen, "cannot read config file %s", path);
	else if (line == -2)
		snprintf(err, errlen, "config file %s: out of memory", path);
	else
		snprintf(err, errlen, "config file %s line %d: %s", path, line,
		    cx->err[0] ? cx->err : "syntax error");
	return cx->r == PM_E_LIMIT ? PM_E_LIMIT : PM_E_FORMAT;
}

/* path names a file, or text holds the settings (name stands for it). */
static int
conf_load_any(const char *path, const char *text, const char *name,
    const struct conf_key *keys, size_t n, void *dst, char *err, size_t errlen)
{
	struct conf_ctx cx = { keys, n, dst, calloc(n ? n : 1, 1), 0, "" };
	int r;

	if (cx.seen == NULL)
		return PM_E_NOMEM;
	r = conf_verdict(path != NULL ? ini_parse(path, conf_ini_handler, &cx) :
	    ini_parse_string(text, conf_ini_handler, &cx), &cx, name, err, errlen);
	free(cx.seen);
	return r;
}

int
conf_load(const char *path, const struct conf_key *keys, size_t n, void *dst,
    char *err, size_t errlen)
{
	return conf_load_any(path, NULL, path, keys, n, dst, err, errlen);
}

int
conf_load_string(const char *text, const char *name,
    const struct conf_key *keys, size_t n, void *dst, char *err, size_t errlen)
{
	return conf_load_any(NULL, text, name, keys, n, dst, err, errlen);
}

void
conf_free(const struct conf_key *keys, size_t n, void *dst)
{
	struct conf_list *l;
	size_t i, j;
	char *at;

	for (i = 0; i < n; i++) {
		at = (char *)dst + keys[i].offset;
		if (keys[i].type == CONF_STR) {
			free(*(char **)at);
			*(char **)at = NULL;
		} else if (keys[i].type == CONF_LIST) {
			l = (struct conf_list *)at;
			for (j = 0; j < l->n; j++)
				free(l->v[j]);
			free(l->v);
			l->v = NULL;
			l->n = 0;
		}
	}
}

void
conf_usage(const struct conf_key *keys, size_t n, void *fp)
{
	char left[64];
	size_t i;

	for (i = 0; i < n; i++) {
		snprintf(left, sizeof(left), "--%s%s%s", keys[i].name,
		    keys[i].arg ? " " : "", keys[i].arg ? keys[i].arg : "");
		fprintf(fp, "  %-28s %s\n", left, keys[i].help);
	}
	fprintf(fp, "  %-28s %s\n", "--version", "print the program's version and exit");
}

#define CONF_OPT_BASE 1000
#define CONF_OPT_CONFIG 999
#define CONF_OPT_VERSION 998

/* Long spellings of the usual extra letters. */
static const struct option extra_long[] = {
	{ "help", no_argument, NULL, 'h' },
	{ "verbose", no_argument, NULL, 'v' },
	{ "check", no_argument, NULL, 'n' },
	{ "quiet", no_argument, NULL, 'q' },
};

static struct option *
conf_longopts(const struct conf_key *keys, size_t n, const char *extra)
{
	size_t i, m = 0, nx = sizeof(extra_long) / sizeof(extra_long[0]);
	struct option *lo = calloc(n + nx + 3, sizeof(*lo));

	if (lo == NULL)
		return NULL;
	for (i = 0; i < n; i++) {
		lo[i].name = keys[i].name;
		lo[i].has_arg = keys[i].type == CONF_FLAG ? optional_argument :
		    required_argument;
		lo[i].val = CONF_OPT_BASE + (int)i;
	}
	lo[n].name = "config";
	lo[n].has_arg = required_argument;
	lo[n].val = CONF_OPT_CONFIG;
	lo[n + 1].name = "version";
	lo[n + 1].has_arg = no_argument;
	lo[n + 1].val = CONF_OPT_VERSION;
	for (i = 0; i < nx; i++)
		if (strchr(extra, extra_long[i].val) != NULL &&
		    conf_find(keys, n, extra_long[i].name) == NULL)
			lo[n + 2 + m++] = extra_long[i];
	return lo;
}

static void
conf_shortopts(const struct conf_key *keys, size_t n,
    const struct conf_alias *al, size_t nal, const char *extra, char *out,
    size_t len)
{
	const struct conf_key *k;
	size_t i, o = 0;

	out[o++] = ':';	/* report a missing argument apart from an unknown option */
	for (i = 0; i < nal && o + 3 < len; i++) {
		out[o++] = al[i].letter;
		k = conf_find(keys, n, al[i].name);
		if (k != NULL && k->type != CONF_FLAG)
			out[o++] = ':';
	}
	for (i = 0; extra[i] != '\0' && o + 1 < len; i++)
		out[o++] = extra[i];
	out[o] = '\0';
}

static const char *
conf_alias_name(const struct conf_alias *al, size_t nal, int ch)
{
	size_t i;

	for (i = 0; i < nal; i++)
		if (al[i].letter == ch)
			return al[i].name;
	return NULL;
}

/* --version: the program's name as run, and the release; then exit. */
static void
conf_version(const char *argv0)
{
	const char *slash = argv0 != NULL ? strrchr(argv0, '/') : NULL;

	printf("%s %s\n", slash != NULL ? slash + 1 : argv0 != NULL ? argv0 :
	    "pktmon", PKTMON_VERSION);
	exit(0);
}

/* A command line being parsed: the program's table and where values go. */
struct conf_cmd {
	const struct conf_key *keys;
	size_t n;
	void *dst;
	const struct conf_alias *al;
	size_t nal;
	const char *extra;
	void (*extra_fn)(int, void *);
	void *arg;
	unsigned char *seen;	/* values per key on the command line */
};

/* One option of pass 2; returns 0 or an error code with err set. */
static int
conf_one(const struct conf_cmd *cmd, int ch, char *err, size_t errlen)
{
	const char *name;
	int r;

	if (ch == CONF_OPT_CONFIG || ch == CONF_OPT_VERSION)
		return 0;
	if (ch >= CONF_OPT_BASE)
		name = cmd->keys[ch - CONF_OPT_BASE].name;
	else if ((name = conf_alias_name(cmd->al, cmd->nal, ch)) == NULL) {
		if (ch > 0 && ch < 128 && strchr(cmd->extra, ch) != NULL) {
			if (cmd->extra_fn != NULL)
				cmd->extra_fn(ch, cmd->arg);
			return 0;
		}
		snprintf(err, errlen, "unknown option");
		return PM_E_FORMAT;
	}
	if ((r = conf_once(cmd->keys, cmd->n, cmd->seen, name, "--", err,
	    errlen)) != 0)
		return r;
	return conf_set(cmd->keys, cmd->n, cmd->dst, name, optarg ? optarg : "yes",
	    err, errlen);
}

int
conf_args(const struct conf_key *keys, size_t n, void *dst, int argc,
    char **argv, const struct conf_alias *aliases, size_t nalias,
    const char *extra, void (*extra_fn)(int, void *), void *arg,
    const char **config, char *err, size_t errlen)
{
	struct conf_cmd cmd = { keys, n, dst, aliases, nalias, extra, extra_fn, arg,
	    calloc(n ? n : 1, 1) };
	struct option *lo = conf_longopts(keys, n, extra);
	char shorts[128];
	int ch, pass, r = 0;

	if (lo == NULL || cmd.seen == NULL) {
		free(lo);
		free(cmd.seen);
		return PM_E_NOMEM;
	}
	conf_shortopts(keys, n, aliases, nalias, extra, shorts, sizeof(shorts));
	opterr = 0;
	for (pass = 0; pass < 2 && r == 0; pass++) {
		optind = 1;
		while (r == 0 && (ch = getopt_long(argc, argv, shorts, lo, NULL)) != -1) {
			if (ch == '?' || ch == ':') {
				snprintf(err, errlen, "%s option '%s'", ch == '?' ?
				    "unknown" : "missing value for", argv[optind - 1]);
				r = PM_E_FORMAT;
			} else if (pass == 0 && ch == CONF_OPT_VERSION)
				conf_version(argv[0]);
			else if (pass == 0 && ch == CONF_OPT_CONFIG)
				*config = optarg;
			else if (pass == 1)
				r = conf_one(&cmd, ch, err, errlen);
		}
		if (r == 0 && pass == 0 && *config != NULL)
			r = conf_load(*config, keys, n, dst, err, errlen);
	}
	if (r == 0 && optind < argc) {
		snprintf(err, errlen, "unexpected argument '%s'", argv[optind]);
		r = PM_E_FORMAT;
	}
	free(lo);
	free(cmd.seen);
	return r;
}
