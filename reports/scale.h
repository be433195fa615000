/*
 * scale: the pure arithmetic behind the report graphs: round-number ticks,
 * time ticks and their labels, time buckets, log-spaced RTT histograms and
 * their quantiles, loss colour classes and human-readable durations.
 * No cairo, no SQLite, no clock reads; every function is table-tested.
 */
#ifndef PM_REPORT_SCALE_H
#define PM_REPORT_SCALE_H

#include <stddef.h>
#include <stdint.h>

#define SCALE_MAX_TICKS 64

/* Value ticks: first, first + step, ... (count of them), all 1/2/5 x 10^n. */
struct scale_ticks {
	double first;
	double step;
	int count;
	int decimals;		/* digits after the point that tell ticks apart */
};

/* Round-number ticks inside [lo, hi], at most max_ticks. 0, or PM_E_RANGE. */
int scale_ticks(double lo, double hi, int max_ticks, struct scale_ticks *out);
/* The smallest 1/2/5 x 10^n that is >= v (v > 0). */
double scale_nice_ceil(double v);
void scale_fmt_value(double v, int decimals, char *buf, size_t len);

/* How a time tick is labelled, from the finest step to the coarsest. */
enum scale_tfmt {
	SCALE_TF_SUBSEC,	/* 10:00:01.5 */
	SCALE_TF_SEC,		/* 10:00:05 */
	SCALE_TF_MIN,		/* 10:05 */
	SCALE_TF_DAY,		/* Nov 25 */
	SCALE_TF_MONTH,		/* Nov */
	SCALE_TF_YEAR		/* 2026 */
};

struct scale_tticks {
	int64_t t[SCALE_MAX_TICKS];	/* Unix ns, UTC */
	int count;
	enum scale_tfmt fmt;
};

/* Ticks on UTC round times (minutes, midnights, first of month) in [lo, hi]. */
int scale_time_ticks(int64_t lo, int64_t hi, int max_ticks, struct scale_tticks *out);
/*
 * The label of tick t: the time itself in main, and in context the date (or
 * year) when it differs from the previous tick's (prev < 0 for the first tick),
 * else "".
 */
void scale_time_label(int64_t t, int64_t prev, enum scale_tfmt fmt,
    char *main, char *context, size_t len);

/* Time buckets: [start + i*width, start + (i+1)*width) for i < count. */
struct scale_grid {
	int64_t start;
	int64_t width;
	int count;
};

/*
 * Buckets of a round width (1 s, 5 min, 1 h, 1 d, ...) aligned to the epoch,
 * covering [lo, hi), at most max_buckets of them and none narrower than
 * min_width. 0, or PM_E_RANGE when hi <= lo.
 */
int scale_grid(int64_t lo, int64_t hi, int max_buckets, int64_t min_width,
    struct scale_grid *out);
/* Index of the bucket holding t, or -1 outside the grid. */
int scale_grid_index(const struct scale_grid *g, int64_t t);

/*
 * Log-spaced histogram bins: bin 0 holds values below lo, bins 1..count-2
 * each span a factor of 10^(1/per_decade), the last bin holds the rest.
 */
struct scale_logbins {
	double lo;
	int per_decade;
	int count;
};

/* Per-bucket RTT bins (about 5 % wide) and whole-range bins (about 0.5 %). */
extern const struct scale_logbins scale_rtt_coarse;
extern const struct scale_logbins scale_rtt_fine;

/* Bin i holds the integers in [edge(i), edge(i + 1)). */
int scale_logbin(const struct scale_logbins *b, int64_t v);
int64_t scale_logbin_edge(const struct scale_logbins *b, int i);

/* Nearest rank (1-based) of quantile q of n values: ceil(q * n), at least 1. */
uint64_t scale_rank(uint64_t n, double q);
/* The bin holding the value of rank; *below = values in the bins before it. */
int scale_rank_bin(const struct scale_logbins *b, const uint64_t *hist,
    uint64_t rank, uint64_t *below);
/*
 * Quantile q of the n values counted in hist, interpolated inside its bin on
 * the log scale and clamped to the exact [min, max]. -1 when n is 0.
 */
int64_t scale_quantile(const struct scale_logbins *b, const uint64_t *hist,
    uint64_t n, double q, int64_t min, int64_t max);

/* Linear bins [lo + i*width, lo + (i+1)*width), i < count, width round. */
struct scale_linbins {
	int64_t lo;
	int64_t width;
	int count;
};

/* About want bins of a 1/2/5 x 10^n width covering [lo, hi]. */
int scale_linbins(int64_t lo, int64_t hi, int want, struct scale_linbins *out);
/* The bin of v: -1 below lo, count at or above the last bin's end. */
int scale_linbin(const struct scale_linbins *b, int64_t v);

/* Loss classes, as the colour of a latency median and of the legend. */
enum scale_loss {
	SCALE_LOSS_NONE,	/* 0 % */
	SCALE_LOSS_LOW,		/* up to 2 % */
	SCALE_LOSS_MID,		/* up to 10 % */
	SCALE_LOSS_HIGH,	/* up to 50 % */
	SCALE_LOSS_SEVERE,	/* below 100 % */
	SCALE_LOSS_TOTAL,	/* every probe lost: an outage */
	SCALE_LOSS_CLASSES
};

enum scale_loss scale_loss_class(uint64_t lost, uint64_t sent);
uint32_t scale_loss_rgba(enum scale_loss c);	/* 0xRRGGBBAA */
const char *scale_loss_label(enum scale_loss c);

/*
 * Raise every part of a bar that is not 0 to at least `least` (an equal
 * share of the bar when that is more than it holds), taking what that adds
 * from the largest parts, so that the bar's height stays their sum.
 */
void scale_least(double *parts, int n, double least);

/* 12345678 as "12,345,678". */
void scale_fmt_count(uint64_t n, char *buf, size_t len);
/* "850 µs", "12.3 ms", "1.25 s"; "-" for a negative (unknown) value. */
void scale_fmt_rtt(int64_t ns, char *buf, size_t len);
/* "350 ms", "12.3 s", "5 min 03 s", "2 h 05 min", "3 d 04 h". */
void scale_fmt_duration(int64_t ns, char *buf, size_t len);

#endif
