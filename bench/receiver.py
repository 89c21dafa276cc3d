"""A loopback HTTP receiver for the delivery benchmarks: answers every POST 200 (HTTP/1.1, keep-alive)
and writes the number received so far to a file. Usage: receiver.py PORT COUNT_FILE"""
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

port, path = int(sys.argv[1]), sys.argv[2]
lock = threading.Lock()
count = 0


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self):
        global count
        self.rfile.read(int(self.headers.get("content-length", 0)))
        self.send_response(200)
        self.send_header("content-length", "0")
        self.end_headers()
        with lock:
            count += 1
            with open(path, "w") as f:
                f.write(str(count))

    def log_message(self, *args):
        pass


ThreadingHTTPServer(("127.0.0.1", port), Handler).serve_forever()
