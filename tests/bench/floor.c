/* floor.c: the benchmark's floor. Reads every packet of a capture with libpcap and touches every
 * captured byte (a checksum over them), and does nothing else: no program that reads the capture
 * can be faster. scripts/bench.sh times it beside ciot-analyze and ndpiReader and quotes ciot's
 * wall time as a multiple of it.
 *
 * usage: ciot-bench-floor CAPTURE   prints "PACKETS BYTES CHECKSUM"; exit 1 when libpcap cannot
 * read the file.
 */
#include <inttypes.h>
#include <pcap/pcap.h>
#include <stdint.h>
#include <stdio.h>

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: ciot-bench-floor CAPTURE\n");
		return 2;
	}
	char err[PCAP_ERRBUF_SIZE];
	pcap_t *p = pcap_open_offline(argv[1], err);
	if (!p) {
		fprintf(stderr, "ciot-bench-floor: %s\n", err);
		return 1;
	}
	struct pcap_pkthdr *h;
	const unsigned char *data;
	uint64_t packets = 0, bytes = 0, sum = 0;
	int rc;
	while ((rc = pcap_next_ex(p, &h, &data)) == 1) {
		packets++;
		bytes += h->caplen;
		for (uint32_t i = 0; i < h->caplen; i++)
			sum += data[i];
	}
	if (rc == PCAP_ERROR) {
		fprintf(stderr, "ciot-bench-floor: %s: %s\n", argv[1], pcap_geterr(p));
		pcap_close(p);
		return 1;
	}
	pcap_close(p);
	printf("%" PRIu64 " %" PRIu64 " %" PRIu64 "\n", packets, bytes, sum);
	return 0;
}
