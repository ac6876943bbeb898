#!/usr/bin/env bash
# agent.sh - Open MPI's remote launch agent (plm_rsh_agent) for test hosts
# that are network namespaces on this machine: called like ssh,
#   agent.sh [ssh options] HOST COMMAND...
# it runs COMMAND with sh inside the namespace HOST maps to in the file
# $OCPAGG_NETNS_MAP ("ip namespace" lines, written by netns.sh), through
# enter.sh: the host's own hostname, so that Open MPI sees different nodes,
# and the test hosts' /etc/hosts.  Nothing is reached over the network.
set -euo pipefail
map=${OCPAGG_NETNS_MAP:?OCPAGG_NETNS_MAP is not set}
# ssh-style options Open MPI may add (-x, -T, -o ...) are ignored.
while [[ $# -gt 0 && $1 == -* ]]; do
    case $1 in
    -o | -p | -l | -i) shift 2 ;;
    *) shift ;;
    esac
done
host=$1
shift
ns=$(awk -v h="$host" '$1 == h || $2 == h { print $2; exit }' "$map")
if [[ -z $ns ]]; then
    echo "agent.sh: no namespace for host '$host' in $map" >&2
    exit 255
fi
# ssh hands the remote shell its arguments joined by blanks; so does eval.
exec "$(dirname "$0")/enter.sh" "$ns" sh -c 'eval "$*"' agent "$@"
