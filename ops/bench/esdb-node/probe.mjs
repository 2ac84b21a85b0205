// Drives the official KurrentDB Node.js client through the calls the ledger relies on and prints what it saw as one
// JSON object: a $all subscription with a stream-name prefix filter, a backwards read, an append with a stale
// expected revision, and a read of a missing stream.
// Usage: node probe.mjs <connection string> <prefix> <events expected under the prefix> <a stream under the prefix>
import { KurrentDBClient, jsonEvent, streamNameFilter, START, END, BACKWARDS } from "@kurrent/kurrentdb-client";

const [connectionString, prefix, expectedText, stream] = process.argv.slice(2);
if (!connectionString || !prefix || !expectedText || !stream) {
  console.error("usage: node probe.mjs <connection string> <prefix> <events expected> <stream>");
  process.exit(2);
}

const expected = Number(expectedText);
const client = KurrentDBClient.connectionString(connectionString);
const result = {};

const subscription = client.subscribeToAll({ fromPosition: START, filter: streamNameFilter({ prefixes: [prefix] }) });
const subscribed = [];
const timer = setTimeout(() => subscription.unsubscribe(), 20000);
for await (const resolved of subscription) {
  if (resolved.event) {
    subscribed.push(`${resolved.event.streamId}@${Number(resolved.event.revision)}`);
    if (subscribed.length >= expected) {
      break;
    }
  }
}
clearTimeout(timer);
await subscription.unsubscribe();
result.subscribed = subscribed;

for await (const { event } of client.readStream(stream, { direction: BACKWARDS, fromRevision: END, maxCount: 1 })) {
  result.lastRevision = Number(event.revision);
}

async function errorOf(action) {
  try {
    await action();
    return "none";
  } catch (error) {
    return error.constructor.name;
  }
}

result.staleAppend = await errorOf(() => client.appendToStream(stream, jsonEvent({ type: "Probe", data: {} }), { streamState: 0n }));
result.missingStream = await errorOf(async () => {
  for await (const _ of client.readStream(prefix + "no-such-stream")) {
    // Reading is the point.
  }
});

await client.dispose();
console.log(JSON.stringify(result));
