#!/usr/bin/env node
// A local Cosmos DB (NoSQL API) endpoint for movierec's tests.
//
// Runs @vercel/cosmosdb-server on an internal port and, in front of it on the
// port asked for, a small HTTP shim that bridges where that server differs from
// Azure in ways the Rust SDK (azure_data_cosmos 1.1.0-beta.1) trips on
// (see ../shared/notes/azure-local-testing.md):
//   - the account document advertises https:// locations on the inner port:
//     they are rewritten to this shim's own http:// address;
//   - partition key range ids come back as numbers: the SDK wants strings;
//   - queries and point reads need `x-ms-documentdb-query-enablecrosspartition`
//     (the server has one partition key range and otherwise answers 400, or
//     500 for a missing document instead of 404).
//   - the inner server numbers databases in order, and the 63rd (and every
//     64th after it) gets a resource id whose base64 holds a "/", which the
//     SDK cannot take apart ("failed to extract database RID from container
//     RID"): such a database is deleted and created again at once, under the
//     next number, before the creation is answered.
// And it adds what a test of throttling needs:
//   - writes to documents of databases whose name starts with "throttle" are
//     answered 429 with `x-ms-retry-after-ms` once every THROTTLE_EVERY
//     writes (default 3), as Azure does when a request exceeds the RUs; of
//     databases whose name starts with "overload", always; and writes to
//     databases whose name starts with "unavailable" get a 503 (a service failure);
//   - GET /__shim/stats returns {"requests", "writes", "throttled"} so a test
//     can check that throttling really happened; GET /__shim/stats?db=NAME
//     returns, per container of that database, how many document requests of
//     each kind it received (read, create, upsert, replace, delete, query),
//     so a test can count what an operation costs.
//
// Usage: node shim.js --port 8082 [--throttle-every 3] [--retry-after-ms 20]
// Prints "cosmos shim ready on http://127.0.0.1:PORT" when it accepts requests.

"use strict";

const http = require("http");
const { createHttpServer } = require("@vercel/cosmosdb-server");

function parseArgs(argv) {
  const args = { port: 8082, throttleEvery: 3, retryAfterMs: 20 };
  for (let i = 0; i < argv.length; i += 1) {
    const value = argv[i + 1];
    switch (argv[i]) {
      case "--port": args.port = Number(value); i += 1; break;
      case "--throttle-every": args.throttleEvery = Number(value); i += 1; break;
      case "--retry-after-ms": args.retryAfterMs = Number(value); i += 1; break;
      default:
        console.error(`unknown argument ${argv[i]}; usage: node shim.js --port N [--throttle-every N] [--retry-after-ms MS]`);
        process.exit(2);
    }
  }
  return args;
}

const args = parseArgs(process.argv.slice(2));
const stats = { requests: 0, writes: 0, throttled: 0 };
const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
const DOCS = /^\/dbs\/([^/]+)\/colls\/([^/]+)\/docs(\/|$|\?)/;
const perDatabase = new Map();

/** Counts a document request by database, container and kind. */
function countDocumentRequest(req) {
  const match = DOCS.exec(req.url);
  if (!match) return;
  const [database, container] = [decodeURIComponent(match[1]), decodeURIComponent(match[2])];
  let kind;
  if (isQuery(req)) kind = "query";
  else if (req.method === "GET") kind = "read";
  else if (req.method === "DELETE") kind = "delete";
  else if (req.method === "PUT") kind = "replace";
  else if (req.method === "PATCH") kind = "patch";
  else if (String(req.headers["x-ms-documentdb-is-upsert"] || "").toLowerCase() === "true") kind = "upsert";
  else kind = "create";
  if (!perDatabase.has(database)) perDatabase.set(database, {});
  const containers = perDatabase.get(database);
  containers[container] = containers[container] || {};
  containers[container][kind] = (containers[container][kind] || 0) + 1;
}

function isQuery(req) {
  const isQueryHeader = String(req.headers["x-ms-documentdb-isquery"] || "").toLowerCase();
  return isQueryHeader === "true" || String(req.headers["content-type"] || "").startsWith("application/query+json");
}

/** A write to a document of a "throttle*" database, picked to be answered 429. */
function shouldThrottle(req) {
  if (req.method === "GET" || req.method === "HEAD" || isQuery(req)) return false;
  const match = DOCS.exec(req.url);
  if (!match) return false;
  const database = decodeURIComponent(match[1]);
  if (database.startsWith("overload")) return true;
  if (!database.startsWith("throttle")) return false;
  stats.writes += 1;
  return args.throttleEvery > 0 && stats.writes % args.throttleEvery === 1;
}

/** Rewrites a response body from the inner server into what Azure would send. */
function fixBody(req, body, selfAddress) {
  let json;
  try { json = JSON.parse(body); } catch { return body; }
  if (req.url === "/" || req.url === "") {
    for (const key of ["writableLocations", "readableLocations"]) {
      for (const location of json[key] || []) location.databaseAccountEndpoint = selfAddress;
    }
  }
  if (Array.isArray(json.PartitionKeyRanges)) {
    for (const range of json.PartitionKeyRanges) {
      range.id = String(range.id);
      if (Array.isArray(range.parents)) range.parents = range.parents.map(String);
    }
  }
  return JSON.stringify(json);
}

/** The id of a database just created with a resource id the SDK cannot parse, or null. */
function ridWithSlash(req, { innerRes, raw }) {
  if (req.method !== "POST" || req.url.replace(/\/$/, "") !== "/dbs" || innerRes.statusCode !== 201) return null;
  let created;
  try { created = JSON.parse(raw); } catch { return null; }
  return String(created._rid || "").includes("/") ? created.id : null;
}

function start(innerPort) {
  const selfAddress = `http://127.0.0.1:${args.port}/`;
  const front = http.createServer((req, res) => {
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => {
      stats.requests += 1;
      if (req.url.startsWith("/__shim/stats")) {
        const database = new URL(req.url, "http://shim").searchParams.get("db");
        res.writeHead(200, { "content-type": "application/json" });
        res.end(JSON.stringify(database === null ? stats : perDatabase.get(database) || {}));
        return;
      }
      countDocumentRequest(req);
      const docs = DOCS.exec(req.url);
      if (docs && decodeURIComponent(docs[1]).startsWith("unavailable") && req.method !== "GET" && !isQuery(req)) {
        res.writeHead(503, { "content-type": "application/json", "x-ms-activity-id": "00000000-0000-0000-0000-000000000503" });
        res.end(JSON.stringify({ code: "ServiceUnavailable", message: "Service is currently unavailable (injected by the test shim)." }));
        return;
      }
      if (shouldThrottle(req)) {
        stats.throttled += 1;
        res.writeHead(429, {
          "content-type": "application/json",
          "x-ms-retry-after-ms": String(args.retryAfterMs),
          "x-ms-substatus": "3200",
          "x-ms-activity-id": "00000000-0000-0000-0000-000000000429",
          "x-ms-request-charge": "0",
        });
        res.end(JSON.stringify({ code: "TooManyRequests", message: "Request rate is large (injected by the test shim)." }));
        return;
      }
      const headers = { ...req.headers, "x-ms-documentdb-query-enablecrosspartition": "true" };
      delete headers["x-ms-documentdb-partitionkeyrangeid"];
      headers.host = `127.0.0.1:${innerPort}`;
      const body = Buffer.concat(chunks);
      delete headers["transfer-encoding"];
      const send = (method, path, payload) => new Promise((resolve, reject) => {
        const sized = { ...headers, "content-length": String(payload.length) };
        const inner = http.request(
          { host: "127.0.0.1", port: innerPort, method, path, headers: sized, agent },
          (innerRes) => {
            const parts = [];
            innerRes.on("data", (c) => parts.push(c));
            innerRes.on("end", () => resolve({ innerRes, raw: Buffer.concat(parts).toString("utf8") }));
            innerRes.on("error", reject);
          },
        );
        inner.on("error", reject);
        inner.end(payload);
      });
      (async () => {
        let answer = await send(req.method, req.url, body);
        const slashed = ridWithSlash(req, answer);
        if (slashed) {
          await send("DELETE", `/dbs/${encodeURIComponent(slashed)}`, Buffer.alloc(0));
          answer = await send(req.method, req.url, body);
        }
        const { innerRes, raw } = answer;
        const fixed = fixBody(req, raw, selfAddress);
        const out = { ...innerRes.headers };
        delete out["content-length"];
        delete out.connection;
        if (out["content-location"]) out["content-location"] = out["content-location"].replace(/^https:\/\/[^/]+/, selfAddress.slice(0, -1));
        out["content-length"] = Buffer.byteLength(fixed);
        res.writeHead(innerRes.statusCode, out);
        res.end(fixed);
      })().catch((err) => {
        res.writeHead(502, { "content-type": "application/json" });
        res.end(JSON.stringify({ code: "BadGateway", message: `cosmos shim: inner server failed: ${err.message}` }));
      });
    });
  });
  front.keepAliveTimeout = 60_000;
  front.listen(args.port, "127.0.0.1", () => {
    console.log(`cosmos shim ready on ${selfAddress.slice(0, -1)}`);
  });
  front.on("error", (err) => {
    console.error(`cosmos shim: cannot listen on 127.0.0.1:${args.port}: ${err.message}`);
    process.exit(1);
  });
}

const innerServer = createHttpServer({ keepAlive: true });
innerServer.listen(0, "127.0.0.1", () => start(innerServer.address().port));
for (const signal of ["SIGTERM", "SIGINT"]) process.on(signal, () => process.exit(0));
