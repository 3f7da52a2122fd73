/* options.h: command-line options as data. Each part of the library that has settings (the core,
 * the dataset loader, every analyzer, every stage) lists its options in one table; ciot-analyze
 * builds its getopt table and its --help from them, so an option and its help are written once.
 */
#ifndef CIOT_OPTIONS_H
#define CIOT_OPTIONS_H

#include "ciot/ciot.h"

struct ciot_option {
	const char *name;  /* the long name, without "--" */
	char short_name;   /* 0: none */
	const char *arg;   /* the argument's name in --help ("FILE"); NULL: a flag */
	const char *help;  /* its --help text, lines separated by '\n' */
	/* applies it to the settings of the part that owns it; value is NULL for a flag. A value that
	 * makes no sense is CIOT_ERR_ARG with the reason in errbuf. */
	enum ciot_rc (*set)(void *config, const char *value, char *errbuf);
};

/* The options under one heading of --help, and whose settings they change. */
struct ciot_option_group {
	const char *title;                 /* the heading, without its colon */
	const struct ciot_option *options; /* ends with an entry whose name is NULL */
	/* NULL: the run's settings, changed with ciot_config_set (ciot/analyze.h). Else the name of the
	 * stage whose own settings `set` takes ("destinations": struct ciot_destination_options). */
	const char *stage;
};

#endif
