// MQTT client ids bound to the login: every client id is `${username}:${suffix}` with an unguessable suffix (an
// agent: `${roomId}:${bootId}`, the controller: `controller:${random hex}`). The broker refuses an id whose login part
// is not the connecting login, so one room can neither take over another room's session nor the controller's.

/** The client id a login connects with; `suffix` must be random enough that nobody else can guess it. */
export function clientIdOf(username: string, suffix: string): string {
  return `${username}:${suffix}`;
}

/** The login a client id belongs to (the part before the first ':'), or null when it names none. */
export function loginOfClientId(clientId: string): string | null {
  const colon = clientId.indexOf(":");
  return colon < 0 ? null : clientId.slice(0, colon);
}
