/*
 * rttstats: RTT min/max/mean and quantiles in fixed memory. Pure.
 * Values go into log-linear bins (64 per power of two), so a quantile is
 * within 1 % of the true value whatever the number of samples; min and max
 * are exact.
 */
#ifndef PM_RTTSTATS_H
#define PM_RTTSTATS_H

#include <stdint.h>

#define RTT_SUB 64
#define RTT_BINS (RTT_SUB + 58 * RTT_SUB)

struct rttstats {
	uint64_t n;
	int64_t min, max;
	double sum;
	double sumsq;		/* for the standard deviation (ping's mdev) */
	uint64_t bins[RTT_BINS];
};

void rtt_init(struct rttstats *s);
void rtt_add(struct rttstats *s, int64_t ns);
/* q in [0, 1]; -1 when empty. */
int64_t rtt_quantile(const struct rttstats *s, double q);
double rtt_mean(const struct rttstats *s);
/* Standard deviation, as ping's mdev; 0 when empty. */
double rtt_mdev(const struct rttstats *s);

#endif
