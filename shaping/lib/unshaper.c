/* unshaper.c: the receiving side of ciot/shape.h: a byte stream with any read boundaries in,
 * whole messages out, cover dropped.
 *
 * The original receiver took one recv(1024) for one record, so records that TCP merged or split
 * were lost or misread. Here a record is complete only when its header's length has arrived: its
 * bytes are gathered in a buffer of one record at most, and a message's fragments are gathered
 * until the fragment marked END, bounded by max_message. Anything that breaks the format is an
 * error: a stream has no way to find the next record boundary again.
 */
#include <stdlib.h>
#include <string.h>

#include "ciot/cursor.h"
#include "ciot/shape.h"

struct done {
	struct done *next;
	size_t len;
	uint8_t data[];
};

struct ciot_unshaper {
	size_t max_message;
	uint8_t record[CIOT_SHAPE_RECORD_MAX];
	size_t have;              /* bytes of the current record gathered */
	uint8_t *message;         /* the message being put together */
	size_t message_len, message_cap;
	struct done *head, *tail; /* whole messages not yet taken */
	struct done *taken;       /* the one ciot_unshaper_next handed out last */
	bool failed;
	struct ciot_unshape_stats stats;
};

enum ciot_rc ciot_unshaper_new(struct ciot_unshaper **out, size_t max_message, char *errbuf)
{
	*out = calloc(1, sizeof **out);
	if (!*out)
		return ciot_fail(errbuf, CIOT_ERR_NOMEM, "out of memory");
	(*out)->max_message = max_message;
	return CIOT_OK;
}

void ciot_unshaper_free(struct ciot_unshaper *u)
{
	if (!u)
		return;
	for (struct done *d = u->head, *next; d; d = next) {
		next = d->next;
		free(d);
	}
	free(u->taken);
	free(u->message);
	free(u);
}

struct header {
	uint8_t version, flags;
	uint16_t size, payload;
};

static bool read_header(const uint8_t *p, size_t n, struct header *h)
{
	struct ciot_cursor c = ciot_cursor_make(p, n);
	h->version = ciot_cursor_u8(&c);
	h->flags = ciot_cursor_u8(&c);
	h->size = ciot_cursor_be16(&c);
	h->payload = ciot_cursor_be16(&c);
	return !c.err;
}

static enum ciot_rc check_header(const struct header *h, char *errbuf)
{
	bool data = h->flags & CIOT_SHAPE_FLAG_DATA;
	if (h->version != CIOT_SHAPE_VERSION)
		return ciot_fail(errbuf, CIOT_ERR_FORMAT, "record version %u, not %u", h->version, CIOT_SHAPE_VERSION);
	if (h->flags & ~(CIOT_SHAPE_FLAG_DATA | CIOT_SHAPE_FLAG_END))
		return ciot_fail(errbuf, CIOT_ERR_FORMAT, "unknown record flags 0x%02x", h->flags);
	if (h->size < CIOT_SHAPE_HEADER || h->size > CIOT_SHAPE_RECORD_MAX)
		return ciot_fail(errbuf, CIOT_ERR_FORMAT, "a record of %u bytes", h->size);
	if (h->payload > h->size - CIOT_SHAPE_HEADER)
		return ciot_fail(errbuf, CIOT_ERR_FORMAT, "a payload of %u bytes in a record of %u", h->payload, h->size);
	if (data ? h->payload == 0 : h->payload != 0 || (h->flags & CIOT_SHAPE_FLAG_END))
		return ciot_fail(errbuf, CIOT_ERR_FORMAT, "a %s record with %u payload bytes", data ? "data" : "cover",
				 h->payload);
	return CIOT_OK;
}

/* A whole record: its fragment added to the message, the message finished at END. */
static enum ciot_rc take_record(struct ciot_unshaper *u, const struct header *h, const uint8_t *payload,
				char *errbuf)
{
	u->stats.records++;
	if (!(h->flags & CIOT_SHAPE_FLAG_DATA)) {
		u->stats.cover_records++;
		return CIOT_OK;
	}
	if (h->payload > u->max_message - u->message_len)
		return ciot_fail(errbuf, CIOT_ERR_FORMAT, "a message longer than %zu bytes", u->max_message);
	if (u->message_len + h->payload > u->message_cap) {
		size_t cap = u->message_cap ? u->message_cap : 4096;
		while (cap < u->message_len + h->payload)
			cap *= 2;
		uint8_t *grown = realloc(u->message, cap);
		if (!grown)
			return ciot_fail(errbuf, CIOT_ERR_NOMEM, "out of memory");
		u->message = grown;
		u->message_cap = cap;
	}
	memcpy(u->message + u->message_len, payload, h->payload);
	u->message_len += h->payload;
	if (!(h->flags & CIOT_SHAPE_FLAG_END))
		return CIOT_OK;
	struct done *d = malloc(sizeof *d + u->message_len);
	if (!d)
		return ciot_fail(errbuf, CIOT_ERR_NOMEM, "out of memory");
	d->next = NULL;
	d->len = u->message_len;
	memcpy(d->data, u->message, u->message_len);
	if (u->tail)
		u->tail->next = d;
	else
		u->head = d;
	u->tail = d;
	u->message_len = 0;
	u->stats.messages++;
	return CIOT_OK;
}

enum ciot_rc ciot_unshaper_feed(struct ciot_unshaper *u, const uint8_t *p, size_t n, char *errbuf)
{
	if (u->failed)
		return ciot_fail(errbuf, CIOT_ERR_FORMAT, "the stream broke the record format earlier");
	u->stats.bytes += n;
	while (n > 0) {
		/* the header first (its length says how much more), then the rest of the record */
		size_t want = CIOT_SHAPE_HEADER;
		struct header h;
		if (u->have >= CIOT_SHAPE_HEADER) {
			read_header(u->record, u->have, &h);
			want = h.size;
		}
		size_t k = want - u->have < n ? want - u->have : n;
		memcpy(u->record + u->have, p, k);
		u->have += k;
		p += k;
		n -= k;
		if (u->have < want)
			break;
		enum ciot_rc rc = CIOT_OK;
		if (want == CIOT_SHAPE_HEADER) {
			read_header(u->record, u->have, &h);
			rc = check_header(&h, errbuf);
			if (!rc && h.size > CIOT_SHAPE_HEADER)
				continue;
		}
		if (!rc)
			rc = take_record(u, &h, u->record + CIOT_SHAPE_HEADER, errbuf);
		if (rc) {
			u->failed = true;
			return rc;
		}
		u->have = 0;
	}
	return CIOT_OK;
}

enum ciot_rc ciot_unshaper_end(const struct ciot_unshaper *u, char *errbuf)
{
	if (u->failed)
		return ciot_fail(errbuf, CIOT_ERR_FORMAT, "the stream broke the record format earlier");
	if (u->have && u->have < CIOT_SHAPE_HEADER)
		return ciot_fail(errbuf, CIOT_ERR_FORMAT, "the stream ended inside a record header (%zu of %d bytes)",
				 u->have, CIOT_SHAPE_HEADER);
	if (u->have) {
		struct header h;
		read_header(u->record, u->have, &h);
		return ciot_fail(errbuf, CIOT_ERR_FORMAT, "the stream ended inside a record (%zu bytes missing)",
				 (size_t)h.size - u->have);
	}
	if (u->message_len)
		return ciot_fail(errbuf, CIOT_ERR_FORMAT, "the stream ended inside a message (its last fragment never came)");
	return CIOT_OK;
}

bool ciot_unshaper_next(struct ciot_unshaper *u, const uint8_t **msg, size_t *len)
{
	free(u->taken);
	u->taken = u->head;
	if (!u->taken)
		return false;
	u->head = u->taken->next;
	if (!u->head)
		u->tail = NULL;
	*msg = u->taken->data;
	*len = u->taken->len;
	return true;
}

void ciot_unshaper_stats(const struct ciot_unshaper *u, struct ciot_unshape_stats *out)
{
	*out = u->stats;
}
