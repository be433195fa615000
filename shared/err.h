/*
 * err: negative error codes shared by all modules, with a strerror table.
 * Functions return 0 (or a count) on success and a PM_E_* code on failure.
 */
#ifndef PM_ERR_H
#define PM_ERR_H

#define PM_MUST_CHECK __attribute__((warn_unused_result))

enum {
	PM_E_OK = 0,
	PM_E_AGAIN = -1,	/* would block; try again when the fd is ready */
	PM_E_NOMEM = -2,
	PM_E_SHORT = -3,	/* input ended before the field */
	PM_E_LENGTH = -4,	/* length not allowed for this message type */
	PM_E_VERSION = -5,
	PM_E_TYPE = -6,		/* unknown message type */
	PM_E_STATE = -7,	/* message not allowed in this state */
	PM_E_FORMAT = -8,	/* malformed field */
	PM_E_AUTH = -9,		/* HMAC or peer identity check failed */
	PM_E_TLS = -10,
	PM_E_SYS = -11,		/* system call failed; errno holds why */
	PM_E_EOF = -12,		/* peer closed */
	PM_E_RANGE = -13,	/* number out of range */
	PM_E_LIMIT = -14,	/* a configured limit refuses this */
	PM_E_NOTFOUND = -15,
	PM_E_DB = -16,
	PM_E_TIMEOUT = -17,
	PM_E_MAX_ = -18
};

const char *pm_strerror(int code);

#endif
