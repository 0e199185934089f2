// A real Mosquitto 2 (Debian's) as a site runs it, for integration tests: the password and ACL files the controller
// writes (`controller mosquitto write`, mosquitto-files.ts) and the client-id plugin, on a loopback port.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { MOSQUITTO_ACL_FILE, MOSQUITTO_PASSWORD_FILE } from "@rc/controller";
import { type ManagedProcess, REPO, start } from "./processes.ts";

/** Built from controller/mosquitto/client-id-plugin.c by scripts/setup.sh. */
export const CLIENT_ID_PLUGIN = join(REPO, "node_modules/.cache/mosquitto/client-id-plugin.so");

/** Writes DIR/mosquitto.conf (reading DIR/passwd and DIR/acl) and starts Mosquitto on it; stop it with SIGKILL. */
export async function startMosquitto(dir: string, port: number): Promise<ManagedProcess> {
  const conf = join(dir, "mosquitto.conf");
  writeFileSync(
    conf,
    [
      `listener ${port} 127.0.0.1`,
      // Started as root, Mosquitto would drop to the "mosquitto" user, who cannot read this private test folder.
      "user root",
      "allow_anonymous false",
      `password_file ${join(dir, MOSQUITTO_PASSWORD_FILE)}`,
      `acl_file ${join(dir, MOSQUITTO_ACL_FILE)}`,
      `plugin ${CLIENT_ID_PLUGIN}`,
      "persistence false",
      "log_dest stderr", // unbuffered, unlike stdout into a pipe
      "log_type error",
      "log_type warning",
      "log_type notice",
      "log_type information",
      "",
    ].join("\n"),
  );
  return launchMosquitto(conf);
}

/** Starts Mosquitto on a configuration already written (again after a kill). */
export async function launchMosquitto(conf: string): Promise<ManagedProcess> {
  const mosquitto = start("mosquitto", "mosquitto", ["-c", conf], {}, true);
  await mosquitto.waitForLine(/running|Opening ipv4 listen socket/);
  return mosquitto;
}
