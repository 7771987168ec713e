#!/usr/bin/env node
// A local AMQP 1.0 server that speaks enough of the Event Hubs protocol for
// movierec's generator tests, built with rhea. It keeps events in memory.
//
// What it does, as azure_messaging_eventhubs 0.15 expects
// (see ../shared/notes/azure-local-testing.md):
//   - `$cbs` put-token: any token is accepted (202);
//   - `$management` READ of the hub (name, created_at, partition_count,
//     partition_ids as an AMQP array of strings) and of a partition;
//   - any hub name is served (each with its own partitions, made on first
//     use), so tests can each use a hub of their own;
//   - senders attach to `<hub>` or `<hub>/Partitions/<id>`; a batch arrives as
//     message format 0x80013700 whose data sections are encoded messages;
//     an event without a partition goes by its partition key's hash, else
//     round robin; each event gets a sequence number, an offset and an
//     enqueued time, as Event Hubs adds;
//   - receivers attach to `<hub>/ConsumerGroups/<group>/Partitions/<id>`,
//     with the start filter (`amqp.annotation.x-opt-offset > '-1'`, sequence
//     numbers, `@latest`), and get stored and then new events as credit allows;
//   - GET-like introspection for tests is not needed: read the events back
//     with a consumer.
//
// Usage: node server.js --port 5672 [--partitions 4]
// Prints "eventhubs test server ready on amqp://127.0.0.1:PORT".

"use strict";

const rhea = require("rhea");

const args = { port: 5672, partitions: 4 };
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i += 2) {
  const key = argv[i].replace(/^--/, "");
  if (!(key in args)) {
    console.error(`unknown argument ${argv[i]}; usage: node server.js --port N [--partitions N]`);
    process.exit(2);
  }
  args[key] = Number(argv[i + 1]);
}

const BATCH_FORMAT = 0x80013700;
const types = rhea.types;
const created = new Date();
const partitionIds = Array.from({ length: args.partitions }, (_, i) => String(i));
/** Per hub, per partition: stored events and attached consumers. */
const hubs = new Map();
function partitionsOf(hub) {
  if (!hubs.has(hub)) hubs.set(hub, partitionIds.map(() => ({ events: [], consumers: new Set() })));
  return hubs.get(hub);
}
let roundRobin = 0;

/** The path part of a link address, which may be a full amqps:// URL. */
function pathOf(address) {
  if (!address) return "";
  const match = /^amqps?:\/\/[^/]+\/(.*)$/.exec(address);
  return match ? match[1] : address;
}

function partitionFor(key) {
  if (key === undefined || key === null) {
    roundRobin = (roundRobin + 1) % args.partitions;
    return roundRobin;
  }
  let hash = 0;
  for (const ch of String(key)) hash = (hash * 31 + ch.charCodeAt(0)) >>> 0;
  return hash % args.partitions;
}

function store(partitions, partition, message) {
  const p = partitions[partition];
  const sequence = p.events.length;
  message.message_annotations = {
    ...(message.message_annotations || {}),
    "x-opt-sequence-number": types.wrap_long(sequence),
    "x-opt-offset": String(sequence),
    "x-opt-enqueued-time": new Date(),
  };
  p.events.push(message);
  for (const consumer of p.consumers) pump(consumer);
}

/** Sends a consumer what it has credit for. */
function pump(consumer) {
  const events = consumer.partitions[consumer.partition].events;
  while (consumer.next < events.length && consumer.sender.sendable()) {
    consumer.sender.send(events[consumer.next]);
    consumer.next += 1;
  }
}

/** Where a receiver starts, from its filter: the first sequence number to send. */
function startFrom(source, partitions, partition) {
  const filters = (source && source.filter) || {};
  for (const name of Object.keys(filters)) {
    const filter = filters[name];
    const expression = String(filter && filter.value !== undefined ? filter.value : filter);
    const match = /x-opt-(offset|sequence-number)\s*(>=|>)\s*'?(-?\d+|@latest)'?/.exec(expression);
    if (!match) continue;
    if (match[3] === "@latest") return partitions[partition].events.length;
    const n = Number(match[3]);
    return match[2] === ">=" ? Math.max(n, 0) : n + 1;
  }
  return partitions[partition].events.length;
}

function reply(connection, request, status, body) {
  const replyLink = connection.replySenders.get(request.reply_to);
  if (!replyLink) {
    console.error(`no reply link for ${request.reply_to}`);
    return;
  }
  replyLink.send({
    correlation_id: request.message_id,
    to: request.reply_to,
    application_properties: { "status-code": status, "status-description": status < 300 ? "OK" : "Error" },
    body,
  });
}

function management(connection, request) {
  const props = request.application_properties || {};
  const partitions = partitionsOf(props.name);
  if (props.operation !== "READ") {
    reply(connection, request, 400, null);
    return;
  }
  if (props.type === "com.microsoft:eventhub") {
    reply(connection, request, 200, types.wrap_map({
      name: types.wrap_string(props.name),
      created_at: types.wrap_timestamp(created.getTime()),
      partition_count: types.wrap_int(partitions.length),
      partition_ids: types.wrap_array(partitionIds, 0xa1),
      type: types.wrap_string("com.microsoft:eventhub"),
    }));
    return;
  }
  const id = Number(props.partition);
  const p = partitions[id];
  if (!p) {
    reply(connection, request, 404, null);
    return;
  }
  const last = p.events.length - 1;
  reply(connection, request, 200, types.wrap_map({
    name: types.wrap_string(props.name),
    partition: types.wrap_string(String(id)),
    type: types.wrap_string("com.microsoft:partition"),
    begin_sequence_number: types.wrap_long(0),
    last_enqueued_sequence_number: types.wrap_long(last),
    last_enqueued_sequence_number_epoch: types.wrap_long(0),
    last_enqueued_offset: types.wrap_string(String(Math.max(last, -1))),
    last_enqueued_time_utc: types.wrap_timestamp(Date.now()),
    is_partition_empty: types.wrap_boolean(p.events.length === 0),
  }));
}

const container = rhea.create_container({ id: "movierec-eventhubs-test-server" });

container.on("connection_open", (context) => {
  context.connection.replySenders = new Map();
});

container.on("receiver_open", (context) => {
  const receiver = context.receiver;
  const target = receiver.remote.attach.target;
  receiver.set_target(target);
  receiver.local.attach.max_message_size = 1024 * 1024;
});

container.on("sender_open", (context) => {
  const sender = context.sender;
  const source = sender.remote.attach.source;
  sender.set_source(source);
  const remoteTarget = sender.remote.attach.target;
  if (remoteTarget) sender.set_target(remoteTarget);
  sender.local.attach.max_message_size = 1024 * 1024;
  const path = pathOf(source && source.address);
  if (path === "$cbs" || path === "$management") {
    const replyTo = remoteTarget && remoteTarget.address;
    if (replyTo) context.connection.replySenders.set(replyTo, sender);
    return;
  }
  const match = /^([^/]+)\/ConsumerGroups\/[^/]+\/Partitions\/(\d+)$/.exec(path);
  const partitions = match && partitionsOf(match[1]);
  if (!match || !partitions[Number(match[2])]) {
    sender.close({ condition: "amqp:not-found", description: `no such partition: ${path}` });
    return;
  }
  const partition = Number(match[2]);
  const consumer = { sender, partitions, partition, next: startFrom(source, partitions, partition) };
  sender.consumer = consumer;
  partitions[partition].consumers.add(consumer);
});

container.on("sendable", (context) => {
  if (context.sender.consumer) pump(context.sender.consumer);
});

container.on("sender_close", (context) => {
  const consumer = context.sender && context.sender.consumer;
  if (consumer) consumer.partitions[consumer.partition].consumers.delete(consumer);
});
function forgetConnection(context) {
  for (const partitions of hubs.values()) {
    for (const p of partitions) {
      for (const c of p.consumers) if (c.sender.connection === context.connection) p.consumers.delete(c);
    }
  }
}
container.on("connection_close", forgetConnection);
container.on("disconnected", forgetConnection);

container.on("message", (context) => {
  const path = pathOf(context.receiver.target && context.receiver.target.address);
  if (path === "$cbs") {
    reply(context.connection, context.message, 202, null);
    return;
  }
  if (path === "$management") {
    management(context.connection, context.message);
    return;
  }
  const named = /Partitions\/(\d+)$/.exec(path);
  const partitions = partitionsOf(path.split("/")[0]);
  const messages = [];
  if (context.format === BATCH_FORMAT) {
    const envelope = rhea.message.decode(context.message);
    const body = envelope.body;
    const sections = body && body.multiple ? body.content : body ? [body.content] : [];
    for (const encoded of sections) messages.push(rhea.message.decode(encoded));
  } else {
    messages.push(context.message);
  }
  for (const message of messages) {
    const annotations = message.message_annotations || {};
    const partition = named ? Number(named[1]) : partitionFor(annotations["x-opt-partition-key"]);
    if (!partitions[partition]) {
      context.delivery.reject({ condition: "amqp:not-found", description: `no partition ${partition}` });
      return;
    }
    store(partitions, partition, message);
  }
});

const server = container.listen({ port: args.port, host: "127.0.0.1" });
server.on("listening", () => {
  console.log(`eventhubs test server ready on amqp://127.0.0.1:${args.port}`);
});
server.on("error", (err) => {
  console.error(`eventhubs test server: cannot listen on 127.0.0.1:${args.port}: ${err.message}`);
  process.exit(1);
});
for (const signal of ["SIGTERM", "SIGINT"]) process.on(signal, () => process.exit(0));
