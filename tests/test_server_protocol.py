"""The transport under `qrt serve`'s HTTP protocol sends a response's pieces as one write.

uvicorn writes the status line and headers, then the body; the wrapper must hand them to
the socket's transport as one write once the loop turns, still deliver what is held when
the connection is closed, and deliver nothing when it is aborted (the fault injector's
dropped connection). The transport under it here records writes instead of sending them.
"""

from __future__ import annotations

import asyncio

from tui.server.protocol import CoalescingTransport


class RecordingTransport(asyncio.Transport):
    def __init__(self) -> None:
        super().__init__()
        self.writes: list[bytes] = []
        self.closed = False
        self.aborted = False

    def write(self, data: bytes | bytearray | memoryview) -> None:
        self.writes.append(bytes(data))

    def close(self) -> None:
        self.closed = True

    def abort(self) -> None:
        self.aborted = True

    def is_closing(self) -> bool:
        return self.closed or self.aborted

    def get_extra_info(self, name: str, default: object = None) -> object:
        return ("127.0.0.1", 8000) if name == "sockname" else default


async def test_writes_in_one_turn_of_the_loop_leave_as_one() -> None:
    real = RecordingTransport()
    transport = CoalescingTransport(real, asyncio.get_running_loop())
    transport.write(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n")
    transport.write(b"{}")
    transport.write(b"")  # h11's end of message for a sized body
    assert real.writes == []
    await asyncio.sleep(0)
    assert real.writes == [b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n{}"]
    transport.write(b"next")
    await asyncio.sleep(0)
    assert real.writes[1:] == [b"next"]
    assert transport.get_extra_info("sockname") == ("127.0.0.1", 8000)  # the rest is the real one's


async def test_close_delivers_what_is_held_and_abort_drops_it() -> None:
    loop = asyncio.get_running_loop()
    closed, aborted = RecordingTransport(), RecordingTransport()
    closing, aborting = CoalescingTransport(closed, loop), CoalescingTransport(aborted, loop)
    for transport in (closing, aborting):
        transport.write(b"HTTP/1.1 400 Bad Request\r\n")
    closing.close()
    aborting.abort()
    assert closed.writes == [b"HTTP/1.1 400 Bad Request\r\n"] and closed.closed
    await asyncio.sleep(0)
    assert aborted.writes == [] and aborted.aborted and aborting.is_closing()
    assert closed.writes == [b"HTTP/1.1 400 Bad Request\r\n"]  # not sent a second time
