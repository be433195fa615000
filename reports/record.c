/*
 * record: fate names and classes, the one place that knows which fates are
 * losses.
 */
#include "record.h"

const char *
rec_fate_name(enum rec_fate f)
{
	switch (f) {
	case REC_ANSWERED:
		return "answered";
	case REC_REORDERED:
		return "reordered";
	case REC_LATE:
		return "late";
	case REC_LOST_FORWARD:
		return "lost_forward";
	case REC_LOST_BACKWARD:
		return "lost_backward";
	case REC_LOST:
		return "lost";
	case REC_FATES:
		break;
	}
	return "unknown";
}

int
rec_fate_received(enum rec_fate f)
{
	switch (f) {
	case REC_ANSWERED:
	case REC_REORDERED:
	case REC_LATE:
		return 1;
	case REC_LOST_FORWARD:
	case REC_LOST_BACKWARD:
	case REC_LOST:
	case REC_FATES:
		break;
	}
	return 0;
}
