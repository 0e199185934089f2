// The controller's CLI as an integrator runs it on a site: rooms registered once (again only on purpose, with
// rotate-password), Mosquitto's password and ACL files written by the controller and used by a real Mosquitto 2
// (Debian's, with the client-id plugin), -h/--help, --version and every flag as an environment variable.
import { execFileSync } from "node:child_process";
import { once } from "node:events";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { renderMosquittoAcl, Store } from "@rc/controller";
import { clientIdOf } from "@rc/protocol";
import mqtt, { type MqttClient } from "mqtt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startMosquitto } from "./support/mosquitto.ts";
import { freePort, type ManagedProcess, REPO, startTs } from "./support/processes.ts";
import { waitFor } from "./support/wait-for.ts";

/** Runs `controller ARGS…` to its end (its output read whole: "close" comes after its streams ended). */
async function controller(args: string[], env: Record<string, string> = {}) {
  const run = startTs("controller CLI", "controller/src/cli.ts", args, env);
  if (run.child.exitCode === null) await once(run.child, "close");
  return { code: run.child.exitCode, output: run.lines.join("\n") };
}

// Each CLI run starts node with tsx: seconds on a loaded machine, several of them in a test.
const CLI_TESTS = { timeout: 180_000 };

const passwordIn = (output: string, room: string) =>
  new RegExp(`agent username: ${room} password: (\\S+)`).exec(output)?.[1] ?? "";

describe("controller rooms and Mosquitto's files, with a real Mosquitto", CLI_TESTS, () => {
  const dir = mkdtempSync(join(tmpdir(), "rc-controller-cli-"));
  const data = join(dir, "data");
  const mosquittoDir = join(dir, "mosquitto");
  const passwords = new Map<string, string>();
  let controllerPassword: string;
  let mosquitto: ManagedProcess;
  let url: string;
  const clients: MqttClient[] = [];

  beforeAll(async () => {
    mkdirSync(mosquittoDir, { mode: 0o700 });
    // Each room added with --mosquitto-dir: Mosquitto's files follow every change of rooms.
    for (const room of ["xa-a", "xa-b"]) {
      const add = await controller([
        "rooms",
        "add",
        room,
        "--name",
        `Xã ${room}`,
        "--level",
        "commune",
        "--data",
        data,
        "--mosquitto-dir",
        mosquittoDir,
      ]);
      expect(add.code, add.output).toBe(0);
      expect(add.output).toContain(`Mosquitto's files written: ${join(mosquittoDir, "passwd")}`);
      passwords.set(room, passwordIn(add.output, room));
    }
    controllerPassword = JSON.parse(readFileSync(join(data, "controller-credentials.json"), "utf8")).password;
    const port = await freePort();
    url = `mqtt://127.0.0.1:${port}`;
    mosquitto = await startMosquitto(mosquittoDir, port);
  }, CLI_TESTS.timeout);
  afterAll(async () => {
    for (const client of clients) await client.endAsync(true);
    await mosquitto?.stop("SIGKILL");
    rmSync(dir, { recursive: true, force: true });
  });

  const login = (username: string, password: string, clientId = clientIdOf(username, "test")) =>
    mqtt.connectAsync(url, { protocolVersion: 4, username, password, clientId, reconnectPeriod: 0 }).then((client) => {
      clients.push(client);
      return client;
    });
  /** "accepted", or the CONNACK's refusal code. */
  const attempt = (username: string, password: string, clientId?: string) =>
    login(username, password, clientId).then(
      (client) => client.endAsync(true).then(() => "accepted"),
      (error: { code?: number }) => error.code,
    );
  /** SIGHUP: Mosquitto reads its password and ACL files again. */
  const reloadMosquitto = async () => {
    const reloads = mosquitto.count(/Reloading config/);
    mosquitto.signal("SIGHUP");
    await waitFor("Mosquitto's reload", () => mosquitto.count(/Reloading config/) > reloads);
  };

  it("writes the password file as mosquitto_passwd does ($7$, PBKDF2-SHA512) and the ACL, owner-only, no temporary left", () => {
    expect(readdirSync(mosquittoDir).sort()).toEqual(["acl", "mosquitto.conf", "passwd"]);
    for (const file of ["passwd", "acl"]) expect(statSync(join(mosquittoDir, file)).mode & 0o777).toBe(0o600);
    const lines = readFileSync(join(mosquittoDir, "passwd"), "utf8").trimEnd().split("\n");
    expect(lines.map((line) => line.split(":")[0])).toEqual(["controller", "xa-a", "xa-b"]);
    // Debian's own tool, for the shape of a line: the same scheme, rounds, salt and hash lengths.
    const reference = join(dir, "reference.passwd");
    execFileSync("mosquitto_passwd", ["-c", "-b", reference, "xa-a", "any-password"]);
    const shape = (line: string) => {
      const [, scheme, rounds, salt, hash] = line.split(":")[1]!.split("$");
      return [scheme, rounds, Buffer.from(salt!, "base64").length, Buffer.from(hash!, "base64").length];
    };
    const expected = shape(readFileSync(reference, "utf8").trim());
    for (const line of lines) expect(shape(line)).toEqual(expected);
    expect(readFileSync(join(mosquittoDir, "acl"), "utf8")).toBe(renderMosquittoAcl());
    expect(renderMosquittoAcl()).toBe(readFileSync(join(REPO, "controller/mosquitto/acl"), "utf8"));
  });

  it("a room logs in with its password and is refused with a wrong one or another room's", async () => {
    expect(await attempt("xa-a", passwords.get("xa-a")!)).toBe("accepted");
    expect(await attempt("controller", controllerPassword)).toBe("accepted");
    expect(await attempt("xa-a", "wrong-password")).toBe(5);
    expect(await attempt("xa-a", passwords.get("xa-b")!)).toBe(5);
    expect(await attempt("xa-c", passwords.get("xa-a")!)).toBe(5);
  });

  it("a room connects only with client ids prefixed by its room id", async () => {
    const password = passwords.get("xa-a")!;
    expect(await attempt("xa-a", password, clientIdOf("xa-b", "agent"))).toBe(5);
    expect(await attempt("xa-a", password, "xa-a")).toBe(5);
    expect(await attempt("xa-a", password, clientIdOf("controller", "x"))).toBe(5);
    expect(await attempt("xa-a", password, clientIdOf("xa-a", "agent"))).toBe("accepted");
  });

  it("the ACL keeps a room to its own topics", async () => {
    const watcher = await login("controller", controllerPassword);
    const seenByController: string[] = [];
    watcher.on("message", (topic, payload) => seenByController.push(`${topic} ${payload}`));
    await watcher.subscribeAsync("rc/v1/#", { qos: 1 });
    const room = await login("xa-a", passwords.get("xa-a")!);
    const seenByRoom: string[] = [];
    room.on("message", (topic, payload) => seenByRoom.push(`${topic} ${payload}`));
    // Mosquitto grants any subscription and checks the ACL on every message it would deliver.
    await room.subscribeAsync(["rc/v1/rooms/xa-a/desired", "rc/v1/rooms/xa-b/desired", "rc/v1/#"], { qos: 1 });
    // Another room's and a controller→agent topic are dropped; each message's own is sent last, once the others
    // had their turn.
    await room.publishAsync("rc/v1/rooms/xa-b/state", "forged", { qos: 1 });
    await room.publishAsync("rc/v1/rooms/xa-a/desired", "forged", { qos: 1 });
    await room.publishAsync("rc/v1/rooms/xa-a/state", "own", { qos: 1 });
    await watcher.publishAsync("rc/v1/rooms/xa-b/desired", "not yours", { qos: 1 });
    await watcher.publishAsync("rc/v1/rooms/xa-a/desired", "yours", { qos: 1 });
    await waitFor("the room's own state", () => seenByController.includes("rc/v1/rooms/xa-a/state own"));
    await waitFor("the room's own desired", () => seenByRoom.includes("rc/v1/rooms/xa-a/desired yours"));
    expect(seenByController).toEqual([
      "rc/v1/rooms/xa-a/state own",
      "rc/v1/rooms/xa-b/desired not yours",
      "rc/v1/rooms/xa-a/desired yours",
    ]);
    // Delivered in the order published: what was not for the room would have come before (once per matching
    // subscription, as Mosquitto may send an overlap).
    expect(new Set(seenByRoom)).toEqual(new Set(["rc/v1/rooms/xa-a/desired yours"]));
  });

  it("a room added twice is refused, exit non-zero, and its agent's password still logs in", async () => {
    const store = new Store(data);
    await store.open();
    const credential = store.data.credentials["xa-a"];
    const fileBefore = readFileSync(join(mosquittoDir, "passwd"), "utf8");
    const again = await controller([
      "rooms",
      "add",
      "xa-a",
      "--name",
      "Xã A again",
      "--level",
      "district",
      "--data",
      data,
      "--mosquitto-dir",
      mosquittoDir,
    ]);
    expect(again.code).not.toBe(0);
    expect(again.output).toContain(
      `room "xa-a" is already registered; its agent's password is unchanged (\`controller rooms rotate-password xa-a\``,
    );
    expect(again.output).not.toMatch(/password: \S/);
    await store.reload();
    expect(store.data.credentials["xa-a"]).toEqual(credential);
    expect(store.data.rooms["xa-a"]).toMatchObject({ name: "Xã xa-a", level: "commune" });
    expect(readFileSync(join(mosquittoDir, "passwd"), "utf8")).toBe(fileBefore);
    await reloadMosquitto();
    expect(await attempt("xa-a", passwords.get("xa-a")!)).toBe("accepted");
  });

  it("rotate-password: a new password that logs in after Mosquitto's reload, the old one refused, and how to update the agent", async () => {
    // The folder from the environment this time (RC_CONTROLLER_MOSQUITTO_DIR), as a site's unit would set it.
    const rotate = await controller(["rooms", "rotate-password", "xa-a", "--data", data], {
      RC_CONTROLLER_MOSQUITTO_DIR: mosquittoDir,
    });
    expect(rotate.code, rotate.output).toBe(0);
    const password = passwordIn(rotate.output, "xa-a");
    expect(password).toMatch(/^\S{20,}$/);
    expect(rotate.output).toMatch(/Update the room's agent: .*--credentials FILE.*RC_AGENT_PASSWORD.*restart it/);
    await reloadMosquitto();
    expect(await attempt("xa-a", password)).toBe("accepted");
    expect(await attempt("xa-a", passwords.get("xa-a")!)).toBe(5);
    expect(await attempt("xa-b", passwords.get("xa-b")!)).toBe("accepted");
    expect(await controller(["rooms", "rotate-password", "xa-z", "--data", data])).toMatchObject({
      code: 2,
      output: expect.stringContaining('no room "xa-z"'),
    });
  });

  it("a login kept without Mosquitto's hash (issued before) is named, and so is a missing store; nothing is written", async () => {
    const store = new Store(data);
    await store.open();
    await store.update((stored) => {
      delete stored.credentials["xa-b"]!.mosquitto;
    });
    const elsewhere = join(dir, "elsewhere");
    mkdirSync(elsewhere);
    const write = await controller(["mosquitto", "write", "--dir", elsewhere, "--data", data]);
    expect(write.code).toBe(1);
    expect(write.output).toContain("no Mosquitto password kept for xa-b");
    expect(write.output).toContain("controller rooms rotate-password ID");
    expect(readdirSync(elsewhere)).toEqual([]);
    // A wrong --data is no empty store: writing from one would lock every room out.
    const wrongData = await controller(["mosquitto", "write", "--dir", elsewhere, "--data", join(dir, "none")]);
    expect(wrongData.code).toBe(2);
    expect(wrongData.output).toContain(`no store ${join(dir, "none", "controller.json")}`);
    expect(readdirSync(elsewhere)).toEqual([]);
  });
});

describe("controller -h, --version and flags from the environment", CLI_TESTS, () => {
  const dir = mkdtempSync(join(tmpdir(), "rc-controller-flags-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("-h and --help print the usage with every flag's variable; --version the version; both exit 0", async () => {
    const version = JSON.parse(readFileSync(join(REPO, "controller/package.json"), "utf8")).version;
    for (const flag of ["-h", "--help"]) {
      const help = await controller([flag]);
      expect(help.code).toBe(0);
      expect(help.output).toContain("controller rooms rotate-password ID");
      expect(help.output).toContain("controller mosquitto write --dir DIR");
      expect(help.output).toMatch(/--mosquitto-dir +RC_CONTROLLER_MOSQUITTO_DIR/);
      expect(help.output).toMatch(/--http-port +RC_CONTROLLER_HTTP_PORT/);
    }
    expect(await controller(["--version"])).toEqual({ code: 0, output: `controller ${version}` });
  });

  it("a flag comes from its RC_CONTROLLER_ variable; the command line wins", async () => {
    const data = join(dir, "data");
    const add = await controller(["rooms", "add", "xa-e"], {
      RC_CONTROLLER_DATA: data,
      RC_CONTROLLER_NAME: "Xã E",
      RC_CONTROLLER_LEVEL: "commune",
    });
    expect(add.code, add.output).toBe(0);
    expect((await controller(["rooms", "list"], { RC_CONTROLLER_DATA: data })).output).toMatch(/^xa-e\tcommune\t/);
    const elsewhere = await controller(["rooms", "list", "--data", join(dir, "other")], { RC_CONTROLLER_DATA: data });
    expect(elsewhere).toEqual({ code: 0, output: "" });
  });
});
