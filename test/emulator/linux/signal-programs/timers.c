// POSIX timers: SIGEV_SIGNAL with its value in the handler's siginfo (SI_TIMER), periodic and absolute timers,
// timer_gettime and timer_delete, and SIGEV_THREAD (glibc's helper thread waits for the timer's signal and runs the
// function in a thread). Prints what happens; qemu-arm is the reference.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/signalfd.h>
#include <sys/time.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static volatile int fired, value, code;
static void on_timer(int signo, siginfo_t *info, void *uc) {
  (void)signo;
  (void)uc;
  fired++;
  value = info->si_value.sival_int;
  code = info->si_code;
}

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t ran = PTHREAD_COND_INITIALIZER;
static int thread_value;
static void in_thread(union sigval v) {
  pthread_mutex_lock(&lock);
  thread_value = v.sival_int;
  pthread_cond_signal(&ran);
  pthread_mutex_unlock(&lock);
}

int main(void) {
  setvbuf(stdout, NULL, _IONBF, 0);
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = on_timer;
  sa.sa_flags = SA_SIGINFO;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGUSR1, &sa, NULL);

  timer_t t;
  struct sigevent ev;
  memset(&ev, 0, sizeof ev);
  ev.sigev_notify = SIGEV_SIGNAL;
  ev.sigev_signo = SIGUSR1;
  ev.sigev_value.sival_int = 77;
  printf("timer_create: %d\n", timer_create(CLOCK_MONOTONIC, &ev, &t));
  struct itimerspec once = { { 0, 0 }, { 0, 10000000 } }, now;
  timer_settime(t, 0, &once, NULL);
  timer_gettime(t, &now);
  printf("armed: %d\n", now.it_value.tv_sec == 0 && now.it_value.tv_nsec > 0 && now.it_value.tv_nsec <= 10000000);
  while (fired == 0) pause();
  printf("fired %d, si_code %d (SI_TIMER %d), value %d\n", fired, code, SI_TIMER, value);
  timer_gettime(t, &now);
  printf("after it: %ld.%09ld\n", (long)now.it_value.tv_sec, now.it_value.tv_nsec);

  struct itimerspec every = { { 0, 5000000 }, { 0, 5000000 } };
  timer_settime(t, 0, &every, NULL);
  while (fired < 4) pause();
  timer_gettime(t, &now);
  // (qemu-arm's timer runs on the host's clock: another tick may come before the line is printed.)
  printf("periodic: at least 4 in all, interval %ld ns\n", now.it_interval.tv_nsec);
  struct itimerspec off = { { 0, 0 }, { 0, 0 } }, was;
  timer_settime(t, 0, &off, &was);
  printf("disarmed; it was periodic: %d\n", was.it_interval.tv_nsec == 5000000);

  int before = fired;  // after the disarm: a tick still pending then was delivered as timer_settime returned
  struct timespec at;
  clock_gettime(CLOCK_MONOTONIC, &at);
  at.tv_nsec += 10000000;
  if (at.tv_nsec >= 1000000000) { at.tv_sec++; at.tv_nsec -= 1000000000; }
  struct itimerspec absolute = { { 0, 0 }, at };
  timer_settime(t, TIMER_ABSTIME, &absolute, NULL);
  while (fired == before) pause();
  printf("absolute timer fired once: %d\n", fired == before + 1);

  printf("timer_delete: %d\n", timer_delete(t));
  errno = 0;
  int r = timer_settime(t, 0, &once, NULL);
  printf("timer_settime after delete: %d %s\n", r, strerror(errno));
  errno = 0;
  r = timer_create(CLOCK_PROCESS_CPUTIME_ID + 100, &ev, &t);
  printf("timer_create on a bad clock: %d %s\n", r, strerror(errno));

  memset(&ev, 0, sizeof ev);
  ev.sigev_notify = SIGEV_THREAD;
  ev.sigev_notify_function = in_thread;
  ev.sigev_value.sival_int = 99;
  timer_t tt;
  printf("SIGEV_THREAD timer_create: %d\n", timer_create(CLOCK_REALTIME, &ev, &tt));
  pthread_mutex_lock(&lock);
  timer_settime(tt, 0, &once, NULL);
  while (thread_value == 0) pthread_cond_wait(&ran, &lock);
  pthread_mutex_unlock(&lock);
  printf("SIGEV_THREAD function ran with %d\n", thread_value);
  timer_delete(tt);

  // signalfd: the blocked signals of its mask are read from it instead of delivered.
  sigset_t mask;
  sigemptyset(&mask);
  sigaddset(&mask, SIGUSR2);
  sigaddset(&mask, SIGALRM);
  sigprocmask(SIG_BLOCK, &mask, NULL);
  int sfd = signalfd(-1, &mask, SFD_NONBLOCK);
  struct signalfd_siginfo si[2];
  errno = 0;
  printf("signalfd read with nothing pending: %d %s\n", (int)read(sfd, si, sizeof si), strerror(errno));
  raise(SIGUSR2);
  sigqueue(getpid(), SIGALRM, (union sigval){ .sival_int = 31 });
  struct pollfd p = { .fd = sfd, .events = POLLIN };
  printf("poll: %d, revents POLLIN %d\n", poll(&p, 1, 0), (p.revents & POLLIN) != 0);
  ssize_t n = read(sfd, si, sizeof si);
  printf("read %d bytes: %s code %d, %s code %d int %d\n", (int)n, si[0].ssi_signo == SIGUSR2 ? "USR2" : "?", si[0].ssi_code, si[1].ssi_signo == SIGALRM ? "ALRM" : "?", si[1].ssi_code, si[1].ssi_int);
  printf("pid is ours: %d %d\n", si[0].ssi_pid == (unsigned)getpid(), si[1].ssi_pid == (unsigned)getpid());
  // A blocking read waits for the timer's SIGALRM.
  int blocking = signalfd(sfd, &mask, 0);
  fcntl(sfd, F_SETFL, 0);
  struct itimerval soon = { { 0, 0 }, { 0, 10000 } };
  setitimer(ITIMER_REAL, &soon, NULL);
  n = read(sfd, si, sizeof si[0]);
  printf("signalfd(fd) returns it: %d; blocking read %d bytes: %s code 0x%x\n", blocking == sfd, (int)n, si[0].ssi_signo == SIGALRM ? "ALRM" : "?", si[0].ssi_code);
  close(sfd);
  return 0;
}
