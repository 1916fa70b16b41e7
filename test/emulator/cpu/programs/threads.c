// POSIX threads as glibc implements them on Linux (clone, futex, set_tid_address, TLS): workers that share a
// mutex-protected total, a condition-variable handshake, a barrier, thread-local storage, join results, timed waits
// and detached threads. Prints only what does not depend on the interleaving, so every correct kernel prints the same.
#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/syscall.h>

#define WORKERS 4
#define ROUNDS 2000

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t turn_changed = PTHREAD_COND_INITIALIZER;
static pthread_barrier_t barrier;
static long long total;
static int turn;
static __thread int tls_value = 7;
static unsigned long long ping_pong_log;

struct job {
  int id;
  long long sum;
};

static void *worker(void *arg) {
  struct job *job = arg;
  tls_value = job->id * 100;  // each thread's own copy
  for (int i = 1; i <= ROUNDS; i++) {
    job->sum += (long long)i * (job->id + 1);
    pthread_mutex_lock(&lock);
    total += i;
    pthread_mutex_unlock(&lock);
    if (i % 500 == 0) sched_yield();
  }
  int serial = pthread_barrier_wait(&barrier);
  return (void *)(intptr_t)(tls_value + (serial == PTHREAD_BARRIER_SERIAL_THREAD ? 0 : 0));
}

// Two threads take turns 0, 1, 0, 1, ... through a condition variable; each logs its turn.
static void *ping_pong(void *arg) {
  int me = (int)(intptr_t)arg;
  for (int n = 0; n < 10; n++) {
    pthread_mutex_lock(&lock);
    while (turn != me) pthread_cond_wait(&turn_changed, &lock);
    ping_pong_log = ping_pong_log * 2 + (unsigned long long)me;
    turn = 1 - me;
    pthread_cond_broadcast(&turn_changed);
    pthread_mutex_unlock(&lock);
  }
  return NULL;
}

static sem_t detached_done;

static void *detached(void *arg) {
  (void)arg;
  sem_post(&detached_done);
  return NULL;
}

int main(void) {
  pthread_t threads[WORKERS];
  struct job jobs[WORKERS];
  pthread_barrier_init(&barrier, NULL, WORKERS);
  for (int i = 0; i < WORKERS; i++) {
    jobs[i] = (struct job){ .id = i, .sum = 0 };
    if (pthread_create(&threads[i], NULL, worker, &jobs[i]) != 0) return 1;
  }
  for (int i = 0; i < WORKERS; i++) {
    void *result;
    pthread_join(threads[i], &result);
    printf("worker %d: sum %lld, its tls_value %d\n", i, jobs[i].sum, (int)(intptr_t)result);
  }
  printf("total %lld (expected %lld), main's tls_value %d\n", total, (long long)WORKERS * ROUNDS * (ROUNDS + 1) / 2, tls_value);

  pthread_t a, b;
  pthread_create(&a, NULL, ping_pong, (void *)0);
  pthread_create(&b, NULL, ping_pong, (void *)1);
  pthread_join(a, NULL);
  pthread_join(b, NULL);
  printf("ping-pong turns 0x%llx\n", ping_pong_log);

  // A timed wait that nobody signals times out.
  struct timespec deadline;
  clock_gettime(CLOCK_REALTIME, &deadline);
  deadline.tv_nsec += 20 * 1000 * 1000;
  if (deadline.tv_nsec >= 1000000000) { deadline.tv_sec++; deadline.tv_nsec -= 1000000000; }
  pthread_mutex_lock(&lock);
  int r = pthread_cond_timedwait(&turn_changed, &lock, &deadline);
  pthread_mutex_unlock(&lock);
  printf("timed wait: %s\n", r == ETIMEDOUT ? "ETIMEDOUT" : strerror(r));

  // A detached thread signals a semaphore.
  sem_init(&detached_done, 0, 0);
  pthread_t d;
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
  pthread_create(&d, &attr, detached, NULL);
  sem_wait(&detached_done);
  printf("detached thread ran; main is thread %s\n", syscall(SYS_gettid) == getpid() ? "== pid" : "!= pid");
  return 0;
}
