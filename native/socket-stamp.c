/*
 * Socket arrival stamps for kitt's load client.
 *
 * A token's arrival time is when its bytes reach the client's socket, not when Node's event loop
 * gets round to the read: on a busy host that loop stalls for milliseconds at a time (garbage
 * collection, other streams' work, the scheduler), and every chunk read after a stall would be
 * stamped late by it. One native thread, with no JavaScript heap, waits on the load client's
 * sockets with its own epoll set (edge-triggered, beside libuv's) and, each time bytes arrive,
 * records the monotonic time and the socket's count of bytes received so far (TCP_INFO's
 * tcpi_bytes_received, Linux >= 4.1). It reads nothing: libuv still reads the bytes. JavaScript
 * then asks, for a byte offset in a socket's stream, when that byte had arrived.
 *
 * API (N-API, so one build serves Node 20 and 24 and every worker thread):
 *   watch(fd) -> slot (or -1)      start stamping a connected TCP socket
 *   release(slot)                  stop (call when the socket has closed)
 *   arrivedAt(slot, byteEnd) -> ms the earliest stamp whose byte count reached byteEnd, or NaN
 *   nowMs() -> ms                  this clock (CLOCK_MONOTONIC, as Node's performance.now())
 *   realtime() -> boolean          whether the thread got real-time priority (see stampLoop)
 */
#define _GNU_SOURCE
#include <node_api.h>
#include <errno.h>
#include <linux/tcp.h>
#include <math.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define SLOTS 4096
/* stamps kept per socket: far more than the reads one event-loop stall can leave unasked for */
#define RING 64
/* the shortest time between two wakes of the stamping thread, ms */
#ifndef COALESCE_MS
#define COALESCE_MS 0.1
#endif
/* the shortest time between two wakes of the stamping thread, ms */


typedef struct {
  double bytes;
  double atMs;
} stamp_t;

typedef struct {
  volatile int fd; /* -1: free */
  volatile uint32_t head;
  stamp_t ring[RING];
} slot_t;

static slot_t *slots;
static int epollFd = -1;
static int freeSlots[SLOTS];
static int freeCount;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
/* 0: not known yet, 1: the thread runs at real-time priority, -1: it was not allowed to */
static volatile int realtimeGranted;

static double monotonicMs(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* Notes, for each socket with news, how many bytes it has received by now. */
static void stampAll(const struct epoll_event *events, int n, double atMs) {
  for (int i = 0; i < n; i++) {
    slot_t *slot = &slots[events[i].data.u32];
    int fd = slot->fd;
    if (fd < 0) continue;
    struct tcp_info info;
    socklen_t size = sizeof info;
    if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &info, &size) != 0) continue;
    uint32_t head = slot->head;
    slot->ring[head % RING].bytes = (double)info.tcpi_bytes_received;
    slot->ring[head % RING].atMs = atMs;
    __atomic_store_n(&slot->head, head + 1, __ATOMIC_RELEASE);
  }
}

static void *stampLoop(void *unused) {
  (void)unused;
  struct epoll_event events[256];
  /* the pause below should last what it asks for, not the default 50 µs more */
  prctl(PR_SET_TIMERSLACK, 1000UL, 0, 0, 0);
  /*
   * A stamp is only as prompt as this thread's wake. Under the normal scheduler a woken thread can
   * wait a millisecond for a busy core; at the lowest real-time priority it runs at once. It works
   * microseconds a wake and always blocks again, so it cannot starve the host; where the user may
   * not ask for it (no root, no CAP_SYS_NICE) the call fails and the thread stays as it was.
   */
  struct sched_param realtime = {.sched_priority = 1};
  realtimeGranted = pthread_setschedparam(pthread_self(), SCHED_FIFO, &realtime) == 0 ? 1 : -1;
  double lastWakeMs = 0;
  for (;;) {
    int n = epoll_wait(epollFd, events, 256, -1);
    /* only a signal interrupts the wait; any other failure ends the thread rather than spin */
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    double atMs = monotonicMs();
    stampAll(events, n, atMs);
    /*
     * A wake costs a context switch, more than the stamps. When bytes come faster than one wake
     * per COALESCE_MS, pause for the rest of that time: what arrives meanwhile is stamped in one
     * batch when the pause ends, late by COALESCE_MS at most, and a busy client pays one wake per
     * COALESCE_MS rather than one per chunk.
     */
    if (atMs - lastWakeMs < COALESCE_MS) {
      struct timespec pause = {0, (long)((COALESCE_MS - (atMs - lastWakeMs)) * 1e6)};
      nanosleep(&pause, NULL);
    }
    lastWakeMs = atMs;
  }
  return NULL;
}

/* Starts the thread once per process; every worker thread's load shares it. */
static int ensureStarted(void) {
  pthread_mutex_lock(&lock);
  if (epollFd < 0) {
    if (slots == NULL) slots = calloc(SLOTS, sizeof(slot_t));
    int fd = slots ? epoll_create1(EPOLL_CLOEXEC) : -1;
    if (fd >= 0) {
      for (int i = 0; i < SLOTS; i++) {
        slots[i].fd = -1;
        freeSlots[i] = SLOTS - 1 - i;
      }
      freeCount = SLOTS;
      /* set before the thread starts: it waits on this set from its first instruction */
      epollFd = fd;
      pthread_t thread;
      if (pthread_create(&thread, NULL, stampLoop, NULL) == 0) {
        pthread_detach(thread);
      } else {
        epollFd = -1;
        close(fd);
      }
    }
  }
  int ok = epollFd >= 0;
  pthread_mutex_unlock(&lock);
  return ok;
}

static napi_value number(napi_env env, double value) {
  napi_value result;
  napi_create_double(env, value, &result);
  return result;
}

static int32_t intArg(napi_env env, napi_callback_info info, size_t index) {
  size_t argc = 2;
  napi_value argv[2];
  int32_t value = -1;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (index < argc) napi_get_value_int32(env, argv[index], &value);
  return value;
}

static double doubleArg(napi_env env, napi_callback_info info, size_t index) {
  size_t argc = 2;
  napi_value argv[2];
  double value = 0;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (index < argc) napi_get_value_double(env, argv[index], &value);
  return value;
}

static napi_value watch(napi_env env, napi_callback_info info) {
  int32_t fd = intArg(env, info, 0);
  if (fd < 0 || !ensureStarted()) return number(env, -1);
  pthread_mutex_lock(&lock);
  int id = freeCount > 0 ? freeSlots[--freeCount] : -1;
  pthread_mutex_unlock(&lock);
  if (id < 0) return number(env, -1);
  slots[id].head = 0;
  slots[id].fd = fd;
  struct epoll_event event = {.events = EPOLLIN | EPOLLRDHUP | EPOLLET, .data.u32 = (uint32_t)id};
  if (epoll_ctl(epollFd, EPOLL_CTL_ADD, fd, &event) != 0) {
    slots[id].fd = -1;
    pthread_mutex_lock(&lock);
    freeSlots[freeCount++] = id;
    pthread_mutex_unlock(&lock);
    return number(env, -1);
  }
  return number(env, id);
}

/* The socket has closed, which took it out of the epoll set; the slot is free for another. */
static napi_value release(napi_env env, napi_callback_info info) {
  int32_t id = intArg(env, info, 0);
  if (id < 0 || id >= SLOTS || slots == NULL || slots[id].fd < 0) return NULL;
  slots[id].fd = -1;
  pthread_mutex_lock(&lock);
  freeSlots[freeCount++] = id;
  pthread_mutex_unlock(&lock);
  return NULL;
}

static napi_value arrivedAt(napi_env env, napi_callback_info info) {
  int32_t id = intArg(env, info, 0);
  double byteEnd = doubleArg(env, info, 1);
  if (id < 0 || id >= SLOTS || slots == NULL) return number(env, NAN);
  slot_t *slot = &slots[id];
  uint32_t head = __atomic_load_n(&slot->head, __ATOMIC_ACQUIRE);
  double found = NAN;
  /* newest first: stamps grow with the byte count, so the last one still reaching byteEnd is the earliest */
  for (uint32_t k = 0; k < RING && k < head; k++) {
    const stamp_t *stamp = &slot->ring[(head - 1 - k) % RING];
    if (stamp->bytes < byteEnd) break;
    found = stamp->atMs;
  }
  return number(env, found);
}

static napi_value realtime(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value result;
  napi_get_boolean(env, realtimeGranted == 1, &result);
  return result;
}

static napi_value nowMs(napi_env env, napi_callback_info info) {
  (void)info;
  return number(env, monotonicMs());
}

NAPI_MODULE_INIT() {
  napi_property_descriptor methods[] = {
      {"watch", NULL, watch, NULL, NULL, NULL, napi_default, NULL},
      {"release", NULL, release, NULL, NULL, NULL, napi_default, NULL},
      {"arrivedAt", NULL, arrivedAt, NULL, NULL, NULL, napi_default, NULL},
      {"nowMs", NULL, nowMs, NULL, NULL, NULL, napi_default, NULL},
      {"realtime", NULL, realtime, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_define_properties(env, exports, sizeof methods / sizeof methods[0], methods);
  return exports;
}
