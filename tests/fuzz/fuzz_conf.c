/*
 * Fuzz the configuration reader (inih under pktmon's settings table) with
 * a whole file. Checks what a program relies on after a successful load:
 * every number and duration within its key's range, flags 0 or 1, list
 * entries and strings present; and on failure a one-line message that
 * names the file. Everything is freed, so leaks show under ASan.
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "../../shared/conf.c"
#include "../../shared/parse.c"

#define MAX_INPUT 4096

struct fz_conf {
	char *str;
	struct conf_list list;
	uint32_t num;
	int64_t dur;
	int flag;
};

#define K(n, t, f, lo, hi) { n, t, offsetof(struct fz_conf, f), lo, hi, "X", "x" }
static const struct conf_key keys[] = {
	K("cert", CONF_STR, str, 0, 0),
	K("allow", CONF_LIST, list, 0, 0),
	K("max-size", CONF_U32, num, 112, 9000),
	K("interval", CONF_DURATION, dur, 10000, 3600000000000ULL),
	K("poisson", CONF_FLAG, flag, 0, 0),
};
#undef K
#define NKEYS (sizeof(keys) / sizeof(keys[0]))

static volatile size_t sink;

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz_conf c;
	char text[MAX_INPUT + 1], err[512];
	size_t i;

	if (size > MAX_INPUT)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	memset(&c, 0, sizeof(c));
	c.num = 1472;
	c.dur = 1000000000;
	err[0] = '\0';
	if (conf_load_string(text, "fuzz.conf", keys, NKEYS, &c, err,
	    sizeof(err)) == 0) {
		if (c.num < 112 || c.num > 9000 || c.dur < 10000 ||
		    c.dur > 3600000000000LL || (c.flag != 0 && c.flag != 1))
			abort();
		for (i = 0; i < c.list.n; i++)
			sink += strlen(c.list.v[i]);
		if (c.str != NULL)
			sink += strlen(c.str);
	} else if (strncmp(err, "config file fuzz.conf", 21) != 0 ||
	    strchr(err, '\n') != NULL) {
		abort();
	}
	conf_free(keys, NKEYS, &c);
	return 0;
}
