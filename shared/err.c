/*
 * err: the strerror table for PM_E_* codes.
 */
#include "err.h"

static const char *const pm_errstr[] = {
	[0] = "success",
	[1] = "operation would block",
	[2] = "out of memory",
	[3] = "input too short",
	[4] = "length not allowed",
	[5] = "unsupported protocol version",
	[6] = "unknown message type",
	[7] = "message not allowed in this state",
	[8] = "malformed field",
	[9] = "authentication failed",
	[10] = "TLS error",
	[11] = "system call failed",
	[12] = "peer closed the connection",
	[13] = "value out of range",
	[14] = "refused by a limit",
	[15] = "not found",
	[16] = "database error",
	[17] = "timed out",
};

const char *
pm_strerror(int code)
{
	unsigned idx = (unsigned)-code;

	if (code > 0 || idx >= sizeof(pm_errstr) / sizeof(pm_errstr[0]))
		return "unknown error";
	return pm_errstr[idx];
}
