// Reads one stream through the official KurrentDB Node.js client and prints each event as a JSON line:
// {"revision":n,"type":"…","isJson":true|false,"data":{…},"metadata":{…}}.
// Usage: node read.mjs <connection string> <stream>
import { KurrentDBClient, FORWARDS, START } from "@kurrent/kurrentdb-client";

const [connectionString, stream] = process.argv.slice(2);
if (!connectionString || !stream) {
  console.error("usage: node read.mjs <connection string> <stream>");
  process.exit(2);
}

const client = KurrentDBClient.connectionString(connectionString);
for await (const { event } of client.readStream(stream, { fromRevision: START, direction: FORWARDS })) {
  console.log(JSON.stringify({ revision: Number(event.revision), type: event.type, isJson: event.isJson, data: event.data, metadata: event.metadata }));
}
await client.dispose();
