/*
 * Mosquitto 2 plugin: a client id belongs to its login (DESIGN §3.1). Every client id must be "login:suffix", where
 * login is the CONNECT username; any other is refused before the password is even checked. Mosquitto takes a
 * session over only after a login succeeds, so no room can kick another room's agent or the controller off with
 * their client id. The password file and the ACL decide everything else: this plugin only defers to them.
 * The same rule as the embedded broker's (protocol/src/client-ids.ts). Built by scripts/setup.sh:
 *   cc -shared -fPIC -O2 -o client-id-plugin.so client-id-plugin.c      (Debian: mosquitto-dev, libmosquitto-dev)
 */
#include <string.h>

#include <mosquitto.h>
#include <mosquitto_broker.h>
#include <mosquitto_plugin.h>

static mosquitto_plugin_id_t *plugin;

static int client_id_of_login(int event, void *event_data, void *userdata)
{
	(void)event;
	(void)userdata;
	const struct mosquitto_evt_basic_auth *login = event_data;
	const char *client_id = mosquitto_client_id(login->client);
	if (login->username == NULL || client_id == NULL) return MOSQ_ERR_AUTH;
	size_t length = strlen(login->username);
	if (strncmp(client_id, login->username, length) != 0 || client_id[length] != ':') {
		mosquitto_log_printf(MOSQ_LOG_WARNING, "client id of another login refused (login %s)", login->username);
		return MOSQ_ERR_AUTH;
	}
	return MOSQ_ERR_PLUGIN_DEFER;
}

int mosquitto_plugin_version(int supported_version_count, const int *supported_versions)
{
	for (int i = 0; i < supported_version_count; i++) {
		if (supported_versions[i] == 5) return 5;
	}
	return -1;
}

int mosquitto_plugin_init(mosquitto_plugin_id_t *identifier, void **userdata, struct mosquitto_opt *options,
		int option_count)
{
	(void)userdata;
	(void)options;
	(void)option_count;
	plugin = identifier;
	return mosquitto_callback_register(plugin, MOSQ_EVT_BASIC_AUTH, client_id_of_login, NULL, NULL);
}

int mosquitto_plugin_cleanup(void *userdata, struct mosquitto_opt *options, int option_count)
{
	(void)userdata;
	(void)options;
	(void)option_count;
	return mosquitto_callback_unregister(plugin, MOSQ_EVT_BASIC_AUTH, client_id_of_login, NULL);
}
