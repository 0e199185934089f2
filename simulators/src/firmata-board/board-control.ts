// A small HTTP control panel for simulated boards, on loopback, for the demo and for people trying it by hand:
//   GET  /boards                              every board: plugged?, what drives its inputs, each pin's level
//   POST /boards/{name}/press?pin=2           a button wired to ground pressed (also release, click = press + release)
//   POST /boards/{name}/reset | unplug | replug
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { UNO_PIN_COUNT } from "./avr-chip.ts";
import type { FirmataBoard } from "./firmata-board.ts";

/** How long a click holds the button: past the driver's debounce, short of a long press. */
const CLICK_MS = 200;

class ControlError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export class BoardControl {
  private server: Server | undefined;

  constructor(private readonly boards: ReadonlyMap<string, FirmataBoard>) {}

  /** Listens on 127.0.0.1 (port 0: any free one). */
  async start(port = 0): Promise<void> {
    const server = createServer((request, response) => void this.handle(request, response));
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, "127.0.0.1", () => resolve());
    });
    this.server = server;
  }

  get url(): string {
    const { port } = this.server!.address() as AddressInfo;
    return `http://127.0.0.1:${port}`;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    server?.closeAllConnections();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    try {
      const url = new URL(request.url ?? "/", "http://control");
      const [root, name, action] = url.pathname.split("/").filter(Boolean);
      if (root !== "boards") throw new ControlError(404, "try GET /boards");
      if (!name) {
        if (request.method !== "GET") throw new ControlError(405, "GET /boards");
        return reply(
          response,
          200,
          [...this.boards].map(([boardName, board]) => summary(boardName, board)),
        );
      }
      const board = this.boards.get(name);
      if (!board) throw new ControlError(404, `no board "${name}" (boards: ${[...this.boards.keys()].join(", ")})`);
      if (!action) return reply(response, 200, summary(name, board));
      if (request.method !== "POST") throw new ControlError(405, `POST /boards/${name}/${action}`);
      await this.act(board, action, url.searchParams.get("pin"));
      reply(response, 200, summary(name, board));
    } catch (error) {
      const status = error instanceof ControlError ? error.status : 500;
      reply(response, status, { error: (error as Error).message });
    }
  }

  private async act(board: FirmataBoard, action: string, pinText: string | null): Promise<void> {
    const pin = () => {
      const pin = Number(pinText);
      if (pinText === null || !Number.isInteger(pin) || pin < 2 || pin >= UNO_PIN_COUNT) {
        throw new ControlError(400, `?pin= a pin of the Uno, 2–${UNO_PIN_COUNT - 1}; got ${pinText}`);
      }
      return pin;
    };
    if (!board.plugged && action !== "replug") throw new ControlError(409, "the board is unplugged");
    switch (action) {
      case "press":
        return board.press(pin());
      case "release":
        return board.release(pin());
      case "click": {
        const which = pin();
        board.press(which);
        await new Promise((resolve) => setTimeout(resolve, CLICK_MS));
        return board.release(which);
      }
      case "reset":
        return board.reset();
      case "unplug":
        return board.unplug();
      case "replug":
        return board.replug();
      default:
        throw new ControlError(404, `no action "${action}" (press, release, click, reset, unplug, replug)`);
    }
  }
}

function summary(name: string, board: FirmataBoard) {
  const pins: Record<number, string> = {};
  for (let pin = 2; pin < UNO_PIN_COUNT; pin++) pins[pin] = board.level(pin);
  return { name, path: board.hostPath, plugged: board.plugged, inputs: board.inputs(), pins };
}

function reply(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { "content-type": "application/json" });
  response.end(JSON.stringify(body));
}
