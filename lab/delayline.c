/*
 * globehop lab: userspace L2 delay line, for kernels without sch_netem.
 *
 *   delayline IF_A IF_B DELAY_US
 *
 * Forwards every frame seen on IF_A to IF_B and back, each held DELAY_US microseconds.
 * AF_PACKET sockets with PACKET_VNET_HDR so GSO/checksum-offloaded frames pass unchanged
 * (the virtio_net_hdr read with a frame is written back with it); frames this process sent
 * (PACKET_OUTGOING) are ignored so nothing loops. One FIFO per direction: the delay is
 * constant per direction, so arrival order is release order. Frames are dropped when a
 * queue holds more than QUEUE_CAP bytes or the kernel refuses them (TCP copes, like a WAN).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#ifndef PACKET_IGNORE_OUTGOING
#define PACKET_IGNORE_OUTGOING 23
#endif

#define FRAME_MAX (65536 + 512)
#define QUEUE_CAP (64u << 20)

struct frame {
  struct frame *next;
  uint64_t due_ns;
  size_t len;
  unsigned char data[];
};

struct queue {
  struct frame *head, *tail;
  size_t bytes;
  unsigned long dropped;
};

static volatile sig_atomic_t stop;
static void on_signal(int sig) { (void)sig; stop = 1; }

static uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void die(const char *what, const char *ifname) {
  fprintf(stderr, "delayline: %s %s: %s\n", what, ifname ? ifname : "", strerror(errno));
  exit(1);
}

static int open_port(const char *ifname) {
  int fd = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK, htons(ETH_P_ALL));
  if (fd < 0) die("socket", ifname);
  int one = 1;
  if (setsockopt(fd, SOL_PACKET, PACKET_VNET_HDR, &one, sizeof one) < 0) die("PACKET_VNET_HDR", ifname);
  /* Best effort: older kernels lack it; the pkttype check below covers them. */
  setsockopt(fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof one);
  int buf = 8 << 20;
  setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &buf, sizeof buf);
  setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &buf, sizeof buf);
  unsigned idx = if_nametoindex(ifname);
  if (idx == 0) die("no such interface", ifname);
  struct sockaddr_ll sll = {0};
  sll.sll_family = AF_PACKET;
  sll.sll_protocol = htons(ETH_P_ALL);
  sll.sll_ifindex = (int)idx;
  if (bind(fd, (struct sockaddr *)&sll, sizeof sll) < 0) die("bind", ifname);
  struct packet_mreq mr = {0};
  mr.mr_ifindex = (int)idx;
  mr.mr_type = PACKET_MR_PROMISC;
  if (setsockopt(fd, SOL_PACKET, PACKET_ADD_MEMBERSHIP, &mr, sizeof mr) < 0) die("promisc", ifname);
  return fd;
}

/* Reads every pending frame from `in` into `q`, each due `delay_ns` from now. */
static void receive(int in, struct queue *q, uint64_t delay_ns, unsigned char *buf) {
  for (;;) {
    struct sockaddr_ll from;
    socklen_t fromlen = sizeof from;
    ssize_t n = recvfrom(in, buf, FRAME_MAX, MSG_TRUNC, (struct sockaddr *)&from, &fromlen);
    if (n < 0) return; /* EAGAIN: drained */
    if (from.sll_pkttype == PACKET_OUTGOING) continue;
    if (n > FRAME_MAX || q->bytes + (size_t)n > QUEUE_CAP) {
      q->dropped++;
      continue;
    }
    struct frame *f = malloc(sizeof *f + (size_t)n);
    if (!f) {
      q->dropped++;
      continue;
    }
    f->next = NULL;
    f->due_ns = now_ns() + delay_ns;
    f->len = (size_t)n;
    memcpy(f->data, buf, (size_t)n);
    if (q->tail) q->tail->next = f; else q->head = f;
    q->tail = f;
    q->bytes += (size_t)n;
  }
}

/* Sends every frame of `q` that is due; returns ns until the next one is due (or -1). */
static int64_t release(int out, struct queue *q) {
  uint64_t now = now_ns();
  while (q->head && q->head->due_ns <= now) {
    struct frame *f = q->head;
    if (send(out, f->data, f->len, MSG_DONTWAIT) < 0) q->dropped++;
    q->head = f->next;
    if (!q->head) q->tail = NULL;
    q->bytes -= f->len;
    free(f);
  }
  return q->head ? (int64_t)(q->head->due_ns - now) : -1;
}

int main(int argc, char **argv) {
  if (argc != 4) {
    fprintf(stderr, "usage: delayline IF_A IF_B DELAY_US\n");
    return 2;
  }
  uint64_t delay_ns = strtoull(argv[3], NULL, 10) * 1000ull;
  int a = open_port(argv[1]);
  int b = open_port(argv[2]);
  signal(SIGTERM, on_signal);
  signal(SIGINT, on_signal);
  unsigned char *buf = malloc(FRAME_MAX);
  if (!buf) die("malloc", NULL);
  struct queue a_to_b = {0}, b_to_a = {0};
  struct pollfd p[2] = {{.fd = a, .events = POLLIN}, {.fd = b, .events = POLLIN}};
  fprintf(stderr, "delayline: %s <-> %s, %llu us each way\n", argv[1], argv[2], (unsigned long long)(delay_ns / 1000));
  while (!stop) {
    int64_t wait_ab = release(b, &a_to_b);
    int64_t wait_ba = release(a, &b_to_a);
    int64_t wait = wait_ab < 0 ? wait_ba : (wait_ba < 0 ? wait_ab : (wait_ab < wait_ba ? wait_ab : wait_ba));
    struct timespec ts, *tsp = NULL;
    if (wait >= 0) {
      ts.tv_sec = wait / 1000000000;
      ts.tv_nsec = wait % 1000000000;
      tsp = &ts;
    }
    int r = ppoll(p, 2, tsp, NULL);
    if (r < 0 && errno != EINTR) die("poll", NULL);
    if (r > 0) {
      if (p[0].revents & POLLIN) receive(a, &a_to_b, delay_ns, buf);
      if (p[1].revents & POLLIN) receive(b, &b_to_a, delay_ns, buf);
      if ((p[0].revents | p[1].revents) & (POLLERR | POLLNVAL)) {
        fprintf(stderr, "delayline: interface gone\n");
        break;
      }
    }
  }
  fprintf(stderr, "delayline: exit, dropped %lu/%lu\n", a_to_b.dropped, b_to_a.dropped);
  return 0;
}
