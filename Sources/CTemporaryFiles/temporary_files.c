#include "CTemporaryFiles.h"

#include <signal.h>
#include <stdatomic.h>
#include <string.h>
#include <unistd.h>

// Each slot is a sequence lock around a path buffer: `sequence` is odd while the path is being written, and
// `registered` says whether the slot holds a live registration. The signal handler copies a path, then
// checks that the sequence did not move while it copied, so it never acts on a half-written path. A copy of
// a path that was unregistered meanwhile is harmless: that file was renamed or removed, so `unlink` finds
// nothing (temporary names are unique).
typedef struct {
  atomic_uint sequence;
  atomic_int registered;
  char path[SML_TEMPORARY_FILES_PATH_CAPACITY];
} slot_t;

static slot_t slots[SML_TEMPORARY_FILES_CAPACITY];

int sml_temporary_files_register(const char *path) {
  size_t length = strlen(path);
  if (length >= SML_TEMPORARY_FILES_PATH_CAPACITY) return -1;
  for (int index = 0; index < SML_TEMPORARY_FILES_CAPACITY; index++) {
    slot_t *slot = &slots[index];
    int expected = 0;
    // 0 → 2 claims the slot; 2 means "claimed, not yet readable", 1 "registered and readable".
    if (!atomic_compare_exchange_strong(&slot->registered, &expected, 2)) continue;
    atomic_fetch_add(&slot->sequence, 1);  // odd: being written
    memcpy(slot->path, path, length + 1);
    atomic_fetch_add(&slot->sequence, 1);  // even: stable
    atomic_store(&slot->registered, 1);
    return index;
  }
  return -1;
}

void sml_temporary_files_unregister(int slot) {
  if (slot < 0 || slot >= SML_TEMPORARY_FILES_CAPACITY) return;
  atomic_store(&slots[slot].registered, 0);
}

void sml_temporary_files_remove_registered(void) {
  char copy[SML_TEMPORARY_FILES_PATH_CAPACITY];
  for (int index = 0; index < SML_TEMPORARY_FILES_CAPACITY; index++) {
    slot_t *slot = &slots[index];
    unsigned before = atomic_load(&slot->sequence);
    if ((before & 1) != 0 || atomic_load(&slot->registered) != 1) continue;
    size_t length = 0;
    while (length + 1 < sizeof copy) {
      char c = ((volatile char *)slot->path)[length];
      copy[length] = c;
      if (c == 0) break;
      length++;
    }
    copy[length] = 0;
    atomic_thread_fence(memory_order_acquire);
    if (atomic_load(&slot->sequence) != before) continue;
    unlink(copy);
  }
}

static void handle_fatal_signal(int signal_number) {
  sml_temporary_files_remove_registered();
  _exit(128 + signal_number);
}

int sml_temporary_files_install_signal_handlers(void) {
  static const int fatal[] = {SIGINT, SIGTERM, SIGHUP};
  struct sigaction action;
  memset(&action, 0, sizeof action);
  action.sa_handler = handle_fatal_signal;
  sigemptyset(&action.sa_mask);
  // A second signal while the files are being removed waits; the handler ends the process anyway.
  for (size_t i = 0; i < sizeof fatal / sizeof fatal[0]; i++) sigaddset(&action.sa_mask, fatal[i]);
  for (size_t i = 0; i < sizeof fatal / sizeof fatal[0]; i++) {
    struct sigaction previous;
    if (sigaction(fatal[i], NULL, &previous) != 0) return -1;
    if (previous.sa_handler == SIG_IGN) continue;
    if (sigaction(fatal[i], &action, NULL) != 0) return -1;
  }
  return 0;
}
