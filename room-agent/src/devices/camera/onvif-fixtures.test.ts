// The driver's parsing against recorded traffic of real cameras (test/fixtures/onvif-recorded, copied from the
// research folder's fixtures, MIT licensed): a replay server answers each operation with what the AXIS, Hikvision and
// Pelco PTZ domes answered, and the driver must read the same profile, stream, presets and position a person reads in
// the XML; every recorded fault must name itself.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import {
  type CameraDeviceEntry,
  cameraModelProfile,
  DEVICE_MODELS_DIR,
  loadProfile,
  type RoomProfile,
} from "@rc/hardware-profiles";
import { pino } from "pino";
import { afterAll, describe, expect, it } from "vitest";
import { CameraDriver } from "./camera-driver.ts";
import { CameraFault, parseFault, parseMoveStatus } from "./onvif-client.ts";

const RECORDED = new URL("../../../../test/fixtures/onvif-recorded/", import.meta.url).pathname;

const servers: Server[] = [];
afterAll(() => {
  for (const server of servers) server.close();
});

const read = (vendor: string, service: string, file: string) =>
  readFileSync(join(RECORDED, vendor, service, file), "utf8");

/** Answers every SOAP operation with the vendor's recording of it: the Response, or the Error when only that exists. */
async function replay(vendor: string): Promise<{ port: number; asked: string[] }> {
  const asked: string[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks).toString("utf8");
      const inner = /<(?:[\w.-]+:)?Body[^>]*>\s*<(?:[\w.-]+:)?(\w+)/.exec(body)?.[1] ?? "";
      asked.push(inner);
      for (const service of ["core", "media", "ptz"]) {
        for (const [kind, status] of [
          ["Response", 200],
          ["Error", 500],
        ] as const) {
          const file = join(RECORDED, vendor, service, `${inner}.${kind}.xml`);
          if (!existsSync(file)) continue;
          const xml = readFileSync(file);
          res.writeHead(status, {
            "Content-Type": "application/soap+xml; charset=utf-8",
            "Content-Length": xml.length,
          });
          res.end(xml);
          return;
        }
      }
      res.writeHead(500).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  servers.push(server);
  return { port: (server.address() as AddressInfo).port, asked };
}

/** A numeric attribute as the readings show it (to a thousandth of the generic space). */
const attr = (xml: string, element: string, name: string) =>
  Math.round(Number(new RegExp(`<[\\w-]*:?${element}\\b[^>]*\\s${name}="([^"]+)"`).exec(xml)?.[1]) * 1000) / 1000;

/** The named presets of a recorded GetPresets, in order, read with a regex rather than the driver's code. */
function recordedPresetNames(xml: string, reserved: [number, number][]): string[] {
  const names: string[] = [];
  for (const m of xml.matchAll(/<[\w-]*:?Preset token="([^"]+)"[^>]*>([\s\S]*?)<\/[\w-]*:?Preset>/g)) {
    const name = /<[\w-]*:?Name>([^<]*)</.exec(m[2] ?? "")?.[1] ?? "";
    const slot = Number(m[1]);
    if (name === "" || reserved.some(([from, to]) => slot >= from && slot <= to) || names.includes(name)) continue;
    names.push(name);
  }
  return names.sort();
}

describe("driver against recorded real cameras", () => {
  for (const [vendor, model] of [
    ["axis", "axis-v5925"],
    ["hikvision", "hikvision-ds-2de"],
    ["pelco", "generic-onvif-ptz"],
  ] as const) {
    it(`${vendor}: profile, stream, presets, position and move status`, async () => {
      const { port, asked } = await replay(vendor);
      const profile = loadProfile(cameraModelProfile, join(DEVICE_MODELS_DIR, "camera", `${model}.json`));
      const entry = {
        id: "cam",
        kind: "camera",
        model,
        enabled: true,
        optional: false,
        connection: { host: "127.0.0.1", port, username: "admin" },
      } as CameraDeviceEntry;
      const driver = new CameraDriver(entry, profile, {
        room: { id: "r", seats: [] } as unknown as RoomProfile,
        log: pino({ level: "silent" }),
      });
      await driver.connect({ lost: () => {}, changed: () => {} });

      const streamXml = read(vendor, "media", "GetStreamUri.Response.xml");
      // The recorded camera advertised its own LAN address; the driver keeps the one it was configured with.
      const advertised = new URL(/<[\w-]*:?Uri>([^<]+)</.exec(streamXml)?.[1]?.replace(/&amp;/g, "&") ?? "");
      expect(advertised.hostname).not.toBe("127.0.0.1");
      advertised.hostname = "127.0.0.1";
      expect(driver.readings().stream).toBe(advertised.href);
      const statusXml = read(vendor, "ptz", "GetStatus.Response.xml");
      expect(driver.readings()).toMatchObject({
        pan: attr(statusXml, "PanTilt", "x"),
        tilt: attr(statusXml, "PanTilt", "y"),
        zoom: attr(statusXml, "Zoom", "x"),
      });
      expect(driver.readings().presets).toEqual(
        recordedPresetNames(read(vendor, "ptz", "GetPresets.Response.xml"), profile.reservedPresets),
      );
      // Recorded GetServices faults (AXIS) must fall back to GetCapabilities.
      if (existsSync(join(RECORDED, vendor, "core", "GetServices.Error.xml")) && vendor === "axis")
        expect(asked).toContain("GetCapabilities");
      // A recall completes: by MoveStatus IDLE, or (Hikvision, no MoveStatus) by the position standing still.
      const first = (driver.readings().presets as string[])[0] ?? "";
      await expect(driver.goto(first, true)).resolves.toEqual({ preset: first });
      expect(asked.filter((op) => op === "GetStatus").length).toBeGreaterThanOrEqual(vendor === "hikvision" ? 3 : 2);
      // SetPreset's recorded token is read back as the preset's token.
      await driver.store("ghe-moi");
      expect(driver.readings().presets).toContain("ghe-moi");
    });
  }

  it("reads MoveStatus in the shapes cameras send it", () => {
    expect(parseMoveStatus({ panTilt: "IDLE", zoom: "IDLE" })).toBe(false);
    expect(parseMoveStatus({ panTilt: "MOVING", zoom: "IDLE" })).toBe(true);
    expect(parseMoveStatus("MOVING")).toBe(true);
    expect(parseMoveStatus(undefined)).toBeUndefined();
    expect(parseMoveStatus({ error: "x" })).toBeUndefined();
  });

  it("names every recorded fault (103 of them) by its reason and subcode", () => {
    const files = readdirSync(RECORDED, { recursive: true, encoding: "utf8" }).filter((f) => f.endsWith(".Error.xml"));
    expect(files.length).toBeGreaterThan(100);
    for (const file of files) {
      const xml = readFileSync(join(RECORDED, file), "utf8");
      const fault = parseFault(xml);
      expect(fault, file).toBeDefined();
      const subcodes = [...xml.matchAll(/<[\w-]*:?Subcode>\s*<[\w-]*:?Value>([^<]+)</g)].map((m) => m[1]?.trim());
      if (subcodes.length > 0) expect(fault?.subcode, file).toBe(subcodes.at(-1));
      expect(fault?.reason, file).not.toBe("");
      const error = new CameraFault(fault?.subcode ?? "", fault?.reason ?? "");
      expect(error.message, file).toMatch(/^camera refused: \S/);
    }
    expect(parseFault(read("axis", "core", "GetServices.Error.xml"))).toEqual({
      subcode: "ter:Action",
      reason: "Action failed",
    });
  });
});
