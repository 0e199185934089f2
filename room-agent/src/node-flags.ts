// How a room runs its agent: `node ${AGENT_NODE_FLAGS} dist/room-agent.mjs …` (README, "Running it for real"; the
// demo and the benchmarks start it the same way). The agent allocates little and needs no parallel compiler or GC:
// a 1 MB young generation, V8 on one thread and heap sizing that favours memory keep a busy room's agent at 72–81 MB
// RSS instead of 80–88 MB (BENCHMARKS.md, foundation), at no measurable cost in CPU.
export const AGENT_NODE_FLAGS = ["--max-semi-space-size=1", "--single-threaded", "--optimize-for-size"];
