// The test device driver: talks to simulators/src/line-device over TCP. Small on purpose; it exists to prove the
// device life cycle (connect, probe, reconnect, re-apply) and the request path with a real socket.
import { connect, type Socket } from "node:net";
import type { TestDeviceEntry } from "@rc/hardware-profiles";
import type { CapabilityDescriptor } from "@rc/protocol";
import { withTimeout } from "../agent-error.ts";
import type { DeviceDriver, DeviceKindModule, DriverContext, DriverHooks } from "./driver-contract.ts";

const REPLY_TIMEOUT_MS = 1000;
const MAX_LINE = 1024;

interface Pending {
  expect: RegExp;
  resolve: (line: string) => void;
  reject: (error: Error) => void;
}

export class TestDeviceDriver implements DeviceDriver {
  readonly kind = "test";
  readonly model = "line-device";
  private socket: Socket | undefined;
  private pending: Pending[] = [];
  private buffer = "";
  /** What the room wants the register to hold; re-applied after every reconnect. */
  private desiredValue: number | null = null;
  private reportedValue: number | null = null;

  // The one driver shape; a line device needs neither a model file nor the room.
  constructor(
    private readonly entry: TestDeviceEntry,
    _model?: undefined,
    _context?: DriverContext,
  ) {}

  get id(): string {
    return this.entry.id;
  }

  capabilities(): CapabilityDescriptor[] {
    return [
      {
        name: "value",
        type: "number",
        min: -1_000_000,
        max: 1_000_000,
        step: 1,
        readable: true,
        writable: true,
        set: { action: "test.set", params: { device: this.entry.id }, value: "value" },
      },
    ];
  }

  async connect(supervisor: DriverHooks): Promise<void> {
    const socket = connect(this.entry.connection.port, this.entry.connection.host);
    this.socket = socket;
    socket.setNoDelay(true);
    await new Promise<void>((resolve, reject) => {
      socket.once("connect", resolve);
      socket.once("error", reject);
    });
    socket.on("data", (chunk) => this.receive(chunk.toString("utf8")));
    socket.on("error", () => {});
    socket.on("close", () => {
      if (this.socket !== socket) return;
      this.failPending(new Error("connection closed"));
      supervisor.lost("connection closed by the device");
    });
    await this.ask("PING", /^PONG$/);
  }

  async probe(): Promise<void> {
    await this.ask("PING", /^PONG$/);
  }

  async disconnect(): Promise<void> {
    const socket = this.socket;
    this.socket = undefined;
    this.failPending(new Error("disconnected"));
    socket?.destroy();
  }

  async reapply(): Promise<void> {
    if (this.desiredValue !== null) await this.set(this.desiredValue);
  }

  readings(): Record<string, number | null> {
    return { value: this.reportedValue };
  }

  async set(value: number): Promise<number> {
    this.desiredValue = value;
    const reply = await this.ask(`SET ${value}`, /^OK (-?\d+)$/);
    this.reportedValue = Number(/^OK (-?\d+)$/.exec(reply)![1]);
    return this.reportedValue;
  }

  private ask(line: string, expect: RegExp): Promise<string> {
    const socket = this.socket;
    if (!socket) return Promise.reject(new Error("not connected"));
    const reply = new Promise<string>((resolve, reject) => this.pending.push({ expect, resolve, reject }));
    socket.write(`${line}\n`);
    return withTimeout(reply, REPLY_TIMEOUT_MS, `reply to ${line}`).catch((error: Error) => {
      this.pending = this.pending.filter((p) => p.expect !== expect);
      throw error;
    });
  }

  private receive(text: string): void {
    this.buffer += text;
    if (this.buffer.length > MAX_LINE) this.buffer = this.buffer.slice(-MAX_LINE);
    let newline = this.buffer.indexOf("\n");
    while (newline >= 0) {
      const line = this.buffer.slice(0, newline).trim();
      this.buffer = this.buffer.slice(newline + 1);
      const index = this.pending.findIndex((p) => p.expect.test(line) || line.startsWith("ERR"));
      if (index >= 0) {
        const [pending] = this.pending.splice(index, 1);
        if (line.startsWith("ERR")) pending!.reject(new Error(line));
        else pending!.resolve(line);
      }
      newline = this.buffer.indexOf("\n");
    }
  }

  private failPending(error: Error): void {
    const pending = this.pending;
    this.pending = [];
    for (const p of pending) p.reject(error);
  }
}

export const testDeviceKind: DeviceKindModule<TestDeviceEntry, TestDeviceDriver> = {
  kind: "test",
  create: (entry, model, context) => new TestDeviceDriver(entry, model, context),
  actions: {
    "test.set": async (driver, params) => ({ value: await driver.set(params.value) }),
    "test.delay": async (_driver, params) => {
      await new Promise((resolve) => setTimeout(resolve, params.ms));
      return { waitedMs: params.ms };
    },
  },
};
