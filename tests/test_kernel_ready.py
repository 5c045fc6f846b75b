"""A kernel counts as ready once it has answered on its shell channel and that answer's
status has come through IOPub: no waiting for IOPub to fall silent, which jupyter_client
does and which left both cores idle at every kernel's start and first brief."""

import asyncio
import itertools
from queue import Empty

import pytest

from analysis.batch.kernels import _wait_until_ready


class Channel:
    """Hands out queued messages; raises Empty, as a channel does on timeout, when none is
    left, and counts how often it was asked."""

    def __init__(self):
        self.queue, self.asked = [], 0

    async def get_msg(self, timeout=None):
        self.asked += 1
        if not self.queue:
            raise Empty
        return self.queue.pop(0)


def status(parent: str, state: str) -> dict:
    return {"msg_type": "status", "parent_header": {"msg_id": parent},
            "content": {"execution_state": state}}


class FakeClient:
    """A client whose kernel answers kernel_info on shell at once, and on IOPub only from
    the `connected_from`-th request on (a subscriber that joined late misses the rest)."""

    def __init__(self, connected_from: int = 1, alive: bool = True):
        self.shell_channel, self.iopub_channel = Channel(), Channel()
        self.requests, self.connected_from, self.alive = 0, connected_from, alive
        self.handled = None
        self._ids = (f"req-{i}" for i in itertools.count(1))

    def kernel_info(self) -> str:
        msg_id = next(self._ids)
        self.requests += 1
        self.shell_channel.queue.append({"msg_type": "kernel_info_reply",
                                         "parent_header": {"msg_id": msg_id}})
        if self.requests >= self.connected_from:
            self.iopub_channel.queue += [status("someone-else", "idle"),
                                         status(msg_id, "busy"), status(msg_id, "idle")]
        return msg_id

    def _handle_kernel_info_reply(self, msg):
        self.handled = msg

    async def _async_is_alive(self):
        return self.alive


def test_ready_as_soon_as_its_own_idle_status_arrives():
    client = FakeClient()
    asyncio.run(_wait_until_ready(client, timeout=5))
    assert client.requests == 1
    assert client.iopub_channel.asked == 3  # and not once more, to wait for silence
    assert client.handled["parent_header"]["msg_id"] == "req-1"


def test_a_late_iopub_subscriber_is_asked_again():
    client = FakeClient(connected_from=3)
    asyncio.run(_wait_until_ready(client, timeout=5))
    assert client.requests == 3
    assert client.handled["parent_header"]["msg_id"] == "req-3"


def test_a_dead_kernel_is_said_to_be_dead():
    client = FakeClient(connected_from=10**6, alive=False)
    with pytest.raises(RuntimeError, match="died"):
        asyncio.run(_wait_until_ready(client, timeout=5))


def test_a_kernel_that_never_connects_times_out():
    client = FakeClient(connected_from=10**6)
    with pytest.raises(RuntimeError, match="didn't respond"):
        asyncio.run(_wait_until_ready(client, timeout=0.05))
