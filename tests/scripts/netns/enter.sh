#!/usr/bin/env bash
# enter.sh NAMESPACE COMMAND...: runs COMMAND inside the test host that is
# network namespace NAMESPACE, as that host: its own hostname (the
# namespace's name, in a private UTS namespace) and, when
# $OCPAGG_NETNS_HOSTS names a file, that file as /etc/hosts (bind-mounted
# in a private mount namespace, so the machine's own /etc/hosts is never
# touched) so that the test hosts resolve each other's names.  Lines
# "NAMESPACE SOURCE TARGET" in the file $OCPAGG_NETNS_BINDS bind-mount
# SOURCE over TARGET for that host alone: a node that sees a different
# copy of a file.
set -euo pipefail
ns=$1
shift
# shellcheck disable=SC2016 # expanded by the inner shell
# nsenter rather than `ip netns exec`, which remounts /sys and so hides
# /sys/fs/cgroup, without which slurmd does not start.
exec nsenter --net="/run/netns/$ns" unshare --uts --mount --propagation private sh -c '
    hostname "$1"
    if [ -n "${OCPAGG_NETNS_HOSTS:-}" ]; then
        mount --bind "$OCPAGG_NETNS_HOSTS" /etc/hosts
    fi
    if [ -n "${OCPAGG_NETNS_BINDS:-}" ] && [ -r "$OCPAGG_NETNS_BINDS" ]; then
        while read -r n src dst; do
            [ "$n" = "$1" ] && mount --bind "$src" "$dst"
        done < "$OCPAGG_NETNS_BINDS"
    fi
    shift
    exec "$@"' enter "$ns" "$@"
