/*
 * conf: one table of settings per program drives both the INI file
 * (read by inih) and the long command-line options, so every option has a
 * config key of the same name and both are checked by the same code.
 */
#ifndef PM_CONF_H
#define PM_CONF_H

#include <stddef.h>
#include <stdint.h>
#include "err.h"

enum conf_type {
	CONF_STR,	/* char *, strdup'ed */
	CONF_LIST,	/* struct conf_list: repeatable key or option */
	CONF_U32,	/* uint32_t within lo..hi */
	CONF_DURATION,	/* int64_t ns within lo..hi ns ("10s", "250ms", "0.5") */
	CONF_FLAG,	/* int; option takes no argument; file value yes/no/true/false/1/0 */
};

struct conf_list {
	char **v;
	size_t n;
};

struct conf_key {
	const char *name;	/* key in the file and --name on the command line */
	enum conf_type type;
	size_t offset;		/* into the program's settings struct */
	/* Numbers: the range. CONF_STR with hi 1: given at most once in a
	 * file and once on the command line (which still wins over the
	 * file); a second time fails with PM_E_LIMIT. Otherwise the last
	 * value wins. */
	uint64_t lo, hi;
	const char *arg;	/* argument name for --help, NULL for flags */
	const char *help;
};

/* Set one key from text; err names the key and says what was wrong. */
int conf_set(const struct conf_key *keys, size_t n, void *dst, const char *name,
    const char *value, char *err, size_t errlen) PM_MUST_CHECK;
/* Read an INI file (keys at top level or in any section); err names
 * file:line. PM_E_LIMIT for a once-only key given twice, else PM_E_FORMAT. */
int conf_load(const char *path, const struct conf_key *keys, size_t n, void *dst,
    char *err, size_t errlen) PM_MUST_CHECK;
/* The same from text in memory; name stands for the file in err. */
int conf_load_string(const char *text, const char *name,
    const struct conf_key *keys, size_t n, void *dst, char *err,
    size_t errlen) PM_MUST_CHECK;
/* A one-letter option standing for a key, as -i for interval. */
struct conf_alias {
	char letter;
	const char *name;
};

/*
 * Parse argv: "--config FILE" is read first (its path goes to *config),
 * then every --name[=value] and alias on the command line over it.
 * "--version" prints the program's name and PKTMON_VERSION and exits 0. Flags
 * take an optional value (--renew=no). The letters in extra ("nvh") are
 * passed to extra_fn (which may be NULL to ignore them). Returns 0, or a
 * PM_E_* code (PM_E_LIMIT for a once-only key given twice) with err naming
 * the option, file or value at fault: a number out of range says the
 * range, an unknown long option the nearest one ("did you mean
 * --interval?").
 */
int conf_args(const struct conf_key *keys, size_t n, void *dst, int argc,
    char **argv, const struct conf_alias *aliases, size_t nalias,
    const char *extra, void (*extra_fn)(int letter, void *arg), void *arg,
    const char **config, char *err, size_t errlen) PM_MUST_CHECK;
/* Free the strings and lists the table owns in dst. */
void conf_free(const struct conf_key *keys, size_t n, void *dst);
/* Print "  --name ARG   help" lines for --help, and one for --version. */
void conf_usage(const struct conf_key *keys, size_t n, void *fp);
/* The key called name, or NULL. */
const struct conf_key *conf_find(const struct conf_key *keys, size_t n,
    const char *name);

#endif
