/* peakrss: runs a command and reports its peak resident set size.
 *
 *   peakrss [-o FILE] COMMAND [ARG...]
 *
 * Forks, execs COMMAND (searched in PATH), waits with wait4 and prints the
 * child's ru_maxrss in KB (Linux reports kilobytes) on stdout, or into FILE
 * with -o so the number does not mix with the command's own output. Exits
 * with the command's exit status, 128+N when a signal N killed it, and 127
 * when it could not be started. Memory tests compare the number with a bound;
 * they never look at time. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    const char *report = NULL;
    int first = 1;
    if (argc > 2 && strcmp(argv[1], "-o") == 0) {
        report = argv[2];
        first = 3;
    }
    if (first >= argc) {
        fprintf(stderr, "usage: peakrss [-o FILE] COMMAND [ARG...]\n");
        return 64;
    }
    pid_t pid = fork();
    if (pid < 0) {
        fprintf(stderr, "peakrss: fork: %s\n", strerror(errno));
        return 71;
    }
    if (pid == 0) {
        execvp(argv[first], argv + first);
        fprintf(stderr, "peakrss: cannot run %s: %s\n", argv[first], strerror(errno));
        _exit(127);
    }
    int status;
    struct rusage ru;
    pid_t got;
    do
        got = wait4(pid, &status, 0, &ru);
    while (got < 0 && errno == EINTR);
    if (got < 0) {
        fprintf(stderr, "peakrss: wait4: %s\n", strerror(errno));
        return 71;
    }
    FILE *out = stdout;
    if (report && !(out = fopen(report, "w"))) {
        fprintf(stderr, "peakrss: cannot write %s: %s\n", report, strerror(errno));
        return 73;
    }
    fprintf(out, "%ld\n", ru.ru_maxrss);
    if (out != stdout && fclose(out) != 0) {
        fprintf(stderr, "peakrss: cannot write %s\n", report);
        return 73;
    }
    if (WIFEXITED(status))
        return WEXITSTATUS(status);
    if (WIFSIGNALED(status))
        return 128 + WTERMSIG(status);
    return 70;
}
