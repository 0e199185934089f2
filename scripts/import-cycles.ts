// Reports import cycles among a folder's TypeScript files (relative imports only; `import type` counts too, as it
// still ties the modules together for a reader). Usage: node --import tsx scripts/import-cycles.ts room-agent/src
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";

const root = resolve(process.argv[2] ?? "room-agent/src");

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return name === "node_modules" ? [] : files(path);
    return /\.ts$/.test(name) && !/\.d\.ts$/.test(name) ? [path] : [];
  });
}

const IMPORT = /(?:import|export)\s[^;]*?from\s+["'](\.{1,2}\/[^"']+)["']|import\(\s*["'](\.{1,2}\/[^"']+)["']\s*\)/g;
const graph = new Map<string, string[]>();
for (const file of files(root)) {
  const source = readFileSync(file, "utf8");
  const targets = [...source.matchAll(IMPORT)].map((m) => resolve(dirname(file), (m[1] ?? m[2])!));
  graph.set(
    file,
    targets.filter((target) => target.startsWith(root)),
  );
}

// Depth-first search; a back edge to a module still on the stack is a cycle.
const cycles: string[][] = [];
const state = new Map<string, "open" | "done">();
const stack: string[] = [];
function visit(file: string): void {
  state.set(file, "open");
  stack.push(file);
  for (const next of graph.get(file) ?? []) {
    if (state.get(next) === "open") cycles.push([...stack.slice(stack.indexOf(next)), next]);
    else if (!state.has(next)) visit(next);
  }
  stack.pop();
  state.set(file, "done");
}
for (const file of graph.keys()) if (!state.has(file)) visit(file);

for (const cycle of cycles) console.log(cycle.map((file) => relative(process.cwd(), file)).join(" → "));
console.log(`${graph.size} modules, ${cycles.length} import cycle${cycles.length === 1 ? "" : "s"}`);
process.exitCode = cycles.length === 0 ? 0 : 1;
