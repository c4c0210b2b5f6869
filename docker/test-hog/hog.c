/*
 * kitt/test-hog: a tiny static program for container limit tests.
 *   hog [--mem MiB] [--step-mib MiB] [--spin THREADS] [--seconds N] [--ignore-term]
 * Allocates and touches MiB of memory (in steps, so an OOM kill happens at the limit), spins
 * THREADS busy loops, prints what it did, then sleeps until SIGTERM or N seconds (0 = forever).
 * As PID 1 in a container it must handle SIGTERM itself: the kernel ignores signals PID 1 has no
 * handler for, which would turn every stop into a SIGKILL after the grace period.
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static void on_term(int sig) { (void)sig; _exit(0); }

static void *spin(void *arg) {
  volatile unsigned long x = 0;
  (void)arg;
  for (;;) x++;
  return NULL;
}

int main(int argc, char **argv) {
  long mem_mib = 0, step_mib = 8, threads = 0, seconds = 0;
  int ignore_term = 0;
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--mem") && i + 1 < argc) mem_mib = atol(argv[++i]);
    else if (!strcmp(argv[i], "--step-mib") && i + 1 < argc) step_mib = atol(argv[++i]);
    else if (!strcmp(argv[i], "--spin") && i + 1 < argc) threads = atol(argv[++i]);
    else if (!strcmp(argv[i], "--seconds") && i + 1 < argc) seconds = atol(argv[++i]);
    else if (!strcmp(argv[i], "--ignore-term")) ignore_term = 1;
    else { fprintf(stderr, "unknown argument %s\n", argv[i]); return 2; }
  }
  signal(SIGTERM, ignore_term ? SIG_IGN : on_term);
  signal(SIGINT, on_term);
  printf("hog: starting mem=%ld MiB spin=%ld\n", mem_mib, threads);
  fflush(stdout);
  for (long done = 0; done < mem_mib; done += step_mib) {
    long chunk = (mem_mib - done < step_mib ? mem_mib - done : step_mib) << 20;
    char *p = malloc(chunk);
    if (!p) { fprintf(stderr, "hog: malloc failed at %ld MiB\n", done); return 3; }
    memset(p, 1, chunk); /* touch every page so it counts against the cgroup */
  }
  for (long t = 0; t < threads; t++) {
    pthread_t id;
    pthread_create(&id, NULL, spin, NULL);
  }
  printf("hog: ready\n");
  fflush(stdout);
  if (seconds > 0) { sleep((unsigned)seconds); return 0; }
  for (;;) pause();
}
