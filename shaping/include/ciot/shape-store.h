/* ciot/shape-store.h: ciot-shape's results in a ciot analysis database (the shaping_* tables every
 * database has since schema 6; docs/database.md), for ciot-report's shaping exports. One run is
 * one transaction: a run that fails leaves no row. */
#ifndef CIOT_SHAPE_STORE_H
#define CIOT_SHAPE_STORE_H

#include "ciot/shape-score.h"

struct ciot_shape_store_run {
	const char *const *captures;
	size_t ncaptures;
	const uint8_t *device;        /* 16 bytes */
	const char *interval, *size, *down_interval, *down_size;
	bool tls, legacy_header;
	const char *shaped_capture;   /* NULL: simulated */
	size_t seeds;
};

struct ciot_shape_store;

/* Opens the database (it must exist and have the shaping tables), starts the run's transaction and
 * writes its row. */
enum ciot_rc ciot_shape_store_open(struct ciot_shape_store **s, const char *db_path,
				   const struct ciot_shape_store_run *run, char *errbuf);
enum ciot_rc ciot_shape_store_cost(struct ciot_shape_store *s, uint64_t seed, const struct ciot_sim_result *r,
				   char *errbuf);
enum ciot_rc ciot_shape_store_score(struct ciot_shape_store *s, const char *trace, uint64_t seed,
				    const struct ciot_score *score, char *errbuf);
enum ciot_rc ciot_shape_store_separability(struct ciot_shape_store *s, double auc, double low, double high,
					   char *errbuf);
/* Commits when `keep`, else rolls the run back; frees s either way. */
enum ciot_rc ciot_shape_store_close(struct ciot_shape_store *s, bool keep, char *errbuf);

#endif
