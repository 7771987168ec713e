"""An OTLP/HTTP sink for benchmarks: answers every POST (a trace export) with an empty
ExportTraceServiceResponse and counts the bytes, so that the app's exporter runs as it would
against a collector. Prints its address, then serves until killed.

Usage: python3 bench/otlp_sink.py   (prints http://127.0.0.1:PORT)
"""
import http.server
import sys


class Sink(http.server.BaseHTTPRequestHandler):
    received = 0

    def do_POST(self):
        length = int(self.headers.get("content-length", 0))
        Sink.received += len(self.rfile.read(length))
        self.send_response(200)
        self.send_header("content-type", "application/x-protobuf")
        self.send_header("content-length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Sink)
print(f"http://127.0.0.1:{server.server_address[1]}", flush=True)
try:
    server.serve_forever()
finally:
    print(f"received {Sink.received} bytes", file=sys.stderr)
