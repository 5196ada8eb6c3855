"""A real SMTP server for the tests: accepts every message and saves it as `N.eml` in a
directory. Usage: smtp_sink.py PORT DIR. Prints `ready` once listening; stops when its
standard input closes."""

import pathlib
import sys

from aiosmtpd.controller import Controller


class SaveToDirectory:
    def __init__(self, directory):
        self.directory = pathlib.Path(directory)
        self.count = 0

    async def handle_DATA(self, server, session, envelope):
        self.count += 1
        staging = self.directory / f".{self.count}.tmp"
        staging.write_bytes(envelope.original_content or envelope.content)
        staging.rename(self.directory / f"{self.count}.eml")
        return "250 Message accepted for delivery"


def main():
    port, directory = int(sys.argv[1]), sys.argv[2]
    controller = Controller(SaveToDirectory(directory), hostname="127.0.0.1", port=port)
    controller.start()
    print("ready", flush=True)
    sys.stdin.read()
    controller.stop()


if __name__ == "__main__":
    main()
