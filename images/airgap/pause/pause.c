/*
 * pause: the process of a placeholder (or pod sandbox) container.
 *
 * It does nothing but wait: it sleeps in pause(2) until a signal arrives.
 *   SIGINT, SIGTERM  exit 0 at once, so the container stops without waiting
 *                    for the kill timeout;
 *   SIGCHLD          reaps every exited child (as PID 1 of a shared PID
 *                    namespace it adopts orphans, which must not stay zombies).
 * "pause -v" prints the version and exits.
 *
 * Built statically (gcc -static) so the image holds nothing but this binary.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef VERSION
#define VERSION "unknown"
#endif

static void on_stop(int sig) {
    /* Only async-signal-safe calls here: write(2) and _exit(2). */
    static const char msg[] = "pause: shutting down\n";
    (void)sig;
    (void)!write(STDERR_FILENO, msg, sizeof msg - 1);
    _exit(0);
}

static void on_child(int sig) {
    int saved = errno;
    (void)sig;
    while (waitpid(-1, NULL, WNOHANG) > 0) {
    }
    errno = saved;
}

static int install(int sig, void (*handler)(int)) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = handler;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = sig == SIGCHLD ? (SA_NOCLDSTOP | SA_RESTART) : 0;
    return sigaction(sig, &sa, NULL);
}

int main(int argc, char **argv) {
    if (argc > 1) {
        if (strcmp(argv[1], "-v") == 0) {
            printf("pause (ds-platform) %s\n", VERSION);
            return 0;
        }
        fprintf(stderr, "usage: %s [-v]\n", argv[0]);
        return 2;
    }
    if (getpid() != 1) {
        fprintf(stderr, "pause: warning: not running as PID 1\n");
    }
    if (install(SIGINT, on_stop) != 0 || install(SIGTERM, on_stop) != 0 ||
        install(SIGCHLD, on_child) != 0) {
        perror("pause: sigaction");
        return 1;
    }
    for (;;) {
        pause();
    }
    /* not reached */
}
