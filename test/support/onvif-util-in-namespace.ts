// Run inside a private network namespace (test/onvif-util.test.ts starts it with `unshare -rn`, multicast on its own
// lo): a simulated camera with its live picture answers WS-Discovery, and Debian's `onvif-util` — a stock client we
// did not write — finds it by multicast, logs in, and runs its info, profiles and stream commands; its stream URI is
// then opened with ffprobe, the login Digest-answered. Prints one JSON line with what each step printed.
import { execFile, spawn } from "node:child_process";
import { promisify } from "node:util";
import { DiscoveryResponder, OnvifCamera } from "@rc/simulators";

const PASSWORD = "mat-khau-camera";

const camera = new OnvifCamera({ name: "Camera chủ trì", password: PASSWORD });
await camera.start();
const responder = new DiscoveryResponder(
  () => [
    {
      name: camera.options.name,
      hardware: "RC-SIM-PTZ",
      location: "Phòng tiếp công dân",
      xaddr: camera.deviceServiceUrl,
    },
  ],
  { multicast: true },
);
await responder.start();

/** onvif-util with these arguments and these lines on its standard input; what it printed and its exit code. */
function onvifUtil(args: string[], commands: string[]): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn("onvif-util", args, { stdio: ["pipe", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (data: Buffer) => {
      output += data.toString("utf8");
    });
    child.stderr.on("data", (data: Buffer) => {
      output += data.toString("utf8");
    });
    const timer = setTimeout(() => child.kill("SIGKILL"), 15_000);
    child.on("error", reject);
    child.on("exit", (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
    // It reads its commands only after it found and logged in to the camera: they wait in the pipe until then.
    child.stdin.end(commands.map((command) => `${command}\n`).join(""));
  });
}

const result: Record<string, unknown> = {};
try {
  const session = await onvifUtil(
    ["-u", "admin", "-p", PASSWORD, "127.0.0.1"],
    ["get profiles", "get profile", "get rtsp", "get rtsp pass", "quit"],
  );
  result.session = session;
  const refused = await onvifUtil(["-u", "admin", "-p", "sai-mat-khau", "127.0.0.1"], ["quit"]);
  result.refused = refused;
  result.streamUri = camera.streamUri;
  result.serial = `SIM-${camera.port}`;
  const withLogin = /rtsp:\/\/admin:[^\s]+/.exec(session.output)?.[0];
  if (withLogin) {
    const { stdout } = await promisify(execFile)(
      "ffprobe",
      [
        "-v",
        "error",
        "-rtsp_transport",
        "tcp",
        "-show_entries",
        "stream=codec_name,width,height",
        "-of",
        "json",
        withLogin,
      ],
      { timeout: 15_000 },
    );
    result.ffprobe = JSON.parse(stdout).streams;
  }
  result.operations = [...new Set(camera.requests.map((r) => r.operation))];
} catch (error) {
  result.error = (error as Error).stack ?? String(error);
}
process.stdout.write(`${JSON.stringify(result)}\n`);
await responder.stop();
await camera.stop();
process.exit(0);
