/*
 * Fuzz the control-message decoder the way a server and a client meet it:
 * header, direction and state check, then the body, given in a buffer of
 * exactly the announced length. Whatever decodes must encode again to the
 * same length and decode to the same message.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "../../shared/buf.c"
#include "../../shared/ctl.c"

static volatile uint64_t sink;

static void
reencode(const struct ctl_msg *m, uint16_t len)
{
	uint8_t a[CTL_MAX_MSG], b[CTL_MAX_MSG];
	struct ctl_msg m2;
	struct ctl_hdr h;
	int n, n2;

	n = ctl_encode(m, a, sizeof(a));
	if (n != CTL_HDR_LEN + len)
		abort();	/* a decoded message must encode to its length */
	if (ctl_hdr_decode(a, (size_t)n, &h) != 0 ||
	    ctl_decode(&h, a + CTL_HDR_LEN, &m2) != 0)
		abort();	/* what we encode, we decode */
	n2 = ctl_encode(&m2, b, sizeof(b));
	if (n2 != n || memcmp(a, b, (size_t)n) != 0)
		abort();	/* and it is the same message */
	sink += (uint64_t)n;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ctl_hdr h;
	struct ctl_msg m;
	uint8_t *body;
	int r;

	r = ctl_hdr_decode(data, size, &h);
	sink += (uint64_t)-r;
	if (r != 0)
		return 0;
	sink += (uint64_t)-ctl_check(&h, CTL_FROM_CLIENT, CTL_ST_HELLO);
	sink += (uint64_t)-ctl_check(&h, CTL_FROM_CLIENT, CTL_ST_READY);
	sink += (uint64_t)-ctl_check(&h, CTL_FROM_SERVER, CTL_ST_HELLO);
	sink += (uint64_t)-ctl_check(&h, CTL_FROM_SERVER, CTL_ST_READY);
	if (size - CTL_HDR_LEN < h.len)
		return 0;
	if ((body = malloc(h.len > 0 ? h.len : 1)) == NULL)
		return 0;
	memcpy(body, data + CTL_HDR_LEN, h.len);
	r = ctl_decode(&h, body, &m);
	free(body);
	sink += (uint64_t)-r;
	if (r != 0)
		return 0;
	sink += m.type;
	if (m.type == CTL_ERROR) {
		size_t i;

		for (i = 0; m.u.error.text[i] != '\0'; i++)
			if (m.u.error.text[i] < 0x20 || m.u.error.text[i] > 0x7e)
				abort();	/* the text reaches log lines */
		if (i != (size_t)h.len - 4)
			abort();	/* every text octet kept, as '?' if need be */
	}
	reencode(&m, h.len);
	return 0;
}
