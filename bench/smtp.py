"""Local mail servers for the worker tests and the benchmark (no mail leaves the machine).

- RecordingSMTPServer: enough SMTP for smtplib; records a message only once it has answered
  250 to its data, as a real server commits it. With `stall` set it receives the data and
  then never answers, like a server that hangs: a worker killed then has sent nothing.
- BlackHoleSMTPServer: accepts connections and never says a word.
"""

import email
import socket
import socketserver
import threading


class _Handler(socketserver.StreamRequestHandler):
    timeout = 120

    def reply(self, line):
        self.wfile.write(line.encode() + b"\r\n")

    def handle(self):
        server = self.server
        self.reply("220 localhost test SMTP")
        recipients = []
        while True:
            line = self.rfile.readline()
            if not line:
                return
            verb = line.decode(errors="replace").strip().split(" ", 1)[0].upper()
            if verb in ("EHLO", "HELO"):
                self.reply("250 localhost")
            elif verb == "MAIL":
                recipients = []
                self.reply("250 OK")
            elif verb == "RCPT":
                recipients.append(line.decode().split(":", 1)[1].strip().strip("<>"))
                self.reply("250 OK")
            elif verb == "DATA":
                self.reply("354 End data with <CR><LF>.<CR><LF>")
                data = self.read_data()
                if data is None:
                    return
                if server.stall.is_set():
                    server.stalled.set()
                    while self.rfile.readline():  # until the client goes away
                        pass
                    return
                server.record(recipients, data)
                self.reply("250 OK queued")
            elif verb == "QUIT":
                self.reply("221 Bye")
                return
            elif verb in ("RSET", "NOOP"):
                self.reply("250 OK")
            else:
                self.reply("502 Not implemented")

    def read_data(self):
        lines = []
        while True:
            line = self.rfile.readline()
            if not line:
                return None
            if line in (b".\r\n", b".\n"):
                return b"".join(lines)
            lines.append(line[1:] if line.startswith(b"..") else line)


class RecordingSMTPServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), _Handler)
        self.port = self.server_address[1]
        self.messages = []  # [(recipients, email.message.Message)]
        self.lock = threading.Lock()
        self.stall = threading.Event()
        self.stalled = threading.Event()

    def record(self, recipients, data):
        with self.lock:
            self.messages.append((recipients, email.message_from_bytes(data)))

    def __enter__(self):
        threading.Thread(target=self.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc):
        self.shutdown()
        self.server_close()


class BlackHoleSMTPServer:
    """Accepts every connection and never answers (holds the sockets open)."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        self.held = []
        self.running = True

    def _accept(self):
        while self.running:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.held.append(conn)

    def __enter__(self):
        threading.Thread(target=self._accept, daemon=True).start()
        return self

    def __exit__(self, *exc):
        self.running = False
        self.sock.close()
        for conn in self.held:
            conn.close()
