// Writes protocol/contract/ (the MQTT contract's JSON Schemas and topics.json) from the zod schemas: `npm run contract`
// after changing a payload's schema, then commit the files with the change (a test fails while they differ).
import { mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { contractFiles } from "@rc/protocol/contract";

const dir = new URL("../protocol/contract/", import.meta.url).pathname;
const files = contractFiles();
mkdirSync(dir, { recursive: true });
// A topic that went away takes its file with it.
for (const name of readdirSync(dir)) if (!files.has(name)) rmSync(join(dir, name));
for (const [name, text] of files) writeFileSync(join(dir, name), text);
process.stdout.write(`wrote ${files.size} files to protocol/contract/\n`);
