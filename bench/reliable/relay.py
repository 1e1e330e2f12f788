#!/usr/bin/env python3
"""Impaired link between two TUN devices, for bench/reliable (see run.ts).

Creates TUN devices --tun-a and --tun-b (IFF_TUN | IFF_NO_PI), prints "ready", then forwards every IP
packet read from one to the other after --delay-ms, dropping --loss-percent of them (seeded). Both
UDP and TCP cross the same link, which is the point: the kernel's loopback cannot be impaired from
user space here (no netem), and this relay can. The devices vanish when this process exits; it exits
when its standard input closes.
"""
import argparse
import fcntl
import heapq
import os
import random
import select
import struct
import sys
import time

TUNSETIFF = 0x400454CA
IFF_TUN = 0x0001
IFF_NO_PI = 0x1000


def open_tun(name: str) -> int:
    fd = os.open('/dev/net/tun', os.O_RDWR | os.O_NONBLOCK)
    fcntl.ioctl(fd, TUNSETIFF, struct.pack('16sH', name.encode(), IFF_TUN | IFF_NO_PI))
    return fd


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument('--tun-a', required=True)
    parser.add_argument('--tun-b', required=True)
    parser.add_argument('--delay-ms', type=float, default=50.0)
    parser.add_argument('--loss-percent', type=float, default=5.0)
    parser.add_argument('--seed', type=int, default=1)
    args = parser.parse_args()

    rng = random.Random(args.seed)
    fd_a = open_tun(args.tun_a)
    fd_b = open_tun(args.tun_b)
    other = {fd_a: fd_b, fd_b: fd_a}
    counters = {'forwarded': 0, 'dropped': 0}
    queue = []  # (deliver_at, order, target_fd, packet)
    order = 0
    print('ready', flush=True)

    stdin = sys.stdin.fileno()
    while True:
        now = time.monotonic()
        timeout = max(0.0, queue[0][0] - now) if queue else 0.5
        readable, _, _ = select.select([fd_a, fd_b, stdin], [], [], timeout)
        if stdin in readable and not os.read(stdin, 4096):
            break  # the harness went away: close the devices
        now = time.monotonic()
        for fd in readable:
            if fd == stdin:
                continue
            while True:
                try:
                    packet = os.read(fd, 65535)
                except BlockingIOError:
                    break
                if rng.random() * 100 < args.loss_percent:
                    counters['dropped'] += 1
                    continue
                heapq.heappush(queue, (now + args.delay_ms / 1000, order, other[fd], packet))
                order += 1
        now = time.monotonic()
        while queue and queue[0][0] <= now:
            _, _, target, packet = heapq.heappop(queue)
            try:
                os.write(target, packet)
                counters['forwarded'] += 1
            except OSError:
                counters['dropped'] += 1
    print(f"forwarded {counters['forwarded']} dropped {counters['dropped']}", file=sys.stderr, flush=True)


if __name__ == '__main__':
    main()
