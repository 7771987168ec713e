#!/usr/bin/env node
// A local Azure Blob Storage server for movierec's tests: Azurite's Blob
// service alone (no Queue or Table service), started through Azurite's own
// classes in this process, so the pid that testsupport/server.sh records is
// the server's and SIGTERM stops it.
//
//   - listens on 127.0.0.1 only, over plain HTTP, path-style URLs:
//     http://127.0.0.1:PORT/devstoreaccount1/<container>/<blob>;
//   - Azurite's well-known account devstoreaccount1 (key
//     Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==),
//     Shared Key, service and account SAS all accepted;
//   - data in a fresh temporary directory, removed on exit, so every start
//     is empty;
//   - telemetry off, x-ms-version not checked (skipApiVersionCheck), loose
//     mode (unsupported headers and parameters are ignored, not refused);
//   - no access log unless --access-log 1 (it goes to stdout, server.log).
//
// Usage: node server.js --port 10000 [--access-log 1]
// Prints "blob test server ready on http://127.0.0.1:PORT/devstoreaccount1".

"use strict";

const fs = require("fs");
const os = require("os");
const path = require("path");

const args = { port: 10000, "access-log": 0 };
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i += 2) {
  const key = argv[i].replace(/^--/, "");
  if (!(key in args)) {
    console.error(`unknown argument ${argv[i]}; usage: node server.js --port N [--access-log 1]`);
    process.exit(2);
  }
  args[key] = Number(argv[i + 1]);
}

// Azurite 3.x publishes no programmatic entry point for one service; these
// are the classes its own azurite-blob command (dist/src/blob/main.js) uses.
const azurite = path.dirname(require.resolve("azurite/package.json"));
const dist = (name) => require(path.join(azurite, "dist", "src", name));
const BlobServer = dist("blob/BlobServer").default;
const BlobConfiguration = dist("blob/BlobConfiguration").default;
const { DEFAULT_WRITE_CONCURRENCY_PER_LOCATION } = dist("blob/utils/constants");
const { AzuriteTelemetryClient } = dist("common/Telemetry");

const HOST = "127.0.0.1";
const location = fs.mkdtempSync(path.join(os.tmpdir(), "movierec-blob-"));
function removeData() {
  fs.rmSync(location, { recursive: true, force: true });
}

// Telemetry off: nothing initialises an Application Insights client.
AzuriteTelemetryClient.init(location, false, undefined);

const config = new BlobConfiguration(
  HOST,
  args.port,
  5, // keep-alive timeout, s (Azurite's default)
  path.join(location, "__azurite_db_blob__.json"),
  path.join(location, "__azurite_db_blob_extent__.json"),
  [{ locationId: "Default", locationPath: path.join(location, "__blobstorage__"), maxConcurrency: DEFAULT_WRITE_CONCURRENCY_PER_LOCATION }],
  args["access-log"] === 1, // access log, to stdout
  undefined,
  false, // debug log
  undefined,
  true, // loose
  true, // skipApiVersionCheck
);
const server = new BlobServer(config);

let stopping = false;
function stop(code) {
  if (stopping) return;
  stopping = true;
  // Give Azurite a moment to close its stores, but never hang on it.
  const timer = setTimeout(() => {
    removeData();
    process.exit(code);
  }, 2000);
  server
    .close()
    .catch(() => {})
    .finally(() => {
      clearTimeout(timer);
      removeData();
      process.exit(code);
    });
}
for (const signal of ["SIGTERM", "SIGINT"]) process.on(signal, () => stop(0));

server.start().then(
  () => {
    console.log(`blob test server data in ${location}`);
    console.log(`blob test server ready on http://${HOST}:${args.port}/devstoreaccount1`);
  },
  (err) => {
    console.error(`blob test server: cannot start on ${HOST}:${args.port}: ${err.message}`);
    removeData();
    process.exit(1);
  },
);
