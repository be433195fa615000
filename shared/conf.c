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

#define CONF_NAME_MAX 64	/* longest name compared for suggestions */
#define CONF_KEYS_MAX 128	/* names a suggestion is chosen from */

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

/* A bound of k as the user writes it: "10us", "1h", "255". */
static void
conf_bound(const struct conf_key *k, uint64_t v, char *buf, size_t len)
{
	static const struct {
		const char *unit;
		uint64_t ns;
	} units[] = {
		{ "d", 86400000000000ULL }, { "h", 3600000000000ULL },
		{ "m", 60000000000ULL }, { "s", 1000000000ULL },
		{ "ms", 1000000ULL }, { "us", 1000ULL },
	};
	size_t i;

	for (i = 0; k->type == CONF_DURATION && v > 0 && i < 6; i++)
		if (v % units[i].ns == 0) {
			snprintf(buf, len, "%llu%s",
			    (unsigned long long)(v / units[i].ns), units[i].unit);
			return;
		}
	snprintf(buf, len, "%llu%s", (unsigned long long)v,
	    k->type == CONF_DURATION && v > 0 ? "ns" : "");
}

/*
 * Why k refused value, shown as the user gave the key: a number out of
 * range says the range ("-i 0" must be greater than 0), anything else
 * what is wanted.
 */
static void
conf_why(const struct conf_key *k, const char *shown, const char *value,
    char *err, size_t errlen)
{
	char buf[96], lo[32], hi[32];
	uint64_t v;
	int number = 0;

	if (k->type == CONF_U32)
		number = parse_u64(value, 0, UINT64_MAX, &v) == 0;
	else if (k->type == CONF_DURATION)
		number = parse_duration_ns(value, 0, UINT64_MAX, &v) == 0;
	if (!number) {
		snprintf(err, errlen, "invalid value '%s' for %s (want %s)", value,
		    shown, conf_expect(k, buf, sizeof(buf)));
		return;
	}
	conf_bound(k, k->lo, lo, sizeof(lo));
	conf_bound(k, k->hi, hi, sizeof(hi));
	if (v == 0 && k->lo > 0)
		snprintf(err, errlen, "invalid value '%s' for %s: must be greater "
		    "than 0 (%s to %s)", value, shown, lo, hi);
	else
		snprintf(err, errlen, "invalid value '%s' for %s: must be from %s "
		    "to %s", value, shown, lo, hi);
}

/* conf_set for a key found, named in err as shown. */
static int
conf_set_key(const struct conf_key *k, void *dst, const char *shown,
    const char *value, char *err, size_t errlen)
{
	int r;

	if ((r = conf_apply(k, dst, value)) != 0)
		conf_why(k, shown, value, err, errlen);
	return r;
}

/* Edit distance with transpositions (optimal string alignment), capped. */
static size_t
conf_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), i, j, best;
	size_t d[3][CONF_NAME_MAX + 1];	/* row i in d[i % 3] */

	if (la > CONF_NAME_MAX || lb > CONF_NAME_MAX)
		return SIZE_MAX;
	for (j = 0; j <= lb; j++)
		d[0][j] = j;
	for (i = 1; i <= la; i++) {
		size_t *cur = d[i % 3], *prev = d[(i + 2) % 3], *pp = d[(i + 1) % 3];

		cur[0] = i;
		for (j = 1; j <= lb; j++) {
			size_t cost = a[i - 1] != b[j - 1];

			best = prev[j] + 1;
			if (cur[j - 1] + 1 < best)
				best = cur[j - 1] + 1;
			if (prev[j - 1] + cost < best)
				best = prev[j - 1] + cost;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] &&
			    a[i - 2] == b[j - 1] && pp[j - 2] + 1 < best)
				best = pp[j - 2] + 1;
			cur[j] = best;
		}
	}
	return d[la % 3][lb];
}

/*
 * The long option nearest to word (without its dashes), if near enough to
 * be the one meant: at most one edit in four characters, and at least one
 * allowed. NULL when none is, or two are equally near.
 */
static const char *
conf_suggest(const char *const *names, size_t n, const char *word)
{
	size_t i, d, best = SIZE_MAX, limit = strlen(word) / 4;
	const char *pick = NULL;
	int tie = 0;

	if (limit < 1)
		limit = 1;
	for (i = 0; i < n; i++) {
		d = conf_distance(word, names[i]);
		if (d < best) {
			best = d;
			pick = names[i];
			tie = 0;
		} else if (d == best)
			tie = 1;
	}
	return best <= limit && !tie ? pick : NULL;
}

int
conf_set(const struct conf_key *keys, size_t n, void *dst, const char *name,
    const char *value, char *err, size_t errlen)
{
	const struct conf_key *k = conf_find(keys, n, name);
	const char *names[CONF_KEYS_MAX], *near;
	size_t i;

	if (k == NULL) {
		for (i = 0; i < n && i < CONF_KEYS_MAX; i++)
			names[i] = keys[i].name;
		near = conf_suggest(names, i, name);
		snprintf(err, errlen, "unknown setting '%s'%s%s%s", name,
		    near ? "; did you mean " : "", near ? near : "", near ? "?" : "");
		return PM_E_NOTFOUND;
	}
	return conf_set_key(k, dst, name, value, err, errlen);
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
	char shown[CONF_NAME_MAX + 3];
	int r;

	if (ch == CONF_OPT_CONFIG || ch == CONF_OPT_VERSION)
		return 0;
	if (ch >= CONF_OPT_BASE) {
		name = cmd->keys[ch - CONF_OPT_BASE].name;
		snprintf(shown, sizeof(shown), "--%s", name);
	} else if ((name = conf_alias_name(cmd->al, cmd->nal, ch)) != NULL)
		snprintf(shown, sizeof(shown), "-%c", ch);
	else {
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
	return conf_set_key(conf_find(cmd->keys, cmd->n, name), cmd->dst, shown,
	    optarg ? optarg : "yes", err, errlen);
}

/*
 * An option getopt_long refused: a value missing or not allowed, a short
 * option unknown, or a long one unknown (the nearest name suggested) or
 * ambiguous (the names it could start).
 */
static void
conf_refused(const struct option *lo, const char *tok, int ch, char *err,
    size_t errlen)
{
	const char *names[CONF_KEYS_MAX], *near;
	char word[CONF_NAME_MAX + 1], list[160] = "";
	size_t n = 0, len, nprefix = 0;

	if (ch == ':') {
		snprintf(err, errlen, "missing value for option '%s'", tok);
		return;
	}
	if (strncmp(tok, "--", 2) != 0) {
		snprintf(err, errlen, "unknown option -%c", optopt);
		return;
	}
	len = strcspn(tok + 2, "=");
	snprintf(word, sizeof(word), "%.*s", (int)len, tok + 2);
	if (optopt != 0) {	/* a known option given a value it does not take */
		snprintf(err, errlen, "option --%s takes no value", word);
		return;
	}
	for (; lo->name != NULL && n < CONF_KEYS_MAX; lo++, n++) {
		names[n] = lo->name;
		if (len > 0 && strncmp(lo->name, word, len) == 0 && nprefix++ < 4)
			snprintf(list + strlen(list), sizeof(list) - strlen(list),
			    "%s--%s", nprefix > 1 ? ", " : "", lo->name);
	}
	if (nprefix > 1) {
		snprintf(err, errlen, "ambiguous option --%s (%s%s)", word, list,
		    nprefix > 4 ? ", ..." : "");
		return;
	}
	near = conf_suggest(names, n, word);
	snprintf(err, errlen, "unknown option --%s%s%s%s", word,
	    near ? "; did you mean --" : "", near ? near : "", near ? "?" : "");
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
				conf_refused(lo, argv[optind - 1], ch, err, errlen);
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
