#pragma once
// A process-wide table of temporary files that a fatal signal must not leave behind.
//
// Writers register a temporary file's path before creating it and unregister it once it has been renamed
// into place or removed. `sml_temporary_files_install_signal_handlers` makes SIGINT, SIGTERM and SIGHUP
// remove every registered file and end the process with status 128 + the signal number. The handler only
// reads a fixed-size table and calls `unlink` and `_exit`, which are async-signal-safe; registering copies
// the path into the table, so nothing is allocated or freed while a signal may be handled.

/// The number of temporary files that can be registered at once.
#define SML_TEMPORARY_FILES_CAPACITY 128

/// The longest path, in bytes including the terminating zero, that can be registered.
#define SML_TEMPORARY_FILES_PATH_CAPACITY 4096

/// Registers `path` for removal on a fatal signal; returns the slot to pass to
/// `sml_temporary_files_unregister`, or -1 when the path is too long or the table is full.
/// Safe to call from several threads at once.
int sml_temporary_files_register(const char *path);

/// Forgets the file in `slot` (a value returned by `sml_temporary_files_register`); -1 is ignored.
void sml_temporary_files_unregister(int slot);

/// Removes every registered file. Async-signal safe: for signal handlers (this module's, or another that ends
/// the process on a signal and must leave no temporary file behind).
void sml_temporary_files_remove_registered(void);

/// Installs the handler for SIGINT, SIGTERM and SIGHUP, leaving alone a signal the process was started
/// with ignored (as `nohup` does for SIGHUP). Call once, early, from the main program only: a library never
/// installs signal handlers. Returns 0, or -1 when `sigaction` fails.
int sml_temporary_files_install_signal_handlers(void);
