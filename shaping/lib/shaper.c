/* shaper.c: the sending side of ciot/shape.h: a bounded queue of messages and a schedule of slots
 * on absolute deadlines, each slot one record of a sampled size (Algorithm 1 of Datta et al.,
 * with the record format of shape.h in place of their ASCII header).
 *
 * The schedule: slot k+1 is due a sampled interval after slot k's deadline, never after the moment
 * slot k was served, so a late wake-up does not push every later slot back (the original's sleep
 * loop drifts by the send time of every record). A caller later than a whole interval loses the
 * slots that passed (counted in missed_slots): sending them at once would be a burst that follows
 * the device's load, which is what shaping hides.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ciot/shape.h"

#define MIN_INTERVAL_S 1e-6 /* a zero interval would make every slot due at once */

struct message {
	struct message *next;
	uint64_t id;
	size_t len, sent;
	uint8_t data[];
};

struct ciot_shaper {
	struct ciot_shape_params p;
	const struct ciot_shape_env *env;
	int64_t deadline;
	struct message *head, *tail;
	uint64_t next_id;
	bool closing, stopped;
	struct ciot_shape_stats stats;
};

/* Copies a distribution, its empirical values too. */
static enum ciot_rc copy_dist(struct ciot_shape_dist *to, const struct ciot_shape_dist *from, char *errbuf)
{
	*to = *from;
	to->values = NULL;
	if (from->kind != CIOT_SHAPE_EMPIRICAL)
		return CIOT_OK;
	if (!from->nvalues)
		return ciot_fail(errbuf, CIOT_ERR_ARG, "an empirical distribution without values");
	if (!(to->values = malloc(from->nvalues * sizeof *to->values)))
		return ciot_fail(errbuf, CIOT_ERR_NOMEM, "out of memory");
	memcpy(to->values, from->values, from->nvalues * sizeof *to->values);
	return CIOT_OK;
}

static int64_t sample_interval_ns(struct ciot_shaper *s)
{
	return (int64_t)llround(ciot_shape_dist_sample(&s->p.interval, s->env) * 1e9);
}

static uint32_t sample_size(struct ciot_shaper *s)
{
	return (uint32_t)llround(ciot_shape_dist_sample(&s->p.size, s->env));
}

enum ciot_rc ciot_shaper_new(struct ciot_shaper **out, const struct ciot_shape_params *p,
			     const struct ciot_shape_env *env, int64_t start_ns, char *errbuf)
{
	*out = NULL;
	struct ciot_shaper *s = calloc(1, sizeof *s);
	if (!s)
		return ciot_fail(errbuf, CIOT_ERR_NOMEM, "out of memory");
	enum ciot_rc rc = copy_dist(&s->p.interval, &p->interval, errbuf);
	if (!rc)
		rc = copy_dist(&s->p.size, &p->size, errbuf);
	if (rc) {
		ciot_shaper_free(s);
		return rc;
	}
	s->p.queue_limit = p->queue_limit;
	s->p.interval.min = fmax(s->p.interval.min, MIN_INTERVAL_S);
	s->p.size.min = fmax(s->p.size.min, CIOT_SHAPE_RECORD_MIN);
	s->p.size.max = fmin(s->p.size.max, CIOT_SHAPE_RECORD_MAX);
	if (s->p.size.min > s->p.size.max || s->p.interval.min > s->p.interval.max) {
		ciot_shaper_free(s);
		return ciot_fail(errbuf, CIOT_ERR_ARG, "the size or interval bounds leave no value");
	}
	s->env = env;
	s->deadline = start_ns + sample_interval_ns(s);
	*out = s;
	return CIOT_OK;
}

void ciot_shaper_free(struct ciot_shaper *s)
{
	if (!s)
		return;
	for (struct message *m = s->head, *next; m; m = next) {
		next = m->next;
		free(m);
	}
	ciot_shape_dist_free(&s->p.interval);
	ciot_shape_dist_free(&s->p.size);
	free(s);
}

enum ciot_rc ciot_shaper_send(struct ciot_shaper *s, const uint8_t *msg, size_t len, char *errbuf)
{
	if (s->closing)
		return ciot_fail(errbuf, CIOT_ERR_ARG, "the link is closing");
	if (len == 0)
		return ciot_fail(errbuf, CIOT_ERR_ARG, "an empty message");
	if (len > s->p.queue_limit - s->stats.queued_bytes || s->stats.queued_bytes > s->p.queue_limit)
		return ciot_fail(errbuf, CIOT_ERR_NOSPACE, "the queue is full (%zu of %zu bytes waiting)",
				 s->stats.queued_bytes, s->p.queue_limit);
	struct message *m = malloc(sizeof *m + len);
	if (!m)
		return ciot_fail(errbuf, CIOT_ERR_NOMEM, "out of memory");
	m->next = NULL;
	m->id = s->next_id++;
	m->len = len;
	m->sent = 0;
	memcpy(m->data, msg, len);
	if (s->tail)
		s->tail->next = m;
	else
		s->head = m;
	s->tail = m;
	s->stats.queued_bytes += len;
	if (s->stats.queued_bytes > s->stats.queue_peak_bytes)
		s->stats.queue_peak_bytes = s->stats.queued_bytes;
	s->stats.messages_sent++;
	return CIOT_OK;
}

int64_t ciot_shaper_deadline(const struct ciot_shaper *s)
{
	return s->stopped ? INT64_MAX : s->deadline;
}

static void put_header(uint8_t *out, uint8_t flags, uint32_t size, uint32_t payload)
{
	out[0] = CIOT_SHAPE_VERSION;
	out[1] = flags;
	out[2] = (uint8_t)(size >> 8);
	out[3] = (uint8_t)size;
	out[4] = (uint8_t)(payload >> 8);
	out[5] = (uint8_t)payload;
}

/* The next fragment of the oldest message into a record of `size` bytes. */
static void data_record(struct ciot_shaper *s, uint8_t *out, uint32_t size, struct ciot_shape_record *rec)
{
	struct message *m = s->head;
	size_t room = size - CIOT_SHAPE_HEADER, left = m->len - m->sent;
	uint32_t take = (uint32_t)(left < room ? left : room);
	bool end = take == left;
	put_header(out, CIOT_SHAPE_FLAG_DATA | (end ? CIOT_SHAPE_FLAG_END : 0), size, take);
	memcpy(out + CIOT_SHAPE_HEADER, m->data + m->sent, take);
	s->env->random_bytes(s->env->ctx, out + CIOT_SHAPE_HEADER + take, room - take);
	m->sent += take;
	s->stats.queued_bytes -= take;
	s->stats.payload_bytes += take;
	rec->payload = take;
	if (end) {
		rec->message_end = true;
		rec->message = m->id;
		s->stats.messages_done++;
		s->head = m->next;
		if (!s->head)
			s->tail = NULL;
		free(m);
	}
}

bool ciot_shaper_slot(struct ciot_shaper *s, int64_t now_ns, uint8_t *out, struct ciot_shape_record *rec)
{
	if (s->stopped || now_ns < s->deadline)
		return false;
	if (s->closing && !s->head) {
		s->stopped = true;
		return false;
	}
	memset(rec, 0, sizeof *rec);
	rec->slot_ns = s->deadline;
	uint32_t size = sample_size(s);
	rec->size = size;
	if (s->head) {
		data_record(s, out, size, rec);
	} else {
		rec->cover = true;
		put_header(out, 0, size, 0);
		s->env->random_bytes(s->env->ctx, out + CIOT_SHAPE_HEADER, size - CIOT_SHAPE_HEADER);
		s->stats.cover_records++;
	}
	s->stats.records++;
	s->stats.record_bytes += size;
	s->deadline += sample_interval_ns(s);
	while (s->deadline <= now_ns) {
		s->stats.missed_slots++;
		s->deadline += sample_interval_ns(s);
	}
	return true;
}

void ciot_shaper_close(struct ciot_shaper *s)
{
	s->closing = true;
}

bool ciot_shaper_stopped(const struct ciot_shaper *s)
{
	return s->stopped;
}

void ciot_shaper_stats(const struct ciot_shaper *s, struct ciot_shape_stats *out)
{
	*out = s->stats;
}
