// Exports: sml_mpi_watch_peers, sml_mpi_first_dead_peer.
#include "CMPILoader.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

static int32_t watched_pids[SML_MPI_WATCHED_RANKS];
static int watched_count = 0;
static int own_rank = -1;
static void (*cleanup_hook)(void) = NULL;
static struct sigaction previous_action;

int sml_mpi_first_dead_peer(void) {
  for (int rank = 0; rank < watched_count; rank++) {
    if (rank == own_rank || watched_pids[rank] <= 0) continue;
    if (kill(watched_pids[rank], 0) != 0 && errno == ESRCH) return rank;
  }
  return -1;
}

/// Writes the decimal digits of a non-negative `value` into `text`; returns their count (async-signal safe).
static size_t write_decimal(char *text, int value) {
  char digits[16];
  size_t count = 0;
  do {
    digits[count++] = (char)('0' + value % 10);
    value /= 10;
  } while (value > 0 && count < sizeof digits);
  for (size_t i = 0; i < count; i++) text[i] = digits[count - 1 - i];
  return count;
}

static void append(char *text, size_t *length, size_t capacity, const char *piece) {
  size_t n = strlen(piece);
  if (*length + n >= capacity) n = capacity - 1 - *length;
  memcpy(text + *length, piece, n);
  *length += n;
}

static void handle_termination(int signal_number) {
  int saved_errno = errno;
  int dead = sml_mpi_first_dead_peer();
  if (dead >= 0) {
    char message[256];
    size_t length = 0;
    append(message, &length, sizeof message, "structml: rank ");
    length += write_decimal(message + length, dead);
    append(message, &length, sizeof message, " failed: its process ended, and mpirun is stopping the job; rank ");
    length += write_decimal(message + length, own_rank);
    append(message, &length, sizeof message, " exits\n");
    ssize_t ignored = write(STDERR_FILENO, message, length);
    (void)ignored;
    if (cleanup_hook != NULL) cleanup_hook();
    _exit(1);
  }
  errno = saved_errno;
  if (previous_action.sa_handler == SIG_DFL || previous_action.sa_handler == SIG_IGN) {
    signal(signal_number, previous_action.sa_handler);
    raise(signal_number);
  } else {
    previous_action.sa_handler(signal_number);
  }
}

int sml_mpi_watch_peers(const int32_t *pids, int count, int self_rank, void (*cleanup)(void)) {
  if (count > SML_MPI_WATCHED_RANKS) count = SML_MPI_WATCHED_RANKS;
  memcpy(watched_pids, pids, (size_t)count * sizeof pids[0]);
  watched_count = count;
  own_rank = self_rank;
  cleanup_hook = cleanup;
  struct sigaction action;
  memset(&action, 0, sizeof action);
  action.sa_handler = handle_termination;
  sigemptyset(&action.sa_mask);
  sigaddset(&action.sa_mask, SIGINT);
  sigaddset(&action.sa_mask, SIGHUP);
  return sigaction(SIGTERM, &action, &previous_action);
}
