// Follows a workspace's events, printing each, with long polls; the
// cursor is kept in a file so that a restart resumes where it stopped:
//
//   SCIMD_URL=… SCIMD_APP_TOKEN=… SCIMD_WORKSPACE=acme node feed.mjs [CURSOR_FILE]
//
// SCIMD_FEED_COUNT=N stops after N events.
import { readFileSync, writeFileSync } from "node:fs";
import { events } from "./scimd.mjs";

const workspace = process.env.SCIMD_WORKSPACE;
if (!workspace) {
  console.error("set SCIMD_WORKSPACE to the workspace's slug");
  process.exit(2);
}
const cursorFile = process.argv[2] ?? "scimd-feed.cursor";
let cursor = 0;
try {
  cursor = Number(readFileSync(cursorFile, "utf8")) || 0;
} catch {
  // No cursor yet: from the start.
}
let left = Number(process.env.SCIMD_FEED_COUNT ?? Infinity);
while (left > 0) {
  const page = await events(workspace, cursor);
  for (const e of page.events) {
    console.log(`${e.seq} ${e.type} ${e.subject ?? ""}`);
    // Save after handling each event: a crash handles it at most twice.
    cursor = e.seq;
    writeFileSync(cursorFile, String(cursor));
    if (--left === 0) break;
  }
}
