/*
 * cmd: the subcommands of pktmon-report. Each returns a report_exit code
 * and has printed the one-line reason for any code but REPORT_OK.
 */
#ifndef PM_REPORT_CMD_H
#define PM_REPORT_CMD_H

#include "report.h"

int cmd_png(const struct report_opts *o);
int cmd_summary(const struct report_opts *o);
int cmd_events(const struct report_opts *o);
int cmd_export(const struct report_opts *o);

#endif
