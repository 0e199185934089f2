// A room whose media cannot run — GStreamer without its plugins, or a worker that cannot even start — still runs
// everything else, and says why media is offline.
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { RoomView } from "@rc/protocol";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stopAll } from "./support/processes.ts";
import { TestSite } from "./support/test-site.ts";
import { waitFor } from "./support/wait-for.ts";

const NO_PLUGINS = "xa-khong-plugin";
const NO_WORKER = "xa-khong-worker";

describe("an agent whose media cannot run", () => {
  let site: TestSite;

  beforeAll(async () => {
    site = await TestSite.create("embedded", [NO_PLUGINS, NO_WORKER]);
    for (const id of [NO_PLUGINS, NO_WORKER]) {
      const profile = JSON.parse(readFileSync(site.room(id).profile, "utf8"));
      profile.devices.push({ id: "media", kind: "media", audio: { input: "silence" }, display: "none" });
      writeFileSync(site.room(id).profile, JSON.stringify(profile));
    }
    // GStreamer's library is there, but it finds no plugin: a machine where the plugin packages are missing.
    const empty = join(site.dir, "no-plugins");
    mkdirSync(empty);
    site.startAgent(NO_PLUGINS, {
      env: {
        GST_PLUGIN_SYSTEM_PATH_1_0: empty,
        GST_PLUGIN_PATH_1_0: "",
        GST_REGISTRY_1_0: join(empty, "registry.bin"),
      },
    });
    site.startAgent(NO_WORKER, { env: { RC_MEDIA_WORKER: join(site.dir, "no-such-worker.mjs") } });
  });
  afterAll(async () => {
    await stopAll();
    await site?.stop();
  });

  const view = (id: string): RoomView => site.controller.registry.get(id)!;

  it("reports media offline with the reason, and keeps the rest of the room working", async () => {
    await waitFor(
      "media offline in both rooms",
      () => [NO_PLUGINS, NO_WORKER].every((id) => view(id)?.health.media?.status === "offline"),
      20_000,
    );
    expect(view(NO_PLUGINS).health.media?.detail).toMatch(/GStreamer lacks videotestsrc, .*x264enc.*retrying in/);
    expect(view(NO_WORKER).health.media?.detail).toMatch(
      /media worker exited \(code 1\) before it was ready: .*Cannot find module/,
    );
    for (const id of [NO_PLUGINS, NO_WORKER]) {
      expect(view(id).health.thu?.status).toBe("ok");
      const answer = await site.post(id, { action: "test.set", params: { device: "thu", value: 7 } });
      expect(answer).toMatchObject({ status: 200, body: { ok: true } });
      const refused = await site.post(id, { action: "media.cut", params: { device: "media", camera: "cam-a" } });
      expect(refused).toMatchObject({ status: 409, body: { ok: false, error: { code: "device_unavailable" } } });
    }
  });
});
