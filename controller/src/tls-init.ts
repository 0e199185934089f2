// `controller tls init --dir DIR --host NAME…`: the site's own certificate authority and the broker's certificate,
// so that room agents reach the broker over mqtts:// and check that it is the site's (room-agent --ca ca.crt).
// node:crypto reads certificates but cannot issue them: Debian's openssl does (OpenSSL 3, `req -x509 -CA`).
// Everything is made in a scratch folder beside DIR and moved in whole: a failure leaves no half set, and an
// existing CA is never replaced (every room PC trusts it; replacing it is a decision, not a re-run).
import { execFileSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync } from "node:fs";
import { isIP } from "node:net";
import { hostname } from "node:os";
import { dirname, join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { withEnvironment } from "@rc/protocol";

export const TLS_FILES = {
  caCertificate: "ca.crt",
  caKey: "ca.key",
  serverCertificate: "server.crt",
  serverKey: "server.key",
} as const;

export interface TlsInitOptions {
  dir: string;
  /** Names and addresses the agents use for the broker (the certificate's subjectAltName). */
  hosts: string[];
  /** Validity of the broker's certificate; the CA gets ten years. */
  serverDays: number;
}

const CA_DAYS = 3650;

export const TLS_USAGE = `  controller tls init --dir DIR [--host NAME_OR_ADDRESS]… [--days N]
      Makes the site's certificate authority (ca.crt, ca.key) and the broker's certificate (server.crt, server.key)
      for the names and addresses the agents use (--host, repeatable; default this machine's name, localhost and
      127.0.0.1), valid N days (default 825). Copy ca.crt to each room PC (room-agent --ca); keep ca.key offline.
      Refuses a DIR that already holds a CA. Flags also as RC_CONTROLLER_TLS_DIR, _HOST (commas), _DAYS.`;

/** Makes the CA and the broker's certificate in `dir`; throws with the reason, leaving `dir` as it was. */
export function initTls(options: TlsInitOptions): void {
  const dir = resolve(options.dir);
  if (existsSync(join(dir, TLS_FILES.caKey)) || existsSync(join(dir, TLS_FILES.caCertificate)))
    throw new Error(`${dir} already holds a CA: it is kept (every room PC trusts it)`);
  if (options.hosts.length === 0) throw new Error("--host: at least one name or address");
  for (const host of options.hosts)
    if (!/^[A-Za-z0-9.:-]+$/.test(host)) throw new Error(`--host: "${host}" is not a host name or an IP address`);
  mkdirSync(dirname(dir), { recursive: true });
  const scratch = mkdtempSync(`${dir}.tmp-`);
  try {
    chmodSync(scratch, 0o700);
    const file = (name: string) => join(scratch, name);
    const openssl = (...args: string[]) => execFileSync("openssl", args, { stdio: ["ignore", "ignore", "pipe"] });
    const ecKey = (out: string) =>
      openssl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", out);
    ecKey(file(TLS_FILES.caKey));
    openssl(
      "req",
      "-x509",
      "-new",
      "-key",
      file(TLS_FILES.caKey),
      "-subj",
      "/O=Room controller/CN=Room controller site CA",
      "-days",
      String(CA_DAYS),
      "-sha256",
      "-addext",
      "basicConstraints=critical,CA:TRUE,pathlen:0",
      "-addext",
      "keyUsage=critical,keyCertSign,cRLSign",
      "-out",
      file(TLS_FILES.caCertificate),
    );
    ecKey(file(TLS_FILES.serverKey));
    const altNames = options.hosts.map((host) => (isIP(host) ? `IP:${host}` : `DNS:${host}`)).join(",");
    openssl(
      "req",
      "-x509",
      "-new",
      "-key",
      file(TLS_FILES.serverKey),
      "-CA",
      file(TLS_FILES.caCertificate),
      "-CAkey",
      file(TLS_FILES.caKey),
      "-subj",
      `/O=Room controller/CN=${options.hosts[0]}`,
      "-days",
      String(options.serverDays),
      "-sha256",
      "-addext",
      "basicConstraints=critical,CA:FALSE",
      "-addext",
      "keyUsage=critical,digitalSignature",
      "-addext",
      "extendedKeyUsage=serverAuth",
      "-addext",
      `subjectAltName=${altNames}`,
      "-out",
      file(TLS_FILES.serverCertificate),
    );
    for (const name of [TLS_FILES.caKey, TLS_FILES.serverKey]) chmodSync(file(name), 0o600);
    for (const name of [TLS_FILES.caCertificate, TLS_FILES.serverCertificate]) chmodSync(file(name), 0o644);
    if (existsSync(dir)) {
      // An existing folder (e.g. /etc/room-controller/tls made by the installer) gets the files one by one.
      for (const name of readdirSync(scratch)) renameSync(file(name), join(dir, name));
    } else {
      chmodSync(scratch, 0o755);
      renameSync(scratch, dir);
    }
  } catch (error) {
    const stderr = (error as { stderr?: Buffer }).stderr?.toString().trim();
    throw new Error(`openssl failed: ${stderr || (error as Error).message}`);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

/** `controller tls …`: resolves with the exit code. */
export function runTlsCommand(argv: string[]): number {
  const fail = (message: string) => {
    process.stderr.write(`controller: ${message}\n`);
    return 2;
  };
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(argv);
  } catch (error) {
    return fail(`${(error as Error).message}\n${TLS_USAGE}`);
  }
  const { values, positionals } = parsed;
  if (values.help) {
    process.stdout.write(`usage:\n${TLS_USAGE}\n`);
    return 0;
  }
  if (positionals[0] !== "init" || positionals.length !== 1) return fail(`usage:\n${TLS_USAGE}`);
  const dir = values.dir;
  if (!dir) return fail(`tls init: --dir is required\n${TLS_USAGE}`);
  const days = Number(values.days);
  if (!Number.isInteger(days) || days < 1 || days > 3650) return fail("--days: expected 1…3650");
  const hosts = values.host ?? [hostname(), "localhost", "127.0.0.1"];
  try {
    initTls({ dir, hosts, serverDays: days });
  } catch (error) {
    process.stderr.write(`controller: tls init: ${(error as Error).message}\n`);
    return 1;
  }
  const at = resolve(dir);
  process.stdout.write(
    [
      `CA and broker certificate in ${at} (for ${hosts.join(", ")}).`,
      "Mosquitto (a listener for the room agents):",
      "  listener 8883",
      `  cafile ${join(at, TLS_FILES.caCertificate)}`,
      `  certfile ${join(at, TLS_FILES.serverCertificate)}`,
      `  keyfile ${join(at, TLS_FILES.serverKey)}`,
      `Each room PC: copy ${TLS_FILES.caCertificate} there, then room-agent --broker mqtts://${hosts[0]}:8883 --ca …/${TLS_FILES.caCertificate}`,
      `Keep ${TLS_FILES.caKey} off the network (it signs certificates every room trusts).`,
      "",
    ].join("\n"),
  );
  return 0;
}

const TLS_OPTIONS = {
  dir: { type: "string" },
  host: { type: "string", multiple: true },
  days: { type: "string", default: "825" },
  help: { type: "boolean", short: "h" },
} as const;
/** Each flag also from the environment: RC_CONTROLLER_TLS_DIR, RC_CONTROLLER_TLS_HOST (commas), RC_CONTROLLER_TLS_DAYS. */
const TLS_ENVIRONMENT_PREFIX = "RC_CONTROLLER_TLS_";

function parse(argv: string[]) {
  return parseArgs({
    args: withEnvironment(TLS_OPTIONS, argv, process.env, TLS_ENVIRONMENT_PREFIX),
    allowPositionals: true,
    options: TLS_OPTIONS,
  });
}
