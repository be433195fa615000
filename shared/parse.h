/*
 * parse: strict parsing of numbers, durations, times and host:port.
 * Every function rejects empty strings, trailing junk, signs where none are
 * allowed, and overflow, returning PM_E_FORMAT or PM_E_RANGE.
 */
#ifndef PM_PARSE_H
#define PM_PARSE_H

#include <stdint.h>
#include <stddef.h>
#include "err.h"

int parse_u32(const char *s, uint32_t lo, uint32_t hi, uint32_t *out) PM_MUST_CHECK;
int parse_u64(const char *s, uint64_t lo, uint64_t hi, uint64_t *out) PM_MUST_CHECK;
/* "0.01", "10ms", "1.5s", "2m", "1h", "250us"; a bare number is seconds. */
int parse_duration_ns(const char *s, uint64_t lo, uint64_t hi, uint64_t *out) PM_MUST_CHECK;
/*
 * A point in time as Unix ns: "-1d", "-90m", "-30s" (relative to now_ns),
 * "now", an integer of seconds since the epoch, or an ISO 8601 UTC time
 * "2026-11-25T10:00:00Z" / "2026-11-25 10:00" / "2026-11-25".
 */
int parse_time_ns(const char *s, int64_t now_ns, int64_t *out) PM_MUST_CHECK;
/*
 * "host:port", "[v6addr]:port", "v4addr:port". host is copied into host
 * (NUL-terminated, at most hostlen-1 chars). A missing port uses defport;
 * defport 0 makes the port mandatory, and then an IPv6 address must be in
 * brackets ("::1:4010" is refused, not read as a host and a port).
 */
int parse_hostport(const char *s, char *host, size_t hostlen, uint16_t defport,
    uint16_t *port) PM_MUST_CHECK;
/*
 * Why parse_hostport refuses s, for the user ("write IPv6 addresses as
 * [ADDR]:PORT", "no port (want HOST:PORT)" ...), or NULL when it takes it.
 */
const char *parse_hostport_why(const char *s, size_t hostlen, uint16_t defport);

#endif
