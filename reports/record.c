/*
 * record: fate names and classes for the report, from shared/fates.c.
 */
#include "record.h"

const char *
rec_fate_name(enum rec_fate f)
{
	return pm_fate_name((unsigned)f);
}

int
rec_fate_received(enum rec_fate f)
{
	return !pm_fate_is_loss((unsigned)f);
}
