// TLS to the broker as a site installs it, with real parts: `controller tls init` makes the site's CA and the
// broker's certificate, a real Mosquitto runs on the site's own configuration (controller/mosquitto/mosquitto.conf,
// its paths moved into a test folder) with the password and ACL files the controller writes, and a real room agent
// given `--ca` logs in over mqtts:// — while the same agent given another site's CA refuses the broker (it verifies
// the server, it does not just encrypt).
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { controllerCredentials, registerRoom, Store, writeMosquittoFiles } from "@rc/controller";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CLIENT_ID_PLUGIN, launchMosquitto } from "./support/mosquitto.ts";
import { freePort, type ManagedProcess, REPO, startTs, stopAll } from "./support/processes.ts";

const ROOM = "xa-tls";

function tlsInit(dir: string, hosts: string[]) {
  return spawnSync(
    process.execPath,
    ["--import", "tsx", "controller/src/cli.ts", "tls", "init", "--dir", dir, ...hosts.flatMap((h) => ["--host", h])],
    { cwd: REPO, encoding: "utf8", timeout: 30_000 },
  );
}

/** The site's Mosquitto configuration with its paths moved into `dir`; each one must be there to be moved. */
function siteConfiguration(dir: string, tlsPort: number, plainPort: number): string {
  let conf = readFileSync(join(REPO, "controller/mosquitto/mosquitto.conf"), "utf8");
  const moves: [string, string][] = [
    ["/etc/mosquitto/room-controller/", `${join(dir, "mosquitto")}/`],
    ["/etc/room-controller/tls/", `${join(dir, "site")}/`],
    ["/usr/local/lib/mosquitto/client-id-plugin.so", CLIENT_ID_PLUGIN],
    ["\nlistener 8883\n", `\nlistener ${tlsPort} 127.0.0.1\n`],
    ["\nlistener 1883 127.0.0.1\n", `\nlistener ${plainPort} 127.0.0.1\n`],
    ["\npersistence true\n", "\npersistence false\n"],
  ];
  for (const [from, to] of moves) {
    expect(conf, `the site's mosquitto.conf has ${from.trim()}`).toContain(from);
    conf = conf.replaceAll(from, to);
  }
  // Started as root, Mosquitto would drop to the "mosquitto" user, who cannot read this private test folder.
  return `user root\nlog_dest stderr\nlog_type all\n${conf}`;
}

describe("mqtts:// with the site's own CA, on the site's Mosquitto configuration", () => {
  const dir = mkdtempSync(join(tmpdir(), "rc-tls-"));
  let mosquitto: ManagedProcess;
  let port = 0;

  beforeAll(async () => {
    expect(tlsInit(join(dir, "site"), ["localhost", "127.0.0.1"]).status).toBe(0);
    expect(tlsInit(join(dir, "other-site"), ["localhost"]).status).toBe(0);
    const store = new Store(join(dir, "controller"));
    await store.open();
    const { password } = await registerRoom(store, { id: ROOM, name: "Phòng thử TLS", level: "commune", parent: null });
    writeFileSync(join(dir, "credentials.json"), JSON.stringify({ username: ROOM, password }));
    mkdirSync(join(dir, "mosquitto"));
    await writeMosquittoFiles(store, join(dir, "mosquitto"), await controllerCredentials(store));
    port = await freePort();
    writeFileSync(join(dir, "mosquitto.conf"), siteConfiguration(dir, port, await freePort()));
    mosquitto = await launchMosquitto(join(dir, "mosquitto.conf"));
    writeFileSync(
      join(dir, "room.json"),
      JSON.stringify({
        version: 1,
        id: ROOM,
        name: "Phòng thử TLS",
        level: "commune",
        parent: null,
        devices: [{ id: "thu", kind: "test", enabled: false, connection: { port: 9 } }],
        seats: [],
      }),
    );
  }, 60_000);
  afterAll(async () => {
    await stopAll();
    await mosquitto?.stop("SIGKILL");
    rmSync(dir, { recursive: true, force: true });
  });

  const agent = (ca: string, data: string) =>
    startTs(`agent ${data}`, "room-agent/src/cli.ts", [
      "--room",
      join(dir, "room.json"),
      "--broker",
      `mqtts://localhost:${port}`,
      "--credentials",
      join(dir, "credentials.json"),
      "--ca",
      ca,
      "--data",
      join(dir, data),
    ]);

  it("an agent given the site's CA logs in over TLS", async () => {
    const connected = agent(join(dir, "site", "ca.crt"), "agent-site");
    await connected.waitForLine(/"msg":"connected to the broker"/, 30_000);
    await connected.stop();
  });

  it("an agent given another CA refuses the broker's certificate and never connects", async () => {
    const refused = agent(join(dir, "other-site", "ca.crt"), "agent-other");
    const line = await refused.waitForLine(/"msg":"broker connection error"/, 30_000);
    expect(line).toMatch(/certificate/);
    expect(refused.count(/connected to the broker/)).toBe(0);
    await refused.stop();
  });

  it("tls init refuses a folder that already holds a CA, and leaves it as it was", () => {
    const before = readFileSync(join(dir, "site", "ca.key"), "utf8");
    const again = tlsInit(join(dir, "site"), ["localhost"]);
    expect(again.status).toBe(1);
    expect(again.stderr).toMatch(/already holds a CA/);
    expect(readFileSync(join(dir, "site", "ca.key"), "utf8")).toBe(before);
  });
});
