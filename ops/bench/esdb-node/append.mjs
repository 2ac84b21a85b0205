// Appends the events of a bench corpus file through the official KurrentDB Node.js client, one append per document,
// each to a fresh stream, and prints {"events":N,"appends":N,"seconds":S} on stdout.
// Usage: node append.mjs <connection string> <corpus.ndjson> <stream prefix>
import { readFileSync } from "node:fs";
import { KurrentDBClient, jsonEvent, NO_STREAM } from "@kurrent/kurrentdb-client";

const [connectionString, corpus, prefix] = process.argv.slice(2);
if (!connectionString || !corpus || !prefix) {
  console.error("usage: node append.mjs <connection string> <corpus.ndjson> <stream prefix>");
  process.exit(2);
}

// One line per append: {"stream":"…","revision":-1|n,"events":[{"type":"…","data":{…},"metadata":{…}}]}; -1: a new stream.
const appends = readFileSync(corpus, "utf8").split("\n").filter((line) => line.length > 0).map((line) => JSON.parse(line));
const client = KurrentDBClient.connectionString(connectionString);
let events = 0;
const started = process.hrtime.bigint();
for (const append of appends) {
  const batch = append.events.map((e) => jsonEvent({ type: e.type, data: e.data, metadata: e.metadata }));
  const streamState = append.revision < 0 ? NO_STREAM : BigInt(append.revision);
  await client.appendToStream(prefix + append.stream, batch, { streamState });
  events += batch.length;
}
const seconds = Number(process.hrtime.bigint() - started) / 1e9;
await client.dispose();
console.log(JSON.stringify({ events, appends: appends.length, seconds }));
