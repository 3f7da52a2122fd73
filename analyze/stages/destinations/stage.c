/* stage.c: the destinations stage in the registry: its table and view, created with every
 * database so that reports can join on them before the stage ran (destinations.h runs it), and its
 * options, which change the struct ciot_destination_options the tool opens it with. */
#include "ciot/dataset.h"
#include "destinations.h"
#include "registry.h"

static enum ciot_rc set_geo_dir(void *settings, const char *value, char *errbuf)
{
	(void)errbuf;
	((struct ciot_destination_options *)settings)->geo_dir = value;
	return CIOT_OK;
}

static enum ciot_rc set_rules_dir(void *settings, const char *value, char *errbuf)
{
	(void)errbuf;
	((struct ciot_destination_options *)settings)->rules_dir = value;
	return CIOT_OK;
}

static enum ciot_rc set_public_services(void *settings, const char *value, char *errbuf)
{
	if (!ciot_public_convention_parse(value, &((struct ciot_destination_options *)settings)->convention))
		return ciot_fail(errbuf, CIOT_ERR_ARG, "--public-services must be third, support or org");
	return CIOT_OK;
}

static enum ciot_rc add_lab_host(void *settings, const char *value, char *errbuf)
{
	struct ciot_destination_options *o = settings;
	if (!ciot_dataset_valid_lab_host(value))
		return ciot_fail(errbuf, CIOT_ERR_ARG, "--lab-host \"%.64s\": an IP address, ADDRESS/PREFIX or a host name",
				 value);
	if (o->nlab_hosts == CIOT_DESTINATION_MAX_LAB_HOSTS)
		return ciot_fail(errbuf, CIOT_ERR_ARG, "at most %d --lab-host", CIOT_DESTINATION_MAX_LAB_HOSTS);
	o->lab_hosts[o->nlab_hosts++] = value;
	return CIOT_OK;
}

static const struct ciot_option options[] = {
	{ "geo-dir", 0, "DIR",
	  "geolocation and AS data (default: $CIOT_GEO_DIR, else the checkout's\n"
	  "datasets/geo, which make setup fills)",
	  set_geo_dir },
	{ "rules-dir", 0, "DIR",
	  "organization and party rules (default: $CIOT_RULES_DIR, else the\n"
	  "checkout's datasets/attribution)",
	  set_rules_dir },
	{ "public-services", 0, "third|support|org",
	  "how public DNS resolvers and NTP pools count: third party (default, as\n"
	  "the lifecycle paper), support party, or by their organization like any\n"
	  "other server",
	  set_public_services },
	{ "lab-host", 0, "HOST",
	  "one of the lab's own hosts (resolver, gateway, NTP server): an address,\n"
	  "ADDRESS/PREFIX or a host name (and the names below it); repeatable, with\n"
	  "the manifest's lab_hosts. Never a party, organization or overseas traffic",
	  add_lab_host },
	{ NULL, 0, NULL, NULL, NULL },
};

const struct ciot_stage ciot_stage_destinations = {
	.name = "destinations",
	.options_title = "Destinations (names, countries, organizations, parties; docs/destinations.md)",
	.options = options,
	.schema =
	"CREATE TABLE IF NOT EXISTS destinations (\n"
	"  flow_id INTEGER PRIMARY KEY REFERENCES flows(id) ON DELETE CASCADE,\n"
	"  name TEXT,\n"
	"  name_source TEXT CHECK (name_source = 'sni' OR name_source = 'quic' OR name_source = 'http'\n"
	"    OR name_source = 'dns' OR name_source = 'dns-later'),\n"
	"  dns_name TEXT,\n"
	"  domain TEXT,\n"
	"  country TEXT NOT NULL,\n"
	"  asn INTEGER,\n"
	"  as_org TEXT,\n"
	"  organization TEXT,\n"
	"  party TEXT\n"
	"    CHECK (party = 'first' OR party = 'support' OR party = 'third' OR party = 'local' OR party = 'lab'),\n"
	"  party_rule TEXT,\n"
	"  decision TEXT CHECK (decision IN ('rule', 'evidence', 'default', 'lab', 'local')),\n"
	"  evidence TEXT);\n"
	"CREATE TABLE IF NOT EXISTS attribution_coverage (\n"
	"  device_id INTEGER PRIMARY KEY REFERENCES devices(id) ON DELETE CASCADE,\n"
	"  servers INTEGER NOT NULL,\n"
	"  by_rule INTEGER NOT NULL,\n"
	"  by_evidence INTEGER NOT NULL,\n"
	"  by_default INTEGER NOT NULL,\n"
	"  lab_hosts INTEGER NOT NULL,\n"
	"  brand_warning TEXT);\n"
	"CREATE VIEW IF NOT EXISTS destination_view AS\n"
	"  SELECT f.id AS flow_id, d.id AS device_id, d.name AS device, d.category AS category, c.phase AS phase,\n"
	"         c.subphase AS subphase, c.firmware AS firmware, f.remote_ip AS remote_ip,\n"
	"         f.remote_port AS remote_port, f.transport AS transport, f.app_proto AS app_proto,\n"
	"         f.first_us AS first_us, f.bytes_out + f.bytes_in AS bytes,\n"
	"         f.packets_out + f.packets_in AS packets, t.*\n"
	"  FROM flows f JOIN destinations t ON t.flow_id = f.id JOIN captures c ON c.id = f.capture_id\n"
	"  JOIN devices d ON d.id = c.device_id;\n",
};
